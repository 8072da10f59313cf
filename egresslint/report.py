"""The result of a scan, as reporters receive it."""

from __future__ import annotations

from dataclasses import dataclass, field

from egresslint.findings import Finding


@dataclass(frozen=True, slots=True)
class Notification:
    """A tool-level notice (a file that could not be read, a skipped file, a plugin that
    failed to load). Not a finding: SARIF puts these under ``invocations``."""

    level: str  # "error", "warning", "note"
    message: str
    file: str | None = None


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)  # sorted, filtered
    files: list[str] = field(default_factory=list)  # display paths scanned
    # the files given by name, when the project was analysed around them and findings limited
    # to them (``Config.only_files``); None when every scanned file is reported on
    targets: list[str] | None = None
    notifications: list[Notification] = field(default_factory=list)
    root: str = "."  # the project root paths are relative to
    sources: dict[str, str] = field(default_factory=dict)  # display path -> text (for excerpts)
    suppressed: int = 0
    elapsed: float = 0.0

    @property
    def reported_files(self) -> list[str]:
        """The files findings are reported for: the targets, else every scanned file."""
        return self.files if self.targets is None else self.targets

    def source_line(self, file: str, line: int) -> str:
        text = self.sources.get(file)
        if text is None:
            return ""
        lines = text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""
