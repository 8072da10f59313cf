"""Frontends: one module per input format, each ``load(SourceFile) -> FrontendResult``.

Frontends know syntax and the az command table; they know no rules. Input problems they
find (parse errors, typographic punctuation, unknown flags...) are returned as Findings of
the EGL0xx rules, whose metadata lives in ``egresslint.checks.input``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from egresslint.findings import Finding
from egresslint.model import Operation

FileKind = Literal["script", "arm", "export", "kubernetes", "markdown", "json", "yaml"]


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to scan. ``path`` is the display path (relative to the project root, POSIX
    separators); ``text`` its decoded content; ``kind`` what discovery decided it is
    (``json``/``yaml`` are sniffed further by the frontends)."""

    path: str
    text: str
    kind: FileKind
    dialect: str | None = None  # for scripts: "bash" or "powershell"


@dataclass
class FrontendResult:
    operations: list[Operation] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # Facts a frontend learned that are not resources: e.g. a script deploying an ARM template
    # into a resource group (`az deployment group create -g RG --template-file F`).
    facts: dict[str, object] = field(default_factory=dict)
    skipped: str | None = None  # reason when the file was not for this frontend (silent skip)
    # The file's suppression comments (``# egresslint: ignore[...]``), read from its text by the
    # engine, not by a frontend: cached with the result, so a re-scan applies the suppressions
    # of unchanged files without reading them again.
    suppressions: list[Any] = field(default_factory=list)
