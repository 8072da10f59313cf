"""The ARM frontend's shortcuts (issue 8) give what the general paths give.

* ``jsonpos.build_index``: one regex match per value, checked against the token-per-match
  tokenizer it replaced (kept here, frozen, as the oracle), on documents with repeated member
  names, escapes and every spacing;
* the EGL001 pre-check: the strings that could be expressions, read off the text, are exactly
  the ``[``-strings of the document, and a template's findings are those of the full walk;
* ``_N.get``'s folded member names pick the member the case-insensitive scan picked;
* ``_N.values``'s literal fast path and ``armexpr.make_partial`` give what the per-item path
  and the previous ``make_partial`` gave.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egresslint.frontends import SourceFile, arm, jsonpos
from egresslint.frontends import armexpr as ax

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]

# --------------------------------------------------------------------------- the position index

_OLD_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_OLD_TOKEN = re.compile(r'\s*(' + _OLD_STRING + r'|[{}\[\]:,]|[^\s{}\[\]:,"]+)', re.S)


def _old_build_index(text: str) -> tuple[dict[Any, tuple[int, int]], dict[Any, tuple[int, int]]]:
    """The index as built before issue 8: one regex match per token."""
    values: dict[Any, tuple[int, int]] = {}
    keys: dict[Any, tuple[int, int]] = {}
    stack: list[list[Any]] = []
    expect_key = False
    pending_key: Any = None
    for m in _OLD_TOKEN.finditer(text):
        tok = m.group(1)
        c = tok[0]
        if c == ",":
            if stack and not stack[-1][1]:
                stack[-1][2] += 1
            else:
                expect_key = True
            continue
        if c == ":":
            continue
        if c in "}]":
            frame = stack.pop()
            values[frame[0]] = (frame[4], m.end(1))
            expect_key = False
            continue
        if expect_key:
            pending_key = json.loads(tok, strict=False) if c == '"' else tok
            keys[stack[-1][0] + (pending_key,)] = (m.start(1), m.end(1))
            expect_key = False
            continue
        if stack:
            top = stack[-1]
            pointer = top[0] + ((pending_key,) if top[1] else (top[2],))
        else:
            pointer = ()
        if c == "{":
            stack.append([pointer, True, 0, None, m.start(1)])
            expect_key = True
        elif c == "[":
            stack.append([pointer, False, 0, None, m.start(1)])
        else:
            values[pointer] = (m.start(1), m.end(1))
    return values, keys


_text = st.text(st.sampled_from([*'ab[]{}:,"\\/ \n\t', "é", "\u2028", "\x01"]), max_size=8)
_scalar = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=False) | _text
# Objects as lists of members, so that a name can repeat (json.loads keeps the last one).
_tree = st.recursive(
    _scalar,
    lambda kids: st.tuples(st.just("["), st.lists(kids, max_size=4))
    | st.tuples(st.just("{"), st.lists(st.tuples(st.sampled_from(["a", "A", "b", "a\\u0062", ""]) | _text, kids),
                                       max_size=4)),
    max_leaves=25,
)
_space = st.sampled_from(["", " ", "\n  ", "\t", "\r\n"])


def _dump(node: Any, sp: str) -> str:
    if isinstance(node, tuple) and node[0] == "[":
        return "[" + sp + ("," + sp).join(_dump(k, sp) for k in node[1]) + sp + "]"
    if isinstance(node, tuple):
        # a name spelled with \\u0062 keeps its escape: the index must decode it
        members = (("\"a\\u0062\"" if k == "a\\u0062" else json.dumps(k)) + sp + ":" + sp + _dump(v, sp)
                   for k, v in node[1])
        return "{" + sp + ("," + sp).join(members) + sp + "}"
    return json.dumps(node, ensure_ascii=False)


@settings(max_examples=300, deadline=None, suppress_health_check=SLOW)
@given(_tree, _space)
def test_index_is_the_token_index(tree: Any, sp: str) -> None:
    text = _dump(tree, sp)
    json.loads(text)  # the generator writes valid JSON
    assert jsonpos.build_index(text) == _old_build_index(text)
    values, names = jsonpos.build_index(text, keys=False)
    assert values == _old_build_index(text)[0] and names == {}


@settings(max_examples=100, deadline=None, suppress_health_check=SLOW)
@given(_tree, _space)
def test_document_spans_after_values_then_keys(tree: Any, sp: str) -> None:
    """The document builds the value index first and the names only when a name is asked for."""
    text = _dump(tree, sp)
    values, keys = _old_build_index(text)
    doc = jsonpos.parse(text)
    ref = jsonpos.parse(text)
    assert [doc.span(p) for p in values] == [ref._span_of(*values[p]) for p in values]
    assert [doc.key_span(p) for p in keys] == [ref._span_of(*keys[p]) for p in keys]
    assert [doc.span(p) for p in values] == [ref._span_of(*values[p]) for p in values]


# --------------------------------------------------------------------------- EGL001 pre-check


def _bracket_strings(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [s for k, v in data.items() for s in ([k] if k.startswith("[") else []) + _bracket_strings(v)]
    if isinstance(data, list):
        return [s for v in data for s in _bracket_strings(v)]
    return [data] if isinstance(data, str) and data.startswith("[") else []


_expr = st.sampled_from([
    "[parameters('p')]", "[concat('a', 'b')]", "[concat('a',", "[[literal]", "[", "[]", "[x y]", "[f(]",
    "[variables('v')]", "no", "[resourceId('Microsoft.Network/virtualNetworks', 'v')]", "[ 'a' ]x", "[a\\b]",
    "[a\"b]", "[é]",
])
_template_value = st.recursive(
    _expr | st.integers(0, 3),
    lambda kids: st.lists(kids, max_size=3)
    | st.dictionaries(st.sampled_from(["name", "metadata", "comments", "[k]", "Properties", "x"]) | _expr, kids,
                      max_size=3),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=SLOW)
@given(_template_value, st.sampled_from([None, 0, 2]))
def test_bracket_strings_are_read_off_the_text(data: Any, indent: Any) -> None:
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    found = jsonpos.parse(text).strings_starting_with_bracket()
    if "\\" in text:
        assert found is None
    else:
        assert found is not None and Counter(found) == Counter(_bracket_strings(data))


@settings(max_examples=200, deadline=None, suppress_health_check=SLOW)
@given(st.lists(_template_value, max_size=3), _template_value, st.booleans())
def test_syntax_findings_are_those_of_the_full_walk(resources: list[Any], extra: Any, comment: bool) -> None:
    tpl = {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": resources, "extra": extra}
    text = json.dumps(tpl, indent=2, ensure_ascii=False)
    if comment:  # a comment's quotes and brackets are no strings of the document
        text = text.replace("{", '{ // it\'s "[concat(" \n', 1)
    fast = arm.load(SourceFile("t.json", text, "json"))
    original = jsonpos.JsonDocument.strings_starting_with_bracket
    jsonpos.JsonDocument.strings_starting_with_bracket = lambda self: None  # type: ignore[method-assign]
    try:
        walked = arm.load(SourceFile("t.json", text, "json"))
    finally:
        jsonpos.JsonDocument.strings_starting_with_bracket = original  # type: ignore[method-assign]
    assert repr(fast) == repr(walked)


def test_a_broken_expression_in_a_comment_or_in_metadata_is_not_reported() -> None:
    text = ('{"$schema": "' + SCHEMA + '", // "[concat("\n "contentVersion": "1.0.0.0", "metadata": {"d": "[f(]"},\n'
            ' "resources": [{"type": "Microsoft.Network/routeTables", "name": "[concat(\'rt\']",'
            ' "comments": "[x y]"}]}')
    result = arm.load(SourceFile("t.json", text, "json"))
    assert [(f.rule_id, f.location.line) for f in result.findings] == [("EGL001", 3)]


# --------------------------------------------------------------------------- member look-up


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "A", "aB", "Ab", "ab", "copy", "COPY", "properties", "Properties", "é",
                                        "É", "ß", "SS"]), st.integers(), max_size=8),
       st.sampled_from(["a", "AB", "copy", "PROPERTIES", "É", "ss", "missing"]))
def test_folded_names_pick_the_first_member_spelled_so(raw: dict[str, Any], key: str) -> None:
    reader = arm._Reader(SourceFile("t.json", "{}", "json"), jsonpos.parse("{}"))
    env = arm._Env(reader, ax.Scope())
    got = arm._N(env, (), raw).get(key)
    k = key if key in raw else next((x for x in raw if x.lower() == key.lower()), None)
    if k is None or k == "copy":
        assert got is None
    else:
        assert got is not None and got.ptr == (k,) and got.val == raw[k]


# --------------------------------------------------------------------------- values and partials

_item = st.sampled_from(["10.0.0.0/8", "", "[[x]", "[parameters('missing')]", "[concat('a', 'b')]", "[", "[f(]",
                         "x]", 7, 2.5, True, None, [], {}])


@settings(max_examples=200, deadline=None)
@given(st.lists(_item, max_size=6), st.booleans())
def test_literal_list_values_are_those_of_the_items(raw: list[Any], export: bool) -> None:
    def values(per_item: bool) -> tuple[str, str]:
        doc = jsonpos.parse(json.dumps({"v": raw}))
        reader = arm._Reader(SourceFile("t.json", doc.text, "json"), doc)
        env = arm._Env(reader, None if export else ax.Scope())
        node = arm._N(env, ("v",), raw)
        got = [v for v in (i.value(what="w") for i in node.items()) if v is not None] if per_item else node.values("w")
        return repr(got), repr(reader.result)

    assert values(per_item=False) == values(per_item=True)


def _old_make_partial(parts: list[Any]) -> Any:
    out: list[Any] = []
    for p in parts:
        for q in p.parts if isinstance(p, ax.Partial) else (p,):
            if isinstance(q, str):
                if not q:
                    continue
                if out and isinstance(out[-1], str):
                    out[-1] = out[-1] + q
                    continue
            out.append(q)
    if all(isinstance(p, str) for p in out):
        return "".join(out)
    if len(out) > ax.MAX_PARTS:
        return ax.Unknown("concat(...)", "value too large to evaluate", ax.opaque_info(out)[1])
    if len(out) == 1:
        return out[0]
    return ax.Partial(tuple(out))


_piece = st.sampled_from(["", "a", "/", "b/c", 3, ax.Unknown("parameters('p')", "r", frozenset({"p"})),
                          ax.Unknown("x()")])
_part = _piece | st.lists(_piece, min_size=2, max_size=4).map(ax.make_partial)


@settings(max_examples=300, deadline=None)
@given(st.lists(_part, max_size=8) | st.lists(st.just(ax.Unknown("u")), min_size=ax.MAX_PARTS, max_size=ax.MAX_PARTS + 2))
def test_make_partial_is_the_previous_join(parts: list[Any]) -> None:
    assert repr(ax.make_partial(parts)) == repr(_old_make_partial(parts))
