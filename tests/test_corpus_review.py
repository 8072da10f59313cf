"""Regressions from reading every finding on ../shared/corpus as a user would: shell argument
counts (bash null removal and field splitting, PowerShell $null), readable names of unresolved
ARM resources, messages in the language of the file they point into, pasted typography, doc
notation in Markdown, and the lost line continuation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import shared_path

from egresslint.config import Config
from egresslint.engine import scan
from egresslint.frontends import SourceFile, azcli, markdown


def script_findings(text: str, dialect: str = "bash") -> list[tuple[int, int, str, str]]:
    result = azcli.load(SourceFile("x.ps1" if dialect == "powershell" else "x.sh", text, "script", dialect))
    return [(f.location.line, f.location.column, f.rule_id, f.message) for f in result.findings]


def scan_files(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, int, str, str]]:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    report = scan([tmp_path], Config(cache=False), root=tmp_path)
    return [(f.location.file, f.location.line, f.rule_id, f.message) for f in report.findings]


# ------------------------------------------------------------------ argument counts


def test_bash_unquoted_empty_expansion_is_no_argument():
    # the azure-cli-samples script: `GENERATE_SSH_KEYS= ` then `--generate-ssh-keys $GENERATE_SSH_KEYS`
    assert script_findings("K= \naz aks create -g rg -n c --generate-ssh-keys $K --node-count 1\n") == []


def test_bash_quoted_empty_expansion_is_one_empty_argument():
    [(line, col, rule, msg)] = script_findings('K=\naz aks create -g rg -n c --generate-ssh-keys "$K"\n')
    assert (line, col, rule) == (2, 46, "EGL003") and "unexpected argument ''" in msg


def test_bash_empty_expansion_next_to_text_keeps_the_word():
    # `x$K` is "x" (not removed); `$K$K` is removed
    found = script_findings("K=\naz aks create -g rg -n c$K --node-count 1 $K$K\n")
    assert found == []
    ops = azcli.load(SourceFile("x.sh", "K=\naz aks create -g rg -n c$K\n", "script", "bash")).operations
    assert [op.ref.name for op in ops if op.ref.kind == "cluster"] == ["c"]


def test_bash_unquoted_expansion_splits_at_blanks():
    text = ('P="10.0.0.0/24 10.0.1.0/24"\n'
            "az network vnet create -g rg -n v1 --address-prefixes $P\n"
            'az network vnet create -g rg -n v2 --address-prefixes "$P"\n')
    ops = azcli.load(SourceFile("x.sh", text, "script", "bash")).operations
    prefixes = {op.ref.name: [v.known for v in op.changes["address_prefixes"]] for op in ops
                if op.ref.kind == "vnet"}
    assert prefixes == {"v1": ["10.0.0.0/24", "10.0.1.0/24"], "v2": ["10.0.0.0/24 10.0.1.0/24"]}


def test_bash_split_value_is_too_many_words_for_a_single_value_flag():
    [(_line, _col, rule, msg)] = script_findings('N="my cluster"\naz aks create -g rg -n $N\n')
    assert rule == "EGL003" and "unexpected argument 'cluster'" in msg


def test_powershell_null_is_no_argument_but_an_empty_string_is_one():
    text = ("$K = $null\n"
            "az aks create -g rg -n c --generate-ssh-keys $K\n"
            "az aks create -g rg -n c --generate-ssh-keys $null\n"
            "$E = ''\n"
            "az aks create -g rg -n c --generate-ssh-keys $E\n"
            "$K = 'x'\n"
            "az aks create -g rg -n c --generate-ssh-keys $K\n")
    found = script_findings(text, "powershell")
    # PowerShell 7.3+ passes '' to native commands; a reassigned variable is no longer $null
    assert [(line, rule) for line, _c, rule, _m in found] == [(5, "EGL003"), (7, "EGL003")], found
    assert "''" in found[0][3] and "'x'" in found[1][3]


# ------------------------------------------------------------------ ARM names and languages

_TEMPLATE = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "resources": [{
        "type": "Microsoft.ContainerService/managedClusters",
        "apiVersion": "2023-09-01",
        "name": "[concat('aks-', uniqueString('aks', subscription().subscriptionId, resourceGroup().id))]",
        "location": "westeurope",
        "properties": {
            "dnsPrefix": "aks",
            "agentPoolProfiles": [{"name": "system", "mode": "System", "count": 3}],
            "networkProfile": {"networkPlugin": "azure", "outboundType": "userAssignedNATGateway",
                               "dockerBridgeCidr": "172.17.0.1/16"},
        },
    }, {
        "type": "Microsoft.Network/routeTables",
        "apiVersion": "2023-09-01",
        "name": "[concat('rt-', parameters('env'))]",
        "location": "westeurope",
        "properties": {"routes": [{"name": "default", "properties": {
            "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.1.4"}}]},
    }],
    "parameters": {"env": {"type": "string"}},
}

_SCRIPT = ("az network route-table create -g rg -n rt\n"
           "az network route-table route create -g rg --route-table-name rt -n d --address-prefix 0.0.0.0/0 "
           "--next-hop-type VirtualAppliance --next-hop-ip-address 10.0.1.4\n"
           "az aks create -g rg -n aks --outbound-type userAssignedNATGateway --docker-bridge-address 172.17.0.1/16\n")


def _by_rule(found, file):
    out: dict[str, list[str]] = {}
    for f, _line, rule, msg in found:
        if f == file:
            out.setdefault(rule, []).append(msg)
    return out


def test_template_messages_name_properties_and_readable_names(tmp_path):
    found = _by_rule(scan_files(tmp_path, {"t.json": json.dumps(_TEMPLATE, indent=2)}), "t.json")
    [bridge] = found["EGL409"]
    assert "cluster 'aks-<uniqueString(...)>'" in bridge
    assert "networkProfile.dockerBridgeCidr" in bridge and "--docker-bridge-address" not in bridge
    [byo] = [m for m in found["EGL401"] if "bring-your-own" in m]
    assert "agentPoolProfiles[].vnetSubnetID" in byo and "--vnet-subnet-id" not in byo and "az " not in byo
    [table] = found["EGL104"]
    assert "route table 'rt-<parameters('env')>'" in table and "routeTable.id" in table and "az " not in table


def test_script_messages_name_az_flags(tmp_path):
    found = _by_rule(scan_files(tmp_path, {"s.sh": _SCRIPT}), "s.sh")
    [bridge] = found["EGL409"]
    assert "(--docker-bridge-address)" in bridge and "dockerBridgeCidr" not in bridge
    [byo] = [m for m in found["EGL401"] if "bring-your-own" in m]
    assert "(--vnet-subnet-id)" in byo and "az refuses it" in byo
    [table] = found["EGL104"]
    assert "az network vnet subnet update --route-table rt" in table


def test_dns_proxy_advice_in_the_exports_language(tmp_path):
    export = {
        "id": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/azureFirewalls/fw",
        "name": "fw", "type": "Microsoft.Network/azureFirewalls", "location": "westeurope",
        "properties": {"additionalProperties": {}, "networkRuleCollections": [{
            "name": "net", "properties": {"priority": 100, "action": {"type": "Allow"}, "rules": [{
                "name": "fqdn", "protocols": ["TCP"], "sourceAddresses": ["*"], "destinationPorts": ["443"],
                "destinationFqdns": ["example.com"]}]}}]},
    }
    found = _by_rule(scan_files(tmp_path, {"fw.json": json.dumps(export, indent=2)}), "fw.json")
    [msg] = found["EGL204"]
    assert '"Network.DNS.EnableProxy": "true"' in msg and "--enable-dns-proxy" not in msg


# ------------------------------------------------------------------ pasted typography


def test_en_dash_before_a_hyphen_stands_for_one_hyphen():
    found = script_findings("az aks nodepool add -g rg --cluster-name c \u2013-name np2 --node-count 2\n")
    assert [(rule, msg.split(":")[0]) for _l, _c, rule, msg in found] == [
        ("EGL002", "en dash '\u2013' (U+2013) where '-' was meant")]


def test_no_break_space_explains_the_joined_value():
    found = script_findings("az aks nodepool add -g rg --cluster-name c\u202f--node-count 2 -n np2\n")
    [(_l, _c, rule, msg)] = found
    assert rule == "EGL003" and "narrow no-break space (U+202F)" in msg and "type a plain space" in msg


def test_unknown_flag_from_a_variable_shows_what_was_written():
    [(_l, _c, rule, msg)] = script_findings("LOC=eastus\naz network route-table create -g rg -$LOC --name rt\n")
    assert rule == "EGL003" and msg.startswith("unknown flag '-eastus' (written '-$LOC') for ")


# ------------------------------------------------------------------ lost line continuation


def test_option_line_after_an_az_command_without_continuation():
    text = ("az aks create -g rg -n aks \\\n"
            "  --node-count 3\n"
            "  --assign-identity $ID \\\n"
            "  --generate-ssh-keys\n")
    [(line, col, rule, msg)] = script_findings(text)
    assert (line, col, rule) == (3, 3, "EGL008")
    assert msg.startswith("'--assign-identity' starts a statement of its own: the 'az aks create' command "
                          "on the line above ends without a line continuation")
    assert msg.endswith("command not found); end the line above with ' \\'")


def test_powershell_option_line_after_an_az_command_without_backtick():
    text = ("$rg = 'rg'\naz aks create -g $rg -n aks `\n"
            "  --vnet-subnet-id x\n"
            "  --outbound-type userDefinedRouting\n")
    [(line, col, rule, msg)] = script_findings(text, "powershell")
    assert (line, col, rule) == (4, 3, "EGL008")
    assert msg.endswith("PowerShell does not pass it to az and stops with an error); end the line above with ' `'")


def test_powershell_backtick_followed_by_a_blank():
    [(line, col, rule, msg)] = script_findings("az aks list -g rg ` \n  --query x\n", "powershell")
    assert (line, col, rule) == (1, 19, "EGL008")
    assert "backtick at the end" in msg


def test_backslash_followed_by_blanks_is_named_as_the_cause():
    text = "az aks create -g rg -n aks \\  \n  --outbound-type userDefinedRouting\n"
    [(line, col, rule, msg)] = script_findings(text)  # one finding: no EGL003 for the stray ' '
    assert (line, col, rule) == (1, 28, "EGL008")
    assert "followed by a blank" in msg and msg.endswith("delete the blanks after the backslash")


@pytest.mark.parametrize("text", [
    "az aks create -g rg -n aks \\\n  --node-count 3\n",  # continued
    "echo start\n--node-count 3\n",  # not after az: nothing lost from an az command
    "az aks create -g rg -n aks\n\n--node-count 3\n",  # not the line right after it
])
def test_no_lost_continuation(text):
    assert not [f for f in script_findings(text) if f[2] == "EGL008"]


# ------------------------------------------------------------------ Markdown notation


def md_findings(doc: str) -> list[tuple[int, int, str, str]]:
    result = markdown.load(SourceFile("doc.md", doc, "markdown"))
    return [(f.location.line, f.location.column, f.rule_id, f.message) for f in result.findings]


def test_markdown_optional_argument_notation_is_not_an_argument():
    doc = "```azurecli\naz network vnet subnet list --resource-group rg --vnet-name v [--subscription]\n```\n"
    assert md_findings(doc) == []


def test_markdown_placeholder_starting_with_a_digit():
    doc = ("```azurecli\naz aks create --resource-group rg --name aks --kubernetes-version <1.25.0 and above> "
           "--os-sku AzureLinux\n```\n")
    assert md_findings(doc) == []


def test_markdown_placeholders_are_shown_as_written(tmp_path):
    doc = ("```azurecli\naz aks update --resource-group <resourceGroup> --name <clusterName> "
           "--outbound-type userDefinedRouting\n```\n")
    found = scan_files(tmp_path, {"doc.md": doc})
    assert found and all("'<clusterName>'" in msg and "$clusterName_" not in msg for *_x, msg in found), found


def test_markdown_yaml_block_in_a_list_keeps_document_columns():
    doc = ("1. Apply:\n\n    ```yaml\n    apiVersion: v1\n    kind: Secret\n    metadata:\n      name: s\n"
           "    data:\n      A: eA==\n     B: eA==\n    ---\n    apiVersion: v1\n    kind: Service\n"
           "    metadata:\n      name: web\n    spec:\n      type: LoadBalancer\n```\n")
    result = markdown.load(SourceFile("doc.md", doc, "markdown"))
    [(line, col, rule, _msg)] = [(f.location.line, f.location.column, f.rule_id, f.message) for f in result.findings]
    assert (line, col, rule) == (10, 6, "EGL001")  # the misindented key, where it stands in the document


def test_unknown_current_outbound_type_message_names_what_is_unknown(tmp_path):
    found = scan_files(tmp_path, {"u.sh": "az aks update -g rg -n aks --outbound-type managedNATGateway\n"})
    [msg] = [m for _f, _l, rule, m in found if rule == "EGL004"]
    assert msg.startswith("the outbound type of cluster 'aks' before this update to managedNATGateway is not "
                          "known to the scan")


# ------------------------------------------------------------------ the corpus itself


def test_corpus_script_with_empty_ssh_key_variable():
    path = shared_path("corpus", "scripts", "clisamples-2021-aks-limit-egress-traffic.sh")
    report = scan([path], Config(cache=False), root=path.parent)
    assert not [f for f in report.findings if f.rule_id == "EGL003"], report.findings


def test_corpus_lost_continuations_are_found():
    corpus = shared_path("corpus")
    report = scan([corpus], Config(cache=False), root=corpus)
    lost = sorted((f.location.file, f.location.line) for f in report.findings if f.rule_id == "EGL008")
    assert lost == [("markdown/aksdocs-limit-egress-traffic-2023-07.md", 306),
                    ("markdown/aksdocs-nat-gateway.md", 230),
                    ("scripts/akssamples-automatic-private-create-aks.sh", 8),
                    ("scripts/clisamples-2021-aks-configure-kubenet.sh", 44)]


def test_dollar_assignment_in_bash_explains_the_unset_variable(tmp_path):
    # the azure-cli-samples limit-egress script starts with `$RG=""` lines (PowerShell syntax)
    script = ('$FW_IP=""\n'
              "az network vnet create -g rg -n v --address-prefixes 10.0.0.0/16 --subnet-name aks "
              "--subnet-prefixes 10.0.1.0/24\n"
              "az network route-table create -g rg -n rt\n"
              "az network route-table route create -g rg --route-table-name rt -n d --address-prefix 0.0.0.0/0 "
              "--next-hop-type VirtualAppliance --next-hop-ip-address $FW_IP\n"
              "az network vnet subnet update -g rg --vnet-name v -n aks --route-table rt\n"
              "az aks create -g rg -n c --outbound-type userDefinedRouting --service-cidr 10.1.0.0/16 "
              "--dns-service-ip 10.1.0.10 --vnet-subnet-id /subscriptions/0/resourceGroups/rg/providers/"
              "Microsoft.Network/virtualNetworks/v/subnets/aks\n")
    [msg] = [m for _f, _l, rule, m in scan_files(tmp_path, {"a.sh": script}) if rule == "EGL004"]
    assert "$FW_IP is never assigned: line 1 writes '$FW_IP=...', which bash runs as a command" in msg
