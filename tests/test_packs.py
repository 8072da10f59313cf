"""The AKS requirements pack, cluster profiles and user policy packs (egresslint.packs), the
pack schema, and rules EGL207/EGL208."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, shared_path
from test_firewall_eval import Builder, run

from egresslint import packs
from egresslint.checks import firewall as checks
from egresslint.findings import Finding
from egresslint.model import Cluster, Value
from egresslint.packs import ClusterProfile, required_endpoints, requirements

SCHEMA = ROOT / "rules" / "policy-pack.schema.json"


# =========================================================================== requirements pack


def labels(profile: ClusterProfile, rule: str | None = None, custom_dns: bool = False) -> list[str]:
    return [e.label(profile.region) for e in required_endpoints(profile, custom_dns=custom_dns, rule=rule)]


def test_pack_loads_and_every_endpoint_is_sourced() -> None:
    pack = requirements()
    assert {e.cloud for e in pack.endpoints} == {*packs.CLOUDS, "common"}
    for e in pack.endpoints:
        assert e.source.startswith("https://learn.microsoft.com/"), e
        assert e.purpose and e.section


def test_public_cloud_current_cluster_needs_only_fqdns() -> None:
    current = ClusterProfile("aks", region="westeurope")
    assert labels(current, "network") == []
    assert labels(current, "application") == [
        "HTTPS 443 to *.hcp.westeurope.azmk8s.io", "HTTPS 443 to mcr.microsoft.com",
        "HTTPS 443 to *.data.mcr.microsoft.com", "HTTPS 443 to mcr-0001.mcr-msedge.net",
        "HTTPS 443 to management.azure.com", "HTTPS 443 to login.microsoftonline.com",
        "HTTPS 443 to packages.microsoft.com", "HTTPS 443 to acs-mirror.azureedge.net",
        "HTTPS 443 to packages.aks.azure.com"]


def test_public_cloud_legacy_and_private_clusters() -> None:
    legacy = ClusterProfile("aks", region="westeurope", legacy=True)
    assert labels(legacy, "network") == ["UDP 1194 to AzureCloud.westeurope", "TCP 9000 to AzureCloud.westeurope",
                                         "UDP 123 to ntp.ubuntu.com"]
    private_legacy = ClusterProfile("aks", region="westeurope", legacy=True, private=True)
    assert labels(private_legacy, "network") == ["UDP 123 to ntp.ubuntu.com"]
    assert "HTTPS 443 to *.hcp.westeurope.azmk8s.io" not in labels(private_legacy)
    unknown_private = ClusterProfile("aks", region="westeurope", private=None)
    assert "HTTPS 443 to *.hcp.westeurope.azmk8s.io" not in labels(unknown_private)  # only what is always required


def test_china_and_government_require_every_network_endpoint() -> None:
    china = ClusterProfile("aks", cloud="AzureChinaCloud", region="chinaeast2", private=True)
    assert labels(china, "network") == ["UDP 1194 to AzureCloud.chinaeast2", "TCP 9000 to AzureCloud.chinaeast2",
                                        "TCP 22 to AzureCloud.chinaeast2", "UDP 123 to ntp.ubuntu.com"]
    assert "HTTPS 443 to *.hcp.chinaeast2.cx.prod.service.azk8s.cn" in labels(china, "application")
    gov = ClusterProfile("aks", cloud="AzureUSGovernment", region="usgovvirginia")
    assert labels(gov, "network") == ["UDP 1194 to AzureCloud.usgovvirginia", "TCP 9000 to AzureCloud.usgovvirginia",
                                      "UDP 123 to ntp.ubuntu.com"]
    assert "HTTPS 443 to login.microsoftonline.us" in labels(gov, "application")


def test_conditions_custom_dns_apiserver_and_features() -> None:
    p = ClusterProfile("aks", region="westeurope", apiserver_access=True, windows=True,
                       features=frozenset({"azure-monitor", "keyvault"}))
    got = labels(p, custom_dns=True)
    assert "UDP 53 to the VNet's custom DNS servers" in got
    assert "TCP 443 to the API server's public IP" in got
    assert "HTTP 80 to *.mp.microsoft.com" in got
    assert "TCP 443 to AzureMonitor" in got
    assert "HTTPS 443 to westeurope.handler.control.monitor.azure.com" in got
    assert "HTTPS 443 to *.vault.azure.net (or vault.azure.net)" in got


def test_fill_region_uses_azure_tag_spelling() -> None:
    assert packs.fill_region("AzureCloud.{region}", "francecentral") == "AzureCloud.centralfrance"
    assert packs.fill_region("*.hcp.{region}.azmk8s.io", "eastus") == "*.hcp.eastus.azmk8s.io"
    assert packs.fill_region("*.hcp.{region}.azmk8s.io", None) == "*.hcp.<region>.azmk8s.io"


def test_aks_fqdn_tag_contents() -> None:
    patterns = requirements().tag_patterns("azurekubernetesservice")
    assert "mcr.microsoft.com" in patterns and "*.hcp.{region}.azmk8s.io" in patterns
    assert "nvidia.github.io" not in patterns  # feature endpoints need their own rules


def test_malformed_requirements_are_rejected() -> None:
    data = {"schema": 1, "clouds": {c: [] for c in packs.CLOUDS}}
    assert packs.parse_requirements(data).endpoints == ()
    bad = {"schema": 1, "clouds": {**{c: [] for c in packs.CLOUDS},
                                   "AzureCloud": [{"id": "x", "rule": "network", "protocol": "Https", "port": 443,
                                                   "destination": {"fqdn": ["a.b"]}, "purpose": "p", "section": "s",
                                                   "source": "u"}]}}
    with pytest.raises(packs.PackError, match="does not fit"):
        packs.parse_requirements(bad)


def test_requirements_match_shared_facts() -> None:
    """Every FQDN of the required tables in shared/domain section a is in the pack."""
    facts = shared_path("domain", "aks-egress-facts.md").read_text(encoding="utf-8")
    section = facts.split("### a.2", 1)[1].split("### a.3", 1)[0]
    pack = {f.replace("{region}", "<location>") for e in requirements().for_cloud("AzureCloud") for f in e.fqdns}
    for line in section.splitlines():
        if line.startswith("| `"):
            for name in line.split("|")[1].replace("`", "").split(","):
                assert name.strip() in pack, name


# =========================================================================== cluster profiles


def test_cluster_profile_from_inventory_and_config_facts() -> None:
    b = Builder()
    fw, _cluster, nodes = b.udr_lab(region="chinaeast2")
    b.cluster("win", subnet=nodes, private_cluster=b.v("true"))
    b.add("node_pool", "win1", next(op.ref for op in b.ops if op.ref.name == "win"), os_type=b.v("Windows"))
    inv = b.inventory(config={"legacy": "ak*", "features": {"win": ["gpu"]}, "apiserver-access": True})
    by = {c.name: packs.cluster_profile(inv, c) for c in inv.all(Cluster)}
    assert by["aks"].cloud == "AzureChinaCloud" and by["aks"].legacy and not by["aks"].windows
    assert by["win"].windows and by["win"].private and not by["win"].legacy and "gpu" in by["win"].features
    assert by["aks"].apiserver_access and by["win"].apiserver_access
    assert fw is not None


def test_region_falls_back_to_the_vnet_and_config() -> None:
    b = Builder()
    vnet = b.vnet(region="northeurope")
    nodes = b.subnet(vnet, "aks-subnet", "10.42.1.0/24")
    b.cluster(subnet=nodes, region=None)
    inv = b.inventory()
    assert packs.cluster_profile(inv, inv.all(Cluster)[0]).region == "northeurope"
    b2 = Builder()
    b2.cluster(region=None)
    inv2 = b2.inventory(region="WestEurope")
    assert packs.cluster_profile(inv2, inv2.all(Cluster)[0]).region == "westeurope"


# =========================================================================== user packs and the schema


def schema() -> dict:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def test_schema_examples_validate_against_schema_and_code() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    doc = schema()
    jsonschema.Draft202012Validator.check_schema(doc)
    for example in doc["examples"]:
        jsonschema.validate(example, doc)
        assert packs.validate_pack(example) == []


INVALID = [
    {},  # neither require nor forbid
    {"require": [{"port": 443}]},  # no destination
    {"require": [{"fqdn": "a.com", "cidr": "10.0.0.0/8", "port": 443}]},  # two destinations
    {"require": [{"cidr": "10.0.0.0/8"}]},  # no port
    {"forbid": [{"fqdn": "www.contoso.*"}]},  # wildcard not left-most
    {"forbid": [{"cidr": "10.0.0.0/8", "port": 70000}]},
    {"forbid": [{"cidr": "10.0.0.0/8", "port": 22, "protocol": "ssh"}]},
    {"forbid": [{"cidr": "10.0.0.0/8", "port": 22, "protocol": "icmp"}]},
    {"forbid": [{"fqdn": "a.com", "protocol": "udp"}]},  # udp needs a port
    {"forbid": [{"fqdn": "a.com", "colour": "red"}]},
    {"require": {"fqdn": "a.com"}},
    {"rules": []},
]


@pytest.mark.parametrize("doc", INVALID, ids=range(len(INVALID)))
def test_invalid_packs_are_rejected_by_schema_and_code(doc: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    assert packs.validate_pack(doc), doc
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema())


def test_load_pack_entries_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text("name: team\nrequire:\n  - fqdn: api.contoso.com\n  - cidr: 10.20.0.0/16\n    port: 1433\n"
                    "forbid:\n  - fqdn: pastebin.com\n    port: 80\n  - service_tag: Sql\n    port: 1433\n"
                    "    cluster: prod-*\n", encoding="utf-8")
    pack, problems = packs.load_pack(str(path))
    assert problems == [] and pack is not None and pack.name == "team"
    got = [(e.mode, e.label(), e.location.line, e.cluster) for e in pack.entries]
    assert got == [("require", "HTTPS 443 to api.contoso.com", 3, "*"), ("require", "TCP 1433 to 10.20.0.0/16", 4, "*"),
                   ("forbid", "HTTP 80 to pastebin.com", 7, "*"), ("forbid", "TCP 1433 to Sql", 9, "prod-*")]
    assert pack.entries[3].applies_to("PROD-eu") and not pack.entries[3].applies_to("dev")


def test_malformed_pack_is_egl001_at_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("require:\n  - fqdn: a.com\n    port: [443\n", encoding="utf-8")
    pack, problems = packs.load_pack(str(broken))
    assert pack is None and [p.rule_id for p in problems] == ["EGL001"] and problems[0].location.line >= 3
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("require:\n  - fqdn: a.com\n  - cidr: 10.0.0.0/8\n    port: 70000\nforbid:\n  - {}\n",
                       encoding="utf-8")
    pack, problems = packs.load_pack(str(invalid))
    assert [(p.rule_id, p.location.line) for p in problems] == [("EGL001", 4), ("EGL001", 6)]
    assert "port must be an integer 1-65535" in problems[0].message
    assert pack is not None and [e.fqdn for e in pack.entries] == ["a.com"]  # the valid entry is kept
    missing, problems = packs.load_pack(str(tmp_path / "nope.yaml"))
    assert missing is None and "cannot be read" in problems[0].message


def test_packs_from_facts_attach_once(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("forbid:\n  - cidr: nonsense\n    port: 22\n", encoding="utf-8")
    b = Builder()
    inv = b.inventory(packs=[str(bad)])
    added = packs.attach(inv)
    assert [f.rule_id for f in added] == ["EGL001"] and added[0].location.line == 2
    assert packs.attach(inv) == [] and inv.diagnostics.count(added[0]) == 1
    assert packs.user_packs(inv)[0].entries == ()


# =========================================================================== EGL207 / EGL208


def _pack(tmp_path: Path, text: str) -> str:
    path = tmp_path / "team.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_egl207_required_endpoint_denied_by_an_earlier_rule(tmp_path: Path) -> None:
    pack = _pack(tmp_path, "require:\n  - fqdn: api.contoso.com\n  - fqdn: www.contoso.com\n"
                           "  - cidr: 10.20.0.5\n    port: 1433\n    cluster: other-*\n")
    b = Builder()
    fw, _c, _ = b.udr_lab()
    deny = b.collection(fw, "deny", "application", "100", "Deny")
    b.app_rule(deny, "no-api", fqdns=["api.contoso.com"])
    allow = b.collection(fw, "allow", "application", "200", "Allow")
    b.app_rule(allow, "contoso", fqdns=["*.contoso.com"])
    inv = b.inventory(packs=[pack])
    found = run(checks.RequiredEgressBlocked, inv)
    assert [f.rule_id for f in found] == ["EGL207"]
    assert "HTTPS 443 to api.contoso.com" in found[0].message and "no-api" in found[0].message
    assert found[0].related[0].location.file == pack and found[0].related[0].location.line == 2


def test_egl208_forbidden_endpoint_allowed(tmp_path: Path) -> None:
    pack = _pack(tmp_path, "forbid:\n  - fqdn: pastebin.com\n  - fqdn: github.com\n")
    b = Builder()
    fw, _c, _ = b.udr_lab()
    allow = b.collection(fw, "web", "application", "200", "Allow")
    star = b.app_rule(allow, "everything", fqdns=["*"])
    deny = b.collection(fw, "deny", "application", "100", "Deny")
    b.app_rule(deny, "no-github", fqdns=["github.com"])
    # a loadBalancer cluster egresses without a firewall: everything is allowed
    b.cluster("lb-aks", outbound=None)
    inv = b.inventory(packs=[pack])
    found = run(checks.ForbiddenEgressAllowed, inv)
    got = sorted((f.message.split(" for cluster ")[1].split("'")[1], f.message.split(" forbids ")[1].split(" for")[0])
                 for f in found)
    assert got == [("aks", "HTTPS 443 to pastebin.com"), ("lb-aks", "HTTPS 443 to github.com"),
                   ("lb-aks", "HTTPS 443 to pastebin.com")]
    aks = next(f for f in found if "'aks'" in f.message)
    assert aks.location.line == next(op.location.line for op in b.ops if op.ref == star)


def test_egl207_undecided_and_pack_errors(tmp_path: Path) -> None:
    good = _pack(tmp_path, "require:\n  - fqdn: api.contoso.com\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("require: 5\n", encoding="utf-8")
    b = Builder()
    fw, _c, _ = b.udr_lab()
    c = b.collection(fw, "hub", "application", "100", "Allow")
    b.add("application_rule", "var", c, protocols=b.vs("Https=443"), source_addresses=b.vs("*"),
          target_fqdns=[Value.unknown("$TARGET", b.loc(), "not set")])
    inv = b.inventory(packs=[good, str(bad)])
    found: list[Finding] = run(checks.RequiredEgressBlocked, inv)
    assert sorted(f.rule_id for f in found) == ["EGL001", "EGL004"]
    assert run(checks.RequiredEgressBlocked, inv) == [f for f in found if f.rule_id == "EGL004"]  # attached once
