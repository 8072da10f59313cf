"""ARM template expressions: parse (``grammar/arm_expression.lark``) and evaluate.

A template string is an expression when it starts with ``[`` and ends with ``]``; ``[[`` at the
start escapes the bracket (the string is literal, minus one ``[``).

Evaluation is three-valued and never raises:

* known: plain JSON values (``str``, ``int``, ``float``, ``bool``, ``None``, ``list``,
  ``dict``); containers may hold non-known members;
* :class:`Symbolic`: a property of a resource the scan can name (``reference(...)``,
  ``list*()``), as a :class:`~egresslint.model.Symbol` (ref + query);
* :class:`Unknown`: anything else (a parameter without value, ``resourceGroup().location``
  when the deployment group is not given, ``guid()``...). ``text`` is the *residual
  expression* in canonical form (variables inlined, known parts folded), so the same unknown
  name written two ways (``concat(parameters('p'), '-rt')`` and ``format('{0}-rt',
  parameters('p'))``) has the same identity; ``params`` lists the parameters it hangs on.
* :class:`Partial`: a string with known and unknown pieces (``resourceId()`` in a deployment
  group the scan does not know, ``concat(parameters('prefix'), '-vnet')``), so that resource
  IDs can still be split into type and names and turned into references.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from egresslint.model import Ref, Symbol

# --------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True, slots=True)
class Str:
    value: str


@dataclass(frozen=True, slots=True)
class Num:
    value: int | float


@dataclass(frozen=True, slots=True)
class Lit:
    """``true``, ``false`` or ``null`` written without parentheses."""

    value: bool | None


@dataclass(frozen=True, slots=True)
class Call:
    name: str  # as written, possibly namespaced (``ns.fn``)
    args: tuple[Node, ...] = ()


@dataclass(frozen=True, slots=True)
class Member:
    target: Node
    name: str


@dataclass(frozen=True, slots=True)
class Index:
    target: Node
    index: Node


Node = Str | Num | Lit | Call | Member | Index


class ExpressionError(Exception):
    """Broken expression syntax. ``column`` is 1-based within the expression text (the part
    between the brackets)."""

    def __init__(self, message: str, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


def to_text(node: Node) -> str:
    """Canonical text of an expression tree (parses back to the same tree)."""
    if isinstance(node, Str):
        return "'" + node.value.replace("'", "''") + "'"
    if isinstance(node, Num):
        return repr(node.value)
    if isinstance(node, Lit):
        return "null" if node.value is None else ("true" if node.value else "false")
    if isinstance(node, Call):
        return f"{node.name}({', '.join(to_text(a) for a in node.args)})"
    if isinstance(node, Member):
        return f"{to_text(node.target)}.{node.name}"
    return f"{to_text(node.target)}[{to_text(node.index)}]"


def is_expression(s: str) -> bool:
    """True for ``[...]`` strings (not for the ``[[`` escape)."""
    return len(s) >= 2 and s[0] == "[" and s[-1] == "]" and s[1] != "["


def literal_text(s: str) -> str:
    """A non-expression template string as ARM reads it (``[[x]`` means ``[x]``)."""
    return s[1:] if s.startswith("[[") else s


@functools.cache
def _parser() -> Any:
    from lark import Transformer

    from egresslint.frontends.grammars import load

    class ToAst(Transformer):  # type: ignore[type-arg]
        def string(self, items: list[Any]) -> Str:
            return Str(str(items[0])[1:-1].replace("''", "'"))

        def number(self, items: list[Any]) -> Num:
            t = str(items[0])
            return Num(float(t) if "." in t else int(t))

        def literal(self, items: list[Any]) -> Lit:
            t = str(items[0]).lower()
            return Lit(None if t == "null" else t == "true")

        def call(self, items: list[Any]) -> Call:
            return Call(str(items[0]), tuple(a for a in items[1:] if a is not None))

        def member(self, items: list[Any]) -> Member:
            return Member(items[0], str(items[1]))

        def index(self, items: list[Any]) -> Index:
            return Index(items[0], items[1])

    return load("arm_expression.lark", transformer=ToAst())


@functools.lru_cache(maxsize=16384)
def _parse_cached(text: str) -> Node | ExpressionError:
    from lark.exceptions import (
        UnexpectedCharacters,
        UnexpectedEOF,
        UnexpectedInput,
        UnexpectedToken,
    )

    if not text.strip():
        return ExpressionError("empty expression", 1)
    try:
        tree: Node = _parser().parse(text)
    except UnexpectedEOF:
        return ExpressionError("unexpected end of expression", len(text) + 1)
    except UnexpectedCharacters as exc:
        return ExpressionError(f"unexpected character {text[exc.pos_in_stream]!r}", exc.column)
    except UnexpectedToken as exc:
        if exc.token.type == "$END":
            return ExpressionError("unexpected end of expression", len(text) + 1)
        return ExpressionError(f"unexpected {str(exc.token)!r}", exc.column or 1)
    except UnexpectedInput as exc:  # pragma: no cover - other lark input errors
        return ExpressionError(str(exc).splitlines()[0], getattr(exc, "column", 1) or 1)
    except RecursionError:
        return ExpressionError("expression nested too deeply", 1)
    if _deeper_than(tree, MAX_DEPTH):
        # the LALR parser is iterative, but printing and evaluating recurse per level
        return ExpressionError(f"nested more than {MAX_DEPTH} levels deep", 1)
    return tree


def _deeper_than(tree: Node, limit: int) -> bool:
    stack: list[tuple[Node, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, Call):
            stack.extend((a, depth + 1) for a in node.args)
        elif isinstance(node, Member):
            stack.append((node.target, depth + 1))
        elif isinstance(node, Index):
            stack += [(node.target, depth + 1), (node.index, depth + 1)]
    return False


def parse(text: str) -> Node:
    """Parse the expression text (without the surrounding brackets); raises
    :class:`ExpressionError`."""
    result = _parse_cached(text)
    if isinstance(result, ExpressionError):
        raise result
    return result


def parse_template_string(s: str) -> Node | ExpressionError | None:
    """The expression of a template string, its syntax error, or None for a literal."""
    if not is_expression(s):
        return None
    return _parse_cached(s[1:-1])


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Unknown:
    text: str  # residual expression, canonical
    reason: str = ""
    params: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Symbolic:
    symbol: Symbol
    text: str

    @property
    def reason(self) -> str:
        return f"{self.symbol.describe()} is only known after deployment"

    @property
    def params(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True, slots=True)
class Partial:
    """A string made of known text and unknown pieces (never all known)."""

    parts: tuple[str | Unknown | Symbolic, ...]

    @property
    def text(self) -> str:
        return _parts_text(self.parts)

    @property
    def reason(self) -> str:
        for p in self.parts:
            if not isinstance(p, str):
                return p.reason
        return ""

    @property
    def params(self) -> frozenset[str]:
        out: frozenset[str] = frozenset()
        for p in self.parts:
            if not isinstance(p, str):
                out |= p.params
        return out


Opaque = (Unknown, Symbolic, Partial)


def _parts_text(parts: Iterable[str | Unknown | Symbolic]) -> str:
    items = list(parts)
    if len(items) == 1 and not isinstance(items[0], str):
        return items[0].text
    return _short("concat(" + ", ".join(value_text(p) for p in items) + ")")


def _short(text: str) -> str:
    """Residual texts stay bounded (hostile templates can nest them exponentially): a long
    one keeps its start and a digest of the whole, so identities stay distinct."""
    if len(text) <= MAX_TEXT:
        return text
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()[:16]
    return f"{text[: MAX_TEXT // 2]}...#{digest}"


def make_partial(parts: Iterable[Any]) -> Any:
    """Join pieces into a str (all known) or a :class:`Partial` (flattened, adjacent text
    merged, empty text dropped)."""
    out: list[str | Unknown | Symbolic] = []
    text_last = False  # whether out[-1] is text (adjacent text is merged into it)
    for p in parts:
        items: Iterable[Any] = p.parts if isinstance(p, Partial) else (p,)
        for q in items:
            if isinstance(q, str):
                if not q:
                    continue
                if text_last:
                    out[-1] = out[-1] + q  # type: ignore[operator]
                    continue
                text_last = True
            else:
                text_last = False
            out.append(q)
    if not out or (text_last and len(out) == 1):  # all known: adjacent text was merged
        return "".join(out)  # type: ignore[arg-type]
    if len(out) > MAX_PARTS:
        return Unknown("concat(...)", "value too large to evaluate", opaque_info(out)[1])
    if len(out) == 1:
        return out[0]  # a lone Unknown or Symbolic stays what it is
    return Partial(tuple(out))


def is_opaque(v: Any) -> bool:
    return isinstance(v, Opaque)


def is_known(v: Any) -> bool:
    """Deeply known (no unknown anywhere inside)."""
    if isinstance(v, Opaque):
        return False
    if isinstance(v, list):
        return all(is_known(x) for x in v)
    if isinstance(v, dict):
        return all(is_known(x) for x in v.values())
    return True


def value_text(v: Any) -> str:
    """Canonical expression text of a value (residual text for unknowns)."""
    if isinstance(v, Opaque):
        return v.text
    if isinstance(v, str):
        return _short("'" + v.replace("'", "''") + "'")
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, list):
        return _short("createArray(" + ", ".join(value_text(x) for x in v[:MAX_PARTS]) + ")")
    if isinstance(v, dict):
        items = list(v.items())[:MAX_PARTS]
        return _short("createObject(" + ", ".join(f"{value_text(k)}, {value_text(x)}" for k, x in items) + ")")
    return repr(v)


def opaque_info(values: Iterable[Any]) -> tuple[str, frozenset[str]]:
    """Reason of the first non-known value and the union of parameters they hang on."""
    reason = ""
    params: frozenset[str] = frozenset()
    for v in values:
        for o in _opaques(v):
            reason = reason or o.reason
            params |= o.params
    return reason, params


def _opaques(v: Any, depth: int = 0) -> Iterable[Any]:
    if isinstance(v, Opaque):
        yield v
    elif depth < 20 and isinstance(v, list):
        for x in v:
            yield from _opaques(x, depth + 1)
    elif depth < 20 and isinstance(v, dict):
        for x in v.values():
            yield from _opaques(x, depth + 1)


def as_string(v: Any) -> str | None:
    """A known scalar as ARM's string() would print it (None when not a known scalar)."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    return None


def ci_get(d: dict[str, Any], key: str) -> Any:
    """Case-insensitive member lookup (ARM property names ignore case); _MISSING if absent."""
    if key in d:
        return d[key]
    lk = key.lower()
    for k, v in d.items():
        if isinstance(k, str) and k.lower() == lk:
            return v
    return _MISSING


_MISSING: Any = object()

# Limits that keep hostile templates from eating memory or time.
MAX_STRING = 1_000_000
MAX_ITEMS = 100_000
MAX_COPY = 800  # ARM's own limit for copy loops
MAX_DEPTH = 100  # nesting of one expression (calls, members, indexes); real templates use < 10
MAX_PARTS = 256  # pieces of a partially known string
MAX_TEXT = 2000  # characters of a residual expression text

# --------------------------------------------------------------------------- scope


@dataclass
class Scope:
    """What an expression can see: the template's parameters, variables and functions, the
    deployment context, and callbacks (set by the ARM frontend) that turn a resource ID or a
    resource name into a :class:`Ref`.

    ``bound`` holds parameter values given from outside (parameter file, nested deployment);
    they are values, not expressions."""

    parameters: dict[str, Any] = field(default_factory=dict)  # declarations (raw JSON)
    bound: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)  # raw JSON
    functions: dict[str, Any] = field(default_factory=dict)  # "ns.name" -> member definition
    resource_group: str | None = None
    resource_group_location: str | None = None
    subscription_id: str | None = None
    ref_of_id: Callable[[Any], Ref | None] | None = None
    ref_of_name: Callable[[str], Ref | None] | None = None
    _params: dict[str, Any] = field(default_factory=dict, repr=False)
    _vars: dict[str, Any] = field(default_factory=dict, repr=False)
    _busy: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self.parameters = {k.lower(): (k, v) for k, v in self.parameters.items() if isinstance(k, str)}
        self.bound = {k.lower(): v for k, v in self.bound.items() if isinstance(k, str)}
        raw_vars = self.variables
        self.variables = {}
        for k, v in raw_vars.items():
            if isinstance(k, str) and k.lower() != "copy":
                self.variables[k.lower()] = ("plain", k, v)
        copies = raw_vars.get("copy") if isinstance(raw_vars, dict) else None
        if isinstance(copies, list):
            for spec in copies:
                if isinstance(spec, dict) and isinstance(spec.get("name"), str):
                    self.variables[spec["name"].lower()] = ("copy", spec["name"], spec)

    @staticmethod
    def from_template(template: dict[str, Any], **kw: Any) -> Scope:
        params = template.get("parameters")
        variables = template.get("variables")
        functions: dict[str, Any] = {}
        fdefs = template.get("functions")
        if isinstance(fdefs, list):
            for ns in fdefs:
                if not isinstance(ns, dict) or not isinstance(ns.get("members"), dict):
                    continue
                for name, member in ns["members"].items():
                    functions[f"{ns.get('namespace', '')}.{name}".lower()] = member
        return Scope(
            parameters=params if isinstance(params, dict) else {},
            variables=variables if isinstance(variables, dict) else {},
            functions=functions,
            **kw,
        )

    def child(self, **kw: Any) -> Scope:
        """A scope with the same deployment context and callbacks (for user functions)."""
        base = dict(
            resource_group=self.resource_group,
            resource_group_location=self.resource_group_location,
            subscription_id=self.subscription_id,
            ref_of_id=self.ref_of_id,
            ref_of_name=self.ref_of_name,
        )
        base.update(kw)
        return Scope(**base)

    def has_default(self, name: str) -> bool:
        decl = self.parameters.get(name.lower())
        return decl is not None and isinstance(decl[1], dict) and "defaultValue" in decl[1]

    # ---------------------------------------------------------------- entry points

    def evaluate(self, node: Node | str, copy: tuple[tuple[str, int], ...] = ()) -> Any:
        """Evaluate an expression tree or a template string (literal or ``[...]``)."""
        try:
            if isinstance(node, str):
                if not is_expression(node):
                    return literal_text(node)
                parsed = _parse_cached(node[1:-1])
                if isinstance(parsed, ExpressionError):
                    return Unknown(node, f"broken expression: {parsed.message}")
                node = parsed
            return _Eval(self, copy).eval(node)
        except Exception as exc:  # the evaluator never raises
            return Unknown(to_text(node) if not isinstance(node, str) else node, f"not evaluated ({exc})")

    def evaluate_raw(self, raw: Any, copy: tuple[tuple[str, int], ...] = (), depth: int = 0) -> Any:
        """Evaluate template JSON deeply: expression strings, property ``copy`` loops."""
        try:
            return self._raw(raw, copy, depth)
        except Exception as exc:
            return Unknown("?", f"not evaluated ({exc})")

    def _raw(self, raw: Any, copy: tuple[tuple[str, int], ...], depth: int) -> Any:
        if depth > 100:
            return Unknown("?", "template nested too deeply")
        if isinstance(raw, str):
            return self.evaluate(raw, copy) if is_expression(raw) else literal_text(raw)
        if isinstance(raw, list):
            return [self._raw(x, copy, depth + 1) for x in raw]
        if isinstance(raw, dict):
            out: dict[str, Any] = {}
            for k, v in raw.items():
                if k == "copy" and isinstance(v, list) and all(_is_copy_spec(s) for s in v):
                    for spec in v:
                        out[spec["name"]] = self.expand_copy(spec, copy, depth)
                    continue
                out[k] = self._raw(v, copy, depth + 1)
            return out
        return raw

    def copy_count(self, raw_count: Any, copy: tuple[tuple[str, int], ...] = ()) -> int | Unknown:
        n = self.evaluate(raw_count, copy) if isinstance(raw_count, str) else raw_count
        if isinstance(n, bool) or not isinstance(n, int):
            if isinstance(n, str) and n.strip().isdigit():
                n = int(n)
            elif isinstance(n, Unknown):
                return n
            else:
                return Unknown(value_text(n) if not isinstance(n, Opaque) else n.text, "copy count is not a number")
        if n < 0 or n > MAX_COPY:
            return Unknown(str(n), f"copy count {n} outside 0-{MAX_COPY}")
        return n

    def expand_copy(self, spec: dict[str, Any], copy: tuple[tuple[str, int], ...], depth: int = 0) -> Any:
        """A property/variable copy loop: a list when the count is known, else Unknown."""
        n = self.copy_count(spec.get("count"), copy)
        if isinstance(n, Unknown):
            return Unknown(f"copy({spec.get('name')})", n.reason, n.params)
        name = spec["name"]
        return [self._raw(spec.get("input"), copy + ((name, i),), depth + 1) for i in range(n)]

    # ---------------------------------------------------------------- names

    def parameter(self, name: str) -> Any:
        key = name.lower()
        if key in self.bound:
            bound = self.bound[key]
            return bound
        if key in self._params:
            return self._params[key]
        decl = self.parameters.get(key)
        if decl is None:
            return Unknown(f"parameters({value_text(name)})", f"parameter '{name}' is not declared", frozenset({name}))
        declared, spec = decl
        if isinstance(spec, dict) and "defaultValue" in spec:
            marker = "p:" + key
            if marker in self._busy:
                return Unknown(f"parameters({value_text(declared)})", f"parameter '{declared}' default refers to itself")
            self._busy.add(marker)
            try:
                result = self.evaluate_raw(spec["defaultValue"])
            finally:
                self._busy.discard(marker)
        else:
            result = Unknown(
                f"parameters({value_text(declared)})",
                f"parameter '{declared}' has no default value and no value was given",
                frozenset({declared}),
            )
        self._params[key] = result
        return result

    def variable(self, name: str) -> Any:
        key = name.lower()
        if key in self._vars:
            return self._vars[key]
        entry = self.variables.get(key)
        if entry is None:
            return Unknown(f"variables({value_text(name)})", f"variable '{name}' is not defined")
        marker = "v:" + key
        if marker in self._busy:
            return Unknown(f"variables({value_text(name)})", f"variable '{name}' refers to itself")
        self._busy.add(marker)
        try:
            mode, _, raw = entry
            result = self.expand_copy(raw, ()) if mode == "copy" else self.evaluate_raw(raw)
        finally:
            self._busy.discard(marker)
        self._vars[key] = result
        return result


def _is_copy_spec(spec: Any) -> bool:
    return isinstance(spec, dict) and isinstance(spec.get("name"), str) and "count" in spec and "input" in spec


# --------------------------------------------------------------------------- evaluation

_DEPLOY_TIME = "computed by Azure at deployment time"


class _Eval:
    __slots__ = ("copy", "scope")

    def __init__(self, scope: Scope, copy: tuple[tuple[str, int], ...]) -> None:
        self.scope = scope
        self.copy = copy

    def eval(self, node: Node) -> Any:
        if isinstance(node, Str):
            return node.value
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Lit):
            return node.value
        if isinstance(node, Member):
            return access(self.eval(node.target), node.name, member=True)
        if isinstance(node, Index):
            return access(self.eval(node.target), self.eval(node.index), member=False)
        return self.call(node)

    def call(self, node: Call) -> Any:
        name = node.name.lower()
        lazy = _LAZY.get(name)
        try:
            if lazy is not None:
                return lazy(self, node)
            args = [self.eval(a) for a in node.args]
            fn = _FUNCTIONS.get(name)
            if fn is not None:
                return fn(self, node.name, args)
            if name.startswith("list"):
                return self.list_call(node.name, args)
            if "." in name and name in self.scope.functions:
                return self.user_function(node.name, args)
            return _residual(node.name, args, f"function '{node.name}' is not evaluated")
        except (ValueError, TypeError, KeyError, IndexError, ZeroDivisionError, OverflowError, AttributeError) as exc:
            return Unknown(to_text(node), f"{node.name}() could not be evaluated ({exc})")

    def list_call(self, name: str, args: list[Any]) -> Any:
        ref = self.resolve(args[0]) if args else None
        if ref is None:
            return _residual(name, args, "list*() result is only known after deployment")
        return Symbolic(Symbol(ref, f"{name}()"), _call_text(name, args))

    def user_function(self, name: str, args: list[Any]) -> Any:
        member = self.scope.functions[name.lower()]
        params = [p.get("name") for p in member.get("parameters", []) if isinstance(p, dict)]
        output = member.get("output", {})
        if not isinstance(output, dict) or len(params) != len(args):
            return _residual(name, args, f"user function '{name}' cannot be evaluated")
        inner = self.scope.child(bound={str(p): a for p, a in zip(params, args)})
        return inner.evaluate_raw(output.get("value"))

    def resolve(self, target: Any) -> Ref | None:
        """The Ref a reference()/list*() argument names (resource ID or template name)."""
        scope = self.scope
        if isinstance(target, str) and not target.startswith("/") and scope.ref_of_name is not None:
            ref = scope.ref_of_name(target)
            if ref is not None:
                return ref
        if scope.ref_of_id is not None and isinstance(target, (str, Partial)):
            return scope.ref_of_id(target)
        return None


def access(v: Any, key: Any, member: bool = True) -> Any:
    """``v.key`` / ``v[key]`` in three values."""
    if isinstance(v, Symbolic):
        if isinstance(key, str):
            if key.lower() == "properties":
                return v
            key_q = _AZ_CASE.get(key.lower(), key)
            q = f"{v.symbol.query}.{key_q}" if v.symbol.query else key_q
        elif isinstance(key, int) and not isinstance(key, bool):
            q = f"{v.symbol.query}[{key}]"
        else:
            return Unknown(f"{v.text}[{value_text(key)}]", v.reason)
        text = f"{v.text}.{key}" if member else f"{v.text}[{value_text(key)}]"
        return Symbolic(Symbol(v.symbol.ref, _short(q)), _short(text))
    if isinstance(v, (Unknown, Partial)) or isinstance(key, Opaque):
        reason, params = opaque_info([v, key])
        text = f"{value_text(v)}.{key}" if member else f"{value_text(v)}[{value_text(key)}]"
        return Unknown(_short(text), reason, params)
    if isinstance(v, dict) and isinstance(key, str):
        got = ci_get(v, key)
        if got is _MISSING:
            return Unknown(_short(f"{value_text(v)}.{key}"), f"property '{key}' does not exist")
        return got
    if isinstance(v, (list, str)) and isinstance(key, int) and not isinstance(key, bool):
        if -len(v) <= key < len(v) and key >= 0:
            return v[key]
        return Unknown(_short(f"{value_text(v)}[{key}]"), f"index {key} out of range")
    return Unknown(_short(f"{value_text(v)}[{value_text(key)}]"), "invalid property access")


# ARM property names ignore case; symbolic queries are JMESPath over the az-shaped view of a
# resource, which is case-sensitive: spell the common ones as az prints them.
_AZ_CASE = {
    k.lower(): k
    for k in (
        "ipConfigurations",
        "privateIPAddress",
        "publicIPAddress",
        "ipAddress",
        "addressPrefix",
        "addressPrefixes",
        "addressSpace",
        "subnet",
        "subnets",
        "id",
        "name",
        "frontendIPConfigurations",
        "dhcpOptions",
        "dnsServers",
        "outputs",
        "value",
    )
}


def _call_text(name: str, args: list[Any]) -> str:
    return _short(f"{name}({', '.join(value_text(a) for a in args)})")


def _residual(name: str, args: list[Any], reason: str = "") -> Unknown:
    r, params = opaque_info(args)
    return Unknown(_call_text(name, args), r or reason, params)


def _need_known(name: str, args: list[Any]) -> Unknown | None:
    if any(isinstance(a, Opaque) for a in args):
        return _residual(name, args)
    return None


def _check_size(v: Any, name: str = "") -> Any:
    if (isinstance(v, str) and len(v) > MAX_STRING) or (isinstance(v, (list, dict)) and len(v) > MAX_ITEMS):
        return Unknown(f"{name}(...)", "value too large to evaluate")
    return v


# ---- functions with eager arguments ----------------------------------------------------

Fn = Callable[[_Eval, str, list[Any]], Any]
_FUNCTIONS: dict[str, Fn] = {}


def _fn(*names: str) -> Callable[[Fn], Fn]:
    def deco(f: Fn) -> Fn:
        for n in names:
            _FUNCTIONS[n] = f
        return f

    return deco


def _bad(name: str, args: list[Any], why: str) -> Unknown:
    return Unknown(_call_text(name, args), why)


@_fn("parameters")
def _f_parameters(ev: _Eval, name: str, args: list[Any]) -> Any:
    if len(args) != 1 or not isinstance(args[0], str):
        return _residual(name, args, "parameter name not known")
    return ev.scope.parameter(args[0])


@_fn("variables")
def _f_variables(ev: _Eval, name: str, args: list[Any]) -> Any:
    if len(args) != 1 or not isinstance(args[0], str):
        return _residual(name, args, "variable name not known")
    return ev.scope.variable(args[0])


@_fn("concat")
def _f_concat(ev: _Eval, name: str, args: list[Any]) -> Any:
    if not args:
        return ""
    if any(isinstance(a, list) for a in args):
        if not all(isinstance(a, list) for a in args):
            return _residual(name, args, "concat of arrays with non-arrays")
        out: list[Any] = []
        for a in args:
            out.extend(a)
        return _check_size(out, name)
    parts: list[Any] = []
    for a in args:
        if isinstance(a, (Unknown, Symbolic, Partial, str)):
            parts.append(a)
        elif isinstance(a, dict) or a is None:
            return _residual(name, args, "concat of a non-string")
        else:
            parts.append(as_string(a))
    return _check_size(make_partial(parts), name)


_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}")


@_fn("format")
def _f_format(ev: _Eval, name: str, args: list[Any]) -> Any:
    if not args or not isinstance(args[0], str):
        return _residual(name, args, "format string not known")
    fmt, rest = args[0], args[1:]
    parts: list[Any] = []
    pos = 0
    for m in _FORMAT_ITEM.finditer(fmt):
        parts.append(fmt[pos : m.start()])
        pos = m.end()
        tok = m.group()
        if tok in ("{{", "}}"):
            parts.append(tok[0])
            continue
        i = int(m.group(1))
        if i >= len(rest):
            return _bad(name, args, f"format item {{{i}}} has no argument")
        a = rest[i]
        spec = m.group(3)
        if isinstance(a, Opaque):
            parts.append(a if not spec else Unknown(_call_text(name, args), a.reason, a.params))
            continue
        if spec:
            if isinstance(a, int) and not isinstance(a, bool) and re.fullmatch(r"[Dd]\d*", spec):
                width = int(spec[1:] or 0)
                parts.append(f"{a:0{width}d}" if a >= 0 else "-" + f"{-a:0{width}d}")
                continue
            return _bad(name, args, f"format specifier '{spec}' not evaluated")
        s = as_string(a)
        if s is None:
            s = json.dumps(a, separators=(",", ":")) if isinstance(a, (list, dict)) else ""
        parts.append(s)
    parts.append(fmt[pos:])
    return _check_size(make_partial(parts), name)


@_fn("string")
def _f_string(ev: _Eval, name: str, args: list[Any]) -> Any:
    if len(args) != 1:
        return _bad(name, args, "string() takes one argument")
    a = args[0]
    if isinstance(a, (str, Partial, Symbolic)):
        return a
    if isinstance(a, Unknown):
        return _residual(name, args)
    if a is None:
        return ""
    if isinstance(a, (list, dict)):
        if not is_known(a):
            return _residual(name, args)
        return json.dumps(a, separators=(",", ":"))
    return as_string(a)


@_fn("int")
def _f_int(ev: _Eval, name: str, args: list[Any]) -> Any:
    if (u := _need_known(name, args)) is not None:
        return u
    a = args[0]
    if isinstance(a, bool):
        return _bad(name, args, "int() of a bool")
    if isinstance(a, (int, float)):
        return int(a)
    return int(str(a).strip())


@_fn("float")
def _f_float(ev: _Eval, name: str, args: list[Any]) -> Any:
    if (u := _need_known(name, args)) is not None:
        return u
    return float(args[0])


@_fn("bool")
def _f_bool(ev: _Eval, name: str, args: list[Any]) -> Any:
    if (u := _need_known(name, args)) is not None:
        return u
    a = args[0]
    if isinstance(a, bool):
        return a
    if isinstance(a, int):
        return a != 0
    if isinstance(a, str) and a.lower() in ("true", "false"):
        return a.lower() == "true"
    return _bad(name, args, "bool() of a non-boolean")


@_fn("json")
def _f_json(ev: _Eval, name: str, args: list[Any]) -> Any:
    if (u := _need_known(name, args)) is not None:
        return u
    return json.loads(args[0]) if isinstance(args[0], str) else _bad(name, args, "json() of a non-string")


@_fn("tolower", "toupper")
def _f_case(ev: _Eval, name: str, args: list[Any]) -> Any:
    if len(args) != 1:
        return _bad(name, args, "takes one argument")
    a = args[0]
    up = name.lower() == "toupper"
    if isinstance(a, str):
        return a.upper() if up else a.lower()
    if isinstance(a, Partial):
        # Unknown pieces pass through unchanged: identities are case-insensitive anyway, so
        # toLower(x) and x name the same thing.
        return make_partial((p.upper() if up else p.lower()) if isinstance(p, str) else p for p in a.parts)
    if isinstance(a, (Unknown, Symbolic)):
        return a
    return _residual(name, args)


@_fn("replace")
def _f_replace(ev: _Eval, name: str, args: list[Any]) -> Any:
    if (u := _need_known(name, args)) is not None:
        return u
    s, old, new = args
    if not all(isinstance(x, str) for x in (s, old, new)):
        return _bad(name, args, "replace() of a non-string")
    if not old:
        return s
    return _check_size(s.replace(old, new), name)


@_fn("split")
def _f_split(ev: _Eval, name: str, args: list[Any]) -> Any:
    if len(args) != 2:
        return _bad(name, args, "split() takes two arguments")
    s, delim = args
    if isinstance(delim, list) and all(isinstance(d, str) for d in delim) and isinstance(s, str):
        if not delim:
            return [s]
        return re.split("|".join(re.escape(d) for d in delim if d) or "(?!)", s)
    if not isinstance(delim, str) or not delim:
        return _residual(name, args, "split() delimiter not known")
    if isinstance(s, str):
        return s.split(delim)
    if isinstance(s, Partial):
        segments: list[list[Any]] = [[]]
        for p in s.parts:
            if isinstance(p, str):
                pieces = p.split(delim)
                segments[-1].append(pieces[0])
                for piece in pieces[1:]:
                    segments.append([piece])
            else:
                segments[-1].append(p)
        return [make_partial(seg) for seg in segments]
    return _residual(name, args)


@_fn("trim")
def _f_trim(ev: _Eval, name: str, args: list[Any]) -> Any:
    if (u := _need_known(name, args)) is not None:
        return u
    return args[0].strip() if isinstance(args[0], str) else _bad(name, args, "trim() of a non-string")


@_fn("substring")
def _f_substring(ev: _Eval, name: str, args: list[Any]) -> Any:
    if (u := _need_known(name, args)) is not None:
        return u
    s, start = args[0], args[1]
    if not isinstance(s, str) or not isinstance(start, int):
        return _bad(name, args, "bad substring() arguments")
    if len(args) > 2:
        ln = args[2]
        if not isinstance(ln, int) or start < 0 or ln < 0 or start + ln > len(s):
            return _bad(name, args, "substring() out of range")
        return s[start : start + ln]
    if start < 0 or start > len(s):
        return _bad(name, args, "substring() out of range")
    return s[start:]


@_fn("startswith", "endswith", "indexof", "lastindexof")
def _f_strsearch(ev: _Eval, name: str, args: list[Any]) -> Any:
    if (u := _need_known(name, args)) is not None:
        return u
    s, t = args
    if not isinstance(s, str) or not isinstance(t, str):
        return _bad(name, args, "string function of a non-string")
    s, t = s.lower(), t.lower()
    n = name.lower()
    if n == "startswith":
        return s.startswith(t)
    if n == "endswith":
        return s.endswith(t)
    if n == "indexof":
        return s.find(t)
    return s.rfind(t)


@_fn("padleft")
def _f_padleft(ev: _Eval, name: str, args: list[Any]) -> Any:
    if (u := _need_known(name, args)) is not None:
        return u
    s = as_string(args[0])
    width = args[1]
    pad = args[2] if len(args) > 2 else " "
    if s is None or not isinstance(width, int) or not isinstance(pad, str) or len(pad) != 1 or width > MAX_STRING:
        return _bad(name, args, "bad padLeft() arguments")
    return s.rjust(width, pad)


@_fn("equals")
def _f_equals(ev: _Eval, name: str, args: list[Any]) -> Any:
    if len(args) != 2:
        return _bad(name, args, "equals() takes two arguments")
    if not (is_known(args[0]) and is_known(args[1])):
        return _residual(name, args)
    a, b = args
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return a == b


def _compare(name: str, args: list[Any], op: Callable[[Any, Any], bool]) -> Any:
    if (u := _need_known(name, args)) is not None:
        return u
    a, b = args
    if isinstance(a, bool) or isinstance(b, bool) or (type(a) is not type(b) and not (
        isinstance(a, (int, float)) and isinstance(b, (int, float))
    )):
        return _bad(name, args, "comparison of different types")
    return op(a, b)


_FUNCTIONS["less"] = lambda ev, n, a: _compare(n, a, lambda x, y: x < y)
_FUNCTIONS["lessorequals"] = lambda ev, n, a: _compare(n, a, lambda x, y: x <= y)
_FUNCTIONS["greater"] = lambda ev, n, a: _compare(n, a, lambda x, y: x > y)
_FUNCTIONS["greaterorequals"] = lambda ev, n, a: _compare(n, a, lambda x, y: x >= y)


@_fn("not")
def _f_not(ev: _Eval, name: str, args: list[Any]) -> Any:
    if len(args) == 1 and isinstance(args[0], bool):
        return not args[0]
    return _residual(name, args, "not() of a non-boolean")


@_fn("empty")
def _f_empty(ev: _Eval, name: str, args: list[Any]) -> Any:
    if len(args) != 1:
        return _bad(name, args, "empty() takes one argument")
    a = args[0]
    if a is None:
        return True
    if isinstance(a, (str, list, dict)):
        return len(a) == 0
    if isinstance(a, Partial):
        return False if any(isinstance(p, str) and p for p in a.parts) else _residual(name, args)
    return _residual(name, args, "empty() of an unknown value")


@_fn("length")
def _f_length(ev: _Eval, name: str, args: list[Any]) -> Any:
    if len(args) != 1:
        return _bad(name, args, "length() takes one argument")
    a = args[0]
    if isinstance(a, (str, list, dict)):
        return len(a)
    return _residual(name, args, "length() of an unknown value")


@_fn("first", "last")
def _f_first_last(ev: _Eval, name: str, args: list[Any]) -> Any:
    if len(args) != 1:
        return _bad(name, args, "takes one argument")
    a = args[0]
    last = name.lower() == "last"
    if isinstance(a, (str, list)):
        if not a:
            return "" if isinstance(a, str) else None
        return a[-1] if last else a[0]
    if isinstance(a, Partial):
        edge = a.parts[-1] if last else a.parts[0]
        if isinstance(edge, str):
            return edge[-1] if last else edge[0]
    return _residual(name, args)


@_fn("contains")
def _f_contains(ev: _Eval, name: str, args: list[Any]) -> Any:
    if len(args) != 2:
        return _bad(name, args, "contains() takes two arguments")
    c, item = args
    if isinstance(item, Opaque) or isinstance(c, Opaque):
        return _residual(name, args)
    if isinstance(c, str):
        s = as_string(item)
        return s is not None and s in c
    if isinstance(c, dict):
        return isinstance(item, str) and ci_get(c, item) is not _MISSING
    if isinstance(c, list):
        if item in c:
            return True
        return False if is_known(c) else _residual(name, args)
    return _bad(name, args, "contains() of a non-container")


@_fn("union", "intersection")
def _f_union(ev: _Eval, name: str, args: list[Any]) -> Any:
    if not args or any(isinstance(a, Opaque) for a in args):
        return _residual(name, args, "argument not known")
    inter = name.lower() == "intersection"
    if all(isinstance(a, dict) for a in args):
        if inter:
            first = args[0]
            return {k: v for k, v in first.items() if all(k in o and o[k] == v for o in args[1:])}
        merged: dict[str, Any] = {}
        for a in args:
            merged.update(a)
        return _check_size(merged, name)
    if all(isinstance(a, list) for a in args):
        if inter:
            return [x for x in _dedupe(args[0]) if all(x in o for o in args[1:])]
        out: list[Any] = []
        for a in args:
            out.extend(a)
        return _check_size(_dedupe(out), name)
    return _bad(name, args, "mixed argument types")


def _dedupe(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for x in items:
        if x not in out:
            out.append(x)
        if len(out) > MAX_ITEMS:
            break
    return out


@_fn("createarray")
def _f_createarray(ev: _Eval, name: str, args: list[Any]) -> Any:
    return list(args)


@_fn("array")
def _f_array(ev: _Eval, name: str, args: list[Any]) -> Any:
    if len(args) != 1:
        return _bad(name, args, "array() takes one argument")
    a = args[0]
    if isinstance(a, Opaque):
        return _residual(name, args)
    return a if isinstance(a, list) else [a]


@_fn("createobject")
def _f_createobject(ev: _Eval, name: str, args: list[Any]) -> Any:
    if len(args) % 2:
        return _bad(name, args, "createObject() takes key/value pairs")
    out: dict[str, Any] = {}
    for k, v in zip(args[::2], args[1::2]):
        if not isinstance(k, str):
            return _residual(name, args, "object key not known")
        out[k] = v
    return out


@_fn("range")
def _f_range(ev: _Eval, name: str, args: list[Any]) -> Any:
    if (u := _need_known(name, args)) is not None:
        return u
    start, count = args
    if not isinstance(start, int) or not isinstance(count, int) or count < 0 or count > MAX_ITEMS:
        return _bad(name, args, "bad range() arguments")
    return list(range(start, start + count))


@_fn("take", "skip")
def _f_take_skip(ev: _Eval, name: str, args: list[Any]) -> Any:
    if len(args) != 2 or isinstance(args[0], Opaque) or isinstance(args[1], Opaque):
        return _residual(name, args)
    seq, n = args
    if not isinstance(seq, (str, list)) or not isinstance(n, int):
        return _bad(name, args, "bad arguments")
    n = max(0, n)
    return seq[:n] if name.lower() == "take" else seq[n:]


@_fn("min", "max")
def _f_minmax(ev: _Eval, name: str, args: list[Any]) -> Any:
    items = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    if not items or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in items):
        return _residual(name, args, "argument not known")
    return min(items) if name.lower() == "min" else max(items)


@_fn("add", "sub", "mul", "div", "mod")
def _f_arith(ev: _Eval, name: str, args: list[Any]) -> Any:
    if (u := _need_known(name, args)) is not None:
        return u
    a, b = args
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (a, b)):
        return _bad(name, args, "arithmetic on non-integers")
    n = name.lower()
    if n == "add":
        return a + b
    if n == "sub":
        return a - b
    if n == "mul":
        r = a * b
        return r if abs(r) < 2**63 else _bad(name, args, "overflow")
    if b == 0:
        return _bad(name, args, "division by zero")
    q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
    return q if n == "div" else a - q * b


@_fn("join")
def _f_join(ev: _Eval, name: str, args: list[Any]) -> Any:
    if len(args) != 2 or not isinstance(args[0], list) or not isinstance(args[1], str):
        return _residual(name, args, "join() argument not known")
    parts: list[Any] = []
    for i, x in enumerate(args[0]):
        if i:
            parts.append(args[1])
        parts.append(x if isinstance(x, (str, Unknown, Symbolic, Partial)) else as_string(x) or "")
    return _check_size(make_partial(parts), name)


@_fn("items")
def _f_items(ev: _Eval, name: str, args: list[Any]) -> Any:
    if len(args) != 1 or not isinstance(args[0], dict):
        return _residual(name, args, "items() argument not known")
    return [{"key": k, "value": v} for k, v in sorted(args[0].items(), key=lambda kv: str(kv[0]).lower())]


@_fn("true")
def _f_true(ev: _Eval, name: str, args: list[Any]) -> Any:
    return True


@_fn("false")
def _f_false(ev: _Eval, name: str, args: list[Any]) -> Any:
    return False


@_fn("null")
def _f_null(ev: _Eval, name: str, args: list[Any]) -> Any:
    return None


@_fn("resourcegroup")
def _f_resource_group(ev: _Eval, name: str, args: list[Any]) -> Any:
    s = ev.scope
    why = "the deployment's resource group is not known"
    rg: Any = s.resource_group if s.resource_group is not None else Unknown(f"{name}().name", why)
    loc: Any = (
        s.resource_group_location
        if s.resource_group_location is not None
        else Unknown(f"{name}().location", "the deployment's resource group location is not known")
    )
    return {
        "name": rg,
        "location": loc,
        "id": make_partial(["/subscriptions/", _subscription_id(s), "/resourceGroups/", rg]),
        "type": "Microsoft.Resources/resourceGroups",
        "properties": {"provisioningState": "Succeeded"},
        "tags": Unknown(f"{name}().tags", why),
        "managedBy": Unknown(f"{name}().managedBy", why),
    }


def _subscription_id(s: Scope) -> Any:
    if s.subscription_id is not None:
        return s.subscription_id
    return Unknown("subscription().subscriptionId", "the deployment's subscription is not known")


@_fn("subscription")
def _f_subscription(ev: _Eval, name: str, args: list[Any]) -> Any:
    sub = _subscription_id(ev.scope)
    why = "the deployment's subscription is not known"
    return {
        "subscriptionId": sub,
        "id": make_partial(["/subscriptions/", sub]),
        "tenantId": Unknown(f"{name}().tenantId", why),
        "displayName": Unknown(f"{name}().displayName", why),
    }


for _n in ("tenant", "deployment", "environment", "managementgroup"):
    _FUNCTIONS[_n] = lambda ev, name, args: Unknown(_call_text(name, args), f"{name}() is {_DEPLOY_TIME}")

for _n in (
    "guid",
    "uniquestring",
    "newguid",
    "utcnow",
    "datetimeadd",
    "datetimefromepoch",
    "datetimetoepoch",
    "base64",
    "base64tostring",
    "base64tojson",
    "datauri",
    "datauritostring",
    "uri",
    "uricomponent",
    "uricomponenttostring",
    "pickzones",
    "providers",
    "cidrsubnet",
    "cidrhost",
    "parsecidr",
    "lambda",
    "filter",
    "map",
    "reduce",
    "sort",
    "tojson",
    "objectkeys",
    "shallowmerge",
    "tryget",
    "indexfromend",
    "resourceinfo",
):
    _FUNCTIONS.setdefault(
        _n,
        lambda ev, name, args: Unknown(
            _call_text(name, args), f"{name}() is not evaluated by the scan", opaque_info(args)[1]
        ),
    )


def _is_type(a: Any) -> bool:
    return isinstance(a, str) and "/" in a and "." in a.split("/", 1)[0]


def _resource_path(type_: str, names: list[Any]) -> list[Any] | None:
    """``['Microsoft.Network/', 'virtualNetworks', '/', name, ...]`` pieces for a type and
    names, or None when the counts do not match."""
    ns, _, rest = type_.partition("/")
    segs = [t for t in rest.split("/") if t]
    if len(segs) != len(names) or not segs:
        return None
    out: list[Any] = [ns]
    for t, n in zip(segs, names):
        if not isinstance(n, (str, Unknown, Partial)):
            s = as_string(n)
            if s is None:
                return None
            n = s
        out += ["/", t, "/", n]
    return out


@_fn("resourceid")
def _f_resource_id(ev: _Eval, name: str, args: list[Any]) -> Any:
    idx = next((i for i, a in enumerate(args) if _is_type(a)), None)
    if idx is None or idx > 2:
        return _residual(name, args, "resource type not known")
    s = ev.scope
    before = args[:idx]
    if len(before) == 2:
        sub, rg = before
    elif len(before) == 1:
        sub, rg = _subscription_id(s), before[0]
    else:
        sub = _subscription_id(s)
        rg = s.resource_group if s.resource_group is not None else Unknown(
            "resourceGroup().name", "the deployment's resource group is not known"
        )
    path = _resource_path(args[idx], args[idx + 1 :])
    if path is None:
        return _bad(name, args, "resource type and names do not match")
    return make_partial(["/subscriptions/", sub, "/resourceGroups/", rg, "/providers/", *path])


@_fn("subscriptionresourceid")
def _f_subscription_resource_id(ev: _Eval, name: str, args: list[Any]) -> Any:
    idx = next((i for i, a in enumerate(args) if _is_type(a)), None)
    if idx is None or idx > 1:
        return _residual(name, args, "resource type not known")
    sub = args[0] if idx == 1 else _subscription_id(ev.scope)
    path = _resource_path(args[idx], args[idx + 1 :])
    if path is None:
        return _bad(name, args, "resource type and names do not match")
    return make_partial(["/subscriptions/", sub, "/providers/", *path])


@_fn("tenantresourceid")
def _f_tenant_resource_id(ev: _Eval, name: str, args: list[Any]) -> Any:
    if not args or not _is_type(args[0]):
        return _residual(name, args, "resource type not known")
    path = _resource_path(args[0], args[1:])
    if path is None:
        return _bad(name, args, "resource type and names do not match")
    return make_partial(["/providers/", *path])


@_fn("extensionresourceid")
def _f_extension_resource_id(ev: _Eval, name: str, args: list[Any]) -> Any:
    if len(args) < 3 or not _is_type(args[1]) or not isinstance(args[0], (str, Partial)):
        return _residual(name, args, "resource type not known")
    path = _resource_path(args[1], args[2:])
    if path is None:
        return _bad(name, args, "resource type and names do not match")
    return make_partial([args[0], "/providers/", *path])


@_fn("reference")
def _f_reference(ev: _Eval, name: str, args: list[Any]) -> Any:
    if not args:
        return _bad(name, args, "reference() needs a resource")
    ref = ev.resolve(args[0])
    if ref is None:
        return _residual(name, args, "reference() to a resource the scan cannot identify")
    return Symbolic(Symbol(ref, ""), _call_text(name, args))


@_fn("copyindex")
def _f_copy_index(ev: _Eval, name: str, args: list[Any]) -> Any:
    loop: str | None = None
    offset: Any = 0
    if args and isinstance(args[0], str):
        loop = args[0]
        offset = args[1] if len(args) > 1 else 0
    elif args:
        offset = args[0]
    if isinstance(offset, Opaque) or not isinstance(offset, int) or isinstance(offset, bool):
        return _residual(name, args, "copyIndex() offset not known")
    for loop_name, i in reversed(ev.copy):
        if loop is None or loop_name.lower() == loop.lower():
            return i + offset
    return _residual(name, args, "copyIndex() outside a copy loop the scan expanded")


# ---- functions with lazy arguments -------------------------------------------------------


def _l_if(ev: _Eval, node: Call) -> Any:
    if len(node.args) != 3:
        return Unknown(to_text(node), "if() takes three arguments")
    cond = ev.eval(node.args[0])
    if isinstance(cond, bool):
        return ev.eval(node.args[1] if cond else node.args[2])
    a, b = ev.eval(node.args[1]), ev.eval(node.args[2])
    if is_known(a) and is_known(b) and a == b and type(a) is type(b):
        return a
    reason, params = opaque_info([cond])
    return Unknown(_call_text(node.name, [cond, a, b]), reason or "if() condition not known", params)


def _l_and_or(ev: _Eval, node: Call) -> Any:
    is_and = node.name.lower() == "and"
    vals: list[Any] = []
    for a in node.args:
        v = ev.eval(a)
        if isinstance(v, bool) and v is not is_and:
            return v  # and(): a false decides; or(): a true decides
        vals.append(v)
    if all(isinstance(v, bool) for v in vals):
        return is_and
    return _residual(node.name, vals, "condition not known")


def _l_coalesce(ev: _Eval, node: Call) -> Any:
    seen: list[Any] = []
    for a in node.args:
        v = ev.eval(a)
        seen.append(v)
        if v is None:
            continue
        if isinstance(v, Unknown):
            return _residual(node.name, seen + [Unknown(to_text(x)) for x in node.args[len(seen) :]])
        return v
    return None


_LAZY: dict[str, Callable[[_Eval, Call], Any]] = {
    "if": _l_if,
    "and": _l_and_or,
    "or": _l_and_or,
    "coalesce": _l_coalesce,
}
