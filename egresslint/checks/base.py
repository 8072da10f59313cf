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
    from egresslint.model import Operation, Resource

RULE_ID = re.compile(r"^[A-Z]{2,}[0-9]{3}$")
RULE_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class Rule:
    """Base class of every rule. Subclasses set the metadata and implement :meth:`check`."""

    id: ClassVar[str]
    name: ClassVar[str]  # kebab slug of the flagged pattern
    severity: ClassVar[Severity]
    summary: ClassVar[str]  # one line: what it flags
    rationale: ClassVar[str]  # why it is bad (prose)
    # how Azure decides what the rule reasons about (firewall/NSG evaluation order), with a worked
    # example: the rule's verdicts only make sense against that order, so explain shows it
    evaluation: ClassVar[str] = ""
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
        fix: str = "",
    ) -> Finding:
        """``fix``: what to run for this very finding (an az snippet), shown as help."""
        return Finding(
            rule_id=self.id,
            message=message,
            severity=severity or self.severity,
            location=location,
            related=tuple(related),
            subject=subject,
            fix=fix,
        )

    @classmethod
    def security_severity(cls) -> str:
        """SARIF ``security-severity`` (a number as a string, as GitHub expects)."""
        return {Severity.ERROR: "8.0", Severity.WARNING: "5.0", Severity.INFO: "2.0"}[cls.severity]


def from_script(op: Operation | None) -> bool:
    """Whether ``op`` came from an az command (a script or a Markdown command block), so a
    message about what it did names az flags; templates and exports name JSON properties."""
    return op is not None and op.command.startswith("az ")


def setter(res: Resource, field_name: str | None = None) -> Operation | None:
    """The operation that last set ``field_name`` on ``res`` (the one that created it when
    ``field_name`` is None or never set): the file a message about that setting points into."""
    if field_name is not None:
        op = next((o for o in reversed(res.history) if field_name in o.changes), None)
        if op is not None:
            return op
    return res.history[0] if res.history else None


def spelled(op: Operation | None, flag: str, prop: str) -> str:
    """One setting named in the language of the file a finding points into: the az flag
    (``--vnet-subnet-id``) for scripts, the ARM property path (``agentPoolProfiles[].vnetSubnetID``)
    for templates and exports."""
    return flag if from_script(op) else prop


def related(location: Location | None, message: str) -> Iterator[Related]:
    """Zero or one Related, for building ``related=`` lists from optional locations."""
    if location is not None:
        yield Related(location, message)
