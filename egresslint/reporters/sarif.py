"""SARIF 2.1.0 output for GitHub code scanning and other SARIF viewers.

One run. ``tool.driver.rules`` lists every rule given (sorted by id) with its metadata, so a
viewer can explain a rule without egresslint; results point at it by ``ruleId`` and
``ruleIndex``. Paths are repo-relative URIs against ``%SRCROOT%``, which
``originalUriBaseIds`` maps to the scanned project root. Tool-level notices (unreadable
files, failed plugins) go to ``invocations[0].toolExecutionNotifications``, never to results.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from egresslint.findings import Severity

if TYPE_CHECKING:
    from egresslint.checks.base import Rule
    from egresslint.findings import Finding
    from egresslint.model import Location
    from egresslint.report import Notification, Report

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/egresslint/egresslint"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "egresslint/v1"

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_NOTIFICATION_LEVELS = {"error": "error", "warning": "warning", "note": "note", "info": "note"}
_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")


def render(report: Report, rules: Mapping[str, type[Rule]], **options: Any) -> str:
    return json.dumps(document(report, rules), indent=2) + "\n"


def document(report: Report, rules: Mapping[str, type[Rule]]) -> dict[str, Any]:
    """The SARIF log as Python data."""
    from egresslint import __version__

    ids = sorted(set(rules) | {f.rule_id for f in report.findings})
    index = {rule_id: i for i, rule_id in enumerate(ids)}
    driver = {
        "name": "egresslint",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": INFORMATION_URI,
        "rules": [_descriptor(rule_id, rules.get(rule_id)) for rule_id in ids],
    }
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [_notification(n) for n in report.notifications],
            }
        ],
        "originalUriBaseIds": {SRCROOT: {"uri": root_uri(report.root)}},
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, report, index[f.rule_id]) for f in report.findings],
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


# --------------------------------------------------------------------------- rules


def _descriptor(rule_id: str, rule: type[Rule] | None) -> dict[str, Any]:
    if rule is None:  # a finding of a rule whose metadata was not given (should not happen)
        return {"id": rule_id, "shortDescription": {"text": rule_id}}
    summary = _attr(rule, "summary") or rule_id
    rationale = _attr(rule, "rationale") or summary
    sources = tuple(getattr(rule, "sources", ()) or ())
    severity = getattr(rule, "severity", Severity.WARNING)
    descriptor: dict[str, Any] = {
        "id": rule_id,
        "name": _attr(rule, "name") or rule_id,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": rationale},
        "help": {"text": help_text(rule), "markdown": help_markdown(rule)},
    }
    if sources:
        descriptor["helpUri"] = sources[0]
    descriptor["defaultConfiguration"] = {"level": _LEVELS.get(severity, "warning")}
    descriptor["properties"] = {
        "tags": list(getattr(rule, "tags", ()) or ()),
        "precision": _attr(rule, "precision") or "high",
        "security-severity": rule.security_severity(),
    }
    return descriptor


def _attr(rule: type[Rule], name: str) -> str:
    return str(getattr(rule, name, "") or "").strip()


def help_text(rule: type[Rule]) -> str:
    """Plain-text help: rationale, evaluation order, example, fix, references."""
    parts = [_attr(rule, "rationale") or _attr(rule, "summary")]
    if evaluation := _attr(rule, "evaluation"):
        parts.append("Evaluation order:\n" + evaluation)
    if example := _attr(rule, "example"):
        parts.append("Example:\n" + _indent(example))
    if fix := _attr(rule, "fix"):
        parts.append("Use instead:\n" + _indent(fix))
    if sources := tuple(getattr(rule, "sources", ()) or ()):
        parts.append("References:\n" + "\n".join(f"- {url}" for url in sources))
    return "\n\n".join(p for p in parts if p)


def help_markdown(rule: type[Rule]) -> str:
    """Markdown help: rationale, evaluation order, then example and fix as fenced code, then
    references."""
    parts = [_attr(rule, "rationale") or _attr(rule, "summary")]
    if evaluation := _attr(rule, "evaluation"):
        parts.append("**Evaluation order**\n\n" + evaluation)
    if example := _attr(rule, "example"):
        parts.append("**Example**\n\n" + _fenced(example))
    if fix := _attr(rule, "fix"):
        parts.append("**Use instead**\n\n" + _fenced(fix))
    if sources := tuple(getattr(rule, "sources", ()) or ()):
        parts.append("**References**\n\n" + "\n".join(f"- <{url}>" for url in sources))
    return "\n\n".join(p for p in parts if p)


def _indent(text: str) -> str:
    return "\n".join(("    " + line) if line.strip() else "" for line in text.splitlines())


def _fenced(snippet: str) -> str:
    """A snippet as a fenced code block; text that already holds fences is kept as it is."""
    if "```" in snippet:
        return snippet
    stripped = snippet.lstrip()
    if stripped.startswith(("{", "[")):
        lang = "json"
    elif re.match(r"^(apiVersion|kind|metadata|resources|require|forbid)\s*:", stripped):
        lang = "yaml"
    elif re.search(r"(^|\n)\s*(az|kubectl|helm)\s", snippet) or stripped.startswith(("#", "$")):
        lang = "bash"
    else:
        lang = ""
    return f"```{lang}\n{snippet.rstrip()}\n```"


# --------------------------------------------------------------------------- results


def _result(finding: Finding, report: Report, rule_index: int) -> dict[str, Any]:
    loc = finding.location
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVELS.get(finding.severity, "warning"),
        "message": _message(finding),
        "locations": [{"physicalLocation": _physical(loc)}],
    }
    if finding.related:
        result["relatedLocations"] = [
            {
                "id": i,
                "physicalLocation": _physical(r.location),
                "message": {"text": r.message or "related"},
            }
            for i, r in enumerate(finding.related, start=1)
        ]
    result["partialFingerprints"] = {
        FINGERPRINT_KEY: finding.fingerprint(report.source_line(loc.file, loc.line))
    }
    if finding.fix:
        result["properties"] = {"fix": finding.fix}
    return result


def _message(finding: Finding) -> dict[str, str]:
    """The result's message. A finding's fix (commands that add a missing rule) is a snippet
    to adapt, not an exact edit, so it is not a SARIF ``fixes[]`` entry (those are byte-exact
    ``artifactChanges``): it follows the message, after a blank line, in ``text`` (GitHub code
    scanning shows the text and titles the alert with its first sentence, which stays the
    finding's) and as a fenced code block in ``markdown`` for viewers that render Markdown (a
    SARIF message with ``markdown`` keeps its ``text``), and as ``properties.fix`` for programs."""
    text = finding.message or finding.rule_id
    if not finding.fix:
        return {"text": text}
    return {
        "text": f"{text}\n\nFix:\n{finding.fix}",
        "markdown": f"{_escape_markdown(text)}\n\n**Fix**\n\n{_fenced(finding.fix)}",
    }


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def _escape_markdown(text: str) -> str:
    """Plain text that renders as itself in Markdown (names like ``*`` or ``rg_1`` included)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _physical(loc: Location) -> dict[str, Any]:
    return {"artifactLocation": artifact_location(loc.file), "region": region(loc)}


def region(loc: Location) -> dict[str, int]:
    """SARIF region of a location. An unknown end becomes one character at the start; an
    end that would make the region empty or inverted is pushed one past the start."""
    start_line = max(loc.line, 1)
    start_column = max(loc.column, 1)
    end_line, end_column = start_line, start_column + 1
    if loc.end_column is not None:
        if loc.end_line is not None and loc.end_line > start_line:
            end_line, end_column = loc.end_line, max(loc.end_column, 1)
        else:
            end_column = max(loc.end_column, start_column + 1)
    return {
        "startLine": start_line,
        "startColumn": start_column,
        "endLine": end_line,
        "endColumn": end_column,
    }


def artifact_location(path: str) -> dict[str, str]:
    """A repo-relative POSIX path as a URI relative to ``%SRCROOT%``; an absolute path (a file
    outside the project) as a ``file:`` URI. Never empty; spaces and non-ASCII characters are
    percent-encoded."""
    posix = path.replace("\\", "/")
    if posix.startswith("/") or _WINDOWS_ABSOLUTE.match(posix):
        if not posix.startswith("/"):
            posix = "/" + posix
        return {"uri": "file://" + quote(posix, safe="/:")}
    while posix.startswith("./"):
        posix = posix[2:]
    return {"uri": quote(posix, safe="/") or ".", "uriBaseId": SRCROOT}


def root_uri(root: str) -> str:
    """``file:`` URI of the project root, with the trailing slash SARIF requires of a base."""
    uri = Path(root or ".").resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _notification(note: Notification) -> dict[str, Any]:
    out: dict[str, Any] = {
        "level": _NOTIFICATION_LEVELS.get(note.level.lower(), "warning"),
        "message": {"text": note.message or note.level},
    }
    if note.file:
        out["locations"] = [
            {"physicalLocation": {"artifactLocation": artifact_location(note.file)}}
        ]
    return out
