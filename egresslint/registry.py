"""Rule discovery: the ``egresslint.rules`` entry-point group (built-in rules included).

An entry point names an iterable of Rule classes. Plugins load sorted by name; a plugin that
fails to load is reported as a notification naming its package, never a crash.

The group is read from the ``entry_points.txt`` of the distributions on ``sys.path``
(:func:`entry_points`), as ``importlib.metadata.entry_points(group=...)`` finds them:
importing ``importlib.metadata`` and parsing every distribution's metadata was ~15 ms of each
start-up, this reads one small file per distribution. Nothing is cached between runs, so a
plugin installed since the last run is found.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field
from typing import NamedTuple

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


class EntryPoint(NamedTuple):
    """One entry point of the group: ``name = value`` in the ``entry_points.txt`` of the
    distribution whose metadata folder is ``folder`` (None when ``importlib.metadata`` found it,
    then ``package`` is its name)."""

    name: str
    value: str
    folder: str | None = None
    package: str | None = None

    def load(self) -> object:
        """The object ``value`` names, as ``importlib.metadata.EntryPoint.load`` imports it:
        ``module``, ``module:attr`` or ``module:obj.attr``, optionally followed by ``[extras]``."""
        import re
        from importlib import import_module

        match = re.match(r"([\w.]+)\s*(?::\s*([\w.]+)\s*)?(?:\[.*\]\s*)?$", self.value)
        if match is None:
            raise ValueError(f"malformed entry point {self.value!r}")
        obj: object = import_module(match[1])
        for attr in filter(None, (match[2] or "").split(".")):
            obj = getattr(obj, attr)
        return obj

    def distribution(self) -> str:
        """The distribution's name (its metadata's ``Name:``), for error messages."""
        if self.package is not None or self.folder is None:
            return self.package or self.value
        for meta in ("METADATA", "PKG-INFO"):
            try:
                with open(os.path.join(self.folder, meta), encoding="utf-8") as f:
                    for line in f:
                        if line.startswith("Name:"):
                            return line[5:].strip()
                        if not line.strip():
                            break  # end of the headers
            except OSError:
                continue
        return self.value


def entry_points(group: str, path: list[str] | None = None) -> list[EntryPoint]:
    """The entry points of ``group`` that ``importlib.metadata.entry_points(group=group)`` lists,
    in its order: the ``*.dist-info`` and ``*.egg-info`` folders (and an ``.egg``'s
    ``EGG-INFO``) of each ``sys.path`` folder in turn, the first distribution of each name
    only. A zip file on the path, or a meta-path finder that knows distributions of its own,
    is left to ``importlib.metadata`` itself."""
    from importlib.machinery import PathFinder

    roots: list[str] = []
    for entry in sys.path if path is None else path:
        try:
            root = os.fspath(entry) or "."
        except TypeError:
            continue
        if isinstance(root, str):
            roots.append(root)
    if any(getattr(finder, "find_distributions", None) is not None and finder is not PathFinder
           for finder in sys.meta_path) or any(os.path.isfile(root) for root in roots):
        from importlib import metadata

        return [EntryPoint(ep.name, ep.value, None, ep.dist.name if ep.dist is not None else None)
                for ep in metadata.entry_points(group=group)]
    seen: set[str] = set()
    found: list[EntryPoint] = []
    for root in roots:
        try:
            children = os.listdir(root)
        except OSError:
            continue
        base = os.path.basename(root).lower()
        infos: dict[str, list[str]] = {}  # grouped by name in order met, as importlib's Lookup
        eggs: list[str] = []
        for child in children:
            low = child.lower()
            if low.endswith((".dist-info", ".egg-info")):
                infos.setdefault(_normalize(low.rpartition(".")[0].partition("-")[0]), []).append(child)
            elif low == "egg-info" and base.endswith(".egg"):
                eggs.append(child)
        folders = [(name, child) for name, children_ in infos.items() for child in children_]
        folders += [(None, child) for child in eggs]
        for name, child in folders:
            folder = os.path.join(root, child)
            if name is None:  # EGG-INFO: the name is in the metadata
                name = _normalize(EntryPoint("", "", folder).distribution())
            if name in seen:
                continue  # shadowed by a distribution earlier on the path
            seen.add(name)
            try:
                with open(os.path.join(folder, "entry_points.txt"), encoding="utf-8") as f:
                    text = f.read()
            except (OSError, UnicodeDecodeError):
                continue
            found.extend(EntryPoint(n, v, folder) for n, v in _group(text, group))
    return found


def _normalize(name: str) -> str:
    """A distribution name as importlib.metadata compares them (PEP 503, dashes as underscores)."""
    import re

    return re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")


def _group(text: str, group: str) -> list[tuple[str, str]]:
    """``(name, value)`` pairs of section ``[group]`` of an ``entry_points.txt``, read as
    importlib.metadata reads it (``#`` comments, ``name = value`` lines)."""
    pairs: list[tuple[str, str]] = []
    section = None
    for line in map(str.strip, text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
        elif section == group:
            name, _eq, value = line.partition("=")
            pairs.append((name.strip(), value.strip()))
    return pairs


@functools.cache
def load() -> Registry:
    reg = Registry()
    found_builtin = False
    for ep in sorted(entry_points(GROUP), key=lambda e: e.name):
        try:
            rules = ep.load()
            origin = f"plugin '{ep.name}' ({ep.value})"
            for rule in rules:  # type: ignore[attr-defined]
                _add(reg, rule, origin)
            found_builtin |= ep.value.startswith("egresslint.checks")
        except Exception as exc:  # a broken plugin must not break the scan
            reg.errors.append(f"plugin '{ep.name}' from {ep.distribution()} failed to load: {exc}")
    if not found_builtin:  # running from a source tree that was not installed
        from egresslint.checks import BUILTIN_RULES

        for rule in BUILTIN_RULES:
            _add(reg, rule, "builtin")
    reg.rules = dict(sorted(reg.rules.items()))
    return reg
