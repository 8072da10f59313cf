"""EGL3xx: network security groups.

Decisions come from :mod:`egresslint.nsg` (priority order per direction with Azure's default
rules, VirtualNetwork expanded with what the scan knows). Azure's ``defaultSecurityRules`` and the
NSG AKS manages on node NICs (``aks-agentpool-<n>-nsg``) are never flagged.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from egresslint import net
from egresslint.checks.base import Rule
from egresslint.checks.cluster import uses_pod_cidr
from egresslint.checks.firewall import custom_dns_servers, path_source
from egresslint.checks.input import UnresolvedValue, unresolved
from egresslint.findings import Finding, Related, Severity
from egresslint.firewall import Flow, deciding_location, endpoint_flows
from egresslint.model import Cluster, Location, NetworkSecurityGroup, SecurityRule, Subnet, Value
from egresslint.net import AddressSet
from egresslint.nsg import (
    DEFAULT_RULES,
    USER_PRIORITY,
    NsgEntry,
    NsgRuleSet,
    deciding_entry,
    evaluate,
    nsg_rule_set,
)
from egresslint.packs import cluster_profile, required_endpoints

if TYPE_CHECKING:
    from egresslint.inventory import Inventory

NSG_OVERVIEW = "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview"
OUTBOUND_RULES = "https://learn.microsoft.com/azure/aks/outbound-rules-control-egress"
CONCEPTS_NETWORK = "https://learn.microsoft.com/azure/aks/concepts-network"
NSG_LIMITS = "https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits"
_AKS_MANAGED_NSG = re.compile(r"^aks-agentpool-\d+-nsg$", re.IGNORECASE)
EXEMPT_OUTBOUND = ("none", "block")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# The "Evaluation order" section of every EGL3xx rule (egresslint explain, docs/rules), the default
# rules rendered from the evaluator's own table; each rule appends an example (NSG_OVERVIEW).
NSG_ORDER = (
    "Azure evaluates a network security group's rules separately per direction, in ascending priority: "
    f"user rules ({USER_PRIORITY[0]}-{USER_PRIORITY[1]}, lower first), then the default rules, which cannot "
    "be removed but can be overridden: "
    + "; ".join(f"{direction} " + ", ".join(f"{name} ({prio}, {access} {src} to {dst})"
                                             for name, prio, access, src, dst in rules)
                for direction, rules in DEFAULT_RULES.items())
    + ". The first matching rule decides (rules are terminating; NSGs are stateful, so replies to an "
    "allowed connection pass). A rule side holds addresses or one service tag: `AzureCloud` holds "
    "`AzureCloud.westeurope`, `VirtualNetwork` the VNet's address space."
)


def _loc(value: Value | None, fallback: Location) -> Location:
    return value.location if value is not None and value.location is not None else fallback


def _managed(group: NetworkSecurityGroup) -> bool:
    return bool(_AKS_MANAGED_NSG.match(group.name))


def node_nsgs(inv: Inventory, cluster: Cluster) -> Iterator[tuple[Subnet, NetworkSecurityGroup]]:
    """(node subnet, its NSG) for every node subnet of ``cluster`` with a scanned NSG."""
    for subnet, _pools in inv.node_subnets(cluster):
        if subnet is None or subnet.nsg is None:
            continue
        group = inv.typed(subnet.nsg, NetworkSecurityGroup)
        if group is not None and group.declared and not _managed(group):
            yield subnet, group


def _rule_text(e: NsgEntry, group: NetworkSecurityGroup) -> str:
    return (f"security rule '{e.name}' (priority {e.priority}, {e.direction or 'both directions'}) of network "
            f"security group '{group.name}'")


def _where(e: NsgEntry) -> Location:
    return e.location if e.rule is None else deciding_location(e.rule)


# =========================================================================== EGL301


def _cluster_networks(inv: Inventory, cluster: Cluster) -> list[Network]:
    nets: list[Network] = []
    for subnet, _pools in inv.node_subnets(cluster):
        if subnet is not None:
            nets.extend(n for p in subnet.address_prefixes if p.known and (n := net.parse_network(p.known)))
    if uses_pod_cidr(cluster):
        nets.extend(n for p in cluster.pod_cidrs if p.known and (n := net.parse_network(p.known)))
    nets.extend(n for p in cluster.service_cidrs if p.known and (n := net.parse_network(p.known)))
    return list(dict.fromkeys(nets))


def _restrict(side: AddressSet, nets: list[Network]) -> list[Network]:
    """The parts of the cluster networks ``nets`` that a rule side holds for certain."""
    out: list[Network] = []
    for n in nets:
        one = AddressSet.parse([str(n)])
        if side.covers(one) is True:
            out.append(n)
            continue
        for m in side.networks:
            if m.version == n.version and m.overlaps(n):
                out.append(m if m.subnet_of(n) else n)  # type: ignore[arg-type]
    return list(dict.fromkeys(out))


class NsgBlocksIntraCluster(Rule):
    id = "EGL301"
    name = "nsg-blocks-intra-cluster"
    severity = Severity.ERROR
    summary = "An NSG on a cluster's node subnet denies traffic between the cluster's own addresses."
    rationale = (
        "Nodes talk to each other and pods talk to pods across nodes (CoreDNS, kube-proxy, overlay and kubenet "
        "routing, Services). AKS does not support blocking that internal traffic with NSGs or firewalls; use "
        "Kubernetes network policies instead. A user deny such as `* -> *` overrides Azure's default "
        "VirtualNetwork allows for the node subnet, the pod CIDR (kubenet, CNI Overlay) and the service CIDR "
        "too. Denying other subnets of the VNet is legitimate and not flagged, nor is a deny that an earlier "
        "allow for the cluster's ranges overrides."
    )
    evaluation = NSG_ORDER + (
        "\nFor example, with user rule 'deny-all-out' (priority 4000: deny `*` to `*`) on the node subnet's "
        "NSG, traffic from node 10.42.1.4 to node 10.42.1.5 is denied by it before AllowVnetOutBound (65000) "
        "is reached; a rule 'allow-intra-cluster' (priority 3900: allow VirtualNetwork to VirtualNetwork) "
        "decides first and keeps it open."
    )
    example = (
        "az network nsg rule create -g rg --nsg-name aks-nsg -n deny-all-out --priority 4000 \\\n"
        "  --direction Outbound --access Deny --protocol '*' --source-address-prefixes '*' \\\n"
        "  --destination-address-prefixes '*' --destination-port-ranges '*'"
    )
    fix = (
        "az network nsg rule create -g rg --nsg-name aks-nsg -n allow-intra-cluster --priority 3900 \\\n"
        "  --direction Outbound --access Allow --protocol '*' --source-address-prefixes VirtualNetwork \\\n"
        "  --destination-address-prefixes VirtualNetwork --destination-port-ranges '*'\n"
        "# or deny only what must be denied: --destination-address-prefixes Internet"
    )
    sources = (OUTBOUND_RULES, CONCEPTS_NETWORK, NSG_OVERVIEW)
    applies_to = ("nsg", "security_rule", "subnet", "cluster")
    tags = ("nsg",)

    def check(self, inv: Inventory) -> Iterator[Finding]:
        reported: set[int] = set()
        for cluster in inv.all(Cluster):
            nets = _cluster_networks(inv, cluster)
            if not nets:
                continue
            for subnet, group in node_nsgs(inv, cluster):
                rs = nsg_rule_set(inv, group, subnet)
                for direction in ("inbound", "outbound"):
                    for e in self._blocking(rs, direction, nets):
                        if e.rule is None or id(e.rule) in reported:
                            continue
                        reported.add(id(e.rule))
                        src = ", ".join(str(n) for n in _restrict(e.source.addresses, nets))
                        dst = ", ".join(str(n) for n in _restrict(e.destination.addresses, nets))
                        yield self.finding(
                            f"{_rule_text(e, group)} on node subnet '{subnet.name}' denies traffic between the "
                            f"addresses of cluster '{cluster.name}' ({src} -> {dst}): blocking intra-cluster "
                            f"traffic with NSGs is not supported by AKS; narrow the rule or allow the cluster's "
                            f"ranges at a lower priority number",
                            _where(e), [Related(subnet.location, f"node subnet '{subnet.name}'")]
                            + ([Related(cluster.location, f"cluster '{cluster.name}'")] if cluster.declared else []),
                            subject=f"{e.rule.ref}")

    @staticmethod
    def _blocking(rs: NsgRuleSet, direction: str, nets: list[Network]) -> Iterator[NsgEntry]:
        earlier: list[NsgEntry] = []
        for e in rs.entries[direction]:
            if e.platform or e.priority is None or e.access not in ("allow", "deny"):
                earlier.append(e)
                continue
            if e.access == "deny":
                src = _restrict(e.source.addresses, nets)
                dst = _restrict(e.destination.addresses, nets)
                if src and dst and not e.protocols.is_empty and not e.ports.is_empty:
                    s, d = AddressSet.parse([str(n) for n in src]), AddressSet.parse([str(n) for n in dst])
                    if not any(a.access == "allow" and a.priority is not None and a.priority < e.priority
                               and a.protocols.covers(e.protocols) is True and a.ports.covers(e.ports) is True
                               and a.source.addresses.covers(s) is True and a.destination.addresses.covers(d) is True
                               for a in earlier):
                        yield e
            earlier.append(e)


# =========================================================================== EGL302


class NsgBlocksRequiredEgress(Rule):
    id = "EGL302"
    name = "nsg-blocks-required-egress"
    severity = Severity.ERROR
    summary = "An outbound NSG rule on a node subnet denies an endpoint AKS requires before any allow."
    rationale = (
        "An NSG filters on the packet's real destination, even when a route sends the traffic to a firewall, "
        "so an outbound deny on the node subnet blocks what the firewall would have allowed. AKS's outbound "
        "dependencies are almost all FQDNs without fixed addresses, which is why Microsoft recommends against "
        "deny-all outbound NSG rules. The endpoints are those of EGL201/EGL202 (requirements pack "
        "rules/aks-egress-requirements.yaml). Clusters with outbound type `none` or `block` "
        "(network-isolated designs) are exempt."
    )
    evaluation = NSG_ORDER + " Outbound, the node subnet's NSG decides before any firewall sees the packet." + (
        "\nFor example, user rule 'deny-internet' (priority 4000: deny `*` to `Internet`) denies HTTPS to "
        "`mcr.microsoft.com` before AllowInternetOutBound (65001) is reached; with 'allow-https' (priority "
        "3900: allow TCP 443 to `Internet`) it is allowed by that rule, while UDP 1194 to "
        "`AzureCloud.westeurope` is still denied by 'deny-internet'."
    )
    example = (
        "az network nsg rule create -g rg --nsg-name aks-nsg -n deny-internet --priority 4000 \\\n"
        "  --direction Outbound --access Deny --protocol '*' --source-address-prefixes '*' \\\n"
        "  --destination-address-prefixes Internet --destination-port-ranges '*'"
    )
    fix = (
        "# filter egress on the firewall (application rules), not with NSG denies; if a deny is required,\n"
        "# allow what AKS needs first:\n"
        "az network nsg rule create -g rg --nsg-name aks-nsg -n allow-https --priority 3900 \\\n"
        "  --direction Outbound --access Allow --protocol Tcp --source-address-prefixes '*' \\\n"
        "  --destination-address-prefixes Internet --destination-port-ranges 443"
    )
    sources = (OUTBOUND_RULES, NSG_OVERVIEW)
    applies_to = ("nsg", "security_rule", "subnet", "cluster")
    tags = ("nsg", "aks-requirements")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for cluster in inv.all(Cluster):
            if inv.outbound_type(cluster).lower() in EXEMPT_OUTBOUND:
                continue
            profile = cluster_profile(inv, cluster)
            for path in inv.egress_paths(cluster):
                subnet = path.subnet
                if subnet is None or subnet.nsg is None:
                    continue
                group = inv.typed(subnet.nsg, NetworkSecurityGroup)
                if group is None or not group.declared or _managed(group):
                    continue
                rs = nsg_rule_set(inv, group, subnet)
                source = path_source(inv, path)
                dns = custom_dns_servers(inv, path, None)
                blocked: dict[int, tuple[NsgEntry, list[str]]] = {}
                for ep in required_endpoints(profile, custom_dns=bool(dns)):
                    if ep.custom_dns:
                        checks = [(f"UDP 53 to custom DNS server {ip.known}",
                                   [Flow.to_addresses([ip.known or ""], "udp", 53, source)]) for ip in dns]
                    else:
                        checks = [(ep.label(profile.region), endpoint_flows(ep, profile.region, (), source))]
                    for label, flows in checks:
                        decisions = [evaluate(rs, f) for f in flows]
                        if not decisions or any(not d.denied for d in decisions):
                            continue
                        entry = deciding_entry(rs, decisions[0])
                        if entry is None or entry.platform:
                            continue
                        blocked.setdefault(id(entry), (entry, []))[1].append(label)
                for entry, labels in blocked.values():
                    shown = ", ".join(dict.fromkeys(labels))
                    yield self.finding(
                        f"{_rule_text(entry, group)} on node subnet '{subnet.name}' of cluster '{cluster.name}' "
                        f"denies egress AKS requires before any rule allows it: {shown}",
                        _where(entry), [Related(subnet.location, f"node subnet '{subnet.name}'")],
                        subject=f"{entry.rule.ref if entry.rule else group.ref}:{cluster.ref}")


# =========================================================================== EGL303

_IPISH = re.compile(r"^(?=.*[0-9])[0-9a-fA-F.:/]+$")


class NsgRuleInvalid(Rule):
    id = "EGL303"
    name = "nsg-rule-invalid"
    severity = Severity.ERROR
    summary = "A user-defined NSG rule has an invalid priority, a duplicate priority, or an invalid port or prefix."
    rationale = (
        "User rules take priorities 100-4096 (lower first) and no two rules of one NSG may share a priority in "
        "the same direction; ports are 0-65535 (single or `low-high`); a rule side is `*`, addresses (CIDRs, "
        "IPs, ranges) or exactly one service tag. Azure rejects anything else, and the az CLI does not check "
        "priorities client-side, so the error only shows at deployment. Azure's own default rules "
        "(65000-65500) are never flagged."
    )
    evaluation = NSG_ORDER + (
        "\nFor example, outbound rules 'a' (priority 200, allow) and 'b' (priority 200, deny) leave no order "
        "between them, so Azure rejects the second; 'allow-https' at priority 5000 is rejected too, while at "
        "4096, the last user priority, it is still evaluated before DenyAllOutBound (65500)."
    )
    example = (
        "az network nsg rule create -g rg --nsg-name aks-nsg -n allow-https --priority 5000 \\\n"
        "  --direction Outbound --access Allow --protocol Tcp --destination-port-ranges 443-80"
    )
    fix = (
        "az network nsg rule create -g rg --nsg-name aks-nsg -n allow-https --priority 400 \\\n"
        "  --direction Outbound --access Allow --protocol Tcp --destination-port-ranges 443"
    )
    sources = (NSG_OVERVIEW, NSG_LIMITS)
    applies_to = ("nsg", "security_rule")
    tags = ("nsg",)

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for group in inv.all(NetworkSecurityGroup):
            if _managed(group):
                continue
            seen: dict[tuple[str, int], SecurityRule] = {}
            for rule in inv.children(group, SecurityRule):
                if rule.platform_default or not rule.declared:
                    continue
                yield from self._rule(inv, group, rule, seen)

    def _rule(self, inv: Inventory, group: NetworkSecurityGroup, rule: SecurityRule,
              seen: dict[tuple[str, int], SecurityRule]) -> Iterator[Finding]:
        title = f"security rule '{rule.name}' of network security group '{group.name}'"
        subject = f"{rule.ref}"
        pv = inv.resolve(rule.priority) if rule.priority is not None else None
        if pv is not None and pv.known is None:
            yield unresolved(pv, f"priority of {title}", _loc(pv, rule.location), subject=f"EGL303:{subject}")
        elif pv is not None:
            where = _loc(rule.priority, rule.location)
            try:
                prio = int(pv.known.strip())  # type: ignore[union-attr]
            except ValueError:
                prio = None
            if prio is None or not USER_PRIORITY[0] <= prio <= USER_PRIORITY[1]:
                yield self.finding(f"{title} has priority {pv.known}; user rules take 100-4096", where,
                                   subject=f"{subject}:priority")
            else:
                direction = ((inv.resolve(rule.direction) or rule.direction).known or "?").lower() \
                    if rule.direction is not None else "inbound"
                other = seen.get((direction, prio))
                if other is not None:
                    yield self.finding(
                        f"{title} has priority {prio}, like '{other.name}' in the same direction ({direction}): "
                        f"Azure rejects two rules with one priority and direction", where,
                        [Related(_loc(other.priority, other.location), f"security rule '{other.name}'")],
                        subject=f"{subject}:duplicate")
                else:
                    seen[(direction, prio)] = rule
        for field_name, what in (("destination_ports", "destination port"), ("source_ports", "source port")):
            for v in getattr(rule, field_name):
                r = inv.resolve(v) or v
                if r.known is None:
                    continue
                bad = net.PortSet.parse([r.known]).invalid
                if bad:
                    yield self.finding(f"{title} has {what} range {', '.join(bad)}: ports are 0-65535 and a range "
                                       f"is low-high", _loc(v, rule.location), subject=f"{subject}:{field_name}")
        for field_name, what in (("source_prefixes", "source"), ("destination_prefixes", "destination")):
            yield from self._prefixes(inv, rule, title, getattr(rule, field_name), what, subject)

    def _prefixes(self, inv: Inventory, rule: SecurityRule, title: str, values: list[Value], what: str,
                  subject: str) -> Iterator[Finding]:
        tags: list[str] = []
        addresses = 0
        for v in values:
            r = inv.resolve(v) or v
            if r.known is None:
                continue
            for token in r.known.replace(",", " ").split():
                where = _loc(v, rule.location)
                if token.lower() in ("*", "any"):
                    addresses += 1
                    continue
                if net.parse_network(token) is not None or _range(token):
                    addresses += 1
                    continue
                if _IPISH.match(token):
                    yield self.finding(f"{title} has {what} prefix '{token}', which is not a valid IP address "
                                       f"or CIDR", where, subject=f"{subject}:{what}:{token}")
                    continue
                if not net.looks_like_tag(token):
                    continue  # a value the frontends kept as text (ASG IDs...): not for this rule
                tags.append(token)
                if net.known_service_tag(token):
                    continue
                closest = net.closest_service_tag(token)
                if closest is not None and closest.lower() != token.lower():
                    yield self.finding(f"{title} has {what} prefix '{token}', which is not a service tag; did you "
                                       f"mean '{closest}'?", where, subject=f"{subject}:{what}:{token}")
                else:
                    yield Finding(UnresolvedValue.id, f"{what} prefix '{token}' of {title} is not in egresslint's "
                                  f"list of service tags (it may be new); EGL303 could not check it",
                                  UnresolvedValue.severity, where, subject=f"EGL303:{subject}:{token}")
        if len(tags) > 1 or (tags and addresses):
            yield self.finding(
                f"{title} combines {what} prefixes {', '.join(tags) if len(tags) > 1 else tags[0] + ' with addresses'}: "
                f"a rule side takes addresses or exactly one service tag", _loc(values[0], rule.location),
                subject=f"{subject}:{what}:combined")


def _range(token: str) -> bool:
    first, dash, last = token.partition("-")
    return bool(dash) and net.parse_ip(first) is not None and net.parse_ip(last) is not None


RULES = (NsgBlocksIntraCluster, NsgBlocksRequiredEgress, NsgRuleInvalid)
