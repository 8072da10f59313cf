"""Network security group evaluation: which security rule decides a flow.

Azure evaluates an NSG's rules per direction in ascending priority (100-4096 for user rules);
the first match decides (rules are terminating and stateful). Every NSG also has the platform's
default rules, which user rules can override but not remove
(learn.microsoft.com/azure/virtual-network/network-security-groups-overview):

=========  ==============================  =====  ====================  ===============  ======
direction  name                            prio   source                destination      access
=========  ==============================  =====  ====================  ===============  ======
Inbound    AllowVNetInBound                65000  VirtualNetwork        VirtualNetwork   Allow
Inbound    AllowAzureLoadBalancerInBound   65001  AzureLoadBalancer     *                Allow
Inbound    DenyAllInBound                  65500  *                     *                Deny
Outbound   AllowVnetOutBound               65000  VirtualNetwork        VirtualNetwork   Allow
Outbound   AllowInternetOutBound           65001  *                     Internet         Allow
Outbound   DenyAllOutBound                 65500  *                     *                Deny
=========  ==============================  =====  ====================  ===============  ======

When an export lists the ``defaultSecurityRules`` they are used as written; otherwise the table
above is added. The ``VirtualNetwork`` tag is evaluated against what the scan knows: the VNet's
address space, the prefixes of user-defined routes of its subnets (Azure counts those too, so a
``0.0.0.0/0`` UDR makes ``VirtualNetwork`` hold everything) and configured peered/on-premises
ranges; another private address may still be in a peering the scan does not see (undecided).
Application security groups are symbolic (undecided). A flow to an FQDN stands for "some public
address": only rules whose side holds every public address (``*``, ``Internet``, ``0.0.0.0/0``)
match it.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

from egresslint import net
from egresslint.firewall import (
    ALLOWED,
    DENIED,
    UNKNOWN,
    Decision,
    Flow,
    Tri,
    address_match,
    all3,
    any3,
    sentinel,
)
from egresslint.inventory import Inventory
from egresslint.model import Location, NetworkSecurityGroup, SecurityRule, Subnet, Value
from egresslint.net import AddressSet, PortSet, ProtocolSet

__all__ = [
    "DEFAULT_RULES",
    "NsgEntry",
    "NsgRuleSet",
    "evaluate",
    "nsg_rule_set",
    "vnet_prefixes",
]

USER_PRIORITY = (100, 4096)
_LAST = 10**9
VIRTUAL_NETWORK = "virtualnetwork"

#: (name, priority, access, source, destination) per direction; protocol and ports are `*`.
DEFAULT_RULES: dict[str, tuple[tuple[str, int, str, str, str], ...]] = {
    "inbound": (
        ("AllowVNetInBound", 65000, "allow", "VirtualNetwork", "VirtualNetwork"),
        ("AllowAzureLoadBalancerInBound", 65001, "allow", "AzureLoadBalancer", "*"),
        ("DenyAllInBound", 65500, "deny", "*", "*"),
    ),
    "outbound": (
        ("AllowVnetOutBound", 65000, "allow", "VirtualNetwork", "VirtualNetwork"),
        ("AllowInternetOutBound", 65001, "allow", "*", "Internet"),
        ("DenyAllOutBound", 65500, "deny", "*", "*"),
    ),
}


def _lower(inv: Inventory, value: Value | None) -> str | None:
    v = inv.resolve(value) if value is not None else None
    return v.known.strip().lower() if v is not None and v.known is not None else None


@dataclass(frozen=True)
class Side:
    """One side (source or destination) of a security rule, with VirtualNetwork expanded."""

    addresses: AddressSet
    virtual_network: bool = False  # the VirtualNetwork tag was used (peerings may add ranges)
    asg: bool = False  # application security groups (symbolic)
    tokens: tuple[str, ...] = ()  # as written (resolved), for validation

    def match(self, flow_addresses: AddressSet | None) -> Tri:
        if flow_addresses is None:  # an FQDN: some public address
            if self.addresses.covers_all():
                return True
            return None if (self.addresses.unknown or self.asg) else False
        m = address_match(self.addresses, flow_addresses)
        private = _PRIVATE.intersects(flow_addresses) is not False
        if m is False and self.virtual_network and flow_addresses.networks and not flow_addresses.tags \
                and all(net.is_private(n) for n in flow_addresses.networks):
            m = None  # a peered or on-premises range the scan does not see
        # application security groups hold NICs of the VNet: private addresses only
        return any3((m, None if self.asg and private else False))


_PRIVATE = AddressSet.parse([str(n) for n in net.PRIVATE_RANGES[4]])


@dataclass(eq=False)
class NsgEntry:
    rule: SecurityRule | None  # None for a default rule the scan adds
    name: str
    location: Location
    direction: str | None  # inbound, outbound
    priority: int | None
    access: str | None  # allow, deny
    protocols: ProtocolSet
    source: Side
    destination: Side
    ports: PortSet
    source_ports: PortSet
    platform: bool
    unresolved: tuple[Value, ...] = ()

    @property
    def order_known(self) -> bool:
        return self.priority is not None

    def where(self) -> str:
        kind = "default rule" if self.platform else "security rule"
        return f"{kind} '{self.name}' (priority {self.priority if self.priority is not None else '?'})"


@dataclass(eq=False)
class NsgRuleSet:
    nsg: NetworkSecurityGroup
    subnet: Subnet | None
    vnet_prefixes: tuple[str, ...]
    entries: dict[str, list[NsgEntry]] = field(default_factory=lambda: {"inbound": [], "outbound": []})

    def describe(self) -> str:
        return f"network security group '{self.nsg.name}'"


def vnet_prefixes(inv: Inventory, subnet: Subnet | None) -> tuple[str, ...]:
    """What the ``VirtualNetwork`` tag holds for ``subnet`` as far as the scan knows: the VNet's
    address space, user-defined route prefixes of its subnets, configured peered/on-premises
    ranges."""
    if subnet is None:
        return ()
    out: list[str] = []
    vnet = inv.vnet_of(subnet)
    if vnet is not None:
        out.extend(p.known for p in vnet.address_prefixes if p.known and net.parse_network(p.known))
        for sub in inv.children(vnet, Subnet):
            table = inv.route_table_of(sub)
            if table is None:
                continue
            for route in inv.routes(table):
                prefix = inv.resolve(route.address_prefix)
                if prefix is not None and prefix.known and net.parse_network(prefix.known) is not None:
                    out.append(prefix.known)
    else:
        out.extend(p.known for p in subnet.address_prefixes if p.known and net.parse_network(p.known))
    facts = inv.facts.get("config") or {}
    if isinstance(facts, dict):
        for key in ("peered-ranges", "onprem-ranges", "peered_ranges", "onprem_ranges"):
            for item in facts.get(key) or ():
                if isinstance(item, str) and net.parse_network(item) is not None:
                    out.append(item)
    return tuple(dict.fromkeys(out))


def _side(inv: Inventory, values: Sequence[Value] | None, asgs: Sequence[Value] | None,
          prefixes: tuple[str, ...], unresolved: list[Value]) -> Side:
    tokens: list[str] = []
    for v in values or ():
        r = inv.resolve(v) or v
        if r.known is not None:
            tokens.extend(t for t in r.known.replace(",", " ").split() if t)
        else:
            tokens.append(sentinel(r))
            unresolved.append(r)
    vnet = any(t.lower() == VIRTUAL_NETWORK for t in tokens)
    items = [t for t in tokens if t.lower() != VIRTUAL_NETWORK]
    if vnet:
        items.extend(prefixes if prefixes else ["VirtualNetwork"])
    return Side(AddressSet.parse(items), vnet, bool(asgs), tuple(tokens))


def _entry(inv: Inventory, rule: SecurityRule, prefixes: tuple[str, ...]) -> NsgEntry:
    unresolved: list[Value] = []

    def texts(values: Sequence[Value] | None) -> list[str]:
        out = []
        for v in values or ():
            r = inv.resolve(v) or v
            if r.known is not None:
                out.append(r.known)
            else:
                out.append(sentinel(r))
                unresolved.append(r)
        return out

    priority_value = inv.resolve(rule.priority)
    try:
        priority = int(priority_value.known) if priority_value is not None and priority_value.known else None
    except ValueError:
        priority = None
    protocol = texts([rule.protocol] if rule.protocol is not None else [Value.literal("*")])
    return NsgEntry(
        rule=rule, name=rule.name, location=rule.location,
        direction=_lower(inv, rule.direction) or ("inbound" if rule.direction is None else None),
        priority=priority,
        access=_lower(inv, rule.access) or ("allow" if rule.access is None else None),
        protocols=ProtocolSet.parse(protocol),
        source=_side(inv, rule.source_prefixes or [Value.literal("*")], rule.source_asgs, prefixes, unresolved),
        destination=_side(inv, rule.destination_prefixes or ([] if rule.destination_asgs else [Value.literal("*")]),
                          rule.destination_asgs, prefixes, unresolved),
        ports=PortSet.parse(texts(rule.destination_ports or [Value.literal("*")])),
        source_ports=PortSet.parse(texts(rule.source_ports or [Value.literal("*")])),
        platform=rule.platform_default, unresolved=tuple(unresolved))


_CACHE: weakref.WeakKeyDictionary[Inventory, dict[tuple[int, int], NsgRuleSet]] = weakref.WeakKeyDictionary()


def nsg_rule_set(inv: Inventory, nsg: NetworkSecurityGroup, subnet: Subnet | None = None) -> NsgRuleSet:
    """The rules of ``nsg`` per direction, in evaluation order, with Azure's default rules;
    ``VirtualNetwork`` expanded for ``subnet`` (cached per inventory)."""
    cache = _CACHE.setdefault(inv, {})
    key = (id(nsg), id(subnet))
    if key in cache:
        return cache[key]
    prefixes = vnet_prefixes(inv, subnet)
    rs = NsgRuleSet(nsg, subnet, prefixes)
    rules = inv.children(nsg, SecurityRule)
    for rule in rules:
        e = _entry(inv, rule, prefixes)
        for direction in ([e.direction] if e.direction in rs.entries else ["inbound", "outbound"]):
            rs.entries[direction].append(e)
    for direction, defaults in DEFAULT_RULES.items():
        have = {e.name.lower() for e in rs.entries[direction] if e.platform}
        for name, priority, access, src, dst in defaults:
            if name.lower() in have:
                continue
            rs.entries[direction].append(NsgEntry(
                None, name, nsg.location, direction, priority, access, ProtocolSet.parse(["*"]),
                _side(inv, [Value.literal(src)], None, prefixes, []), _side(inv, [Value.literal(dst)], None, prefixes, []),
                PortSet.parse(["*"]), PortSet.parse(["*"]), platform=True))
    for direction in rs.entries:
        rs.entries[direction] = sorted(rs.entries[direction], key=lambda e: e.priority if e.priority is not None else _LAST)
    cache[key] = rs
    return rs


def match(e: NsgEntry, flow: Flow) -> Tri:
    proto = e.protocols.contains(flow.protocol)
    if proto is False:
        return False
    port: Tri = True if flow.port is None else e.ports.contains(flow.port)
    if port is False:
        return False
    src_port: Tri = True if e.source_ports.is_all else (None if not e.source_ports.is_empty else False)
    dest = e.destination.match(flow.addresses)
    if dest is False:
        return False
    return all3((proto, port, src_port, dest, e.source.match(flow.source)))


def evaluate(rs: NsgRuleSet, flow: Flow, direction: str = "outbound") -> Decision:
    """First match by priority decides; undecided matches before it make the verdict unknown
    unless they agree."""
    pending: list[NsgEntry] = []
    for e in rs.entries[direction]:
        m = match(e, flow)
        if m is False:
            continue
        verdict = ALLOWED if e.access == "allow" else DENIED if e.access == "deny" else None
        if m is None or verdict is None or not e.order_known:
            pending.append(e)
            continue
        disagree = [p for p in pending if p.access != e.access]
        word = "allows" if verdict == ALLOWED else "denies"
        if disagree:
            return Decision(UNKNOWN, e.rule, rs.nsg, f"{e.where()} {word} it, but {disagree[0].where()} may "
                            f"match first", tuple(p.rule for p in pending if p.rule is not None), flow)
        return Decision(verdict, e.rule, rs.nsg, f"{e.where()} of {rs.describe()} {word} it",
                        tuple(p.rule for p in pending if p.rule is not None), flow)
    return Decision(UNKNOWN, None, rs.nsg, "no rule decides it", tuple(p.rule for p in pending if p.rule), flow)


def deciding_entry(rs: NsgRuleSet, decision: Decision, direction: str = "outbound") -> NsgEntry | None:
    """The entry of ``rs`` whose rule made ``decision``; None for a decision no scanned rule
    made (Azure's default rules have no model rule, and an undecided flow has none)."""
    for e in rs.entries[direction]:
        if decision.rule is not None and e.rule is decision.rule:
            return e
    return None
