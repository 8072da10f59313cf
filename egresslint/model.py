"""The typed model: positions, values, resource references, resources and operations.

Everything here is plain data. Frontends produce :class:`Operation` objects; the inventory
replays them into :class:`Resource` objects; rules read those. Nothing in this module parses
text or knows a rule.

Conventions
-----------
* Lines and columns are 1-based; ``end_column`` is exclusive (lark and SARIF agree).
* Azure names are case-insensitive, so identities (:meth:`Value.identity`, :class:`Ref`) are
  lower-cased. A name that comes from an unset variable keeps the variable's spelling
  (``$VNET_NAME``) as its identity: the same variable names the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal


def pickle_by_fields(self: Any) -> tuple[Any, tuple[Any, ...]]:
    """``__reduce__`` for the model's dataclasses: pickle as a constructor call. Parse results
    cross process boundaries (``--jobs``) and the parse cache by the hundred thousand, and the
    generic ``__setstate__`` of slotted dataclasses, which looks up ``fields()`` per object,
    made unpickling them several times slower than this.

    Equal strings, tuples (JSON paths) and ``dict`` keys are shared here, while pickling: the
    pickle then holds each once and unpickling rebuilds them once, so the objects of a file (of
    a whole chunk of files from a worker process) share them with no work in the process that
    unpickles, which is the serial part of a parallel scan (sharing there cost it a third of
    its time). Every file repeats the same names, kinds, paths and commands: sharing keeps a
    third of the memory of the parse results of a large project."""
    cls = type(self)
    share = _SHARED.setdefault
    args = []
    for name in cls.__match_args__:
        value = self.__getattribute__(name)
        kind = type(value)
        if kind is str or kind is tuple:
            try:
                value = share(value, value)
            except TypeError:  # a tuple holding something unhashable: pickled as it is
                pass
        elif kind is dict:
            value = {share(k, k) if type(k) is str else k: v for k, v in value.items()}
        args.append(value)
    return cls, tuple(args)


# The canonical copies of what :func:`pickle_by_fields` shares. Emptied by the engine after each
# scan (:func:`release_shared`), so a long-lived process does not keep them.
_SHARED: dict[Any, Any] = {}


def release_shared() -> None:
    _SHARED.clear()


# --------------------------------------------------------------------------- positions


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a scanned file. ``path`` is structural: JSON-pointer parts for JSON/YAML,
    ``(command index, flag)`` for scripts; it feeds fingerprints, never the line number."""

    __reduce__ = pickle_by_fields

    file: str
    line: int
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None
    path: tuple[Any, ...] = ()

    def sort_key(self) -> tuple[str, int, int]:
        return (self.file, self.line, self.column)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


# --------------------------------------------------------------------------- values

ValueState = Literal["known", "symbolic", "unknown"]


@dataclass(frozen=True, slots=True)
class Ref:
    """Identity of a resource: its model kind, name identity, resource group identity (None when
    not stated or not knowable) and parent (subnets live in a VNet, routes in a route table...).

    ``display`` is the name as written, for messages; it does not take part in equality."""

    __reduce__ = pickle_by_fields

    kind: str
    name: str
    group: str | None = None
    parent: Ref | None = None
    display: str = field(default="", compare=False, hash=False)

    @property
    def label(self) -> str:
        text = self.display or self.name
        # unresolved ARM expressions can be long: keep messages readable
        return text if len(text) <= 64 else text[:61] + "..."

    @property
    def placeholder(self) -> bool:
        """The name is not known: an unset variable (``$FW_SUBNET``), a doc placeholder or an
        unresolved ARM expression. Such a resource may well be the one a rule looks for."""
        return self.name[:1] in ("$", "<", "[", "{", "@")

    def chain(self) -> tuple[Ref, ...]:
        """This ref and its ancestors, outermost first."""
        out: list[Ref] = []
        ref: Ref | None = self
        while ref is not None:
            out.append(ref)
            ref = ref.parent
        return tuple(reversed(out))

    def loose_key(self) -> tuple[str, tuple[str, ...]]:
        """Kind and name chain without resource groups: for matching when a group is unknown."""
        names = [self.name]  # walked by hand: the inventory asks this on every lookup
        ref = self.parent
        while ref is not None:
            names.append(ref.name)
            ref = ref.parent
        names.reverse()
        return (self.kind, tuple(names))

    def __str__(self) -> str:
        return "/".join(r.label for r in self.chain())


def classic_collection_ref(ref: Ref, rule_kind: str) -> Ref:
    """A classic firewall's network, application and NAT collections are separate lists that
    may reuse a name; the rule kind is part of their identity (``network:aksfwnr``)."""
    if ref.name.startswith(f"{rule_kind}:"):
        return ref
    return Ref(ref.kind, f"{rule_kind}:{ref.name}", ref.group, ref.parent, ref.display or ref.name)


@dataclass(frozen=True, slots=True)
class Symbol:
    """A value the scan knows by meaning, not by text: the result of the JMESPath ``query`` over
    the ARM-shaped view of resource ``ref`` (``ipConfigurations[0].privateIPAddress`` of a
    firewall), or a derived fact named by ``query`` (``derived:first-usable`` of a subnet)."""

    __reduce__ = pickle_by_fields

    ref: Ref
    query: str
    suffix: str = ""  # literal text written right after it: `$FW_PUBLIC_IP/32`

    def describe(self) -> str:
        what = _SYMBOL_NAMES.get((self.ref.kind, self.query.lower()))
        noun = KIND_NOUNS.get(self.ref.kind, self.ref.kind)
        text = f"the {what} of {noun} '{self.ref.label}'" if what else f"'{self.query}' of {noun} '{self.ref.label}'"
        return f"{text} + '{self.suffix}'" if self.suffix else text

    def key(self) -> str:
        chain = "/".join(x.name for x in self.ref.chain())
        return f"@{self.ref.kind}:{chain}:{self.query.lower()}{self.suffix.lower()}"


_SYMBOL_NAMES: dict[tuple[str, str], str] = {
    ("firewall", "ipconfigurations[0].privateipaddress"): "private IP",
    ("firewall", "derived:private-ip"): "private IP",
    ("public_ip", "ipaddress"): "address",
    ("subnet", "id"): "resource ID",
    ("subnet", "derived:first-usable"): "first usable address",
    ("vnet", "id"): "resource ID",
    ("route_table", "id"): "resource ID",
    ("public_ip", "id"): "resource ID",
    ("identity", "id"): "resource ID",
    ("cluster", "id"): "resource ID",
}


@dataclass(frozen=True, slots=True)
class Value:
    """A scalar as the scan understands it: known literal, symbolic reference, or unknown.

    ``text`` is what the source said (after quote removal), for messages and identities of
    unknowns; ``location`` is where it was written."""

    __reduce__ = pickle_by_fields

    text: str
    known: str | None = None
    symbol: Symbol | None = None
    location: Location | None = None
    reason: str = ""  # why it is unknown (unset variable, unresolved parameter, ...)

    @classmethod
    def literal(cls, text: str, location: Location | None = None) -> Value:
        return cls(text=text, known=text, location=location)

    @classmethod
    def symbolic(cls, symbol: Symbol, text: str, location: Location | None = None) -> Value:
        return cls(text=text, symbol=symbol, location=location)

    @classmethod
    def unknown(cls, text: str, location: Location | None = None, reason: str = "") -> Value:
        return cls(text=text, location=location, reason=reason)

    @property
    def state(self) -> ValueState:
        if self.known is not None:
            return "known"
        if self.symbol is not None:
            return "symbolic"
        return "unknown"

    @property
    def is_known(self) -> bool:
        return self.known is not None

    def identity(self) -> str:
        """Case-insensitive identity: equal identities mean the same thing."""
        if self.known is not None:
            return self.known.lower()
        if self.symbol is not None:
            return self.symbol.key()
        return self.text.lower()

    def describe(self) -> str:
        if self.known is not None:
            return self.known
        if self.symbol is not None:
            return self.symbol.describe()
        return self.text

    def with_location(self, location: Location | None) -> Value:
        return Value(self.text, self.known, self.symbol, location, self.reason)

    def lower(self) -> str | None:
        return self.known.lower() if self.known is not None else None

    def __str__(self) -> str:
        return self.describe()


def known(value: Value | None) -> str | None:
    """The literal of ``value`` or None (for absent, symbolic and unknown values)."""
    return value.known if value is not None else None


# --------------------------------------------------------------------------- resources

KIND_NOUNS: dict[str, str] = {
    "vnet": "virtual network",
    "subnet": "subnet",
    "route_table": "route table",
    "route": "route",
    "firewall": "firewall",
    "firewall_policy": "firewall policy",
    "rule_collection_group": "rule collection group",
    "rule_collection": "rule collection",
    "network_rule": "network rule",
    "application_rule": "application rule",
    "nat_rule": "NAT rule",
    "nsg": "network security group",
    "security_rule": "security rule",
    "nat_gateway": "NAT gateway",
    "public_ip": "public IP",
    "public_ip_prefix": "public IP prefix",
    "load_balancer": "load balancer",
    "outbound_rule": "outbound rule",
    "cluster": "cluster",
    "node_pool": "node pool",
    "identity": "managed identity",
    "k8s_service": "Kubernetes Service",
    "k8s_object": "Kubernetes object",
    "ip_group": "IP group",
}


@dataclass(eq=False)
class Resource:
    """A resource after replay. ``declared`` is False when the scan only saw it referenced or
    updated (it lives outside the scanned files). ``location`` is its declaration (or first
    mention); ``history`` lists every operation applied, in order."""

    KIND: ClassVar[str] = ""

    ref: Ref
    location: Location
    declared: bool = True
    region: Value | None = None
    history: list[Operation] = field(default_factory=list, repr=False)
    suppressions: list[Any] = field(default_factory=list, repr=False)

    @property
    def name(self) -> str:
        return self.ref.label

    @property
    def noun(self) -> str:
        return KIND_NOUNS.get(self.KIND, self.KIND)

    def title(self) -> str:
        return f"{self.noun} '{self.name}'"


Values = list[Value]


@dataclass(eq=False)
class VirtualNetwork(Resource):
    KIND: ClassVar[str] = "vnet"
    address_prefixes: Values = field(default_factory=list)
    dns_servers: Values = field(default_factory=list)


@dataclass(eq=False)
class Subnet(Resource):
    KIND: ClassVar[str] = "subnet"
    address_prefixes: Values = field(default_factory=list)
    route_table: Ref | None = None
    route_table_value: Value | None = None  # as written, for locations
    nsg: Ref | None = None
    nat_gateway: Ref | None = None
    default_outbound_access: Value | None = None


@dataclass(eq=False)
class RouteTable(Resource):
    KIND: ClassVar[str] = "route_table"
    disable_bgp_route_propagation: Value | None = None


@dataclass(eq=False)
class Route(Resource):
    KIND: ClassVar[str] = "route"
    address_prefix: Value | None = None
    next_hop_type: Value | None = None
    next_hop_ip: Value | None = None


@dataclass(eq=False)
class FirewallIpConfig:
    name: Value | None
    location: Location
    subnet: Ref | None = None  # the subnet the data path lives in
    public_ip: Ref | None = None
    private_ip: Value | None = None
    management: bool = False
    # what names the subnet (the ARM subnet id, a script's --vnet-name value): where a finding
    # about the firewall's subnet points
    subnet_value: Value | None = None


@dataclass(eq=False)
class Firewall(Resource):
    KIND: ClassVar[str] = "firewall"
    sku: Value | None = None
    tier: Value | None = None
    policy: Ref | None = None
    dns_proxy: Value | None = None
    dns_servers: Values = field(default_factory=list)
    threat_intel_mode: Value | None = None
    ip_configs: list[FirewallIpConfig] = field(default_factory=list)
    management_ip_config: FirewallIpConfig | None = None
    vnet_hint: Ref | None = None  # `--vnet-name` given at creation (subnet forced to AzureFirewallSubnet)
    vnet_hint_value: Value | None = None


@dataclass(eq=False)
class FirewallPolicy(Resource):
    KIND: ClassVar[str] = "firewall_policy"
    base_policy: Ref | None = None
    dns_proxy: Value | None = None
    dns_servers: Values = field(default_factory=list)
    sku: Value | None = None
    threat_intel_mode: Value | None = None


@dataclass(eq=False)
class RuleCollectionGroup(Resource):
    KIND: ClassVar[str] = "rule_collection_group"
    priority: Value | None = None


@dataclass(eq=False)
class RuleCollection(Resource):
    """A classic firewall rule collection (parent: firewall) or a policy rule collection
    (parent: rule collection group). ``rule_kind`` is network, application or nat."""

    KIND: ClassVar[str] = "rule_collection"
    rule_kind: str = "network"
    priority: Value | None = None
    action: Value | None = None


@dataclass(eq=False)
class NetworkRule(Resource):
    KIND: ClassVar[str] = "network_rule"
    protocols: Values = field(default_factory=list)
    source_addresses: Values = field(default_factory=list)
    source_ip_groups: Values = field(default_factory=list)
    destination_addresses: Values = field(default_factory=list)
    destination_fqdns: Values = field(default_factory=list)
    destination_ip_groups: Values = field(default_factory=list)
    destination_ports: Values = field(default_factory=list)


@dataclass(eq=False)
class ApplicationRule(Resource):
    KIND: ClassVar[str] = "application_rule"
    protocols: Values = field(default_factory=list)  # "Https=443" / "Https:443"
    source_addresses: Values = field(default_factory=list)
    source_ip_groups: Values = field(default_factory=list)
    target_fqdns: Values = field(default_factory=list)
    fqdn_tags: Values = field(default_factory=list)
    target_urls: Values = field(default_factory=list)
    web_categories: Values = field(default_factory=list)


@dataclass(eq=False)
class NatRule(Resource):
    KIND: ClassVar[str] = "nat_rule"
    protocols: Values = field(default_factory=list)
    source_addresses: Values = field(default_factory=list)
    source_ip_groups: Values = field(default_factory=list)
    destination_addresses: Values = field(default_factory=list)
    destination_ports: Values = field(default_factory=list)
    translated_address: Value | None = None
    translated_fqdn: Value | None = None
    translated_port: Value | None = None


@dataclass(eq=False)
class NetworkSecurityGroup(Resource):
    KIND: ClassVar[str] = "nsg"


@dataclass(eq=False)
class SecurityRule(Resource):
    KIND: ClassVar[str] = "security_rule"
    priority: Value | None = None
    access: Value | None = None
    direction: Value | None = None
    protocol: Value | None = None
    source_prefixes: Values = field(default_factory=list)
    source_ports: Values = field(default_factory=list)
    destination_prefixes: Values = field(default_factory=list)
    destination_ports: Values = field(default_factory=list)
    source_asgs: Values = field(default_factory=list)
    destination_asgs: Values = field(default_factory=list)
    platform_default: bool = False  # Azure's defaultSecurityRules: never flagged


@dataclass(eq=False)
class NatGateway(Resource):
    KIND: ClassVar[str] = "nat_gateway"
    sku: Value | None = None
    idle_timeout: Value | None = None
    public_ips: list[Ref] = field(default_factory=list)
    public_ip_prefixes: list[Ref] = field(default_factory=list)


@dataclass(eq=False)
class PublicIp(Resource):
    KIND: ClassVar[str] = "public_ip"
    sku: Value | None = None
    allocation_method: Value | None = None
    version: Value | None = None
    ip_address: Value | None = None
    prefix: Ref | None = None


@dataclass(eq=False)
class PublicIpPrefix(Resource):
    KIND: ClassVar[str] = "public_ip_prefix"
    length: Value | None = None
    version: Value | None = None
    sku: Value | None = None


@dataclass(eq=False)
class LoadBalancer(Resource):
    KIND: ClassVar[str] = "load_balancer"
    sku: Value | None = None
    frontend_public_ips: list[Ref] = field(default_factory=list)
    frontend_private_ips: Values = field(default_factory=list)
    managed_by_aks: bool = False  # the `kubernetes` LB of a node resource group


@dataclass(eq=False)
class OutboundRule(Resource):
    KIND: ClassVar[str] = "outbound_rule"
    protocol: Value | None = None
    allocated_outbound_ports: Value | None = None
    idle_timeout: Value | None = None
    frontend_ip_configs: Values = field(default_factory=list)


@dataclass(eq=False)
class ManagedIdentity(Resource):
    KIND: ClassVar[str] = "identity"


@dataclass(eq=False)
class NodePool(Resource):
    KIND: ClassVar[str] = "node_pool"
    count: Value | None = None
    min_count: Value | None = None
    max_count: Value | None = None
    enable_autoscaling: Value | None = None
    max_surge: Value | None = None
    vnet_subnet: Ref | None = None
    vnet_subnet_value: Value | None = None
    pod_subnet: Ref | None = None
    vm_set_type: Value | None = None
    os_type: Value | None = None
    mode: Value | None = None
    enable_node_public_ip: Value | None = None


@dataclass(eq=False)
class EgressSnapshot:
    """What the inventory computed for a cluster's node subnet when the cluster was created
    (for ordering rules): the route table attached then and the route for 0.0.0.0/0."""

    subnet: Ref | None
    route_table: Ref | None
    default_route: Ref | None
    default_next_hop_type: str | None


@dataclass(eq=False)
class Cluster(Resource):
    KIND: ClassVar[str] = "cluster"
    outbound_type: Value | None = None
    outbound_type_sku: Value | None = None
    network_plugin: Value | None = None
    network_plugin_mode: Value | None = None
    network_policy: Value | None = None
    network_dataplane: Value | None = None
    pod_cidrs: Values = field(default_factory=list)
    service_cidrs: Values = field(default_factory=list)
    dns_service_ip: Value | None = None
    docker_bridge_address: Value | None = None
    load_balancer_sku: Value | None = None
    lb_managed_outbound_ip_count: Value | None = None
    lb_managed_outbound_ipv6_count: Value | None = None
    lb_outbound_ips: list[Ref] = field(default_factory=list)
    lb_outbound_ip_prefixes: list[Ref] = field(default_factory=list)
    lb_outbound_ports: Value | None = None
    lb_idle_timeout: Value | None = None
    nat_managed_outbound_ip_count: Value | None = None
    nat_idle_timeout: Value | None = None
    authorized_ip_ranges: Values | None = None  # None = not set; [] = explicitly disabled
    private_cluster: Value | None = None
    apiserver_vnet_integration: Value | None = None
    # control-plane identity: SystemAssigned / UserAssigned (--assign-identity) / None
    identity_type: Value | None = None
    vm_set_type: Value | None = None
    kubernetes_version: Value | None = None
    node_resource_group: Value | None = None
    created: bool = False  # a create operation was seen (not only updates)
    egress_at_creation: EgressSnapshot | None = None


@dataclass(eq=False)
class KubernetesObject(Resource):
    """Any Kubernetes manifest object (kept for apiVersion checks)."""

    KIND: ClassVar[str] = "k8s_object"
    api_version: Value | None = None
    object_kind: Value | None = None
    namespace: Value | None = None


@dataclass(eq=False)
class KubernetesService(KubernetesObject):
    KIND: ClassVar[str] = "k8s_service"
    service_type: Value | None = None
    annotations: dict[str, Value] = field(default_factory=dict)
    load_balancer_ip: Value | None = None


RESOURCE_CLASSES: dict[str, type[Resource]] = {
    cls.KIND: cls
    for cls in (
        VirtualNetwork,
        Subnet,
        RouteTable,
        Route,
        Firewall,
        FirewallPolicy,
        RuleCollectionGroup,
        RuleCollection,
        NetworkRule,
        ApplicationRule,
        NatRule,
        NetworkSecurityGroup,
        SecurityRule,
        NatGateway,
        PublicIp,
        PublicIpPrefix,
        LoadBalancer,
        OutboundRule,
        ManagedIdentity,
        NodePool,
        Cluster,
        KubernetesObject,
        KubernetesService,
    )
}


# --------------------------------------------------------------------------- operations

Action = Literal["create", "update", "ensure", "delete"]


@dataclass(eq=False)
class Operation:
    """One change to one resource, as a frontend understood it.

    * ``create``: the resource is declared here (fields set; an earlier one is replaced).
    * ``update``: fields change on an existing resource (a stub is made when the scan never
      saw it created: it lives elsewhere).
    * ``ensure``: create with these fields when missing, otherwise leave it alone (az creates a
      classic rule collection on its first rule). ``required`` names fields that must be
      present when it has to be created; if they are not, the whole ``group`` fails, as az
      refuses the command.
    * ``delete``: the resource goes away.

    ``changes`` maps field names of the resource class to a Value, a Ref, a list of those, or
    (for list fields) ``("append", [...])``. ``seq`` is the position in execution order within
    the file; ``group`` ties together the operations of one command.
    """

    __reduce__ = pickle_by_fields

    action: Action
    ref: Ref
    location: Location
    changes: dict[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    group: int = 0
    seq: int = 0
    command: str = ""  # e.g. "az network route-table route create", for messages
    conditional: bool = False  # inside if/for/while/case/function: may not run
