"""Shared test setup: strict mode (internal errors raise), the hypothesis profiles, and the location of ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

os.environ["EGRESSLINT_STRICT"] = "1"

# Property tests in CI: derandomized (the same examples on every run, so a red build reproduces
# locally with HYPOTHESIS_PROFILE=ci) and without an example database (nothing written to the
# checkout). Locally hypothesis keeps its defaults: random exploration and a database.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default"))


def assert_literals_only(module_file: str) -> None:
    """A generated module is a docstring and ``NAME = literal`` assignments: reading it runs no
    code (unlike a pickle), so a modified copy cannot execute anything."""
    import ast

    tree = ast.parse(Path(module_file).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Expr):
            assert isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
            continue
        assert isinstance(node, ast.Assign), ast.dump(node)[:200]
        ast.literal_eval(node.value)


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the test where it is absent (a user's clone)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared is only next to the project in CI)")
    return path


@pytest.fixture
def generated_project(tmp_path: Path, monkeypatch) -> Path:
    """A 25-file project from the benchmark generator, with its own user cache key, and a file
    that is only a notice (binary, skipped), so replays must repeat notices too."""
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    root = tmp_path / "repo"
    generate(root, 25)
    (root / ".git").mkdir()
    (root / "team00" / "blob.sh").write_bytes(b"\x00\x01\x02binary")
    return root
