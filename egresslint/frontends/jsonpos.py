"""JSON with positions, at json speed.

The document is parsed by the stdlib (``json.loads``, C speed). Positions are recovered only
when somebody asks for one: the first request builds a per-document index (one regex scan of
the text mapping every JSON pointer to the span of its value and of its key) and later
requests are dictionary look-ups.

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
# Tokens of the position index (leading whitespace consumed in the same match): strings,
# structural characters, bare scalars.
_TOKEN = re.compile(r'\s*(' + _STRING + r'|[{}\[\]:,]|[^\s{}\[\]:,"]+)', re.S)
# Above this many characters the full index (every pointer of the document, ~250 bytes each:
# 1.5 GB for a 50 MB template) costs more than it saves; spans are then found by descending
# from the root, skipping siblings with the C decoder, caching the members of each container
# on the way (memory in proportion to the containers visited, not to the document).
FULL_INDEX_MAX_CHARS = 2_000_000
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
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
        if len(self._scan_text) > FULL_INDEX_MAX_CHARS and self.ok:
            return self._descend(pointer, keys)
        if self._index is None:
            self._build_index()
        assert self._index is not None and self._keys is not None
        return (self._keys if keys else self._index).get(pointer)

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
        probe = ptr
        while True:
            sp = self.span(probe)
            if sp is not None or not probe:
                break
            probe = probe[:-1]
        if sp is None:
            return Location(file, 1, 1, path=ptr)
        return Location(file, sp[0], sp[1], sp[2], sp[3], path=ptr)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        lines = self._line_starts()
        i = bisect_right(lines, offset) - 1
        return i + 1, offset - lines[i] + 1

    def _line_starts(self) -> list[int]:
        if self._lines is None:
            starts = [0]
            starts.extend(m.end() for m in re.finditer("\n", self.text))
            self._lines = starts
        return self._lines

    def _span_of(self, start: int, end: int) -> Span:
        lines = self._line_starts()
        i = bisect_right(lines, start) - 1
        j = bisect_right(lines, end) - 1 if end > start else i
        return i + 1, start - lines[i] + 1, j + 1, end - lines[j] + 1

    def _build_index(self) -> None:
        self._index, self._keys = build_index(self._scan_text) if self.ok else ({}, {})


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


def build_index(text: str) -> tuple[dict[Pointer, tuple[int, int]], dict[Pointer, tuple[int, int]]]:
    """Map every JSON pointer of a (valid, comment-free) JSON text to the (start, end) offsets
    of its value, and every object member's pointer to the offsets of its key."""
    values: dict[Pointer, tuple[int, int]] = {}
    keys: dict[Pointer, tuple[int, int]] = {}
    # Stack frames: [pointer, is_object, next array index, pending key, start offset]
    stack: list[list[Any]] = []
    pointer: Pointer = ()
    expect_key = False
    pending_key: Any = None
    for m in _TOKEN.finditer(text):
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
        if c == "}" or c == "]":
            frame = stack.pop()
            values[frame[0]] = (frame[4], m.end(1))
            expect_key = False
            continue
        if expect_key:  # an object member name
            pending_key = _key_text(tok) if c == '"' else tok
            keys[stack[-1][0] + (pending_key,)] = (m.start(1), m.end(1))
            expect_key = False
            continue
        # A value: its pointer comes from the enclosing container.
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
    # Empty arrays: "[" then "]" never saw an element, nothing to fix. Empty objects: the
    # "{" set expect_key; "}" reset it. Both handled above.
    return values, keys
