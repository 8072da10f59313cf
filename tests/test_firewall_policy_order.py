"""Firewall policies with a parent (base) policy are evaluated parent first, in ARM templates and
az scripts alike: the same rules and priorities give the opposite verdict when the roles of parent
and child are swapped. Also: rules in collections of equal priority are not reported as shadowed
when their actions differ (their order is not defined; EGL206 reports the tie).
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import FIXTURES

from egresslint.config import Config
from egresslint.engine import scan
from egresslint.frontends import SourceFile, azcli

RULES = FIXTURES / "rules"
POLICY = "Microsoft.Network/firewallPolicies"


def _findings(path: Path, pack: Path | None = None):
    config = Config(packs=(str(pack),)) if pack is not None else Config()
    return scan([path], config, root=path.parent).findings


def _ids(findings, rule_id: str) -> list[str]:
    return [f.message for f in findings if f.rule_id == rule_id]


def _swap_parent(template: dict, parent: str, child: str) -> dict:
    """The template with ``child`` as the root policy, ``parent`` as its child, and the firewall
    using ``parent`` (now the leaf): every rule and priority stays as it was."""
    for res in template["resources"]:
        if res["type"] == POLICY:
            props = res["properties"]
            props.pop("basePolicy", None)
            res.pop("dependsOn", None)
            if res["name"] == parent:
                props["basePolicy"] = {"id": f"[resourceId('{POLICY}', '{child}')]"}
                props["dnsSettings"] = {"enableProxy": True}
        elif res["type"] == "Microsoft.Network/azureFirewalls":
            res["properties"]["firewallPolicy"] = {"id": f"[resourceId('{POLICY}', '{parent}')]"}
    return template


def _write_swapped(fixture: Path, tmp_path: Path) -> Path:
    template = _swap_parent(json.loads(fixture.read_text(encoding="utf-8")), "base-policy", "aks-policy")
    out = tmp_path / fixture.name
    out.write_text(json.dumps(template, indent=2), encoding="utf-8")
    return out


def test_arm_parent_deny_wins_over_child_allow(tmp_path: Path) -> None:
    # base-policy denies all UDP (group priority 65000); aks-policy allows DNS (priority 100)
    fixture = RULES / "EGL201" / "bad-policy.json"
    messages = _ids(_findings(fixture), "EGL201")
    assert len(messages) == 1 and "denied by network rule 'udp'" in messages[0]
    # the DNS allow in the parent now comes first: the custom DNS server is reachable
    assert _ids(_findings(_write_swapped(fixture, tmp_path)), "EGL201") == []


def test_arm_parent_allow_wins_over_child_deny(tmp_path: Path) -> None:
    # base-policy allows *.com (group priority 65000); aks-policy denies pastebin.com (priority 100)
    fixture = RULES / "EGL208" / "bad-policy.json"
    pack = RULES / "EGL208" / "pack.yaml"
    messages = _ids(_findings(fixture, pack), "EGL208")
    assert len(messages) == 1 and "application rule 'dot-com'" in messages[0]
    assert _ids(_findings(_write_swapped(fixture, tmp_path), pack), "EGL208") == []


def test_arm_parent_first_decides_shadowing(tmp_path: Path) -> None:
    fixture = RULES / "EGL205" / "bad-policy.json"
    before = _ids(_findings(fixture), "EGL205")
    assert any("'bad-host'" in m and "firewall policy 'base-policy'" in m for m in before)
    # with aks-policy as the parent, its deny of 203.0.113.7 comes before the allow of TCP 443 to *
    after = _ids(_findings(_write_swapped(fixture, tmp_path)), "EGL205")
    assert not any("'bad-host'" in m for m in after)
    # the child-internal findings (duplicate, allow hiding a later deny) do not depend on the parent
    assert sum("'contoso-again'" in m or "'contoso-api'" in m for m in after) == 2


_SCRIPT = """RG=rg-aks-fw
az network firewall policy create -g $RG -n {root} -l westeurope
ROOT_ID=$(az network firewall policy show -g $RG -n {root} --query id -o tsv)
az network firewall policy create -g $RG -n {leaf} -l westeurope --base-policy $ROOT_ID
az network firewall policy rule-collection-group create -g $RG --policy-name allow-policy -n web --priority 500
az network firewall policy rule-collection-group collection add-filter-collection -g $RG --policy-name allow-policy --rcg-name web -n allow-web --collection-priority 100 --action Allow --rule-name web --rule-type NetworkRule --ip-protocols TCP --source-addresses '*' --destination-addresses '*' --destination-ports 443
az network firewall policy rule-collection-group create -g $RG --policy-name deny-policy -n block --priority 100
az network firewall policy rule-collection-group collection add-filter-collection -g $RG --policy-name deny-policy --rcg-name block -n block-bad --collection-priority 100 --action Deny --rule-name bad-host --rule-type NetworkRule --ip-protocols TCP --source-addresses '*' --destination-addresses 203.0.113.7 --destination-ports 443
az network firewall create -g $RG -n aks-fw -l westeurope --firewall-policy {leaf}
"""


def test_script_base_policy_is_evaluated_first(tmp_path: Path) -> None:
    script = tmp_path / "policy.sh"
    # the allow (group priority 500) in the parent hides the child's deny (group priority 100)
    script.write_text(_SCRIPT.format(root="allow-policy", leaf="deny-policy"), encoding="utf-8")
    shadowed = [f for f in _findings(script) if f.rule_id == "EGL205"]
    assert [f.location.line for f in shadowed] == [8] and "'bad-host'" in shadowed[0].message
    # the deny in the parent comes first: nothing is shadowed
    script.write_text(_SCRIPT.format(root="deny-policy", leaf="allow-policy"), encoding="utf-8")
    assert _ids(_findings(script), "EGL205") == []


def test_policy_show_query_id_names_the_base_policy() -> None:
    text = ("P=$(az network firewall policy show -g rg -n Base-Policy --query id -o tsv)\n"
            "az network firewall policy create -g rg -n child -l westeurope --base-policy $P\n")
    result = azcli.load(SourceFile("p.sh", text, "script", "bash"))
    child = next(op for op in result.operations if op.ref.kind == "firewall_policy" and op.ref.name == "child")
    base = child.changes["base_policy"]
    assert (base.kind, base.name, base.group) == ("firewall_policy", "base-policy", "rg")


_TIE = """RG=rg-aks-fw
az network firewall create -g $RG -n aks-fw -l westeurope --enable-dns-proxy true
az network firewall network-rule create -g $RG -f aks-fw --collection-name allow-web -n web --protocols TCP --source-addresses '*' --destination-addresses '*' --destination-ports 443 --action allow --priority 100
az network firewall network-rule create -g $RG -f aks-fw --collection-name other -n bad-host --protocols TCP --source-addresses '*' --destination-addresses 203.0.113.7 --destination-ports 443 --action {action} --priority {priority}
"""


def test_equal_collection_priorities_do_not_define_an_order(tmp_path: Path) -> None:
    script = tmp_path / "tie.sh"

    def run(action: str, priority: int) -> tuple[list[str], list[str]]:
        script.write_text(_TIE.format(action=action, priority=priority), encoding="utf-8")
        found = _findings(script)
        return _ids(found, "EGL205"), _ids(found, "EGL206")

    shadowed, ties = run("deny", 100)
    assert shadowed == [] and len(ties) == 1  # which collection runs first is up to the platform
    shadowed, ties = run("deny", 200)
    assert len(shadowed) == 1 and "can never match" in shadowed[0] and ties == []
    shadowed, ties = run("allow", 100)
    assert len(shadowed) == 1 and "redundant" in shadowed[0] and len(ties) == 1  # redundant in either order


def test_equal_group_priorities_do_not_define_an_order(tmp_path: Path) -> None:
    script = tmp_path / "groups.sh"
    text = _SCRIPT.format(root="allow-policy", leaf="deny-policy").replace(
        "--policy-name deny-policy -n block --priority 100", "--policy-name allow-policy -n block --priority 500"
    ).replace("--policy-name deny-policy --rcg-name block", "--policy-name allow-policy --rcg-name block")
    script.write_text(text, encoding="utf-8")
    found = _findings(script)
    assert _ids(found, "EGL205") == [] and len(_ids(found, "EGL206")) == 1
