"""The shape of what ``az <resource> show`` prints, per model kind, for ``--query`` checks.

`az` prints ARM-shaped JSON with exact, case-sensitive property names; JMESPath is
case-sensitive too. A query that spells a property with the wrong case
(``privateIpAddress`` for ``privateIPAddress``) silently yields an empty value at run time.
The shapes below list the properties a query may name (transcribed from the az output of
each command); :func:`check_query` finds such mismatches and proposes the right spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

_ID = {"id": None}
_COMMON = {"id": None, "name": None, "location": None, "resourceGroup": None, "type": None,
           "tags": None, "etag": None, "provisioningState": None}


def _obj(**props: Any) -> dict[str, Any]:
    return {**_COMMON, **props}


_FIREWALL_IPCONFIG = {"id": None, "name": None, "privateIPAddress": None, "publicIPAddress": _ID,
                      "subnet": _ID, "provisioningState": None, "etag": None, "type": None}
_SUBNET = _obj(addressPrefix=None, addressPrefixes=None, routeTable=_ID, networkSecurityGroup=_ID,
               natGateway=_ID, delegations=[{"name": None, "serviceName": None}],
               serviceEndpoints=[{"service": None}], privateEndpointNetworkPolicies=None,
               privateLinkServiceNetworkPolicies=None, ipConfigurations=[_ID],
               defaultOutboundAccess=None, purpose=None)

SHAPES: dict[str, dict[str, Any]] = {
    "firewall": _obj(
        sku={"name": None, "tier": None}, threatIntelMode=None, zones=None,
        ipConfigurations=[_FIREWALL_IPCONFIG], managementIpConfiguration=_FIREWALL_IPCONFIG,
        firewallPolicy=_ID, additionalProperties=None, virtualHub=_ID,
        hubIPAddresses={"privateIPAddress": None,
                        "publicIPs": {"addresses": [{"address": None}], "count": None}},
        networkRuleCollections=[{"name": None, "priority": None, "action": {"type": None}, "rules": None}],
        applicationRuleCollections=[{"name": None, "priority": None, "action": {"type": None}, "rules": None}],
        natRuleCollections=[{"name": None, "priority": None, "action": {"type": None}, "rules": None}],
    ),
    "public_ip": _obj(
        ipAddress=None, publicIPAllocationMethod=None, publicIPAddressVersion=None,
        sku={"name": None, "tier": None}, dnsSettings={"fqdn": None, "domainNameLabel": None},
        ipConfiguration=_ID, idleTimeoutInMinutes=None, zones=None, publicIPPrefix=_ID, ipTags=None,
    ),
    "public_ip_prefix": _obj(ipPrefix=None, prefixLength=None, publicIPAddressVersion=None,
                             sku={"name": None, "tier": None}, publicIPAddresses=[_ID]),
    "subnet": _SUBNET,
    "vnet": _obj(addressSpace={"addressPrefixes": None}, subnets=[_SUBNET],
                 dhcpOptions={"dnsServers": None}, enableDdosProtection=None,
                 virtualNetworkPeerings=[_obj(remoteVirtualNetwork=_ID, peeringState=None)]),
    "route_table": _obj(
        routes=[_obj(addressPrefix=None, nextHopType=None, nextHopIpAddress=None)],
        disableBgpRoutePropagation=None, subnets=[_ID],
    ),
    "nat_gateway": _obj(publicIpAddresses=[_ID], publicIpPrefixes=[_ID], idleTimeoutInMinutes=None,
                        sku={"name": None}, subnets=[_ID], zones=None),
    "nsg": _obj(securityRules=None, defaultSecurityRules=None, subnets=[_ID], networkInterfaces=[_ID]),
    "identity": _obj(principalId=None, clientId=None, tenantId=None),
    "firewall_policy": _obj(basePolicy=_ID, dnsSettings={"enableProxy": None, "servers": None},
                            sku={"tier": None}, threatIntelMode=None, ruleCollectionGroups=[_ID],
                            firewalls=[_ID], childPolicies=[_ID]),
    "cluster": _obj(
        fqdn=None, privateFqdn=None, azurePortalFqdn=None, nodeResourceGroup=None,
        kubernetesVersion=None, currentKubernetesVersion=None, dnsPrefix=None,
        networkProfile={
            "outboundType": None, "networkPlugin": None, "networkPluginMode": None,
            "networkPolicy": None, "podCidr": None, "podCidrs": None, "serviceCidr": None,
            "serviceCidrs": None, "dnsServiceIp": None, "loadBalancerSku": None,
            "loadBalancerProfile": {"effectiveOutboundIPs": [_ID], "managedOutboundIPs": {"count": None},
                                    "outboundIPs": {"publicIPs": [_ID]}, "allocatedOutboundPorts": None,
                                    "idleTimeoutInMinutes": None},
            "natGatewayProfile": {"effectiveOutboundIPs": [_ID],
                                  "managedOutboundIPProfile": {"count": None},
                                  "idleTimeoutInMinutes": None},
        },
        agentPoolProfiles=[{"name": None, "count": None, "vnetSubnetId": None, "podSubnetId": None,
                            "minCount": None, "maxCount": None, "enableAutoScaling": None,
                            "vmSize": None, "osType": None, "mode": None, "type": None}],
        identity={"principalId": None, "tenantId": None, "type": None, "userAssignedIdentities": None},
        identityProfile={"kubeletidentity": {"objectId": None, "clientId": None, "resourceId": None}},
        apiServerAccessProfile={"authorizedIpRanges": None, "enablePrivateCluster": None,
                                "enableVnetIntegration": None, "subnetId": None},
        oidcIssuerProfile={"issuerUrl": None, "enabled": None}, addonProfiles=None,
    ),
}


@dataclass(frozen=True, slots=True)
class QueryCheck:
    """``corrected`` is the query with each wrongly cased property fixed, when any was;
    ``mismatches`` lists (as written, as az spells it)."""

    corrected: str | None
    mismatches: tuple[tuple[str, str], ...] = ()


_IDENT = re.compile(r"(?<![\w'\"`])([A-Za-z_][A-Za-z0-9_]*)(?![\w'\"`(])")
_STRINGS = re.compile(r"'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`|\"(?:[^\"\\]|\\.)*\"")


@cache
def _names(kind: str) -> dict[str, str]:
    """lower-case property name -> exact spelling, over the whole shape."""
    out: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                out.setdefault(key.lower(), key)
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(SHAPES.get(kind, {}))
    return out


_KEYWORDS = {"null", "true", "false"}


def check_query(kind: str, query: str) -> QueryCheck:
    """Property names in ``query`` that exist in the output of ``az <kind> show`` only with
    another case. Names the shape does not know at all are left alone (the shape may be
    incomplete; unknown is not wrong)."""
    names = _names(kind)
    if not names:
        return QueryCheck(None)
    # blank out string literals so their contents are not read as property names
    masked = _STRINGS.sub(lambda m: " " * len(m.group(0)), query)
    mismatches: list[tuple[str, str]] = []
    pieces: list[str] = []
    last = 0
    for m in _IDENT.finditer(masked):
        word = m.group(1)
        if word in _KEYWORDS:
            continue
        exact = names.get(word.lower())
        if exact is not None and exact != word:
            mismatches.append((word, exact))
            pieces.append(query[last:m.start(1)])
            pieces.append(exact)
            last = m.end(1)
    if not mismatches:
        return QueryCheck(None)
    pieces.append(query[last:])
    return QueryCheck("".join(pieces), tuple(mismatches))
