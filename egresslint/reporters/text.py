"""Human-readable output, in the manner of ruff and rustc.

One line per finding, related places and the per-finding hint as ``= note:`` / ``= help:``
lines below it::

    infra/aks.sh:12:5: EGL102 error: route 'default' sends 0.0.0.0/0 to Internet
      = note: infra/fw.sh:3:1: firewall 'fw1' is defined here

With ``excerpt=True`` (the CLI sets it when stdout is a terminal) the source line is shown
with a line-number gutter and the flagged columns underlined::

    infra/aks.sh:12:5: EGL102 error: route 'default' sends 0.0.0.0/0 to Internet
       |
    12 |     --next-hop-type Internet
       |     ^^^^^^^^^^^^^^^
       = note: infra/fw.sh:3:1: firewall 'fw1' is defined here

``color=True`` adds ANSI colours. ``statistics=True`` prints one line per rule with its
count (most frequent first) instead of the findings. A summary line ends the output.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from egresslint.reporters import severity_counts

if TYPE_CHECKING:
    from egresslint.checks.base import Rule
    from egresslint.findings import Finding
    from egresslint.model import Location
    from egresslint.report import Notification, Report

TAB = "    "  # a tab in an excerpt is shown as four spaces (as rustc does)
MAX_EXCERPT = 120  # longer lines (minified JSON) are cut to a window around the span
CONTEXT = 40

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_COLORS = {
    "error": "\x1b[31m",
    "warning": "\x1b[33m",
    "info": "\x1b[34m",
    "note": "\x1b[34m",
}
_GUTTER = "\x1b[34m"


def render(report: Report, rules: Mapping[str, type[Rule]], **options: Any) -> str:
    paint = _Painter(bool(options.get("color", False)))
    excerpt = bool(options.get("excerpt", False))
    out: list[str] = []
    for note in report.notifications:
        out.append(_notification(note, paint))
    if options.get("statistics"):
        out.extend(_statistics(report, rules, paint))
        out.append(paint.bold(summary(report)))
        return "\n".join(out) + "\n"
    for finding in report.findings:
        out.extend(_finding(finding, report, paint, excerpt))
        if excerpt:
            out.append("")
    out.append(paint.bold(summary(report)))
    return "\n".join(out) + "\n"


def summary(report: Report) -> str:
    """``Found 3 findings (1 error, 2 warnings) in 12 files.`` or ``No findings in 12 files.``,
    with ``, N suppressed`` before the full stop when findings were suppressed. When files were
    given and the project analysed around them, the count is of the given files, the project's
    in brackets: ``No findings in 1 file (53 files of the project analysed).``"""
    files = _plural(len(report.reported_files), "file")
    if report.targets is not None and report.files and len(report.files) != len(report.targets):
        files += f" ({_plural(len(report.files), 'file')} of the project analysed)"
    suppressed = f", {report.suppressed} suppressed" if report.suppressed else ""
    if not report.findings:
        return f"No findings in {files}{suppressed}."
    counts = severity_counts(report)
    parts = [
        _plural(n, label) if label != "info" else f"{n} info" for label, n in counts.items() if n
    ]
    total = _plural(len(report.findings), "finding")
    return f"Found {total} ({', '.join(parts)}) in {files}{suppressed}."


def _statistics(report: Report, rules: Mapping[str, type[Rule]], paint: _Painter) -> list[str]:
    """``COUNT  ID  SEVERITY  name`` per rule, most frequent first (like ``ruff --statistics``)."""
    counts: dict[tuple[str, str], int] = {}
    for finding in report.findings:
        key = (finding.rule_id, finding.severity.label)
        counts[key] = counts.get(key, 0) + 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    width = max((len(str(n)) for n in counts.values()), default=1)
    id_width = max((len(rule_id) for rule_id, _ in counts), default=0)
    lines = []
    for (rule_id, label), n in ordered:
        name = getattr(rules.get(rule_id), "name", "")
        lines.append(
            f"{n:>{width}}  {paint.bold(rule_id.ljust(id_width))}  "
            f"{paint.level(label, label.ljust(7))}  {name}".rstrip()
        )
    return lines


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _notification(note: Notification, paint: _Painter) -> str:
    where = note.file or "egresslint"
    return (
        f"{paint.bold(where + ':')} {paint.level(note.level, note.level)}: {_indent(note.message)}"
    )


def _finding(finding: Finding, report: Report, paint: _Painter, excerpt: bool) -> list[str]:
    label = finding.severity.label
    head = (
        f"{paint.bold(_where(finding.location) + ':')} {paint.bold(finding.rule_id)} "
        f"{paint.level(label, label)}: {_indent(finding.message)}"
    )
    lines = [head]
    if excerpt:
        lines.extend(_excerpt(finding.location, report, paint, label))
    bar = paint.gutter("=")
    for rel in finding.related:
        lines.append(
            f"  {bar} {paint.bold('note')}: {_where(rel.location)}: {_indent(rel.message)}"
        )
    if finding.fix:
        lines.append(f"  {bar} {paint.bold('help')}: {_indent(finding.fix)}")
    return lines


def _where(loc: Location) -> str:
    return f"{loc.file}:{loc.line}:{loc.column}"


def _indent(message: str) -> str:
    """Continuation lines of a multi-line message are indented under the first."""
    return "\n    ".join(message.splitlines()) if "\n" in message else message


# --------------------------------------------------------------------------- excerpts


def _excerpt(loc: Location, report: Report, paint: _Painter, label: str) -> list[str]:
    line = report.source_line(loc.file, loc.line)
    if not line.strip():
        return []
    start = min(max(loc.column - 1, 0), len(line))
    if loc.end_line is not None and loc.end_line > loc.line:
        end = len(line)  # the span goes on below: underline to the end of this line
    elif loc.end_column is not None:
        end = loc.end_column - 1
    else:
        end = start + 1
    end = max(end, start + 1)
    shown, start, end = _window(line, start, end)
    end = min(end, len(shown) + 1)  # one caret past the end is allowed (end-of-line spans)
    text, pad = _display(shown[:start])
    body, width = _display(shown[start:end])
    rest, _ = _display(shown[end:])
    number = str(loc.line)
    blank = " " * len(number)
    caret = "^" * max(width, 1)
    return [
        f"{blank} {paint.gutter('|')}",
        f"{paint.gutter(number)} {paint.gutter('|')} {(text + body + rest).rstrip()}",
        f"{blank} {paint.gutter('|')} {' ' * pad}{paint.level(label, caret)}",
    ]


def _window(line: str, start: int, end: int) -> tuple[str, int, int]:
    """Cut a very long line to a window around ``[start, end)``, marking cuts with ``...``."""
    if len(line) <= MAX_EXCERPT:
        return line, start, end
    lo = max(0, start - CONTEXT)
    hi = min(len(line), max(end, start + 1) + CONTEXT, lo + MAX_EXCERPT)
    prefix = "..." if lo > 0 else ""
    suffix = "..." if hi < len(line) else ""
    shown = prefix + line[lo:hi] + suffix
    offset = len(prefix) - lo
    return shown, start + offset, min(end, hi) + offset


def _display(text: str) -> tuple[str, int]:
    """Text as printed in a terminal cell grid and its width in cells: tabs become spaces,
    East Asian wide characters take two cells, combining marks none, and control or format
    characters (escape sequences, bidi overrides) are shown as U+FFFD so they cannot disturb
    the terminal or the alignment."""
    out: list[str] = []
    width = 0
    for ch in text:
        if ch == "\t":
            out.append(TAB)
            width += len(TAB)
        elif unicodedata.combining(ch):
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            out.append("\ufffd")
            width += 1
        else:
            out.append(ch)
            width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return "".join(out), width


# --------------------------------------------------------------------------- colour


class _Painter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if self.enabled and text else text

    def bold(self, text: str) -> str:
        return self._wrap(_BOLD, text)

    def level(self, label: str, text: str) -> str:
        return self._wrap(_BOLD + _COLORS.get(label, ""), text)

    def gutter(self, text: str) -> str:
        return self._wrap(_BOLD + _GUTTER, text)
