"""ARM templates, Azure exports and PowerShell for the outbound rules (EGL401-EGL411): what the
rule fixtures cannot show on one file (several files, unknown template parameters, messages)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from egresslint.config import Config
from egresslint.engine import scan
from egresslint.frontends import SourceFile, arm, azcli
from egresslint.model import Ref

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def template(resources: list[dict[str, Any]], parameters: dict[str, Any] | None = None) -> str:
    return json.dumps({"$schema": SCHEMA, "contentVersion": "1.0.0.0", "parameters": parameters or {},
                       "resources": resources}, indent=2)


def findings(tmp_path: Path, files: dict[str, str]) -> list:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return scan([tmp_path], Config(), root=tmp_path).findings


def of(found: list, rule_id: str) -> list:
    return [f for f in found if f.rule_id == rule_id]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def nat_gateway(name: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Microsoft.Network/natGateways", "apiVersion": "2023-09-01", "name": name,
            "sku": {"name": "Standard"}, "properties": properties}


UNAT_CLUSTER = {
    "type": "Microsoft.ContainerService/managedClusters", "apiVersion": "2024-09-01", "name": "aks",
    "properties": {
        "agentPoolProfiles": [{"name": "system", "count": 3,
                               "vnetSubnetID": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'aks')]"}],
        "networkProfile": {"networkPlugin": "azure", "outboundType": "userAssignedNATGateway"},
    },
}


def vnet_with_nat(nat_id: str) -> dict[str, Any]:
    return {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-09-01", "name": "vnet",
            "properties": {"addressSpace": {"addressPrefixes": ["10.42.0.0/16"]},
                           "subnets": [{"name": "aks", "properties": {"addressPrefix": "10.42.1.0/24",
                                                                      "natGateway": {"id": nat_id}}}]}}


def test_subnet_nat_gateway_from_an_unset_parameter_is_not_a_missing_nat_gateway(tmp_path):
    # the NAT gateway ID is a parameter without a value: the subnet has a NAT gateway the scan
    # cannot name, so EGL401 must not report "which has none" (an error on an unknown)
    text = template([vnet_with_nat("[parameters('natGatewayId')]"), UNAT_CLUSTER],
                    {"natGatewayId": {"type": "string"}})
    found = findings(tmp_path, {"main.json": text})
    assert not of(found, "EGL401")
    info = of(found, "EGL004")
    assert len(info) == 1 and "natGatewayId" in info[0].message
    assert info[0].location.line == line_of(text, "[parameters('natGatewayId')]")


def test_subnet_without_a_nat_gateway_still_fails_egl401(tmp_path):
    cluster = json.loads(json.dumps(UNAT_CLUSTER))
    cluster["properties"]["apiServerAccessProfile"] = {"authorizedIPRanges": ["203.0.113.0/24"]}
    text = template([
        {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-09-01", "name": "vnet",
         "properties": {"subnets": [{"name": "aks", "properties": {"addressPrefix": "10.42.1.0/24"}}]}},
        cluster])
    found = findings(tmp_path, {"main.json": text})
    assert len(of(found, "EGL401")) == 1 and "which has none" in of(found, "EGL401")[0].message
    assert of(found, "EGL401")[0].location.line == line_of(text, '"outboundType"')
    # a NAT gateway known to be absent is not "unknown" to EGL406: it has nothing to compare
    assert not of(found, "EGL004") and not of(found, "EGL406")


def test_unknown_nat_gateway_id_names_the_resource_by_its_expression():
    text = template([vnet_with_nat("[parameters('natGatewayId')]")], {"natGatewayId": {"type": "string"}})
    result = arm.load(SourceFile("main.json", text, "json"))
    subnet = next(o for o in result.operations if o.ref.kind == "subnet")
    ref = subnet.changes["nat_gateway"]
    assert isinstance(ref, Ref) and ref.kind == "nat_gateway"
    # identity: the residual expression (the same parameter names the same gateway everywhere)
    assert ref.name == "[parameters('natgatewayid')]" and ref.group is None
    assert "parameters('natGatewayId')" in ref.label


def test_nat_gateway_with_an_explicit_empty_ip_list_has_no_public_ip(tmp_path):
    text = template([nat_gateway("natgw", {"publicIpAddresses": [], "publicIpPrefixes": []})])
    found = of(findings(tmp_path, {"main.json": text}), "EGL402")
    assert len(found) == 1 and "no public IP" in found[0].message
    # a template is fixed in the template, not with az flags
    assert "publicIpAddresses or publicIpPrefixes" in found[0].message and "--public-ip" not in found[0].message


def test_nat_gateway_ip_list_from_an_unset_parameter_is_info(tmp_path):
    text = template([nat_gateway("natgw", {"publicIpAddresses": "[parameters('ips')]"})], {"ips": {"type": "array"}})
    found = findings(tmp_path, {"main.json": text})
    assert not of(found, "EGL402")
    info = of(found, "EGL004")
    assert len(info) == 1 and "'ips'" in info[0].message


def test_nat_gateway_ip_with_an_unset_id_is_still_an_ip(tmp_path):
    text = template([nat_gateway("natgw", {"publicIpAddresses": [{"id": "[parameters('pipId')]"}]})],
                    {"pipId": {"type": "string"}})
    found = findings(tmp_path, {"main.json": text})
    assert not of(found, "EGL402")
    assert [f.rule_id for f in found if "pipId" in f.message] == ["EGL004"]


def test_default_allocation_advice_names_the_template_property(tmp_path):
    text = template([{"type": "Microsoft.ContainerService/managedClusters", "apiVersion": "2024-09-01",
                      "name": "aks", "properties": {"agentPoolProfiles": [{"name": "system", "count": 60}]}}])
    found = of(findings(tmp_path, {"main.json": text}), "EGL404")
    assert len(found) == 1 and "set loadBalancerProfile.allocatedOutboundPorts explicitly" in found[0].message


EXPORT = {
    "agentPoolProfiles": [{"count": 3, "mode": "System", "name": "nodepool1", "type": "VirtualMachineScaleSets"}],
    "id": "/subscriptions/0000/resourcegroups/rg1/providers/Microsoft.ContainerService/managedClusters/aks",
    "location": "westeurope",
    "name": "aks",
    "networkProfile": {"loadBalancerSku": "standard", "networkPlugin": "azure", "outboundType": "managedNATGateway"},
    "resourceGroup": "rg1",
    "type": "Microsoft.ContainerService/ManagedClusters",
}


def test_export_gives_the_state_a_powershell_migration_starts_from(tmp_path):
    # `az aks show` output is the cluster as it is; the script's update is the migration
    script = '$rg = "rg1"\naz aks update -g $rg -n aks `\n  --outbound-type userDefinedRouting\n'
    found = of(findings(tmp_path, {"aks-show.json": json.dumps(EXPORT, indent=2), "migrate.ps1": script}), "EGL405")
    assert len(found) == 1
    assert (found[0].location.file, found[0].location.line) == ("migrate.ps1", 3)
    assert "from managedNATGateway to userDefinedRouting" in found[0].message


def test_export_then_a_supported_powershell_migration(tmp_path):
    script = 'az aks update -g rg1 -n aks --outbound-type none\n'
    found = findings(tmp_path, {"aks-show.json": json.dumps(EXPORT, indent=2), "migrate.ps1": script})
    assert not of(found, "EGL405")


def kubenet_udr_cluster(identity: dict[str, Any] | None) -> dict[str, Any]:
    cluster: dict[str, Any] = {
        "type": "Microsoft.ContainerService/managedClusters", "apiVersion": "2024-09-01", "name": "aks",
        "properties": {
            "agentPoolProfiles": [{"name": "system", "count": 3, "vnetSubnetID":
                                   "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/aks"}],
            "networkProfile": {"networkPlugin": "kubenet", "outboundType": "userDefinedRouting"},
        },
    }
    if identity is not None:
        cluster["identity"] = identity
    return cluster


def test_kubenet_udr_warning_depends_on_the_control_plane_identity(tmp_path):
    def kubenet_warnings(identity: dict[str, Any] | None, parameters: dict[str, Any] | None = None) -> list:
        text = template([kubenet_udr_cluster(identity)], parameters)
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        folder.mkdir()
        return [f for f in findings(folder, {"main.json": text}) if f.rule_id == "EGL401" and "kubenet" in f.message]

    assert len(kubenet_warnings(None)) == 1
    assert len(kubenet_warnings({"type": "SystemAssigned"})) == 1
    assert not kubenet_warnings({"type": "UserAssigned", "userAssignedIdentities": {"/subscriptions/0/x": {}}})
    # an identity type the scan cannot know is not judged (the template reader reports the parameter)
    assert not kubenet_warnings({"type": "[parameters('identityType')]"}, {"identityType": {"type": "string"}})


def test_assign_identity_makes_the_identity_user_assigned(tmp_path):
    script = ("az aks create -g rg -n aks --network-plugin kubenet --outbound-type userDefinedRouting `\n"
              "  --vnet-subnet-id /subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/aks `\n"
              "  --assign-identity $identityId\n")
    found = [f for f in findings(tmp_path, {"create.ps1": script}) if f.rule_id == "EGL401"]
    assert not [f for f in found if "kubenet" in f.message]


def authorized_ranges(text: str, dialect: str) -> list:
    result = azcli.load(SourceFile("s", text, "script", dialect))
    return next(o.changes["authorized_ip_ranges"] for o in result.operations if "authorized_ip_ranges" in o.changes)


PIP = "az network public-ip create -g rg -n fw-pip --sku Standard\n"


def test_comma_list_with_a_variable_is_split_into_items():
    bash = PIP + ('FW_IP=$(az network public-ip show -g rg -n fw-pip --query ipAddress -o tsv)\n'
                  'az aks update -g rg -n aks --api-server-authorized-ip-ranges 198.51.100.0/24,$FW_IP/32\n')
    ps = PIP + ('$fwIp = $(az network public-ip show -g rg -n fw-pip --query ipAddress -o tsv)\n'
                'az aks update -g rg -n aks --api-server-authorized-ip-ranges "198.51.100.0/24, $fwIp/32,"\n')
    for text, dialect in ((bash, "bash"), (ps, "powershell")):
        first, second = authorized_ranges(text, dialect)
        assert first.known == "198.51.100.0/24"
        assert second.symbol is not None and second.symbol.ref.name == "fw-pip"
        assert (second.symbol.query, second.symbol.suffix) == ("ipAddress", "/32")


def test_comma_list_items_from_a_known_list_variable():
    text = PIP + ('RANGES="203.0.113.0/24, 198.51.100.0/24"\n'
                  'FW_IP=$(az network public-ip show -g rg -n fw-pip --query ipAddress -o tsv)\n'
                  'az aks update -g rg -n aks --api-server-authorized-ip-ranges "$RANGES,$FW_IP"\n')
    first, second, third = authorized_ranges(text, "bash")
    assert (first.known, second.known) == ("203.0.113.0/24", "198.51.100.0/24")
    assert third.symbol is not None and third.symbol.query == "ipAddress" and not third.symbol.suffix


def test_comma_list_with_a_command_substitution_is_left_whole():
    # splitting would evaluate the $(...) again, replaying its command
    text = "az aks update -g rg -n aks --api-server-authorized-ip-ranges \"10.0.0.0/8,$(curl -s ifconfig.me)/32\"\n"
    (only,) = authorized_ranges(text, "bash")
    assert only.known is None and "," in only.text


def test_firewall_ip_in_a_comma_list_is_authorized(tmp_path):
    script = (PIP.replace("rg", "$rg") + '$rg = "rg"\n'
              "az network vnet create -g $rg -n vnet --address-prefixes 10.42.0.0/16 --subnet-name aks --subnet-prefixes 10.42.1.0/24\n"
              "az network vnet subnet create -g $rg --vnet-name vnet -n AzureFirewallSubnet --address-prefixes 10.42.0.0/26\n"
              "az network firewall create -g $rg -n fw\n"
              "az network firewall ip-config create -g $rg -f fw -n cfg --public-ip-address fw-pip --vnet-name vnet\n"
              "az network route-table create -g $rg -n rt\n"
              "az network route-table route create -g $rg --route-table-name rt -n default --address-prefix 0.0.0.0/0 "
              "--next-hop-type VirtualAppliance --next-hop-ip-address 10.42.0.4\n"
              "az network vnet subnet update -g $rg --vnet-name vnet -n aks --route-table rt\n"
              "$subnetId = $(az network vnet subnet show -g $rg --vnet-name vnet -n aks --query id -o tsv)\n"
              "$fwIp = $(az network public-ip show -g $rg -n fw-pip --query ipAddress -o tsv)\n"
              "az aks create -g $rg -n aks --outbound-type userDefinedRouting --vnet-subnet-id $subnetId `\n"
              '  --api-server-authorized-ip-ranges "203.0.113.0/24,$fwIp"\n'
              'az aks update -g $rg -n aks --api-server-authorized-ip-ranges "203.0.113.0/24,198.51.100.7"\n')
    found = findings(tmp_path, {"udr.ps1": script})
    assert [f.location.line for f in found if f.rule_id == "EGL406"] == [14]
    assert not [f for f in found if f.rule_id == "EGL004" and "authorized" in f.message]
