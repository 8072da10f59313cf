"""Parallel parsing and the parse cache change nothing in the output; a tampered cache entry
is never unpickled."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from generate import generate

from egresslint.cache import Cache
from egresslint.config import Config
from egresslint.engine import scan
from egresslint.registry import load
from egresslint.reporters import render


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bench")
    generate(root / "corpus", 120)
    return root


def sarif(root: Path, **overrides) -> str:
    report = scan([root / "corpus"], Config(**overrides), root=root)
    return render("sarif", report, load().rules)


def test_jobs_and_cache_give_byte_identical_output(corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    serial = sarif(corpus, jobs=1)
    assert sarif(corpus, jobs=2) == serial
    assert sarif(corpus, jobs=2, cache=True) == serial  # cold: fills the cache
    assert (corpus / ".egresslint_cache").is_dir()
    assert sarif(corpus, jobs=1, cache=True) == serial  # warm


def test_tampered_cache_entries_are_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    cache = Cache(tmp_path)
    key = cache.key("a.sh", "script", "bash", "az group create -n rg")
    cache.put(key, {"ok": 1})
    assert cache.get(key) == {"ok": 1}
    entry = tmp_path / ".egresslint_cache" / key[:2] / key
    entry.write_bytes(b"\x00" * 32 + b"cos\nsystem\n(S'echo pwned'\ntR.")
    assert cache.get(key) is None
