"""Paths named on the command line versus exclusion (ruff's semantics): a named file or folder
is scanned even where exclude/extend-exclude would leave it out, unless --force-exclude (or
``force-exclude: true``), which pre-commit hooks pass; what a folder walk meets below the named
folder is always excluded. The summary counts the files asked about, not the project around
them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from egresslint.cli import main
from egresslint.files import discover, force_excluded
from egresslint.report import Notification

TYPO = "az aks create -g rg -n aks –outbound-type loadBalancer\n"  # EGL002 at 1:28
CLEAN = "az group create -n rg -l westeurope\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    # pyproject.toml, not .egresslint.yaml: a YAML configuration is itself a scanned file
    (tmp_path / "pyproject.toml").write_text(
        "[tool.egresslint]\nexclude = ['generated']\nextend-exclude = ['./legacy/']\n", encoding="utf-8")
    for rel, text in {"infra/clean.sh": CLEAN, "infra/generated/typo.sh": TYPO, "generated/typo.sh": TYPO,
                      "legacy/typo.sh": TYPO, "vendor/typo.sh": TYPO}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    return tmp_path


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(["scan", "--no-cache", *args])
    return code, capsys.readouterr().out


def summary(out: str) -> str:
    return out.rstrip().splitlines()[-1]


def test_walk_excludes_by_path_and_by_name(project, capsys):
    code, out = run(capsys, str(project))
    assert code == 0, out
    # generated/ by path, infra/generated/ by name, legacy/ by the normalised './legacy/', vendor/ built in
    assert summary(out) == "No findings in 1 file."


def test_named_file_is_scanned_even_when_excluded(project, capsys):
    for rel in ("generated/typo.sh", "infra/generated/typo.sh", "legacy/typo.sh", "vendor/typo.sh"):
        code, out = run(capsys, str(project / rel))
        assert code == 1 and f"{rel}:1:28: EGL002" in out, out
        # the project around it is analysed (infra/clean.sh), the count is of the file asked about
        assert summary(out).endswith("in 1 file (2 files of the project analysed)."), out


def test_force_exclude_applies_exclusions_to_named_files(project, capsys):
    for rel in ("generated/typo.sh", "infra/generated/typo.sh", "legacy/typo.sh", "vendor/typo.sh"):
        code, out = run(capsys, "--force-exclude", str(project / rel))
        assert code == 0 and "EGL002" not in out, out
        assert "every file given is excluded" in out
        assert summary(out) == "No findings in 0 files."


def test_force_exclude_keeps_the_files_not_excluded(project, capsys):
    (project / "infra" / "typo.sh").write_text(TYPO, encoding="utf-8")
    code, out = run(capsys, "--force-exclude", str(project / "generated" / "typo.sh"),
                    str(project / "infra" / "typo.sh"))
    assert code == 1 and "infra/typo.sh:1:28: EGL002" in out and "generated/typo.sh" not in out
    assert summary(out) == "Found 1 finding (1 error) in 1 file (2 files of the project analysed)."


def test_force_exclude_from_configuration_and_its_negation(project, capsys):
    (project / ".egresslint.yaml").write_text("exclude: [generated]\nforce-exclude: true\n", encoding="utf-8")
    named = str(project / "generated" / "typo.sh")
    assert run(capsys, named)[0] == 0
    code, out = run(capsys, "--no-force-exclude", named)
    assert code == 1 and "generated/typo.sh:1:28: EGL002" in out
    code, out = run(capsys, str(project), "--show-config")
    assert json.loads(out)["force-exclude"] is True


def test_force_exclude_must_be_a_boolean(project, capsys):
    (project / ".egresslint.yaml").write_text("force-exclude: sometimes\n", encoding="utf-8")
    assert main(["scan", str(project)]) == 2
    assert "'force-exclude' must be true or false" in capsys.readouterr().err


def test_named_folder_is_walked_with_exclusions_below_it(project, capsys):
    # the named folder itself is excluded: it is walked anyway, like a named file
    code, out = run(capsys, str(project / "generated"))
    assert code == 1 and "generated/typo.sh:1:28: EGL002" in out
    assert summary(out) == "Found 1 finding (1 error) in 1 file."
    code, out = run(capsys, "--force-exclude", str(project / "generated"))
    assert code == 0 and summary(out) == "No findings in 0 files."
    # below the named folder the excludes apply: infra/generated/ is left out
    code, out = run(capsys, str(project / "infra"))
    assert code == 0 and summary(out) == "No findings in 1 file."


def test_gitignore_does_not_apply_to_named_files(project, capsys):
    """As in ruff: pre-commit passes only tracked files, and a tracked file that .gitignore
    matches was added on purpose (git add -f)."""
    (project / ".gitignore").write_text("infra/ignored.sh\n", encoding="utf-8")
    (project / "infra" / "ignored.sh").write_text(TYPO, encoding="utf-8")
    assert summary(run(capsys, str(project))[1]) == "No findings in 1 file."
    code, out = run(capsys, "--force-exclude", str(project / "infra" / "ignored.sh"))
    assert code == 1 and "infra/ignored.sh:1:28: EGL002" in out


def test_json_summary_counts_the_files_asked_about(project, capsys):
    code, out = run(capsys, "--format", "json", str(project / "generated" / "typo.sh"))
    doc = json.loads(out)
    assert code == 1
    assert doc["summary"]["files"] == 1 and doc["summary"]["analysed_files"] == 2
    code, out = run(capsys, "--format", "json", str(project))
    doc = json.loads(out)
    assert doc["summary"]["files"] == doc["summary"]["analysed_files"] == 1


def test_force_excluded_semantics():
    patterns = ("generated", "docs/*.md")
    assert force_excluded("generated/a.sh", patterns)  # a folder above it, by path
    assert force_excluded("infra/generated/deep/a.sh", patterns)  # a folder above it, by name
    assert force_excluded("docs/runbook.md", patterns)
    assert force_excluded(".venv/lib/a.sh", patterns)  # a folder no walk enters
    assert not force_excluded("infra/a.sh", patterns)
    assert not force_excluded(".", patterns)  # the root itself
    assert not force_excluded("../elsewhere/a.sh", ("..", ".*"))  # outside the root: only real names count


def test_library_discover_honours_force_exclude(project):
    notes: list[Notification] = []
    named = [project / "generated" / "typo.sh", project / "infra" / "clean.sh"]
    shown = [c.display for c in discover(named, project, notes, ("generated",))]
    assert shown == ["generated/typo.sh", "infra/clean.sh"]
    shown = [c.display for c in discover(named, project, notes, ("generated",), force_exclude=True)]
    assert shown == ["infra/clean.sh"] and notes == []


def test_precommit_hooks_force_exclusions():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hooks and all("--force-exclude" in hook["entry"].split() for hook in hooks)


def test_tool_configuration_files_are_not_inputs(tmp_path):
    """`.egresslint.yaml` and pre-commit's files are YAML but never infrastructure: they are
    neither scanned nor counted."""
    from egresslint.files import classify

    for name in (".egresslint.yaml", ".pre-commit-config.yaml", ".pre-commit-hooks.yaml"):
        (tmp_path / name).write_text("repos: []\n", encoding="utf-8")
        assert classify(tmp_path / name) is None, name
    (tmp_path / "service.yaml").write_text("kind: Service\n", encoding="utf-8")
    assert classify(tmp_path / "service.yaml") == ("yaml", None)
