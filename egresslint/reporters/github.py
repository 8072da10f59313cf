"""GitHub Actions workflow commands: one annotation per finding.

    ::error file=infra/aks.sh,line=12,col=5,endLine=12,endColumn=20,title=EGL102 ...::message

``warning`` findings become ``::warning``, ``info`` findings ``::notice``. Related places are
appended to the message as ``note:`` lines, a fix as ``help:`` (like the text format). Values are escaped as the Actions runner expects
(``%``, CR and LF everywhere; ``:`` and ``,`` in properties as well).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from egresslint.checks.base import Rule
    from egresslint.findings import Finding
    from egresslint.model import Location
    from egresslint.report import Notification, Report

_COMMANDS = {"error": "error", "warning": "warning", "info": "notice", "note": "notice"}


def render(report: Report, rules: Mapping[str, type[Rule]], **options: Any) -> str:
    lines = [_notification(n) for n in report.notifications]
    lines.extend(_finding(f, rules) for f in report.findings)
    return "".join(line + "\n" for line in lines)


def escape_data(text: str) -> str:
    """Escape a command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command property value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: Mapping[str, object], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def _finding(finding: Finding, rules: Mapping[str, type[Rule]]) -> str:
    rule = rules.get(finding.rule_id)
    name = getattr(rule, "name", "")
    title = f"{finding.rule_id} {name}" if name else finding.rule_id
    message = finding.message
    for rel in finding.related:
        loc = rel.location
        message += f"\nnote: {loc.file}:{loc.line}:{loc.column}: {rel.message}"
    if finding.fix:
        message += f"\nhelp: {finding.fix}"
    props = _position(finding.location)
    props["title"] = title
    return command(_COMMANDS.get(finding.severity.label, "warning"), props, message)


def _position(loc: Location) -> dict[str, object]:
    """``file``, ``line``, ``col``, ``endLine``, ``endColumn``; GitHub accepts columns only
    for a region within one line, so a multi-line region keeps its lines only."""
    props: dict[str, object] = {"file": loc.file, "line": loc.line}
    if loc.end_line is not None and loc.end_line > loc.line:
        props["endLine"] = loc.end_line
        return props
    props["col"] = loc.column
    props["endLine"] = loc.line
    if loc.end_column is not None and loc.end_column > loc.column:
        props["endColumn"] = loc.end_column
    return props


def _notification(note: Notification) -> str:
    props: dict[str, object] = {"file": note.file} if note.file else {}
    props["title"] = "egresslint"
    return command(_COMMANDS.get(note.level.lower(), "warning"), props, note.message)
