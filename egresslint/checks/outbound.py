"""EGL401-EGL406, EGL408, EGL410, EGL411: outbound type, SNAT capacity, authorized ranges,
asymmetric routing and cluster CIDRs.

Everything is decided on the model: the outbound type a cluster has at creation and after each
``az aks update`` (:func:`outbound_history`), whether it brings its own subnet
(:func:`vnet_kind`), how many nodes its pools can reach (:func:`cluster_size`) and the egress path
the inventory computes. Limits and the migration tables come from the data packs through
:mod:`egresslint.limits`. Unknown values are EGL004 (info), never an error.

Services and clusters: a Kubernetes Service has no link to a cluster. EGL408 associates a Service
with the clusters declared in the same file (a script that creates the cluster and then runs
``kubectl expose``) and, when its file declares none, with every cluster of the project; it warns
only when every associated cluster egresses through a firewall by UDR, so a Service that might
run on a cluster without the problem is never flagged.

Per-node SNAT budget: EGL404 and EGL410 compare against ``facts: {snat-ports-per-node: N}`` from
the configuration, by default 1,024 (what the load balancer's default allocation gives a pool of
up to 50 nodes).
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from egresslint import net
from egresslint.checks.base import Rule, from_script, setter, spelled
from egresslint.checks.cluster import RESERVED, uses_pod_cidr
from egresslint.checks.input import UnresolvedValue, unresolved
from egresslint.findings import Finding, Related, Severity
from egresslint.limits import Limit, Migration, azure_limits, migrations
from egresslint.model import (
    Cluster,
    Firewall,
    KubernetesService,
    Location,
    NatGateway,
    NatRule,
    NodePool,
    Operation,
    OutboundRule,
    PublicIp,
    PublicIpPrefix,
    Ref,
    Resource,
    RuleCollection,
    RuleCollectionGroup,
    Value,
)

if TYPE_CHECKING:
    from egresslint.inventory import EgressPath, Inventory

LB = "loadBalancer"
MANAGED_NAT = "managedNATGateway"
MANAGED_NAT_V2 = "managedNATGatewayV2"
USER_NAT = "userAssignedNATGateway"
UDR = "userDefinedRouting"
NONE = "none"
BLOCK = "block"
VMSS = "VirtualMachineScaleSets"
INTERNAL_LB_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-internal"
LB_IPV4_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-ipv4"
BUDGET_FACT = "snat-ports-per-node"

EGRESS_OUTBOUNDTYPE = "https://learn.microsoft.com/azure/aks/egress-outboundtype"
EGRESS_UDR = "https://learn.microsoft.com/azure/aks/egress-udr"
AKS_NAT = "https://learn.microsoft.com/azure/aks/nat-gateway"
NAT_RESOURCE = "https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource"
LB_STANDARD = "https://learn.microsoft.com/azure/aks/load-balancer-standard"
CONFIGURE_LB = "https://learn.microsoft.com/azure/aks/configure-load-balancer-standard"
LB_OUTBOUND = "https://learn.microsoft.com/azure/load-balancer/load-balancer-outbound-connections"
LB_OUTBOUND_RULES = "https://learn.microsoft.com/azure/load-balancer/outbound-rules"
LIMIT_EGRESS = "https://learn.microsoft.com/azure/aks/limit-egress-traffic"
AUTHORIZED_RANGES = "https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges"
INTEGRATE_LB = "https://learn.microsoft.com/azure/firewall/integrate-lb"
FW_NAT_GATEWAY = "https://learn.microsoft.com/azure/firewall/integrate-with-nat-gateway"
CONFIGURE_KUBENET = "https://learn.microsoft.com/azure/aks/configure-kubenet"
OVERLAY_DOC = "https://learn.microsoft.com/azure/aks/concepts-network-azure-cni-overlay"
INTERNAL_LB_DOC = "https://learn.microsoft.com/azure/aks/internal-lb"



# --------------------------------------------------------------------------- small helpers


def _loc(value: Value | None, fallback: Location) -> Location:
    return value.location if value is not None and value.location is not None else fallback


def _int(value: Value | None) -> int | None:
    """The whole number a known value holds, else None."""
    if value is None or value.known is None:
        return None
    text = value.known.strip()
    try:
        return int(text, 10)
    except ValueError:
        return None


def _true(value: Value | None) -> bool | None:
    if value is None:
        return None
    if value.known is None:
        return None
    return value.known.strip().lower() in ("true", "1", "yes", "y", "on", "t")


_from_script = from_script


def _set_by_template(res: Resource, field_name: str) -> bool:
    """True when the last operation that set ``field_name`` on ``res`` came from a template (whose
    reader already reports unresolved parameters as EGL004)."""
    op = next((o for o in reversed(res.history) if field_name in o.changes), None)
    return op is not None and not _from_script(op)


def canonical_type(value: Value | None) -> str | None:
    """The canonical spelling of an outbound-type value, None when not known."""
    if value is None or value.known is None:
        return None
    return migrations().canonical(value.known.strip()) or value.known.strip()


def _n(number: int) -> str:
    return f"{number:,}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _budget(inv: Inventory) -> int:
    facts = inv.facts.get("config") or {}
    value = facts.get(BUDGET_FACT) if isinstance(facts, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return azure_limits().ports_per_node_threshold.number


# --------------------------------------------------------------------------- cluster outbound state


@dataclass(frozen=True, slots=True)
class TypeChange:
    """An operation after creation that sets the outbound type. ``before`` is None when the
    cluster's type before it is not known (not created in the scan, or an unknown value)."""

    op: Operation
    before: str | None
    after: str | None
    value: Value


@dataclass(frozen=True, slots=True)
class OutboundHistory:
    created: Operation | None
    initial: str | None  # type at creation (default loadBalancer); None when unknown
    initial_value: Value | None  # as written at creation (None: defaulted)
    changes: tuple[TypeChange, ...]


def outbound_history(cluster: Cluster) -> OutboundHistory:
    """The outbound type at creation and after each later operation that sets it, in order."""
    created: Operation | None = None
    initial: str | None = None
    initial_value: Value | None = None
    state: str | None = None
    changes: list[TypeChange] = []
    for op in cluster.history:
        value = op.changes.get("outbound_type")
        if created is None and op.action == "create":
            created = op
            initial_value = value if isinstance(value, Value) else None
            initial = canonical_type(initial_value) if initial_value is not None else LB
            state = initial
            continue
        if not isinstance(value, Value):
            continue
        after = canonical_type(value)
        changes.append(TypeChange(op, state, after, value))
        state = after
    return OutboundHistory(created, initial, initial_value, tuple(changes))


def vnet_kind(inv: Inventory, cluster: Cluster) -> str | None:
    """``byo`` when a node pool names a subnet (even one the scan cannot resolve), ``managed``
    when the cluster was created in the scan with pools that name none, else None."""
    pools = inv.node_pools(cluster)
    if any(p.vnet_subnet is not None or p.vnet_subnet_value is not None for p in pools):
        return "byo"
    if pools and cluster.created:
        return "managed"
    return None


def _subnet_value(inv: Inventory, cluster: Cluster) -> tuple[Value | None, Location]:
    for pool in inv.node_pools(cluster):
        if pool.vnet_subnet_value is not None:
            return pool.vnet_subnet_value, _loc(pool.vnet_subnet_value, pool.location)
    return None, cluster.location


@dataclass
class PoolSize:
    pool: NodePool
    nodes: int | None
    basis: str  # "autoscaler max", "node-count", "default node count"
    surge: int | None
    surge_basis: str
    # (value, what it is, where, the NodePool field that holds it)
    unknown: list[tuple[Value | None, str, Location, str]] = field(default_factory=list)


@dataclass
class ClusterSize:
    pools: list[PoolSize]

    @property
    def unknown(self) -> list[tuple[Value | None, str, Location, str]]:
        return [u for p in self.pools for u in p.unknown]

    @property
    def nodes(self) -> int:
        return sum(p.nodes or 0 for p in self.pools)

    @property
    def surge(self) -> int:
        return sum(p.surge or 0 for p in self.pools)

    @property
    def total(self) -> int:
        return self.nodes + self.surge

    def describe(self) -> str:
        """``101 nodes (100 autoscaler max + 1 surge)``; pools named when there are several."""
        total = self.total
        if len(self.pools) == 1:
            p = self.pools[0]
            if not self.surge:
                return f"{_n(total)} nodes ({p.basis})"
            return f"{_n(total)} nodes ({_n(p.nodes or 0)} {p.basis} + {_n(self.surge)} surge)"
        parts = [f"{p.pool.name}: {_n(p.nodes or 0)} {p.basis}" for p in self.pools]
        if self.surge:
            parts.append(f"+ {_n(self.surge)} surge")
        return f"{_n(total)} nodes ({', '.join(parts)})"


def pool_size(pool: NodePool) -> PoolSize:
    """The most nodes a pool can have (autoscaler max-count, else node-count, else the default)
    and its upgrade surge (max-surge, a count or a percentage rounded up; default 1 node)."""
    limits = azure_limits()
    size = PoolSize(pool, None, "", None, "")
    autoscale = _true(pool.enable_autoscaling)
    if autoscale or (autoscale is None and pool.enable_autoscaling is None and pool.max_count is not None):
        size.basis = "autoscaler max"
        size.nodes = _int(pool.max_count)
        if size.nodes is None:
            size.unknown.append((pool.max_count, f"autoscaler max count of node pool '{pool.name}'",
                                 _loc(pool.max_count, pool.location), "max_count"))
    elif pool.enable_autoscaling is not None and autoscale is None:
        size.unknown.append((pool.enable_autoscaling, f"autoscaler setting of node pool '{pool.name}'",
                             _loc(pool.enable_autoscaling, pool.location), "enable_autoscaling"))
    elif pool.count is not None:
        size.basis = "node-count"
        size.nodes = _int(pool.count)
        if size.nodes is None:
            size.unknown.append((pool.count, f"node count of node pool '{pool.name}'", _loc(pool.count, pool.location),
                                 "count"))
    else:
        script = any(_from_script(op) for op in pool.history) or not pool.history
        size.basis = "default node count"
        size.nodes = (limits.default_node_count_cli if script else limits.default_node_count_api).number
    surge_value = pool.max_surge
    text = surge_value.known.strip() if surge_value is not None and surge_value.known is not None else None
    if surge_value is not None and text is None:
        size.unknown.append((surge_value, f"max surge of node pool '{pool.name}'", _loc(surge_value, pool.location),
                             "max_surge"))
        return size
    if text is None:
        text = str(limits.default_max_surge.value)
        size.surge_basis = "default max surge"
    else:
        size.surge_basis = "max surge"
    if text.endswith("%"):
        try:
            pct = float(text[:-1])
        except ValueError:
            pct = None
        size.surge = math.ceil((size.nodes or 0) * pct / 100) if pct is not None else None
    else:
        try:
            size.surge = int(text)
        except ValueError:
            size.surge = None
    if size.surge is None:
        size.unknown.append((surge_value, f"max surge of node pool '{pool.name}'", _loc(surge_value, pool.location),
                             "max_surge"))
    return size


def cluster_size(inv: Inventory, cluster: Cluster) -> ClusterSize | None:
    """All node pools at their largest plus surge; None when the scan knows no pool."""
    pools = inv.node_pools(cluster)
    if not pools:
        return None
    return ClusterSize([pool_size(p) for p in pools])


def _skipped(message: str, where: Location, subject: str) -> Finding:
    """An EGL004 finding for something (not a single value) the scan does not know."""
    return Finding(UnresolvedValue.id, f"{message}; the check was skipped", UnresolvedValue.severity, where,
                   subject=subject)


def _size_unknowns(size: ClusterSize) -> Iterator[Finding]:
    """EGL004 for what stops the node arithmetic (the same message from EGL404 and EGL410, so
    the engine reports it once; template parameters are reported by the template reader)."""
    for pool in size.pools:
        for value, what, where, field_name in pool.unknown:
            if value is not None and value.known is None and _set_by_template(pool.pool, field_name):
                continue
            yield unresolved(value, f"{what} (needed for the SNAT capacity checks)", where, subject=f"size:{what}")


def _prefix_addresses(prefix: PublicIpPrefix | None) -> tuple[int | None, int]:
    """(number of addresses, IP version) of a public IP prefix; None when not known."""
    if prefix is None:
        return None, 4
    version = 6 if prefix.version is not None and (prefix.version.known or "").lower() == "ipv6" else 4
    length = _int(prefix.length)
    if length is None:
        return None, version
    bits = 32 if version == 4 else 128
    if not 0 <= length <= bits:
        return None, version
    return 2 ** (bits - length), version


# --------------------------------------------------------------------------- EGL401


class OutboundTypePrerequisite(Rule):
    id = "EGL401"
    name = "outbound-type-prerequisite"
    severity = Severity.ERROR
    summary = "The cluster's outbound type lacks a prerequisite (subnet, NAT gateway, SKU, VM set type)."
    rationale = (
        "Each outbound type needs a network the cluster cannot create for itself. `userDefinedRouting` and "
        "`userAssignedNATGateway` need a bring-your-own subnet (`--vnet-subnet-id`), and "
        "`userAssignedNATGateway` needs a NAT gateway already associated with that subnet. "
        "`managedNATGateway` (and the preview `block`) work only in the AKS-managed VNet: with "
        "`--vnet-subnet-id` az refuses the command. Setting an outbound type requires a Standard load "
        "balancer and virtual machine scale sets. `none` is valid on managed and BYO VNets. kubenet with "
        "`userDefinedRouting` is reported as a warning unless the cluster has a user-assigned "
        "control-plane identity (`--assign-identity`, in a template `identity.type: UserAssigned`): the "
        "firewall tutorial says a system-assigned identity supports only Azure CNI there, the kubenet page "
        "says a BYO route table needs a user-assigned identity."
    )
    example = ("az network vnet subnet create -g rg --vnet-name vnet -n aks --address-prefixes 10.42.1.0/24\n"
               "az aks create -g rg -n aks --vnet-subnet-id $SUBNET_ID --outbound-type userAssignedNATGateway")
    fix = ("az network nat gateway create -g rg -n natgw --public-ip-addresses natgw-pip\n"
           "az network vnet subnet update -g rg --vnet-name vnet -n aks --nat-gateway natgw\n"
           "az aks create -g rg -n aks --vnet-subnet-id $SUBNET_ID --outbound-type userAssignedNATGateway")
    sources = (EGRESS_OUTBOUNDTYPE, AKS_NAT, EGRESS_UDR, LIMIT_EGRESS, CONFIGURE_KUBENET)
    applies_to = ("cluster", "node_pool", "subnet", "nat_gateway")
    tags = ("outbound-type",)

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for cluster in inv.all(Cluster):
            hist = outbound_history(cluster)
            settings: list[tuple[str, Value | None, Operation | None]] = []
            if hist.created is not None and hist.initial is not None:
                settings.append((hist.initial, hist.initial_value, hist.created))
            settings.extend((c.after, c.value, c.op) for c in hist.changes if c.after is not None)
            kind = vnet_kind(inv, cluster)
            for outbound, value, op in settings:
                yield from self._setting(inv, cluster, kind, outbound, value, op)

    def _setting(self, inv: Inventory, cluster: Cluster, kind: str | None, outbound: str, value: Value | None,
                 op: Operation | None) -> Iterator[Finding]:
        where = _loc(value, op.location if op is not None else cluster.location)
        name = cluster.name
        subject = f"{cluster.ref}:{outbound}:{where.line}"
        related = [Related(cluster.location, f"cluster '{name}'")] if where != cluster.location else []
        sub_value, sub_where = _subnet_value(inv, cluster)
        if outbound in (UDR, USER_NAT) and kind == "managed":
            what = "a route table with a 0.0.0.0/0 route" if outbound == UDR else "a NAT gateway"
            refusal = ("az refuses it" if from_script(op) else
                       "AKS supports this outbound type only in a bring-your-own VNet")
            yield self.finding(
                f"outbound type {outbound} of cluster '{name}' needs a bring-your-own subnet "
                f"({spelled(op, '--vnet-subnet-id', 'agentPoolProfiles[].vnetSubnetID')}) pre-configured with "
                f"{what}; the cluster uses the AKS-managed VNet and {refusal}", where, related,
                subject=f"{subject}:byo")
        if outbound in (MANAGED_NAT, MANAGED_NAT_V2, BLOCK) and kind == "byo":
            yield self.finding(
                f"outbound type {outbound} of cluster '{name}' works only in the AKS-managed VNet, but the "
                f"cluster brings its own subnet ({sub_value.describe() if sub_value else 'vnet subnet'}): "
                + (("az refuses --vnet-subnet-id with managedNATGateway; " if from_script(op) else "")
                   + "use userAssignedNATGateway with a NAT gateway on the subnet" if outbound != BLOCK else
                   "for a BYO VNet use outbound type none plus your own NSG rules"),
                where, [Related(sub_where, "the subnet"), *related], subject=f"{subject}:managed-only")
        if outbound == USER_NAT and kind == "byo":
            yield from self._nat_on_subnets(inv, cluster, where, related, subject)
        if outbound != LB:
            yield from self._sku_and_vm_set(inv, cluster, outbound, where, subject)
        if outbound == UDR and (cluster.network_plugin is not None
                                and (cluster.network_plugin.known or "").lower() == "kubenet"):
            identity = cluster.identity_type
            # a user-assigned identity resolves the conflict; an unknown one is not judged
            if identity is None or (identity.known is not None and identity.known.lower() != "userassigned"):
                yield self.finding(
                    f"cluster '{name}' combines kubenet with userDefinedRouting: with a system-assigned "
                    f"identity the AKS docs conflict on whether this works (the firewall tutorial: system-"
                    f"assigned identity supports only Azure CNI; the kubenet page: a BYO route table needs a "
                    f"user-assigned control-plane identity); use Azure CNI or "
                    f"{spelled(setter(cluster, 'network_plugin'), '--assign-identity', 'a UserAssigned identity')}",
                    _loc(cluster.network_plugin, where), related, subject=f"{subject}:kubenet",
                    severity=Severity.WARNING)

    def _nat_on_subnets(self, inv: Inventory, cluster: Cluster, where: Location, related: list[Related],
                        subject: str) -> Iterator[Finding]:
        for subnet, pools in inv.node_subnets(cluster):
            if subnet is None:
                value = next((p.vnet_subnet_value for p in pools if p.vnet_subnet_value is not None), None)
                if value is not None:
                    yield unresolved(value, f"node subnet of cluster '{cluster.name}' (does it have a NAT "
                                     f"gateway for userAssignedNATGateway?)", _loc(value, where),
                                     subject=f"EGL401:{cluster.ref}:subnet")
                continue
            if not subnet.declared:
                continue  # described elsewhere: its NAT gateway is not known
            if subnet.nat_gateway is not None:
                continue
            how = spelled(setter(subnet), "az network vnet subnet update --nat-gateway",
                          "the subnet property natGateway.id")
            yield self.finding(
                f"outbound type userAssignedNATGateway of cluster '{cluster.name}' needs a NAT gateway on its "
                f"subnet '{subnet.name}', which has none: associate one before creating or migrating the "
                f"cluster ({how})",
                where, [Related(subnet.location, f"subnet '{subnet.name}'"), *related],
                subject=f"{subject}:nat:{subnet.ref}")

    def _sku_and_vm_set(self, inv: Inventory, cluster: Cluster, outbound: str, where: Location,
                        subject: str) -> Iterator[Finding]:
        sku = cluster.load_balancer_sku
        if sku is not None and sku.known is not None and sku.known.lower() != "standard":
            # az's own refusal is quoted only where az runs the command
            said = (f" (az: \"{outbound} doesn't support basic load balancer sku\")"
                    if from_script(setter(cluster, "load_balancer_sku")) else "")
            yield self.finding(
                f"outbound type {outbound} of cluster '{cluster.name}' requires the Standard load balancer SKU, "
                f"not '{sku.known}'{said}",
                _loc(sku, where), [Related(where, f"outbound type {outbound}")], subject=f"{subject}:sku")
        candidates = [cluster.vm_set_type] if cluster.vm_set_type is not None else [
            p.vm_set_type for p in inv.node_pools(cluster) if p.vm_set_type is not None]
        for vm_set in candidates:
            if vm_set is None or vm_set.known is None or vm_set.known.lower() == VMSS.lower():
                continue
            yield self.finding(
                f"outbound type {outbound} of cluster '{cluster.name}' requires "
                f"{spelled(setter(cluster), '--vm-set-type', 'agentPoolProfiles[].type')} {VMSS}, not "
                f"'{vm_set.known}'", _loc(vm_set, where), [Related(where, f"outbound type {outbound}")],
                subject=f"{subject}:vmset")
            break


# --------------------------------------------------------------------------- EGL402 / EGL403 helpers


def _range_findings(rule: Rule, op: Operation, field_name: str, limit: Limit, what: str,
                    why: str = "") -> Iterator[Finding]:
    """A finding when ``op`` sets ``field_name`` outside ``limit`` (EGL004 for script values the
    scan cannot know; template parameters are reported by the ARM reader)."""
    value = op.changes.get(field_name)
    if not isinstance(value, Value):
        return
    where = _loc(value, op.location)
    subject = f"{op.ref}:{field_name}:{where.line}:{where.column}"
    if value.known is None:
        if _from_script(op):
            yield unresolved(value, what, where, subject=f"{rule.id}:{subject}")
        return
    number = _int(value)
    if number is None:
        yield rule.finding(f"{what} is '{value.known}', not a whole number; it must be {limit.describe()}", where,
                           subject=subject)
        return
    if limit.contains(number):
        return
    yield rule.finding(f"{what} is {_n(number)}; it must be {limit.describe()}{why}", where, subject=subject)


# --------------------------------------------------------------------------- EGL402


class NatGatewayLimits(Rule):
    id = "EGL402"
    name = "nat-gateway-limits"
    severity = Severity.ERROR
    summary = "A NAT gateway setting is outside its limits, or the gateway has no public IP."
    rationale = (
        "A NAT gateway takes 1 to 16 public IP addresses in total, counting every address of its public IP "
        "prefixes (a /28 prefix alone is 16 addresses); a StandardV2 gateway has that budget per IP "
        "version. Its TCP idle timeout is 4 to 120 minutes. AKS's managed NAT gateway takes "
        "`--nat-gateway-managed-outbound-ip-count` 1-16 and `--nat-gateway-idle-timeout` 4-120. A gateway "
        "without any public IP or prefix is not operational: egress from its subnets fails. Outside "
        "these limits az or the API rejects the deployment."
    )
    example = ("az aks create -g rg -n aks --outbound-type managedNATGateway \\\n"
               "  --nat-gateway-managed-outbound-ip-count 20 --nat-gateway-idle-timeout 2")
    fix = ("az aks create -g rg -n aks --outbound-type managedNATGateway \\\n"
           "  --nat-gateway-managed-outbound-ip-count 16 --nat-gateway-idle-timeout 4")
    sources = (NAT_RESOURCE, AKS_NAT)
    applies_to = ("cluster", "nat_gateway", "public_ip", "public_ip_prefix")
    tags = ("outbound-type", "nat-gateway", "limits")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        limits = azure_limits()
        for cluster in inv.all(Cluster):
            for op in cluster.history:
                yield from _range_findings(self, op, "nat_managed_outbound_ip_count", limits.nat_managed_outbound_ips,
                                           f"managed NAT gateway outbound IP count of cluster '{cluster.name}'")
                yield from _range_findings(self, op, "nat_idle_timeout", limits.nat_idle_timeout,
                                           f"managed NAT gateway idle timeout (minutes) of cluster '{cluster.name}'")
        for gw in inv.all(NatGateway):
            for op in gw.history:
                yield from _range_findings(self, op, "idle_timeout", limits.nat_idle_timeout,
                                           f"idle timeout (minutes) of NAT gateway '{gw.name}'")
            if gw.declared:
                yield from self._addresses(inv, gw)

    def _addresses(self, inv: Inventory, gw: NatGateway) -> Iterator[Finding]:
        limit = azure_limits().nat_total_public_ips
        counts = {4: 0, 6: 0}
        parts: dict[int, list[str]] = {4: [], 6: []}
        unknown: list[str] = []
        for ref in gw.public_ips:
            pip = inv.typed(ref, PublicIp)
            version = 6 if pip is not None and pip.version is not None and (pip.version.known or "").lower() == "ipv6" else 4
            counts[version] += 1
        for version, count in counts.items():
            if count:
                parts[version].append(_plural(count, "public IP"))
        for ref in gw.public_ip_prefixes:
            prefix = inv.typed(ref, PublicIpPrefix)
            addresses, version = _prefix_addresses(prefix)
            if addresses is None:
                unknown.append(f"public IP prefix '{ref.label}'")
                continue
            counts[version] += addresses
            length = _int(prefix.length) if prefix is not None else None
            parts[version].append(f"prefix '{ref.label}' (/{length}: {addresses} addresses)")
        creating = next((op for op in gw.history if op.action == "create"), None)
        if not gw.public_ips and not gw.public_ip_prefixes and creating is not None and not unknown:
            states_none = _from_script(creating) or not any(
                k in op.changes for op in gw.history for k in ("public_ips", "public_ip_prefixes"))
            if states_none:
                add = spelled(creating, "--public-ip-addresses or --public-ip-prefixes",
                              "publicIpAddresses or publicIpPrefixes")
                yield self.finding(
                    f"NAT gateway '{gw.name}' has no public IP address or prefix: it is not operational and the "
                    f"subnets that use it have no egress; add {add}", gw.location, subject=f"{gw.ref}:no-ip")
            return
        for version, count in counts.items():
            if count > (limit.max or 16):
                label = "IPv4" if version == 4 else "IPv6"
                yield self.finding(
                    f"NAT gateway '{gw.name}' has {count} {label} public IP addresses "
                    f"({' + '.join(parts[version])}); a NAT gateway takes at most {limit.max} in total, "
                    f"prefix addresses included", gw.location, subject=f"{gw.ref}:total:{version}")
        if unknown and max(counts.values()) <= (limit.max or 16):
            yield _skipped(f"the size of {', '.join(unknown)} on NAT gateway '{gw.name}' is not known to the scan "
                           f"(16-address limit)", gw.location, subject=f"EGL402:{gw.ref}:prefix")


# --------------------------------------------------------------------------- EGL403


class LoadBalancerOutboundLimits(Rule):
    id = "EGL403"
    name = "load-balancer-outbound-limits"
    severity = Severity.ERROR
    summary = "A load balancer outbound setting is outside its limits."
    rationale = (
        "The cluster load balancer takes 1 to 100 managed outbound IPs; allocated outbound ports per node "
        "must be 0 (dynamic) to 64,000 and a multiple of 8; the outbound idle timeout is 4 to 120 "
        "minutes in the API and ARM templates, but `az aks create/update --load-balancer-idle-timeout` "
        "accepts only 4 to 100 (the CLI validator is narrower than the API: the sources conflict), so a "
        "script gets the CLI range and a template the API range. Load balancer outbound rules take the "
        "same port and API idle-timeout limits. Outside them the command or deployment is rejected."
    )
    example = ("az aks update -g rg -n aks --load-balancer-outbound-ports 1001 \\\n"
               "  --load-balancer-idle-timeout 120")
    fix = "az aks update -g rg -n aks --load-balancer-outbound-ports 1000 --load-balancer-idle-timeout 100"
    sources = (CONFIGURE_LB, LB_STANDARD, LB_OUTBOUND_RULES)
    applies_to = ("cluster", "outbound_rule")
    tags = ("outbound-type", "load-balancer", "limits")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        limits = azure_limits()
        for cluster in inv.all(Cluster):
            name = cluster.name
            for op in cluster.history:
                yield from _range_findings(self, op, "lb_managed_outbound_ip_count", limits.lb_managed_outbound_ips,
                                           f"load balancer managed outbound IP count of cluster '{name}'")
                yield from _range_findings(self, op, "lb_managed_outbound_ipv6_count", limits.lb_managed_outbound_ips,
                                           f"load balancer managed outbound IPv6 count of cluster '{name}'")
                yield from _range_findings(self, op, "lb_outbound_ports", limits.lb_allocated_outbound_ports,
                                           f"allocated outbound ports per node of cluster '{name}'")
                if _from_script(op):
                    yield from _range_findings(
                        self, op, "lb_idle_timeout", limits.lb_idle_timeout_cli,
                        f"--load-balancer-idle-timeout (minutes) of cluster '{name}'",
                        f", the range az aks accepts (the API allows {limits.lb_idle_timeout_api.describe()}, but "
                        f"the CLI validator rejects more than {limits.lb_idle_timeout_cli.max})")
                else:
                    yield from _range_findings(self, op, "lb_idle_timeout", limits.lb_idle_timeout_api,
                                               f"load balancer idle timeout (minutes) of cluster '{name}'")
        for rule in inv.all(OutboundRule):
            for op in rule.history:
                yield from _range_findings(self, op, "allocated_outbound_ports", limits.lb_allocated_outbound_ports,
                                           f"allocated outbound ports of outbound rule '{rule.name}'")
                yield from _range_findings(self, op, "idle_timeout", limits.lb_idle_timeout_api,
                                           f"idle timeout (minutes) of outbound rule '{rule.name}'")


# --------------------------------------------------------------------------- EGL404


def _lb_outbound_ips(inv: Inventory, cluster: Cluster) -> tuple[int | None, str, Value | None]:
    """(outbound IP addresses of the cluster load balancer, description, unknown value)."""
    count = 0
    parts: list[str] = []
    if cluster.lb_outbound_ips:
        count += len(cluster.lb_outbound_ips)
        parts.append(_plural(len(cluster.lb_outbound_ips), "outbound IP"))
    for ref in cluster.lb_outbound_ip_prefixes:
        addresses, _version = _prefix_addresses(inv.typed(ref, PublicIpPrefix))
        if addresses is None:
            return None, f"public IP prefix '{ref.label}'", None
        count += addresses
        parts.append(f"prefix '{ref.label}' ({addresses} addresses)")
    managed = cluster.lb_managed_outbound_ip_count
    if managed is not None:
        number = _int(managed)
        if number is None:
            return None, "managed outbound IP count", managed
        count += number
        parts.append(_plural(number, "managed IP"))
    if not parts:
        count = azure_limits().lb_managed_outbound_ips.default or 1  # type: ignore[assignment]
        return int(count), f"{count} IP (default)", None
    return count, " + ".join(parts), None


class SnatPortExhaustion(Rule):
    id = "EGL404"
    name = "snat-port-exhaustion"
    severity = Severity.WARNING
    _limits = azure_limits()
    summary = "The load balancer's SNAT ports cannot serve the cluster at its maximum size."
    rationale = (
        "With outbound type `loadBalancer`, every node gets a fixed share of SNAT ports from the load "
        "balancer's outbound IPs; each IP offers 64,000. With an explicit allocation "
        "(`--load-balancer-outbound-ports`), Azure rejects the configuration (and scaling stops) once "
        "ports per node x nodes > 64,000 x outbound IPs. Count nodes at the cluster's largest: every pool at "
        "its autoscaler max-count (or node-count; az's default is 3), plus the surge nodes of an upgrade "
        "(max-surge, default one node). The largest node count the IPs can carry is "
        "floor(64,000 x IPs / ports per node).\n\n"
        "With the default allocation (0 / not set, what AKS uses) the ports per node shrink as the backend "
        "pool grows, whatever the number of IPs:\n\n"
        + _limits.allocation_table_markdown()
        + "\n\nGoing from 50 to 51 nodes halves every node's ports, disruptively; beyond 1,000 nodes the "
        "default allocation has no row. egresslint warns when the default allocation gives fewer ports "
        "per node than the threshold (1,024, or `facts: {snat-ports-per-node: N}`) and suggests an "
        "explicit value: the largest multiple of 8 not above 64,000 x IPs / nodes."
    )
    example = ("az aks create -g rg -n aks --load-balancer-managed-outbound-ip-count 2 \\\n"
               "  --load-balancer-outbound-ports 4000 --enable-cluster-autoscaler --min-count 3 --max-count 100\n"
               "# 4,000 ports/node x 101 nodes (100 autoscaler max + 1 surge) = 404,000 > 2 IPs x 64,000 = 128,000")
    fix = ("# 64,000 x 7 IPs / 4,000 ports = 112 nodes >= 100 + 1 surge\n"
           "az aks create -g rg -n aks --load-balancer-managed-outbound-ip-count 7 \\\n"
           "  --load-balancer-outbound-ports 4000 --enable-cluster-autoscaler --min-count 3 --max-count 100")
    sources = (CONFIGURE_LB, LB_OUTBOUND, LB_OUTBOUND_RULES)
    applies_to = ("cluster", "node_pool", "public_ip_prefix")
    tags = ("outbound-type", "load-balancer", "snat")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        limits = azure_limits()
        per_ip = limits.lb_snat_ports_per_ip.number
        threshold = _budget(inv)
        for cluster in inv.all(Cluster):
            if inv.outbound_type(cluster) != LB:
                continue
            size = cluster_size(inv, cluster)
            if size is None:
                continue
            if size.unknown:
                yield from _size_unknowns(size)
                continue
            nodes = size.total
            ports_value = cluster.lb_outbound_ports
            ports = _int(ports_value)
            related = [Related(p.pool.location, f"node pool '{p.pool.name}'") for p in size.pools if p.pool.declared]
            if ports_value is not None and ports is None:
                if ports_value.known is None and not _set_by_template(cluster, "lb_outbound_ports"):
                    yield unresolved(ports_value, f"allocated outbound ports of cluster '{cluster.name}' (EGL404)",
                                     _loc(ports_value, cluster.location), subject=f"EGL404:{cluster.ref}")
                continue
            if ports:
                if not limits.lb_allocated_outbound_ports.contains(ports):
                    continue  # EGL403
                ips, ip_text, unknown = _lb_outbound_ips(inv, cluster)
                if ips is None:
                    if unknown is None or not _set_by_template(cluster, "lb_managed_outbound_ip_count"):
                        yield unresolved(unknown, f"outbound IPs ({ip_text}) of cluster '{cluster.name}' (EGL404)",
                                         _loc(unknown, cluster.location), subject=f"EGL404:{cluster.ref}:ips")
                    continue
                need, have = ports * nodes, per_ip * ips
                if need > have:
                    most = have // ports
                    yield self.finding(
                        f"cluster '{cluster.name}': {_n(ports)} ports/node x {size.describe()} = {_n(need)} > "
                        f"{_plural(ips, 'IP')} x {_n(per_ip)} = {_n(have)}: the outbound IPs carry at most "
                        f"{_n(most)} nodes at this allocation, so scaling or upgrading fails; add outbound IPs "
                        f"(at least {math.ceil(need / per_ip)}) or lower the ports per node",
                        _loc(ports_value, cluster.location), related, subject=f"{cluster.ref}:explicit")
                continue
            band = limits.port_band(nodes)
            per_node = band.ports if band is not None else 0
            if per_node >= threshold:
                continue
            ips, _ip_text, _unknown = _lb_outbound_ips(inv, cluster)
            suggestion = ""
            if ips:
                best = (per_ip * ips // nodes) // 8 * 8
                setting = spelled(setter(cluster), "--load-balancer-outbound-ports",
                                  "loadBalancerProfile.allocatedOutboundPorts")
                suggestion = (f"; set {setting} explicitly (64,000 x {_plural(ips, 'IP')} / "
                              f"{_n(nodes)} nodes allows up to {_n(best)} ports/node, a multiple of 8)")
            row = (f"default table row {_n(band.min_nodes)}-{_n(band.max_nodes)} nodes" if band is not None else
                   f"the default table ends at {_n(limits.default_port_allocation[-1].max_nodes)} nodes")
            where = _loc(ports_value, cluster.location)
            yield self.finding(
                f"cluster '{cluster.name}' uses the default SNAT port allocation at {size.describe()}: "
                f"{_n(per_node)} ports/node ({row}), fewer than the {_n(threshold)} ports/node threshold"
                f"{suggestion}", where, related, subject=f"{cluster.ref}:default")


# --------------------------------------------------------------------------- EGL405


class OutboundTypeMigration(Rule):
    id = "EGL405"
    name = "outbound-type-migration"
    severity = Severity.ERROR
    summary = "An outbound-type change that AKS does not support for the cluster's VNet kind."
    rationale = (
        "`az aks update --outbound-type X` (or a changed `outboundType` in a template) migrates a running "
        "cluster. Which migrations work depends on the current type and on whether the cluster uses the "
        "AKS-managed VNet or brings its own subnet; the published tables (and the CLI) refuse the rest. "
        "A managed-VNet cluster can never move to userDefinedRouting or userAssignedNATGateway (the CLI "
        "refuses it although `az aks update --help` claims otherwise). Where the sources contradict each "
        "other (managedNATGateway -> loadBalancer on a managed VNet; managedNATGatewayV2 -> none/block), "
        "egresslint warns and names both sides instead of failing. Migrating changes the egress IPs: update "
        "authorized IP ranges and firewall rules that name them."
    )
    example = ("az aks create -g rg -n aks --outbound-type managedNATGateway\n"
               "az aks update -g rg -n aks --outbound-type userDefinedRouting")
    fix = ("# a managed-VNet cluster cannot use UDR: recreate it in your own subnet\n"
           "az aks create -g rg -n aks --vnet-subnet-id $SUBNET_ID --outbound-type userDefinedRouting")
    sources = (EGRESS_OUTBOUNDTYPE, "https://github.com/Azure/AKS/blob/master/CHANGELOG.md",
               "https://learn.microsoft.com/cli/azure/aks#az-aks-update")
    applies_to = ("cluster", "node_pool")
    tags = ("outbound-type", "migration")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for cluster in inv.all(Cluster):
            hist = outbound_history(cluster)
            kind = vnet_kind(inv, cluster)
            current = hist.initial if hist.created is not None else None
            for change in hist.changes:
                # a refused update leaves the cluster as it was: the next one starts from there
                before, current = current, change.after
                change = TypeChange(change.op, before, change.after, change.value)
                where = _loc(change.value, change.op.location)
                subject = f"{cluster.ref}:{where.line}:{change.after}"
                if change.after is None:
                    if change.value.known is None and _from_script(change.op):
                        yield unresolved(change.value, f"outbound type of cluster '{cluster.name}' (migration check)",
                                         where, subject=f"EGL405:{subject}")
                    continue
                if change.before is None:
                    # the new type is known; what is not is the type it migrates from
                    yield _skipped(f"the outbound type of cluster '{cluster.name}' before this update to "
                                   f"{change.after} is not known to the scan (the cluster is not created in "
                                   f"the scanned files; migration check)", where, subject=f"EGL405:{subject}")
                    continue
                if change.before.lower() == change.after.lower():
                    continue
                cell = self._cell(kind, change.before, change.after)
                if cell is None:
                    if kind is None:
                        yield _skipped(f"whether cluster '{cluster.name}' uses the AKS-managed VNet or its own "
                                       f"subnet is not known to the scan (migration {change.before} -> "
                                       f"{change.after})", where, subject=f"EGL405:{subject}:vnet")
                    continue
                if cell.verdict == "not-supported":
                    current = change.before
                yield from self._verdict(cluster, cell, kind, where, subject, hist)

    @staticmethod
    def _cell(kind: str | None, before: str, after: str) -> Migration | None:
        table = migrations()
        if kind is not None:
            return table.lookup(kind, before, after)
        managed, byo = table.lookup("managed", before, after), table.lookup("byo", before, after)
        if managed is not None and byo is not None and managed.verdict == byo.verdict == "not-supported":
            return managed
        return None

    def _verdict(self, cluster: Cluster, cell: Migration, kind: str | None, where: Location, subject: str,
                 hist: OutboundHistory) -> Iterator[Finding]:
        vnet = {"managed": "AKS-managed VNet", "byo": "bring-your-own VNet"}.get(kind or "", "either VNet kind")
        related = []
        if hist.created is not None:
            related.append(Related(_loc(hist.initial_value, hist.created.location),
                                   f"cluster '{cluster.name}' created with outbound type {hist.initial}"))
        head = (f"migrating cluster '{cluster.name}' ({vnet}) from {cell.from_type} to {cell.to_type}")
        if cell.verdict == "supported":
            return
        if cell.verdict == "conflict":
            note = f": {cell.note}" if cell.note else ""
            yield self.finding(
                f"{head}: the sources conflict on this migration ({cell.describe_conflict()}){note}; verify "
                f"that it works before relying on it", where, related, subject=subject, severity=Severity.WARNING)
            return
        refused = ", ".join(e.source.key for e in cell.evidence if not e.supported)
        extra = f"; {cell.note}" if cell.note else ""
        hint = ""
        if kind == "managed" and cell.to_type in (UDR, USER_NAT):
            hint = "; a managed-VNet cluster must be recreated in its own subnet (--vnet-subnet-id) for this type"
        yield self.finding(f"{head} is not supported (per {refused}{extra}){hint}", where, related, subject=subject)


# --------------------------------------------------------------------------- EGL406


@dataclass(frozen=True, slots=True)
class EgressIp:
    ref: Ref
    pip: PublicIp | None
    prefix: PublicIpPrefix | None
    what: str  # "public IP 'fw-pip' of firewall 'fw'"
    owner_location: Location | None


class AuthorizedIpRangesMissingEgress(Rule):
    id = "EGL406"
    name = "authorized-ip-ranges-missing-egress"
    severity = Severity.ERROR
    summary = "API server authorized IP ranges leave out the cluster's own egress IPs."
    rationale = (
        "In a non-private cluster the nodes reach the API server through the cluster's egress, so their "
        "source address is the egress public IP. AKS adds the load balancer's outbound IPs to the "
        "authorized ranges itself, but there is none with `userDefinedRouting` or a NAT gateway: the "
        "firewall's public IPs (or the IPs of a NAT gateway on AzureFirewallSubnet) and the NAT gateway's "
        "IPs must be listed explicitly, or nodes cannot reach the API server. `az aks update "
        "--api-server-authorized-ip-ranges` replaces the list, it does not append (the AKS firewall tutorial "
        "replaces the firewall IP with the developer's IP), and `0.0.0.0/32` means 'only the load balancer's "
        "outbound IPs', which such clusters do not have. Clusters with API server VNet integration reach "
        "the API server privately and are exempt."
    )
    example = ('FW_PUBLIC_IP=$(az network public-ip show -g rg -n fw-pip --query ipAddress -o tsv)\n'
               'az aks create -g rg -n aks --outbound-type userDefinedRouting --vnet-subnet-id $SUBNET_ID \\\n'
               '  --api-server-authorized-ip-ranges $FW_PUBLIC_IP\n'
               'az aks update -g rg -n aks --api-server-authorized-ip-ranges $CURRENT_IP/32')
    fix = "az aks update -g rg -n aks --api-server-authorized-ip-ranges $CURRENT_IP/32,$FW_PUBLIC_IP"
    sources = (AUTHORIZED_RANGES, LIMIT_EGRESS, EGRESS_OUTBOUNDTYPE)
    applies_to = ("cluster", "firewall", "public_ip", "nat_gateway", "subnet")
    tags = ("api-server", "outbound-type")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for cluster in inv.all(Cluster):
            if _true(cluster.apiserver_vnet_integration) or _true(cluster.private_cluster):
                continue
            yield from self._cluster(inv, cluster)

    def _cluster(self, inv: Inventory, cluster: Cluster) -> Iterator[Finding]:
        outbound: str | None = None
        ranges: list[Value] | None = None
        ranges_op: Operation | None = None
        seen: set[tuple[str | None, int]] = set()
        created = False
        for op in cluster.history:
            changed = False
            if op.action == "create" and not created:
                created = True
                v = op.changes.get("outbound_type")
                outbound = canonical_type(v) if isinstance(v, Value) else LB
                changed = True
            elif isinstance(op.changes.get("outbound_type"), Value):
                outbound = canonical_type(op.changes["outbound_type"])
                changed = True
            if "authorized_ip_ranges" in op.changes:
                ranges = op.changes["authorized_ip_ranges"]
                ranges_op = op
                changed = True
            if not changed or not ranges or outbound is None or outbound == LB or ranges_op is None:
                continue
            key = (outbound, id(ranges_op))
            if key in seen:
                continue
            seen.add(key)
            yield from self._state(inv, cluster, outbound, ranges, ranges_op, op)

    def _state(self, inv: Inventory, cluster: Cluster, outbound: str, ranges: list[Value], ranges_op: Operation,
               op: Operation) -> Iterator[Finding]:
        name = cluster.name
        where = _loc(ranges[0], ranges_op.location)
        migrated = op is not ranges_op
        if migrated:
            type_value = op.changes.get("outbound_type")
            where = _loc(type_value if isinstance(type_value, Value) else None, op.location)
        subject = f"{cluster.ref}:{where.line}:{where.column}"
        for value in ranges:
            if value.known is not None and value.known.strip() == "0.0.0.0/32":
                yield self.finding(
                    f"authorized IP range 0.0.0.0/32 of cluster '{name}' allows only the load balancer's outbound "
                    f"IPs, but outbound type {outbound} has none: nodes cannot reach the API server; list the "
                    f"egress public IPs instead", _loc(value, where), subject=f"{subject}:zero")
                return
        if outbound in (NONE, BLOCK):
            return
        if outbound in (MANAGED_NAT, MANAGED_NAT_V2):
            yield _skipped(f"the public IPs of the managed NAT gateway of cluster '{name}' are created by AKS and "
                           f"not known to the scan (authorized IP ranges check)", where,
                           subject=f"EGL406:{cluster.ref}:managed-nat")
            return
        egress, unknown, unknown_value = self._egress_ips(inv, cluster, outbound)
        if unknown:
            yield unresolved(unknown_value, f"{unknown} (needed to check the authorized IP ranges of cluster "
                             f"'{name}')", _loc(unknown_value, where), subject=f"EGL406:{subject}:path")
            return
        missing: list[EgressIp] = []
        maybe: list[Value] = []
        for ip in egress:
            verdict, undecided = self._covered(inv, ranges, ip)
            if verdict is False:
                missing.append(ip)
            elif verdict is None:
                maybe.extend(undecided)
        if missing:
            listed = ", ".join(v.describe() for v in ranges)
            what = "; ".join(ip.what for ip in missing)
            if migrated:
                head = (f"after migrating cluster '{name}' to {outbound}, its API server authorized IP ranges "
                        f"({listed}) lack its egress IPs")
            elif ranges_op.action == "update":
                head = (f"--api-server-authorized-ip-ranges on cluster '{name}' replaces the list (it does not "
                        f"append) with {listed}, which lacks the cluster's egress IPs")
            else:
                head = f"API server authorized IP ranges of cluster '{name}' ({listed}) lack its egress IPs"
            related = [Related(ip.owner_location, ip.what) for ip in missing if ip.owner_location is not None]
            yield self.finding(
                f"{head}: {what}; nodes egress through them ({outbound}) and cannot reach the API server; add "
                f"them to the ranges", where, related, subject=subject)
        elif maybe:
            value = maybe[0]
            yield unresolved(value, f"authorized IP range of cluster '{name}' (is it the egress IP?)",
                             _loc(value, where), subject=f"EGL406:{subject}:maybe")

    def _egress_ips(self, inv: Inventory, cluster: Cluster,
                    outbound: str) -> tuple[list[EgressIp], str, Value | None]:
        """The public IPs the cluster's egress leaves from; or what is unknown (and its value)."""
        out: list[EgressIp] = []
        if outbound == USER_NAT:
            for subnet, pools in inv.node_subnets(cluster):
                if subnet is None or not subnet.declared:
                    value = next((p.vnet_subnet_value for p in pools if p.vnet_subnet_value is not None), None)
                    return [], f"NAT gateway of the node subnet of cluster '{cluster.name}'", value
                if subnet.nat_gateway is None:
                    continue  # none at all: EGL401's error; nothing egresses here to authorize
                gw = inv.typed(subnet.nat_gateway, NatGateway)
                if gw is None:
                    return [], f"NAT gateway of subnet '{subnet.name}'", None
                out.extend(_nat_ips(inv, gw))
            return out, "", None
        if outbound != UDR:
            return [], "", None
        for path in inv.egress_paths(cluster):
            if path.subnet is None:
                value = next((p.vnet_subnet_value for p in path.pools if p.vnet_subnet_value is not None), None)
                return [], f"node subnet of cluster '{cluster.name}'", value
            fw = path.firewall
            if fw is None or path.route is None or path.route.next_hop_type != "VirtualAppliance":
                route = path.route.route if path.route is not None else None
                value = (route.next_hop_ip or route.address_prefix) if route is not None else path.subnet.route_table_value
                return [], f"egress appliance of subnet '{path.subnet.name}'", value
            out.extend(_firewall_egress_ips(inv, fw))
        return out, "", None

    @staticmethod
    def _covered(inv: Inventory, ranges: list[Value], ip: EgressIp) -> tuple[bool | None, list[Value]]:
        """True when some range covers the IP, False when none can, None when it cannot be told."""
        pip = ip.pip
        address = None
        if pip is not None and pip.ip_address is not None:
            resolved = inv.resolve(pip.ip_address) or pip.ip_address
            address = net.parse_ip(resolved.known) if resolved.known else None
        undecided: list[Value] = []
        for raw in ranges:
            value = inv.resolve(raw) or raw
            if value.symbol is not None:
                sym = value.symbol
                target = inv.get(sym.ref)
                same = (target is not None and target in (pip, ip.prefix)) or _same_ref(sym.ref, ip.ref)
                if same and sym.suffix in ("", "/32") and sym.query.lower() in ("ipaddress", "ipprefix"):
                    return True, []
                if sym.ref.kind in ("public_ip", "public_ip_prefix") and not same:
                    continue  # another public IP's address
                undecided.append(raw)
                continue
            if value.known is not None:
                network = net.parse_network(value.known.strip())
                if network is None:
                    continue
                if network.prefixlen == 0:
                    return True, []
                if address is not None:
                    if address.version == network.version and address in network:
                        return True, []
                    continue
                if pip is not None and pip.declared:
                    continue  # an address allocated by this scan could not have been written down
                undecided.append(raw)
                continue
            if "never assigned" in value.reason or "is not set" in value.reason or "," in value.text:
                undecided.append(raw)  # set by the pipeline, or a list with parts: could hold it
            # a single value computed at run time by another command (the developer's own IP) is not it
        if undecided:
            return None, undecided
        return False, []


def _same_ref(a: Ref, b: Ref) -> bool:
    """The same resource, allowing a resource group that one side does not know."""
    if a == b:
        return True
    return a.loose_key() == b.loose_key() and (a.group is None or b.group is None or a.group == b.group)


def _nat_ips(inv: Inventory, gw: NatGateway) -> list[EgressIp]:
    out = []
    for ref in gw.public_ips:
        out.append(EgressIp(ref, inv.typed(ref, PublicIp), None, f"public IP '{ref.label}' of NAT gateway '{gw.name}'",
                            gw.location if gw.declared else None))
    for ref in gw.public_ip_prefixes:
        out.append(EgressIp(ref, None, inv.typed(ref, PublicIpPrefix),
                            f"public IP prefix '{ref.label}' of NAT gateway '{gw.name}'",
                            gw.location if gw.declared else None))
    return out


def _firewall_nat_gateway(inv: Inventory, fw: Firewall) -> NatGateway | None:
    subnet = inv.firewall_subnet(fw)
    return inv.typed(subnet.nat_gateway, NatGateway) if subnet is not None else None


def _firewall_egress_ips(inv: Inventory, fw: Firewall) -> list[EgressIp]:
    gw = _firewall_nat_gateway(inv, fw)
    if gw is not None:
        return _nat_ips(inv, gw)
    return [EgressIp(ref, pip, None, f"public IP '{ref.label}' of firewall '{fw.name}'",
                     fw.location if fw.declared else None)
            for ref, pip in inv.firewall_public_ips(fw)]


# --------------------------------------------------------------------------- EGL408


def _firewall_paths(inv: Inventory, cluster: Cluster) -> list[EgressPath]:
    """Egress paths of a userDefinedRouting cluster that lead to a scanned firewall."""
    if inv.outbound_type(cluster) != UDR:
        return []
    return [p for p in inv.egress_paths(cluster)
            if p.firewall is not None and p.route is not None and p.route.next_hop_type == "VirtualAppliance"]


def _nat_rules(inv: Inventory, fw: Firewall) -> list[NatRule]:
    collections = inv.children(fw, RuleCollection)
    if fw.policy is not None:
        for group in inv.children(fw.policy, RuleCollectionGroup):
            collections.extend(inv.children(group, RuleCollection))
    return [rule for c in collections for rule in inv.children(c, NatRule)]


class AsymmetricRouting(Rule):
    id = "EGL408"
    name = "asymmetric-routing"
    severity = Severity.WARNING
    summary = "A public LoadBalancer Service on a cluster whose egress goes through a firewall by UDR."
    rationale = (
        "With outbound type `userDefinedRouting` the node subnet's default route leads to the firewall's "
        "private IP. A public LoadBalancer Service receives traffic on the load balancer's public IP, but the "
        "replies follow the default route to the firewall, which never saw the connection and drops them: "
        "the Service is unreachable (asymmetric routing). Either make the Service internal "
        "(`service.beta.kubernetes.io/azure-load-balancer-internal: \"true\"`) and publish it through a "
        "firewall DNAT rule, or DNAT on the firewall's public IP (then also add the "
        "`<firewall public IP>/32 -> Internet` route, EGL103), or put an Application Gateway in front."
    )
    example = ("az aks create -g rg -n aks --outbound-type userDefinedRouting --vnet-subnet-id $SUBNET_ID\n"
               "kubectl expose deployment nginx --name nginx --port=80 --type LoadBalancer")
    fix = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: nginx\n  annotations:\n"
           "    service.beta.kubernetes.io/azure-load-balancer-internal: \"true\"\n"
           "spec:\n  type: LoadBalancer\n  ports: [{port: 80}]\n  selector: {app: nginx}\n"
           "# then: az network firewall nat-rule create ... --destination-addresses $FW_PUBLIC_IP "
           "--translated-address <internal LB IP>")
    sources = (INTEGRATE_LB, LIMIT_EGRESS, EGRESS_UDR, INTERNAL_LB_DOC)
    applies_to = ("k8s_service", "cluster", "firewall", "nat_rule")
    tags = ("asymmetric-routing", "firewall", "kubernetes")
    precision = "medium"

    def check(self, inv: Inventory) -> Iterator[Finding]:
        clusters = inv.all(Cluster)
        if not clusters:
            return
        for svc in inv.all(KubernetesService):
            kind = svc.service_type
            if kind is None or (kind.known or "").lower() != "loadbalancer":
                continue
            internal = svc.annotations.get(INTERNAL_LB_ANNOTATION)
            if internal is not None:
                if internal.known is None or internal.known.strip().lower() == "true":
                    continue  # internal (or unknown: a value the scan cannot judge)
            candidates = [c for c in clusters if c.location.file == svc.location.file] or clusters
            paths = {id(c): _firewall_paths(inv, c) for c in candidates}
            if not all(paths.values()):
                continue  # it may run on a cluster whose egress is not a firewall UDR
            firewalls: list[Firewall] = []
            for c in candidates:
                for p in paths[id(c)]:
                    if p.firewall is not None and p.firewall not in firewalls:
                        firewalls.append(p.firewall)
            if any(self._dnat_to(inv, fw, svc) for fw in firewalls):
                continue
            names = ", ".join(f"'{c.name}'" for c in candidates)
            fw_names = ", ".join(f"'{fw.name}'" for fw in firewalls)
            related = [Related(c.location, f"cluster '{c.name}' (userDefinedRouting)") for c in candidates]
            related += [Related(fw.location, f"firewall '{fw.name}'") for fw in firewalls if fw.declared]
            yield self.finding(
                f"Service '{svc.name}' is a public LoadBalancer, but cluster {names} sends egress through firewall "
                f"{fw_names} by UDR and no firewall DNAT rule translates to it: replies leave through the "
                f"firewall, which drops them (asymmetric routing); make it internal "
                f"({INTERNAL_LB_ANNOTATION}: \"true\") and publish it with a firewall DNAT rule",
                _loc(kind, svc.location), related, subject=f"{svc.ref}")

    @staticmethod
    def _dnat_to(inv: Inventory, fw: Firewall, svc: KubernetesService) -> bool:
        """True when a DNAT rule of ``fw`` translates (or may translate) to the Service's public IP."""
        ip_value = svc.annotations.get(LB_IPV4_ANNOTATION) or svc.load_balancer_ip
        service_ip = ip_value.known.strip() if ip_value is not None and ip_value.known else None
        for rule in _nat_rules(inv, fw):
            target = inv.resolve(rule.translated_address)
            if target is None:
                continue
            if target.known is None:
                return True  # e.g. $SERVICE_IP from kubectl get svc: may well be this Service
            if service_ip is not None:
                if target.known.strip() == service_ip:
                    return True
                continue
            address = net.parse_ip(target.known.strip())
            if address is not None and address.is_global:
                return True  # a public LB address: plausibly this Service's
        return False


# --------------------------------------------------------------------------- EGL410


class FirewallSnatCapacity(Rule):
    id = "EGL410"
    name = "firewall-snat-capacity"
    severity = Severity.INFO
    summary = "The egress firewall's SNAT capacity is below what the clusters behind it can need."
    rationale = (
        "Azure Firewall SNATs outbound traffic to its public IPs: 2,496 ports per public IP per instance, "
        "with at least two instances. Every cluster whose egress goes through the firewall by UDR shares "
        "that capacity; at its largest (all pools at autoscaler max-count plus upgrade surge) a cluster "
        "needs about max nodes x the per-node port budget (1,024, or `facts: {snat-ports-per-node: N}`). "
        "Microsoft recommends at least 20 public IPs on the firewall for production AKS. A NAT gateway on "
        "AzureFirewallSubnet takes over the firewall's SNAT with 64,512 ports per NAT IP and is counted "
        "instead. egresslint reports (as info) when the capacity falls short, and then names the "
        "recommendation."
    )
    example = ("az network firewall ip-config create -g rg -f fw -n cfg --public-ip-address fw-pip --vnet-name vnet\n"
               "az aks create -g rg -n aks --outbound-type userDefinedRouting --vnet-subnet-id $SUBNET_ID \\\n"
               "  --enable-cluster-autoscaler --min-count 3 --max-count 50")
    fix = ("# add public IPs to the firewall (20 recommended), or a NAT gateway on AzureFirewallSubnet\n"
           "az network nat gateway create -g rg -n fw-natgw --public-ip-addresses natgw-pip\n"
           "az network vnet subnet update -g rg --vnet-name vnet -n AzureFirewallSubnet --nat-gateway fw-natgw")
    sources = (FW_NAT_GATEWAY, LIMIT_EGRESS, AKS_NAT)
    applies_to = ("firewall", "cluster", "node_pool", "nat_gateway")
    tags = ("firewall", "snat")
    precision = "medium"

    def check(self, inv: Inventory) -> Iterator[Finding]:
        limits = azure_limits()
        budget = _budget(inv)
        behind: dict[int, tuple[Firewall, list[tuple[Cluster, ClusterSize]]]] = {}
        for cluster in inv.all(Cluster):
            paths = _firewall_paths(inv, cluster)
            if not paths:
                continue
            size = cluster_size(inv, cluster)
            if size is None:
                continue
            if size.unknown:
                yield from _size_unknowns(size)
                continue
            for fw in {id(p.firewall): p.firewall for p in paths if p.firewall is not None}.values():
                behind.setdefault(id(fw), (fw, []))[1].append((cluster, size))
        for fw, clusters in behind.values():
            need = sum(size.total for _c, size in clusters) * budget
            gw = _firewall_nat_gateway(inv, fw)
            if gw is not None:
                ips = len(gw.public_ips)
                for ref in gw.public_ip_prefixes:
                    addresses, _v = _prefix_addresses(inv.typed(ref, PublicIpPrefix))
                    ips += addresses or 0
                per_ip = limits.nat_snat_ports_per_ip.number
                have = ips * per_ip
                capacity = f"{_plural(ips, 'IP')} of NAT gateway '{gw.name}' on AzureFirewallSubnet x {_n(per_ip)} = {_n(have)}"
            else:
                ips = len(inv.firewall_public_ips(fw))
                per_ip = limits.fw_snat_ports_per_ip_per_instance.number
                instances = limits.fw_min_instances.number
                have = ips * per_ip * instances
                capacity = (f"{_plural(ips, 'public IP')} x {_n(per_ip)} ports x {instances} instances = {_n(have)}")
            if have >= need:
                continue
            demand = " + ".join(f"cluster '{c.name}' at {size.describe()}" for c, size in clusters)
            if len(clusters) > 1:
                demand = f"{_n(sum(size.total for _c, size in clusters))} nodes ({demand})"
            advice = ""
            recommended = limits.fw_recommended_public_ips.number
            if gw is None and ips < recommended:
                advice = (f"; Microsoft recommends at least {recommended} public IPs on Azure Firewall for "
                          f"production AKS, or a NAT gateway on AzureFirewallSubnet")
            elif gw is not None:
                advice = "; add public IPs to the NAT gateway"
            where = fw.location if fw.declared else clusters[0][0].location
            related = [Related(c.location, f"cluster '{c.name}'") for c, _s in clusters]
            yield self.finding(
                f"firewall '{fw.name}' SNAT capacity {capacity} ports is below the need of the clusters behind it: "
                f"{demand} x {_n(budget)} ports/node = {_n(need)}{advice}", where, related, subject=f"{fw.ref}")


# --------------------------------------------------------------------------- EGL411


class ClusterCidrPublicRange(Rule):
    id = "EGL411"
    name = "cluster-cidr-public-range"
    severity = Severity.WARNING
    summary = "A service or pod CIDR lies outside private address space."
    rationale = (
        "Service and pod ranges are virtual inside the cluster: traffic to an address in them never leaves "
        "the node (service range) or stays in the overlay (pod range). If they are public addresses, pods "
        "can never reach the real hosts that own them (an API, a CDN, a customer). Use private space: "
        "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10 (IPv6: fc00::/7). Public pod ranges "
        "are outside Microsoft's support scope. Ranges AKS reserves are EGL407's."
    )
    example = "az aks create -g rg -n aks --network-plugin kubenet --pod-cidr 20.0.0.0/16 --service-cidr 30.0.0.0/16"
    fix = "az aks create -g rg -n aks --network-plugin kubenet --pod-cidr 10.244.0.0/16 --service-cidr 10.0.0.0/16"
    sources = (OVERLAY_DOC, CONFIGURE_KUBENET)
    applies_to = ("cluster",)
    tags = ("cluster", "addressing")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        reserved = [ipaddress.ip_network(r) for r in RESERVED]  # the same list as net.RESERVED_AKS_RANGES
        for cluster in inv.all(Cluster):
            values = [("service CIDR", v) for v in cluster.service_cidrs]
            if uses_pod_cidr(cluster):
                values += [("pod CIDR", v) for v in cluster.pod_cidrs]
            for what, value in values:
                network = net.parse_network(value.known.strip()) if value.known else None
                if network is None:
                    continue
                if any(r.version == network.version and net.overlaps(network, r) for r in reserved):
                    continue  # EGL407
                if net.is_private(network):
                    continue
                yield self.finding(
                    f"{what} {network} of cluster '{cluster.name}' is not private address space: pods cannot "
                    f"reach the real hosts in that range; use 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or "
                    f"100.64.0.0/10" + (" (IPv6: fc00::/7)" if network.version == 6 else ""),
                    _loc(value, cluster.location), subject=f"{cluster.ref}:{what}:{network}")


RULES = (OutboundTypePrerequisite, NatGatewayLimits, LoadBalancerOutboundLimits, SnatPortExhaustion,
         OutboundTypeMigration, AuthorizedIpRangesMissingEgress, AsymmetricRouting, FirewallSnatCapacity,
         ClusterCidrPublicRange)
