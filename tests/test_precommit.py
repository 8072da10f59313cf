"""The real pre-commit runs the hook from this repository (`pre-commit try-repo`): a broken
script is refused with its finding, a fixed one passes, and a finding in an untouched file does
not block a commit of another file."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"})


def try_repo(cwd: Path, home: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    return subprocess.run(["pre-commit", "try-repo", str(ROOT), "egresslint", "--files", *files],
                          cwd=cwd, capture_output=True, text=True, env=env, timeout=600, check=False)


def test_precommit_hook(tmp_path: Path):
    if shutil.which("pre-commit") is None or not (ROOT / ".git").exists():
        pytest.skip("pre-commit or the project's git checkout is not available")
    repo = tmp_path / "infra-repo"
    (repo / "scripts").mkdir(parents=True)
    git(repo, "init", "-q")
    broken = repo / "scripts" / "deploy.sh"
    broken_text = "az aks create -g rg -n aks –outbound-type loadBalancer\n"
    broken.write_text(broken_text, encoding="utf-8")
    (repo / "scripts" / "legacy.sh").write_text(
        "az network route-table route create -g rg --route-table-name rt -n d --address-prefix 0.0.0.0/0 "
        "--next-hop-type VirtualAppliance\n", encoding="utf-8")
    git(repo, "add", ".")
    home = tmp_path / "pre-commit-home"

    refused = try_repo(repo, home, "scripts/deploy.sh")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "scripts/deploy.sh:1:28: EGL002" in refused.stdout
    assert "legacy.sh" not in refused.stdout  # findings elsewhere are not reported

    broken.write_text("az aks create -g rg -n aks --outbound-type loadBalancer\n", encoding="utf-8")
    fixed = try_repo(repo, home, "scripts/deploy.sh")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr

    # pre-commit names every changed file: the hook's --force-exclude keeps the project's
    # excludes in force for them
    (repo / ".egresslint.yaml").write_text("exclude: [generated]\n", encoding="utf-8")
    (repo / "generated").mkdir()
    (repo / "generated" / "out.sh").write_text(broken_text, encoding="utf-8")
    git(repo, "add", ".")
    excluded = try_repo(repo, home, "generated/out.sh")
    assert excluded.returncode == 0, excluded.stdout + excluded.stderr
    assert "EGL002" not in excluded.stdout
