"""Azure Firewall rule evaluation: which rule decides a flow, in Azure's processing order.

Effective rule set (:func:`rule_set`)
-------------------------------------
* A firewall without a policy uses its classic rule collections (children of the firewall).
* A firewall with a policy (``Firewall.policy``) uses that policy and its ``base_policy`` chain;
  classic collections do not apply then. Parent policies come first: "parent-policy rule
  collection groups take precedence over child-policy rule collection groups regardless of
  priority".
* Order: all DNAT rules, then network rules, then application rules (application rules only
  for HTTP/HTTPS/MSSQL traffic that no network rule matched). Within a kind: (policy depth, root
  first), rule collection group priority, collection priority - lower first, 100-65000. Rules are
  terminating: the first match decides; nothing matching means deny by default.
  Sources: learn.microsoft.com/azure/firewall/rule-processing and /policy-rule-sets
  (shared/domain/aks-egress-facts.md section d).

Matching (:func:`evaluate`)
---------------------------
A :class:`Flow` is (source addresses, destination: addresses | FQDN, IP protocol, port, and for
HTTP/S the application protocol). Addresses use :class:`egresslint.net.AddressSet` containment
(CIDRs, ranges, ``*``, service tags with ``AzureCloud`` containing ``AzureCloud.<region>``).

* Network rules match FQDN destinations through their destination FQDNs only when DNS proxy is
  enabled on the firewall (or its policy chain), exact names only (no wildcards there); and
  through destination addresses only when those hold every public address (``*``,
  ``0.0.0.0/0``, ``Internet``): the addresses behind an FQDN are not known statically.
* Application rules match FQDN destinations with Azure's wildcard semantics (``*.contoso.com``
  matches ``a.contoso.com`` but not ``contoso.com``) and FQDN tags; the ``AzureKubernetesService``
  tag holds the core AKS FQDNs of the requirements pack (all clouds). Other FQDN tags are not
  counted as matching; tags missing from the shipped list, target URLs and web categories are
  undecidable.
* A match that is only partial (the rule holds part of the source or destination) or that depends
  on something the scan cannot know (an unset variable, an IP group, an unknown collection
  priority or action) is *undecided*. Undecided matches never turn into "denied": a decision
  after one is ``unknown`` unless every undecided rule would have decided the same way.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from egresslint import net
from egresslint.inventory import Inventory
from egresslint.model import (
    ApplicationRule,
    Firewall,
    FirewallPolicy,
    Location,
    NatRule,
    NetworkRule,
    Resource,
    RuleCollection,
    RuleCollectionGroup,
    SecurityRule,
    Value,
)
from egresslint.net import AddressSet, AppProtocolSet, PortSet, ProtocolSet, all3, any3
from egresslint.packs import Endpoint, fill_region

__all__ = [
    "ALLOWED",
    "DENIED",
    "KIND_ORDER",
    "UNKNOWN",
    "Decision",
    "Entry",
    "Flow",
    "RuleSet",
    "address_match",
    "all3",
    "any3",
    "endpoint_flows",
    "evaluate",
    "evaluate_any",
    "policy_rule_set",
    "rule_set",
    "tag_covers_fqdn",
]

ALLOWED = "allowed"
DENIED = "denied"
UNKNOWN = "unknown"
KIND_ORDER = ("nat", "network", "application")
_RULE_CLASSES: dict[type[Resource], str] = {NatRule: "nat", NetworkRule: "network", ApplicationRule: "application"}
_LAST = 10**9  # sort position of an unknown priority
Tri = bool | None


def sentinel(value: Value | str) -> str:
    """A token for an unresolved value that no address, tag or FQDN parser mistakes for
    something real (``$?$fw_ip``): it matches only ``*`` and itself."""
    ident = value.identity() if isinstance(value, Value) else str(value)
    return "$?" + re.sub(r"[\s,]+", "_", ident)


# =========================================================================== flows


@dataclass(frozen=True)
class Flow:
    """A connection to decide. Exactly one of ``addresses`` (IPs, CIDRs, service tags) and
    ``fqdn`` (a name or a left-most wildcard pattern, meaning every host it matches) is set.
    ``app_protocol`` (http, https, mssql) makes the flow eligible for application rules."""

    source: AddressSet
    protocol: str  # tcp, udp, icmp
    port: int | None
    addresses: AddressSet | None = None
    fqdn: str | None = None
    app_protocol: str | None = None
    label: str = ""

    @classmethod
    def to_fqdn(cls, fqdn: str, port: int | None = 443, app_protocol: str | None = "https",
                protocol: str = "tcp", source: AddressSet | None = None, label: str = "") -> Flow:
        host = fqdn.strip().lower().rstrip(".")
        app = app_protocol.lower() if app_protocol else None
        shown = label or f"{(app or protocol).upper()} {port if port is not None else ''} to {host}".replace("  ", " ")
        return cls(source or ANY_SOURCE, protocol.lower(), port, None, host, app, shown)

    @classmethod
    def to_addresses(cls, items: Iterable[str], protocol: str, port: int | None,
                     source: AddressSet | None = None, label: str = "") -> Flow:
        items = list(items)
        shown = label or f"{protocol.upper()} {port if port is not None else ''} to {', '.join(items)}".replace("  ", " ")
        return cls(source or ANY_SOURCE, protocol.lower(), port, AddressSet.parse(items), None, None, shown)

    def __str__(self) -> str:
        return self.label


ANY_SOURCE = AddressSet.parse(["*"])


@dataclass(frozen=True)
class Decision:
    """The outcome for one flow: ``verdict`` allowed / denied / unknown, the deciding ``rule``
    (None for the default deny or when undecided) and its ``collection``, a human ``reason``, and
    the ``pending`` rules that might have matched (why a verdict is unknown)."""

    verdict: str
    rule: Resource | None = None
    collection: Resource | None = None
    reason: str = ""
    pending: tuple[Resource, ...] = ()
    flow: Flow | None = None

    @property
    def allowed(self) -> bool:
        return self.verdict == ALLOWED

    @property
    def denied(self) -> bool:
        return self.verdict == DENIED

    @property
    def unknown(self) -> bool:
        return self.verdict == UNKNOWN

    @property
    def location(self) -> Location | None:
        return deciding_location(self.rule) if self.rule is not None else None


def deciding_location(rule: Resource) -> Location:
    """Where a finding points when ``rule`` decides a flow, the same for every rule (EGL207,
    EGL208, EGL301, EGL302): an NSG security rule's ``access``, the Allow or Deny that decides
    (in ARM the line saying it, not the rule's opening brace, which tells a reader nothing);
    else the rule itself: a firewall rule's action belongs to its whole collection, so the rule
    is the most precise place."""
    if isinstance(rule, SecurityRule) and rule.access is not None and rule.access.location is not None:
        return rule.access.location
    return rule.location


# =========================================================================== rule sets


def _truthy(value: Value | None) -> Tri:
    """Boolean setting: None (absent) is False (Azure's default); unknown values are None."""
    if value is None:
        return False
    if value.known is None:
        return None
    text = value.known.strip().lower()
    if text in ("true", "1", "yes", "enabled", "on"):
        return True
    if text in ("false", "0", "no", "disabled", "off", ""):
        return False
    return None


def _int(value: Value | None) -> int | None:
    if value is None or value.known is None:
        return None
    try:
        return int(value.known.strip())
    except ValueError:
        return None


@dataclass(eq=False, slots=True)
class Entry:
    """One rule compiled for matching, with its place in the processing order."""

    rule: Resource
    kind: str  # nat, network, application
    collection: RuleCollection
    group: RuleCollectionGroup | None
    policy: FirewallPolicy | None
    action: str | None  # allow, deny, dnat, snat (lower-case); None when unknown
    order: tuple[int, ...]
    order_known: bool
    sources: AddressSet
    source_groups: bool
    destinations: AddressSet
    destination_groups: bool
    fqdns: tuple[str, ...]  # network: destination FQDNs; application: target FQDNs
    unknown_fqdns: bool
    fqdn_tags: tuple[str, ...]
    unknown_tags: bool
    ports: PortSet
    protocols: ProtocolSet
    app_protocols: AppProtocolSet
    urls: bool  # application rule with target URLs or web categories
    unresolved: tuple[Value, ...]  # values that could not be read

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def allows(self) -> bool:
        return self.action in ("allow", "dnat")

    def where(self) -> str:
        """``network rule 'x' in collection 'c' of firewall 'fw'`` (policy: ``... of policy 'p'``)."""
        owner = self.policy if self.policy is not None else self.collection.ref.parent
        if isinstance(owner, FirewallPolicy):
            group = f" (rule collection group '{self.group.name}')" if self.group is not None else ""
            tail = f"of firewall policy '{owner.name}'{group}"
        else:
            tail = f"of firewall '{owner.label if owner is not None else '?'}'"
        return f"{self.kind} rule '{self.name}' in collection '{self.collection.name}' {tail}"


def _texts(inv: Inventory, values: Sequence[Value] | None, unresolved: list[Value]) -> list[str]:
    """The texts of ``values`` as resolved (a sentinel for each unresolved one, also appended
    to ``unresolved``). Written for speed: a large project compiles 100,000s of them."""
    out: list[str] = []
    for v in values or ():
        if v.symbol is not None:  # only a symbolic value can resolve to another
            v = inv.resolve(v) or v
        if v.known is not None:
            out.append(v.known)
        else:
            out.append(sentinel(v))
            unresolved.append(v)
    return out


def _split_sentinels(texts: list[str]) -> tuple[list[str], bool]:
    """The texts that are not sentinels, and whether there was one."""
    kept = [t for t in texts if not t.startswith("$?")]
    return kept, len(kept) != len(texts)


# Shared empty sets for the parts a kind of rule does not have (all immutable).
_NO_ADDRESSES = AddressSet()
_NO_PORTS = PortSet()
_NO_PROTOCOLS = ProtocolSet()
_NO_APP_PROTOCOLS = AppProtocolSet()


def _compile(inv: Inventory, rule: Resource, kind: str, coll: RuleCollection, group: RuleCollectionGroup | None,
             policy: FirewallPolicy | None, order: tuple[int, ...], order_known: bool) -> Entry:
    unresolved: list[Value] = []
    action_value = inv.resolve(coll.action) if coll.action is not None else None
    action = action_value.known.strip().lower() if action_value is not None and action_value.known else None
    if action is None and action_value is not None:
        unresolved.append(action_value)
    sources = _texts(inv, getattr(rule, "source_addresses", None), unresolved)
    source_groups = bool(getattr(rule, "source_ip_groups", None))
    protocols = _texts(inv, getattr(rule, "protocols", None), unresolved)
    if isinstance(rule, ApplicationRule):
        targets, unknown_targets = _split_sentinels(_texts(inv, rule.target_fqdns, unresolved))
        tags, unknown_tags = _split_sentinels(_texts(inv, rule.fqdn_tags, unresolved))
        return Entry(
            rule, kind, coll, group, policy, action, order, order_known,
            AddressSet.parse(sources), source_groups, _NO_ADDRESSES, False,
            tuple([t.lower() for t in targets]), unknown_targets, tuple(tags), unknown_tags,
            _NO_PORTS, _NO_PROTOCOLS, AppProtocolSet.parse(protocols),
            bool(rule.target_urls or rule.web_categories), tuple(unresolved))
    destinations = _texts(inv, getattr(rule, "destination_addresses", None), unresolved)
    fqdns, unknown_fqdns = _split_sentinels(_texts(inv, getattr(rule, "destination_fqdns", None), unresolved))
    return Entry(
        rule, kind, coll, group, policy, action, order, order_known,
        AddressSet.parse(sources), source_groups, AddressSet.parse(destinations),
        bool(getattr(rule, "destination_ip_groups", None)),
        tuple([f.lower().rstrip(".") for f in fqdns]), unknown_fqdns,
        (), False, PortSet.parse(_texts(inv, getattr(rule, "destination_ports", None), unresolved)),
        ProtocolSet.parse(protocols), _NO_APP_PROTOCOLS, False, tuple(unresolved))


@dataclass(eq=False)
class RuleSet:
    """The effective, ordered rules of one firewall (or one firewall policy chain).

    ``owner`` is where missing allows belong (the firewall for classic rules, the leaf policy);
    ``incomplete`` says why rules may be missing from the scan ("" when complete);
    ``dns_proxy`` is True/False/None (unknown), read from ``dns_proxy_source``."""

    owner: Resource
    firewall: Firewall | None = None
    policies: tuple[FirewallPolicy, ...] = ()  # root first
    entries: dict[str, list[Entry]] = field(default_factory=lambda: {k: [] for k in KIND_ORDER})
    incomplete: str = ""
    dns_proxy: Tri = False
    dns_proxy_value: Value | None = None
    dns_proxy_source: Resource | None = None

    @property
    def classic(self) -> bool:
        return not self.policies

    def all_entries(self) -> list[Entry]:
        return [e for kind in KIND_ORDER for e in self.entries[kind]]

    def describe(self) -> str:
        if self.firewall is not None and self.policies:
            return f"firewall '{self.firewall.name}' (policy '{self.policies[-1].name}')"
        return self.owner.title()

    @functools.cached_property
    def regions_mentioned(self) -> tuple[str, ...]:
        """ARM region names that appear in the rules (regional service tags, FQDN labels): the
        candidates when a cluster's region is not known."""
        found: dict[str, None] = {}
        for e in self.all_entries():
            for t in e.destinations.tags:
                if t.region:
                    found[t.region] = None
            for f in e.fqdns:
                for label in f.split("."):
                    region = net.canonical_region(label) if label and label != "*" else None
                    if region:
                        found[region] = None
        return tuple(found)


_CACHE: weakref.WeakKeyDictionary[Inventory, dict[int, RuleSet]] = weakref.WeakKeyDictionary()


def _cache(inv: Inventory) -> dict[int, RuleSet]:
    c = _CACHE.get(inv)
    if c is None:
        c = {}
        _CACHE[inv] = c
    return c


def rule_set(inv: Inventory, fw: Firewall) -> RuleSet:
    """The effective rule set of firewall ``fw`` (cached per inventory)."""
    cache = _cache(inv)
    key = id(fw)
    if key not in cache:
        cache[key] = _build_firewall(inv, fw)
    return cache[key]


def policy_rule_set(inv: Inventory, policy: FirewallPolicy) -> RuleSet:
    """The rule set a firewall would get from ``policy`` (with its base policy chain)."""
    cache = _cache(inv)
    key = id(policy)
    if key not in cache:
        cache[key] = _build_policy(inv, policy, None)
    return cache[key]


def _build_firewall(inv: Inventory, fw: Firewall) -> RuleSet:
    if fw.policy is not None:
        policy = inv.typed(fw.policy, FirewallPolicy)
        if policy is None:
            return RuleSet(fw, fw, incomplete=f"its firewall policy '{fw.policy.label}' is not in the scanned files",
                           dns_proxy=None)
        return _build_policy(inv, policy, fw)
    rs = RuleSet(fw, fw, dns_proxy=_truthy(inv.resolve(fw.dns_proxy)), dns_proxy_value=fw.dns_proxy,
                 dns_proxy_source=fw)
    if not fw.declared:
        rs.incomplete = f"firewall '{fw.name}' is not declared in the scanned files (its other rules are unknown)"
    seq = 0
    for coll in inv.children(fw, RuleCollection):
        prio = _int(inv.resolve(coll.priority))
        for rule in _rules_of(inv, coll):
            kind = _RULE_CLASSES[type(rule)]
            seq += 1
            rs.entries[kind].append(_compile(inv, rule, kind, coll, None, None,
                                             (prio if prio is not None else _LAST, seq), prio is not None))
    for kind in KIND_ORDER:
        rs.entries[kind].sort(key=lambda e: e.order)
    return rs


def _rules_of(inv: Inventory, coll: RuleCollection) -> list[Resource]:
    """The rules of a collection in declaration order."""
    return [r for r in inv.children(coll, Resource) if type(r) in _RULE_CLASSES]


def policy_chain(inv: Inventory, policy: FirewallPolicy) -> tuple[list[FirewallPolicy], str]:
    """``policy`` and its base policies, root first, and why the chain is incomplete ("")."""
    chain: list[FirewallPolicy] = []
    p: FirewallPolicy | None = policy
    problem = ""
    while p is not None:
        if any(q is p for q in chain):
            problem = f"firewall policy '{p.name}' is its own base policy (cycle)"
            break
        chain.append(p)
        if p.base_policy is None:
            break
        base = inv.typed(p.base_policy, FirewallPolicy)
        if base is None:
            problem = f"base policy '{p.base_policy.label}' of firewall policy '{p.name}' is not in the scanned files"
        p = base
    chain.reverse()
    return chain, problem


def _build_policy(inv: Inventory, policy: FirewallPolicy, fw: Firewall | None) -> RuleSet:
    chain, problem = policy_chain(inv, policy)
    rs = RuleSet(policy, fw, tuple(chain), incomplete=problem)  # missing allows belong in the policy
    if not policy.declared and not problem:
        rs.incomplete = f"firewall policy '{policy.name}' is not declared in the scanned files"
    for p in reversed(chain):  # DNS settings: the closest policy that states them
        if p.dns_proxy is not None:
            rs.dns_proxy, rs.dns_proxy_value, rs.dns_proxy_source = _truthy(inv.resolve(p.dns_proxy)), p.dns_proxy, p
            break
    else:
        rs.dns_proxy, rs.dns_proxy_source = False, policy
    seq = 0
    for depth, p in enumerate(chain):
        for group in inv.children(p, RuleCollectionGroup):
            gprio = _int(inv.resolve(group.priority))
            for coll in inv.children(group, RuleCollection):
                cprio = _int(inv.resolve(coll.priority))
                for rule in _rules_of(inv, coll):
                    kind = _RULE_CLASSES[type(rule)]
                    seq += 1
                    order = (depth, gprio if gprio is not None else _LAST, cprio if cprio is not None else _LAST, seq)
                    rs.entries[kind].append(_compile(inv, rule, kind, coll, group, p, order,
                                                     gprio is not None and cprio is not None))
    for kind in KIND_ORDER:
        rs.entries[kind].sort(key=lambda e: e.order)
    return rs


# =========================================================================== matching


def address_match(rule: AddressSet, flow: AddressSet) -> Tri:
    """True when the rule holds every address of the flow, False when it holds none, None when
    it holds part of it or it depends on unknown contents."""
    if rule.covers(flow) is True:
        return True
    if rule.intersects(flow) is False:
        return False
    return None


def _source_match(e: Entry, flow: Flow) -> Tri:
    return any3((address_match(e.sources, flow.source), None if e.source_groups else False))


@functools.cache
def _tag_patterns(tag: str) -> tuple[str, ...]:
    from egresslint.packs import requirements

    return requirements().tag_patterns(tag)


@functools.lru_cache(maxsize=8192)
def tag_covers_fqdn(tag: str, fqdn: str) -> Tri:
    """Does FQDN tag ``tag`` cover every host of ``fqdn`` (a name or pattern)? Known contents
    only for ``AzureKubernetesService``; other known tags do not match; tags missing from the
    shipped list are unknown (None). Memoised: every cluster's required FQDNs are asked of every
    FQDN-tag rule on its path, and the answer depends on the shipped lists only."""
    patterns = _tag_patterns(tag)
    if not patterns:
        if net.known_fqdn_tag(tag) or net.known_service_tag(tag) or net.closest_fqdn_tag(tag) is not None:
            return False  # another tag, the wrong kind of tag, or a misspelt one (EGL209): matches nothing here
        return None
    labels = {label for label in fqdn.split(".") if label and label != "*"}
    for p in patterns:
        if "{region}" in p:
            if any(net.fqdn_pattern_covers(p.replace("{region}", label), fqdn) for label in labels):
                return True
        elif net.fqdn_pattern_covers(p, fqdn):
            return True
    return False


def _network_destination(e: Entry, flow: Flow, dns_proxy: Tri) -> Tri:
    if flow.fqdn is not None:
        by_name: Tri = False
        if "*" not in flow.fqdn and flow.fqdn in e.fqdns:
            by_name = dns_proxy
        elif e.unknown_fqdns:
            by_name = None if dns_proxy is not False else False
        if e.destinations.covers_all():
            by_address: Tri = True
        elif e.destinations.unknown:
            by_address = None
        else:
            by_address = False
        return any3((by_name, by_address, None if e.destination_groups else False))
    # destination FQDNs never count for an address flow: what they resolve to is not known
    if flow.addresses is None or e.destinations.is_empty:
        return None if e.destination_groups else False
    by_address = address_match(e.destinations, flow.addresses)
    return any3((by_address, None if e.destination_groups else False))


def _application_destination(e: Entry, flow: Flow) -> Tri:
    if flow.fqdn is None:
        return False
    verdicts: list[Tri] = [True if any(net.fqdn_pattern_covers(p, flow.fqdn) for p in e.fqdns) else False]
    verdicts.extend(tag_covers_fqdn(t, flow.fqdn) for t in e.fqdn_tags)
    if e.unknown_fqdns or e.unknown_tags or e.urls:
        verdicts.append(None)
    return any3(verdicts)


def match(e: Entry, flow: Flow, dns_proxy: Tri = False) -> Tri:
    """Does rule entry ``e`` match ``flow``? True, False, or None (undecided)."""
    if e.kind == "application":
        if flow.fqdn is None or flow.app_protocol is None:
            return False
        proto = e.app_protocols.contains(flow.app_protocol, flow.port)
        if proto is False:
            return False
        return all3((proto, _source_match(e, flow), _application_destination(e, flow)))
    if e.kind == "nat" and flow.addresses is None:
        return False  # DNAT rules translate traffic to the firewall's own public IPs
    proto = e.protocols.contains(flow.protocol)
    if proto is False:
        return False
    port: Tri = True if flow.port is None else e.ports.contains(flow.port)
    if port is False:
        return False
    if e.kind == "network":
        dest = _network_destination(e, flow, dns_proxy)
    else:
        # DNAT rules translate traffic addressed to the firewall's own public IPs: only a flow
        # that certainly targets them matches (an unresolved `$FW_PUBLIC_IP` is not egress)
        dest = address_match(e.destinations, flow.addresses) is True if flow.addresses is not None else False
    return all3((proto, port, dest, _source_match(e, flow)))


def _verdict_of(e: Entry) -> str | None:
    if e.action is None:
        return None
    return ALLOWED if e.allows else DENIED


def _names(entries: Sequence[Entry], limit: int = 3) -> str:
    shown = ", ".join(f"'{e.name}'" for e in entries[:limit])
    return shown + (f" and {len(entries) - limit} more" if len(entries) > limit else "")


def evaluate(rs: RuleSet, flow: Flow) -> Decision:
    """First match wins over DNAT, network, then application rules; default deny. Undecided
    matches before the deciding rule make the verdict unknown unless they agree with it."""
    pending: list[Entry] = []
    for kind in KIND_ORDER:
        if kind == "application" and (flow.fqdn is None or flow.app_protocol is None):
            continue
        for e in rs.entries[kind]:
            m = match(e, flow, rs.dns_proxy)
            if m is False:
                continue
            verdict = _verdict_of(e)
            if m is None or not e.order_known or verdict is None:
                pending.append(e)
                continue
            # a collection whose priority is unknown may come before this one
            unordered = [u for u in rs.entries[kind] if not u.order_known and u not in pending
                         and match(u, flow, rs.dns_proxy) is not False]
            return _decide(rs, flow, e, verdict, pending + unordered)
    if rs.incomplete:
        return Decision(UNKNOWN, reason=rs.incomplete, pending=tuple(p.rule for p in pending), flow=flow)
    could_allow = [p for p in pending if _verdict_of(p) != DENIED]
    if could_allow:
        return Decision(UNKNOWN, reason=f"it depends on {_names(could_allow)}, which the scan cannot fully "
                        f"evaluate ({_why(could_allow[0], flow, rs)})", pending=tuple(p.rule for p in pending),
                        flow=flow)
    if pending:
        return Decision(DENIED, pending[0].rule, pending[0].collection,
                        f"no rule allows it (rules that might match deny it: {_names(pending)})", flow=flow)
    return Decision(DENIED, reason=f"no rule of {rs.describe()} matches it (default deny)", flow=flow)


def _decide(rs: RuleSet, flow: Flow, e: Entry, verdict: str, pending: list[Entry]) -> Decision:
    disagree = [p for p in pending if _verdict_of(p) != verdict]
    if disagree or rs.incomplete:
        reason = rs.incomplete or (f"{e.where()} would {('allow' if verdict == ALLOWED else 'deny')} it, but "
                                   f"{_names(disagree)} may match first ({_why(disagree[0], flow, rs)})")
        return Decision(UNKNOWN, e.rule, e.collection, reason, tuple(p.rule for p in pending), flow)
    word = "allows" if verdict == ALLOWED else "denies"
    return Decision(verdict, e.rule, e.collection, f"{e.where()} {word} it", tuple(p.rule for p in pending), flow)


def _why(e: Entry, flow: Flow, rs: RuleSet) -> str:
    if e.unresolved:
        return f"'{e.unresolved[0].text}' is not known"
    if not e.order_known:
        return "its collection priority is not known"
    if e.action is None:
        return "its collection action is not known"
    if e.source_groups or e.destination_groups:
        return "it uses IP groups"
    if e.urls:
        return "it filters by URL or web category"
    if e.unknown_tags:
        return "its FQDN tag is not known"
    if e.kind == "network" and flow.fqdn is not None and flow.fqdn in e.fqdns and rs.dns_proxy is None:
        return "whether DNS proxy is enabled is not known"
    if e.fqdn_tags and any(tag_covers_fqdn(t, flow.fqdn or "") is None for t in e.fqdn_tags):
        return "its FQDN tag's contents are not known"
    return "it covers only part of the flow or depends on service-tag contents"


def evaluate_any(rs: RuleSet, flows: Sequence[Flow]) -> Decision:
    """Alternatives: allowed when any flow is allowed, unknown when none is but one is
    unknown, else the first denial."""
    decisions = [evaluate(rs, f) for f in flows]
    for verdict in (ALLOWED, UNKNOWN):
        for d in decisions:
            if d.verdict == verdict:
                return d
    return decisions[0] if decisions else Decision(UNKNOWN, reason="nothing to evaluate")


# =========================================================================== requirements as flows


def endpoint_flows(ep: Endpoint, region: str | None, candidate_regions: Sequence[str] = (),
                   source: AddressSet | None = None) -> list[Flow]:
    """The flows that satisfy requirement ``ep`` (alternatives: any one suffices).

    With a known ``region`` the ``{region}`` placeholders are filled in. Without one, every
    region in ``candidate_regions`` (those the rules mention) is tried, plus a region-free probe
    (the global tag ``AzureCloud``, an FQDN with an unmatched region label): a rule that allows
    that probe allows the endpoint whatever the region is, and when none of them is allowed the
    endpoint is denied whatever the region is."""
    regions: list[str] = [region] if region else list(candidate_regions)
    label = ep.label(region)
    proto = "tcp" if ep.rule == "application" else ep.protocol.lower()
    flows: list[Flow] = []
    if ep.service_tag is not None:
        tags = [ep.service_tag]
        if "{region}" in ep.service_tag:
            tags = [fill_region(ep.service_tag, r) for r in regions]
            if not region:
                tags.append(ep.service_tag.replace(".{region}", "").replace("{region}", ""))
        flows.extend(Flow.to_addresses([t], proto, ep.port, source, label) for t in tags)
    elif ep.api_server:
        flows.append(Flow.to_addresses([sentinel("api-server-public-ip")], proto, ep.port, source, label))
    for fqdn in ep.fqdns:
        names = [fqdn]
        if "{region}" in fqdn:
            names = [fqdn.replace("{region}", r) for r in regions]
            if not region:
                names.append(fqdn.replace("{region}", "unknown-region"))
        app = ep.protocol.lower() if ep.rule == "application" else None
        flows.extend(Flow.to_fqdn(n, ep.port, app, proto, source, label) for n in names)
    return flows
