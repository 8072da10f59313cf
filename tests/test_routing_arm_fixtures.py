"""Regression tests found while writing ARM and Kubernetes equivalents of the routing (EGL10x) and
cluster-profile (EGL407-EGL409) rule fixtures: where findings point and what they say when the
input is a template or a manifest, and the folder fixtures of tests/test_rules.py."""

from __future__ import annotations

from pathlib import Path

from conftest import FIXTURES
from test_rules import expectations, fixture_files

from egresslint.checks.input import unresolved
from egresslint.config import Config
from egresslint.engine import scan
from egresslint.frontends import SourceFile, arm
from egresslint.model import Location, Value

RULES = FIXTURES / "rules"

TEMPLATE = """{
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "resources": [
        {
            "type": "Microsoft.Network/azureFirewalls",
            "apiVersion": "2023-09-01",
            "name": "fw",
            "properties": {
                "ipConfigurations": [
                    {
                        "name": "cfg",
                        "properties": {
                            "subnet": {
                                "id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'hub', 'fw-subnet')]"
                            }
                        }
                    }
                ]
            }
        }
    ]
}
"""


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def findings(path: Path, rule_id: str):
    root = path if path.is_dir() else path.parent
    return [f for f in scan([path], Config(), root=root).findings if f.rule_id == rule_id]


def test_arm_firewall_ip_config_keeps_the_subnet_reference_value():
    # EGL105 points at the subnet id, the property that is wrong, not at the ipConfiguration
    result = arm.load(SourceFile("t.json", TEMPLATE, "json"))
    [fw] = [op for op in result.operations if op.ref.kind == "firewall"]
    [cfg] = fw.changes["ip_configs"]
    assert cfg.subnet is not None and cfg.subnet.name == "fw-subnet"
    assert cfg.subnet_value is not None and cfg.subnet_value.location is not None
    assert cfg.subnet_value.location.line == line_of(TEMPLATE, '"id": "[resourceId(')
    assert cfg.location.line == line_of(TEMPLATE, '"name": "cfg"') - 1


def test_egl105_wrong_subnet_name_points_at_the_subnet_id_in_a_template(tmp_path: Path):
    path = tmp_path / "fw.json"
    path.write_text(TEMPLATE, encoding="utf-8")
    [finding] = findings(path, "EGL105")
    assert (finding.location.line, finding.location.column) == (line_of(TEMPLATE, '"id": "[resourceId('), 39)
    assert "'fw-subnet'" in finding.message


def test_egl105_missing_firewall_subnet_points_at_vnet_name_of_ip_config_create(tmp_path: Path):
    path = tmp_path / "fw.sh"
    path.write_text(
        "az network vnet create -g rg -n hub --address-prefixes 10.3.0.0/16\n"
        "az network vnet subnet create -g rg --vnet-name hub -n workloads --address-prefixes 10.3.1.0/24\n"
        "az network firewall create -g rg -n fw\n"
        "az network firewall ip-config create -g rg -f fw -n cfg --public-ip-address pip --vnet-name hub\n",
        encoding="utf-8")
    [finding] = findings(path, "EGL105")
    line = path.read_text(encoding="utf-8").splitlines()[3]
    assert (finding.location.line, finding.location.column) == (4, line.index("hub") + 1)


def test_unresolved_says_what_an_expression_evaluated_to():
    loc = Location("t.json", 3, 5)
    computed = Value("[parameters('hubIp')]", "10.0.0.4", location=loc)
    finding = unresolved(computed, "next hop of route 'default'", loc)
    assert "10.0.0.4 ([parameters('hubIp')]) is not known to the scan" in finding.message
    assert finding.subject == "unresolved:[parameters('hubIp')]"  # fingerprints unchanged
    literal = unresolved(Value.literal("10.0.0.4", loc), "next hop", loc)
    assert ": 10.0.0.4 is not known" in literal.message
    unknown = unresolved(Value.unknown("$HUB_IP", loc), "next hop", loc)
    assert ": $HUB_IP is not known" in unknown.message


def test_egl409_names_the_object_once_and_the_template_property():
    by_line = {f.location.line: f.message for f in findings(RULES / "EGL409" / "bad.yaml", "EGL409")}
    assert by_line[2].startswith("Deployment 'web' uses apiVersion extensions/v1beta1")
    assert by_line[59].startswith("ReplicaSet 'worker' uses")
    [bridge] = [f for f in findings(RULES / "EGL409" / "bad.json", "EGL409") if "docker bridge" in f.message]
    assert "dockerBridgeCidr" in bridge.message


def test_egl407_defaulted_service_cidr_message_fits_templates():
    [f] = [f for f in findings(RULES / "EGL407" / "bad.json", "EGL407") if "'defaulted'" in f.message]
    assert "(the default, as no service CIDR is given)" in f.message


def test_folder_fixtures_are_collected_and_expect_per_file():
    assert RULES / "EGL408" / "bad-manifest" in fixture_files("bad")
    assert RULES / "EGL408" / "good-manifest" in fixture_files("good")
    assert RULES / "EGL408" / "bad-manifest" / "cluster.json" not in fixture_files("bad")
    assert expectations(RULES / "EGL408" / "bad-manifest") == {("service.yaml", 25): {"EGL408"}}
    assert expectations(RULES / "EGL408" / "bad.sh") == {("bad.sh", 23): {"EGL408"}}


def test_egl408_needs_the_cluster_template_next_to_the_manifest():
    folder = RULES / "EGL408" / "bad-manifest"
    assert [f.location.file for f in findings(folder, "EGL408")] == ["service.yaml"]
    # the manifest alone names no cluster: nothing to say
    assert findings(folder / "service.yaml", "EGL408") == []


def test_empty_load_balancer_ip_is_no_load_balancer_ip(tmp_path: Path):
    path = tmp_path / "svc.yaml"
    path.write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: LoadBalancer\n"
                    "  loadBalancerIP: \"\"\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: pinned\n"
                    "spec:\n  type: LoadBalancer\n  loadBalancerIP: 20.61.1.10\n", encoding="utf-8")
    assert [f.location.line for f in findings(path, "EGL409")] == [15]
