"""Start-up (issue 8): a one-file scan imports only what its file kinds need, the rule data is
read without PyYAML, and the plugin lookup (no importlib.metadata) finds what
importlib.metadata finds, including a plugin installed since the last run.

Not timing tests (timings are noisy on shared machines): each asserts which modules a scan
imported, or that two lookups agree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest
from conftest import FIXTURES, assert_literals_only

from egresslint import registry, resources, rule_data

# Run in a fresh interpreter as the command line runs (main() without arguments), then list
# the modules the scan imported.
_PROBE = textwrap.dedent("""
    import contextlib, gc, io, json, sys
    sys.argv = ["egresslint", "scan", sys.argv[1], "--no-cache", "--format", "sarif"]
    from egresslint.cli import main
    with contextlib.redirect_stdout(io.StringIO()):
        code = main()
    print(json.dumps({"code": code, "modules": sorted(sys.modules), "gc": gc.isenabled()}))
""")

# Modules that cost start-up and that no scan of a template or a script needs.
_NEVER = ("yaml", "importlib.metadata", "egresslint.frontends.markdown", "egresslint.frontends.kubernetes")
_SHELL = ("egresslint.frontends.shell", "egresslint.frontends.azcli", "egresslint.frontends.azcommands")
_ARM = ("egresslint.frontends.arm", "egresslint.frontends.armexpr", "egresslint.frontends.jsonpos")


def _scan_modules(tmp_path: Path, source: Path, name: str) -> set[str]:
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    shutil.copy(source, project / name)
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(project / name)], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result["code"] in (0, 1), proc.stderr
    assert result["gc"], "the collector paused for start-up was not enabled again"
    return set(result["modules"])


def test_template_scan_imports_no_yaml_no_shell_frontend(tmp_path: Path):
    # a cluster behind a firewall: the rules read the requirements catalog and the limits
    modules = _scan_modules(tmp_path, FIXTURES / "arm" / "cluster.json", "cluster.json")
    assert "egresslint.frontends.arm" in modules  # the probe did scan the template
    assert not modules & {*_NEVER, *_SHELL}, sorted(modules & {*_NEVER, *_SHELL})


def test_script_scan_imports_no_yaml_no_arm_frontend(tmp_path: Path):
    # no resource IDs: a script passing one (--vnet-subnet-id) reads it with the ARM frontend
    modules = _scan_modules(tmp_path, FIXTURES / "rules" / "EGL103" / "bad.sh", "deploy.sh")
    assert "egresslint.frontends.shell" in modules
    assert not modules & {*_NEVER, *_ARM}, sorted(modules & {*_NEVER, *_ARM})


def test_main_with_arguments_leaves_the_collector_alone(tmp_path: Path):
    """Called with arguments (tests, embedding), main() neither pauses nor freezes the
    collector: that is for the process's own command line only."""
    import gc

    from egresslint.cli import main

    (tmp_path / ".git").mkdir()
    (tmp_path / "deploy.sh").write_text("az group create -n rg -l westeurope\n", encoding="utf-8")
    frozen = gc.get_freeze_count()
    assert main(["scan", str(tmp_path / "deploy.sh"), "--no-cache", "--format", "json"]) in (0, 1)
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_manifest_scan_imports_yaml(tmp_path: Path):
    """The probe sees an import when there is one: a Kubernetes manifest needs PyYAML."""
    modules = _scan_modules(tmp_path, FIXTURES / "k8s" / "services.yaml", "services.yaml")
    assert "yaml" in modules and "egresslint.frontends.kubernetes" in modules


# --------------------------------------------------------------------------- rule data


def test_rule_data_is_fresh():
    assert not resources.stale_rule_data(), (
        f"egresslint/rule_data.py was not generated from the current rules/ for "
        f"{resources.stale_rule_data()}: run python -m egresslint.resources")


def test_rule_data_is_what_the_yaml_parses_to():
    for name, entry in rule_data.DATA.items():
        assert entry["data"] == resources._parse_yaml(resources.read_text("rules", name)), name


def test_rule_data_module_holds_only_literals():
    assert_literals_only(rule_data.__file__)


def test_stale_rule_data_falls_back_to_the_yaml(monkeypatch: pytest.MonkeyPatch):
    name = "azure-limits.yaml"
    original = resources.read_text
    edited = original("rules", name) + "\nextra-key-of-this-test: 1\n"
    monkeypatch.setattr(resources, "read_text", lambda folder, n: edited if n == name else original(folder, n))
    resources.load_yaml.cache_clear()
    try:
        data = resources.load_yaml(name)
        assert isinstance(data, dict) and data["extra-key-of-this-test"] == 1
        assert resources.stale_rule_data() == [name]
    finally:
        resources.load_yaml.cache_clear()


def test_missing_rule_data_falls_back_to_the_yaml(monkeypatch: pytest.MonkeyPatch):
    """A copy of the sources without the generated file (pre-commit try-repo copies only
    tracked files) still reads the rule data."""
    import egresslint

    monkeypatch.setitem(sys.modules, "egresslint.rule_data", None)  # import raises ImportError
    monkeypatch.delattr(egresslint, "rule_data")
    parsed: list[str] = []
    parse = resources._parse_yaml
    monkeypatch.setattr(resources, "_parse_yaml", lambda text: parsed.append(text) or parse(text))
    resources.load_yaml.cache_clear()
    try:
        name = "azure-limits.yaml"
        assert resources.load_yaml(name) == rule_data.DATA[name]["data"]
        assert parsed == [resources.read_text("rules", name)]
        assert name in resources.stale_rule_data()
    finally:
        resources.load_yaml.cache_clear()


# --------------------------------------------------------------------------- plugins


@pytest.mark.parametrize("group", ["egresslint.rules", "console_scripts", "pytest11"])
def test_entry_points_match_importlib_metadata(group: str, monkeypatch: pytest.MonkeyPatch):
    expected = [(ep.name, ep.value, ep.dist.name if ep.dist else None) for ep in metadata.entry_points(group=group)]

    def fail(**params: object) -> None:
        raise AssertionError("the folders on sys.path were not read: importlib.metadata was asked")

    monkeypatch.setattr(metadata, "entry_points", fail)
    assert [(ep.name, ep.value, ep.distribution()) for ep in registry.entry_points(group)] == expected


_PLUGIN = '''
from egresslint.checks.base import Rule
from egresslint.findings import Severity


class AcmeRule(Rule):
    id = "ACME001"
    name = "acme-example"
    severity = Severity.INFO
    summary = "An example plugin rule."
    rationale = "Shows that plugins load."
    sources = ("https://example.com/acme",)

    def check(self, inventory):
        return ()


RULES = (AcmeRule,)
'''


def _install(site: Path, dist: str, module: str, value: str, code: str = _PLUGIN) -> None:
    """A distribution as pip installs one: the module and ``<dist>-1.0.dist-info``."""
    (site / f"{module}.py").write_text(code, encoding="utf-8")
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        f"[console_scripts]\nacme = {module}:main\n\n# a comment\n[egresslint.rules]\n{dist} = {value}\n",
        encoding="utf-8")


def _fresh_registry() -> registry.Registry:
    registry.load.cache_clear()
    try:
        return registry.load()
    finally:
        registry.load.cache_clear()
        sys.modules.pop("acme_rules", None)  # each test installs its own copy


def test_plugin_rules_and_broken_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    site = tmp_path / "site"
    site.mkdir()
    _install(site, "acme-rules", "acme_rules", "acme_rules:RULES")
    _install(site, "broken-rules", "broken_rules", "broken_rules:RULES", "raise ImportError('no such thing')\n")
    monkeypatch.syspath_prepend(str(site))
    reg = _fresh_registry()
    assert "ACME001" in reg.rules and "EGL101" in reg.rules
    assert reg.errors == ["plugin 'broken-rules' from broken-rules failed to load: no such thing"]
    assert sorted(ep.name for ep in registry.entry_points(registry.GROUP, [str(site)])) == [
        "acme-rules", "broken-rules"]


def test_first_distribution_of_a_name_on_the_path_wins(tmp_path: Path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    _install(first, "acme-rules", "acme_rules", "acme_rules:RULES")
    _install(second, "Acme.Rules", "acme_other", "acme_other:RULES")  # the same name, normalized
    found = registry.entry_points(registry.GROUP, [str(first), str(second)])
    assert [ep.value for ep in found] == ["acme_rules:RULES"]


def test_plugin_installed_since_the_last_run_is_found(tmp_path: Path):
    site = tmp_path / "site"
    site.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}

    def rule_ids() -> list[str]:
        proc = subprocess.run([sys.executable, "-m", "egresslint", "rules", "--format", "json"], capture_output=True,
                              text=True, cwd=tmp_path, env=env, timeout=120, check=True)
        return [r["id"] for r in json.loads(proc.stdout)]

    assert "ACME001" not in rule_ids()
    _install(site, "acme-rules", "acme_rules", "acme_rules:RULES")
    assert "ACME001" in rule_ids()


def test_plugin_in_a_zip_on_the_path_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A zip file on sys.path (zipimport) is left to importlib.metadata, which reads zips."""
    import zipfile

    site = tmp_path / "site"
    site.mkdir()
    _install(site, "acme-rules", "acme_rules", "acme_rules:RULES")
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(site.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(site).as_posix())
    monkeypatch.syspath_prepend(str(archive))
    assert "ACME001" in _fresh_registry().rules
