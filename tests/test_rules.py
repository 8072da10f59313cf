"""Every registered rule against its fixtures: bad fixtures fire at exactly the marked lines,
good fixtures do not fire. A rule without fixtures fails the suite.

Markers: a trailing ``# expect: EGL102`` (several: ``# expect: EGL102, EGL004``) on the line a
finding must point at; for JSON/YAML (no comments) or lines that cannot carry a comment, a
sidecar ``<fixture>.expected`` with lines ``LINE RULE`` or ``LINE:COL RULE``.

A scenario that needs several files (a Kubernetes manifest and the template of its cluster) is a
folder ``bad-<name>/`` or ``good-<name>/``, scanned as a whole; every file in it carries its own
markers or sidecar.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import FIXTURES

from egresslint.config import Config
from egresslint.engine import scan
from egresslint.registry import load

RULE_DIR = FIXTURES / "rules"
MARK = re.compile(r"#\s*expect:\s*((?:[A-Z]+\d{3}\s*,?\s*)+)\s*$")
SUFFIXES = {".sh", ".ps1", ".json", ".yaml", ".yml", ".md", ".azcli"}


def fixture_files(kind: str) -> list[Path]:
    """``<kind>*.<suffix>`` files and ``<kind>-<name>/`` folders of every rule."""
    return sorted(p for p in RULE_DIR.glob(f"*/{kind}*")
                  if (p.is_file() and p.suffix in SUFFIXES) or (p.is_dir() and p.name.startswith(f"{kind}-")))


def scan_root(fixture: Path) -> Path:
    return fixture if fixture.is_dir() else fixture.parent


def members(fixture: Path) -> list[Path]:
    if fixture.is_dir():
        return sorted(p for p in fixture.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
    return [fixture]


def expectations(fixture: Path) -> dict[tuple[str, int], set[str]]:
    """(file relative to the scan root, line) -> rule IDs that must be reported there."""
    out: dict[tuple[str, int], set[str]] = defaultdict(set)
    for path in members(fixture):
        name = path.relative_to(scan_root(fixture)).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            m = MARK.search(line)
            if m:
                out[name, number].update(r.strip() for r in m.group(1).split(",") if r.strip())
        sidecar = path.with_suffix(path.suffix + ".expected")
        if sidecar.is_file():
            for line in sidecar.read_text(encoding="utf-8").splitlines():
                if line.strip() and not line.startswith("#"):
                    where, rule = line.split()
                    out[name, int(where.split(":")[0])].add(rule)
    return out


def findings_of(fixture: Path):
    pack = fixture.parent / "pack.yaml"
    config = Config(packs=(str(pack),)) if pack.is_file() else Config()
    return scan([fixture], config, root=scan_root(fixture)).findings


def test_every_rule_has_good_and_bad_fixtures():
    missing = []
    for rule_id in load().rules:
        folder = RULE_DIR / rule_id
        if not list(folder.glob("bad.*")) or not list(folder.glob("good.*")):
            missing.append(rule_id)
    assert not missing, f"rules without good and bad fixtures: {missing}"


@pytest.mark.parametrize("path", fixture_files("bad"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_bad_fixture_fires_at_marked_lines(path: Path):
    rule_id = path.parent.name
    expected = expectations(path)
    assert any(rule_id in rules for rules in expected.values()), f"{path} marks no line with {rule_id}"
    findings = findings_of(path)
    for rid in {r for rules in expected.values() for r in rules}:
        got = sorted({(f.location.file, f.location.line) for f in findings if f.rule_id == rid})
        want = sorted(where for where, rules in expected.items() if rid in rules)
        assert got == want, f"{rid} reported at {got}, expected {want}:\n" + "\n".join(
            f"  {f.location.file}:{f.location.line}:{f.location.column} {f.rule_id} {f.message}" for f in findings)
    if rule_id != "EGL001":
        assert not [f for f in findings if f.rule_id == "EGL001"], "bad fixtures must parse"


@pytest.mark.parametrize("path", fixture_files("good"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_good_fixture_is_clean(path: Path):
    rule_id = path.parent.name
    findings = findings_of(path)
    offending = [f for f in findings if f.rule_id in (rule_id, "EGL001")]
    assert not offending, "\n".join(f"{f.location.file}:{f.location.line}:{f.location.column} {f.rule_id} "
                                    f"{f.message}" for f in offending)
