"""The stat index: a re-scan reads only the files whose stat changed (issue 8: the unchanged
re-run of a 5,000-file project spent most of its time reading and hashing every file).

A file is trusted unread only when its size, times, inode and device are those recorded and it
was last changed well before the record (git's "racily clean" rule): these tests shrink that
margin to nothing where they need a trusted file, and keep it where they check the margin.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from egresslint import engine
from egresslint.cache import Cache
from egresslint.config import Config
from egresslint.registry import load
from egresslint.reporters import render


@pytest.fixture
def project(generated_project: Path) -> Path:
    return generated_project


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """Display paths of every file the engine reads."""
    seen: list[str] = []
    real = engine.read

    def counting(cand, *args, **kwargs):
        seen.append(cand.display)
        return real(cand, *args, **kwargs)

    monkeypatch.setattr(engine, "read", counting)
    monkeypatch.setattr("egresslint.files.read", counting)  # the lazy texts of Sources
    return seen


def scan(root: Path, *files: str, **overrides) -> tuple[str, str]:
    only = frozenset(files) if files else None
    report = engine.scan([root, *(root / f for f in files)], Config(jobs=1, only_files=only, **overrides), root=root)
    rules = load().rules
    return render("sarif", report, rules), render("text", report, rules)


def test_unchanged_files_are_not_read_again(project, reads, monkeypatch):
    monkeypatch.setattr(engine, "_RACY_NS", 0)
    fresh = scan(project)
    assert scan(project, cache=True) == fresh  # records every file's stat
    reads.clear()
    assert scan(project, cache=True) == fresh
    # only the files a finding is shown from are read (for their excerpts), never all of them
    total = len(list(project.rglob("*.*")))
    assert len(reads) < total / 2, (len(reads), total)


def test_an_edit_of_the_same_size_is_seen(project, reads, monkeypatch):
    monkeypatch.setattr(engine, "_RACY_NS", 0)
    scan(project, cache=True)
    scan(project, cache=True)
    script = sorted(project.rglob("deploy*.sh"))[0]
    text = script.read_text(encoding="utf-8")
    edited = text.replace("--next-hop-ip-address $FW_PRIVATE_IP", "--next-hop-ip-address 10.250.250.250")
    edited += "#" * (len(text) - len(edited))  # same size: only the change time tells
    assert len(edited) == len(text) and edited != text
    script.write_text(edited, encoding="utf-8")
    reads.clear()
    rel = script.relative_to(project).as_posix()
    assert scan(project, cache=True) == scan(project)
    assert rel in reads
    assert rel in scan(project, cache=True)[0]


def test_a_file_changed_just_before_the_record_is_read_again(project, reads):
    # the default margin: every file of the fixture was written moments ago, so none is trusted
    scan(project, cache=True)
    reads.clear()
    scan(project, cache=True)
    assert len(reads) >= len([p for p in project.rglob("*.*") if p.is_file()]) - 1


def test_a_vouched_file_whose_result_left_the_cache_is_parsed_again(project, reads, monkeypatch):
    monkeypatch.setattr(engine, "_RACY_NS", 0)
    fresh = scan(project)
    scan(project, cache=True)
    folder = project / ".egresslint_cache"
    index = Cache.key(str(folder), "stat-index", None, "", Config().max_file_size)
    # everything but the stat index gone (the parse results and the project analysis): a
    # re-scan must read, parse and key the files again, not trust the index to name a result
    for entry in folder.rglob("*"):
        if entry.is_file() and entry.name not in (index, ".gitignore"):
            entry.unlink()
    assert (folder / index[:2] / index).is_file()
    reads.clear()
    assert scan(project, cache=True) == fresh
    assert len(reads) >= 25
    assert scan(project, cache=True) == fresh


def test_scoped_scan_reports_the_same_with_the_index(project, monkeypatch):
    monkeypatch.setattr(engine, "_RACY_NS", 0)
    rel = sorted(p.relative_to(project).as_posix() for p in project.rglob("deploy*.sh"))[0]
    expected = scan(project, rel)
    scan(project, cache=True)
    assert scan(project, rel, cache=True) == expected
    assert scan(project, rel, cache=True) == expected


def test_a_lower_size_limit_is_not_bypassed_by_the_index(project, monkeypatch):
    monkeypatch.setattr(engine, "_RACY_NS", 0)
    scan(project, cache=True)
    scan(project, cache=True)
    biggest = max((p for p in project.rglob("*.json")), key=lambda p: p.stat().st_size)
    limit = biggest.stat().st_size - 1
    sarif, text = scan(project, cache=True, max_file_size=limit)
    assert (sarif, text) == scan(project, max_file_size=limit)
    assert "over --max-file-size" in text


def test_a_file_gone_before_its_text_is_asked_for_shows_no_excerpt(tmp_path):
    from egresslint.files import Candidate, Sources

    gone = tmp_path / "deploy.sh"
    gone.write_text("az group create -n rg -l westeurope\n", encoding="utf-8")
    sources = Sources()
    sources.defer(Candidate(gone, "deploy.sh", "script", "bash"))
    sources["kept.sh"] = "echo\n"
    gone.unlink()  # deleted during the scan, after the stat index vouched for it
    assert sources["deploy.sh"] == "" and sources.get("kept.sh") == "echo\n"
    assert list(sources) == ["deploy.sh", "kept.sh"] and len(sources) == 2
