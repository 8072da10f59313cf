"""JSON with positions: spans of values and keys, lenient ARM syntax, errors."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from egresslint.frontends import jsonpos


def _offset(text: str, line: int, col: int) -> int:
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    return starts[line - 1] + col - 1


def _slice(text: str, span: tuple[int, int, int, int]) -> str:
    line, col, end_line, end_col = span
    return text[_offset(text, line, col) : _offset(text, end_line, end_col)]


def test_spans_of_values_and_keys() -> None:
    text = '{\n  "a": [1, {"b": "x\\"y"}, []],\n  "c": {"d": null}\n}'
    doc = jsonpos.parse(text)
    assert doc.ok and not doc.lenient
    assert doc.span(()) == (1, 1, 4, 2)
    assert doc.span(("a",)) == (2, 8, 2, 30)
    assert doc.span(("a", 0)) == (2, 9, 2, 10)
    assert _slice(text, doc.span(("a", 1, "b"))) == '"x\\"y"'
    assert _slice(text, doc.span(("a", 2))) == "[]"
    assert _slice(text, doc.span(("c", "d"))) == "null"
    assert _slice(text, doc.key_span(("c", "d"))) == '"d"'
    assert doc.span(("missing",)) is None
    assert doc.key_span(()) is None


def test_location_falls_back_to_nearest_existing_value() -> None:
    doc = jsonpos.parse('{"a": {"b": 1}}')
    loc = doc.location("f.json", ("a", "nope", 3))
    assert (loc.line, loc.column) == (1, 7)
    assert loc.path == ("a", "nope", 3)
    assert loc.file == "f.json"


def test_escaped_keys_are_decoded() -> None:
    doc = jsonpos.parse('{"a\\u0062\\"c": 5, "\\u00e9": [true]}')
    assert doc.data == {'ab"c': 5, "é": [True]}
    assert doc.span(('ab"c',)) is not None
    assert doc.span(("é", 0)) is not None


def test_bom_is_dropped() -> None:
    doc = jsonpos.parse('\ufeff{"a": 1}')
    assert doc.ok and doc.data == {"a": 1}
    assert doc.span(("a",)) == (1, 7, 1, 8)


def test_comments_trailing_commas_and_multiline_strings() -> None:
    text = (
        "{\n"
        "  // line comment with \"quotes\"\n"
        '  "url": "https://example.com//x", /* block\n'
        '  comment */ "s": "two\n'
        'lines",\n'
        '  "list": [1, 2,],\n'
        "}\n"
    )
    doc = jsonpos.parse(text)
    assert doc.ok and doc.lenient
    assert doc.data == {"url": "https://example.com//x", "s": "two\nlines", "list": [1, 2]}
    assert doc.span(("url",))[:2] == (3, 10)
    assert doc.span(("s",)) == (4, 19, 5, 7)
    assert doc.span(("list", 1))[:2] == (6, 15)


def test_error_position_is_where_parsing_stopped() -> None:
    doc = jsonpos.parse('{\n  "a": 1\n  "b": 2\n}')
    assert not doc.ok and doc.data is None
    assert (doc.error.line, doc.error.column) == (3, 3)
    assert doc.span(()) is None


def test_unterminated_block_comment_is_an_error() -> None:
    doc = jsonpos.parse('{"a": 1 /* never closed }')
    assert not doc.ok


def test_strip_comments_keeps_offsets() -> None:
    text = '{"a": 1, // x\n/* y\nz */ "b": [2,]}'
    out = jsonpos.strip_comments(text)
    assert len(out) == len(text)
    assert out.count("\n") == text.count("\n")
    assert json.loads(out) == {"a": 1, "b": [2]}


# --------------------------------------------------------------------------- property

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


def _pointers(value: Any, ptr: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    out = [(ptr, value)]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _pointers(v, ptr + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _pointers(v, ptr + (i,))
    return out


@settings(max_examples=300, deadline=None)
@given(
    value=_json,
    indent=st.sampled_from([None, 0, 1, 2, 4, "\t"]),
    compact=st.booleans(),
    ascii_only=st.booleans(),
)
def test_every_pointer_maps_to_its_value_text(value: Any, indent: Any, compact: bool, ascii_only: bool) -> None:
    separators = (",", ":") if compact else None
    text = json.dumps(value, indent=indent, separators=separators, ensure_ascii=ascii_only)
    doc = jsonpos.parse(text)
    assert doc.ok
    for ptr, v in _pointers(value):
        span = doc.span(ptr)
        assert span is not None, ptr
        piece = _slice(text, span)
        assert json.loads(piece) == v  # the span is exactly the value's text
        start = _offset(text, span[0], span[1])
        assert text[start] == {dict: "{", list: "["}.get(type(v), text[start])
        if isinstance(v, str):
            assert text[start] == '"'
        if ptr and not isinstance(ptr[-1], int):
            key_piece = _slice(text, doc.key_span(ptr))
            assert json.loads(key_piece) == ptr[-1]
