"""ARM templates and Azure JSON exports -> Operations.

One entry point, :func:`load`, sniffs the JSON document:

* an ARM template (``$schema`` naming a deployment template, or ``resources`` +
  ``contentVersion``; ``az group export`` output is one): resources are read with template
  expressions evaluated (:mod:`egresslint.frontends.armexpr`): parameters (defaults, or values
  passed in from ``X.parameters.json``), variables, copy loops, nested deployments, symbolic
  names (languageVersion 2.0);
* a deployment parameters file: no operations; its values are returned in
  ``facts["arm_parameters"] = {path: {name: value}}`` (see :func:`read_parameters`);
* an Azure export: ``az ... show``/``list`` output (one object or an array of objects with
  ``id`` and ``type``; properties flattened or not), a REST ``{"value": [...]}`` list, or a
  REST API example (``responses.200.body``): the resource group and names come from ``id``;
* anything else is skipped silently.

Every resource the model knows becomes a ``create`` Operation whose changes use the model's
field names; every Value carries the Location of the JSON value it came from (for a value that
an expression computed, the location of that expression). Template resources live in the
deployment's resource group, which a template cannot know: their refs have ``group=None``
unless a resource ID or a nested deployment names the group.

:func:`ref_from_resource_id` turns an Azure resource ID into a :class:`Ref` (used by the script
frontend too).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from egresslint.findings import Finding, Severity
from egresslint.frontends import FrontendResult, SourceFile
from egresslint.frontends import armexpr as ax
from egresslint.frontends.jsonpos import JsonDocument
from egresslint.frontends.jsonpos import parse as parse_json
from egresslint.model import (
    FirewallIpConfig,
    Location,
    Operation,
    Ref,
    Symbol,
    Value,
    classic_collection_ref,
)

# --------------------------------------------------------------------------- resource IDs

#: ARM resource type (lower case) -> model kind (the ``KIND`` of a model class, or a kind only
#: used in refs such as ``ip_group``).
TYPE_KINDS: dict[str, str] = {
    "microsoft.network/virtualnetworks": "vnet",
    "microsoft.network/virtualnetworks/subnets": "subnet",
    "microsoft.network/routetables": "route_table",
    "microsoft.network/routetables/routes": "route",
    "microsoft.network/azurefirewalls": "firewall",
    "microsoft.network/firewallpolicies": "firewall_policy",
    "microsoft.network/firewallpolicies/rulecollectiongroups": "rule_collection_group",
    "microsoft.network/networksecuritygroups": "nsg",
    "microsoft.network/networksecuritygroups/securityrules": "security_rule",
    "microsoft.network/networksecuritygroups/defaultsecurityrules": "security_rule",
    "microsoft.network/natgateways": "nat_gateway",
    "microsoft.network/publicipaddresses": "public_ip",
    "microsoft.network/publicipprefixes": "public_ip_prefix",
    "microsoft.network/loadbalancers": "load_balancer",
    "microsoft.network/loadbalancers/outboundrules": "outbound_rule",
    "microsoft.network/ipgroups": "ip_group",
    "microsoft.containerservice/managedclusters": "cluster",
    "microsoft.containerservice/managedclusters/agentpools": "node_pool",
    "microsoft.managedidentity/userassignedidentities": "identity",
}

Segment = Any  # str, or an armexpr Unknown/Symbolic/Partial for a piece not known


def _seg_name(seg: Segment) -> tuple[str, str]:
    """(identity, display) of a name segment. An unknown name's identity is its residual
    expression, ``[parameters('vnetName')]``; its display keeps the known text and shows each
    unknown piece in angle brackets, long calls shortened: ``aks-<uniqueString(...)>``,
    ``route-to-<parameters('location')>-hub-fw`` (what a reader of the template recognises)."""
    if isinstance(seg, str):
        return seg.lower(), seg
    parts = seg.parts if isinstance(seg, ax.Partial) else (seg,)
    shown = "".join(p if isinstance(p, str) else f"<{_short_call(p.text)}>" for p in parts)
    return f"[{seg.text}]".lower(), shown


_CALL = re.compile(r"^(?P<name>[A-Za-z_][\w.]*)\(")


def _short_call(text: str, limit: int = 40) -> str:
    if len(text) <= limit:
        return text
    m = _CALL.match(text)
    return f"{m.group('name')}(...)" if m else text[: limit - 3] + "..."


def _ref_chain(full_type: str, names: list[Segment], group: str | None) -> Ref | None:
    """Ref (with parents) of a resource of ``full_type`` (``ns/t1/t2``) named by ``names``."""
    ns, _, rest = full_type.partition("/")
    types = [t for t in rest.split("/") if t]
    if not types or len(types) != len(names):
        return None
    ref: Ref | None = None
    for i, seg in enumerate(names):
        kind = TYPE_KINDS.get(f"{ns}/{'/'.join(types[: i + 1])}".lower())
        if kind is None:
            return None
        ident, display = _seg_name(seg)
        if not ident:
            return None
        ref = Ref(kind, ident, group, parent=ref, display=display)
    return ref


def _ref_from_segments(segs: list[Segment]) -> Ref | None:
    segs = [s for s in segs if not (isinstance(s, str) and s == "")]
    low = [s.lower() if isinstance(s, str) else None for s in segs]
    group: str | None = None
    for i, s in enumerate(low[:-1]):
        if s == "resourcegroups":
            g = segs[i + 1]
            group = g.lower() if isinstance(g, str) else None
            break
    prov = None
    for i in range(len(low) - 1, -1, -1):
        if low[i] == "providers" and i + 1 < len(segs) and isinstance(segs[i + 1], str) and "." in segs[i + 1]:
            prov = i
            break
    if prov is None:
        return None
    ns = segs[prov + 1]
    rest = segs[prov + 2 :]
    if len(rest) < 2 or len(rest) % 2:
        return None
    types = rest[0::2]
    names = rest[1::2]
    if not all(isinstance(t, str) for t in types):
        return None
    return _ref_chain(f"{ns}/{'/'.join(types)}", list(names), group)


def ref_from_resource_id(text: str) -> Ref | None:
    """Ref of an Azure resource ID of a type the model knows, else None.

    ``/subscriptions/s/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/v/subnets/s``
    -> ``Ref("subnet", "s", "rg", parent=Ref("vnet", "v", "rg"))``. Names and group are
    lower-cased (Azure names are case-insensitive); ``display`` keeps the spelling. Segments
    that are script variables (``$RG``) are kept as written (lower-cased)."""
    if not isinstance(text, str) or "/providers/" not in text.lower():
        return None
    return _ref_from_segments(text.strip().split("/"))


def ref_from_value(v: Any) -> Ref | None:
    """Ref of an evaluated ARM value: a resource ID string or a partially known one (a
    ``resourceId()`` in an unknown deployment group)."""
    if isinstance(v, str):
        return ref_from_resource_id(v)
    if isinstance(v, ax.Partial):
        return _ref_from_segments(_split_segments(v))
    return None


def _split_segments(v: Any) -> list[Segment]:
    if isinstance(v, str):
        return v.split("/")
    if isinstance(v, ax.Partial):
        out: list[list[Any]] = [[]]
        for p in v.parts:
            if isinstance(p, str):
                pieces = p.split("/")
                out[-1].append(pieces[0])
                for piece in pieces[1:]:
                    out.append([piece])
            else:
                out[-1].append(p)
        return [ax.make_partial(seg) for seg in out]
    return [v]


# --------------------------------------------------------------------------- parameters files


def parameters_file_for(template_path: str) -> str:
    """Name-convention parameters file of a template: ``X.parameters.json`` for ``X.json``."""
    base = template_path[:-5] if template_path.lower().endswith(".json") else template_path
    return base + ".parameters.json"


def template_for_parameters_file(path: str) -> str | None:
    """The template a ``X.parameters.json`` file belongs to (``X.json``), else None."""
    if path.lower().endswith(".parameters.json"):
        return path[: -len(".parameters.json")] + ".json"
    return None


def read_parameters(text: str | dict[str, Any]) -> dict[str, Any] | None:
    """Parameter values of a deployment parameters file (``{"parameters": {"p": {"value":
    ...}}}``), ready for ``load(..., parameters=...)``; None when it is not one. Key Vault
    references become unknown values."""
    data = text if isinstance(text, dict) else parse_json(text).data
    if not isinstance(data, dict):
        return None
    params = data.get("parameters")
    if not isinstance(params, dict):
        return None
    out: dict[str, Any] = {}
    for name, spec in params.items():
        if not isinstance(spec, dict):
            continue
        if "value" in spec:
            out[name] = spec["value"]
        elif "reference" in spec:
            out[name] = ax.Unknown(f"parameters('{name}')", f"parameter '{name}' is a Key Vault reference")
    return out


@dataclass(frozen=True, slots=True)
class CliText:
    """The text of an ``az deployment group create --parameters name=text`` item: az converts
    it by the parameter's declared type when it reads the template (see :func:`_bind_cli`)."""

    text: str


#: key of a binding that stands for "every parameter not bound otherwise": a ``--parameters``
#: word the scan cannot read (``$PARAMS``, a file outside the project) may set any of them.
ANY_PARAMETER = "*"

_KEY_VALUE = re.compile(r"^(?P<name>[A-Za-z_][\w-]*)=")


def deployment_parameters(items: Iterable[tuple[str | None, str]]) -> dict[str, Any]:
    """Parameter bindings of the ``--parameters`` words of one ``az deployment group create``,
    in az's order (a later word overrides an earlier one). Each item is ``(text, shown)``:
    ``text`` the word after ``@file`` expansion (a file's content), None when the scan does not
    know it; ``shown`` how the script spelled it. az reads a word as a JSON parameters object
    (``{"parameters": {...}}`` or the bare object) or else as ``name=value`` (azure-cli
    ``_process_parameters``: https://github.com/Azure/azure-cli/blob/dev/src/azure-cli/azure/cli/command_modules/resource/custom.py)."""
    out: dict[str, Any] = {}
    for text, shown in items:
        if text is None:
            m = _KEY_VALUE.match(shown)
            name = m.group("name") if m else ANY_PARAMETER
            out[name] = ax.Unknown(f"parameters('{name}')" if m else shown,
                                   f"set by --parameters {shown}, a value not known to the scan",
                                   frozenset({name}) if m else frozenset())
            continue
        stripped = text.strip()
        if stripped.startswith("{"):
            doc = parse_json(stripped)
            if isinstance(doc.data, dict):
                data = doc.data
                values = read_parameters(data if isinstance(data.get("parameters"), dict) else {"parameters": data})
                out.update(values or {})
                continue
        m = _KEY_VALUE.match(text)
        if m:
            out[m.group("name")] = CliText(text[m.end():])
        # anything else az rejects ("Unable to parse parameter") and nothing is deployed
    return out


def _bind_cli(template: dict[str, Any], bound: dict[str, Any]) -> dict[str, Any]:
    """``bound`` with :class:`CliText` values converted by the declared parameter type (as
    az's ``_try_parse_key_value_object``: string as is, ``bool`` true when "true" in any case,
    ``int`` by ``int()``, object/array as JSON) and :data:`ANY_PARAMETER` spread over every
    declared parameter not bound by name."""
    decls = template.get("parameters")
    decls = {k.lower(): v for k, v in decls.items() if isinstance(k, str)} if isinstance(decls, dict) else {}
    out: dict[str, Any] = {}
    for name, value in bound.items():
        if name == ANY_PARAMETER:
            continue
        if isinstance(value, CliText):
            spec = decls.get(name.lower())
            kind = str(spec.get("type", "")).lower() if isinstance(spec, dict) else ""
            value = _convert_cli(name, value.text, kind)
        out[name] = value
    anything = bound.get(ANY_PARAMETER)
    if anything is not None:
        given = {k.lower() for k in out}
        for name in decls:
            if name not in given:
                out[name] = ax.Unknown(f"parameters('{name}')", anything.reason, frozenset({name}))
    return out


def _convert_cli(name: str, text: str, kind: str) -> Any:
    if kind == "bool":
        return text.lower() == "true"
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            return ax.Unknown(f"parameters('{name}')", f"--parameters {name}={text} is not an int; az refuses it")
    if kind in ("object", "array", "secureobject"):
        doc = parse_json(text)
        if doc.error is not None:
            return ax.Unknown(f"parameters('{name}')", f"--parameters {name}=... is not valid JSON; az refuses it")
        return doc.data
    return text


def _is_template(d: Any) -> bool:
    if not isinstance(d, dict):
        return False
    schema = d.get("$schema")
    if isinstance(schema, str) and "deploymenttemplate" in schema.lower():
        return True
    return "resources" in d and "contentVersion" in d


def _is_parameters_file(d: Any) -> bool:
    if not isinstance(d, dict):
        return False
    schema = d.get("$schema")
    if isinstance(schema, str) and "deploymentparameters" in schema.lower():
        return True
    return "contentVersion" in d and isinstance(d.get("parameters"), dict) and "resources" not in d


def _is_export_object(d: Any) -> bool:
    return (
        isinstance(d, dict)
        and isinstance(d.get("id"), str)
        and "/providers/microsoft." in d["id"].lower()
        and isinstance(d.get("type"), str)
    )


_FREE_TEXT_KEYS = frozenset({"metadata", "comments", "$schema"})

_AZURE_HINT = re.compile(r"deploymentTemplate|deploymentParameters|contentVersion|/providers/Microsoft\.", re.I)

# --------------------------------------------------------------------------- entry point


def load(
    source: SourceFile,
    parameters: dict[str, Any] | None = None,
    resource_group: str | None = None,
    subscription_id: str | None = None,
    resource_group_location: str | None = None,
) -> FrontendResult:
    """Operations of an ARM template, parameters file or Azure export (see module doc).

    ``parameters`` binds template parameters (values from ``X.parameters.json``, see
    :func:`read_parameters`); ``resource_group``/``subscription_id``/
    ``resource_group_location`` describe the deployment when known (a script's
    ``az deployment group create -g RG``): ``resourceGroup()`` then evaluates and template
    refs get that group."""
    doc = parse_json(source.text)
    if doc.error is not None:
        if source.kind in ("arm", "export") or _AZURE_HINT.search(source.text[:20000]):
            err = doc.error
            loc = Location(source.path, err.line, err.column, err.line, err.column + 1)
            return FrontendResult(
                findings=[Finding("EGL001", f"invalid JSON: {err.message}", Severity.ERROR, loc)]
            )
        return FrontendResult(skipped="not valid JSON")
    data = doc.data
    reader = _Reader(source, doc)
    if _is_template(data):
        reader.read_template_file(data, parameters or {}, resource_group, subscription_id, resource_group_location)
    elif _is_parameters_file(data):
        reader.result.facts["arm_parameters"] = {source.path: read_parameters(data) or {}}
    else:
        found = reader.read_export(data)
        if not found:
            return FrontendResult(skipped="not an ARM template or Azure export")
    return reader.result


def load_export(source: SourceFile) -> FrontendResult:
    """Like :func:`load` for a document known to be an export (no template sniffing)."""
    doc = parse_json(source.text)
    if doc.error is not None:
        err = doc.error
        loc = Location(source.path, err.line, err.column, err.line, err.column + 1)
        return FrontendResult(findings=[Finding("EGL001", f"invalid JSON: {err.message}", Severity.ERROR, loc)])
    reader = _Reader(source, doc)
    if not reader.read_export(doc.data):
        return FrontendResult(skipped="not an ARM template or Azure export")
    return reader.result


# --------------------------------------------------------------------------- evaluated view

_MISSING = ax._MISSING


@dataclass(frozen=True, slots=True)
class _Env:
    """How to read values under one resource: scope, copy bindings, literal (export) mode."""

    reader: _Reader
    scope: ax.Scope | None  # None: export, strings are literal
    copy: tuple[tuple[str, int], ...] = ()

    def with_copy(self, name: str, i: int) -> _Env:
        return _Env(self.reader, self.scope, self.copy + ((name, i),))


class _N:
    """A JSON value under a resource: template JSON whose members are evaluated on access
    (``raw``), or a value an expression computed (``val``; its members share its pointer)."""

    __slots__ = ("elements", "env", "ptr", "raw", "text", "val")

    def __init__(
        self,
        env: _Env,
        ptr: tuple[Any, ...],
        raw: Any = _MISSING,
        val: Any = _MISSING,
        text: str | None = None,
        elements: list[_N] | None = None,
    ) -> None:
        self.env = env
        self.ptr = ptr
        self.raw = raw
        self.val = val
        self.text = text
        self.elements = elements

    @staticmethod
    def make(env: _Env, ptr: tuple[Any, ...], raw: Any) -> _N:
        # positional arguments: this runs for every member a handler reads
        if isinstance(raw, str):
            scope = env.scope
            if scope is None or raw[:1] != "[":  # an export, or no expression and no ``[[``
                return _N(env, ptr, _MISSING, raw, raw)
            if ax.is_expression(raw):
                return _N(env, ptr, _MISSING, scope.evaluate(raw, env.copy), raw)
            return _N(env, ptr, _MISSING, ax.literal_text(raw), raw)
        if isinstance(raw, (dict, list)):
            return _N(env, ptr, raw)
        return _N(env, ptr, _MISSING, raw)

    # ---------------------------------------------------------------- navigation

    @property
    def opaque(self) -> bool:
        return self.val is not _MISSING and ax.is_opaque(self.val)

    def is_object(self) -> bool:
        return isinstance(self.raw, dict) or isinstance(self.val, dict)

    def get(self, key: str) -> _N | None:
        raw = self.raw
        if isinstance(raw, dict):
            if key in raw:
                if key != "copy":
                    return _N.make(self.env, self.ptr + (key,), raw[key])
            else:
                k = self.env.reader.folded_keys(raw).get(key.lower())
                if k is not None and k != "copy":
                    return _N.make(self.env, self.ptr + (k,), raw[k])
            copies = raw.get("copy")
            if isinstance(copies, list) and self.env.scope is not None:
                for j, spec in enumerate(copies):
                    if ax._is_copy_spec(spec) and spec["name"].lower() == key.lower():
                        return self._property_copy(spec, j)
            return None
        val = self.val
        if isinstance(val, dict):
            got = ax.ci_get(val, key)
            if got is _MISSING:
                return None
            return _N(self.env, self.ptr, val=got)
        if ax.is_opaque(val):
            return _N(self.env, self.ptr, val=ax.access(val, key))
        return None

    def _property_copy(self, spec: dict[str, Any], j: int) -> _N:
        env = self.env
        assert env.scope is not None
        base = self.ptr + ("copy", j)
        n = env.scope.copy_count(spec["count"], env.copy)
        if isinstance(n, ax.Unknown):
            return _N(env, base + ("count",), val=ax.Unknown(f"copy({spec['name']})", n.reason, n.params))
        elements = [_N.make(env.with_copy(spec["name"], i), base + ("input",), spec["input"]) for i in range(n)]
        return _N(env, base, elements=elements)

    def path(self, *keys: str) -> _N | None:
        node: _N | None = self
        for k in keys:
            if node is None:
                return None
            node = node.get(k)
        return node

    def items(self) -> list[_N]:
        if self.elements is not None:
            return self.elements
        if isinstance(self.raw, list):
            return [_N.make(self.env, self.ptr + (i,), x) for i, x in enumerate(self.raw)]
        if isinstance(self.val, list):
            return [_N(self.env, self.ptr, val=x) for x in self.val]
        return []

    def props(self) -> _N:
        """``properties`` of a REST/template object; the object itself when flattened (az)."""
        p = self.get("properties")
        if p is not None and (p.is_object() or p.opaque):
            return p
        return self

    # ---------------------------------------------------------------- values

    def location(self) -> Location:
        return self.env.reader.location(self.ptr)

    def value(self, net: bool = True, what: str = "") -> Value | None:
        """The model Value of a scalar (None for null, objects and arrays)."""
        v = self.val
        if isinstance(v, str):  # the common case first
            return Value(self.text if self.text is not None else v, v, location=self.env.reader.location(self.ptr))
        if v is _MISSING or v is None or isinstance(v, (dict, list)):
            return None
        loc = self.env.reader.location(self.ptr)
        if isinstance(v, bool):
            return Value(self.text or ("true" if v else "false"), "true" if v else "false", location=loc)
        if isinstance(v, (int, float)):
            return Value(self.text or str(v), str(v), location=loc)
        text = self.text if self.text is not None else f"[{v.text}]"
        if isinstance(v, ax.Symbolic):
            return Value.symbolic(v.symbol, text, loc)
        if (
            isinstance(v, ax.Partial)
            and len(v.parts) == 2
            and isinstance(v.parts[0], ax.Symbolic)
            and isinstance(v.parts[1], str)
            and not v.parts[0].symbol.suffix
        ):  # concat(reference(pip).ipAddress, '/32')
            sym = v.parts[0].symbol
            return Value.symbolic(Symbol(sym.ref, sym.query, v.parts[1]), text, loc)
        ref = ref_from_value(v)
        if ref is not None:
            return Value.symbolic(Symbol(ref, "id"), text, loc)
        if net:
            self.env.reader.unresolved(v, loc, what)
        return Value.unknown(text, loc, v.reason)

    def values(self, what: str = "") -> list[Value]:
        """Values of a list of scalars (an unknown list gives one unknown Value)."""
        raw = self.raw
        if isinstance(raw, list):
            env = self.env
            location = env.reader.location
            ptr = self.ptr
            out = []
            for i, x in enumerate(raw):
                if isinstance(x, str) and x[:1] != "[":
                    # a literal string, most list members: the Value ``make`` and ``value`` give
                    out.append(Value(x, x, location=location(ptr + (i,))))
                    continue
                v = _N.make(env, ptr + (i,), x).value(what=what)
                if v is not None:
                    out.append(v)
            return out
        if self.elements is not None or isinstance(self.val, list):
            out = []
            for item in self.items():
                v = item.value(what=what)
                if v is not None:
                    out.append(v)
            return out
        v = self.value(what=what)
        return [v] if v is not None else []

    def ref(self) -> Ref | None:
        v = self.val
        if v is _MISSING:
            return None
        return ref_from_value(v)

    def known_str(self) -> str | None:
        v = self.val
        return v if isinstance(v, str) else None


def _id_of(node: _N | None) -> _N | None:
    """The ``id`` member of a sub-resource reference (``{"id": ...}``)."""
    if node is None:
        return None
    return node.get("id")


# --------------------------------------------------------------------------- reader


@dataclass
class _Resource:
    """Where a resource is being read: its view, identity and how it was declared."""

    node: _N
    ref: Ref
    type: str
    command: str
    conditional: bool = False
    export: bool = False
    region: Value | None = None


@dataclass
class _Reader:
    source: SourceFile
    doc: JsonDocument
    result: FrontendResult = field(default_factory=FrontendResult)
    _locs: dict[tuple[Any, ...], Location] = field(default_factory=dict)
    _folded: dict[int, tuple[dict[str, Any], dict[str, str]]] = field(default_factory=dict)
    _reported: set[str] = field(default_factory=set)
    _seq: int = 0
    _group: int = 0  # one group per declared resource (instance): its inline children share it

    # ---------------------------------------------------------------- plumbing

    def location(self, ptr: tuple[Any, ...]) -> Location:
        loc = self._locs.get(ptr)
        if loc is None:
            loc = self.doc.location(self.source.path, ptr)
            self._locs[ptr] = loc
        return loc

    def folded_keys(self, raw: dict[str, Any]) -> dict[str, str]:
        """Lower-cased member name -> the first member of ``raw`` spelled so (ARM names ignore
        case), built once per object of the document instead of a scan per look-up."""
        entry = self._folded.get(id(raw))
        if entry is None:
            folded: dict[str, str] = {}
            for k in raw:
                if isinstance(k, str):
                    folded.setdefault(k.lower(), k)
            # the entry holds ``raw``: while it lives its id names no other object
            entry = self._folded[id(raw)] = (raw, folded)
        return entry[1]

    def emit(self, kind_ref: Ref, node: _N, changes: dict[str, Any], command: str, conditional: bool,
             action: str = "create") -> None:
        self.result.operations.append(
            Operation(
                action=action,  # type: ignore[arg-type]
                ref=kind_ref,
                location=node.location(),
                changes={k: v for k, v in changes.items() if v is not None},
                group=self._group,
                seq=self._seq,
                command=command,
                conditional=conditional,
            )
        )
        self._seq += 1

    def unresolved(self, v: Any, loc: Location, what: str) -> None:
        """EGL004 once per template parameter that has no value where a networking property
        needs it."""
        for p in sorted(getattr(v, "params", ()) or ()):
            if p.lower() in self._reported:
                continue
            self._reported.add(p.lower())
            field_text = f" ({what})" if what else ""
            reason = getattr(v, "reason", "")
            # a deployment's unreadable --parameters word says where the value comes from
            why = reason if reason.startswith("set by --parameters") else \
                "has no default value and no parameter file gives one"
            self.result.findings.append(
                Finding(
                    "EGL004",
                    f"ARM parameter '{p}' {why}; "
                    f"the networking property that uses it{field_text} is not checked",
                    Severity.INFO,
                    loc,
                    subject=f"arm-parameter:{p.lower()}",
                )
            )

    # ---------------------------------------------------------------- templates

    def read_template_file(
        self,
        data: dict[str, Any],
        parameters: dict[str, Any],
        resource_group: str | None,
        subscription_id: str | None,
        location: str | None,
    ) -> None:
        self.check_syntax(data, ())
        scope = self.new_scope(data, _bind_cli(data, parameters), resource_group, subscription_id, location)
        group = resource_group.lower() if resource_group else None
        self.read_template(data, (), scope, group, False, ())

    def new_scope(self, tpl: dict[str, Any], bound: dict[str, Any], rg: str | None, sub: str | None,
                  location: str | None) -> ax.Scope:
        scope = ax.Scope.from_template(
            tpl,
            bound=bound,
            resource_group=rg,
            subscription_id=sub,
            resource_group_location=location,
            ref_of_id=ref_from_value,
        )
        return scope

    def check_syntax(self, data: Any, ptr: tuple[Any, ...]) -> None:
        """EGL001 for every broken ``[...]`` expression in the document (free text in
        ``metadata`` and ``comments`` is not evaluated by ARM and not checked)."""
        if data is self.doc.data:
            candidates = self.doc.strings_starting_with_bracket()
            if candidates is not None and not any(
                isinstance(ax.parse_template_string(c), ax.ExpressionError) for c in candidates
            ):
                return  # every string that could be an expression parses: nothing to report
        # Only containers and strings starting with "[" go on the stack (nothing else can hold
        # an expression); they come off in the order of a walk of every value, so the findings
        # keep their order.
        stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ptr)]
        push = stack.append
        while stack:
            node, p = stack.pop()
            if isinstance(node, dict):
                for k, v in node.items():
                    if isinstance(v, (dict, list)) or (isinstance(v, str) and v[:1] == "["):
                        if k not in _FREE_TEXT_KEYS:
                            push((v, p + (k,)))
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    if isinstance(v, (dict, list)) or (isinstance(v, str) and v[:1] == "["):
                        push((v, p + (i,)))
            elif ax.is_expression(node):
                parsed = ax.parse_template_string(node)
                if isinstance(parsed, ax.ExpressionError):
                    self.expression_error(node, p, parsed)

    def expression_error(self, s: str, ptr: tuple[Any, ...], err: ax.ExpressionError) -> None:
        loc = self.location(ptr)
        start = self.doc.offset(ptr)
        if start is not None and loc.end_line == loc.line:
            body = self.doc.text[start + 1 : start + 1 + len(s)]
            if body == s:  # no escapes: the error column maps onto the line
                col = loc.column + 1 + err.column
                loc = Location(loc.file, loc.line, col, loc.line, col + 1, path=loc.path)
        shown = s if len(s) <= 120 else s[:117] + "..."
        self.result.findings.append(
            Finding("EGL001", f"broken ARM expression ({err.message}): {shown}", Severity.ERROR, loc)
        )

    def read_template(
        self,
        tpl: dict[str, Any],
        ptr: tuple[Any, ...],
        scope: ax.Scope,
        group: str | None,
        conditional: bool,
        copy: tuple[tuple[str, int], ...],
    ) -> None:
        resources = tpl.get("resources")
        entries: list[tuple[Any, tuple[Any, ...], str | None]] = []
        if isinstance(resources, list):
            entries = [(r, ptr + ("resources", i), None) for i, r in enumerate(resources)]
        elif isinstance(resources, dict):  # languageVersion 2.0: symbolic names
            entries = [(r, ptr + ("resources", k), k) for k, r in resources.items()]
        env = _Env(self, scope, copy)
        names = self.name_registry(entries, env, group)
        scope.ref_of_name = names.get_ref
        for raw, rptr, _sym in entries:
            self.read_resource(raw, rptr, env, group, conditional, None)

    def name_registry(self, entries: list[tuple[Any, tuple[Any, ...], str | None]], env: _Env,
                      group: str | None) -> _Names:
        names = _Names()
        todo: list[tuple[Any, tuple[Any, ...], str | None, tuple[str, list[Segment]] | None]] = [
            (r, p, s, None) for r, p, s in entries
        ]
        while todo:
            raw, rptr, sym, parent = todo.pop()
            if not isinstance(raw, dict):
                continue
            ident = self.identity(raw, rptr, env, parent)
            if ident is None:
                continue
            full_type, segs = ident
            ref = _ref_chain(full_type, segs, group)
            if ref is not None:
                names.add(sym, segs, ref)
            kids = raw.get("resources")
            if isinstance(kids, list):
                todo.extend((k, rptr + ("resources", i), None, ident) for i, k in enumerate(kids))
        return names

    def identity(self, raw: dict[str, Any], ptr: tuple[Any, ...], env: _Env,
                 parent: tuple[str, list[Segment]] | None) -> tuple[str, list[Segment]] | None:
        """(full type, name segments) of a template resource."""
        t = raw.get("type")
        if not isinstance(t, str) or env.scope is None:
            return None
        t = ax.literal_text(t) if not ax.is_expression(t) else env.scope.evaluate(t, env.copy)
        if not isinstance(t, str) or not t:
            return None
        name = raw.get("name")
        nv = env.scope.evaluate(name, env.copy) if isinstance(name, str) else ax.Unknown("name", "no name")
        if isinstance(nv, (int, float)) and not isinstance(nv, bool):
            nv = str(nv)
        if not isinstance(nv, (str, ax.Unknown, ax.Partial)):
            return None
        segs = _split_segments(nv)
        is_qualified = "." in t.split("/", 1)[0]
        if parent is not None and not is_qualified:
            return f"{parent[0]}/{t}", parent[1] + segs
        return t, segs

    def read_resource(
        self,
        raw: Any,
        ptr: tuple[Any, ...],
        env: _Env,
        group: str | None,
        conditional: bool,
        parent: tuple[str, list[Segment]] | None,
    ) -> None:
        if not isinstance(raw, dict) or env.scope is None:
            return
        scope = env.scope
        cond = raw.get("condition")
        if cond is not None:
            c = scope.evaluate(cond, env.copy) if isinstance(cond, str) else cond
            if c is False:
                return
            if not isinstance(c, bool):
                conditional = True
        loop = raw.get("copy")
        if isinstance(loop, dict) and isinstance(loop.get("name"), str) and "count" in loop:
            n = scope.copy_count(loop["count"], env.copy)
            if isinstance(n, ax.Unknown):
                self.read_one(raw, ptr, env, group, True, parent)
            else:
                for i in range(n):
                    self.read_one(raw, ptr, env.with_copy(loop["name"], i), group, conditional, parent)
            return
        self.read_one(raw, ptr, env, group, conditional, parent)

    def read_one(
        self,
        raw: dict[str, Any],
        ptr: tuple[Any, ...],
        env: _Env,
        group: str | None,
        conditional: bool,
        parent: tuple[str, list[Segment]] | None,
    ) -> None:
        if raw.get("existing") is True:
            return
        ident = self.identity(raw, ptr, env, parent)
        if ident is None:
            return
        full_type, segs = ident
        ltype = full_type.lower()
        node = _N(env, ptr, raw=raw)
        self.suppressions(raw, ptr)
        if ltype == "microsoft.resources/deployments":
            self.nested_deployment(node, raw, ptr, env, group, conditional)
        else:
            handler = _HANDLERS.get(ltype)
            ref = _ref_chain(full_type, segs, group)
            if handler is not None and ref is not None:
                self._group += 1
                res = _Resource(node, ref, full_type, f"ARM resource {full_type}", conditional)
                self.region(res)
                handler(self, res)
        kids = raw.get("resources")
        if isinstance(kids, list):
            for i, k in enumerate(kids):
                self.read_resource(k, ptr + ("resources", i), env, group, conditional, (full_type, segs))

    def region(self, res: _Resource) -> None:
        loc = res.node.get("location")
        res.region = loc.value(net=False) if loc is not None else None

    def suppressions(self, raw: dict[str, Any], ptr: tuple[Any, ...]) -> None:
        meta = raw.get("metadata")
        if not isinstance(meta, dict):
            return
        key = next((k for k in meta if isinstance(k, str) and k.lower() == "egresslint"), None)
        spec = meta.get(key) if key is not None else None
        if not isinstance(spec, dict):
            return
        ids = spec.get("ignore", [])
        if isinstance(ids, str):
            ids = [ids]
        ids = [str(x) for x in ids if isinstance(x, (str, int))] if isinstance(ids, list) else []
        reason = spec.get("reason")
        until = spec.get("until")
        entry = (
            self.location(ptr),
            ids,
            reason if isinstance(reason, str) else "",
            until if isinstance(until, str) else None,
            self.location(ptr + ("metadata", key)),  # where it is written: EGL006 points here
        )
        self.result.facts.setdefault("suppressions", []).append(entry)  # type: ignore[union-attr]

    def nested_deployment(self, node: _N, raw: dict[str, Any], ptr: tuple[Any, ...], env: _Env,
                          group: str | None, conditional: bool) -> None:
        assert env.scope is not None
        props = raw.get("properties")
        if not isinstance(props, dict):
            return
        tpl = props.get("template")
        if not isinstance(tpl, dict):
            return  # templateLink: another file, deployed by reference
        rg_raw = raw.get("resourceGroup")
        rg_val = env.scope.evaluate(rg_raw, env.copy) if isinstance(rg_raw, str) else None
        target_group = group
        rg_name = env.scope.resource_group
        if rg_raw is not None:
            target_group = rg_val.lower() if isinstance(rg_val, str) else None
            rg_name = rg_val if isinstance(rg_val, str) else None
        opts = props.get("expressionEvaluationOptions")
        inner = isinstance(opts, dict) and str(opts.get("scope", "")).lower() == "inner"
        tptr = ptr + ("properties", "template")
        if inner:
            bound: dict[str, Any] = {}
            given = props.get("parameters")
            if isinstance(given, dict):
                for pname, pspec in given.items():
                    if not isinstance(pspec, dict):
                        continue
                    if "value" in pspec:
                        bound[pname] = env.scope.evaluate_raw(pspec["value"], env.copy)
                    elif "reference" in pspec:
                        bound[pname] = ax.Unknown(f"parameters('{pname}')", f"parameter '{pname}' is a Key Vault reference")
            inner_scope = self.new_scope(
                tpl,
                bound,
                rg_name,
                env.scope.subscription_id,
                env.scope.resource_group_location if rg_raw is None else None,
            )
            self.read_template(tpl, tptr, inner_scope, target_group, conditional, ())
        else:
            # Outer scope: the nested template sees the parent's parameters and variables.
            saved = env.scope.ref_of_name
            self.read_template(tpl, tptr, env.scope, target_group, conditional, env.copy)
            env.scope.ref_of_name = saved

    # ---------------------------------------------------------------- exports

    def read_export(self, data: Any) -> bool:
        objects: list[tuple[Any, tuple[Any, ...]]] = []
        if isinstance(data, list):
            objects = [(o, (i,)) for i, o in enumerate(data)]
        elif isinstance(data, dict):
            if _is_export_object(data):
                objects = [(data, ())]
            elif isinstance(data.get("value"), list):
                objects = [(o, ("value", i)) for i, o in enumerate(data["value"])]
            elif isinstance(data.get("responses"), dict):
                objects = self.rest_example_bodies(data["responses"])
        objects = [(o, p) for o, p in objects if _is_export_object(o)]
        if not objects:
            return False
        env = _Env(self, None)
        for obj, ptr in objects:
            full_type = obj["type"]
            ref = ref_from_resource_id(obj["id"])
            handler = _HANDLERS.get(full_type.lower())
            if ref is None or handler is None:
                continue
            node = _N(env, ptr, raw=obj)
            self._group += 1
            res = _Resource(node, ref, full_type, f"Azure export {full_type}", export=True)
            self.region(res)
            handler(self, res)
        return True

    @staticmethod
    def rest_example_bodies(responses: dict[str, Any]) -> list[tuple[Any, tuple[Any, ...]]]:
        for code in ("200", "201", "202"):
            resp = responses.get(code)
            body = resp.get("body") if isinstance(resp, dict) else None
            if _is_export_object(body):
                return [(body, ("responses", code, "body"))]
            if isinstance(body, dict) and isinstance(body.get("value"), list):
                return [(o, ("responses", code, "body", "value", i)) for i, o in enumerate(body["value"])]
        return []

    # ---------------------------------------------------------------- helpers for handlers

    def op(self, res: _Resource, changes: dict[str, Any], ref: Ref | None = None, node: _N | None = None,
           command: str | None = None) -> None:
        if ref is None:
            if res.region is not None:
                changes = {"region": res.region, **changes}
        self.emit(ref or res.ref, node or res.node, changes, command or res.command, res.conditional)

    def child_ref(self, kind: str, item: _N, parent: Ref) -> Ref | None:
        """Ref of an inline child (subnet, route, rule...): from its ``id`` in exports, else
        from its name under ``parent``."""
        idn = item.get("id")
        if idn is not None:
            r = idn.ref()
            if r is not None and r.kind == kind:
                return r
        name = item.get("name")
        if name is None:
            return None
        v = name.val
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = str(v)
        if not isinstance(v, (str, ax.Unknown, ax.Partial)):
            return None
        ident, display = _seg_name(v)
        if not ident:
            return None
        return Ref(kind, ident, parent.group, parent=parent, display=display)


class _Names:
    """Template resources by name and symbolic name, for ``reference('name')``."""

    def __init__(self) -> None:
        self.by_name: dict[str, Ref] = {}

    def add(self, symbolic: str | None, segs: list[Segment], ref: Ref) -> None:
        if symbolic:
            self.by_name.setdefault("sym:" + symbolic.lower(), ref)
        if all(isinstance(s, str) for s in segs):
            self.by_name.setdefault("/".join(segs).lower(), ref)

    def get_ref(self, name: str) -> Ref | None:
        return self.by_name.get("sym:" + name.lower()) or self.by_name.get(name.lower())


# --------------------------------------------------------------------------- handlers


def _val(node: _N | None, what: str = "", net: bool = True) -> Value | None:
    return node.value(net=net, what=what) if node is not None else None


def _vals(node: _N | None, what: str = "") -> list[Value] | None:
    return node.values(what) if node is not None else None


def _join_lists(*nodes: _N | None, what: str = "") -> list[Value] | None:
    present = [n for n in nodes if n is not None]
    if not present:
        return None
    out: list[Value] = []
    seen: set[str] = set()
    for n in present:
        for v in n.values(what):
            if v.known is not None:
                if v.known.lower() in seen:
                    continue  # az shows serviceCidr and serviceCidrs with the same value
                seen.add(v.known.lower())
            out.append(v)
    return out


def _id_ref(node: _N | None, kind: str | None = None) -> Ref | None:
    """Ref of a sub-resource reference ``{"id": ...}``. With ``kind``, an ID the scan cannot
    evaluate (a parameter without a value) still names a resource of that kind, by its residual
    expression (as a script's unset ``$NAT_ID`` does), and is reported as EGL004: "a NAT gateway
    the scan does not know" must not read as "no NAT gateway"."""
    idn = _id_of(node)
    if idn is None:
        return None
    ref = idn.ref()
    if ref is None and kind is not None and idn.opaque:
        idn.value(what=f"{kind.replace('_', ' ')} ID")
        ident, display = _seg_name(idn.val)
        ref = Ref(kind, ident, None, display=display)
    return ref


def _id_refs(node: _N | None, kind: str | None = None) -> list[Ref] | None:
    """Refs of a list of sub-resource references (see :func:`_id_ref` for ``kind``); a list the
    scan cannot evaluate is reported as EGL004 and gives ``[]``."""
    if node is None:
        return None
    if node.opaque and kind is not None:
        node.value(what=f"{kind.replace('_', ' ')} IDs")
        return []
    out = []
    for item in node.items():
        r = _id_ref(item, kind)
        if r is not None:
            out.append(r)
    return out


def _id_values(node: _N | None, what: str = "") -> list[Value] | None:
    if node is None:
        return None
    out = []
    for item in node.items():
        v = _val(_id_of(item), what)
        if v is not None:
            out.append(v)
    return out


def _h_vnet(r: _Reader, res: _Resource) -> None:
    p = res.node.props()
    r.op(res, {
        "address_prefixes": _vals(p.path("addressSpace", "addressPrefixes"), "address space"),
        "dns_servers": _vals(p.path("dhcpOptions", "dnsServers"), "DNS servers"),
    })
    subnets = p.get("subnets")
    if subnets is None:
        return
    for item in subnets.items():
        ref = r.child_ref("subnet", item, res.ref)
        if ref is not None:
            _subnet(r, res, item, ref, "Microsoft.Network/virtualNetworks/subnets")


def _subnet(r: _Reader, res: _Resource, item: _N, ref: Ref, type_: str) -> None:
    p = item.props()
    rt_id = _id_of(p.get("routeTable"))
    changes: dict[str, Any] = {
        "address_prefixes": _join_lists(p.get("addressPrefix"), p.get("addressPrefixes"), what="subnet prefix"),
        "route_table": rt_id.ref() if rt_id is not None else None,
        "route_table_value": _val(rt_id, "route table"),
        "nsg": _id_ref(p.get("networkSecurityGroup")),
        "nat_gateway": _id_ref(p.get("natGateway"), "nat_gateway"),
        "default_outbound_access": _val(p.get("defaultOutboundAccess")),
    }
    r.op(res, changes, ref=ref, node=item, command=f"{res.command.rsplit(' ', 1)[0]} {type_}")


def _h_subnet(r: _Reader, res: _Resource) -> None:
    _subnet(r, res, res.node, res.ref, res.type)


def _h_route_table(r: _Reader, res: _Resource) -> None:
    p = res.node.props()
    r.op(res, {"disable_bgp_route_propagation": _val(p.get("disableBgpRoutePropagation"))})
    routes = p.get("routes")
    if routes is not None:
        for item in routes.items():
            ref = r.child_ref("route", item, res.ref)
            if ref is not None:
                _route(r, res, item, ref, "Microsoft.Network/routeTables/routes")
    if res.export:
        _back_refs(r, res, p.get("subnets"), "route_table")


def _route(r: _Reader, res: _Resource, item: _N, ref: Ref, type_: str) -> None:
    p = item.props()
    r.op(res, {
        "address_prefix": _val(p.get("addressPrefix"), "route prefix"),
        "next_hop_type": _val(p.get("nextHopType"), "next hop type"),
        "next_hop_ip": _val(p.get("nextHopIpAddress"), "next hop IP"),
    }, ref=ref, node=item, command=f"{res.command.rsplit(' ', 1)[0]} {type_}")


def _h_route(r: _Reader, res: _Resource) -> None:
    _route(r, res, res.node, res.ref, res.type)


def _back_refs(r: _Reader, res: _Resource, subnets: _N | None, field_name: str) -> None:
    """Exports list the subnets a route table / NSG / NAT gateway is attached to: the
    association lives on the subnet, so record it there (an update)."""
    if subnets is None:
        return
    for item in subnets.items():
        idn = item.get("id")
        ref = idn.ref() if idn is not None else None
        if ref is None or ref.kind != "subnet":
            continue
        changes: dict[str, Any] = {field_name: res.ref}
        own_id = res.node.get("id")
        if field_name == "route_table" and own_id is not None and own_id.known_str():
            changes["route_table_value"] = Value.literal(own_id.known_str() or "", item.location())
        r.emit(ref, item, changes, res.command, res.conditional, action="update")


def _ip_config(item: _N, management: bool) -> FirewallIpConfig:
    p = item.props()
    return FirewallIpConfig(
        name=_val(item.get("name"), net=False),
        location=item.location(),
        subnet=_id_ref(p.get("subnet")),
        public_ip=_id_ref(p.get("publicIPAddress")),
        private_ip=_val(p.get("privateIPAddress"), "firewall private IP"),
        management=management,
        subnet_value=_val(_id_of(p.get("subnet")), net=False),
    )


def _h_firewall(r: _Reader, res: _Resource) -> None:
    node = res.node
    p = node.props()
    sku = node.get("sku") or p.get("sku")
    add = p.get("additionalProperties")
    dns_servers: list[Value] | None = None
    servers = add.get("Network.DNS.Servers") if add is not None else None
    if servers is not None:
        v = servers.value(what="firewall DNS servers")
        if v is not None and v.known is not None:
            dns_servers = [Value(s.strip(), s.strip(), location=v.location) for s in v.known.split(",") if s.strip()]
        else:
            dns_servers = servers.values("firewall DNS servers")
    ipcs = p.get("ipConfigurations")
    mgmt = p.get("managementIpConfiguration")
    changes: dict[str, Any] = {
        "sku": _val(sku.get("name") if sku else None),
        "tier": _val(sku.get("tier") if sku else None),
        "policy": _id_ref(p.get("firewallPolicy")),
        "dns_proxy": _val(add.get("Network.DNS.EnableProxy") if add is not None else None, "DNS proxy"),
        "dns_servers": dns_servers,
        "threat_intel_mode": _val(p.get("threatIntelMode")),
        "ip_configs": [_ip_config(i, False) for i in ipcs.items()] if ipcs is not None else None,
        "management_ip_config": _ip_config(mgmt, True) if mgmt is not None and mgmt.is_object() else None,
    }
    r.op(res, changes)
    for rule_kind, key in (("network", "networkRuleCollections"), ("application", "applicationRuleCollections"),
                           ("nat", "natRuleCollections")):
        colls = p.get(key)
        if colls is None:
            continue
        for c in colls.items():
            cref = r.child_ref("rule_collection", c, res.ref)
            if cref is None:
                continue
            cref = classic_collection_ref(cref, rule_kind)
            cp = c.props()
            r.op(res, {
                "rule_kind": rule_kind,
                "priority": _val(cp.get("priority"), "collection priority"),
                "action": _val(cp.path("action", "type"), "collection action"),
            }, ref=cref, node=c, command=f"{res.command} {key}")
            rules = cp.get("rules")
            for rule in rules.items() if rules is not None else []:
                _rule(r, res, rule, rule_kind, cref, f"{res.command} {key}")


_RULE_KINDS = {"networkrule": "network", "applicationrule": "application", "natrule": "nat"}
_RULE_REF_KINDS = {"network": "network_rule", "application": "application_rule", "nat": "nat_rule"}


def _protocol_values(node: _N | None) -> list[Value] | None:
    """Application rule protocols ``[{protocolType, port}]`` as ``Https:443`` Values."""
    if node is None:
        return None
    out: list[Value] = []
    for item in node.items():
        if not item.is_object():
            v = item.value(what="rule protocol")
            if v is not None:
                out.append(v)
            continue
        pt = _val(item.get("protocolType"), "rule protocol")
        port = _val(item.get("port"), "rule port")
        loc = item.location()
        text = f"{pt.text if pt else ''}:{port.text if port else ''}"
        if pt is not None and pt.known is not None and (port is None or port.known is not None):
            known = f"{pt.known}:{port.known}" if port is not None else pt.known
            out.append(Value(text, known, location=loc))
        else:
            reason = (pt.reason if pt else "") or (port.reason if port else "")
            out.append(Value.unknown(text, loc, reason))
    return out


def _rule(r: _Reader, res: _Resource, rule: _N, rule_kind: str, parent: Ref, command: str) -> None:
    rp = rule.props()
    ref = r.child_ref(_RULE_REF_KINDS[rule_kind], rule, parent)
    if ref is None:
        return
    g = rp.get
    if rule_kind == "network":
        changes: dict[str, Any] = {
            "protocols": _vals(g("ipProtocols") or g("protocols"), "rule protocols"),
            "source_addresses": _vals(g("sourceAddresses"), "rule sources"),
            "source_ip_groups": _vals(g("sourceIpGroups"), "rule source IP groups"),
            "destination_addresses": _vals(g("destinationAddresses"), "rule destinations"),
            "destination_fqdns": _vals(g("destinationFqdns"), "rule destination FQDNs"),
            "destination_ip_groups": _vals(g("destinationIpGroups"), "rule destination IP groups"),
            "destination_ports": _vals(g("destinationPorts"), "rule ports"),
        }
    elif rule_kind == "application":
        changes = {
            "protocols": _protocol_values(g("protocols")),
            "source_addresses": _vals(g("sourceAddresses"), "rule sources"),
            "source_ip_groups": _vals(g("sourceIpGroups"), "rule source IP groups"),
            "target_fqdns": _vals(g("targetFqdns"), "rule FQDNs"),
            "fqdn_tags": _vals(g("fqdnTags"), "rule FQDN tags"),
            "target_urls": _vals(g("targetUrls"), "rule URLs"),
            "web_categories": _vals(g("webCategories"), "rule web categories"),
        }
    else:
        changes = {
            "protocols": _vals(g("ipProtocols") or g("protocols"), "rule protocols"),
            "source_addresses": _vals(g("sourceAddresses"), "rule sources"),
            "source_ip_groups": _vals(g("sourceIpGroups"), "rule source IP groups"),
            "destination_addresses": _vals(g("destinationAddresses"), "rule destinations"),
            "destination_ports": _vals(g("destinationPorts"), "rule ports"),
            "translated_address": _val(g("translatedAddress"), "translated address"),
            "translated_fqdn": _val(g("translatedFqdn"), "translated FQDN"),
            "translated_port": _val(g("translatedPort"), "translated port"),
        }
    r.op(res, changes, ref=ref, node=rule, command=command)


def _h_firewall_policy(r: _Reader, res: _Resource) -> None:
    node = res.node
    p = node.props()
    sku = p.get("sku") or node.get("sku")
    dns = p.get("dnsSettings")
    r.op(res, {
        "base_policy": _id_ref(p.get("basePolicy")),
        "dns_proxy": _val(dns.get("enableProxy") if dns is not None else None, "DNS proxy"),
        "dns_servers": _vals(dns.get("servers") if dns is not None else None, "DNS servers"),
        "sku": _val(sku.get("tier") if sku is not None else None),
        "threat_intel_mode": _val(p.get("threatIntelMode")),
    })


def _h_rule_collection_group(r: _Reader, res: _Resource) -> None:
    p = res.node.props()
    r.op(res, {"priority": _val(p.get("priority"), "rule collection group priority")})
    colls = p.get("ruleCollections")
    if colls is None:
        return
    for c in colls.items():
        cref = r.child_ref("rule_collection", c, res.ref)
        if cref is None:
            continue
        cp = c.props()
        ctype = (cp.get("ruleCollectionType") or c.get("ruleCollectionType"))
        ctype_s = (ctype.known_str() or "") if ctype is not None else ""
        rules = cp.get("rules")
        rule_items = rules.items() if rules is not None else []
        if "nat" in ctype_s.lower():
            rule_kind = "nat"
        else:
            rule_kind = "network"
            for rule in rule_items:
                rt = rule.get("ruleType")
                kind = _RULE_KINDS.get((rt.known_str() or "").lower()) if rt is not None else None
                if kind is not None:
                    rule_kind = kind
                    break
        r.op(res, {
            "rule_kind": rule_kind,
            "priority": _val(cp.get("priority"), "collection priority"),
            "action": _val(cp.path("action", "type"), "collection action"),
        }, ref=cref, node=c, command=f"{res.command} ruleCollections")
        for rule in rule_items:
            rt = rule.get("ruleType")
            kind = _RULE_KINDS.get((rt.known_str() or "").lower()) if rt is not None else None
            _rule(r, res, rule, kind or rule_kind, cref, f"{res.command} ruleCollections")


def _security_rule(r: _Reader, res: _Resource, item: _N, ref: Ref, default: bool, command: str) -> None:
    p = item.props()
    g = p.get
    changes: dict[str, Any] = {
        "priority": _val(g("priority"), "NSG rule priority"),
        "access": _val(g("access"), "NSG rule access"),
        "direction": _val(g("direction"), "NSG rule direction"),
        "protocol": _val(g("protocol"), "NSG rule protocol"),
        "source_prefixes": _join_lists(g("sourceAddressPrefix"), g("sourceAddressPrefixes"), what="NSG rule source"),
        "source_ports": _join_lists(g("sourcePortRange"), g("sourcePortRanges"), what="NSG rule source ports"),
        "destination_prefixes": _join_lists(g("destinationAddressPrefix"), g("destinationAddressPrefixes"),
                                            what="NSG rule destination"),
        "destination_ports": _join_lists(g("destinationPortRange"), g("destinationPortRanges"),
                                         what="NSG rule destination ports"),
        "source_asgs": _id_values(g("sourceApplicationSecurityGroups")),
        "destination_asgs": _id_values(g("destinationApplicationSecurityGroups")),
    }
    if default:
        changes["platform_default"] = True
    r.op(res, changes, ref=ref, node=item, command=command)


def _h_nsg(r: _Reader, res: _Resource) -> None:
    p = res.node.props()
    r.op(res, {})
    for key, default in (("securityRules", False), ("defaultSecurityRules", True)):
        rules = p.get(key)
        if rules is None:
            continue
        for item in rules.items():
            ref = r.child_ref("security_rule", item, res.ref)
            if ref is not None:
                _security_rule(r, res, item, ref, default, f"{res.command} {key}")
    if res.export:
        _back_refs(r, res, p.get("subnets"), "nsg")


def _h_security_rule(r: _Reader, res: _Resource) -> None:
    default = "defaultsecurityrules" in res.type.lower()
    _security_rule(r, res, res.node, res.ref, default, res.command)


def _h_nat_gateway(r: _Reader, res: _Resource) -> None:
    node = res.node
    p = node.props()
    sku = node.get("sku")
    r.op(res, {
        "sku": _val(sku.get("name") if sku is not None else None),
        "idle_timeout": _val(p.get("idleTimeoutInMinutes"), "NAT gateway idle timeout"),
        # an explicit empty list states "no IPs" like a missing property; [] is left for a
        # list the scan could not evaluate (EGL402 reports only a gateway known to have none)
        "public_ips": _id_refs(p.get("publicIpAddresses"), "public_ip") or _unless_stated_empty(p, "publicIpAddresses"),
        "public_ip_prefixes": (_id_refs(p.get("publicIpPrefixes"), "public_ip_prefix")
                               or _unless_stated_empty(p, "publicIpPrefixes")),
    })
    if res.export:
        _back_refs(r, res, p.get("subnets"), "nat_gateway")


def _unless_stated_empty(p: _N, key: str) -> list[Ref] | None:
    """None when ``key`` is absent or an empty list as written, else ``[]`` (refs that did not
    evaluate); for a list whose :func:`_id_refs` came out empty."""
    node = p.get(key)
    if node is None or (not node.opaque and not node.items()):
        return None
    return []


def _h_public_ip(r: _Reader, res: _Resource) -> None:
    node = res.node
    p = node.props()
    sku = node.get("sku")
    r.op(res, {
        "sku": _val(sku.get("name") if sku is not None else None),
        "allocation_method": _val(p.get("publicIPAllocationMethod")),
        "version": _val(p.get("publicIPAddressVersion")),
        "ip_address": _val(p.get("ipAddress"), net=False),
        "prefix": _id_ref(p.get("publicIPPrefix")),
    })


def _h_public_ip_prefix(r: _Reader, res: _Resource) -> None:
    node = res.node
    p = node.props()
    sku = node.get("sku")
    r.op(res, {
        "length": _val(p.get("prefixLength"), "prefix length"),
        "version": _val(p.get("publicIPAddressVersion")),
        "sku": _val(sku.get("name") if sku is not None else None),
    })


def _h_load_balancer(r: _Reader, res: _Resource) -> None:
    node = res.node
    p = node.props()
    sku = node.get("sku")
    fips = p.get("frontendIPConfigurations")
    public: list[Ref] = []
    private: list[Value] = []
    for f in fips.items() if fips is not None else []:
        fp = f.props()
        ref = _id_ref(fp.get("publicIPAddress"))
        if ref is not None:
            public.append(ref)
        v = _val(fp.get("privateIPAddress"), "load balancer private IP")
        if v is not None:
            private.append(v)
    ref = res.ref
    managed = ref.name in ("kubernetes", "kubernetes-internal") and bool(ref.group and ref.group.startswith("mc_"))
    changes: dict[str, Any] = {
        "sku": _val(sku.get("name") if sku is not None else None),
        "frontend_public_ips": public if fips is not None else None,
        "frontend_private_ips": private if fips is not None else None,
    }
    if managed:
        changes["managed_by_aks"] = True
    r.op(res, changes)
    rules = p.get("outboundRules")
    for item in rules.items() if rules is not None else []:
        oref = r.child_ref("outbound_rule", item, res.ref)
        if oref is not None:
            _outbound_rule(r, res, item, oref, f"{res.command} outboundRules")


def _outbound_rule(r: _Reader, res: _Resource, item: _N, ref: Ref, command: str) -> None:
    p = item.props()
    r.op(res, {
        "protocol": _val(p.get("protocol")),
        "allocated_outbound_ports": _val(p.get("allocatedOutboundPorts"), "allocated outbound ports"),
        "idle_timeout": _val(p.get("idleTimeoutInMinutes"), "outbound idle timeout"),
        "frontend_ip_configs": _id_values(p.get("frontendIPConfigurations")),
    }, ref=ref, node=item, command=command)


def _h_outbound_rule(r: _Reader, res: _Resource) -> None:
    _outbound_rule(r, res, res.node, res.ref, res.command)


def _h_identity(r: _Reader, res: _Resource) -> None:
    r.op(res, {})


def _h_cluster(r: _Reader, res: _Resource) -> None:
    p = res.node.props()
    np_ = p.get("networkProfile")
    g = np_.get if np_ is not None else (lambda _k: None)
    lbp = np_.get("loadBalancerProfile") if np_ is not None else None
    natp = np_.get("natGatewayProfile") if np_ is not None else None
    api = p.get("apiServerAccessProfile")
    ranges = api.get("authorizedIPRanges") if api is not None else None
    pools = p.get("agentPoolProfiles")
    pool_items = pools.items() if pools is not None else []
    changes: dict[str, Any] = {
        "outbound_type": _val(g("outboundType"), "outbound type"),
        "network_plugin": _val(g("networkPlugin"), "network plugin"),
        "network_plugin_mode": _val(g("networkPluginMode"), "network plugin mode"),
        "network_policy": _val(g("networkPolicy")),
        "network_dataplane": _val(g("networkDataplane")),
        "pod_cidrs": _join_lists(g("podCidr"), g("podCidrs"), what="pod CIDR"),
        "service_cidrs": _join_lists(g("serviceCidr"), g("serviceCidrs"), what="service CIDR"),
        "dns_service_ip": _val(g("dnsServiceIP"), "DNS service IP"),
        "docker_bridge_address": _val(g("dockerBridgeCidr"), "docker bridge address"),
        "load_balancer_sku": _val(g("loadBalancerSku"), "load balancer SKU"),
        "kubernetes_version": _val(p.get("kubernetesVersion"), net=False),
        "node_resource_group": _val(p.get("nodeResourceGroup"), net=False),
        "authorized_ip_ranges": ranges.values("authorized IP ranges") if ranges is not None else None,
        "private_cluster": _val(api.get("enablePrivateCluster") if api is not None else None),
        "apiserver_vnet_integration": _val(api.get("enableVnetIntegration") if api is not None else None),
        "identity_type": _val(res.node.path("identity", "type"), "cluster identity type"),
    }
    if lbp is not None:
        changes.update({
            "lb_managed_outbound_ip_count": _val(lbp.path("managedOutboundIPs", "count"), "managed outbound IPs"),
            "lb_managed_outbound_ipv6_count": _val(lbp.path("managedOutboundIPs", "countIPv6"),
                                                   "managed outbound IPv6"),
            "lb_outbound_ips": _id_refs(lbp.path("outboundIPs", "publicIPs")),
            "lb_outbound_ip_prefixes": _id_refs(lbp.path("outboundIPPrefixes", "publicIPPrefixes")),
            "lb_outbound_ports": _val(lbp.get("allocatedOutboundPorts"), "allocated outbound ports"),
            "lb_idle_timeout": _val(lbp.get("idleTimeoutInMinutes"), "load balancer idle timeout"),
        })
    if natp is not None:
        changes.update({
            "nat_managed_outbound_ip_count": _val(natp.path("managedOutboundIPProfile", "count"),
                                                  "NAT managed outbound IPs"),
            "nat_idle_timeout": _val(natp.get("idleTimeoutInMinutes"), "NAT idle timeout"),
        })
    if pool_items:
        changes["vm_set_type"] = _val(pool_items[0].props().get("type"))
    r.op(res, changes)
    for item in pool_items:
        ref = r.child_ref("node_pool", item, res.ref)
        if ref is not None:
            _node_pool(r, res, item, ref, f"{res.command} agentPoolProfiles")


def _node_pool(r: _Reader, res: _Resource, item: _N, ref: Ref, command: str) -> None:
    p = item.props()
    sub = p.get("vnetSubnetID")
    r.op(res, {
        "count": _val(p.get("count"), "node count"),
        "min_count": _val(p.get("minCount"), "node min count"),
        "max_count": _val(p.get("maxCount"), "node max count"),
        "enable_autoscaling": _val(p.get("enableAutoScaling")),
        "max_surge": _val(p.path("upgradeSettings", "maxSurge"), "max surge"),
        "vnet_subnet": sub.ref() if sub is not None else None,
        "vnet_subnet_value": _val(sub, "node subnet"),
        "pod_subnet": _id_ref_direct(p.get("podSubnetID")),
        "vm_set_type": _val(p.get("type")),
        "os_type": _val(p.get("osType")),
        "mode": _val(p.get("mode")),
        "enable_node_public_ip": _val(p.get("enableNodePublicIP")),
    }, ref=ref, node=item, command=command)


def _id_ref_direct(node: _N | None) -> Ref | None:
    return node.ref() if node is not None else None


def _h_node_pool(r: _Reader, res: _Resource) -> None:
    _node_pool(r, res, res.node, res.ref, res.command)


_HANDLERS: dict[str, Any] = {
    "microsoft.network/virtualnetworks": _h_vnet,
    "microsoft.network/virtualnetworks/subnets": _h_subnet,
    "microsoft.network/routetables": _h_route_table,
    "microsoft.network/routetables/routes": _h_route,
    "microsoft.network/azurefirewalls": _h_firewall,
    "microsoft.network/firewallpolicies": _h_firewall_policy,
    "microsoft.network/firewallpolicies/rulecollectiongroups": _h_rule_collection_group,
    "microsoft.network/networksecuritygroups": _h_nsg,
    "microsoft.network/networksecuritygroups/securityrules": _h_security_rule,
    "microsoft.network/networksecuritygroups/defaultsecurityrules": _h_security_rule,
    "microsoft.network/natgateways": _h_nat_gateway,
    "microsoft.network/publicipaddresses": _h_public_ip,
    "microsoft.network/publicipprefixes": _h_public_ip_prefix,
    "microsoft.network/loadbalancers": _h_load_balancer,
    "microsoft.network/loadbalancers/outboundrules": _h_outbound_rule,
    "microsoft.containerservice/managedclusters": _h_cluster,
    "microsoft.containerservice/managedclusters/agentpools": _h_node_pool,
    "microsoft.managedidentity/userassignedidentities": _h_identity,
}


def iter_values(changes: dict[str, Any]) -> Iterable[Value]:
    """Every Value in an operation's changes (including inside FirewallIpConfig), for tests and
    callers that want to look at all of them."""
    for v in changes.values():
        items = v if isinstance(v, list) else [v]
        for x in items:
            if isinstance(x, Value):
                yield x
            elif isinstance(x, FirewallIpConfig):
                for y in (x.name, x.private_ip, x.subnet_value):
                    if y is not None:
                        yield y
            elif isinstance(x, dict):
                yield from (y for y in x.values() if isinstance(y, Value))


__all__ = [
    "TYPE_KINDS",
    "iter_values",
    "load",
    "load_export",
    "parameters_file_for",
    "read_parameters",
    "ref_from_resource_id",
    "ref_from_value",
    "template_for_parameters_file",
]
