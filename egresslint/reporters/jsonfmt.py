"""Machine-readable JSON output (``--format json``), schema version 1.

The schema is documented in ``docs/output-formats.md``. It is stable: keys are never renamed
or removed within a schema version, and every key is always present (``null`` where a value
is unknown). New keys may be added; consumers should ignore keys they do not know.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from egresslint.reporters import severity_counts

if TYPE_CHECKING:
    from egresslint.checks.base import Rule
    from egresslint.findings import Finding
    from egresslint.model import Location
    from egresslint.report import Report

SCHEMA_VERSION = 1


def render(report: Report, rules: Mapping[str, type[Rule]], **options: Any) -> str:
    return json.dumps(document(report, rules), indent=2) + "\n"


def document(report: Report, rules: Mapping[str, type[Rule]]) -> dict[str, Any]:
    """The JSON document as Python data (key order is part of the format)."""
    from egresslint import __version__

    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "egresslint", "version": __version__},
        "summary": {
            "files": len(report.reported_files),
            "findings": len(report.findings),
            "by_severity": severity_counts(report),
            "suppressed": report.suppressed,
            "analysed_files": len(report.files),
        },
        "findings": [_finding(f, report, rules) for f in report.findings],
        "notifications": [
            {"level": n.level, "message": n.message, "file": n.file} for n in report.notifications
        ],
    }


def _finding(finding: Finding, report: Report, rules: Mapping[str, type[Rule]]) -> dict[str, Any]:
    rule = rules.get(finding.rule_id)
    loc = finding.location
    return {
        "rule": finding.rule_id,
        "name": getattr(rule, "name", None),
        "severity": finding.severity.label,
        "message": finding.message,
        "location": _location(loc),
        "related": [
            {"message": r.message, "location": _location(r.location)} for r in finding.related
        ],
        "fingerprint": finding.fingerprint(report.source_line(loc.file, loc.line)),
        "fix": finding.fix or None,
    }


def _location(loc: Location) -> dict[str, Any]:
    return {
        "file": loc.file,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
    }
