"""Policy packs: the shipped AKS egress requirements pack and user require/forbid packs.

* ``rules/aks-egress-requirements.yaml`` lists every required and optional AKS egress endpoint
  per cloud with its condition (see the file's header). :func:`requirements` loads it once;
  :func:`cluster_profile` describes what the scan and the configuration say about a cluster
  (cloud, region, legacy, private, features) and :func:`required_endpoints` selects the
  endpoints that apply to it. Rules EGL201, EGL202 and EGL302 read it.
* User packs are YAML files with ``require:`` and ``forbid:`` entries (documented by
  ``rules/policy-pack.schema.json``), listed in ``inventory.facts["packs"]``. They are validated
  by hand here (jsonschema is only a test dependency); a malformed pack becomes an EGL001 finding
  at the offending line. Rules EGL207 and EGL208 read them.

This module is data: it knows no firewall semantics (``egresslint.firewall`` does).
"""

from __future__ import annotations

import fnmatch
import functools
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from egresslint import net
from egresslint.findings import Finding, Severity
from egresslint.model import Cluster, Location, NodePool, Ref, Subnet, VirtualNetwork


class Inventory(Protocol):
    """What this module reads of :class:`egresslint.inventory.Inventory` (which sits above it
    in the layers, so it is not imported)."""

    facts: dict[str, Any]
    diagnostics: list[Finding]

    def node_pools(self, cluster: Cluster) -> list[NodePool]: ...

    def typed(self, ref: Ref | None, cls: type[Any]) -> Any: ...

    def vnet_of(self, subnet: Subnet) -> VirtualNetwork | None: ...

__all__ = [
    "CLOUDS",
    "ClusterProfile",
    "Endpoint",
    "PackEntry",
    "RequirementsPack",
    "UserPack",
    "attach",
    "cluster_profile",
    "load_pack",
    "required_endpoints",
    "requirements",
    "user_packs",
    "validate_pack",
]

CLOUDS = ("AzureCloud", "AzureChinaCloud", "AzureUSGovernment")
REQUIREMENTS_FILE = "aks-egress-requirements.yaml"
AKS_FQDN_TAG = "AzureKubernetesService"

_RULE_KINDS = ("network", "application")
_NETWORK_PROTOCOLS = ("TCP", "UDP")
_APP_PROTOCOLS = ("Http", "Https")
_SIMPLE_CONDITIONS = ("always", "legacy", "not-private", "custom-dns", "apiserver-access", "windows", "gpu")


# =========================================================================== requirements pack


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One AKS egress endpoint of the requirements pack.

    ``fqdns`` are alternatives (any one suffices) and may hold ``{region}``; so may
    ``service_tag``. ``custom_dns``/``api_server`` are destinations only the scan can fill in.
    """

    id: str
    cloud: str  # a cloud name, or "common"
    rule: str  # network | application
    protocol: str  # TCP, UDP (network); Http, Https (application)
    port: int
    purpose: str
    section: str
    source: str
    when: tuple[str, ...] = ("always",)
    fqdns: tuple[str, ...] = ()
    service_tag: str | None = None
    custom_dns: bool = False
    api_server: bool = False
    fqdn_tag: str | None = None
    accepted: tuple[str, ...] = ()

    @property
    def regional(self) -> bool:
        return any("{region}" in d for d in (*self.fqdns, self.service_tag or ""))

    def destination_text(self, region: str | None = None) -> str:
        """The destination as messages show it: ``AzureCloud.westeurope``, ``mcr.microsoft.com``,
        ``*.vault.azure.net (or vault.azure.net)``; ``<region>`` when the region is unknown."""
        if self.custom_dns:
            return "the VNet's custom DNS servers"
        if self.api_server:
            return "the API server's public IP"
        items = [self.service_tag] if self.service_tag else list(self.fqdns)
        shown = [fill_region(i, region) for i in items]
        return shown[0] + (f" (or {', '.join(shown[1:])})" if len(shown) > 1 else "")

    def label(self, region: str | None = None) -> str:
        """``UDP 1194 to AzureCloud.westeurope``, ``HTTPS 443 to mcr.microsoft.com``."""
        return f"{self.protocol.upper()} {self.port} to {self.destination_text(region)}"


def fill_region(text: str, region: str | None) -> str:
    """Replace ``{region}`` (service tags get Azure's own suffix spelling, e.g.
    ``AzureCloud.centralfrance``); ``<region>`` when the region is not known."""
    if "{region}" not in text:
        return text
    if region is None:
        return text.replace("{region}", "<region>")
    if text.endswith(".{region}") and text.count("{region}") == 1:  # a service tag: Base.{region}
        return net.regional_service_tag(text[: -len(".{region}")], region)
    return text.replace("{region}", region)


@dataclass(frozen=True)
class RequirementsPack:
    endpoints: tuple[Endpoint, ...]
    source: str
    fqdn_tags: Mapping[str, Any] = field(default_factory=dict)

    def for_cloud(self, cloud: str) -> list[Endpoint]:
        return [e for e in self.endpoints if e.cloud in (cloud, "common")]

    def tag_patterns(self, tag: str) -> tuple[str, ...]:
        """FQDN patterns (with ``{region}``) an FQDN tag is known to contain, across all clouds."""
        low = tag.strip().lower()
        return tuple(dict.fromkeys(f for e in self.endpoints
                                   if e.fqdn_tag is not None and e.fqdn_tag.lower() == low for f in e.fqdns))


class PackError(ValueError):
    """The shipped requirements pack is malformed (a packaging bug, caught by the tests)."""


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _endpoint(cloud: str, raw: Any, index: int) -> Endpoint:
    where = f"{REQUIREMENTS_FILE}: {cloud}[{index}]"
    if not isinstance(raw, dict):
        raise PackError(f"{where}: expected a mapping")
    allowed = {"id", "rule", "protocol", "port", "destination", "accepted", "fqdn_tag", "when", "purpose",
               "section", "source"}
    extra = set(raw) - allowed
    if extra:
        raise PackError(f"{where}: unknown keys {sorted(extra)}")
    rule = raw.get("rule")
    if rule not in _RULE_KINDS:
        raise PackError(f"{where}: rule must be network or application")
    protocol = raw.get("protocol")
    if protocol not in (_NETWORK_PROTOCOLS if rule == "network" else _APP_PROTOCOLS):
        raise PackError(f"{where}: protocol {protocol!r} does not fit a {rule} rule")
    port = raw.get("port")
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port <= 65535:
        raise PackError(f"{where}: port must be 1-65535")
    dest = raw.get("destination")
    if not isinstance(dest, dict) or len(dest) != 1:
        raise PackError(f"{where}: destination must have exactly one of fqdn, service_tag, custom_dns, api_server")
    fqdns = tuple(str(f) for f in _as_list(dest.get("fqdn")))
    for f in fqdns:
        if not net.is_valid_fqdn_pattern(fill_region(f, "westeurope")):
            raise PackError(f"{where}: invalid FQDN pattern {f!r}")
    tag = dest.get("service_tag")
    when = tuple(str(w) for w in _as_list(raw.get("when") or "always"))
    for cond in when:
        if cond not in _SIMPLE_CONDITIONS and not (cond.startswith("feature:") and len(cond) > 8):
            raise PackError(f"{where}: unknown condition {cond!r}")
    for key in ("id", "purpose", "section", "source"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise PackError(f"{where}: {key} is required")
    return Endpoint(
        id=raw["id"], cloud=cloud, rule=rule, protocol=protocol, port=port, purpose=raw["purpose"],
        section=raw["section"], source=raw["source"], when=when, fqdns=fqdns,
        service_tag=str(tag) if tag is not None else None, custom_dns=bool(dest.get("custom_dns")),
        api_server=bool(dest.get("api_server")), fqdn_tag=raw.get("fqdn_tag"),
        accepted=tuple(str(a) for a in _as_list(raw.get("accepted"))),
    )


def parse_requirements(data: Any) -> RequirementsPack:
    """Build (and check) the requirements pack from its parsed YAML."""
    if not isinstance(data, dict) or data.get("schema") != 1:
        raise PackError(f"{REQUIREMENTS_FILE}: expected a mapping with schema: 1")
    clouds = data.get("clouds") or {}
    if set(clouds) != set(CLOUDS):
        raise PackError(f"{REQUIREMENTS_FILE}: clouds must be exactly {', '.join(CLOUDS)}")
    endpoints: list[Endpoint] = []
    for cloud in (*CLOUDS, "common"):
        items = clouds[cloud] if cloud != "common" else data.get("common") or []
        seen: set[str] = set()
        for i, raw in enumerate(items):
            ep = _endpoint(cloud, raw, i)
            if ep.id in seen:
                raise PackError(f"{REQUIREMENTS_FILE}: duplicate id {ep.id!r} in {cloud}")
            seen.add(ep.id)
            endpoints.append(ep)
    return RequirementsPack(tuple(endpoints), str(data.get("source", "")), data.get("fqdn_tags") or {})


@functools.cache
def requirements() -> RequirementsPack:
    """The shipped AKS requirements pack (loaded once)."""
    from egresslint.resources import load_yaml

    return parse_requirements(load_yaml(REQUIREMENTS_FILE))


# =========================================================================== cluster profile


@dataclass(frozen=True)
class ClusterProfile:
    """What the scan and the configuration facts say about a cluster, for the requirement
    conditions. ``private`` is None when unknown; unknown features count as disabled."""

    name: str
    cloud: str = "AzureCloud"
    region: str | None = None
    legacy: bool = False
    private: bool | None = False
    windows: bool = False
    apiserver_access: bool = False
    features: frozenset[str] = frozenset()

    def holds(self, condition: str, custom_dns: bool = False) -> bool:
        c = condition.lower()
        if c == "always":
            return True
        if c == "legacy":
            return self.legacy
        if c == "not-private":
            return self.private is False
        if c == "custom-dns":
            return custom_dns
        if c == "apiserver-access":
            return self.apiserver_access
        if c == "windows":
            return self.windows or "windows" in self.features
        if c == "gpu":
            return "gpu" in self.features
        if c.startswith("feature:"):
            return c[8:] in self.features
        return False

    def describe(self) -> str:
        """``AzureCloud, westeurope, legacy`` for messages."""
        parts = [self.cloud, self.region or "region unknown"]
        if self.legacy:
            parts.append("configured as legacy")
        if self.private:
            parts.append("private cluster")
        return ", ".join(parts)


def _truthy(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on", "enabled"):
        return True
    if text in ("false", "0", "no", "off", "disabled", ""):
        return False
    return None


def _selects(setting: Any, name: str) -> bool:
    """A config fact that is a boolean, a cluster-name glob or a list of globs."""
    if isinstance(setting, bool):
        return setting
    if isinstance(setting, str):
        truth = _truthy(setting)
        return truth if truth is not None else fnmatch.fnmatchcase(name.lower(), setting.lower())
    if isinstance(setting, list | tuple):
        return any(_selects(s, name) for s in setting if isinstance(s, str | bool))
    return False


def _fact(facts: Mapping[str, Any], *names: str) -> Any:
    for n in names:
        for key in (n, n.replace("-", "_")):
            if key in facts:
                return facts[key]
    return None


def _features(setting: Any, name: str) -> set[str]:
    if isinstance(setting, str):
        return {s.strip().lower() for s in setting.split(",") if s.strip()}
    if isinstance(setting, list | tuple):
        return {str(s).strip().lower() for s in setting if str(s).strip()}
    if isinstance(setting, dict):  # {cluster-glob: [features]}
        out: set[str] = set()
        for glob, items in setting.items():
            if fnmatch.fnmatchcase(name.lower(), str(glob).lower()):
                out |= _features(items, name)
        return out
    return set()


@functools.cache
def _region_clouds() -> dict[str, str]:
    from egresslint.resources import load_yaml

    data = load_yaml("service-tags.yaml")
    regions = data.get("regions", {}) if isinstance(data, dict) else {}
    out: dict[str, str] = {}
    for group, cloud in (("china", "AzureChinaCloud"), ("usgov", "AzureUSGovernment")):
        for r in regions.get(group, ()) or ():
            out[str(r).lower()] = cloud
    return out


def cluster_region(inv: Inventory, cluster: Cluster) -> str | None:
    """The cluster's region (ARM name): its own location, else its node VNet's, else the
    configured region, else the region of its resource group in the script."""
    candidates: list[str | None] = [cluster.region.known if cluster.region else None]
    for pool in inv.node_pools(cluster):
        sub = inv.typed(pool.vnet_subnet, Subnet)
        vnet = inv.vnet_of(sub) if sub is not None else None
        if vnet is not None and vnet.region is not None:
            candidates.append(vnet.region.known)
    candidates.append(inv.facts.get("region"))
    groups = inv.facts.get("group_regions") or {}
    if cluster.ref.group and isinstance(groups, dict):
        candidates.append(groups.get(cluster.ref.group))
    for c in candidates:
        if c:
            return net.canonical_region(str(c)) or str(c).strip().lower()
    return None


def cluster_profile(inv: Inventory, cluster: Cluster) -> ClusterProfile:
    """Conditions of the requirements pack for ``cluster``. Config facts (``facts:`` of the
    configuration): ``legacy`` (bool, glob or globs), ``apiserver-access`` (same),
    ``features`` (list, or ``{cluster-glob: [features]}``)."""
    facts = inv.facts.get("config") or {}
    if not isinstance(facts, dict):
        facts = {}
    name = cluster.name
    region = cluster_region(inv, cluster)
    cloud = str(inv.facts.get("cloud") or "AzureCloud")
    if region is not None and region in _region_clouds():
        cloud = _region_clouds()[region]
    private: bool | None = False
    if cluster.private_cluster is not None:
        private = _truthy(cluster.private_cluster.known) if cluster.private_cluster.known is not None else None
    pools: list[NodePool] = inv.node_pools(cluster)
    windows = any((p.os_type.known or "").lower() == "windows" for p in pools if p.os_type is not None)
    return ClusterProfile(
        name=name,
        cloud=cloud if cloud in CLOUDS else "AzureCloud",
        region=region,
        legacy=_selects(_fact(facts, "legacy"), name),
        private=private,
        windows=windows,
        apiserver_access=_selects(_fact(facts, "apiserver-access"), name),
        features=frozenset(_features(_fact(facts, "features"), name)),
    )


def required_endpoints(profile: ClusterProfile, custom_dns: bool = False,
                       rule: str | None = None) -> list[Endpoint]:
    """The endpoints of the pack whose conditions all hold for ``profile`` (optionally only
    network or only application endpoints)."""
    out = []
    for ep in requirements().for_cloud(profile.cloud):
        if rule is not None and ep.rule != rule:
            continue
        if all(profile.holds(c, custom_dns) for c in ep.when):
            out.append(ep)
    return out


# =========================================================================== user packs

_PROTOCOLS = ("tcp", "udp", "icmp", "http", "https", "mssql")
_DESTINATIONS = ("fqdn", "cidr", "service_tag")
_ENTRY_KEYS = frozenset({*_DESTINATIONS, "port", "protocol", "cluster", "description"})
_TOP_KEYS = frozenset({"name", "description", "require", "forbid"})


@dataclass(frozen=True)
class PackEntry:
    """One ``require:`` or ``forbid:`` entry of a user pack (validated)."""

    mode: str  # require | forbid
    protocol: str  # tcp udp icmp http https mssql
    port: int | None
    location: Location
    pack: str
    index: int
    fqdn: str | None = None
    cidr: str | None = None
    service_tag: str | None = None
    cluster: str = "*"
    description: str = ""

    @property
    def destination(self) -> str:
        return self.fqdn or self.cidr or self.service_tag or "?"

    def label(self) -> str:
        port = f" {self.port}" if self.port is not None else ""
        return f"{self.protocol.upper()}{port} to {self.destination}"

    def applies_to(self, cluster_name: str) -> bool:
        return fnmatch.fnmatchcase(cluster_name.lower(), self.cluster.lower())


@dataclass(frozen=True)
class UserPack:
    path: str
    name: str
    entries: tuple[PackEntry, ...]


@dataclass(frozen=True)
class _Problem:
    path: tuple[Any, ...]
    message: str


def _entry_problems(where: tuple[Any, ...], raw: Any) -> list[_Problem]:
    label = f"{where[0]}[{where[1]}]"
    if not isinstance(raw, dict):
        return [_Problem(where, f"{label}: expected a mapping with a destination (fqdn, cidr or service_tag)")]
    out: list[_Problem] = []
    for key in raw:
        if key not in _ENTRY_KEYS:
            out.append(_Problem((*where, key), f"{label}: unknown key '{key}' (allowed: "
                                               f"{', '.join(sorted(_ENTRY_KEYS))})"))
    dests = [k for k in _DESTINATIONS if k in raw]
    if len(dests) != 1:
        out.append(_Problem(where, f"{label}: give exactly one of fqdn, cidr, service_tag"
                                   + (f" (found {', '.join(dests)})" if dests else "")))
    for k in dests:
        v = raw[k]
        if not isinstance(v, str) or not v.strip():
            out.append(_Problem((*where, k), f"{label}: {k} must be a non-empty string"))
        elif k == "fqdn" and not net.is_valid_fqdn_pattern(v):
            out.append(_Problem((*where, k), f"{label}: '{v}' is not a valid FQDN (a wildcard is only "
                                              f"allowed at the left-most position: *.contoso.com)"))
        elif k == "cidr" and net.parse_network(v) is None:
            out.append(_Problem((*where, k), f"{label}: '{v}' is not an IP address or CIDR"))
        elif k == "service_tag" and not net.looks_like_tag(v):
            out.append(_Problem((*where, k), f"{label}: '{v}' is not a service tag name"))
    protocol = raw.get("protocol")
    if protocol is not None and (not isinstance(protocol, str) or protocol.lower() not in _PROTOCOLS):
        out.append(_Problem((*where, "protocol"), f"{label}: protocol must be one of {', '.join(_PROTOCOLS)}"))
    port = raw.get("port")
    if port is not None and (not isinstance(port, int) or isinstance(port, bool) or not 0 < port <= 65535):
        out.append(_Problem((*where, "port"), f"{label}: port must be an integer 1-65535"))
    proto = protocol.lower() if isinstance(protocol, str) else None
    if proto == "icmp" and port is not None:
        out.append(_Problem((*where, "port"), f"{label}: ICMP has no port"))
    if len(dests) == 1 and port is None and proto in ("tcp", "udp"):
        out.append(_Problem(where, f"{label}: port is required for protocol {proto}"))
    if len(dests) == 1 and port is None and proto is None and "fqdn" not in raw:
        out.append(_Problem(where, f"{label}: port is required (or protocol icmp)"))
    for key in ("cluster", "description"):
        if key in raw and not isinstance(raw[key], str):
            out.append(_Problem((*where, key), f"{label}: {key} must be a string"))
    return out


def validate_pack(data: Any) -> list[_Problem]:
    """Problems of a parsed user pack, each with a path into the document (empty: valid).
    Mirrors ``rules/policy-pack.schema.json``."""
    if not isinstance(data, dict):
        return [_Problem((), "a policy pack must be a mapping with require: and/or forbid: lists")]
    out: list[_Problem] = []
    for key in data:
        if key not in _TOP_KEYS:
            out.append(_Problem((key,), f"unknown key '{key}' (allowed: {', '.join(sorted(_TOP_KEYS))})"))
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            out.append(_Problem((key,), f"'{key}' must be a string"))
    if "require" not in data and "forbid" not in data:
        out.append(_Problem((), "a policy pack needs a require: or forbid: list"))
    for mode in ("require", "forbid"):
        if mode not in data or data[mode] is None:
            continue
        items = data[mode]
        if not isinstance(items, list):
            out.append(_Problem((mode,), f"'{mode}' must be a list of entries"))
            continue
        for i, raw in enumerate(items):
            out.extend(_entry_problems((mode, i), raw))
    return out


def _default_protocol(raw: dict[str, Any]) -> str:
    proto = raw.get("protocol")
    if isinstance(proto, str):
        return proto.lower()
    if "fqdn" in raw:
        return {443: "https", 80: "http", 1433: "mssql"}.get(raw.get("port") or 443, "tcp")
    return "tcp"


def _yaml_loader() -> type:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _node_at(node: Any, path: tuple[Any, ...]) -> Any:
    """The YAML node at ``path`` (mapping keys and sequence indexes), as deep as it exists; a
    mapping key itself for the last step when the key exists."""
    import yaml

    for step in path:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == step:
                    node = value_node
                    break
            else:
                return node
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            return node
    return node


def _loc(path: str, node: Any, structural: tuple[Any, ...] = ()) -> Location:
    if node is None:
        return Location(path, 1, 1, path=structural)
    start, end = node.start_mark, node.end_mark
    return Location(path, start.line + 1, start.column + 1, end.line + 1, end.column + 1, structural)


def _finding(message: str, location: Location) -> Finding:
    return Finding("EGL001", message, Severity.ERROR, location, subject=f"pack:{location.file}:{message}")


def load_pack(path: str, text: str | None = None) -> tuple[UserPack | None, list[Finding]]:
    """Load and validate one user pack. Returns the pack (None when unusable) and EGL001
    findings located at the offending line."""
    import yaml

    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return None, [_finding(f"policy pack '{path}' cannot be read: {exc}", Location(path, 1, 1))]
    loader = _yaml_loader()(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        return None, [_finding(f"policy pack is not valid YAML: {problem}", Location(path, line, col))]
    except yaml.YAMLError as exc:
        return None, [_finding(f"policy pack is not valid YAML: {exc}", Location(path, 1, 1))]
    finally:
        loader.dispose()
    problems = validate_pack(data)
    findings = [_finding(f"policy pack: {p.message}", _loc(path, _node_at(node, p.path), p.path)) for p in problems]
    if not isinstance(data, dict):
        return None, findings
    bad = {p.path[:2] for p in problems if len(p.path) >= 2}
    entries: list[PackEntry] = []
    for mode in ("require", "forbid"):
        items = data.get(mode)
        if not isinstance(items, list):
            continue
        for i, raw in enumerate(items):
            if (mode, i) in bad or not isinstance(raw, dict):
                continue
            proto = _default_protocol(raw)
            port = raw.get("port")
            if port is None and proto in net.APP_DEFAULT_PORTS:
                port = net.APP_DEFAULT_PORTS[proto]
            entries.append(PackEntry(
                mode=mode, protocol=proto, port=port, location=_loc(path, _node_at(node, (mode, i)), (mode, i)),
                pack=path, index=i, fqdn=raw.get("fqdn"), cidr=raw.get("cidr"), service_tag=raw.get("service_tag"),
                cluster=raw.get("cluster") or "*", description=raw.get("description") or "",
            ))
    name = data.get("name") if isinstance(data.get("name"), str) else Path(path).stem
    return UserPack(path, name, tuple(entries)), findings


@dataclass
class _Loaded:
    packs: list[UserPack]
    findings: list[Finding]
    attached: bool = False


_LOADED: weakref.WeakKeyDictionary[Any, _Loaded] = weakref.WeakKeyDictionary()


def _pack_paths(inv: Inventory) -> list[str]:
    raw = inv.facts.get("packs") or []
    if isinstance(raw, str | Path):
        raw = [raw]
    return [str(p) for p in raw if isinstance(p, str | Path)] if isinstance(raw, Iterable) else []


def _loaded(inv: Inventory) -> _Loaded:
    state = _LOADED.get(inv)
    if state is None:
        packs: list[UserPack] = []
        findings: list[Finding] = []
        for path in dict.fromkeys(_pack_paths(inv)):
            pack, problems = load_pack(path)
            findings.extend(problems)
            if pack is not None:
                packs.append(pack)
        state = _Loaded(packs, findings)
        _LOADED[inv] = state
    return state


def user_packs(inv: Inventory) -> list[UserPack]:
    """The user packs listed in ``inv.facts["packs"]`` (loaded once per inventory; entries
    with problems are left out)."""
    return _loaded(inv).packs


def attach(inv: Inventory) -> list[Finding]:
    """Load the packs and add their EGL001 findings to ``inv.diagnostics`` (once). Returns the
    findings added by this call; the engine calls it before running rules, so that EGL001
    (which reports diagnostics) sees them."""
    state = _loaded(inv)
    if state.attached:
        return []
    state.attached = True
    inv.diagnostics.extend(state.findings)
    return list(state.findings)
