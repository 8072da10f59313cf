"""Reporters: pure functions ``render(report, rules, **options) -> str``.

``rules`` maps a rule id to its :class:`~egresslint.checks.base.Rule` class (for metadata).
Modules are imported only when a format is asked for, so start-up stays light.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from egresslint.checks.base import Rule
    from egresslint.report import Report

    Renderer = Callable[..., str]

FORMATS = ("text", "json", "sarif", "github")

# format name -> module under egresslint.reporters ("jsonfmt": no shadowing of the stdlib json)
_MODULES = {"text": "text", "json": "jsonfmt", "sarif": "sarif", "github": "github"}


def get(name: str) -> Renderer:
    """The ``render`` function of format ``name`` (one of :data:`FORMATS`)."""
    try:
        module = _MODULES[name]
    except KeyError:
        raise ValueError(f"unknown output format {name!r} (use {', '.join(FORMATS)})") from None
    return importlib.import_module(f"{__name__}.{module}").render


def render(name: str, report: Report, rules: Mapping[str, type[Rule]], **options: Any) -> str:
    """Shortcut for ``get(name)(report, rules, **options)``."""
    return get(name)(report, rules, **options)


def severity_counts(report: Report) -> dict[str, int]:
    """Findings per severity label, always with the keys error, warning, info in that order."""
    counts = {"error": 0, "warning": 0, "info": 0}
    for finding in report.findings:
        label = finding.severity.label
        counts[label] = counts.get(label, 0) + 1
    return counts
