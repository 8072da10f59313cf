"""The inventory: every operation of every file replayed into one resolved graph.

It merges resources by identity, keeps parent/child links, resolves symbolic values
(``$(az ... --query ...)`` results) against the ARM-shaped view of the resource, and answers
the questions many rules share: the effective route of a subnet, the firewall at a next hop,
a cluster's egress path, the state of a subnet when a cluster was created.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from egresslint import net
from egresslint.findings import Finding, Related, Severity
from egresslint.model import (
    RESOURCE_CLASSES,
    Cluster,
    EgressSnapshot,
    Firewall,
    Location,
    NodePool,
    Operation,
    PublicIp,
    Ref,
    Resource,
    Route,
    RouteTable,
    Subnet,
    Symbol,
    Value,
    VirtualNetwork,
)

R = TypeVar("R", bound=Resource)

FIREWALL_SUBNET = "azurefirewallsubnet"
FIREWALL_MANAGEMENT_SUBNET = "azurefirewallmanagementsubnet"
INTERNET = "0.0.0.0/0"


@dataclass(frozen=True, slots=True)
class EffectiveRoute:
    """The route that carries ``destination`` out of a subnet.

    ``route`` is the user route that wins (None when a system route does); ``certain`` is
    False when a user route with an unknown prefix (variable, service tag) might win instead.
    """

    destination: str
    next_hop_type: str | None  # canonical spelling, or None when unknown
    next_hop_ip: Value | None
    route: Route | None
    route_table: RouteTable | None
    certain: bool = True


@dataclass(frozen=True, slots=True)
class HopTarget:
    """What sits at a next-hop IP. ``relation``: ``private`` (the firewall's private IP),
    ``public`` (one of its public IPs), ``firewall-subnet`` (another address inside its
    AzureFirewallSubnet), ``subnet`` (an address in a scanned subnet without an appliance),
    ``outside`` (not in anything scanned), ``unknown`` (the IP itself is not known)."""

    relation: str
    firewall: Firewall | None = None
    subnet: Subnet | None = None
    public_ip: PublicIp | None = None


@dataclass(frozen=True, slots=True)
class EgressPath:
    """A cluster's way out to the Internet from one node subnet."""

    cluster: Cluster
    pools: tuple[NodePool, ...]
    subnet: Subnet | None
    route: EffectiveRoute | None
    hop: HopTarget | None

    @property
    def firewall(self) -> Firewall | None:
        return self.hop.firewall if self.hop else None


BUCKET_FROM = 16

# Per resource class, the change names known to be fields (hasattr answers the same for every
# instance: each is built by its dataclass __init__), so a replay asks hasattr once per name.
_SETTABLE: dict[type, set[str]] = {}


@dataclass
class _Index:
    by_ref: dict[Ref, Resource] = field(default_factory=dict)
    loose: dict[tuple[str, tuple[str, ...]], list[Ref]] = field(default_factory=lambda: defaultdict(list))
    # For a kind and name chain that many resource groups use (every team's route table is
    # `aks-rt`): its refs by the group of each level (leaf first), so that a lookup tests the
    # few group combinations that can match instead of every same-named resource (quadratic
    # in a monorepo). Made only past BUCKET_FROM refs: a dict per name would cost more memory.
    loose_buckets: dict[tuple[str, tuple[str, ...]], dict[tuple[str | None, ...], list[Ref]]] = field(
        default_factory=dict)
    children: dict[Ref, list[Ref]] = field(default_factory=lambda: defaultdict(list))
    by_kind: dict[str, list[Ref]] = field(default_factory=lambda: defaultdict(list))


class Inventory:
    """Build with :meth:`replay`; then query. Resources keep insertion order (deterministic)."""

    def __init__(self, facts: dict[str, Any] | None = None) -> None:
        self._ix = _Index()
        # Input findings: those of the frontends (parse errors, typography, flags...) plus those
        # only replay can see (EGL005 on a rule collection az refuses to create). The input
        # rules report them, so selection and suppression treat them like any other.
        self.diagnostics: list[Finding] = []
        self.facts: dict[str, Any] = facts or {}
        self.problems: list[str] = []  # internal inconsistencies (a frontend bug); tests keep it empty
        self._failed_groups: set[tuple[str, int]] = set()
        # A cluster's state at creation is taken once every operation of its command (the
        # node pool of `az aks create`) has been applied.
        self._pending: tuple[Cluster, tuple[str, int]] | None = None
        self._version = 0  # bumped by every change; caches of derived answers compare it
        self._index_version = -1
        self._addresses: dict[str, HopTarget] = {}
        self._all_memo: dict[Any, Any] = {}

    # ------------------------------------------------------------------ building
    def replay(self, operations: Iterable[Operation]) -> Inventory:
        for op in operations:
            self.apply(op)
        self._take_snapshot()
        return self

    def _take_snapshot(self) -> None:
        if self._pending is not None:
            cluster, _group = self._pending
            self._pending = None
            cluster.egress_at_creation = self._snapshot(cluster)

    def apply(self, op: Operation) -> None:
        group_key = (op.location.file, op.group)
        if self._pending is not None and (self._pending[1] != group_key or not op.group):
            self._take_snapshot()
        # bumped after the snapshot, right before any change: an answer memoised while the
        # snapshot was taken describes the state before this operation, so it must not survive
        self._version += 1
        if op.group and group_key in self._failed_groups:
            return
        if op.action == "delete":
            self._delete(op.ref)
            return
        existing = self._ix.by_ref.get(op.ref)
        key = None
        if existing is None:  # the loose key is kept for _new (a project creates 100,000s)
            key = op.ref.loose_key()
            existing = self._loose_get(op.ref, key)
        if op.action == "ensure":
            if existing is not None and existing.declared:
                return
            missing = [name for name in op.required if op.changes.get(name) is None]
            if missing and existing is None:
                self._failed_groups.add(group_key)
                self._ensure_failed(op, missing)
                return
        if existing is None:
            existing = self._new(op.ref, op.location, declared=op.action != "update", key=key)
        elif op.action in ("create", "ensure") and not existing.declared:
            existing.declared = True
            existing.location = op.location
        existing.history.append(op)
        self._set_fields(existing, op)
        if isinstance(existing, Cluster) and op.action == "create":
            existing.created = True
            self._pending = (existing, group_key)

    def _ensure_failed(self, op: Operation, missing: list[str]) -> None:
        flags = " and ".join(f"--{name}" for name in missing)
        parent = op.ref.parent.label if op.ref.parent else "?"
        self.diagnostics.append(Finding(
            rule_id="EGL005",
            severity=Severity.ERROR,
            location=op.location,
            message=(
                f"{op.command or 'this command'} creates rule collection '{op.ref.label}' on "
                f"'{parent}' (it does not exist yet) but lacks {flags}: az refuses it "
                f"(\"usage error: --collection-name NEW_NAME --priority INT --action ACTION\") and "
                f"the rule is never created; give the first rule of a new collection --priority "
                f"and --action, and omit them on later rules"
            ),
            subject=f"ensure:{op.ref.kind}:{op.ref.name}",
        ))

    def _new(self, ref: Ref, location: Location, declared: bool,
             key: tuple[str, tuple[str, ...]] | None = None) -> Resource:
        """A new resource for ``ref`` (its parents made when missing); ``key``, when given, is
        ``ref.loose_key()`` (the parent chain taken from the inventory keeps every name)."""
        if ref.parent is not None:
            parent = self.get(ref.parent)
            if parent is None:
                parent = self._new(ref.parent, location, declared=False)
            ref = Ref(ref.kind, ref.name, ref.group, parent.ref, ref.display)
        cls = RESOURCE_CLASSES.get(ref.kind)
        if cls is None:
            self.problems.append(f"unknown resource kind {ref.kind!r}")
            cls = Resource
        res = cls(ref=ref, location=location, declared=declared)
        ix = self._ix
        ix.by_ref[ref] = res
        if key is None:
            key = ref.loose_key()
        same = ix.loose[key]
        same.append(ref)
        buckets = ix.loose_buckets.get(key)
        if buckets is not None:
            buckets.setdefault(_group_chain(ref), []).append(ref)
        elif len(same) > BUCKET_FROM:
            buckets = ix.loose_buckets[key] = {}
            for r in same:
                buckets.setdefault(_group_chain(r), []).append(r)
        ix.by_kind[ref.kind].append(ref)
        if ref.parent is not None:
            ix.children[ref.parent].append(ref)
        return res

    def _delete(self, ref: Ref) -> None:
        res = self.get(ref)
        if res is None:
            return
        for child in list(self._ix.children.get(res.ref, ())):
            self._delete(child)
        ix = self._ix
        ix.by_ref.pop(res.ref, None)
        key = res.ref.loose_key()
        ix.loose[key].remove(res.ref)
        if key in ix.loose_buckets:
            ix.loose_buckets[key][_group_chain(res.ref)].remove(res.ref)
        ix.by_kind[res.ref.kind].remove(res.ref)
        if res.ref.parent is not None and res.ref in ix.children.get(res.ref.parent, []):
            ix.children[res.ref.parent].remove(res.ref)

    def _set_fields(self, res: Resource, op: Operation) -> None:
        settable = _SETTABLE.get(type(res))
        if settable is None:
            settable = _SETTABLE[type(res)] = set()
        for name, value in op.changes.items():
            if name not in settable:
                if not hasattr(res, name) or name in ("ref", "history"):
                    self.problems.append(f"{op.command}: {type(res).__name__} has no field {name!r}")
                    continue
                settable.add(name)
            if not isinstance(value, tuple):
                setattr(res, name, list(value) if isinstance(value, list) else value)
                continue
            if len(value) == 2 and value[0] == "append":
                current = getattr(res, name)
                if isinstance(current, list):
                    current.extend(value[1])
                    continue
                value = list(value[1])
            setattr(res, name, list(value) if isinstance(value, list) else value)

    # ------------------------------------------------------------------ lookup
    def get(self, ref: Ref | None) -> Resource | None:
        """The resource ``ref`` names. When the group is not known on one side, a unique
        match by kind and name chain is taken (a script may say ``-g $RG`` where an ARM
        template says nothing)."""
        if ref is None:
            return None
        hit = self._ix.by_ref.get(ref)
        if hit is not None:
            return hit
        return self._loose_get(ref, ref.loose_key())

    def _loose_get(self, ref: Ref, key: tuple[str, tuple[str, ...]]) -> Resource | None:
        """:meth:`get` for a ref not indexed as such; ``key`` is ``ref.loose_key()``."""
        ix = self._ix
        buckets = ix.loose_buckets.get(key)
        if buckets is not None:
            found = _unique_compatible(buckets, _group_chain(ref))
        else:
            found = _unique(c for c in ix.loose.get(key, ()) if _groups_compatible(ref, c))
        return ix.by_ref[found] if found is not None else None

    def typed(self, ref: Ref | None, cls: type[R]) -> R | None:
        res = self.get(ref)
        return res if isinstance(res, cls) else None

    def all(self, cls: type[R]) -> list[R]:
        """Resources of a kind, in insertion order (memoised per inventory state: rules ask
        this in inner loops)."""
        return list(self._all(cls))

    def _all(self, cls: type[R]) -> list[R]:
        """:meth:`all` without the copy, for loops in here that do not change it."""
        memo = self._memo()
        hit: list[R] | None = memo.get(cls)
        if hit is None:
            ix = self._ix
            hit = [r for ref in ix.by_kind.get(cls.KIND, ()) if isinstance(r := ix.by_ref[ref], cls)]
            memo[cls] = hit
        return hit

    def resources(self) -> Iterator[Resource]:
        return iter(self._ix.by_ref.values())

    def children(self, parent: Resource | Ref, cls: type[R]) -> list[R]:
        if isinstance(parent, Resource):
            # memoised per inventory state (rules ask for a cluster's pools, a collection's rules
            # in loops, and each child costs a Ref hash); the entry holds the parent, so its id
            # is not reused while the entry lives
            memo = self._memo()
            key = ("children", id(parent), cls)
            hit = memo.get(key)
            if hit is None or hit[0] is not parent:
                hit = memo[key] = (parent, self._children(parent.ref, cls))
            return list(hit[1])
        return self._children(parent, cls)

    def _children(self, ref: Ref, cls: type[R]) -> list[R]:
        ix = self._ix
        return [r for c in ix.children.get(ref, ()) if isinstance(r := ix.by_ref[c], cls)]

    def _memo(self) -> dict[Any, Any]:
        """Answers memoised for the current inventory state: emptied by any change."""
        memo = self._all_memo
        if memo.get(None) != self._version:
            memo.clear()
            memo[None] = self._version
        return memo

    def parent(self, res: Resource) -> Resource | None:
        return self.get(res.ref.parent)

    # ------------------------------------------------------------------ values
    def resolve(self, value: Value | None) -> Value | None:
        """A symbolic value made as concrete as the scan allows: the JMESPath query of a
        ``$(az ... show --query ...)`` evaluated over the ARM-shaped view of the resource."""
        if value is None or value.symbol is None:
            return value
        sym = value.symbol
        if sym.query.startswith("derived:"):
            return value
        res = self.get(sym.ref)
        if res is None:
            return value
        import jmespath

        try:
            result = jmespath.search(sym.query, self.view(res))
        except Exception:  # any JMESPath error: the value stays symbolic
            return value
        if isinstance(result, Value):
            if sym.suffix and result.known is not None:
                return Value.literal(result.known + sym.suffix, value.location)
            if sym.suffix:
                return value
            return result.with_location(value.location) if result.location is None else result
        if isinstance(result, str | int) and not isinstance(result, bool):
            return Value.literal(f"{result}{sym.suffix}", value.location)
        return value

    def view(self, res: Resource) -> dict[str, Any]:
        """The ARM-shaped JSON `az <kind> show` would print, with Values as leaves (only the
        properties rules and queries need)."""
        def sym(query: str) -> Value:
            return Value.symbolic(Symbol(res.ref, query), f"<{query} of {res.name}>")

        out: dict[str, Any] = {"id": sym("id"), "name": Value.literal(res.name)}
        if isinstance(res, Firewall):
            configs = []
            for i, cfg in enumerate(res.ip_configs):
                configs.append({
                    "name": cfg.name,
                    "privateIPAddress": self.firewall_private_ip(res, i),
                    "publicIPAddress": {"id": self._id_value(cfg.public_ip)},
                    "subnet": {"id": self._id_value(cfg.subnet)},
                })
            if not configs:
                configs.append({"privateIPAddress": self.firewall_private_ip(res, 0)})
            out["ipConfigurations"] = configs
        elif isinstance(res, PublicIp):
            out["ipAddress"] = res.ip_address or sym("ipAddress")
        elif isinstance(res, Subnet):
            prefixes = res.address_prefixes
            out["addressPrefix"] = prefixes[0] if prefixes else None
            out["addressPrefixes"] = list(prefixes)
        elif isinstance(res, VirtualNetwork):
            out["addressSpace"] = {"addressPrefixes": list(res.address_prefixes)}
        return out

    def _id_value(self, ref: Ref | None) -> Value | None:
        if ref is None:
            return None
        return Value.symbolic(Symbol(ref, "id"), f"<id of {ref.label}>")

    def ref_of(self, value: Value | None, kind: str) -> Ref | None:
        """The resource a value points at when it is ``$(az <kind> show ... --query id)``."""
        if value is None or value.symbol is None:
            return None
        sym = value.symbol
        if sym.ref.kind == kind and sym.query.lower() == "id" and not sym.suffix:
            return sym.ref
        return None

    # ------------------------------------------------------------------ networking questions
    def vnet_of(self, subnet: Subnet) -> VirtualNetwork | None:
        parent = self.get(subnet.ref.parent)
        return parent if isinstance(parent, VirtualNetwork) else None

    def route_table_of(self, subnet: Subnet) -> RouteTable | None:
        return self.typed(subnet.route_table, RouteTable)

    def subnets_with_route_table(self, table: RouteTable) -> list[Subnet]:
        return [s for s in self.all(Subnet) if s.route_table is not None and self.get(s.route_table) is table]

    def routes(self, table: RouteTable) -> list[Route]:
        return self.children(table, Route)

    def effective_route(self, subnet: Subnet, destination: str = INTERNET) -> EffectiveRoute:
        """Longest-prefix match over the subnet's route table and Azure's system routes."""
        table = self.route_table_of(subnet)
        attached = subnet.route_table is not None or subnet.route_table_value is not None
        if (table is None and attached) or (not subnet.declared and not attached):
            # a table (or a subnet) the scan does not describe: its routes are not known
            return EffectiveRoute(destination, None, None, None, table, certain=False)
        if table is not None and not table.declared and not self.routes(table):
            return EffectiveRoute(destination, None, None, None, table, certain=False)
        routes = self.routes(table) if table is not None else []
        vnet = self.vnet_of(subnet)
        vnet_prefixes = [p.known for p in (vnet.address_prefixes if vnet else []) if p.known]
        candidates = [_RouteView(r, self.resolve(r.address_prefix)) for r in routes]
        selected = net.select_route(destination, candidates, vnet_prefixes)
        if selected is None:
            return EffectiveRoute(destination, None, None, None, table, certain=False)
        winner = selected.route
        if isinstance(winner, _RouteView):
            route = winner.route
            hop_type = route.next_hop_type.known if route.next_hop_type else None
            return EffectiveRoute(destination, hop_type, self.resolve(route.next_hop_ip), route, table,
                                  certain=selected.certain)
        return EffectiveRoute(destination, winner.next_hop_type, None, None, table, certain=selected.certain)

    def _address_index(self) -> dict[str, HopTarget]:
        """Known firewall addresses -> what they are; built once per inventory state (rules
        ask for many next hops: no scan over every firewall per question)."""
        if self._index_version != self._version:
            index: dict[str, HopTarget] = {}
            for fw in self.all(Firewall):
                private = self.firewall_private_ip(fw)
                if private.known is not None:
                    index.setdefault(private.known, HopTarget("private", firewall=fw))
                for _ref, pip in self.firewall_public_ips(fw):
                    if pip is not None and pip.ip_address is not None and pip.ip_address.known is not None:
                        index.setdefault(pip.ip_address.known, HopTarget("public", firewall=fw, public_ip=pip))
            self._addresses, self._index_version = index, self._version
        return self._addresses

    def firewall_subnet(self, fw: Firewall) -> Subnet | None:
        for cfg in fw.ip_configs:
            sub = self.typed(cfg.subnet, Subnet)
            if sub is not None:
                return sub
        return None

    def firewall_private_ip(self, fw: Firewall, index: int = 0) -> Value:
        """Known (stated), derived (first usable address, .4, of its AzureFirewallSubnet) or
        symbolic (``ipConfigurations[0].privateIPAddress``)."""
        cfg = fw.ip_configs[index] if index < len(fw.ip_configs) else None
        if cfg is not None and cfg.private_ip is not None and cfg.private_ip.symbol is None:
            if cfg.private_ip.known is not None:
                return cfg.private_ip
        if cfg is not None and index == 0:
            sub = self.typed(cfg.subnet, Subnet)
            if sub is not None and sub.ref.name == FIREWALL_SUBNET:
                for prefix in sub.address_prefixes:
                    network = net.parse_network(prefix.known) if prefix.known else None
                    if network is not None and network.version == 4 and network.num_addresses > 4:
                        return Value.literal(str(net.first_usable(network)), prefix.location)
        return Value.symbolic(Symbol(fw.ref, f"ipConfigurations[{index}].privateIPAddress"),
                              f"<private IP of {fw.name}>")

    def firewall_public_ips(self, fw: Firewall) -> list[tuple[Ref, PublicIp | None]]:
        out: dict[Ref, PublicIp | None] = {}
        for cfg in fw.ip_configs:
            if cfg.public_ip is not None and cfg.public_ip not in out:
                out[cfg.public_ip] = self.typed(cfg.public_ip, PublicIp)
        return list(out.items())

    def hop_target(self, ip: Value | None) -> HopTarget:
        """What the next-hop address ``ip`` is, in terms of scanned resources."""
        if ip is None:
            return HopTarget("unknown")
        ip = self.resolve(ip) or ip
        if ip.symbol is not None:
            sym = ip.symbol
            if sym.suffix:
                return HopTarget("unknown")
            target = self.get(sym.ref)
            if isinstance(target, Firewall) and "privateipaddress" in sym.query.lower():
                return HopTarget("private", firewall=target)
            if isinstance(target, PublicIp) and sym.query.lower() == "ipaddress":
                owner = self._first_holder("firewall-of-public-ip", target)
                if owner is not None:
                    return HopTarget("public", firewall=owner, public_ip=target)
                return HopTarget("outside", public_ip=target)
            return HopTarget("unknown")
        if ip.known is None:
            return HopTarget("unknown")
        address = net.parse_ip(ip.known)
        if address is None:
            return HopTarget("unknown")
        hit = self._address_index().get(str(address))
        if hit is not None:
            return hit
        sub = self._subnet_holding(address)
        if sub is None:
            return HopTarget("outside")
        if sub.ref.name == FIREWALL_SUBNET:
            return HopTarget("firewall-subnet", firewall=self._first_holder("firewall-of-subnet", sub), subnet=sub)
        return HopTarget("subnet", subnet=sub)

    def _first_holder(self, relation: str, res: Resource) -> Firewall | None:
        """The first firewall (in insertion order) that uses public IP ``res``
        (``firewall-of-public-ip``) or whose AzureFirewallSubnet is ``res`` (``firewall-of-subnet``):
        an index per inventory state, not a scan over every firewall per next hop. Keyed by id;
        each entry holds its resource, so an id is not reused while the index lives."""
        memo = self._memo()
        index: dict[int, tuple[Resource, Firewall]] | None = memo.get(relation)
        if index is None:
            index = memo[relation] = {}
            for fw in self._all(Firewall):
                if relation == "firewall-of-subnet":
                    held = [self.firewall_subnet(fw)]
                else:  # a PublicIp found for a config's ref (get(ref) is that same resource)
                    held = [pip for _ref, pip in self.firewall_public_ips(fw)]
                for r in held:
                    if r is not None:
                        index.setdefault(id(r), (r, fw))
        hit = index.get(id(res))
        return hit[1] if hit is not None and hit[0] is res else None

    def _subnet_holding(self, address: net.IPAddress) -> Subnet | None:
        """The first subnet (in insertion order) with a known prefix holding ``address``. Its
        prefixes are indexed by (version, network address, length) per inventory state; a
        question looks up the address masked to each prefix length (at most 129 lookups), not
        every subnet."""
        memo = self._memo()
        index: dict[tuple[int, int, int], tuple[int, Subnet]] | None = memo.get("subnet-prefixes")
        if index is None:
            index = memo["subnet-prefixes"] = {}
            for pos, sub in enumerate(self._all(Subnet)):
                for prefix in sub.address_prefixes:
                    network = net.parse_network(prefix.known) if prefix.known else None
                    if network is not None:
                        key = (network.version, int(network.network_address), network.prefixlen)
                        index.setdefault(key, (pos, sub))
        if not index:
            return None
        bits = address.max_prefixlen
        value = int(address)
        best: tuple[int, Subnet] | None = None
        for length in range(bits + 1):
            hit = index.get((address.version, value & (((1 << length) - 1) << (bits - length)), length))
            if hit is not None and (best is None or hit[0] < best[0]):
                best = hit
        return best[1] if best is not None else None

    # ------------------------------------------------------------------ clusters
    def node_pools(self, cluster: Cluster) -> list[NodePool]:
        return self.children(cluster, NodePool)

    def node_subnets(self, cluster: Cluster) -> list[tuple[Subnet | None, tuple[NodePool, ...]]]:
        """Distinct node subnets of a cluster with the pools on each (None: managed VNet or a
        subnet outside the scan)."""
        grouped: dict[int, tuple[Subnet | None, list[NodePool]]] = {}
        for pool in self.node_pools(cluster):
            sub = self.typed(pool.vnet_subnet, Subnet)
            key = id(sub) if sub is not None else 0
            grouped.setdefault(key, (sub, []))[1].append(pool)
        return [(sub, tuple(pools)) for sub, pools in grouped.values()]

    def byo_subnet(self, cluster: Cluster) -> bool | None:
        """True when the cluster brings its own subnet, False for a managed VNet, None when a
        pool's subnet value is unknown."""
        pools = self.node_pools(cluster)
        if not pools:
            return False
        if any(p.vnet_subnet is not None for p in pools):
            return True
        if any(p.vnet_subnet_value is not None for p in pools):
            return None
        return False

    def egress_paths(self, cluster: Cluster) -> list[EgressPath]:
        memo = self._memo()
        key = ("egress", id(cluster))
        if key not in memo:
            memo[key] = self._egress_paths(cluster)
        return list(memo[key])

    def _egress_paths(self, cluster: Cluster) -> list[EgressPath]:
        paths = []
        for subnet, pools in self.node_subnets(cluster):
            if subnet is None:
                paths.append(EgressPath(cluster, pools, None, None, None))
                continue
            route = self.effective_route(subnet)
            hop = self.hop_target(route.next_hop_ip) if route.next_hop_type == "VirtualAppliance" else None
            paths.append(EgressPath(cluster, pools, subnet, route, hop))
        return paths

    def outbound_type(self, cluster: Cluster) -> str:
        """The cluster's outbound type (canonical), ``loadBalancer`` when not set."""
        value = cluster.outbound_type
        if value is None:
            return "loadBalancer"
        return value.known or "?"

    def _snapshot(self, cluster: Cluster) -> EgressSnapshot:
        for subnet, _pools in self.node_subnets(cluster):
            if subnet is None:
                continue
            table = self.route_table_of(subnet)
            route = self.effective_route(subnet)
            return EgressSnapshot(subnet.ref, table.ref if table else None,
                                  route.route.ref if route.route else None, route.next_hop_type)
        return EgressSnapshot(None, None, None, None)

    # ------------------------------------------------------------------ helpers for rules
    @staticmethod
    def related(res: Resource | None, message: str) -> list[Related]:
        return [Related(res.location, message)] if res is not None and res.declared else []


def _groups_compatible(a: Ref, b: Ref) -> bool:
    """Two refs with the same kind and name chain may be one resource unless both state a
    resource group, at some level, and the groups differ."""
    x: Ref | None = a
    y: Ref | None = b
    while x is not None and y is not None:
        if x.group is not None and y.group is not None and x.group != y.group:
            return False
        x, y = x.parent, y.parent
    return True


def _unique(refs: Iterable[Ref]) -> Ref | None:
    """The only ref, or None when there are none or several (stops at the second)."""
    found: Ref | None = None
    for ref in refs:
        if found is not None:
            return None
        found = ref
    return found


def _group_chain(ref: Ref) -> tuple[str | None, ...]:
    """The resource group of each level of ``ref``, leaf first."""
    out: list[str | None] = []
    r: Ref | None = ref
    while r is not None:
        out.append(r.group)
        r = r.parent
    return tuple(out)


def _unique_compatible(buckets: dict[tuple[str | None, ...], list[Ref]],
                       groups: tuple[str | None, ...]) -> Ref | None:
    """The one ref (same kind and name chain) that may be the resource whose levels have these
    ``groups``, or None when none or several may. Two refs may be one resource unless both
    state a resource group, at some level, and the groups differ. A query with every group
    known can only match, at each level, that group or none: 2^depth buckets, not all."""
    if None not in groups:
        keys: Iterable[tuple[str | None, ...]] = itertools.product(*((g, None) for g in groups))
    else:
        keys = (k for k in buckets if all(a is None or b is None or a == b for a, b in zip(groups, k)))
    return _unique(ref for key in keys for ref in buckets.get(key, ()))


@dataclass(frozen=True, slots=True)
class _RouteView:
    """Adapter: a model Route seen by :func:`net.select_route` (``prefix`` as text)."""

    route: Route
    value: Value | None

    @property
    def prefix(self) -> str | None:
        return self.value.known if self.value is not None else None


def is_public_ip_literal(text: str | None) -> bool:
    if not text:
        return False
    try:
        return ipaddress.ip_address(text).is_global
    except ValueError:
        return False
