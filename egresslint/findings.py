"""Findings: what a rule (or a frontend, for input problems) reports.

Plain frozen data; reporters are pure functions of these plus rule metadata.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import IntEnum

from egresslint.model import Location, pickle_by_fields


class Severity(IntEnum):
    """Ordered so that ``severity >= threshold`` reads naturally."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (use error, warning or info)") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Related:
    """Another place involved in a finding (the firewall, the subnet, the other rule)."""

    __reduce__ = pickle_by_fields

    location: Location
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    __reduce__ = pickle_by_fields

    rule_id: str
    message: str
    severity: Severity
    location: Location
    related: tuple[Related, ...] = ()
    # Stable identity of what the finding is about (e.g. "route:rg/rt/default"); part of the
    # fingerprint so that findings survive unrelated edits above them.
    subject: str = ""
    fix: str = field(default="", compare=False)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.file, loc.line, loc.column, self.rule_id, self.message)

    def fingerprint(self, source_line: str = "") -> str:
        """Hash of rule, file, structural path, subject and normalized source text; never the
        line number, so a finding keeps its fingerprint when lines are added above it."""
        loc = self.location
        parts = [
            self.rule_id,
            loc.file,
            # positions (a command's index, an array index) shift when lines are added above;
            # the names in the path and the subject say what the finding is about
            "/".join(str(p) for p in loc.path if not isinstance(p, int)),
            self.subject,
            " ".join(source_line.split()),
        ]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
