"""The command line: exit codes, formats, selection, configuration, explain/rules."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from egresslint import __version__
from egresslint.cli import main

BAD = "az network route-table route create -g rg --route-table-name rt -n d --address-prefix 0.0.0.0/0 --next-hop-type VirtualAppliance\n"
TYPO = "az aks create -g rg -n aks –outbound-type loadBalancer\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "route.sh").write_text(BAD, encoding="utf-8")
    (tmp_path / "infra" / "typo.sh").write_text(TYPO, encoding="utf-8")
    (tmp_path / "infra" / "clean.sh").write_text("az group create -n rg -l westeurope\n", encoding="utf-8")
    return tmp_path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"egresslint {__version__}"


def test_findings_exit_1_with_positions(project, capsys):
    code, out, _ = run(capsys, "scan", str(project / "infra"))
    assert code == 1
    assert "infra/route.sh:1:97: EGL005 error:" in out
    assert "infra/typo.sh:1:28: EGL002 error:" in out
    assert out.rstrip().splitlines()[-1].startswith("Found 2 findings")


def test_clean_exit_0(project, capsys):
    code, out, _ = run(capsys, "scan", str(project / "infra" / "clean.sh"))
    assert code == 0


def test_fail_on_and_ignore(project, capsys):
    assert run(capsys, "scan", str(project), "--ignore", "EGL002,EGL005")[0] == 0
    assert run(capsys, "scan", str(project), "--select", "EGL0")[0] == 1
    assert run(capsys, "scan", str(project), "--select", "typographic-punctuation")[0] == 1
    assert run(capsys, "scan", str(project), "--select", "EGL1")[0] == 0


def test_usage_errors_exit_2(project, capsys):
    assert run(capsys, "scan", str(project), "--select", "NOPE999")[0] == 2
    with pytest.raises(SystemExit) as exc:
        main(["scan", "--format", "xml"])
    assert exc.value.code == 2


def test_config_errors_exit_2(project, capsys):
    (project / ".egresslint.yaml").write_text("selekt: [EGL1]\n", encoding="utf-8")
    code, _, err = run(capsys, "scan", str(project))
    assert code == 2 and "unknown key 'selekt'" in err
    (project / ".egresslint.yaml").write_text("fail-on: loud\n", encoding="utf-8")
    code, _, err = run(capsys, "scan", str(project))
    assert code == 2 and "'fail-on'" in err


def test_config_file_applies(project, capsys):
    (project / ".egresslint.yaml").write_text("ignore: [EGL002]\nper-file-ignores:\n  'infra/route.sh': [EGL005]\n",
                                              encoding="utf-8")
    assert run(capsys, "scan", str(project))[0] == 0
    code, out, _ = run(capsys, "scan", str(project), "--show-config")
    assert code == 0 and json.loads(out)["ignore"] == ["EGL002"]


def test_pyproject_config(project, capsys):
    (project / "pyproject.toml").write_text("[tool.egresslint]\nfail-on = 'error'\nignore = ['EGL002', 'EGL005']\n",
                                            encoding="utf-8")
    assert run(capsys, "scan", str(project))[0] == 0


def test_files_given_report_only_those(project, capsys):
    code, out, _ = run(capsys, "scan", str(project / "infra" / "typo.sh"))
    assert code == 1 and "EGL002" in out and "EGL005" not in out


def test_json_format(project, capsys):
    code, out, _ = run(capsys, "scan", str(project), "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert {f["rule"] for f in data["findings"]} == {"EGL002", "EGL005"}


def test_sarif_to_file(project, capsys, tmp_path):
    target = tmp_path / "out.sarif"
    code, out, _ = run(capsys, "scan", str(project), "--format", "sarif", "--output", str(target))
    assert code == 1 and out == ""
    assert json.loads(target.read_text())["version"] == "2.1.0"


def test_rules_and_explain(capsys):
    code, out, _ = run(capsys, "rules")
    assert code == 0 and "EGL102  default-route-next-hop" in out
    code, out, _ = run(capsys, "explain", "EGL102")
    assert code == 0 and "Why is this bad?" in out and "Use instead" in out
    code, out, _ = run(capsys, "explain", "default-route-next-hop", "--format", "markdown")
    assert code == 0 and out.startswith("# EGL102 default-route-next-hop")
    assert run(capsys, "explain", "EGL999")[0] == 2


def test_missing_path_is_a_notice_not_a_crash(capsys, tmp_path):
    code, out, _ = run(capsys, "scan", str(tmp_path / "nope"))
    assert code == 0 and "no such file" in out


def test_module_entry_point_and_startup():
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "egresslint", "--version"], capture_output=True, text=True,
                          cwd=ROOT, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == f"egresslint {__version__}"
    assert time.perf_counter() - started < 5  # a sanity bound, not a benchmark (see benchmarks/)
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "egresslint", "--version"],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    heavy = [m for m in ("lark", "yaml", "jmespath", "egresslint.engine", "egresslint.inventory")
             if f" {m}\n" in proc.stderr + "\n"]
    assert not heavy, f"--version imports {heavy}"


def test_baseline_round_trip(project, capsys, tmp_path):
    base = tmp_path / "baseline.json"
    assert run(capsys, "scan", str(project), "--write-baseline", str(base))[0] == 0
    assert len(json.loads(base.read_text())["findings"]) == 2
    code, out, _ = run(capsys, "scan", str(project), "--baseline", str(base))
    assert code == 0 and "2 suppressed" in out
    (project / "infra" / "new.sh").write_text("az aks create -g rg -n aks2 —outbound-type none\n", encoding="utf-8")
    code, out, _ = run(capsys, "scan", str(project), "--baseline", str(base))
    assert code == 1 and "new.sh" in out and "route.sh" not in out
    base.write_text("{oops", encoding="utf-8")
    assert run(capsys, "scan", str(project), "--baseline", str(base))[0] == 2


def test_fingerprints_survive_lines_added_above(project, capsys, tmp_path):
    base = tmp_path / "baseline.json"
    run(capsys, "scan", str(project), "--write-baseline", str(base))
    route = project / "infra" / "route.sh"
    route.write_text("# a new comment\naz group create -n rg -l westeurope\n" + route.read_text(), encoding="utf-8")
    assert run(capsys, "scan", str(project), "--baseline", str(base))[0] == 0
