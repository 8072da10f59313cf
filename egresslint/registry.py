"""Rule discovery: the ``egresslint.rules`` entry-point group (built-in rules included).

An entry point names an iterable of Rule classes. Plugins load sorted by name; a plugin that
fails to load is reported as a notification naming its package, never a crash.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from egresslint.checks.base import RULE_ID, RULE_NAME, Rule

GROUP = "egresslint.rules"
# Retired rule IDs are never reused (tombstones).
RETIRED: frozenset[str] = frozenset()


@dataclass
class Registry:
    rules: dict[str, type[Rule]] = field(default_factory=dict)  # id -> class, sorted by id
    by_name: dict[str, str] = field(default_factory=dict)  # name -> id
    errors: list[str] = field(default_factory=list)

    def resolve(self, token: str) -> list[str]:
        """Rule IDs matching an ID, an ID prefix (``EGL1``) or a rule name; [] when none."""
        token = token.strip()
        if token in self.by_name:
            return [self.by_name[token]]
        upper = token.upper()
        return [rid for rid in self.rules if rid.startswith(upper)]


def _add(reg: Registry, rule: object, origin: str) -> None:
    if not (isinstance(rule, type) and issubclass(rule, Rule)):
        reg.errors.append(f"{origin}: {rule!r} is not a Rule class")
        return
    rid = getattr(rule, "id", "")
    if not RULE_ID.match(rid) or not RULE_NAME.match(getattr(rule, "name", "")):
        reg.errors.append(f"{origin}: rule {rid!r} has a malformed id or name")
        return
    if rid in RETIRED:
        reg.errors.append(f"{origin}: rule id {rid} is retired and cannot be reused")
        return
    if rid in reg.rules and reg.rules[rid] is not rule:
        reg.errors.append(f"{origin}: rule id {rid} is already registered")
        return
    reg.rules[rid] = rule
    reg.by_name[rule.name] = rid


@functools.cache
def load() -> Registry:
    from importlib.metadata import entry_points

    reg = Registry()
    found_builtin = False
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        try:
            rules = ep.load()
            origin = f"plugin '{ep.name}' ({ep.value})"
            for rule in rules:
                _add(reg, rule, origin)
            found_builtin |= ep.value.startswith("egresslint.checks")
        except Exception as exc:  # a broken plugin must not break the scan
            package = ep.dist.name if getattr(ep, "dist", None) else ep.value
            reg.errors.append(f"plugin '{ep.name}' from {package} failed to load: {exc}")
    if not found_builtin:  # running from a source tree that was not installed
        from egresslint.checks import BUILTIN_RULES

        for rule in BUILTIN_RULES:
            _add(reg, rule, "builtin")
    reg.rules = dict(sorted(reg.rules.items()))
    return reg
