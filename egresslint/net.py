"""Address math on plain values: CIDRs, Azure address sets, ports, protocols, FQDN patterns, routes.

Everything here works on strings and stdlib ``ipaddress`` objects, so the module sits low in the
layering (it imports nothing from egresslint but :mod:`egresslint.resources`, lazily, for the tag
lists in ``rules/service-tags.yaml`` and ``rules/fqdn-tags.yaml``).

Three-valued answers
--------------------
Scans are partial, so the set operations answer ``True``/``False`` when the answer follows from
what is written, and ``None`` when it depends on something the scan cannot know (which prefixes
a service tag holds today, what an unset variable contains). Callers treat ``None`` as "unknown",
never as "wrong" (ARCHITECTURE.md: unknown is not wrong).

Conventions of the address model (:class:`AddressSet`)
------------------------------------------------------
* ``*`` and ``Any`` are every address, IPv4 and IPv6.
* Service tags are treated as sets of **IPv4** prefixes: Azure Firewall network rules, the AKS
  egress requirements and the route decisions here are IPv4. So ``0.0.0.0/0`` covers every
  service tag, while an IPv6 prefix against a service tag is undecidable (``None``).
* ``Internet`` is modelled as every IPv4 address outside the private ranges of :func:`is_private`
  (10/8, 172.16/12, 192.168/16, 100.64/10). It covers all public CIDRs and every Azure service tag
  with public addresses (``AzureCloud``, ``Storage.westeurope``, ...), but no private range.
* ``AzureCloud`` contains ``AzureCloud.<region>``; any tag contains its regional variants
  (``Storage`` contains ``Storage.westeurope``); regional variants of one tag for different
  regions are disjoint; a narrower tag never covers a broader one (``Storage`` does not cover
  ``AzureCloud.westeurope``). Regions and tags compare case-insensitively, and the odd AzureCloud
  region spellings (``AzureCloud.centralfrance`` for francecentral) are the same region.
* CIDRs against service tags are undecidable, except that private addresses are never inside a
  tag with public addresses (decidable ``False``).
* ``VirtualNetwork`` (VNet space, peerings, on-premises, even UDR prefixes such as 0.0.0.0/0),
  the platform tags (``AzureLoadBalancer``, ``AzurePlatformDNS``...), unknown tags and
  unresolvable tokens (``$FW_IP``) relate to nothing but themselves, ``*`` and ``0.0.0.0/0``.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any, Generic, Protocol, TypeVar

__all__ = [
    "APP_DEFAULT_PORTS",
    "L4_PROTOCOLS",
    "PRIVATE_RANGES",
    "RESERVED_AKS_RANGES",
    "SYSTEM_ROUTES",
    "AddressSet",
    "AppProtocolSet",
    "IPAddress",
    "IPNetwork",
    "PortSet",
    "ProtocolSet",
    "RouteLike",
    "Selected",
    "ServiceTagInfo",
    "SystemRoute",
    "TagToken",
    "address_count",
    "canonical_region",
    "closest_fqdn_tag",
    "closest_service_tag",
    "contains",
    "first_usable",
    "fqdn_matches",
    "fqdn_pattern_covers",
    "is_private",
    "is_valid_fqdn_pattern",
    "known_fqdn_tag",
    "known_service_tag",
    "looks_like_tag",
    "overlaps",
    "parse_ip",
    "parse_network",
    "regional_service_tag",
    "select_route",
    "service_tag_info",
    "system_routes",
]

IPNetwork = IPv4Network | IPv6Network
IPAddress = IPv4Address | IPv6Address

Tri = bool | None  # three-valued answer: True, False, or None for "unknown"

# =========================================================================== parsing

_IP_CHARS = re.compile(r"[0-9A-Fa-f:.]+(?:/[0-9]{1,3})?")
_ADDRESS_CHARS = re.compile(r"[0-9A-Fa-f:.]+")


@functools.lru_cache(maxsize=8192)
def parse_network(text: str | None) -> IPNetwork | None:
    """The network written as ``text``, or None for anything else.

    Tolerant of host bits (``10.1.0.1/24`` -> ``10.1.0.0/24``), bare addresses (``/32`` or
    ``/128``) and surrounding whitespace. Service tags, ``*``, variables, netmask notation and
    empty text give None.
    """
    if text is None:
        return None
    s = text.strip()
    if not _IP_CHARS.fullmatch(s):
        return None
    try:
        return ipaddress.ip_network(s, strict=False)
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def parse_ip(text: str | None) -> IPAddress | None:
    """The single address written as ``text`` (surrounding whitespace allowed), or None."""
    if text is None:
        return None
    s = text.strip()
    if not _ADDRESS_CHARS.fullmatch(s):
        return None
    try:
        return ipaddress.ip_address(s)
    except ValueError:
        return None


def _as_network(value: IPNetwork | IPAddress | str) -> IPNetwork:
    if isinstance(value, (IPv4Network, IPv6Network)):
        return value
    if isinstance(value, (IPv4Address, IPv6Address)):
        return ipaddress.ip_network(value)
    net = parse_network(value)
    if net is None:
        raise ValueError(f"not an IP network: {value!r}")
    return net


_N = ipaddress.ip_network

#: Private address space per RULES.md EGL411: RFC 1918, RFC 6598 (CGNAT) and IPv6 unique-local.
PRIVATE_RANGES: dict[int, tuple[IPNetwork, ...]] = {
    4: (_N("10.0.0.0/8"), _N("172.16.0.0/12"), _N("192.168.0.0/16"), _N("100.64.0.0/10")),
    6: (_N("fc00::/7"),),
}

#: Ranges AKS can't use for service, pod or VNet address ranges (aks-egress-facts.md section g).
RESERVED_AKS_RANGES: tuple[IPv4Network, ...] = (
    IPv4Network("169.254.0.0/16"),
    IPv4Network("172.30.0.0/16"),
    IPv4Network("172.31.0.0/16"),
    IPv4Network("192.0.2.0/24"),
)

_ALL = {4: _N("0.0.0.0/0"), 6: _N("::/0")}


def _inside(inner: IPNetwork, outer: IPNetwork) -> bool:
    """``inner`` is a subnet of ``outer`` (False across IP versions)."""
    return inner.version == outer.version and inner.subnet_of(outer)  # type: ignore[arg-type]


def _within_private(net: IPNetwork) -> bool:
    return any(_inside(net, p) for p in PRIVATE_RANGES[net.version])


def is_private(network: IPNetwork | IPAddress | str) -> bool:
    """True when every address of ``network`` is private (IPv4 10/8, 172.16/12, 192.168/16,
    100.64/10; IPv6 fc00::/7). A string that is not an address or network raises ValueError."""
    return _within_private(_as_network(network))


def overlaps(a: IPNetwork | IPAddress | str, b: IPNetwork | IPAddress | str) -> bool:
    """True when the two networks share an address (False across IP versions)."""
    na, nb = _as_network(a), _as_network(b)
    return na.version == nb.version and na.overlaps(nb)


def contains(outer: IPNetwork | str, inner: IPNetwork | IPAddress | str) -> bool:
    """True when every address of ``inner`` is in ``outer`` (False across IP versions)."""
    no, ni = _as_network(outer), _as_network(inner)
    return _inside(ni, no)


def first_usable(network: IPNetwork | str) -> IPAddress | None:
    """The first address Azure hands out in a subnet: ``network[4]``.

    Azure reserves the first four addresses of every subnet (network address, default gateway,
    two for Azure DNS), so 10.0.1.0/26 gives 10.0.1.4 - the private IP an Azure Firewall gets in
    AzureFirewallSubnet. None when the network is too small to have one.
    """
    net = _as_network(network)
    return net[4] if net.num_addresses > 4 else None


def address_count(network: IPNetwork | str) -> int:
    """Number of addresses in ``network`` (including the ones Azure reserves)."""
    return _as_network(network).num_addresses


@functools.cache
def _public_v4_size() -> int:
    return sum(n.num_addresses for n in _internet_v4())


def _subtract(pieces: Iterable[IPNetwork], minus: Sequence[IPNetwork]) -> list[IPNetwork]:
    """``pieces`` minus the union of ``minus`` as a list of CIDRs (both are CIDR lists)."""
    out: list[IPNetwork] = []
    stack = list(pieces)
    while stack:
        p = stack.pop()
        for m in minus:
            if _inside(p, m):
                break
            if _inside(m, p):
                stack.extend(p.address_exclude(m))  # type: ignore[arg-type]
                break
        else:
            out.append(p)
    return out


def _collapse(nets: Iterable[IPNetwork]) -> tuple[IPNetwork, ...]:
    """Minimal sorted CIDR list of the union (IPv4 first, then IPv6)."""
    by_version: dict[int, list[IPNetwork]] = {4: [], 6: []}
    for n in nets:
        by_version[n.version].append(n)
    out: list[IPNetwork] = []
    for version in (4, 6):
        if len(by_version[version]) == 1:  # the usual case: already minimal (no supernet math)
            out.append(by_version[version][0])
        elif by_version[version]:
            out.extend(ipaddress.collapse_addresses(by_version[version]))  # type: ignore[type-var]
    return tuple(out)


@functools.cache
def _internet_v4() -> tuple[IPNetwork, ...]:
    """The IPv4 space the ``Internet`` tag stands for in this model: everything but private ranges."""
    return _collapse(_subtract([_ALL[4]], PRIVATE_RANGES[4]))


# =========================================================================== tag catalogs

_TAG_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")

SCOPES = ("public", "internet", "virtual_network", "platform", "unknown")


@dataclass(frozen=True, slots=True)
class _TagRecord:
    name: str
    regional: bool
    firewall: bool
    udr: bool
    scope: str


@dataclass(frozen=True, slots=True)
class _ServiceCatalog:
    bases: dict[str, _TagRecord]  # lower-case base name -> record
    regions: dict[str, str]  # lower-case spelling (ARM names and aliases) -> ARM region name
    # per lower-case base: ARM region -> the tag's own suffix spelling (AzureCloud.centralfrance)
    suffix_spelling: dict[str, dict[str, str]]


@dataclass(frozen=True, slots=True)
class _FqdnCatalog:
    names: dict[str, str]  # lower-case name or alias -> canonical name


def _load(name: str) -> dict[str, Any]:
    from egresslint.resources import load_yaml

    data = load_yaml(name)
    if not isinstance(data, dict):
        raise ValueError(f"rules/{name}: expected a mapping")
    return data


def _family_names(family: dict[str, Any]) -> list[str]:
    return [
        f"{prefix}.{product}.{category}"
        for prefix in family.get("prefixes", ())
        for product in family.get("products", ())
        for category in family.get("categories", ())
    ]


@functools.cache
def _service_catalog() -> _ServiceCatalog:
    data = _load("service-tags.yaml")
    bases: dict[str, _TagRecord] = {}

    def add(name: str, entry: dict[str, Any]) -> None:
        scope = str(entry.get("scope", "public"))
        if scope not in SCOPES:
            raise ValueError(f"rules/service-tags.yaml: tag {name}: unknown scope {scope!r}")
        bases[name.lower()] = _TagRecord(
            name=name,
            regional=bool(entry.get("regional", False)),
            firewall=bool(entry.get("firewall", True)),
            udr=bool(entry.get("udr", True)),
            scope=scope,
        )

    for entry in data.get("tags", ()):
        add(str(entry["name"]), entry)
    for family in data.get("families", ()):
        for name in _family_names(family):
            add(name, family)
    for alias, target in (data.get("classic_aliases") or {}).items():
        bases[str(alias).lower()] = bases[str(target).lower()]

    regions: dict[str, str] = {}
    for names in (data.get("regions") or {}).values():
        for r in names:
            regions[str(r).lower()] = str(r).lower()
    suffix_spelling: dict[str, dict[str, str]] = {}
    for base, aliases in (data.get("region_aliases") or {}).items():
        spelled = suffix_spelling.setdefault(str(base).lower(), {})
        for alias, region in aliases.items():
            regions.setdefault(str(alias).lower(), str(region).lower())
            spelled[str(region).lower()] = str(alias).lower()
    return _ServiceCatalog(bases=bases, regions=regions, suffix_spelling=suffix_spelling)


@functools.cache
def _fqdn_catalog() -> _FqdnCatalog:
    data = _load("fqdn-tags.yaml")
    names: dict[str, str] = {}
    for entry in data.get("tags", ()):
        name = str(entry["name"])
        names[name.lower()] = name
        for alias in entry.get("aliases", ()) or ():
            names[str(alias).lower()] = name
    for family in data.get("families", ()):
        for name in _family_names(family):
            names[name.lower()] = name
    return _FqdnCatalog(names=names)


def canonical_region(name: str) -> str | None:
    """The ARM region name (``westeurope``) for a region spelling, case-insensitive, including the
    odd AzureCloud suffixes (``centralfrance`` -> ``francecentral``); None for unknown names."""
    return _service_catalog().regions.get(name.strip().lower())


def looks_like_tag(token: str) -> bool:
    """True when ``token`` has the shape of a service or FQDN tag (``AzureCloud.westeurope``)."""
    return _TAG_RE.fullmatch(token.strip()) is not None


@dataclass(frozen=True, slots=True)
class ServiceTagInfo:
    """What the shipped list says about a service tag (see ``rules/service-tags.yaml``).

    ``name`` is the canonical spelling of the whole tag (``Storage.westeurope``,
    ``AzureCloud.centralfrance``), ``region`` the ARM region name or None for the global tag.
    ``regional``/``firewall``/``udr`` are the documented capabilities of the base tag.
    """

    name: str
    base: str
    region: str | None
    regional: bool
    firewall: bool
    udr: bool
    scope: str


def _region_suffix(base_lower: str, region: str) -> str:
    return _service_catalog().suffix_spelling.get(base_lower, {}).get(region, region)


def service_tag_info(tag: str) -> ServiceTagInfo | None:
    """The catalog entry for ``tag`` (case-insensitive, optional ``.<region>`` suffix), or None
    when its base tag is not in the shipped list or its region suffix is not a known region."""
    tok = _tag_token(tag.strip())
    if tok is None or tok.scope == "unknown":
        return None
    rec = _service_catalog().bases[tok.base]
    name = rec.name if tok.region is None else f"{rec.name}.{_region_suffix(tok.base, tok.region)}"
    return ServiceTagInfo(
        name=name,
        base=rec.name,
        region=tok.region,
        regional=rec.regional,
        firewall=rec.firewall,
        udr=rec.udr,
        scope=rec.scope,
    )


def regional_service_tag(base: str, region: str) -> str:
    """The tag name for ``base`` restricted to ``region`` as Azure spells it:
    ``regional_service_tag("AzureCloud", "francecentral") == "AzureCloud.centralfrance"``.
    Unknown bases and regions are passed through unchanged."""
    cat = _service_catalog()
    rec = cat.bases.get(base.strip().lower())
    name = rec.name if rec else base.strip()
    arm = cat.regions.get(region.strip().lower(), region.strip().lower())
    return f"{name}.{_region_suffix(name.lower(), arm)}"


def known_service_tag(tag: str) -> bool:
    """True when ``tag`` is a service tag of the shipped list, case-insensitive, optionally with a
    known region suffix.

    Regional variants are accepted for every tag with public addresses, including those the
    overview table marks "not regional" (the table is not kept in step with the published tag
    files, and calling a real tag unknown would be a false error), but not for ``Internet``,
    ``VirtualNetwork`` or the platform tags. For the AzureCloud regions with odd
    names only the published spelling is known: ``AzureCloud.centralfrance``, not
    ``AzureCloud.francecentral`` (:func:`closest_service_tag` suggests it).
    """
    s = tag.strip()
    tok = _tag_token(s)
    if tok is None or tok.scope == "unknown":
        return False
    if tok.region is None:
        return True
    suffix = s.rsplit(".", 1)[1].lower()
    return suffix == _region_suffix(tok.base, tok.region)


def known_fqdn_tag(tag: str) -> bool:
    """True when ``tag`` is an Azure Firewall FQDN tag of the shipped list (case-insensitive)."""
    return tag.strip().lower() in _fqdn_catalog().names


_CUTOFF = 0.8


def _closest(word: str, candidates: Iterable[str], cutoff: float = _CUTOFF) -> str | None:
    hits = difflib.get_close_matches(word, list(candidates), n=1, cutoff=cutoff)
    return hits[0] if hits else None


@functools.lru_cache(maxsize=1024)
def closest_service_tag(tag: str) -> str | None:
    """Did-you-mean for a service tag: the canonical spelling of the nearest known tag, or None
    when nothing is close. A known tag gives its own canonical spelling. Case-insensitive; a
    regional suffix is matched separately (``Storage.westeurop`` -> ``Storage.westeurope``,
    ``AzureCloud.francecentral`` -> ``AzureCloud.centralfrance``)."""
    cat = _service_catalog()
    s = tag.strip()
    low = s.lower()
    if known_service_tag(s):
        info = service_tag_info(s)
        return info.name if info else None
    bases = [b for b, rec in cat.bases.items() if rec.name.lower() == b]  # no classic aliases
    base = low if low in cat.bases else _closest(low, bases)
    if base is not None:
        return cat.bases[base].name
    head, dot, tail = low.rpartition(".")
    if not dot:
        return None
    base = head if head in cat.bases else _closest(head, bases)
    if base is None:
        return None
    rec = cat.bases[base]
    if rec.scope != "public":
        return rec.name  # Internet, VirtualNetwork and the platform tags have no regions
    region = cat.regions.get(tail) or _closest(tail, sorted(set(cat.regions.values())), 0.75)
    if region is None:
        return rec.name
    return f"{rec.name}.{_region_suffix(base, cat.regions.get(region, region))}"


@functools.lru_cache(maxsize=1024)
def closest_fqdn_tag(tag: str) -> str | None:
    """Did-you-mean for an FQDN tag: the canonical spelling of the nearest known FQDN tag (the tag
    itself when known), or None when nothing is close. Case-insensitive."""
    names = _fqdn_catalog().names
    low = tag.strip().lower()
    hit = low if low in names else _closest(low, names)
    return names[hit] if hit is not None else None


# =========================================================================== address sets


@dataclass(frozen=True, slots=True)
class TagToken:
    """A service tag inside an :class:`AddressSet`: lower-case ``base`` tag, ARM ``region`` (None
    for the global tag), ``scope`` from the catalog (``unknown`` when not listed) and the ``text``
    as written. Equality ignores the spelling."""

    base: str
    region: str | None
    scope: str
    text: str = field(compare=False)

    def __str__(self) -> str:
        return self.text


@functools.lru_cache(maxsize=4096)
def _tag_token(token: str) -> TagToken | None:
    """Split a tag-shaped token into base tag and region; None when it is not tag-shaped."""
    if not _TAG_RE.fullmatch(token):
        return None
    cat = _service_catalog()
    low = token.lower()
    base, region = low, None
    if low not in cat.bases:
        head, dot, tail = low.rpartition(".")
        if dot and tail in cat.regions:
            base, region = head, cat.regions[tail]
    rec = cat.bases.get(base)
    if rec is not None:
        base = rec.name.lower()  # classic alias -> canonical
    scope = rec.scope if rec else "unknown"
    if region is not None and scope != "public":
        scope = "unknown"  # Internet.westeurope and the like are no real tags
    return TagToken(base=base, region=region, scope=scope, text=token)


_PUBLICISH = ("public", "internet")
_AZURECLOUD = "azurecloud"


def _tag_covers(a: TagToken, b: TagToken) -> Tri:
    """Does tag ``a`` contain every address of tag ``b``?"""
    if a == b:
        return True
    if a.base == b.base:
        if a.region is None:
            return True  # a tag contains its regional variants
        return False  # narrower regional variant, or another region
    if a.scope == "internet":
        return True if b.scope == "public" else None
    if b.scope == "internet":
        return False if a.scope == "public" else None
    if b.base == _AZURECLOUD and a.scope == "public":
        return False  # one service's prefixes never span all of AzureCloud(.region)
    return None


def _tag_intersects(a: TagToken, b: TagToken) -> Tri:
    if _tag_covers(a, b) or _tag_covers(b, a):
        return True
    if a.base == b.base:
        return False  # two different regions of one tag
    return None


def _tag_net_intersects(t: TagToken, net: IPNetwork) -> Tri:
    """Does tag ``t`` share an address with ``net``?"""
    if net.version == 6:
        return None
    if net.prefixlen == 0:
        return True  # 0.0.0.0/0 holds every (IPv4) tag
    if t.scope in _PUBLICISH:
        if _within_private(net):
            return False
        return True if t.scope == "internet" else None
    return None


def all3(verdicts: Iterable[Tri]) -> Tri:
    result: Tri = True
    for v in verdicts:
        if v is False:
            return False
        if v is None:
            result = None
    return result


def any3(verdicts: Iterable[Tri]) -> Tri:
    result: Tri = False
    for v in verdicts:
        if v is True:
            return True
        if v is None:
            result = None
    return result


_SPLIT = re.compile(r"[,\s]+")
_WILDCARDS = frozenset({"*", "any"})


def _tokens(items: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for item in items:
        out.extend(t for t in _SPLIT.split(item.strip()) if t)
    return tuple(out)


_S = TypeVar("_S")


@functools.lru_cache(maxsize=16384)
def _parsed(parse: Callable[[tuple[str, ...]], _S], items: tuple[str, ...]) -> _S:
    """``parse`` (a set parser over tokens) of ``items`` as written, memoised: a large project
    repeats the same few spellings (`'*'`, `443`, `TCP`) in thousands of rules, so a hit skips
    the tokenising too. Bounded, since a long-lived process meets ever new items."""
    return parse(_tokens(items))


def _parse_range(token: str) -> list[IPNetwork] | None:
    first, dash, last = token.partition("-")
    if not dash:
        return None
    lo, hi = parse_ip(first), parse_ip(last)
    if lo is None or hi is None or lo.version != hi.version or lo > hi:  # type: ignore[operator]
        return None
    return list(ipaddress.summarize_address_range(lo, hi))


@dataclass(frozen=True)
class AddressSet:
    """A set of addresses as Azure rules, NSGs and routes write them (see the module docstring
    for the model). Build it with :meth:`parse`; equality is semantic (spelling is ignored).

    ``wildcard`` is ``*``/``Any``; ``networks`` are the concrete CIDRs, IPs and IP ranges,
    collapsed; ``tags`` the service tags (known or not); ``unknown`` the tokens nobody can
    interpret (variables, typos of addresses); ``items`` the tokens as written.
    """

    wildcard: bool = False
    networks: tuple[IPNetwork, ...] = ()
    tags: tuple[TagToken, ...] = ()
    unknown: tuple[str, ...] = ()
    items: tuple[str, ...] = field(default=(), compare=False, repr=False)

    # ------------------------------------------------------------------ construction

    @classmethod
    def parse(cls, items: Iterable[str]) -> AddressSet:
        """Parse Azure address items: CIDRs (host bits tolerated), IPs, ranges ``a-b``, ``*``,
        ``Any``, service tags (``AzureCloud.westeurope``) and anything else (kept symbolic).
        Items may hold several tokens separated by commas or blanks."""
        return _parsed(_parse_address_set, items if type(items) is tuple else tuple(items))

    def __hash__(self) -> int:
        # the generated hash, computed once: sets are shared by many rules (parse is memoised)
        # and hashed in rule signatures, and each hash walks every network's Python __hash__
        try:
            return self.__dict__["_hash"]  # type: ignore[no-any-return]
        except KeyError:
            h = self.__dict__["_hash"] = hash((self.wildcard, self.networks, self.tags, self.unknown))
            return h

    def __getstate__(self) -> dict[str, object]:
        # str hashes differ between processes: a cached hash must not travel in a pickle
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}

    @property
    def is_empty(self) -> bool:
        return not (self.wildcard or self.networks or self.tags or self.unknown)

    @property
    def is_concrete(self) -> bool:
        """True when the set is fully known: only ``*`` and addresses, no tags or unknowns."""
        return not (self.tags or self.unknown)

    def __str__(self) -> str:
        return ", ".join(self.items) if self.items else "(none)"

    # ------------------------------------------------------------------ derived (cached)

    @functools.cached_property
    def _concrete(self) -> tuple[IPNetwork, ...]:
        """Concrete address space: networks plus the IPv4 space of the Internet tag."""
        if any(t.scope == "internet" and t.region is None for t in self.tags):
            return _collapse(self.networks + _internet_v4())
        return self.networks

    @functools.cached_property
    def _all_v4(self) -> bool:
        return self.wildcard or any(n.version == 4 and n.prefixlen == 0 for n in self._concrete)

    @functools.cached_property
    def _all_v6(self) -> bool:
        return self.wildcard or any(n.version == 6 and n.prefixlen == 0 for n in self._concrete)

    @functools.cached_property
    def _universe(self) -> bool:
        """Every address: ``*`` or CIDRs adding up to all of IPv4 and IPv6."""
        return self._all_v4 and self._all_v6

    @functools.cached_property
    def _public_v4(self) -> bool:
        """True when the concrete space holds every public IPv4 address (so every public tag)."""
        if self._all_v4:
            return True
        v4 = [n for n in self._concrete if n.version == 4]
        # cheap bound first: CIDRs adding up to fewer addresses cannot hold all public space
        if sum(n.num_addresses for n in v4) < _public_v4_size():
            return False
        return not _subtract(_internet_v4(), self._concrete)

    @functools.cached_property
    def _v4_has_public(self) -> bool:
        return any(n.version == 4 and not _within_private(n) for n in self._concrete)

    @functools.cached_property
    def _has_v6(self) -> bool:
        return any(n.version == 6 for n in self._concrete)

    # ------------------------------------------------------------------ predicates

    def covers_all(self) -> bool:
        """Would a firewall/NSG rule with this destination match any Internet destination?

        True for ``*``, ``Any``, ``0.0.0.0/0`` (or CIDRs adding up to it) and ``Internet``:
        the allow-all-egress test of EGL203. Note that ``Internet`` covers no private range, so
        ``covers_all()`` is not the same as ``covers(AddressSet.parse(["*"]))``.
        """
        return self._all_v4 or self._public_v4

    def covers(self, other: AddressSet) -> Tri:
        """Is every address of ``other`` in this set? None when it depends on unknown contents."""
        if self._universe:
            return True
        verdicts: list[Tri] = []
        if other.wildcard:
            verdicts.append(self._covers_universe())
        if other.networks:
            verdicts.append(self._covers_networks(other.networks))
        verdicts.extend(self._covers_tag(t) for t in other.tags)
        verdicts.extend(self._covers_unknown(u) for u in other.unknown)
        return all3(verdicts)

    def intersects(self, other: AddressSet) -> Tri:
        """Do the sets share an address? Tokens are assumed to stand for non-empty sets."""
        if self.is_empty or other.is_empty:
            return False
        if self._universe or other._universe:
            return True
        verdicts: list[Tri] = []
        verdicts.extend(self._intersects_network(n) for n in other.networks)
        verdicts.extend(self._intersects_tag(t) for t in other.tags)
        verdicts.extend(self._intersects_unknown(u) for u in other.unknown)
        return any3(verdicts)

    def matches_ip(self, ip: str | IPAddress) -> Tri:
        """Is the address in the set? None for an unparseable address or unknown contents."""
        addr = parse_ip(ip) if isinstance(ip, str) else ip
        if addr is None:
            return None
        return self.covers(AddressSet(networks=(ipaddress.ip_network(addr),), items=(str(addr),)))

    def matches_tag(self, tag: str) -> Tri:
        """Does the set contain every address of service tag ``tag``?"""
        return self.covers(AddressSet.parse([tag]))

    # ------------------------------------------------------------------ covers helpers

    def _covers_universe(self) -> Tri:
        return None if self.unknown else False

    def _covers_networks(self, nets: Sequence[IPNetwork]) -> Tri:
        residual = _subtract(nets, self._concrete)
        verdict: Tri = True
        for piece in residual:
            if not self._symbolic_may_hold(piece):
                return False
            verdict = None
        return verdict

    def _symbolic_may_hold(self, piece: IPNetwork) -> bool:
        """Could a tag or unknown token of this set hold part of ``piece``?"""
        if self.unknown:
            return True
        return any(_tag_net_intersects(t, piece) is not False for t in self.tags)

    def _covers_tag(self, t: TagToken) -> Tri:
        if self._all_v4:
            return True
        if t.scope in _PUBLICISH and self._public_v4:
            return True
        verdict: Tri = False
        for m in self.tags:
            r = _tag_covers(m, t)
            if r is True:
                return True
            if r is None:
                verdict = None
        if self.unknown or self._has_v6:
            verdict = None
        elif t.scope == "public" and self._v4_has_public:
            verdict = None  # some CIDRs might hold all of the tag's prefixes: undecidable
        elif t.scope not in _PUBLICISH and self._concrete:
            verdict = None
        return verdict

    def _covers_unknown(self, token: str) -> Tri:
        return True if token in self.unknown else None

    # ------------------------------------------------------------------ intersects helpers

    def _intersects_network(self, net: IPNetwork) -> Tri:
        if any(n.version == net.version and n.overlaps(net) for n in self._concrete):
            return True
        verdicts: list[Tri] = [_tag_net_intersects(t, net) for t in self.tags]
        if self.unknown:
            verdicts.append(None)
        return any3(verdicts)

    def _intersects_tag(self, t: TagToken) -> Tri:
        if self._all_v4:
            return True
        verdicts: list[Tri] = [_tag_intersects(m, t) for m in self.tags]
        if t.scope in _PUBLICISH and self._v4_has_public:
            verdicts.append(True if t.scope == "internet" or self._public_v4 else None)
        elif t.scope not in _PUBLICISH and any(n.version == 4 for n in self._concrete):
            verdicts.append(None)
        if self.unknown or self._has_v6:
            verdicts.append(None)
        return any3(verdicts)

    def _intersects_unknown(self, token: str) -> Tri:
        return True if token in self.unknown else None


@functools.lru_cache(maxsize=4096)
def _parse_address_set(tokens: tuple[str, ...]) -> AddressSet:
    wildcard = False
    nets: list[IPNetwork] = []
    tags: dict[TagToken, None] = {}
    unknown: dict[str, None] = {}
    for tok in tokens:
        if tok.lower() in _WILDCARDS:
            wildcard = True
            continue
        net = parse_network(tok)
        if net is not None:
            nets.append(net)
            continue
        rng = _parse_range(tok)
        if rng is not None:
            nets.extend(rng)
            continue
        tag = _tag_token(tok)
        if tag is not None:
            tags.setdefault(tag)
        else:
            unknown.setdefault(tok)
    return AddressSet(
        wildcard=wildcard,
        networks=_collapse(nets),
        tags=tuple(sorted(tags, key=lambda t: (t.base, t.region or ""))),
        unknown=tuple(sorted(unknown)),
        items=tokens,
    )


# =========================================================================== ports

_PORT_TOKEN = re.compile(r"(\d+)(?:\s*-\s*(\d+))?")
_MAX_PORT = 65535


def _merge(ranges: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


@dataclass(frozen=True, slots=True)
class PortSet:
    """Ports as Azure rules write them: ``*``/``Any``, ``443``, ``1000-2000``.

    ``ranges`` are merged inclusive ranges; ``unknown`` tokens that are not numbers (variables);
    ``invalid`` numeric tokens Azure rejects (``70000``, ``2000-1000``), which match nothing.
    A set holding 1-65535 counts as all ports (port 0 is not a real destination port).
    """

    ranges: tuple[tuple[int, int], ...] = ()
    unknown: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()

    @classmethod
    def parse(cls, items: Iterable[str]) -> PortSet:
        return _parsed(_parse_ports, items if type(items) is tuple else tuple(items))

    @property
    def is_all(self) -> bool:
        return any(lo <= 1 and hi >= _MAX_PORT for lo, hi in self.ranges)

    @property
    def is_empty(self) -> bool:
        return not (self.ranges or self.unknown)

    def contains(self, port: int) -> Tri:
        if self.is_all or any(lo <= port <= hi for lo, hi in self.ranges):
            return True
        return None if self.unknown else False

    def covers(self, other: PortSet) -> Tri:
        if self.is_all:
            return True
        verdicts: list[Tri] = []
        for lo, hi in other.ranges:
            inside = any(a <= lo and hi <= b for a, b in self.ranges)
            verdicts.append(True if inside else (None if self.unknown else False))
        verdicts.extend(True if u in self.unknown else None for u in other.unknown)
        return all3(verdicts)

    def intersects(self, other: PortSet) -> Tri:
        if self.is_empty or other.is_empty:
            return False
        if self.is_all or other.is_all:
            return True
        if any(a <= hi and lo <= b for lo, hi in other.ranges for a, b in self.ranges):
            return True
        if set(self.unknown) & set(other.unknown):
            return True
        return None if (self.unknown or other.unknown) else False

    def __str__(self) -> str:
        if self.is_all:
            return "*"
        parts = [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in self.ranges]
        return ", ".join(parts + list(self.unknown)) or "(none)"


@functools.lru_cache(maxsize=2048)
def _parse_ports(tokens: tuple[str, ...]) -> PortSet:
    ranges: list[tuple[int, int]] = []
    unknown: list[str] = []
    invalid: list[str] = []
    for tok in tokens:
        if tok.lower() in _WILDCARDS:
            ranges.append((0, _MAX_PORT))
            continue
        m = _PORT_TOKEN.fullmatch(tok)
        if m is None:
            unknown.append(tok)
            continue
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if lo > hi or hi > _MAX_PORT:
            invalid.append(tok)
        else:
            ranges.append((lo, hi))
    return PortSet(_merge(ranges), tuple(dict.fromkeys(unknown)), tuple(dict.fromkeys(invalid)))


# =========================================================================== protocols

#: IP protocols of firewall network rules (TCP, UDP, ICMP, Any) and NSG rules (adds ESP, AH; "*").
L4_PROTOCOLS = ("tcp", "udp", "icmp", "esp", "ah")


@dataclass(frozen=True, slots=True)
class ProtocolSet:
    """IP protocols of a firewall network rule or NSG rule: ``any`` (``*``/``Any``) or ``names``
    (lower-case, from :data:`L4_PROTOCOLS`); ``unknown`` other tokens. ``Any`` also includes
    protocols no rule can name (GRE...), so a list of names never covers it."""

    any: bool = False
    names: frozenset[str] = frozenset()
    unknown: tuple[str, ...] = ()

    @classmethod
    def parse(cls, items: Iterable[str]) -> ProtocolSet:
        return _parsed(_parse_protocols, items if type(items) is tuple else tuple(items))

    @property
    def is_empty(self) -> bool:
        return not (self.any or self.names or self.unknown)

    def contains(self, protocol: str) -> Tri:
        p = protocol.strip().lower()
        if self.any or p in self.names:
            return True
        return None if self.unknown else False

    def covers(self, other: ProtocolSet) -> Tri:
        if self.any:
            return True
        verdicts: list[Tri] = []
        if other.any or not other.names <= self.names:
            verdicts.append(None if self.unknown else False)
        verdicts.extend(True if u in self.unknown else None for u in other.unknown)
        return all3(verdicts)

    def intersects(self, other: ProtocolSet) -> Tri:
        if self.is_empty or other.is_empty:
            return False
        if self.any or other.any or self.names & other.names:
            return True
        if set(self.unknown) & set(other.unknown):
            return True
        return None if (self.unknown or other.unknown) else False

    def __str__(self) -> str:
        if self.any:
            return "Any"
        return ", ".join([n.upper() for n in sorted(self.names)] + list(self.unknown)) or "(none)"


@functools.lru_cache(maxsize=1024)
def _parse_protocols(tokens: tuple[str, ...]) -> ProtocolSet:
    any_ = False
    names: set[str] = set()
    unknown: list[str] = []
    for tok in tokens:
        low = tok.lower()
        if low in _WILDCARDS or low == "all":
            any_ = True
        elif low in L4_PROTOCOLS:
            names.add(low)
        else:
            unknown.append(tok)
    return ProtocolSet(any_, frozenset(names), tuple(dict.fromkeys(unknown)))


#: Default ports of application-rule protocols.
APP_DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443, "mssql": 1433}
_APP_TOKEN = re.compile(r"(https?|mssql)(?:\s*[=:]\s*(\d+))?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class AppProtocolSet:
    """Protocol:port pairs of an application rule (``Http=80``, ``Https:443``, ``Mssql=1433``;
    both separators, any case; a bare ``Https`` takes its default port). ``pairs`` hold
    (lower-case protocol, port); ``unknown`` everything else."""

    pairs: frozenset[tuple[str, int]] = frozenset()
    unknown: tuple[str, ...] = ()

    @classmethod
    def parse(cls, items: Iterable[str]) -> AppProtocolSet:
        return _parsed(_parse_app_protocols, items if type(items) is tuple else tuple(items))

    @property
    def is_empty(self) -> bool:
        return not (self.pairs or self.unknown)

    def contains(self, protocol: str, port: int | None = None) -> Tri:
        p = protocol.strip().lower()
        if port is None:
            port = APP_DEFAULT_PORTS.get(p, -1)
        if (p, port) in self.pairs:
            return True
        return None if self.unknown else False

    def covers(self, other: AppProtocolSet) -> Tri:
        verdicts: list[Tri] = []
        if not other.pairs <= self.pairs:
            verdicts.append(None if self.unknown else False)
        verdicts.extend(True if u in self.unknown else None for u in other.unknown)
        return all3(verdicts)

    def intersects(self, other: AppProtocolSet) -> Tri:
        if self.is_empty or other.is_empty:
            return False
        if self.pairs & other.pairs or set(self.unknown) & set(other.unknown):
            return True
        return None if (self.unknown or other.unknown) else False

    def __str__(self) -> str:
        parts = [f"{p.capitalize()}:{port}" for p, port in sorted(self.pairs)]
        return ", ".join(parts + list(self.unknown)) or "(none)"


@functools.lru_cache(maxsize=1024)
def _parse_app_protocols(tokens: tuple[str, ...]) -> AppProtocolSet:
    pairs: set[tuple[str, int]] = set()
    unknown: list[str] = []
    for tok in tokens:
        m = _APP_TOKEN.fullmatch(tok)
        port = int(m.group(2)) if m and m.group(2) else None
        if m is None or (port is not None and not 0 < port <= _MAX_PORT):
            unknown.append(tok)
            continue
        proto = m.group(1).lower()
        pairs.add((proto, port if port is not None else APP_DEFAULT_PORTS[proto]))
    return AppProtocolSet(frozenset(pairs), tuple(dict.fromkeys(unknown)))


# =========================================================================== FQDN patterns

_LABEL = re.compile(r"[a-z0-9_-]+")


@functools.lru_cache(maxsize=4096)
def _fqdn_pattern(pattern: str) -> tuple[str, str] | None:
    """(kind, suffix) of an application-rule target FQDN; None when invalid.

    kinds: ``exact`` (host == suffix), ``star`` (host ends with suffix, ``*contoso.com``;
    suffix "" for ``*``), ``dot`` (host is ``<something>.`` + suffix, ``*.contoso.com``).
    """
    s = pattern.strip().lower()
    if len(s) > 1 and s.endswith(".") and not s.endswith("*."):
        s = s[:-1]  # absolute form
    if s == "*":
        return ("star", "")
    if "*" in s[1:] or not s or len(s) > 255:
        return None
    if s.startswith("*."):
        kind, body = "dot", s[2:]
    elif s.startswith("*"):
        kind, body = "star", s[1:]
    else:
        kind, body = "exact", s
    if not body or not all(_LABEL.fullmatch(label) for label in body.split(".")):
        return None
    return (kind, body)


def is_valid_fqdn_pattern(pattern: str) -> bool:
    """True for the target FQDNs Azure Firewall application rules accept: a name, ``*``, or a name
    with one asterisk at the left-most position (``*.contoso.com``, ``*contoso.com``). Wildcards
    anywhere else (``www.contoso.*``, ``*.contoso.*``) are invalid."""
    return _fqdn_pattern(pattern) is not None


def _host(host: str) -> str:
    h = host.strip().lower()
    return h[:-1] if h.endswith(".") else h


def fqdn_matches(pattern: str, host: str) -> bool:
    """Does an application-rule target FQDN match ``host``? Case-insensitive, Azure semantics:
    ``*`` matches everything; ``*.contoso.com`` matches ``a.contoso.com`` and ``a.b.contoso.com``
    but not ``contoso.com``; ``*contoso.com`` matches ``contoso.com`` and ``anycontoso.com``;
    an invalid pattern (``www.contoso.*``) matches nothing."""
    parsed = _fqdn_pattern(pattern)
    h = _host(host)
    if parsed is None or not h:
        return False
    kind, suffix = parsed
    if kind == "exact":
        return h == suffix
    if kind == "star":
        return h.endswith(suffix)
    return h.endswith("." + suffix) and len(h) > len(suffix) + 1


def fqdn_pattern_covers(p1: str, p2: str) -> bool:
    """True when ``p2`` is a valid pattern and every host it matches is matched by ``p1``.

    (An invalid ``p2`` matches nothing; it is reported as not covered, so that shadowing checks
    don't call it redundant - validity is a separate finding.)
    """
    a, b = _fqdn_pattern(p1), _fqdn_pattern(p2)
    if a is None or b is None:
        return False
    k1, s1 = a
    k2, s2 = b
    if k1 == "exact":
        return k2 == "exact" and s1 == s2
    if k1 == "star":
        return ("." + s2 if k2 == "dot" else s2).endswith(s1)
    suffix = "." + s1
    if k2 == "dot":
        return ("." + s2).endswith(suffix)
    return s2.endswith(suffix) and len(s2) > len(suffix)


# =========================================================================== routing


class RouteLike(Protocol):
    """Anything with an address ``prefix`` string (a user-defined route)."""

    @property
    def prefix(self) -> str | None: ...


R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class SystemRoute:
    """An Azure system route: ``prefix`` and ``next_hop_type`` (``VnetLocal``, ``Internet``,
    ``None``) in ARM spelling."""

    prefix: str
    next_hop_type: str

    @property
    def network(self) -> IPNetwork:
        return _as_network(self.prefix)


#: The fixed system routes of every subnet (aks-egress-facts.md section e): 0.0.0.0/0 to the
#: Internet, the private ranges dropped unless the VNet uses them (see :func:`system_routes`).
SYSTEM_ROUTES: tuple[SystemRoute, ...] = (
    SystemRoute("0.0.0.0/0", "Internet"),
    SystemRoute("10.0.0.0/8", "None"),
    SystemRoute("172.16.0.0/12", "None"),
    SystemRoute("192.168.0.0/16", "None"),
    SystemRoute("100.64.0.0/10", "None"),
)


def system_routes(vnet_prefixes: Sequence[str]) -> tuple[SystemRoute, ...]:
    """The system routes of a subnet in a VNet with address space ``vnet_prefixes``: each VNet
    prefix to ``VnetLocal`` plus :data:`SYSTEM_ROUTES`, where a private range that lies inside the
    VNet address space becomes part of the virtual network (its ``None`` route is dropped).
    Unparseable prefixes are skipped. There are no IPv6 system routes besides VNet prefixes."""
    return _system_routes(vnet_prefixes if type(vnet_prefixes) is tuple else tuple(vnet_prefixes))


@functools.lru_cache(maxsize=4096)
def _system_routes(vnet_prefixes: tuple[str, ...]) -> tuple[SystemRoute, ...]:
    # memoised: every route question of every subnet of a VNet asks it again (immutable answer)
    nets: list[IPNetwork] = []
    for text in vnet_prefixes:
        net = parse_network(text)
        if net is not None and net not in nets:
            nets.append(net)
    out = [SystemRoute(str(n), "VnetLocal") for n in nets]
    for sr in SYSTEM_ROUTES:
        net = sr.network
        if sr.next_hop_type == "None" and any(_inside(net, v) for v in nets):
            continue
        out.append(sr)
    return tuple(out)


@dataclass(frozen=True)
class Selected(Generic[R]):
    """The route a destination takes: ``route`` (a user route object or a :class:`SystemRoute`)
    with prefix ``network``. ``undecided`` lists user routes whose prefix could not be read (a
    service tag, a variable) and that could beat ``route``; ``unknown_vnet_prefixes`` the VNet
    address prefixes that could not be read and could beat it. ``certain`` is True when both are
    empty."""

    route: R | SystemRoute
    network: IPNetwork
    undecided: tuple[R, ...] = ()
    unknown_vnet_prefixes: tuple[str, ...] = ()

    @property
    def certain(self) -> bool:
        return not self.undecided and not self.unknown_vnet_prefixes

    @property
    def is_system(self) -> bool:
        return isinstance(self.route, SystemRoute)


def _prefix_attr(route: Any) -> str | None:
    prefix: str | None = route.prefix
    return prefix


def select_route(
    destination: str,
    routes: Sequence[R],
    vnet_prefixes: Sequence[str],
    *,
    prefix_of: Callable[[R], str | None] | None = None,
) -> Selected[R] | None:
    """Azure route selection for ``destination`` in a subnet with user ``routes`` (a route table)
    in a VNet with address space ``vnet_prefixes``.

    ``destination`` is an IP or a CIDR. For a CIDR the answer is the route whose prefix contains
    the **whole** destination network: callers asking "where does Internet traffic go?" pass
    ``"0.0.0.0/0"`` and get the route that covers all of it (a user 0.0.0.0/0 route, else the
    system route to the Internet), not a more specific route that covers only part of it.

    Longest prefix wins; for identical prefixes a user route wins over a system route. A route
    prefix is read by ``prefix_of(route)`` (default: its ``prefix`` attribute, see
    :class:`RouteLike`). User routes whose prefix is not a CIDR (a service tag, an unresolved
    variable, None) are ignored but listed in ``Selected.undecided`` when they could win.
    Returns None when the destination does not parse or no route contains it (IPv6 without
    routes).
    """
    dest = parse_network(destination)
    if dest is None:
        return None
    get = prefix_of or _prefix_attr
    best: tuple[int, int] | None = None  # (prefix length, 1 for user / 0 for system)
    best_route: R | SystemRoute | None = None
    best_net: IPNetwork | None = None
    unreadable: list[tuple[R, str | None]] = []

    def consider(route: R | SystemRoute, net: IPNetwork, rank: int) -> None:
        nonlocal best, best_route, best_net
        if not _inside(dest, net):
            return
        key = (net.prefixlen, rank)
        if best is None or key > best:
            best, best_route, best_net = key, route, net

    for route in routes:
        text = get(route)
        net = parse_network(text)
        if net is None:
            unreadable.append((route, text))
        else:
            consider(route, net, 1)
    for sr in system_routes(vnet_prefixes):
        consider(sr, sr.network, 0)
    if best is None or best_route is None or best_net is None:
        return None

    beatable = best[0] < dest.prefixlen or (best[0] == dest.prefixlen and best[1] == 0)
    undecided = tuple(
        r for r, text in unreadable if beatable and _unread_route_may_hold(text, dest)
    )
    vnet_beatable = best[0] < dest.prefixlen or (
        best[0] == dest.prefixlen
        and isinstance(best_route, SystemRoute)
        and best_route.next_hop_type != "VnetLocal"
        and dest.prefixlen > 0
    )
    unknown_vnet = (
        tuple(p for p in vnet_prefixes if parse_network(p) is None) if vnet_beatable else ()
    )
    return Selected(best_route, best_net, undecided, unknown_vnet)


def _unread_route_may_hold(text: str | None, dest: IPNetwork) -> bool:
    """Could a route with unreadable prefix ``text`` contain the whole ``dest``?"""
    if text is None or not looks_like_tag(text):
        return True  # a variable: any prefix
    tok = _tag_token(text.strip())
    if tok is None:
        return True
    if tok.scope in ("internet", "virtual_network", "platform"):
        return False  # not usable as a route prefix
    # a service tag route holds the tag's (IPv4, public) prefixes, never all of IPv4
    return dest.version == 4 and dest.prefixlen > 0 and not _within_private(dest)
