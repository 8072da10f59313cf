"""Cross-format identity (issue 4, scope 6): a script's ``az deployment group create -g RG
--template-file F --parameters ...`` makes F's ``resourceGroup()`` RG and binds its parameters,
so a VNet from a template, a firewall from an export and a cluster from a script are one graph."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES

from egresslint.config import Config
from egresslint.engine import bind_deployments, scan
from egresslint.files import Candidate
from egresslint.frontends import SourceFile, arm, azcli

PROJECTS = FIXTURES / "projects"
SPOKE_SCRIPT = (PROJECTS / "deployed-spoke" / "deploy.sh").read_text(encoding="utf-8")


def findings(root: Path, **config) -> list[tuple[str, int, str, str]]:
    report = scan([root], Config(**{"cache": False, **config}), root=root)
    return [(f.location.file, f.location.line, f.rule_id, f.message) for f in report.findings]


def rules(root: Path, **config) -> set[str]:
    return {rule for _file, _line, rule, _msg in findings(root, **config)}


def project(tmp_path: Path, script: str, name: str = "deploy.sh") -> Path:
    """A copy of the deployed-spoke project whose script is ``script``."""
    root = tmp_path / "p"
    shutil.copytree(PROJECTS / "deployed-spoke", root)
    (root / "deploy.sh").unlink()
    (root / name).write_text(script, encoding="utf-8")
    return root


def test_template_export_and_script_join_through_the_deployment():
    found = findings(PROJECTS / "deployed-spoke")
    # the firewall comes from the export; it is on the cluster's path only because the
    # template's subnet (group rg-spoke by the deployment) routes to the IP the script passes
    assert ("hub-firewall.json", 1, "EGL202") in {f[:3] for f in found}, found
    assert any("cluster 'aks-spoke'" in f[3] for f in found if f[2] == "EGL202")
    assert not [f for f in found if f[2] == "EGL001"]


def test_template_in_another_group_does_not_join():
    found = findings(PROJECTS / "deployed-elsewhere")
    assert not [f for f in found if f[2] in ("EGL202", "EGL201", "EGL101")], found


def test_without_the_deployment_the_default_parameter_applies(tmp_path):
    # the default next hop (10.200.0.4) is no firewall: nothing to check on the firewall
    script = SPOKE_SCRIPT.replace(" --parameters firewallIp=10.0.1.4", "")
    assert "EGL202" not in rules(project(tmp_path, script))


def test_parameters_file_and_later_words_override(tmp_path):
    script = SPOKE_SCRIPT.replace("--parameters firewallIp=10.0.1.4",
                                  "--parameters @prod.parameters.json -p firewallIp=10.0.1.4")
    root = project(tmp_path, script)
    (root / "prod.parameters.json").write_text(
        '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",'
        ' "contentVersion": "1.0.0.0", "parameters": {"firewallIp": {"value": "10.9.9.9"}}}', encoding="utf-8")
    assert "EGL202" in rules(root)  # the k=v word comes later and wins
    (root / "deploy.sh").write_text(SPOKE_SCRIPT.replace("firewallIp=10.0.1.4", "@prod.parameters.json"),
                                    encoding="utf-8")
    assert "EGL202" not in rules(root)  # the file's 10.9.9.9 is no firewall


def test_unknown_parameter_word_is_unknown_not_the_default(tmp_path):
    root = project(tmp_path, SPOKE_SCRIPT.replace("firewallIp=10.0.1.4", "firewallIp=$FW_IP"))
    found = findings(root)
    assert not [f for f in found if f[2] in ("EGL202", "EGL102")], found
    info = [f for f in found if f[2] == "EGL004" and f[0] == "spoke.json"]
    assert info and "set by --parameters firewallIp=$FW_IP" in info[0][3], found


def test_powershell_deployment_with_windows_path(tmp_path):
    script = ('$RG = "rg-spoke"\n'
              'az deployment group create -g $RG -f .\\spoke.json --parameters firewallIp=10.0.1.4\n'
              'az aks create -g $RG -n aks-spoke --network-plugin azure --outbound-type userDefinedRouting '
              '--vnet-subnet-id /subscriptions/0000/resourceGroups/rg-spoke/providers/Microsoft.Network/'
              'virtualNetworks/vnet-spoke/subnets/snet-aks\n')
    assert "EGL202" in rules(project(tmp_path, script, "deploy.ps1"))


def test_cached_template_reading_never_carries_a_binding(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    root = project(tmp_path, "# not deployed yet\n")
    assert "EGL202" not in rules(root, cache=True)  # caches the unbound reading
    (root / "deploy.sh").write_text(SPOKE_SCRIPT, encoding="utf-8")
    assert "EGL202" in rules(root, cache=True)  # the bound reading, cached under its binding
    (root / "deploy.sh").write_text(SPOKE_SCRIPT.replace("create -g $RG --template-file", "create -g rg-other --template-file"), encoding="utf-8")
    assert "EGL202" not in rules(root, cache=True)
    (root / "deploy.sh").write_text(SPOKE_SCRIPT, encoding="utf-8")
    assert "EGL202" in rules(root, cache=True)  # warm hit of the bound reading


def test_resource_group_function_takes_the_deployment_group():
    text = (PROJECTS / "deployed-spoke" / "spoke.json").read_text(encoding="utf-8")
    source = SourceFile("spoke.json", text, "json")
    tables = [op.ref for op in arm.load(source, parameters={}, resource_group="rg-spoke").operations
              if op.ref.kind == "route_table"]
    assert [(r.name, r.group) for r in tables] == [("rg-spoke-rt", "rg-spoke")]
    unbound = [op.ref for op in arm.load(source).operations if op.ref.kind == "route_table"]
    assert unbound[0].group is None and unbound[0].name != "rg-spoke-rt"


@pytest.mark.parametrize(("words", "expected"), [
    ([("a=1", "a=1")], {"a": arm.CliText("1")}),
    ([("a=1", "a=1"), ('{"a": {"value": 2}}', "@f.json")], {"a": 2}),
    ([('{"parameters": {"a": {"value": [1]}}}', "@f.json"), ("a=x=y", "a=x=y")], {"a": arm.CliText("x=y")}),
    ([("not a parameter", "not a parameter")], {}),
])
def test_deployment_parameter_words_in_az_order(words, expected):
    assert arm.deployment_parameters(words) == expected


def test_cli_values_convert_by_declared_type():
    template = {"parameters": {"n": {"type": "int"}, "b": {"type": "bool"}, "o": {"type": "array"},
                               "s": {"type": "string"}, "rest": {"type": "string", "defaultValue": "d"}}}
    bound = arm._bind_cli(template, {"n": arm.CliText("3"), "b": arm.CliText("True"),
                                     "o": arm.CliText('["x"]'), "s": arm.CliText("007")})
    assert bound == {"n": 3, "b": True, "o": ["x"], "s": "007"}
    anything = arm.deployment_parameters([(None, "$EXTRA_PARAMS")])
    spread = arm._bind_cli(template, {**anything, "s": arm.CliText("v")})
    assert spread["s"] == "v" and {"n", "b", "o", "rest"} <= set(spread)
    assert all(not isinstance(spread[k], str) for k in ("n", "b", "o", "rest"))  # unknown, not defaults


def test_every_parameters_occurrence_is_recorded():
    result = azcli.load(SourceFile("d/deploy.sh", "az deployment group create -g rg -f ../t.json "
                                   "--parameters @p.json a=1 -p \"b=$UNSET\"\n", "script", "bash"))
    [dep] = result.facts["deployments"]
    assert dep["group"] == "rg" and dep["template"] == "../t.json"
    assert dep["parameters"] == [("@p.json", "@p.json"), ("a=1", "a=1"), (None, "b=$UNSET")]


def test_resource_group_location_comes_from_the_group_create(tmp_path):
    script = "az group create -n rg-spoke -l northeurope\naz deployment group create -g rg-spoke -f spoke.json\n"
    template = json.loads((PROJECTS / "deployed-spoke" / "spoke.json").read_text(encoding="utf-8"))
    template["resources"][0]["location"] = "[resourceGroup().location]"
    texts = {"deploy.sh": script, "spoke.json": json.dumps(template, indent=2)}
    results = [(Candidate(tmp_path / "deploy.sh", "deploy.sh", "script", "bash"),
                azcli.load(SourceFile("deploy.sh", script, "script", "bash"))),
               (Candidate(tmp_path / "spoke.json", "spoke.json", "json"),
                arm.load(SourceFile("spoke.json", texts["spoke.json"], "json")))]
    bound = bind_deployments(results, texts, tmp_path, [])
    [table] = [op for op in bound[1][1].operations if op.ref.kind == "route_table"]
    assert table.ref.group == "rg-spoke" and table.changes["region"].known == "northeurope"
    [unbound] = [op for op in results[1][1].operations if op.ref.kind == "route_table"]
    assert unbound.changes["region"].known is None
