"""The rule contract: metadata as class attributes next to the logic, ``check()`` yields Findings.

A rule reads the Inventory and never parses text. Its metadata feeds ``egresslint rules``,
``egresslint explain``, the README table, ``docs/rules/*.md`` and SARIF, so they cannot drift.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, ClassVar

from egresslint.findings import Finding, Related, Severity
from egresslint.model import Location

if TYPE_CHECKING:
    from egresslint.inventory import Inventory

RULE_ID = re.compile(r"^[A-Z]{2,}[0-9]{3}$")
RULE_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class Rule:
    """Base class of every rule. Subclasses set the metadata and implement :meth:`check`."""

    id: ClassVar[str]
    name: ClassVar[str]  # kebab slug of the flagged pattern
    severity: ClassVar[Severity]
    summary: ClassVar[str]  # one line: what it flags
    rationale: ClassVar[str]  # why it is bad (prose)
    example: ClassVar[str] = ""  # a bad snippet (az CLI, or ARM)
    fix: ClassVar[str] = ""  # what to do instead, with a correct snippet
    sources: ClassVar[tuple[str, ...]] = ()  # Azure documentation URLs
    applies_to: ClassVar[tuple[str, ...]] = ()  # model kinds it reads
    tags: ClassVar[tuple[str, ...]] = ()
    precision: ClassVar[str] = "high"  # SARIF precision: very-high, high, medium, low

    def check(self, inventory: Inventory) -> Iterable[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- helpers for subclasses -------------------------------------------------------------
    def finding(
        self,
        message: str,
        location: Location,
        related: Iterable[Related] = (),
        subject: str = "",
        severity: Severity | None = None,
    ) -> Finding:
        return Finding(
            rule_id=self.id,
            message=message,
            severity=severity or self.severity,
            location=location,
            related=tuple(related),
            subject=subject,
        )

    @classmethod
    def security_severity(cls) -> str:
        """SARIF ``security-severity`` (a number as a string, as GitHub expects)."""
        return {Severity.ERROR: "8.0", Severity.WARNING: "5.0", Severity.INFO: "2.0"}[cls.severity]


def related(location: Location | None, message: str) -> Iterator[Related]:
    """Zero or one Related, for building ``related=`` lists from optional locations."""
    if location is not None:
        yield Related(location, message)
