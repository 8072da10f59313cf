"""Packaging: the built wheel carries the code, the grammars and the data packs, and works when
installed into a fresh virtualenv (console script, resources, entry points, a real scan).

Slow (it builds an sdist and a wheel and installs the wheel with its dependencies from the
package index): deselect with ``-m "not slow"``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import egresslint

REPO = Path(__file__).resolve().parents[1]
BIN = "Scripts" if os.name == "nt" else "bin"

pytestmark = pytest.mark.slow

# What a checkout may hold that is not part of the project (copied trees stay small and clean).
_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".hypothesis",
    ".benchmarks",
    "*.pyc",
)

SCRIPT = """\
#!/usr/bin/env bash
set -euo pipefail
az group create -n rg-aks -l westeurope
az network vnet create -g rg-aks -n vnet --address-prefixes 10.42.0.0/16 \\
  --subnet-name aks --subnet-prefixes 10.42.0.0/22
az network route-table create -g rg-aks -n rt-aks
az network route-table route create -g rg-aks --route-table-name rt-aks -n default \\
  --address-prefix 0.0.0.0/0 --next-hop-type Internet
az network vnet subnet update -g rg-aks --vnet-name vnet -n aks --route-table rt-aks
SUBNET_ID=$(az network vnet subnet show -g rg-aks --vnet-name vnet -n aks --query id -o tsv)
az aks create -g rg-aks -n aks --outbound-type userDefinedRouting --vnet-subnet-id "$SUBNET_ID"
"""


def _run(args: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONIOENCODING="utf-8")
    return subprocess.run(
        args,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _check(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, (
        f"{proc.args} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    )
    return proc


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdist and wheel built from a clean copy of the checkout (the wheel from the sdist, as
    ``python -m build`` does), so the build leaves nothing in the working tree."""
    work = tmp_path_factory.mktemp("pkg")
    src = work / "src"
    shutil.copytree(REPO, src, ignore=_IGNORE)
    out = work / "dist"
    _check(_run([sys.executable, "-m", "build", "--outdir", str(out), str(src)], cwd=work))
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    (whl,) = dist.glob("egresslint-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel installed; its dependencies come from the index, so
    the declared dependencies are tested too."""
    root = tmp_path_factory.mktemp("venv") / "env"
    _check(_run([sys.executable, "-m", "venv", str(root)], cwd=root.parent))
    _check(_run([str(root / BIN / "python"), "-m", "pip", "install", str(wheel)], cwd=root.parent))
    return root


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def test_wheel_name_and_version(wheel: Path):
    assert wheel.name.startswith(f"egresslint-{egresslint.__version__}-py3-none-any")


def test_wheel_ships_grammars_and_data_packs(wheel: Path):
    names = _names(wheel)
    grammars = {n for n in names if n.startswith("egresslint/grammar/") and n.endswith(".lark")}
    packs = {n for n in names if n.startswith("egresslint/rules/") and n.endswith(".yaml")}
    assert grammars, "no egresslint/grammar/*.lark in the wheel"
    assert packs, "no egresslint/rules/*.yaml in the wheel"
    for folder in ("grammar", "rules"):
        for path in (REPO / folder).rglob("*"):
            if path.suffix in (".lark", ".yaml", ".json") and "__pycache__" not in path.parts:
                rel = path.relative_to(REPO / folder).as_posix()
                assert f"egresslint/{folder}/{rel}" in names, f"{folder}/{rel} is not in the wheel"
    assert not any(n.startswith(("grammar/", "rules/", "tests/")) for n in names)


def test_wheel_ships_every_module(wheel: Path):
    """pyproject.toml lists packages explicitly: a new subpackage must be added there."""
    names = _names(wheel)
    missing = sorted(
        path.relative_to(REPO).as_posix()
        for path in (REPO / "egresslint").rglob("*.py")
        if "__pycache__" not in path.parts and path.relative_to(REPO).as_posix() not in names
    )
    assert not missing, (
        f"not in the wheel (add the package to [tool.setuptools] packages): {missing}"
    )


def test_wheel_metadata(wheel: Path):
    with zipfile.ZipFile(wheel) as zf:
        dist_info = next(
            n.split("/")[0] for n in zf.namelist() if n.endswith(".dist-info/METADATA")
        )
        metadata = zf.read(f"{dist_info}/METADATA").decode()
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
    assert "Requires-Python: >=3.10" in metadata
    for dep in ("lark>=1.1", "pyyaml>=6", "jmespath>=1.0"):
        assert f"Requires-Dist: {dep}" in metadata
    assert "egresslint = egresslint.cli:main" in entry_points
    assert "[egresslint.rules]" in entry_points
    assert "builtin = egresslint.checks:BUILTIN_RULES" in entry_points


def test_sdist_carries_grammar_and_rules(dist: Path):
    import tarfile

    (sdist,) = dist.glob("egresslint-*.tar.gz")
    with tarfile.open(sdist) as tf:
        names = tf.getnames()
    assert any("/grammar/" in n and n.endswith(".lark") for n in names)
    assert any("/rules/" in n and n.endswith(".yaml") for n in names)


def test_installed_version(venv: Path, tmp_path: Path):
    proc = _check(_run([str(venv / BIN / "egresslint"), "--version"], cwd=tmp_path))
    assert proc.stdout.strip() == f"egresslint {egresslint.__version__}"
    proc = _check(_run([str(venv / BIN / "python"), "-m", "egresslint", "--version"], cwd=tmp_path))
    assert proc.stdout.strip() == f"egresslint {egresslint.__version__}"


def test_installed_resources_and_plugins(venv: Path, tmp_path: Path):
    """Grammars and packs are read from the installed package (not a checkout), and the
    built-in rules load through the entry-point group."""
    code = (
        "import importlib.resources as r, importlib.metadata as m\n"
        "import egresslint.resources as res\n"
        "g = r.files('egresslint.grammar'); p = r.files('egresslint.rules')\n"
        "lark = sorted(x.name for x in g.iterdir() if x.name.endswith('.lark'))\n"
        "yaml = sorted(x.name for x in p.iterdir() if x.name.endswith('.yaml'))\n"
        "assert lark and yaml, (lark, yaml)\n"
        "assert res.read_text('grammar', lark[0]).strip()\n"
        "assert res.load_yaml(yaml[0]) is not None\n"
        "(ep,) = [e for e in m.entry_points(group='egresslint.rules') if e.name == 'builtin']\n"
        "rules = list(ep.load())\n"
        "assert rules, 'BUILTIN_RULES is empty'\n"
        "print(str(g), len(rules))\n"
    )
    proc = _check(_run([str(venv / BIN / "python"), "-c", code], cwd=tmp_path))
    assert str(venv) in proc.stdout, "resources did not come from the installed wheel"


def test_installed_scan(venv: Path, tmp_path: Path):
    project = tmp_path / "project with space"
    project.mkdir()
    (project / "aks.sh").write_text(SCRIPT, encoding="utf-8")
    proc = _run([str(venv / BIN / "egresslint"), "scan", str(project)], cwd=tmp_path)
    output = f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    if "Traceback" in output:
        pytest.fail(f"the installed egresslint crashed:\n{output}")
    assert proc.returncode in (0, 1), output
    assert "aks.sh" in proc.stdout or "No findings in 1 file" in proc.stdout, output


def test_installed_grammar_tables(venv: Path, tmp_path: Path):
    """The wheel carries the pre-built LALR tables and the installed package uses them (not a
    run-time build of the grammar: that is most of a one-file scan's start-up)."""
    code = (
        "import lark, sys\n"
        "from egresslint.frontends import grammars, grammar_tables, shell, armexpr\n"
        "if grammar_tables.LARK_VERSION != lark.__version__: sys.exit(77)  # tables for another lark\n"
        "assert not grammars.stale(), grammars.stale()\n"
        "def built(*a, **k): raise AssertionError('grammar built at run time')\n"
        "grammars.build = built\n"
        "assert shell.parse('az group create -n rg -l westeurope\\n', 'bash').items\n"
        "assert armexpr.parse(\"concat('a', 'b')\")\n"
        "print(grammars.__file__)\n"
    )
    proc = _run([str(venv / BIN / "python"), "-c", code], cwd=tmp_path)
    if proc.returncode == 77:
        pytest.skip("the venv got another lark than the tables were built with (see test_grammar_tables)")
    _check(proc)
    assert str(venv) in proc.stdout, "grammars did not come from the installed wheel"
