"""Azure resource IDs <-> model references.

``/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/V/subnets/N``
becomes ``Ref("subnet", "n", "rg", parent=Ref("vnet", "v", "rg"))``. Names may still contain
unresolved variables (``$VNET``): they keep that spelling as identity, which is exactly how the
script frontend names the same resource elsewhere.
"""

from __future__ import annotations

import re

from egresslint.model import Ref

# ARM type (child types with their parents) -> model kind
KIND_TYPES: dict[str, str] = {
    "vnet": "Microsoft.Network/virtualNetworks",
    "subnet": "Microsoft.Network/virtualNetworks/subnets",
    "route_table": "Microsoft.Network/routeTables",
    "route": "Microsoft.Network/routeTables/routes",
    "firewall": "Microsoft.Network/azureFirewalls",
    "firewall_policy": "Microsoft.Network/firewallPolicies",
    "rule_collection_group": "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
    "nsg": "Microsoft.Network/networkSecurityGroups",
    "security_rule": "Microsoft.Network/networkSecurityGroups/securityRules",
    "nat_gateway": "Microsoft.Network/natGateways",
    "public_ip": "Microsoft.Network/publicIPAddresses",
    "public_ip_prefix": "Microsoft.Network/publicIPPrefixes",
    "load_balancer": "Microsoft.Network/loadBalancers",
    "outbound_rule": "Microsoft.Network/loadBalancers/outboundRules",
    "ip_group": "Microsoft.Network/ipGroups",
    "cluster": "Microsoft.ContainerService/managedClusters",
    "node_pool": "Microsoft.ContainerService/managedClusters/agentPools",
    "identity": "Microsoft.ManagedIdentity/userAssignedIdentities",
}
# lower-case ARM type -> model kind
ARM_KINDS: dict[str, str] = {arm.lower(): kind for kind, arm in KIND_TYPES.items()}

_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/(?P<ns>[^/]+)/(?P<rest>.+?)/?$",
    re.IGNORECASE,
)


def ref_from_resource_id(text: str | None) -> Ref | None:
    """The Ref a resource ID names, or None when it is not an ID of a modelled type."""
    if not text:
        return None
    m = _ID.match(text.strip())
    if not m:
        return None
    segments = m.group("rest").split("/")
    if len(segments) % 2:
        return None
    group = m.group("rg").lower()
    arm_type = m.group("ns").lower()
    ref: Ref | None = None
    for i in range(0, len(segments), 2):
        arm_type = f"{arm_type}/{segments[i].lower()}"
        kind = ARM_KINDS.get(arm_type)
        if kind is None:
            return None
        name = segments[i + 1]
        ref = Ref(kind, name.lower(), group, ref, display=name)
    return ref


def resource_id(ref: Ref, subscription: str = "{subscription}") -> str:
    """A resource ID for ``ref`` (group and subscription placeholders when unknown)."""
    chain = ref.chain()
    root = chain[0]
    arm = KIND_TYPES.get(root.kind, root.kind)
    namespace, _, first_type = arm.partition("/")
    parts = [f"/subscriptions/{subscription}/resourceGroups/{ref.group or '{resourceGroup}'}",
             f"/providers/{namespace}/{first_type}/{root.label}"]
    for child in chain[1:]:
        child_type = KIND_TYPES.get(child.kind, child.kind).rsplit("/", 1)[-1]
        parts.append(f"/{child_type}/{child.label}")
    return "".join(parts)
