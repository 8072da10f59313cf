"""JSON with positions, at json speed.

The document is parsed by the stdlib (``json.loads``, C speed). Positions are recovered only
when somebody asks for one: the first request builds a per-document index (one regex scan of
the text, one match per value, mapping every JSON pointer to the span of its value; the spans
of member names in a second scan, on the first request for one) and later requests are
dictionary look-ups.

Azure tooling accepts ARM templates with ``//`` and ``/* */`` comments, literal line breaks
inside strings and trailing commas. When the strict parse fails, comments and trailing commas
are blanked out (replaced by spaces, so every offset, line and column stays where it was) and
the text is parsed again with ``strict=False``. Only when that also fails is the document
broken; :attr:`JsonDocument.error` then says where parsing stopped.

Positions follow the model's conventions: 1-based lines and columns, exclusive end column,
columns counted in characters. A UTF-8 byte order mark is dropped before parsing (editors do
not count it as a column).
"""

from __future__ import annotations

import json
import re
import sys
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from egresslint.model import Location

Pointer = tuple[Any, ...]
Span = tuple[int, int, int, int]  # line, column, end_line, end_column

# A JSON string (possibly spanning lines), written as an unrolled loop: far faster than an
# alternation per character.
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
# Strings, comments; used to blank out comments (and trailing commas) keeping offsets.
_COMMENT_SCAN = re.compile(_STRING + r'|//[^\n]*|/\*.*?\*/', re.S)
_TRAILING_COMMA_SCAN = re.compile(_STRING + r'|,(?=\s*[}\]])', re.S)
# One match per value of the position index (a valid JSON text): the separators before it
# (whitespace, a comma), in an object its member name (group 1, inside the quotes) and colon,
# then a scalar (group 2), an opening bracket (group 3) or, with no group, a closing one. One
# match per value instead of one per token (name, colon, value, comma) is what makes the index
# cheap. The quantifiers are possessive: nothing they consume could be given back to a match
# (JSON whitespace is exactly these four characters), and not trying is faster.
_STRING_BODY = r'[^"\\]*+(?:\\.[^"\\]*+)*+'
_ITEM = re.compile(r'[ \t\n\r,]*+(?:"(' + _STRING_BODY + r')"[ \t\n\r]*+:[ \t\n\r]*+)?'
                   r'(?:("' + _STRING_BODY + r'"|[^ \t\n\r{}\[\]:,"]++)|([{\[])|[}\]])', re.S)
# Above this many characters the full index (every pointer of the document, ~250 bytes each:
# 1.5 GB for a 50 MB template) costs more than it saves; spans are then found by descending
# from the root, skipping siblings with the C decoder, caching the members of each container
# on the way (memory in proportion to the containers visited, not to the document).
FULL_INDEX_MAX_CHARS = 2_000_000
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_BRACKET_STRING = re.compile(r'"(\[[^"]*)"')
_DECODER = json.JSONDecoder(strict=False)


@dataclass(frozen=True, slots=True)
class JsonError:
    """Where and why a document could not be parsed (1-based line and column)."""

    message: str
    line: int
    column: int
    offset: int


class JsonDocument:
    """A parsed JSON document and (lazily) the positions of its values.

    ``data`` is the parsed value (None when ``error`` is set), ``lenient`` says whether the
    comment/trailing-comma fallback was needed."""

    __slots__ = ("_index", "_keys", "_lines", "_members", "_scan_text", "data", "error", "lenient", "text")

    def __init__(self, text: str) -> None:
        if text.startswith("\ufeff"):
            text = text[1:]
        self.text = text
        self.data: Any = None
        self.error: JsonError | None = None
        self.lenient = False
        self._scan_text = text
        self._index: dict[Pointer, tuple[int, int]] | None = None
        self._keys: dict[Pointer, tuple[int, int]] | None = None
        self._lines: list[int] | None = None
        self._members: dict[Pointer, dict[Any, tuple[tuple[int, int] | None, tuple[int, int]]]] = {}
        try:
            self.data = json.loads(text)
            return
        except json.JSONDecodeError:
            pass
        except RecursionError:
            self.error = JsonError("document nested too deeply", 1, 1, 0)
            return
        except ValueError:  # valid JSON, but an integer longer than Python converts
            self.error = self._long_number_error()
            return
        stripped = text
        for step in (_blank_comments, _blank_trailing_commas):
            stripped = step(stripped)
            try:
                self.data = json.loads(stripped, strict=False)
            except json.JSONDecodeError as exc:
                self.error = JsonError(exc.msg, exc.lineno, exc.colno, exc.pos)
                continue
            except RecursionError:
                self.error = JsonError("document nested too deeply", 1, 1, 0)
                return
            except ValueError:
                self.error = self._long_number_error()
                return
            self.error = None
            self.lenient = True
            self._scan_text = stripped
            return

    @property
    def ok(self) -> bool:
        return self.error is None

    def strings_starting_with_bracket(self) -> list[str] | None:
        """Every string of the document (member names too) that starts with ``[``, read off the
        text in one scan, or None when the text has a backslash (a string's text is then not
        its value, and a quote may be escaped) or the document is broken.

        Without a backslash every quote of the (comment-blanked) text delimits a string, and a
        quote followed by ``[`` opens one: a closing quote is never followed by ``[`` in JSON."""
        text = self._scan_text
        if not self.ok or "\\" in text:
            return None
        return _BRACKET_STRING.findall(text)

    def _long_number_error(self) -> JsonError:
        limit = getattr(sys, "get_int_max_str_digits", lambda: 4300)()
        m = re.search(rf"\d{{{limit + 1},}}", self.text)
        offset = m.start() if m else 0
        line, column = self.position(offset)
        return JsonError(f"number with more than {limit:,} digits", line, column, offset)

    # ------------------------------------------------------------------ positions

    def span(self, pointer: Pointer) -> Span | None:
        """(line, column, end_line, end_column) of the value at ``pointer``, or None when the
        pointer names nothing in the document."""
        hit = self._lookup(tuple(pointer), keys=False)
        return None if hit is None else self._span_of(*hit)

    def key_span(self, pointer: Pointer) -> Span | None:
        """Span of the member name (with its quotes) of the object member at ``pointer``."""
        hit = self._lookup(tuple(pointer), keys=True)
        return None if hit is None else self._span_of(*hit)

    def offset(self, pointer: Pointer) -> int | None:
        """Character offset where the value at ``pointer`` starts."""
        hit = self._lookup(tuple(pointer), keys=False)
        return None if hit is None else hit[0]

    def _lookup(self, pointer: Pointer, keys: bool) -> tuple[int, int] | None:
        index = self._keys if keys else self._index
        if index is not None:  # built: the common case, one look-up
            return index.get(pointer)
        if len(self._scan_text) > FULL_INDEX_MAX_CHARS and self.ok:
            return self._descend(pointer, keys)
        self._build_index(keys)
        index = self._keys if keys else self._index
        assert index is not None
        return index.get(pointer)

    def _descend(self, pointer: Pointer, keys: bool) -> tuple[int, int] | None:
        """The span of ``pointer`` (of its member name when ``keys``) found from the root."""
        text = self._scan_text
        start = _JSON_SPACE.match(text).end()  # type: ignore[union-attr]
        if start >= len(text):
            return None
        span = (start, _DECODER.raw_decode(text, start)[1])
        key: tuple[int, int] | None = None
        for depth, step in enumerate(pointer):
            prefix = pointer[:depth]
            members = self._members.get(prefix)
            if members is None:
                members = self._members[prefix] = _members(text, span[0])
            hit = members.get(step)
            if hit is None:
                return None
            key, span = hit
        return key if keys else span

    def location(self, file: str, pointer: Pointer) -> Location:
        """A :class:`Location` for the value at ``pointer``; for a pointer that names nothing,
        the nearest enclosing value that exists (the document start at worst)."""
        ptr = tuple(pointer)
        index = self._index
        hit = index.get(ptr) if index is not None else self._lookup(ptr, keys=False)
        probe = ptr
        while hit is None:
            if not probe:
                return Location(file, 1, 1, path=ptr)
            probe = probe[:-1]
            hit = self._lookup(probe, keys=False)
        return Location(file, *self._span_of(*hit), ptr)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        lines = self._line_starts()
        i = bisect_right(lines, offset) - 1
        return i + 1, offset - lines[i] + 1

    def _line_starts(self) -> list[int]:
        if self._lines is None:
            # offsets past each line break: the running sum of the line lengths
            self._lines = [0, *accumulate(len(line) + 1 for line in self.text.split("\n")[:-1])]
        return self._lines

    def _span_of(self, start: int, end: int) -> Span:
        lines = self._lines if self._lines is not None else self._line_starts()
        i = bisect_right(lines, start) - 1
        j = bisect_right(lines, end) - 1 if end > start else i
        return i + 1, start - lines[i] + 1, j + 1, end - lines[j] + 1

    def _build_index(self, keys: bool) -> None:
        # Member names only when asked (a quarter of the work, and the frontends locate values)
        values, names = build_index(self._scan_text, keys) if self.ok else ({}, {})
        self._index = values
        if keys:
            self._keys = names


def parse(text: str) -> JsonDocument:
    """Parse ``text``; never raises (see :attr:`JsonDocument.error`)."""
    return JsonDocument(text)


def strip_comments(text: str) -> str:
    """``text`` with ``//`` and ``/* */`` comments and trailing commas replaced by spaces
    (line breaks inside block comments kept), so offsets do not move."""
    return _blank_trailing_commas(_blank_comments(text))


def _blank(m: re.Match[str]) -> str:
    s = m.group()
    if s[0] == '"':
        return s
    return _NOT_NEWLINE.sub(" ", s)


_NOT_NEWLINE = re.compile(r"[^\n]")


def _blank_comments(text: str) -> str:
    return _COMMENT_SCAN.sub(_blank, text) if "/" in text else text


def _blank_trailing_commas(text: str) -> str:
    return _TRAILING_COMMA_SCAN.sub(_blank, text) if "," in text else text


def _key_text(tok: str) -> str:
    body = tok[1:-1]
    if "\\" not in body:
        return body
    try:
        return json.loads(tok, strict=False)
    except ValueError:
        return body


def _members(text: str, start: int) -> dict[Any, tuple[tuple[int, int] | None, tuple[int, int]]]:
    """Members of the container starting at ``start`` of a valid JSON text: name (or array
    index) -> (span of the name, span of the value); each value is skipped by the C decoder.
    A repeated name keeps its last occurrence, as ``json.loads`` does."""
    out: dict[Any, tuple[tuple[int, int] | None, tuple[int, int]]] = {}
    opener = text[start]
    if opener not in "[{":
        return out
    i = _JSON_SPACE.match(text, start + 1).end()  # type: ignore[union-attr]
    index = 0
    while text[i] not in "]}":
        name: Any = index
        key = None
        if opener == "{":
            name, end = _DECODER.raw_decode(text, i)
            key = (i, end)
            i = _JSON_SPACE.match(text, end).end() + 1  # type: ignore[union-attr]  # past the ':'
            i = _JSON_SPACE.match(text, i).end()  # type: ignore[union-attr]
        end = _DECODER.raw_decode(text, i)[1]
        out[name] = (key, (i, end))
        index += 1
        i = _JSON_SPACE.match(text, end).end()  # type: ignore[union-attr]
        if text[i] == ",":
            i = _JSON_SPACE.match(text, i + 1).end()  # type: ignore[union-attr]
    return out


_DOCUMENT, _OBJECT, _ARRAY = 0, 1, 2  # what the value being read is in (build_index)


def build_index(
    text: str, keys: bool = True
) -> tuple[dict[Pointer, tuple[int, int]], dict[Pointer, tuple[int, int]]]:
    """Map every JSON pointer of a (valid, comment-free) JSON text to the (start, end) offsets
    of its value, and (with ``keys``; else the second map is empty) every object member's
    pointer to the offsets of its name. A repeated name: its last occurrence, as
    ``json.loads`` keeps."""
    values: dict[Pointer, tuple[int, int]] = {}
    names: dict[Pointer, tuple[int, int]] = {}
    record_names = names.__setitem__ if keys else None
    # The open container: its pointer, what it is (_OBJECT, _ARRAY, or _DOCUMENT before the
    # first value), the index of its next element, where it starts; the enclosing ones wait on
    # the stack.
    stack: list[tuple[Pointer, int, int, int]] = []
    top: Pointer = ()
    kind = _DOCUMENT
    index = 0
    opened = 0
    for m in _ITEM.finditer(text):
        last = m.lastindex
        if last is None:  # a closing bracket
            values[top] = (opened, m.end())
            top, kind, index, opened = stack.pop()
            continue
        if kind == _OBJECT:  # a member: its name is group 1
            body = m.group(1)
            pointer = top + ((body if "\\" not in body else _key_text(f'"{body}"')),)
            if record_names is not None:
                start, end = m.span(1)
                record_names(pointer, (start - 1, end + 1))  # with the quotes
        elif kind == _ARRAY:
            pointer = top + (index,)
            index += 1
        else:
            pointer = ()
        if last == 2:
            values[pointer] = m.span(2)
        else:
            stack.append((top, kind, index, opened))
            top, kind, index, opened = pointer, (_ARRAY if m.group(3) == "[" else _OBJECT), 0, m.start(3)
    return values, names
