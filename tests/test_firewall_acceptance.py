"""Issue 5 acceptance on real scripts: the seeds' EGL201/EGL202 verdicts with the exact missing
endpoints, the legacy and custom-DNS configurations, the az snippet each EGL201/EGL202 finding
carries (appending it to the script makes the finding go away), and the evaluation-order section
of every EGL2xx/EGL3xx explain page.

The seed checks that tests/test_firewall_eval.py already makes (seed 001 passes, seed 003's
EGL201 under `legacy: true`) are not repeated here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from test_firewall_eval import Builder, fw_of, run

from egresslint import config as config_mod
from egresslint import docs
from egresslint.checks import firewall as checks
from egresslint.engine import scan
from egresslint.firewall import rule_set
from egresslint.registry import load

pytest.importorskip("egresslint.frontends.shell")

SEED003 = FIXTURES / "seeds" / "seed003-udr-firewall.sh"
SEED003_FQDNS = ["*.hcp.eastus.azmk8s.io", "mcr.microsoft.com", "*.data.mcr.microsoft.com", "mcr-0001.mcr-msedge.net",
                 "management.azure.com", "login.microsoftonline.com", "packages.microsoft.com",
                 "acs-mirror.azureedge.net", "packages.aks.azure.com"]


def _copy(tmp_path: Path, source: Path, edit: Any = None, name: str | None = None) -> Path:
    """The script in a project of its own (the repository's config excludes tests/fixtures)."""
    text = source.read_text(encoding="utf-8")
    target = tmp_path / (name or source.name)
    target.write_text(edit(text) if edit else text, encoding="utf-8")
    return target


def _findings(path: Path, facts: dict[str, Any] | None = None, config_text: str | None = None) -> list:
    root = path.parent
    if config_text is not None:
        (root / ".egresslint.yaml").write_text(config_text, encoding="utf-8")
        config = config_mod.load(root)
    else:
        config = config_mod.Config(facts=facts or {})
    return scan([path], config, root=root).findings


def _one(findings: list, rule_id: str):
    found = [f for f in findings if f.rule_id == rule_id]
    assert len(found) == 1, [(f.rule_id, f.message) for f in findings]
    return found[0]


# =========================================================================== seed 003


def test_seed003_egl202_lists_exactly_the_missing_fqdns(tmp_path: Path) -> None:
    f = _one(_findings(_copy(tmp_path, SEED003)), "EGL202")
    listed = re.search(r"does not allow FQDNs AKS requires: HTTPS 443: (.*?); allow them", f.message)
    assert listed is not None, f.message
    assert listed.group(1).split(", ") == SEED003_FQDNS
    assert "features need" not in f.message  # no feature configured: nothing beyond the core list


@pytest.mark.parametrize(("config_text", "legacy"), [
    ("facts:\n  legacy: true\n", True),
    ("facts:\n  legacy: [myAks*]\n", True),  # a glob on the cluster name
    ("facts:\n  legacy: [other-*]\n", False),
    ("facts:\n  legacy: false\n", False),
])
def test_seed003_egl201_follows_the_legacy_configuration_file(tmp_path: Path, config_text: str, legacy: bool) -> None:
    findings = _findings(_copy(tmp_path, SEED003), config_text=config_text)
    egl201 = [f for f in findings if f.rule_id == "EGL201"]
    if not legacy:
        assert egl201 == []
        return
    [f] = egl201
    listed = re.search(r"does not allow network traffic AKS requires: (.*?); add network rules", f.message)
    assert listed is not None, f.message
    assert listed.group(1).split(", ") == [
        "UDP 1194 to AzureCloud.eastus", "TCP 9000 to AzureCloud.eastus", "UDP 123 to ntp.ubuntu.com"]


def test_seed003_custom_dns_servers_are_required_for_current_clusters(tmp_path: Path) -> None:
    """A cluster is current by default (no 1194/9000/123), but the VNet's custom DNS servers on
    UDP 53 are required whenever that traffic crosses the firewall."""
    path = _copy(tmp_path, SEED003, lambda t: t.replace("--address-prefix 10.1.0.0/16",
                                                        "--address-prefix 10.1.0.0/16 --dns-servers 8.8.8.8 1.1.1.1", 1))
    f = _one(_findings(path), "EGL201")
    listed = re.search(r"does not allow network traffic AKS requires: (.*?); add network rules", f.message)
    assert listed is not None and listed.group(1).split(", ") == [
        "UDP 53 to custom DNS server 8.8.8.8", "UDP 53 to custom DNS server 1.1.1.1"]
    assert "--destination-addresses 8.8.8.8 --destination-ports 53" in f.fix


# =========================================================================== az snippets


def _scan_with_fix(tmp_path: Path, source: Path, rule_id: str, facts: dict[str, Any] | None = None) -> None:
    """The finding's snippet, appended to the script, adds exactly what was missing: the finding
    goes away and the added commands are valid az (no input findings on them)."""
    script = _copy(tmp_path, source)
    before = _one(_findings(script, facts), rule_id)
    assert before.fix.startswith(("az network firewall", "#")), before.fix
    lines = len(script.read_text(encoding="utf-8").splitlines())
    with script.open("a", encoding="utf-8") as out:
        out.write("\n" + before.fix + "\n")
    after = _findings(script, facts)
    assert [f for f in after if f.rule_id == rule_id] == [], [f.message for f in after if f.rule_id == rule_id]
    added = [f for f in after if f.location.line > lines and f.rule_id.startswith("EGL0")]
    assert added == [], [(f.rule_id, f.message) for f in added]


def test_egl201_snippet_adds_the_legacy_network_rules_to_seed003(tmp_path: Path) -> None:
    f = _one(_findings(_copy(tmp_path, SEED003), {"legacy": True}), "EGL201")
    assert f.fix.splitlines()[0] == ("az network firewall network-rule create -g myresourcegroup -f myAzureFirewall "
                                     "--collection-name aksfwnr \\")
    assert "--destination-addresses AzureCloud.eastus --destination-ports 1194" in f.fix
    assert f.fix.count("--action Allow --priority 100") == 1  # only the new collection's first rule
    assert "--destination-addresses '*' --destination-ports 123" in f.fix  # no DNS proxy: no FQDN network rule
    _scan_with_fix(tmp_path, SEED003, "EGL201", {"legacy": True})


def test_egl202_snippet_adds_the_fqdn_tag_to_seed003(tmp_path: Path) -> None:
    f = _one(_findings(_copy(tmp_path, SEED003)), "EGL202")
    assert "--fqdn-tags AzureKubernetesService" in f.fix and "--source-addresses 10.1.1.0/24" in f.fix
    _scan_with_fix(tmp_path, SEED003, "EGL202")


@pytest.mark.parametrize(("fixture", "rule_id"), [
    ("EGL201/bad.sh", "EGL201"),  # custom DNS through the firewall
    ("EGL201/bad.ps1", "EGL201"),
    ("EGL202/bad.sh", "EGL202"),
    ("EGL202/bad.ps1", "EGL202"),  # the deny is in the base policy: the fix goes there
])
def test_snippets_fix_the_rule_fixtures(tmp_path: Path, fixture: str, rule_id: str) -> None:
    _scan_with_fix(tmp_path, FIXTURES / "rules" / fixture, rule_id)


def test_policy_snippet_targets_the_base_policy_that_denies() -> None:
    """Parent policies are evaluated first, so a deny in the base policy can only be overcome
    there: the snippet creates a rule collection group in the base policy with a priority
    number below the denying group's."""
    b = Builder()
    base = b.policy("base")
    child = b.policy("child", base=base)
    deny = b.collection(b.rcg(base, "baseline", "300"), "no-mcr", "application", "100", "Deny")
    b.app_rule(deny, "mcr", fqdns=["mcr.microsoft.com"])
    b.rcg(base, "other", "100")
    allow = b.collection(b.rcg(child, "aks", "100"), "aks", "application", "100", "Allow")
    b.app_rule(allow, "tag", tags=["AzureKubernetesService"])
    vnet = b.vnet()
    b.subnet(vnet, "AzureFirewallSubnet", "10.42.2.0/26")
    table = b.route_table()
    b.route(table, "default", "0.0.0.0/0", "VirtualAppliance", "10.42.2.4")
    b.firewall(vnet=vnet, policy=child)
    b.cluster(subnet=b.subnet(vnet, "aks-subnet", "10.42.1.0/24", route_table=table))
    inv = b.inventory()
    assert [p.name for p in rule_set(inv, fw_of(inv)).policies] == ["base", "child"]
    f = _one(run(checks.AksRequiredFqdns, inv), "EGL202")
    assert "mcr.microsoft.com (denied by application rule 'mcr')" in f.message
    first = f.fix.splitlines()[0]
    assert first == "az network firewall policy rule-collection-group create -g rg --policy-name base -n aks-egress --priority 101"
    assert "--rule-type ApplicationRule" in f.fix and "--fqdn-tags AzureKubernetesService" in f.fix


def test_classic_snippet_comes_before_the_denying_collection() -> None:
    b = Builder()
    fw, _cluster, _nodes = b.udr_lab()
    b.network_rule(b.collection(fw, "aksfwnr", "network", "100", "Allow"), "apitcp", ["TCP"], ["9000"],
                   dst=["AzureCloud.westeurope"])
    b.network_rule(b.collection(fw, "deny-udp", "network", "300", "Deny"), "udp", ["UDP"], ["*"], dst=["*"])
    f = _one(run(checks.AksRequiredNetworkRules, b.inventory(config={"legacy": True})), "EGL201")
    assert "UDP 1194 to AzureCloud.westeurope (denied by network rule 'udp')" in f.message
    assert "TCP 9000" not in f.message
    assert "--collection-name aksfwnr2" in f.fix  # 'aksfwnr' exists: a new collection, so --priority is valid
    assert "--action Allow --priority 101" in f.fix  # 100 is taken, 101 comes before 'deny-udp' (300)
    b2 = Builder()
    fw2, _c, _n = b2.udr_lab()
    b2.network_rule(b2.collection(fw2, "deny-udp", "network", "100", "Deny"), "udp", ["UDP"], ["*"], dst=["*"])
    f2 = _one(run(checks.AksRequiredNetworkRules, b2.inventory(config={"legacy": True})), "EGL201")
    assert "# then give collection 'deny-udp' a priority number above 101" in f2.fix


# =========================================================================== explain: evaluation order


FIREWALL_AND_NSG = [rid for rid in load().rules if re.fullmatch(r"EGL[23]\d\d", rid)]


def test_every_firewall_and_nsg_rule_is_covered() -> None:
    assert {"EGL201", "EGL209", "EGL301", "EGL303"} <= set(FIREWALL_AND_NSG)


@pytest.mark.parametrize("rule_id", FIREWALL_AND_NSG)
def test_explain_shows_the_evaluation_order_with_an_example(rule_id: str) -> None:
    rule = load().rules[rule_id]
    text = docs.rule_text(rule)
    section = text.split(f"\n{docs.EVALUATION}\n", 1)
    assert len(section) == 2, f"{rule_id}: no '{docs.EVALUATION}' section in egresslint explain"
    body = " ".join(section[1].split("\n\n", 1)[0].split())  # undo the wrapping at 88 columns
    if rule_id.startswith("EGL2"):
        for step in ("DNAT", "network rules", "application rules", "parent policy", "first matching rule decides",
                     "denied by default"):
            assert step in body, (rule_id, step)
    else:
        for step in ("ascending priority", "100-4096", "AllowVnetOutBound (65000", "AllowInternetOutBound (65001",
                     "DenyAllOutBound (65500", "first matching rule decides"):
            assert step in body, (rule_id, step)
    assert "For example" in body and re.search(r"priority \d+", body.split("For example", 1)[1]), rule_id
    assert f"## {docs.EVALUATION}" in docs.rule_markdown(rule)
