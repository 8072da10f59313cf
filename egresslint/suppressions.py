"""Inline suppressions and baselines: the filter step between rules and reporters.

Scripts, YAML and Markdown code blocks use a comment, on the flagged line or the line above:

    # egresslint: ignore[EGL103] reason: the hub adds this route  until: 2027-01-31

ARM templates use a ``metadata`` property on the resource (its whole object is covered):

    "metadata": {"egresslint": {"ignore": ["EGL103"], "reason": "...", "until": "2027-01-31"}}

A suppression past its ``until`` date stops working and says so; one that matches nothing is
reported too (both EGL006, info). A baseline file lists fingerprints of accepted findings.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from egresslint.findings import Finding, Severity
from egresslint.model import Location

RULE = "EGL006"
_COMMENT = re.compile(
    r"egresslint:\s*ignore\[(?P<rules>[^\]]*)\](?P<rest>[^\n]*)", re.IGNORECASE)
_UNTIL = re.compile(r"until:\s*(?P<date>\d{4}-\d{2}-\d{2})")
_REASON = re.compile(r"reason:\s*(?P<reason>.*?)(?:\s+until:|$)")


@dataclass
class Suppression:
    location: Location  # where it is written
    rules: tuple[str, ...]  # IDs, prefixes or names, as written
    first_line: int  # lines of the file it covers
    last_line: int
    reason: str = ""
    until: _dt.date | None = None
    used: bool = field(default=False, compare=False)

    def expired(self, today: _dt.date) -> bool:
        return self.until is not None and self.until < today


def _continuation_end(lines: list[str], index: int) -> int:
    """Index of the last line of the command starting at ``index`` (``\\`` or backtick)."""
    while index < len(lines) - 1 and lines[index].rstrip().endswith(("\\", "`")):
        index += 1
    return index


def from_text(file: str, text: str) -> list[Suppression]:
    """Suppression comments in a script, YAML file or Markdown document."""
    if "egresslint:" not in text:
        return []
    lines = text.split("\n")
    out: list[Suppression] = []
    for i, line in enumerate(lines):
        m = _COMMENT.search(line)
        if m is None:
            continue
        hash_at = line.rfind("#", 0, m.start())
        if hash_at < 0:
            continue  # not in a comment
        rules = tuple(r.strip() for r in m.group("rules").split(",") if r.strip())
        rest = m.group("rest")
        until = _parse_date(_UNTIL.search(rest))
        reason_m = _REASON.search(rest)
        code_before = line[:hash_at].strip()
        if code_before:  # trailing comment: this command
            start = i
            while start > 0 and lines[start - 1].rstrip().endswith(("\\", "`")):
                start -= 1
            first, last = start, i
        else:  # own line: the next command
            nxt = i + 1
            while nxt < len(lines) and not lines[nxt].strip():
                nxt += 1
            first, last = nxt, _continuation_end(lines, min(nxt, len(lines) - 1))
        out.append(Suppression(
            Location(file, i + 1, hash_at + 1, i + 1, len(line) + 1), rules, first + 1, last + 1,
            reason_m.group("reason").strip() if reason_m else "", until))
    return out


def _parse_date(m: re.Match[str] | None) -> _dt.date | None:
    if m is None:
        return None
    try:
        return _dt.date.fromisoformat(m.group("date"))
    except ValueError:
        return None


def from_facts(entries: Iterable[Any]) -> list[Suppression]:
    """ARM ``metadata.egresslint`` suppressions given by the ARM frontend as
    ``(Location of the resource, ids, reason, until, Location of metadata.egresslint)``: the
    suppression covers the resource and is reported (EGL006) where it is written."""
    out = []
    for entry in entries:
        try:
            covered, ids, reason, until, location = entry
        except (TypeError, ValueError):
            continue
        date = None
        if isinstance(until, str):
            try:
                date = _dt.date.fromisoformat(until)
            except ValueError:
                date = None
        out.append(Suppression(location, tuple(str(i) for i in ids), covered.line,
                               covered.end_line or covered.line, str(reason or ""), date))
    return out


def apply(findings: list[Finding], suppressions: list[Suppression], matches: Any,
          today: _dt.date | None = None) -> tuple[list[Finding], int, list[Finding]]:
    """Drop suppressed findings. ``matches(rule_id, tokens)`` resolves IDs/prefixes/names.
    Returns (kept findings, number suppressed, EGL006 findings)."""
    today = today or _dt.date.today()
    by_file: dict[str, list[Suppression]] = {}
    for s in suppressions:
        by_file.setdefault(s.location.file, []).append(s)
    kept: list[Finding] = []
    dropped = 0
    for f in findings:
        hit = None
        for s in by_file.get(f.location.file, ()):
            if s.first_line <= f.location.line <= s.last_line and matches(f.rule_id, s.rules):
                s.used = True
                if not s.expired(today):
                    hit = s
        if hit is None or f.rule_id == RULE:
            kept.append(f)
        else:
            dropped += 1
    notes = []
    for s in suppressions:
        rules = ", ".join(s.rules) or "nothing"
        if s.expired(today):
            notes.append(Finding(RULE, f"suppression of {rules} expired on {s.until}: it no longer applies; fix the "
                                 f"finding or extend the date", Severity.INFO, s.location, subject=f"expired:{rules}"))
        elif not s.used:
            notes.append(Finding(RULE, f"suppression of {rules} matches no finding: remove it", Severity.INFO,
                                 s.location, subject=f"unused:{rules}"))
    return kept, dropped, notes


# --------------------------------------------------------------------------- baselines


def fingerprints(findings: Iterable[Finding], source_line: Any) -> list[str]:
    return [f.fingerprint(source_line(f.location.file, f.location.line)) for f in findings]


def read_baseline(path: Path) -> set[str]:
    """Fingerprints in a baseline file; raises ValueError with a clear message when malformed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read baseline: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: baseline is not valid JSON: {exc}") from None
    items = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"{path}: baseline must be an object with a 'findings' list")
    return {item["fingerprint"] for item in items if isinstance(item, dict) and isinstance(item.get("fingerprint"), str)}


def write_baseline(path: Path, findings: list[Finding], source_line: Any, version: str) -> None:
    """Write atomically (temporary file + rename): an interrupted run never leaves half a file."""
    data = {
        "tool": "egresslint", "version": version,
        "findings": [{"fingerprint": fp, "rule": f.rule_id, "file": f.location.file, "message": f.message}
                     for f, fp in zip(findings, fingerprints(findings, source_line), strict=True)],
    }
    folder = path.resolve().parent
    fd, tmp = tempfile.mkstemp(prefix=".egresslint-baseline-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def without_baseline(findings: list[Finding], baseline: set[str], source_line: Any) -> tuple[list[Finding], int]:
    kept = [f for f, fp in zip(findings, fingerprints(findings, source_line), strict=True) if fp not in baseline]
    return kept, len(findings) - len(kept)
