"""EGL2xx: Azure Firewall rules.

Decisions come from :mod:`egresslint.firewall`, which evaluates a firewall's effective rule set
(classic collections, or its policy with the base-policy chain, parent first) in Azure's order:
DNAT, then network rules, then application rules; within a kind ascending priority; first
match wins; deny by default. What AKS needs comes from the requirements pack
(``rules/aks-egress-requirements.yaml``, :mod:`egresslint.packs`).

EGL201, EGL202, EGL207 and EGL208 look at firewalls on some cluster's computed egress path;
EGL203-EGL206 and EGL209 at every declared firewall and firewall policy. Anything the scan cannot
decide is EGL004 (info), never an error.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from egresslint import net
from egresslint import nsg as nsg_eval
from egresslint.checks.base import Rule, from_script, setter
from egresslint.checks.input import UnresolvedValue, unresolved
from egresslint.findings import Finding, Related, Severity
from egresslint.firewall import (
    ALLOWED,
    DENIED,
    Decision,
    Entry,
    Flow,
    RuleSet,
    deciding_location,
    endpoint_flows,
    evaluate,
    evaluate_any,
    policy_chain,
    policy_rule_set,
    rule_set,
    sentinel,
)
from egresslint.model import (
    ApplicationRule,
    Cluster,
    Firewall,
    FirewallPolicy,
    Location,
    NatRule,
    NetworkRule,
    NetworkSecurityGroup,
    Resource,
    RuleCollection,
    RuleCollectionGroup,
    Value,
)
from egresslint.net import AddressSet
from egresslint.packs import (
    AKS_FQDN_TAG,
    ClusterProfile,
    Endpoint,
    PackEntry,
    attach,
    cluster_profile,
    fill_region,
    required_endpoints,
    user_packs,
)

if TYPE_CHECKING:
    from egresslint.inventory import EgressPath, Inventory

OUTBOUND_RULES = "https://learn.microsoft.com/azure/aks/outbound-rules-control-egress"
LIMIT_EGRESS = "https://learn.microsoft.com/azure/aks/limit-egress-traffic"
RULE_PROCESSING = "https://learn.microsoft.com/azure/firewall/rule-processing"
POLICY_RULE_SETS = "https://learn.microsoft.com/azure/firewall/policy-rule-sets"
FQDN_NETWORK_RULES = "https://learn.microsoft.com/azure/firewall/fqdn-filtering-network-rules"
DNS_SETTINGS = "https://learn.microsoft.com/azure/firewall/dns-settings"
FQDN_TAGS = "https://learn.microsoft.com/azure/firewall/fqdn-tags"
SERVICE_TAGS = "https://learn.microsoft.com/azure/firewall/service-tags"
FIREWALL_FAQ = "https://learn.microsoft.com/azure/firewall/firewall-faq"

EXEMPT_OUTBOUND = ("none", "block")  # network-isolated designs need no egress
PRIORITY_RANGE = (100, 65000)

# The "Evaluation order" section of every EGL2xx rule (egresslint explain, docs/rules): each rule
# appends an example of how this order produces what it reports. Sources: RULE_PROCESSING,
# POLICY_RULE_SETS and learn.microsoft.com/azure/firewall-manager/rule-processing (DNAT).
FIREWALL_ORDER = (
    "Azure Firewall decides each connection in this order: (1) DNAT rules - a DNAT match is translated "
    "and allowed, nothing else is consulted; (2) network rules; (3) application rules, only for HTTP, "
    "HTTPS and MSSQL traffic that no network rule matched. Within a kind, collections run in ascending "
    "priority (100-65000, lower first); with a firewall policy, the parent policy's rule collection groups "
    "come before the child's whatever their priority, then rule collection group priority, then collection "
    "priority (classic rules on the firewall do not apply then). The first matching rule decides (rules "
    "are terminating); traffic no rule matches is denied by default. Service tags are sets of addresses: "
    "`AzureCloud` holds `AzureCloud.westeurope`. Application-rule FQDNs may start with `*`: `*.contoso.com` "
    "matches `a.contoso.com` but not `contoso.com`."
)


def _loc(value: Value | None, fallback: Location) -> Location:
    return value.location if value is not None and value.location is not None else fallback


def _undecided(message: str, location: Location, subject: str) -> Finding:
    return Finding(UnresolvedValue.id, message, UnresolvedValue.severity, location, subject=subject)


def _exempt(inv: Inventory, cluster: Cluster) -> bool:
    return inv.outbound_type(cluster).lower() in EXEMPT_OUTBOUND


def firewall_paths(inv: Inventory) -> Iterator[tuple[Cluster, EgressPath, Firewall]]:
    """(cluster, egress path, firewall) for every firewall on some cluster's egress path (the
    node subnet's default route leads to the firewall's private IP), once per cluster and
    firewall. A route to the firewall's public IP is EGL102's business: nothing reaches the
    firewall's rules that way."""
    for cluster in inv.all(Cluster):
        seen: set[int] = set()
        for path in inv.egress_paths(cluster):
            fw = path.firewall
            if fw is not None and path.hop is not None and path.hop.relation == "private" and id(fw) not in seen:
                seen.add(id(fw))
                yield cluster, path, fw


def path_source(inv: Inventory, path: EgressPath) -> AddressSet:
    """The cluster's traffic as a source: its node subnet's prefixes (pods SNAT to the node IP
    with kubenet and CNI Overlay; flat Azure CNI pods live in the subnet)."""
    subnet = path.subnet
    if subnet is None:
        return AddressSet.parse([sentinel(f"node-subnet-of-{path.cluster.name}")])
    items: list[str] = []
    for p in subnet.address_prefixes:
        r = inv.resolve(p) or p
        items.append(r.known if r.known is not None else sentinel(r))
    return AddressSet.parse(items or [sentinel(f"prefixes-of-{subnet.name}")])


def custom_dns_servers(inv: Inventory, path: EgressPath, fw: Firewall | None) -> list[Value]:
    """The node VNet's custom DNS servers whose traffic crosses ``fw`` (all of them when ``fw`` is
    None). Azure DNS (168.63.129.16) and the firewall's own DNS proxy address are left out."""
    if path.subnet is None:
        return []
    vnet = inv.vnet_of(path.subnet)
    if vnet is None:
        return []
    out: list[Value] = []
    private = inv.firewall_private_ip(fw).known if fw is not None else None
    for v in vnet.dns_servers:
        r = inv.resolve(v) or v
        ip = net.parse_ip(r.known) if r.known else None
        if ip is None or str(ip) == "168.63.129.16" or str(ip) == private:
            continue
        if fw is not None:
            route = inv.effective_route(path.subnet, str(ip))
            if route.next_hop_type != "VirtualAppliance" or not route.certain:
                continue
            if inv.hop_target(route.next_hop_ip).firewall is not fw:
                continue
        out.append(r)
    return out


def _dns_flow(ip: Value, source: AddressSet) -> Flow:
    return Flow.to_addresses([ip.known or ""], "udp", 53, source, f"UDP 53 to custom DNS server {ip.known}")


def _cluster_related(inv: Inventory, cluster: Cluster, path: EgressPath | None = None) -> list[Related]:
    out = [Related(_loc(cluster.outbound_type, cluster.location), f"cluster '{cluster.name}'")]
    if path is not None and path.route is not None and path.route.route is not None:
        out.append(Related(path.route.route.location, f"route '{path.route.route.name}' to the firewall"))
    return out


def _label_list(items: Sequence[str], limit: int = 40) -> str:
    shown = list(dict.fromkeys(items))
    text = ", ".join(shown[:limit])
    return text + (f" and {len(shown) - limit} more" if len(shown) > limit else "")


@functools.lru_cache(maxsize=1024)
def _required(profile: ClusterProfile, custom_dns: bool, kind: str) -> tuple[Endpoint, ...]:
    """:func:`required_endpoints`, memoised for the profiles of a large project: called with the
    profile's ``name`` blanked (the pack's conditions never read it), the few distinct profiles
    of thousands of clusters share one answer."""
    return tuple(required_endpoints(profile, custom_dns=custom_dns, rule=kind))


class _Requirements:
    """Evaluate the pack's endpoints of one kind for one (cluster, path, firewall)."""

    def __init__(self, inv: Inventory, cluster: Cluster, path: EgressPath, fw: Firewall, kind: str) -> None:
        self.inv, self.cluster, self.path, self.fw, self.kind = inv, cluster, path, fw, kind
        self.rs: RuleSet = rule_set(inv, fw)
        self.profile: ClusterProfile = cluster_profile(inv, cluster)
        self.source = path_source(inv, path)
        self.denied: list[tuple[Endpoint | None, str, Decision]] = []
        self.undecided: list[tuple[str, Decision]] = []
        self.dns_ips: dict[str, str] = {}  # label -> custom DNS server address, for the az snippet
        dns = custom_dns_servers(inv, path, fw) if kind == "network" else []
        seen: set[tuple[str, int, tuple[str, ...], str | None]] = set()
        for ep in _required(dataclasses.replace(self.profile, name=""), bool(dns), kind):
            key = (ep.protocol, ep.port, ep.fqdns, ep.service_tag if not ep.custom_dns else "dns")
            if key in seen:
                continue
            seen.add(key)
            if ep.custom_dns:
                for ip in dns:
                    label = f"UDP 53 to custom DNS server {ip.known}"
                    self.dns_ips[label] = ip.known or ""
                    self._record(ep, label, evaluate(self.rs, _dns_flow(ip, self.source)))
                continue
            flows = endpoint_flows(ep, self.profile.region, self.rs.regions_mentioned, self.source)
            self._record(ep, ep.label(self.profile.region), evaluate_any(self.rs, flows))

    def _record(self, ep: Endpoint | None, label: str, d: Decision) -> None:
        if d.denied:
            self.denied.append((ep, label, d))
        elif d.unknown:
            self.undecided.append((label, d))

    def related(self) -> list[Related]:
        out = _cluster_related(self.inv, self.cluster, self.path)
        for _ep, _label, d in self.denied:
            if d.rule is not None and all(r.location != deciding_location(d.rule) for r in out):
                out.append(Related(deciding_location(d.rule), f"{d.rule.noun} '{d.rule.name}' denies it"))
        return out

    def subject(self) -> str:
        return f"{self.fw.ref}:{self.cluster.ref}"

    def where(self) -> Location:
        owner = self.rs.owner
        return owner.location

    def intro(self) -> str:
        return (f"{self.rs.describe()} on the egress path of cluster '{self.cluster.name}' "
                f"({self.profile.describe()})")

    def undecided_finding(self, rule_id: str) -> Finding | None:
        if not self.undecided:
            return None
        labels = _label_list([label for label, _ in self.undecided], 8)
        reason = self.undecided[0][1].reason
        return _undecided(
            f"{rule_id}: whether {self.intro()} allows {labels} cannot be decided ({reason}); the check was "
            f"skipped for them", self.where(), f"{rule_id}:undecided:{self.subject()}")


def _denied_detail(d: Decision) -> str:
    if d.rule is not None:
        return f" (denied by {d.rule.noun} '{d.rule.name}')"
    return ""


# =========================================================================== az snippets for missing allows
# EGL201/EGL202 findings carry (Finding.fix, shown as "help") the az commands that add what is missing,
# placed before every rule that denies it: a new collection (classic rules) or a new rule collection
# group (policies; in the policy of the denying rule when that is a base policy, since parent policies
# are evaluated first), at the lowest free priority number below the denying one.


# (rule name, protocols, destination flag, destinations, destination ports)
_Spec = tuple[str, tuple[str, ...], str, tuple[str, ...], tuple[str, ...]]


def _shell_word(text: str) -> str:
    """Quote for bash and PowerShell alike: `'*'`, `'Https=443'`, `"AzureCloud.$LOCATION"`."""
    if "$" in text:
        return f'"{text}"'
    return text if re.fullmatch(r"[A-Za-z0-9_.:/-]+", text) else f"'{text}'"


def _free_priority(used: set[int], before: int | None) -> tuple[int, bool]:
    """The lowest priority (100-65000) not in ``used`` and below ``before``, and True; when no
    number below ``before`` is free, the lowest free one at all (or 65000) and False: the
    denying collection or group must then be moved above it."""
    top = PRIORITY_RANGE[1] + 1
    free = (p for p in range(PRIORITY_RANGE[0], top) if p not in used)
    first = next(free, None)
    if first is None:
        return PRIORITY_RANGE[1], False
    return first, before is None or first < before


def _free_name(taken: set[str], base: str) -> str:
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        name = f"{base}{n}"
    return name


def _rule_args(kind: str, policy: bool, spec: _Spec, source: str, name_flag: str = "-n") -> str:
    """The rule's own flags; ``spec`` is (name, protocols, destination flag, destinations, ports)."""
    name, protocols, dest_flag, dests, ports = spec
    proto_flag = "--ip-protocols" if policy and kind == "network" else "--protocols"
    head = f"{name_flag} {name} {proto_flag} {' '.join(map(_shell_word, protocols))} --source-addresses {source}"
    tail = f"{dest_flag} {' '.join(map(_shell_word, dests))}"
    if ports:
        tail += f" --destination-ports {' '.join(ports)}"
    return f"{head} \\\n  {tail}"


def _allow_snippet(req: _Requirements, specs: list[_Spec], denied: Sequence[Decision]) -> str:
    """az commands that add ``specs`` (rules of ``req.kind``) before every rule in ``denied``."""
    inv, rs, kind = req.inv, req.rs, req.kind
    prefixes = [p.known for p in (req.path.subnet.address_prefixes if req.path.subnet is not None else ()) if p.known]
    source = " ".join(prefixes) if prefixes else "'*'"
    deciding = [e for d in denied for e in rs.all_entries() if d.rule is not None and e.rule is d.rule]
    notes = [f"# {e.where()} denies it before any {kind} rule is evaluated: narrow it or remove it"
             for e in dict.fromkeys(deciding) if e.kind != kind]
    same = [e for e in deciding if e.kind == kind]
    word = "network" if kind == "network" else "application"
    if rs.classic:
        fw = rs.firewall or req.fw
        group = _shell_word(fw.ref.group) if fw.ref.group else "$RESOURCE_GROUP"
        colls = inv.children(fw, RuleCollection)
        used = {prio for c in colls if c.rule_kind == kind and (prio := _priority(inv, c.priority)[0]) is not None}
        before = min((e.order[0] for e in same if e.order_known), default=None)
        prio, ahead = _free_priority(used, before)
        if not ahead:
            notes.extend(f"# then give collection '{e.collection.name}' a priority number above {prio}"
                         for e in dict.fromkeys(same))
        coll = _free_name({c.name.lower() for c in colls}, "aksfwnr" if kind == "network" else "aksfwar")
        lines = []
        for i, spec in enumerate(specs):
            # --action/--priority only on the first rule: az refuses them for an existing collection
            tail = f" \\\n  --action Allow --priority {prio}" if i == 0 else ""
            lines.append(f"az network firewall {word}-rule create -g {group} -f {fw.name} --collection-name {coll} "
                         f"\\\n  {_rule_args(kind, False, spec, source)}{tail}")
        return _for_shell("\n".join(notes + lines), req.where())
    depth_of = {id(p): i for i, p in enumerate(rs.policies)}
    target = min((e.policy for e in same if e.policy is not None), key=lambda p: depth_of.get(id(p), 0),
                 default=rs.owner)
    group = _shell_word(target.ref.group) if target.ref.group else "$RESOURCE_GROUP"
    groups = inv.children(target, RuleCollectionGroup)
    used = {prio for g in groups if (prio := _priority(inv, g.priority)[0]) is not None}
    before = min((e.order[1] for e in same if e.policy is target and e.order_known), default=None)
    prio, ahead = _free_priority(used, before)
    if not ahead:
        notes.extend(f"# then give rule collection group '{e.group.name}' a priority number above {prio}"
                     for e in dict.fromkeys(same) if e.group is not None)
    rcg = _free_name({g.name.lower() for g in groups}, "aks-egress")
    coll = "aksfwnr" if kind == "network" else "aksfwar"
    rule_type = "NetworkRule" if kind == "network" else "ApplicationRule"
    base = "az network firewall policy rule-collection-group"
    where = f"-g {group} --policy-name {target.name} --rcg-name {rcg}"
    lines = [f"{base} create -g {group} --policy-name {target.name} -n {rcg} --priority {prio}"]
    for i, spec in enumerate(specs):
        if i == 0:  # the first rule creates the collection (its name is -n there, the rule's --rule-name)
            head = (f"{base} collection add-filter-collection {where} \\\n  -n {coll} --collection-priority 100 "
                    f"--action Allow --rule-type {rule_type}")
        else:
            head = f"{base} collection rule add {where} \\\n  --collection-name {coll} --rule-type {rule_type}"
        lines.append(f"{head} \\\n  {_rule_args(kind, True, spec, source, '--rule-name' if i == 0 else '-n')}")
    return _for_shell("\n".join(notes + lines), req.where())


def _for_shell(snippet: str, where: Location) -> str:
    """Line continuations for the language of the scanned file: a backtick in PowerShell, else a
    backslash (bash; also what ARM users paste into Cloud Shell)."""
    return snippet.replace(" \\\n", " `\n") if where.file.lower().endswith(".ps1") else snippet


def _network_specs(req: _Requirements) -> list[_Spec]:
    """One network rule per missing endpoint (EGL201)."""
    region = req.profile.region
    specs = []
    for ep, label, _d in req.denied:
        if ep is None:
            continue
        if ep.custom_dns:
            flag, dests = "--destination-addresses", (req.dns_ips.get(label, ""),)
        elif ep.api_server:
            flag, dests = "--destination-addresses", ("$APISERVER_IP",)
        elif ep.service_tag is not None:
            tag = fill_region(ep.service_tag, region) if region else ep.service_tag.replace("{region}", "$LOCATION")
            flag, dests = "--destination-addresses", (tag,)
        elif ep.fqdns and req.rs.dns_proxy is True:  # network-rule FQDNs need DNS proxy (EGL204)
            flag, dests = "--destination-fqdns", (fill_region(ep.fqdns[0], region),)
        else:
            flag, dests = "--destination-addresses", ("*",)  # the docs accept `*` for these ports
        name = re.sub(r"[^A-Za-z0-9_.-]", "-", ep.id if not ep.custom_dns else f"dns-{dests[0]}")
        specs.append((name, (ep.protocol.upper(),), flag, dests, (str(ep.port),)))
    return specs


def _application_specs(req: _Requirements) -> list[_Spec]:
    """The FQDN tag for the core FQDNs, one rule per protocol/port for the others (EGL202)."""
    region = req.profile.region or "$LOCATION"
    core: dict[str, None] = {}
    other: dict[str, dict[str, None]] = defaultdict(dict)
    for ep, _label, _d in req.denied:
        if ep is None or not (ep.fqdn_tag or ep.fqdns):
            continue
        pair = f"{ep.protocol.capitalize()}={ep.port}"
        if ep.fqdn_tag:
            core[pair] = None
        else:
            other[pair][fill_region(ep.fqdns[0], region)] = None
    specs = []
    if core:
        specs.append(("fqdn", tuple(core), "--fqdn-tags", (AKS_FQDN_TAG,), ()))
    for i, (pair, fqdns) in enumerate(other.items(), 1):
        specs.append((f"features{i if len(other) > 1 else ''}", (pair,), "--target-fqdns", tuple(fqdns), ()))
    return specs


class AksRequiredNetworkRules(Rule):
    id = "EGL201"
    name = "aks-required-network-rules"
    severity = Severity.ERROR
    summary = "A firewall on a cluster's egress path does not allow the network endpoints AKS requires."
    rationale = (
        "AKS needs a few non-HTTP endpoints that an FQDN tag cannot cover, so they need network rules. "
        "Which ones depends on the cloud and the cluster (requirements pack rules/aks-egress-requirements.yaml): "
        "in Azure public cloud, UDP 1194 and TCP 9000 to `AzureCloud.<region>` (or `*`) and UDP 123 NTP only for "
        "clusters configured as legacy (no konnectivity agent, nodes provisioned before March 2021; set "
        "`facts: {legacy: true}`), since current clusters tunnel through konnectivity over HTTPS; in Azure China "
        "and US Government every endpoint of their tables (China adds TCP 22); everywhere, UDP 53 to the VNet's "
        "custom DNS servers when that traffic crosses the firewall, and TCP 443 to the API server where pods "
        "reach it by IP (`facts: {apiserver-access: true}`). Without them nodes fail to join, time drifts or DNS "
        "resolution breaks. An earlier deny rule can hide a later allow: the message names the rule that "
        "decides, and the finding's help gives the az commands that add the missing rules."
    )
    evaluation = FIREWALL_ORDER + (
        "\nFor example, with network collections 'deny-udp' (priority 100: deny UDP `*` to `*`) and 'aksfwnr' "
        "(priority 200: allow UDP 1194 to `AzureCloud`), UDP 1194 from the nodes to `AzureCloud.westeurope` "
        "is denied by 'deny-udp', which comes first; with 'aksfwnr' at priority 100 and 'deny-udp' at 200 it "
        "is allowed, because `AzureCloud` holds `AzureCloud.westeurope`."
    )
    example = (
        "az network firewall network-rule create -g rg -f fw --collection-name aksfwnr -n apitcp \\\n"
        "  --protocols TCP --source-addresses '*' --destination-addresses \"AzureCloud.$LOC\" \\\n"
        "  --destination-ports 9000 --action allow --priority 100\n"
        "# no rule for UDP 1194 (and UDP 123) on a cluster configured as legacy"
    )
    fix = (
        "az network firewall network-rule create -g rg -f fw --collection-name aksfwnr -n apiudp \\\n"
        "  --protocols UDP --source-addresses '*' --destination-addresses \"AzureCloud.$LOC\" \\\n"
        "  --destination-ports 1194 --action allow --priority 100\n"
        "az network firewall network-rule create -g rg -f fw --collection-name aksfwnr -n apitcp \\\n"
        "  --protocols TCP --source-addresses '*' --destination-addresses \"AzureCloud.$LOC\" --destination-ports 9000\n"
        "az network firewall network-rule create -g rg -f fw --collection-name aksfwnr -n time \\\n"
        "  --protocols UDP --source-addresses '*' --destination-fqdns 'ntp.ubuntu.com' --destination-ports 123\n"
        "# custom DNS server 10.0.0.4 reached through the firewall:\n"
        "az network firewall network-rule create -g rg -f fw --collection-name aksfwnr -n dns \\\n"
        "  --protocols UDP --source-addresses '*' --destination-addresses 10.0.0.4 --destination-ports 53"
    )
    sources = (OUTBOUND_RULES, LIMIT_EGRESS, RULE_PROCESSING)
    applies_to = ("cluster", "firewall", "firewall_policy", "rule_collection", "network_rule", "vnet")
    tags = ("firewall", "aks-requirements")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for cluster, path, fw in firewall_paths(inv):
            if _exempt(inv, cluster):
                continue
            req = _Requirements(inv, cluster, path, fw, "network")
            if req.denied:
                items = [f"{label}{_denied_detail(d)}" for _ep, label, d in req.denied]
                yield self.finding(
                    f"{req.intro()} does not allow network traffic AKS requires: {_label_list(items)}; add "
                    f"network rules that allow it", req.where(), req.related(), subject=req.subject(),
                    fix=_allow_snippet(req, _network_specs(req), [d for _ep, _label, d in req.denied]))
            extra = req.undecided_finding(self.id)
            if extra is not None:
                yield extra


class AksRequiredFqdns(Rule):
    id = "EGL202"
    name = "aks-required-fqdns"
    severity = Severity.ERROR
    summary = "No rule allows the FQDN tag AzureKubernetesService or every FQDN AKS requires."
    rationale = (
        "AKS nodes pull images from MCR, talk to the API server FQDN, authenticate with Microsoft Entra ID and "
        "download binaries over HTTPS. A firewall on the egress path must allow them: an application rule with "
        "the FQDN tag `AzureKubernetesService` (it holds the required FQDNs and is updated by Microsoft), or "
        "one rule per FQDN (`*.hcp.<region>.azmk8s.io`, `mcr.microsoft.com`, `*.data.mcr.microsoft.com`, "
        "`mcr-0001.mcr-msedge.net`, `management.azure.com`, `login.microsoftonline.com`, "
        "`packages.microsoft.com`, `acs-mirror.azureedge.net`, `packages.aks.azure.com` in Azure public cloud; "
        "other lists for China and US Government; more for add-ons listed in `facts: {features: [...]}`). "
        "Network rules with destination FQDNs count only when DNS proxy is enabled. Application-rule "
        "wildcards follow Azure: `*.contoso.com` matches `a.contoso.com` but not `contoso.com`. The finding's "
        "help gives the az command that adds the missing application rule."
    )
    evaluation = FIREWALL_ORDER + (
        "\nFor example, with network collection 'deny-web' (priority 300: deny TCP 443 to `*`) and "
        "application collection 'aksfwar' (priority 100: allow FQDN tag `AzureKubernetesService`), HTTPS to "
        "`mcr.microsoft.com` is denied by 'deny-web': network rules come before application rules whatever "
        "their priority numbers. The required `*.hcp.westeurope.azmk8s.io` is allowed by a rule for "
        "`*.hcp.westeurope.azmk8s.io` or `*.azmk8s.io`, not by one API server's host name."
    )
    example = (
        "az network firewall network-rule create -g rg -f fw --collection-name NetworkRules -n AllowGoogleHTTPS \\\n"
        "  --protocols TCP --source-addresses 10.1.1.0/24 --destination-addresses 172.217.160.142 \\\n"
        "  --destination-ports 443 --action Allow --priority 100\n"
        "# nothing allows mcr.microsoft.com, management.azure.com, ..."
    )
    fix = (
        "az network firewall application-rule create -g rg -f fw --collection-name aksfwar -n fqdn \\\n"
        "  --source-addresses '*' --protocols 'http=80' 'https=443' --fqdn-tags \"AzureKubernetesService\" \\\n"
        "  --action allow --priority 100"
    )
    sources = (OUTBOUND_RULES, LIMIT_EGRESS, FQDN_TAGS, RULE_PROCESSING)
    applies_to = ("cluster", "firewall", "firewall_policy", "rule_collection", "application_rule", "network_rule")
    tags = ("firewall", "aks-requirements")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for cluster, path, fw in firewall_paths(inv):
            if _exempt(inv, cluster):
                continue
            req = _Requirements(inv, cluster, path, fw, "application")
            if req.denied:
                core = [(ep, label, d) for ep, label, d in req.denied if ep is not None and ep.fqdn_tag]
                other = [(ep, label, d) for ep, label, d in req.denied if not (ep is not None and ep.fqdn_tag)]
                parts = []
                if core:
                    parts.append("FQDNs AKS requires: " + _group_labels(core))
                if other:
                    parts.append("FQDNs the cluster's features need: " + _group_labels(other))
                denied_by_rule = any(d.rule is not None for _ep, _label, d in req.denied)
                yield self.finding(
                    f"{req.intro()} does not allow {'; and '.join(parts)}; allow them with an application rule "
                    f"(the FQDN tag {AKS_FQDN_TAG} covers the required ones)"
                    + (" evaluated before the rules that deny them" if denied_by_rule else ""),
                    req.where(), req.related(), subject=req.subject(),
                    fix=_allow_snippet(req, _application_specs(req), [d for _ep, _label, d in req.denied]))
            extra = req.undecided_finding(self.id)
            if extra is not None:
                yield extra


def _group_labels(items: Sequence[tuple[Endpoint | None, str, Decision]]) -> str:
    """``HTTPS 443: a, b (denied by application rule 'x'), c``."""
    groups: dict[str, list[str]] = defaultdict(list)
    for _ep, label, d in items:
        head, _, dest = label.partition(" to ")
        groups[head].append(dest + _denied_detail(d))
    return "; ".join(f"{head}: {_label_list(dests)}" for head, dests in groups.items())


# =========================================================================== rule iteration


def own_entries(inv: Inventory) -> Iterator[tuple[RuleSet, Entry]]:
    """Every rule once, with the rule set it belongs to: classic rules of each firewall without a
    policy, and each policy's own rules (evaluated with its base chain)."""
    for fw in inv.all(Firewall):
        if fw.policy is None:
            rs = rule_set(inv, fw)
            for e in rs.all_entries():
                yield rs, e
    for policy in inv.all(FirewallPolicy):
        rs = policy_rule_set(inv, policy)
        for e in rs.all_entries():
            if e.policy is policy:
                yield rs, e


def _cluster_sources(inv: Inventory) -> list[AddressSet]:
    out: list[AddressSet] = []
    for cluster in inv.all(Cluster):
        for subnet, _pools in inv.node_subnets(cluster):
            if subnet is not None:
                known = [p.known for p in subnet.address_prefixes if p.known]
                if known:
                    out.append(AddressSet.parse(known))
        pods = [p.known for p in cluster.pod_cidrs if p.known]
        if pods:
            out.append(AddressSet.parse(pods))
    return out


def _value_with(values: Sequence[Value], test: object) -> Value | None:
    for v in values:
        if v.known is not None and test(v.known):  # type: ignore[operator]
            return v
    return None


class AllowAllEgress(Rule):
    id = "EGL203"
    name = "allow-all-egress"
    severity = Severity.WARNING
    summary = "An allow rule lets the cluster's traffic reach any destination, or TCP 80/443 anywhere."
    rationale = (
        "A firewall on the egress path is there to limit where the cluster can connect. An allow rule whose "
        "sources include the cluster (node subnet, pod CIDR, `*`) and whose destination is `*`, `0.0.0.0/0` or "
        "`Internet` on every port and protocol, or an application rule for target FQDN `*`, lets everything "
        "out. A network rule that allows TCP 80/443 (or all TCP) to any destination is as bad: network rules "
        "are evaluated before application rules, so such a rule matches all web traffic first and every FQDN "
        "rule behind it becomes meaningless. Destinations the AKS docs themselves allow as `*` (UDP 1194, TCP "
        "9000, UDP 123) are not flagged."
    )
    evaluation = FIREWALL_ORDER + (
        "\nFor example, with network collection 'allow-web' (priority 65000: allow TCP 80, 443 to `*`) and "
        "application collection 'aksfwar' (priority 100: allow only the FQDN tag `AzureKubernetesService`), "
        "HTTPS to `github.com` is allowed by 'allow-web' before 'aksfwar' is consulted."
    )
    example = (
        "az network firewall network-rule create -g rg -f fw --collection-name allow-web -n web \\\n"
        "  --protocols TCP --source-addresses '*' --destination-addresses '*' --destination-ports 80 443 \\\n"
        "  --action allow --priority 100"
    )
    fix = (
        "az network firewall application-rule create -g rg -f fw --collection-name aksfwar -n fqdn \\\n"
        "  --source-addresses 10.42.1.0/24 --protocols 'https=443' --fqdn-tags AzureKubernetesService \\\n"
        "  --action allow --priority 200\n"
        "az network firewall application-rule create -g rg -f fw --collection-name app -n github \\\n"
        "  --source-addresses 10.42.1.0/24 --protocols 'https=443' --target-fqdns github.com '*.github.com' \\\n"
        "  --action allow --priority 300"
    )
    sources = (RULE_PROCESSING, LIMIT_EGRESS)
    applies_to = ("firewall", "firewall_policy", "rule_collection", "network_rule", "application_rule")
    tags = ("firewall", "least-privilege")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        cluster_sets = _cluster_sources(inv)
        for rs, e in own_entries(inv):
            if e.kind == "nat" or e.action != "allow":
                continue
            rule = e.rule
            # the cheap test first: only rules open to any destination can be findings
            broad = "*" in e.fqdns if isinstance(rule, ApplicationRule) else e.destinations.covers_all()
            if not broad or not self._covers_cluster(e, cluster_sets):
                continue
            if isinstance(rule, ApplicationRule):
                if "*" in e.fqdns:
                    v = _value_with(rule.target_fqdns, lambda t: t.strip() == "*")
                    yield self.finding(
                        f"{e.where()} allows target FQDN '*' for the cluster's traffic: every HTTP/S "
                        f"destination is reachable; list the FQDNs (or FQDN tags) it needs",
                        _loc(v, rule.location), self._related(rs, e), subject=f"{rule.ref}")
                continue
            if not e.destinations.covers_all():
                continue
            v = _value_with(getattr(rule, "destination_addresses", []),
                            lambda t: AddressSet.parse([t]).covers_all())
            where = _loc(v, rule.location)
            dest = v.known if v is not None else "*"
            if e.ports.is_all and e.protocols.any:
                yield self.finding(
                    f"{e.where()} allows the cluster's traffic to {dest} on every port and protocol: the "
                    f"firewall no longer controls egress", where, self._related(rs, e), subject=f"{rule.ref}")
            elif e.protocols.contains("tcp") is True and (
                    e.ports.is_all or e.ports.contains(80) is True or e.ports.contains(443) is True):
                ports = "all TCP ports" if e.ports.is_all else f"TCP {e.ports}"
                yield self.finding(
                    f"{e.where()} allows {ports} to {dest}: network rules are evaluated before application "
                    f"rules, so all web traffic matches here and every FQDN rule becomes meaningless",
                    where, self._related(rs, e), subject=f"{rule.ref}")

    @staticmethod
    def _covers_cluster(e: Entry, cluster_sets: list[AddressSet]) -> bool:
        if e.sources.wildcard or e.sources.covers_all():
            return True
        return any(e.sources.intersects(s) is True for s in cluster_sets)

    @staticmethod
    def _related(rs: RuleSet, e: Entry) -> list[Related]:
        return [Related(e.collection.location, f"collection '{e.collection.name}'")] if e.collection.declared else []


def _dns_proxy_descendants(inv: Inventory, policy: FirewallPolicy) -> list[RuleSet]:
    out = []
    for other in inv.all(FirewallPolicy):
        chain, _ = policy_chain(inv, other)
        if other is not policy and any(p is policy for p in chain):
            out.append(policy_rule_set(inv, other))
    return out


def _dns_proxy_setting(owner: Resource) -> str:
    """How the file that defines ``owner`` (a firewall or a firewall policy) turns DNS proxy on."""
    if from_script(setter(owner)):
        return "--enable-dns-proxy true"
    if owner.ref.kind == "firewall_policy":
        return "dnsSettings.enableProxy: true"
    return 'additionalProperties "Network.DNS.EnableProxy": "true"'


class FqdnNetworkRuleWithoutDnsProxy(Rule):
    id = "EGL204"
    name = "fqdn-network-rule-without-dns-proxy"
    severity = Severity.ERROR
    summary = "A network rule with destination FQDNs on a firewall or policy whose DNS proxy is off."
    rationale = (
        "A network rule matches IP packets, so the firewall must resolve its destination FQDNs itself and "
        "see the same answers the clients got. That only works when the clients use the firewall as their DNS "
        "server, with DNS proxy enabled (Standard and Premium). Without it the rule never matches reliably: "
        "NTP to `ntp.ubuntu.com` or other FQDN network rules silently fail. Prefer application rules for "
        "HTTP/S; network-rule FQDNs support no wildcards."
    )
    evaluation = FIREWALL_ORDER + (
        " A network rule's destination FQDNs count only with DNS proxy enabled (on the firewall, or on its "
        "policy or the closest base policy that sets it), and only as exact names."
        "\nFor example, network rule 'time' (priority 100: allow UDP 123 to `ntp.ubuntu.com`) on a firewall "
        "without DNS proxy never matches NTP, so NTP falls through to the later collections and, when none "
        "allows it, to the default deny; with DNS proxy on it is allowed by 'time', while a rule for "
        "`*.ubuntu.com` would still match nothing."
    )
    example = (
        "az network firewall create -g rg -n fw -l westeurope\n"
        "az network firewall network-rule create -g rg -f fw --collection-name aksfwnr -n time \\\n"
        "  --protocols UDP --source-addresses '*' --destination-fqdns ntp.ubuntu.com --destination-ports 123 \\\n"
        "  --action allow --priority 100"
    )
    fix = (
        "az network firewall create -g rg -n fw -l westeurope --enable-dns-proxy true\n"
        "# with a firewall policy: az network firewall policy create -g rg -n fw-policy --enable-dns-proxy true\n"
        "# and point the VNet's DNS servers at the firewall's private IP"
    )
    sources = (FQDN_NETWORK_RULES, DNS_SETTINGS, LIMIT_EGRESS)
    applies_to = ("firewall", "firewall_policy", "network_rule")
    tags = ("firewall", "dns")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for rs, e in own_entries(inv):
            rule = e.rule
            if not isinstance(rule, NetworkRule) or not rule.destination_fqdns:
                continue
            proxy = rs.dns_proxy
            source = rs.dns_proxy_source or rs.owner
            if e.policy is not None and proxy is not True:
                children = _dns_proxy_descendants(inv, e.policy)
                if any(c.dns_proxy is True for c in children):
                    continue
                if any(c.dns_proxy is None for c in children):
                    proxy = None
            where = _loc(rule.destination_fqdns[0], rule.location)
            fqdns = ", ".join(v.known or v.text for v in rule.destination_fqdns)
            if proxy is None:
                value = rs.dns_proxy_value
                yield unresolved(value, f"DNS proxy setting of {source.title()} (needed by {e.where()})",
                                 _loc(value, where), subject=f"EGL204:{rule.ref}")
                continue
            if proxy is False:
                yield self.finding(
                    f"{e.where()} filters by destination FQDNs ({fqdns}), but DNS proxy is not enabled on "
                    f"{source.title()}: the rule never matches reliably; enable DNS proxy "
                    f"({_dns_proxy_setting(source)}) or use an application rule",
                    where, [Related(source.location, source.title())] if source.declared else [],
                    subject=f"{rule.ref}")


# =========================================================================== EGL205 shadowing

_WINDOW = 256  # earlier rules compared pairwise with each rule (beyond exact duplicates and broad rules)
_MAX_BROAD = 256


def _signature(e: Entry) -> tuple[object, ...]:
    return (e.kind, e.sources, e.source_groups, e.destinations, e.destination_groups, e.fqdns,
            tuple(sorted(t.lower() for t in e.fqdn_tags)), e.ports, e.protocols, e.app_protocols, e.urls)


def _comparable(e: Entry) -> bool:
    if e.unresolved or not e.order_known or e.action is None or e.urls:
        return False
    if e.kind == "application":
        return bool(e.fqdns or e.fqdn_tags) and not (e.unknown_fqdns or e.unknown_tags)
    return not e.unknown_fqdns and not e.ports.is_empty and not e.protocols.is_empty


def _broad(e: Entry) -> bool:
    """Rules worth comparing with everything after them: wildcard FQDNs, `*`, 0.0.0.0/0,
    ``Internet``, very large prefixes (cheap tests; no address arithmetic)."""
    if e.kind == "application":
        return any(f.startswith("*") for f in e.fqdns)
    return _broad_destinations(e.destinations)


@functools.lru_cache(maxsize=4096)
def _broad_destinations(d: AddressSet) -> bool:
    # memoised by set: parsed sets are shared by the many rules that write them alike
    return d.wildcard or any(n.prefixlen <= 8 for n in d.networks) or any(t.scope == "internet" for t in d.tags)


def _span(e: Entry) -> tuple[bool, int, int]:
    """(all ports, lowest, highest): a quick reject before PortSet.covers."""
    ranges = e.ports.ranges
    if e.ports.is_all or not ranges:
        return e.ports.is_all, 0, 65535
    return False, ranges[0][0], ranges[-1][1]


def covers_rule(a: Entry, b: Entry) -> bool:
    """True when rule ``a`` matches everything rule ``b`` matches (same kind). The cheap tests
    (protocols, ports, names) come first: most pairs fail there."""
    if a.kind != b.kind:
        return False
    if a.kind == "application":
        if a.app_protocols.covers(b.app_protocols) is not True:
            return False
        star = "*" in a.fqdns
        if not all(star or f in a.fqdns or any(net.fqdn_pattern_covers(p, f) for p in a.fqdns) for f in b.fqdns):
            return False
        tags = {t.lower() for t in a.fqdn_tags}
        if not all(star or t.lower() in tags for t in b.fqdn_tags):
            return False
        return _sources_cover(a, b)
    if a.protocols.covers(b.protocols) is not True or a.ports.covers(b.ports) is not True:
        return False
    universal = a.destinations.wildcard or a.destinations.covers_all()
    if b.destination_groups and not universal:
        return False
    if not all(universal or f in a.fqdns for f in b.fqdns):
        return False
    if not b.destinations.is_empty and a.destinations.covers(b.destinations) is not True:
        return False
    return _sources_cover(a, b)


def _precedes(a: Entry, b: Entry) -> bool:
    """Does rule ``a`` certainly come before rule ``b``? Rules of one collection run in order; other
    collections (and groups) by priority. Two collections or groups with the same priority run in an
    order the configuration does not define (EGL206 reports that), so an ``a`` there hides ``b``
    only when both have the same action: redundant whichever runs first."""
    if not a.order < b.order:
        return False
    if a.action == b.action or a.collection is b.collection or a.policy is not b.policy:
        return True
    if a.group is not b.group:
        return a.order[-3] != b.order[-3]  # rule collection group priority
    return a.order[-2] != b.order[-2]  # collection priority


def _sources_cover(a: Entry, b: Entry) -> bool:
    if b.source_groups and not a.sources.wildcard:
        return False
    if b.sources.is_empty:
        return b.source_groups and a.sources.wildcard
    return a.sources.covers(b.sources) is True


class ShadowedRule(Rule):
    id = "EGL205"
    name = "shadowed-rule"
    severity = Severity.WARNING
    summary = "A firewall rule can never match because an earlier rule of the same kind covers it."
    rationale = (
        "A rule whose sources, destinations, ports and protocols are all covered by a rule evaluated before "
        "it never matches. When the earlier rule allows and the later one denies, the traffic the author "
        "meant to block is allowed (and the reverse); when both have the same action the later rule is a "
        "redundant duplicate. Identical rules are found across any number of rules; other rules are compared "
        "with broad rules, rules naming the same FQDN and the few hundred rules just before them, so very "
        "large rule bases stay fast."
    )
    evaluation = FIREWALL_ORDER + (
        "\nFor example, collection 'allow-web' (priority 100) allows TCP 443 to `*` and collection "
        "'block-bad' (priority 200) denies TCP 443 to 203.0.113.7: 'allow-web' decides every such connection "
        "first, so 'block-bad' is never reached and 203.0.113.7 stays reachable. A deny in a parent policy's "
        "group at priority 65000 still comes before an allow in the child policy's group at 100."
    )
    example = (
        "az network firewall network-rule create -g rg -f fw --collection-name allow-web -n web \\\n"
        "  --protocols TCP --source-addresses '*' --destination-addresses '*' --destination-ports 443 \\\n"
        "  --action allow --priority 100\n"
        "az network firewall network-rule create -g rg -f fw --collection-name block-bad -n bad \\\n"
        "  --protocols TCP --source-addresses '*' --destination-addresses 203.0.113.7 --destination-ports 443 \\\n"
        "  --action deny --priority 200"
    )
    fix = (
        "# give the deny collection a lower number (it is evaluated first)\n"
        "az network firewall network-rule create -g rg -f fw --collection-name block-bad -n bad \\\n"
        "  --protocols TCP --source-addresses '*' --destination-addresses 203.0.113.7 --destination-ports 443 \\\n"
        "  --action deny --priority 90"
    )
    sources = (RULE_PROCESSING, POLICY_RULE_SETS)
    applies_to = ("firewall", "firewall_policy", "rule_collection_group", "rule_collection", "network_rule",
                  "application_rule", "nat_rule")
    tags = ("firewall", "maintainability")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        reported: set[int] = set()
        sets: list[RuleSet] = [rule_set(inv, fw) for fw in inv.all(Firewall) if fw.policy is None]
        sets.extend(policy_rule_set(inv, p) for p in inv.all(FirewallPolicy))
        for rs in sets:
            for entries in rs.entries.values():
                yield from self._kind(entries, reported)

    def _kind(self, entries: list[Entry], reported: set[int]) -> Iterator[Finding]:
        """Earlier rules compared with each rule: an exact duplicate (hash index), broad rules
        (wildcards, `*`, 0.0.0.0/0), and for application rules those naming the same FQDN or tag
        (index), for other rules the ``_WINDOW`` rules just before it. Linear in the number of
        rules, with a small constant."""
        first_of: dict[tuple[object, ...], Entry] = {}
        spans: dict[int, tuple[bool, int, int]] = {}
        by_name: dict[str, list[Entry]] = defaultdict(list)
        broad: list[Entry] = []
        recent: list[Entry] = []
        for e in entries:
            if not _comparable(e):
                continue
            spans[id(e)] = _span(e)
            earlier: Entry | None = None
            dup = first_of.setdefault(_signature(e), e)  # one hash of the signature, not two
            if dup is not e and _precedes(dup, e):
                earlier = dup
            else:
                earlier = self._first_covering(e, broad, self._candidates(e, by_name, recent), spans)
            if earlier is not None and id(e.rule) not in reported and e.rule.declared:
                reported.add(id(e.rule))
                yield self._finding(earlier, e)
            if _broad(e) and len(broad) < _MAX_BROAD:
                broad.append(e)
            if e.kind == "application":
                for key in (*e.fqdns, *(f"tag:{t.lower()}" for t in e.fqdn_tags)):
                    if len(by_name[key]) < _MAX_BROAD:
                        by_name[key].append(e)
            else:
                recent.append(e)
                if len(recent) > _WINDOW:
                    recent.pop(0)

    @staticmethod
    def _candidates(e: Entry, by_name: dict[str, list[Entry]], recent: list[Entry]) -> list[Entry]:
        if e.kind != "application":
            return recent[::-1]
        key = e.fqdns[0] if e.fqdns else f"tag:{e.fqdn_tags[0].lower()}"
        return by_name.get(key, [])

    @staticmethod
    def _first_covering(e: Entry, broad: list[Entry], others: list[Entry],
                        spans: dict[int, tuple[bool, int, int]]) -> Entry | None:
        b_all, b_lo, b_hi = spans[id(e)]
        for cand in (*broad, *others):
            if e.kind != "application":
                a_all, a_lo, a_hi = spans[id(cand)]
                if not a_all and (b_all or b_lo < a_lo or b_hi > a_hi):
                    continue
            if _precedes(cand, e) and covers_rule(cand, e):
                return cand
        return None

    def _finding(self, a: Entry, b: Entry) -> Finding:
        verb = {"allow": "allows", "deny": "denies", "dnat": "translates"}.get(a.action or "", "matches")
        if a.action == b.action:
            message = (f"{b.where()} is redundant: {a.where()} is evaluated first, covers all of its traffic "
                       f"and has the same action; remove one of them")
        else:
            outcome = "allowed" if a.action in ("allow", "dnat") else "denied"
            message = (f"{b.where()} ({b.action}) can never match: {a.where()} is evaluated first and "
                       f"{verb} all of its traffic, so that traffic is {outcome}; reorder the collections "
                       f"or narrow the earlier rule")
        return self.finding(message, b.rule.location, [Related(a.rule.location, f"the earlier rule '{a.name}'")],
                            subject=f"{b.rule.ref}")


# =========================================================================== EGL206 priorities


def _priority(inv: Inventory, value: Value | None) -> tuple[int | None, Value | None, str]:
    """(number, resolved value, problem): problem is "unknown", "nan" or ""."""
    if value is None:
        return None, None, "missing"
    r = inv.resolve(value) or value
    if r.known is None:
        return None, r, "unknown"
    try:
        return int(r.known.strip()), r, ""
    except ValueError:
        return None, r, "nan"


class DuplicateCollectionPriority(Rule):
    id = "EGL206"
    name = "duplicate-collection-priority"
    severity = Severity.WARNING
    summary = "Rule collections (or rule collection groups) of one firewall or policy share a priority."
    rationale = (
        "Two rule collections of the same kind on one firewall, two rule collection groups in one policy, or "
        "two collections of the same kind in one group with the same priority leave their relative order to "
        "the platform; when their rules overlap, which one wins is not defined by the configuration. A "
        "priority outside 100-65000 is rejected by Azure (reported as an error)."
    )
    evaluation = FIREWALL_ORDER + (
        "\nFor example, network collections 'aks' (priority 100: allow UDP 123 to `*`) and 'deny' (priority "
        "100: deny UDP `*` to `*`): whether NTP is allowed depends on which of the two the platform happens "
        "to evaluate first; with 'deny' at priority 200, 'aks' decides NTP and 'deny' everything else."
    )
    example = (
        "az network firewall network-rule create -g rg -f fw --collection-name aks -n ntp ... --priority 100 --action allow\n"
        "az network firewall network-rule create -g rg -f fw --collection-name deny -n udp ... --priority 100 --action deny"
    )
    fix = "az network firewall network-rule create -g rg -f fw --collection-name deny -n udp ... --priority 200 --action deny"
    sources = (RULE_PROCESSING, POLICY_RULE_SETS)
    applies_to = ("firewall", "firewall_policy", "rule_collection_group", "rule_collection")
    tags = ("firewall", "ordering")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for fw in inv.all(Firewall):
            groups: dict[str, list[RuleCollection]] = defaultdict(list)
            for c in inv.children(fw, RuleCollection):
                groups[c.rule_kind].append(c)
            for kind, colls in groups.items():
                yield from self._group(inv, colls, f"{kind} rule collection", f"firewall '{fw.name}'")
        for policy in inv.all(FirewallPolicy):
            rcgs = inv.children(policy, RuleCollectionGroup)
            yield from self._group(inv, rcgs, "rule collection group", f"firewall policy '{policy.name}'")
            for rcg in rcgs:
                by_kind: dict[str, list[RuleCollection]] = defaultdict(list)
                for c in inv.children(rcg, RuleCollection):
                    by_kind[c.rule_kind].append(c)
                for kind, colls in by_kind.items():
                    yield from self._group(inv, colls, f"{kind} rule collection",
                                           f"rule collection group '{rcg.name}' of policy '{policy.name}'")

    def _group(self, inv: Inventory, items: Sequence[Resource], noun: str, owner: str) -> Iterator[Finding]:
        seen: dict[int, Resource] = {}
        for item in items:
            value = getattr(item, "priority", None)
            number, resolved, problem = _priority(inv, value)
            where = _loc(value, item.location)
            if problem == "missing" or not item.declared:
                continue
            if problem == "unknown":
                yield unresolved(resolved, f"priority of {noun} '{item.name}' on {owner}", where,
                                 subject=f"EGL206:{item.ref}")
                continue
            if problem == "nan" or number is None or not PRIORITY_RANGE[0] <= number <= PRIORITY_RANGE[1]:
                shown = resolved.known if resolved is not None else "?"
                yield self.finding(
                    f"{noun} '{item.name}' on {owner} has priority {shown}, outside 100-65000: Azure rejects it",
                    where, subject=f"{item.ref}:range", severity=Severity.ERROR)
                continue
            other = seen.get(number)
            if other is None:
                seen[number] = item
                continue
            yield self.finding(
                f"{noun} '{item.name}' on {owner} has priority {number}, like '{other.name}': their relative "
                f"order is not defined; give each a distinct priority",
                where, [Related(_loc(getattr(other, 'priority', None), other.location), f"'{other.name}'")],
                subject=f"{item.ref}:duplicate")


# =========================================================================== EGL209 tags

_NUMERIC = re.compile(r"^[0-9./:\-*]+$")


@functools.lru_cache(maxsize=8192)
def _ordinary_address(token: str) -> bool:
    """An address token EGL209 has nothing to say about: a wildcard, a number, an address or
    network, a known service tag, or nothing that looks like a tag."""
    if token.lower() in ("*", "any") or _NUMERIC.match(token) or not net.looks_like_tag(token):
        return True
    return net.parse_network(token) is not None or net.known_service_tag(token)


@functools.lru_cache(maxsize=8192)
def _ordinary_addresses(text: str) -> bool:
    return all(_ordinary_address(token) for token in text.replace(",", " ").split())


class UnknownTag(Rule):
    id = "EGL209"
    name = "unknown-tag"
    severity = Severity.ERROR
    summary = "An FQDN tag or service tag is a near miss of a known one, or the wrong kind of tag."
    rationale = (
        "Azure Firewall has two kinds of tags: FQDN tags (`AzureKubernetesService`, `WindowsUpdate`) are sets "
        "of FQDNs usable only in application rules; service tags (`AzureCloud.westeurope`, `AzureMonitor`) are "
        "sets of IP prefixes usable as network-rule addresses. A misspelt tag (`AzureKubnernetesService`) or "
        "a tag of the wrong kind (`AzureKubernetesService` as a network-rule destination) is rejected or never "
        "matches what the author meant, so the egress it should allow is denied. A tag that is merely absent "
        "from egresslint's shipped lists is reported as EGL004 (info): Microsoft adds tags over time."
    )
    evaluation = FIREWALL_ORDER + (
        "\nFor example, network rule 'aks' (priority 100: allow UDP 1194 to `AzureKubernetesService`, an FQDN "
        "tag, not a service tag) is rejected or matches no address, so UDP 1194 to `AzureCloud.westeurope` falls through to "
        "the later collections and, when none allows it, to the default deny; an application rule with the "
        "misspelt FQDN tag `AzureKubnernetesService` matches no FQDN, so `mcr.microsoft.com` is denied the "
        "same way."
    )
    example = (
        "az network firewall application-rule create -g rg -f fw --collection-name aksfwar -n fqdn \\\n"
        "  --source-addresses '*' --protocols 'https=443' --fqdn-tags AzureKubnernetesService \\\n"
        "  --action allow --priority 100"
    )
    fix = (
        "az network firewall application-rule create -g rg -f fw --collection-name aksfwar -n fqdn \\\n"
        "  --source-addresses '*' --protocols 'https=443' --fqdn-tags AzureKubernetesService \\\n"
        "  --action allow --priority 100"
    )
    sources = (FQDN_TAGS, SERVICE_TAGS, LIMIT_EGRESS)
    applies_to = ("network_rule", "application_rule", "nat_rule")
    tags = ("firewall", "typo")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for cls in (NetworkRule, NatRule):
            for rule in inv.all(cls):
                for field_name in ("destination_addresses", "source_addresses"):
                    for v in getattr(rule, field_name):
                        # most values are literal addresses with nothing to say (100,000s of them)
                        if v.symbol is None and (v.known is None or _ordinary_addresses(v.known)):
                            continue
                        yield from self._service_tag(inv, rule, v)
        for app in inv.all(ApplicationRule):
            for v in app.fqdn_tags:
                yield from self._fqdn_tag(inv, app, v)

    def _service_tag(self, inv: Inventory, rule: Resource, value: Value) -> Iterator[Finding]:
        r = inv.resolve(value) or value
        if r.known is None:
            return
        for token in r.known.replace(",", " ").split():
            if _ordinary_address(token):
                continue
            where = _loc(value, rule.location)
            subject = f"{rule.ref}:{token.lower()}"
            if net.known_fqdn_tag(token):
                yield self.finding(
                    f"'{token}' in {rule.title()} is an Azure Firewall FQDN tag, not a service tag: it works only "
                    f"in application rules (--fqdn-tags); as an address it never matches", where, subject=subject)
                continue
            closest = net.closest_service_tag(token)
            if closest is not None and closest.lower() != token.lower():
                yield self.finding(
                    f"'{token}' in {rule.title()} is not a known service tag; did you mean '{closest}'?",
                    where, subject=subject)
                continue
            fqdn_like = net.closest_fqdn_tag(token)
            if fqdn_like is not None:
                yield self.finding(
                    f"'{token}' in {rule.title()} looks like the FQDN tag '{fqdn_like}', which works only in "
                    f"application rules (--fqdn-tags), not as an address", where, subject=subject)
                continue
            yield _undecided(f"'{token}' in {rule.title()} is not in egresslint's list of service tags (it may be "
                             f"new); EGL209 could not check it", where, f"EGL209:{subject}")

    def _fqdn_tag(self, inv: Inventory, rule: ApplicationRule, value: Value) -> Iterator[Finding]:
        r = inv.resolve(value) or value
        if r.known is None:
            return
        for token in r.known.replace(",", " ").split():
            if net.known_fqdn_tag(token):
                continue
            where = _loc(value, rule.location)
            subject = f"{rule.ref}:{token.lower()}"
            if net.known_service_tag(token):
                yield self.finding(
                    f"'{token}' in {rule.title()} is a service tag, not an FQDN tag: application rules take FQDN "
                    f"tags only; put it in a network rule's destination addresses", where, subject=subject)
                continue
            closest = net.closest_fqdn_tag(token)
            if closest is not None:
                yield self.finding(
                    f"'{token}' in {rule.title()} is not a known FQDN tag; did you mean '{closest}'?",
                    where, subject=subject)
                continue
            yield _undecided(f"'{token}' in {rule.title()} is not in egresslint's list of FQDN tags (it may be "
                             f"new); EGL209 could not check it", where, f"EGL209:{subject}")


# =========================================================================== EGL207 / EGL208 user packs


def pack_flow(entry: PackEntry, source: AddressSet) -> Flow:
    proto = entry.protocol
    label = entry.label()
    if entry.fqdn is not None:
        app = proto if proto in net.APP_DEFAULT_PORTS else None
        return Flow.to_fqdn(entry.fqdn, entry.port, app, "tcp" if app else proto, source, label)
    dest = entry.cidr or entry.service_tag or ""
    return Flow.to_addresses([dest], "tcp" if proto in net.APP_DEFAULT_PORTS else proto, entry.port, source, label)


def path_decision(inv: Inventory, path: EgressPath, flow: Flow) -> tuple[Decision, Resource | None]:
    """The egress path's verdict for ``flow``: node subnet NSG (outbound) and, when the default
    route leads to a firewall, that firewall; without a firewall, by outbound type. Returns the
    decision and the resource that a missing allow belongs to."""
    parts: list[tuple[Decision, Resource | None]] = []
    subnet = path.subnet
    if subnet is not None and subnet.nsg is not None:
        group = inv.typed(subnet.nsg, NetworkSecurityGroup)
        if group is not None and group.declared:
            parts.append((nsg_eval.evaluate(nsg_eval.nsg_rule_set(inv, group, subnet), flow), group))
    fw = path.firewall if path.hop is not None and path.hop.relation == "private" else None
    if fw is not None:
        rs = rule_set(inv, fw)
        parts.append((evaluate(rs, flow), rs.owner))
    else:
        outbound = inv.outbound_type(path.cluster)
        cluster = path.cluster
        if path.route is not None and path.route.next_hop_type == "VirtualAppliance":
            parts.append((Decision("unknown", reason="the appliance at the next hop is not described in the scan",
                                   flow=flow), None))
        elif outbound in ("loadBalancer", "managedNATGateway", "userAssignedNATGateway"):
            parts.append((Decision(ALLOWED, cluster, None, f"cluster '{cluster.name}' egresses through its "
                                   f"{'load balancer' if outbound == 'loadBalancer' else 'NAT gateway'} without "
                                   f"a firewall", flow=flow), cluster))
        elif outbound == "block":
            parts.append((Decision(DENIED, cluster, None, f"cluster '{cluster.name}' has outbound type block",
                                   flow=flow), cluster))
        else:
            parts.append((Decision("unknown", reason=f"the egress of cluster '{cluster.name}' (outbound type "
                                   f"{outbound}) is not described in the scan", flow=flow), None))
    for d, owner in parts:
        if d.denied:
            return d, owner
    for d, owner in parts:
        if d.unknown:
            return d, owner
    return parts[-1]


def _pack_checks(inv: Inventory, mode: str) -> Iterator[tuple[PackEntry, Cluster, EgressPath, Decision, Resource | None]]:
    for pack in user_packs(inv):
        for entry in pack.entries:
            if entry.mode != mode:
                continue
            for cluster in inv.all(Cluster):
                if not entry.applies_to(cluster.name):
                    continue
                for path in inv.egress_paths(cluster):
                    flow = pack_flow(entry, path_source(inv, path))
                    decision, owner = path_decision(inv, path, flow)
                    yield entry, cluster, path, decision, owner


class RequiredEgressBlocked(Rule):
    id = "EGL207"
    name = "required-egress-blocked"
    severity = Severity.ERROR
    summary = "A user policy pack requires an endpoint that the cluster's egress path does not allow."
    rationale = (
        "Policy packs (`--pack FILE` or `packs:` in the configuration) state what a team's clusters must reach "
        "(`require:`) and must never reach (`forbid:`), so a reviewer does not have to trace rule priorities by "
        "hand. egresslint evaluates each required endpoint along each cluster's computed egress path: the node "
        "subnet's NSG, then the firewall at the default route's next hop. The message names the deciding "
        "rule (an earlier deny, a wrong port) or the default deny."
    )
    evaluation = FIREWALL_ORDER + (
        " Along the egress path the node subnet's NSG decides first (see EGL302), then the firewall."
        "\nFor example, a pack requires HTTPS to `api.contoso.com`; network collection 'deny-https' (priority "
        "200: deny TCP 443 to `*`) decides before application collection 'app' (priority 100: allow "
        "`*.contoso.com`), so the endpoint is reported as denied by 'deny-https'."
    )
    example = (
        "# pack.yaml\nrequire:\n  - fqdn: api.contoso.com\n    port: 443\n"
        "# firewall: only an application rule for www.contoso.com on https=443"
    )
    fix = (
        "az network firewall application-rule create -g rg -f fw --collection-name app -n contoso-api \\\n"
        "  --source-addresses 10.42.1.0/24 --protocols 'https=443' --target-fqdns api.contoso.com \\\n"
        "  --action allow --priority 300"
    )
    sources = (RULE_PROCESSING, LIMIT_EGRESS)
    applies_to = ("cluster", "firewall", "firewall_policy", "nsg")
    tags = ("firewall", "policy-pack")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        # the engine attaches pack diagnostics before rules run; when it did not, report them here
        yield from attach(inv)
        seen: set[tuple[int, int, int]] = set()
        for entry, cluster, path, d, owner in _pack_checks(inv, "require"):
            key = (id(entry), id(cluster), id(owner))
            if key in seen:
                continue
            seen.add(key)
            related = [Related(entry.location, f"require entry of pack '{entry.pack}'")]
            if d.denied:
                where = deciding_location(d.rule) if d.rule is not None and d.rule is not cluster else (
                    owner.location if owner is not None else cluster.location)
                yield self.finding(
                    f"policy pack '{entry.pack}' requires {entry.label()} for cluster '{cluster.name}', but its "
                    f"egress path denies it: {d.reason}", where, related + _cluster_related(inv, cluster, path),
                    subject=f"{entry.pack}:{entry.mode}:{entry.index}:{cluster.ref}")
            elif d.unknown:
                yield _undecided(
                    f"EGL207: whether the egress path of cluster '{cluster.name}' allows {entry.label()} (required "
                    f"by pack '{entry.pack}') cannot be decided: {d.reason}", entry.location,
                    f"EGL207:{entry.pack}:{entry.index}:{cluster.ref}")


class ForbiddenEgressAllowed(Rule):
    id = "EGL208"
    name = "forbidden-egress-allowed"
    severity = Severity.ERROR
    summary = "A user policy pack forbids an endpoint that the cluster's egress path allows."
    rationale = (
        "A `forbid:` entry of a policy pack names an endpoint the cluster must not reach (a paste site, a "
        "competitor's API, a whole range). egresslint evaluates it along each cluster's egress path - the node "
        "subnet's NSG, then the firewall at the default route's next hop, or no filtering at all for "
        "loadBalancer and NAT gateway outbound types - and reports the rule that lets it through. A broad "
        "allow with a lower priority number wins over a narrower deny."
    )
    evaluation = FIREWALL_ORDER + (
        " Along the egress path the node subnet's NSG decides first, then the firewall."
        "\nFor example, a pack forbids HTTPS to `pastebin.com`; application collection 'web' (priority 100: "
        "allow `*`) decides before 'deny-paste' (priority 200: deny `pastebin.com`), so `pastebin.com` is "
        "reported as allowed by 'web'; with 'deny-paste' at priority 100 and 'web' at 200 it is denied."
    )
    example = (
        "# pack.yaml\nforbid:\n  - fqdn: pastebin.com\n    port: 443\n"
        "az network firewall application-rule create ... --target-fqdns '*' --protocols 'https=443' --action allow"
    )
    fix = (
        "az network firewall application-rule create -g rg -f fw --collection-name deny-paste -n paste \\\n"
        "  --source-addresses '*' --protocols 'https=443' --target-fqdns pastebin.com --action deny --priority 100\n"
        "# and give the collection that allows '*' a higher priority number (200)"
    )
    sources = (RULE_PROCESSING, LIMIT_EGRESS)
    applies_to = ("cluster", "firewall", "firewall_policy", "nsg")
    tags = ("firewall", "policy-pack")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        seen: set[tuple[int, int, int]] = set()
        for entry, cluster, path, d, _owner in _pack_checks(inv, "forbid"):
            key = (id(entry), id(cluster), id(d.rule))
            if key in seen:
                continue
            seen.add(key)
            related = [Related(entry.location, f"forbid entry of pack '{entry.pack}'")]
            if d.allowed:
                where = (_loc(cluster.outbound_type, cluster.location) if d.rule is cluster
                         else deciding_location(d.rule) if d.rule is not None else cluster.location)
                yield self.finding(
                    f"policy pack '{entry.pack}' forbids {entry.label()} for cluster '{cluster.name}', but its "
                    f"egress path allows it: {d.reason}", where, related + _cluster_related(inv, cluster, path),
                    subject=f"{entry.pack}:{entry.mode}:{entry.index}:{cluster.ref}")
            elif d.unknown:
                yield _undecided(
                    f"EGL208: whether the egress path of cluster '{cluster.name}' allows {entry.label()} (forbidden "
                    f"by pack '{entry.pack}') cannot be decided: {d.reason}", entry.location,
                    f"EGL208:{entry.pack}:{entry.index}:{cluster.ref}")


RULES = (AksRequiredNetworkRules, AksRequiredFqdns, AllowAllEgress, FqdnNetworkRuleWithoutDnsProxy, ShadowedRule,
         DuplicateCollectionPriority, RequiredEgressBlocked, ForbiddenEgressAllowed, UnknownTag)
