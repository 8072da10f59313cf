"""ARM templates and Azure exports -> Operations (fixtures and the shared corpus)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egresslint.findings import Severity
from egresslint.frontends import FrontendResult, SourceFile, arm
from egresslint.frontends.jsonpos import parse as parse_json
from egresslint.model import RESOURCE_CLASSES, FirewallIpConfig, Location, Operation, Ref, Value

FIXTURES = Path(__file__).parent / "fixtures" / "arm"
CORPUS = Path("/work/shared/corpus/arm")


def load(name: str, with_parameters: bool = True, **kw: Any) -> FrontendResult:
    path = FIXTURES / name
    params_path = Path(arm.parameters_file_for(str(path)))
    if with_parameters and params_path.exists() and "parameters" not in kw:
        kw["parameters"] = arm.read_parameters(params_path.read_text(encoding="utf-8"))
    return arm.load(SourceFile(name, path.read_text(encoding="utf-8"), "json"), **kw)


def ops(result: FrontendResult) -> dict[str, Operation]:
    """Operations by ``kind:chain`` (the last one wins, as replay does)."""
    return {f"{o.ref.kind}:{o.ref}": o for o in result.operations}


def line_of(name: str, needle: str, nth: int = 0) -> int:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    hits = [i + 1 for i, text in enumerate(lines) if needle in text]
    return hits[nth]


def known(v: Value | None) -> str | None:
    assert v is not None
    return v.known


def knowns(vs: list[Value]) -> list[str | None]:
    return [v.known for v in vs]


def check_model_fields(result: FrontendResult) -> None:
    """Every change names a field of the model class of its ref kind, with the right shape."""
    for op in result.operations:
        cls = RESOURCE_CLASSES[op.ref.kind]
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for key, value in op.changes.items():
            assert key in fields, (op.ref.kind, key)
            items = value if isinstance(value, list) else [value]
            for item in items:
                assert isinstance(item, (Value, Ref, FirewallIpConfig, str, bool, dict)), (key, item)
                if isinstance(item, Value):
                    assert item.location is not None and item.location.file == op.location.file
        assert op.location.line >= 1


# --------------------------------------------------------------------------- network.json


def test_network_template_resources() -> None:
    result = load("network.json")
    check_model_fields(result)
    by = ops(result)
    rt = Ref("route_table", "contoso-fw-rt", display="contoso-fw-rt")
    assert by["route_table:contoso-fw-rt"].ref == rt
    assert by["route_table:contoso-fw-rt"].location.line == line_of("network.json", '"type": "Microsoft.Network/routeTables"') - 1
    assert by["route_table:contoso-fw-rt"].command == "ARM resource Microsoft.Network/routeTables"
    assert by["route_table:contoso-fw-rt"].changes["disable_bgp_route_propagation"].known == "true"
    assert by["route_table:contoso-fw-rt"].changes["region"].known == "westeurope"

    route = by["route:contoso-fw-rt/default-to-fw"]
    assert route.ref.parent == rt
    assert known(route.changes["address_prefix"]) == "0.0.0.0/0"
    assert known(route.changes["next_hop_type"]) == "VirtualAppliance"
    hop = route.changes["next_hop_ip"]
    assert hop.known == "10.0.1.4" and hop.text == "[parameters('firewallPrivateIp')]"
    assert (hop.location.line, hop.location.column) == (line_of("network.json", '"nextHopIpAddress"'), 49)
    assert hop.location.path == ("resources", 0, "properties", "routes", 0, "properties", "nextHopIpAddress")

    child_route = by["route:contoso-fw-rt/to-onprem"]
    assert child_route.ref.parent == rt
    assert known(child_route.changes["next_hop_type"]) == "VirtualNetworkGateway"

    rule = by["security_rule:contoso-nsg/deny-internet-out"]
    assert known(rule.changes["priority"]) == "4000"
    assert knowns(rule.changes["destination_ports"]) == ["80", "443"]
    assert knowns(rule.changes["destination_prefixes"]) == ["Internet"]
    child_rule = by["security_rule:contoso-nsg/allow-vnet-in"]
    assert knowns(child_rule.changes["source_prefixes"]) == ["10.1.0.0/16", "10.2.0.0/16"]
    assert knowns(child_rule.changes["destination_ports"]) == ["443"]
    assert child_rule.command == "ARM resource Microsoft.Network/networkSecurityGroups/securityRules"

    pip = by["public_ip:contoso-nat-pip"]
    assert known(pip.changes["sku"]) == "Standard"
    assert known(pip.changes["allocation_method"]) == "Static"
    assert pip.changes["prefix"] == Ref("public_ip_prefix", "egress-prefix")
    prefix = by["public_ip_prefix:egress-prefix"]
    assert known(prefix.changes["length"]) == "30"

    nat = by["nat_gateway:contoso-nat"]
    assert known(nat.changes["idle_timeout"]) == "10"
    assert nat.changes["public_ips"] == [Ref("public_ip", "contoso-nat-pip")]
    assert nat.changes["public_ip_prefixes"] == [Ref("public_ip_prefix", "egress-prefix")]

    vnet = by["vnet:contoso-vnet"]
    assert knowns(vnet.changes["address_prefixes"]) == ["10.1.0.0/16", "fd00:db8::/48"]
    dns = vnet.changes["dns_servers"]
    assert [v.state for v in dns] == ["unknown", "known"]
    assert dns[0].text == "[parameters('hubDnsServer')]" and "no default" in dns[0].reason

    nodes = by["subnet:contoso-vnet/aks-nodes"]
    assert nodes.ref.parent == Ref("vnet", "contoso-vnet")
    assert nodes.location.line == line_of("network.json", '"name": "aks-nodes"') - 1
    assert knowns(nodes.changes["address_prefixes"]) == ["10.1.0.0/22"]
    assert nodes.changes["route_table"] == rt
    rtv = nodes.changes["route_table_value"]
    assert rtv.state == "symbolic" and rtv.symbol.ref == rt and rtv.symbol.query == "id"
    assert rtv.text == "[variables('rtId')]" and rtv.location.line == line_of("network.json", "\"[variables('rtId')]\"")
    assert nodes.changes["nsg"] == Ref("nsg", "contoso-nsg")
    assert nodes.changes["nat_gateway"] == Ref("nat_gateway", "contoso-nat")
    assert known(nodes.changes["default_outbound_access"]) == "false"
    assert knowns(by["subnet:contoso-vnet/dual-stack"].changes["address_prefixes"]) == ["10.1.4.0/24", "fd00:db8:0:1::/64"]
    ingress = by["subnet:contoso-vnet/ingress"]  # nested child resource, route table by concat(resourceGroup().id, ...)
    assert ingress.changes["route_table"] == rt

    lb = by["load_balancer:egress-lb"]
    assert lb.changes["frontend_public_ips"] == [Ref("public_ip", "contoso-nat-pip")]
    assert knowns(lb.changes["frontend_private_ips"]) == ["10.1.8.10"]
    assert "managed_by_aks" not in lb.changes
    out = by["outbound_rule:egress-lb/outbound-all"]
    assert known(out.changes["allocated_outbound_ports"]) == "1024"
    assert known(out.changes["idle_timeout"]) == "15"
    assert "identity:aks-identity" in by
    assert not any(o.ref.kind == "k8s_object" for o in result.operations)
    # storage accounts are not in the model
    assert len(result.operations) == 16


def test_unresolved_parameter_is_reported_once_where_networking_uses_it() -> None:
    result = load("network.json")
    infos = [f for f in result.findings if f.rule_id == "EGL004"]
    assert len(infos) == 1
    f = infos[0]
    assert f.severity == Severity.INFO
    assert "hubDnsServer" in f.message
    assert (f.location.line, f.location.column) == (line_of("network.json", "\"[parameters('hubDnsServer')]\","), 25)
    assert not [f for f in result.findings if f.rule_id == "EGL001"]


# --------------------------------------------------------------------------- firewall.json


def test_firewall_classic_collections_ip_configs_and_policy() -> None:
    result = load("firewall.json")
    check_model_fields(result)
    by = ops(result)
    fw_ref = Ref("firewall", "hub-fw")
    fw = by["firewall:hub-fw"]
    assert known(fw.changes["sku"]) == "AZFW_VNet"
    assert known(fw.changes["tier"]) == "Standard"
    assert known(fw.changes["dns_proxy"]) == "true"
    assert known(fw.changes["threat_intel_mode"]) == "Alert"
    [ipc] = fw.changes["ip_configs"]
    assert ipc.subnet == Ref("subnet", "azurefirewallsubnet", parent=Ref("vnet", "hub-vnet"))
    assert ipc.public_ip == Ref("public_ip", "hub-fw-pip")
    assert ipc.private_ip is None and not ipc.management
    assert known(ipc.name) == "ipconfig1"
    assert ipc.location.line == line_of("firewall.json", '"name": "ipconfig1"') - 1
    mgmt = fw.changes["management_ip_config"]
    assert mgmt.management and mgmt.subnet.name == "azurefirewallmanagementsubnet"

    net_rule = by["network_rule:hub-fw/aks-net/apiudp"]
    assert net_rule.ref.parent == Ref("rule_collection", "network:aks-net", parent=fw_ref)
    assert knowns(net_rule.changes["protocols"]) == ["UDP"]
    assert knowns(net_rule.changes["source_addresses"]) == ["10.1.0.0/22"]
    assert knowns(net_rule.changes["destination_addresses"]) == ["AzureCloud.westeurope"]
    assert knowns(net_rule.changes["destination_ports"]) == ["1194"]
    app_rule = by["application_rule:hub-fw/aks-net/aks-fqdn-tag"]
    assert knowns(app_rule.changes["protocols"]) == ["Https:443", "Http:80"]
    assert knowns(app_rule.changes["fqdn_tags"]) == ["AzureKubernetesService"]
    nat_rule = by["nat_rule:hub-fw/dnat/to-ilb"]
    dest = nat_rule.changes["destination_addresses"][0]
    assert dest.state == "symbolic" and dest.symbol.ref == Ref("public_ip", "hub-fw-pip")
    assert dest.symbol.query == "ipAddress"
    assert known(nat_rule.changes["translated_address"]) == "10.1.8.10"
    assert known(nat_rule.changes["translated_port"]) == "8443"

    collections = [o for o in result.operations if o.ref.kind == "rule_collection" and o.ref.parent == fw_ref]
    assert [(o.ref.name, o.changes["rule_kind"], known(o.changes["priority"]), known(o.changes["action"]))
            for o in collections] == [
        # the same name in two lists: the rule kind is part of a classic collection's identity
        ("network:aks-net", "network", "200", "Allow"),
        ("application:aks-net", "application", "300", "Allow"),
        ("nat:dnat", "nat", "100", "Dnat"),
    ]

    policy = by["firewall_policy:hub-fw-policy"]
    assert policy.changes["base_policy"] == Ref("firewall_policy", "global-policy", "rg-global")
    assert known(policy.changes["dns_proxy"]) == "true"
    assert knowns(policy.changes["dns_servers"]) == ["10.0.0.53"]
    assert known(policy.changes["sku"]) == "Premium"
    rcg_ref = Ref("rule_collection_group", "aks-rcg", parent=Ref("firewall_policy", "hub-fw-policy"))
    assert known(by["rule_collection_group:hub-fw-policy/aks-rcg"].changes["priority"]) == "200"
    app = by["rule_collection:hub-fw-policy/aks-rcg/aks-app"]
    assert app.ref.parent == rcg_ref
    assert app.changes["rule_kind"] == "application" and known(app.changes["priority"]) == "300"
    assert by["rule_collection:hub-fw-policy/aks-rcg/aks-net"].changes["rule_kind"] == "network"
    assert by["rule_collection:hub-fw-policy/aks-rcg/dnat"].changes["rule_kind"] == "nat"
    mcr = by["application_rule:hub-fw-policy/aks-rcg/aks-app/mcr"]
    assert knowns(mcr.changes["target_fqdns"]) == ["mcr.microsoft.com", "*.data.mcr.microsoft.com"]
    assert knowns(mcr.changes["protocols"]) == ["Https:443"]
    ntp = by["network_rule:hub-fw-policy/aks-rcg/aks-net/ntp"]
    assert knowns(ntp.changes["destination_fqdns"]) == ["ntp.ubuntu.com"]
    assert knowns(ntp.changes["protocols"]) == ["UDP"]
    web = by["nat_rule:hub-fw-policy/aks-rcg/dnat/web"]
    assert known(web.changes["translated_fqdn"]) == "web.internal.contoso.com"

    for name in ("default", "fw-by-name"):  # reference(resourceId(...)) and reference('name')
        hop = by[f"route:spoke-rt/{name}"].changes["next_hop_ip"]
        assert hop.state == "symbolic"
        assert hop.symbol.ref == fw_ref
        assert hop.symbol.query == "ipConfigurations[0].privateIPAddress"
        assert hop.describe() == "the private IP of firewall 'hub-fw'"
    assert not result.findings


# --------------------------------------------------------------------------- cluster.json


def test_cluster_profiles_node_pools_and_parameter_file() -> None:
    result = load("cluster.json")
    check_model_fields(result)
    by = ops(result)
    cluster = by["cluster:aks-egress"]
    c = cluster.changes
    assert known(c["outbound_type"]) == "userDefinedRouting"
    assert c["outbound_type"].location.line == line_of("cluster.json", '"outboundType": "[parameters')
    assert known(c["network_plugin"]) == "azure"
    assert known(c["network_plugin_mode"]) == "overlay"
    assert known(c["network_policy"]) == "cilium"
    assert known(c["network_dataplane"]) == "cilium"
    assert knowns(c["pod_cidrs"]) == ["192.168.0.0/16"]
    assert knowns(c["service_cidrs"]) == ["172.16.0.0/16"]
    assert known(c["dns_service_ip"]) == "172.16.0.10"
    assert known(c["docker_bridge_address"]) == "172.17.0.1/16"
    assert known(c["load_balancer_sku"]) == "standard"
    assert known(c["lb_managed_outbound_ip_count"]) == "2"
    assert c["lb_outbound_ips"] == [Ref("public_ip", "egress-ip-1", "rg-egress")]
    assert c["lb_outbound_ip_prefixes"] == [Ref("public_ip_prefix", "egress-prefix", "rg-egress")]
    assert known(c["lb_outbound_ports"]) == "4000"
    assert known(c["lb_idle_timeout"]) == "30"
    assert known(c["nat_managed_outbound_ip_count"]) == "4"
    assert known(c["nat_idle_timeout"]) == "8"
    assert known(c["private_cluster"]) == "false"
    assert known(c["apiserver_vnet_integration"]) == "false"
    assert known(c["kubernetes_version"]) == "1.30.3"
    assert known(c["node_resource_group"]) == "MC_aks-egress"
    [ranges] = c["authorized_ip_ranges"]
    assert ranges.state == "unknown" and ranges.text == "[parameters('authorizedRanges')]"

    pool = by["node_pool:aks-egress/system"]
    assert pool.ref.parent == cluster.ref
    p = pool.changes
    assert (known(p["count"]), known(p["min_count"]), known(p["max_count"])) == ("3", "3", "6")
    assert known(p["enable_autoscaling"]) == "true"
    assert known(p["max_surge"]) == "33%"
    subnet = Ref("subnet", "nodes", "rg-net", parent=Ref("vnet", "spoke-vnet", "rg-net"))
    assert p["vnet_subnet"] == subnet  # from cluster.parameters.json
    assert p["vnet_subnet_value"].known.endswith("/subnets/nodes")
    assert p["pod_subnet"] == Ref("subnet", "pods", "rg-net", parent=Ref("vnet", "spoke-vnet", "rg-net"))
    assert known(p["vm_set_type"]) == "VirtualMachineScaleSets"
    assert known(p["mode"]) == "System" and known(p["os_type"]) == "Linux"

    user = by["node_pool:aks-egress/user"]
    assert user.ref.parent == cluster.ref
    assert user.changes["vnet_subnet"] == subnet
    assert user.changes["vnet_subnet_value"].state == "symbolic"
    assert known(user.changes["enable_node_public_ip"]) == "true"
    assert known(user.changes["os_type"]) == "Windows"

    infos = [f for f in result.findings if f.rule_id == "EGL004"]
    assert [("authorizedRanges" in f.message, f.location.line) for f in infos] == [
        (True, line_of("cluster.json", '"authorizedIPRanges"'))
    ]


def test_cluster_without_parameter_file_reports_the_subnet_parameter() -> None:
    result = load("cluster.json", with_parameters=False)
    pool = ops(result)["node_pool:aks-egress/system"]
    assert pool.changes["vnet_subnet_value"].state == "unknown"
    assert "vnet_subnet" not in pool.changes
    assert sorted(re.search(r"'(\w+)'", f.message).group(1) for f in result.findings) == [
        "authorizedRanges",
        "nodeSubnetId",
    ]


def test_suppression_metadata_is_passed_through() -> None:
    result = load("cluster.json")
    [(loc, ids, reason, until, written)] = result.facts["suppressions"]
    assert isinstance(loc, Location) and loc.line == line_of("cluster.json", "managedClusters\",") - 1
    assert loc.line < written.line <= loc.end_line  # covers the resource, written in its metadata
    assert written.line == line_of("cluster.json", '"egresslint"')
    assert ids == ["EGL406"]
    assert reason.startswith("API server")
    assert until == "2030-01-01"


def test_deployment_context_is_used_when_given() -> None:
    result = load("network.json", resource_group="RG-Net", resource_group_location="northeurope",
                  parameters={"location": "[resourceGroup().location]"})
    by = ops(result)
    rt = by["route_table:contoso-fw-rt"]
    assert rt.ref.group == "rg-net"
    assert rt.changes["region"].known == "[resourceGroup().location]"  # bound values are values, not expressions
    assert by["subnet:contoso-vnet/aks-nodes"].changes["route_table"] == rt.ref


# --------------------------------------------------------------------------- nested.json


def test_copy_loops_conditions_and_nested_deployments() -> None:
    result = load("nested.json")
    check_model_fields(result)
    by = ops(result)
    # resource copy (count from a parameter default) with property copy inside
    assert knowns(by["vnet:spoke-1"].changes["address_prefixes"]) == ["10.10.0.0/16"]
    assert knowns(by["vnet:spoke-2"].changes["address_prefixes"]) == ["10.11.0.0/16"]
    assert knowns(by["subnet:spoke-2/snet-1"].changes["address_prefixes"]) == ["10.11.1.0/24"]
    assert knowns(by["subnet:spoke-1/snet-0"].changes["address_prefixes"]) == ["10.10.0.0/24"]
    assert by["subnet:spoke-1/snet-0"].location.path == ("resources", 0, "properties", "copy", 0, "input")
    assert by["vnet:spoke-1"].location.line == by["vnet:spoke-2"].location.line
    # copy with unknown count: one conditional instance
    unknown_rt = [o for o in result.operations if o.ref.kind == "route_table" and "copyindex" in o.ref.name]
    assert len(unknown_rt) == 1 and unknown_rt[0].conditional
    # condition false: skipped; unknown: conditional
    assert "nat_gateway:never-nat" not in by
    assert by["nat_gateway:maybe-nat"].conditional
    # inner scope: parameters passed from outside, evaluated in the outer scope, own variables
    hub_rt = by["route_table:hub-rt"]
    assert hub_rt.ref.group == "rg-hub"
    assert hub_rt.location.path == ("resources", 4, "properties", "template", "resources", 0)
    hop = by["route:hub-rt/default"].changes["next_hop_ip"]
    assert hop.known == "10.0.1.4"
    assert hop.location.path[-1] == "nextHopIpAddress"
    assert hop.location.line == line_of("nested.json", "\"[parameters('nextHop')]\"")
    assert by["route:hub-rt/inner-variable"].changes["next_hop_ip"].known == "not-the-outer-one"
    # outer scope: the nested template sees the parent's variables
    assert by["route:outer-rt/default"].changes["next_hop_ip"].known == "10.0.1.4"
    assert by["route_table:outer-rt"].ref.group is None
    assert not result.findings


def test_symbolic_names_language_version_2() -> None:
    result = load("symbolic.json")
    check_model_fields(result)
    by = ops(result)
    assert "firewall:hub-fw" not in by  # `existing` resources are references, not declarations
    hop = by["route:sym-rt/default"].changes["next_hop_ip"]
    assert hop.state == "symbolic" and hop.symbol.ref == Ref("firewall", "hub-fw")
    snet = by["subnet:spoke-vnet/nodes"]
    assert snet.changes["route_table"] == Ref("route_table", "sym-rt")
    assert snet.location.path == ("resources", "snet")


# --------------------------------------------------------------------------- syntax


def test_comments_trailing_commas_and_multiline_strings() -> None:
    result = load("comments.json")
    assert not result.findings
    by = ops(result)
    route = by["route:commented-rt/default"]
    assert known(route.changes["next_hop_type"]) == "Internet"
    line = line_of("comments.json", '"nextHopType": "Internet"')
    assert route.changes["next_hop_type"].location.line == line
    assert route.changes["address_prefix"].location.line == line
    assert route.changes["next_hop_type"].location.column == 87
    assert known(by["route_table:commented-rt"].changes["disable_bgp_route_propagation"]) == "true"


def test_invalid_json_is_egl001_where_parsing_stopped() -> None:
    result = load("broken.json")
    [f] = result.findings
    assert f.rule_id == "EGL001" and f.severity == Severity.ERROR
    assert (f.location.line, f.location.column) == (8, 13)
    assert not result.operations


def test_broken_expression_is_egl001_and_the_rest_goes_on() -> None:
    result = load("broken-expression.json")
    [f] = result.findings
    assert f.rule_id == "EGL001"
    assert "concat('0.0.0.0/0', ]" in f.message
    line = line_of("broken-expression.json", '"addressPrefix"')
    text = (FIXTURES / "broken-expression.json").read_text().splitlines()[line - 1]
    assert (f.location.line, f.location.column) == (line, text.index("]\"") + 1)
    by = ops(result)
    assert by["route:rt-one/default"].changes["address_prefix"].state == "unknown"
    assert known(by["route:rt-one/default"].changes["next_hop_type"]) == "Internet"


def test_other_json_is_skipped_silently() -> None:
    result = load("not-azure.json")
    assert result.skipped and not result.findings and not result.operations
    broken_other = arm.load(SourceFile("x.json", '{"name": "pkg", ', "json"))
    assert broken_other.skipped and not broken_other.findings


def test_parameters_file_gives_facts() -> None:
    result = load("cluster.parameters.json")
    assert not result.operations and result.skipped is None
    assert result.facts["arm_parameters"]["cluster.parameters.json"]["nodeSubnetId"].endswith("/subnets/nodes")
    assert arm.parameters_file_for("a/b/main.json") == "a/b/main.parameters.json"
    assert arm.template_for_parameters_file("a/b/main.parameters.json") == "a/b/main.json"
    assert arm.template_for_parameters_file("a/b/main.json") is None
    kv = arm.read_parameters('{"parameters": {"s": {"reference": {"keyVault": {}}}, "n": {"value": 3}}}')
    assert kv["n"] == 3 and "Key Vault" in kv["s"].reason


# --------------------------------------------------------------------------- exports


def test_az_show_export_flattened() -> None:
    result = load("export-vnet-show.json")
    check_model_fields(result)
    by = ops(result)
    vnet = by["vnet:Spoke-VNet"]
    assert vnet.ref == Ref("vnet", "spoke-vnet", "rg-spoke")
    assert vnet.command == "Azure export Microsoft.Network/virtualNetworks"
    assert knowns(vnet.changes["address_prefixes"]) == ["10.42.0.0/16"]
    assert knowns(vnet.changes["dns_servers"]) == ["10.0.0.4"]
    subnet = by["subnet:Spoke-VNet/aks-nodes"]
    assert subnet.ref == Ref("subnet", "aks-nodes", "rg-spoke", parent=vnet.ref)
    assert subnet.changes["route_table"] == Ref("route_table", "fw-rt", "rg-hub")
    assert subnet.changes["route_table_value"].known.endswith("/routeTables/fw-rt")
    assert subnet.changes["nsg"] == Ref("nsg", "aks-nsg", "rg-spoke")
    assert subnet.location.line == line_of("export-vnet-show.json", '"addressPrefix": "10.42.0.0/22"') - 1


def test_az_list_export_with_platform_objects() -> None:
    result = load("export-list.json")
    check_model_fields(result)
    by = ops(result)
    route = by["route:fw-rt/default"]
    assert route.ref == Ref("route", "default", "rg-hub", parent=Ref("route_table", "fw-rt", "rg-hub"))
    assert known(route.changes["next_hop_ip"]) == "10.0.1.4"
    assert route.changes["next_hop_ip"].location.path == (0, "routes", 0, "nextHopIpAddress")
    assoc = [o for o in result.operations if o.action == "update"]
    assert len(assoc) == 1
    assert assoc[0].ref == Ref("subnet", "aks-nodes", "rg-spoke", parent=Ref("vnet", "spoke-vnet", "rg-spoke"))
    assert assoc[0].changes["route_table"] == Ref("route_table", "fw-rt", "rg-hub")
    default_rule = by["security_rule:aks-nsg/AllowVnetInBound"]
    assert default_rule.changes["platform_default"] is True
    assert "platform_default" not in by["security_rule:aks-nsg/deny-web"].changes
    lb = by["load_balancer:kubernetes"]
    assert lb.changes["managed_by_aks"] is True
    assert lb.ref.group == "mc_rg_aks_westeurope"
    assert known(by["outbound_rule:kubernetes/aksOutboundRule"].changes["allocated_outbound_ports"]) == "0"
    assert known(by["public_ip:0b0b0b0b"].changes["ip_address"]) == "20.50.60.70"


def test_az_aks_show_export() -> None:
    result = load("export-aks-show.json")
    check_model_fields(result)
    by = ops(result)
    cluster = by["cluster:aks-egress"]
    assert cluster.ref == Ref("cluster", "aks-egress", "rg-spoke")
    assert knowns(cluster.changes["service_cidrs"]) == ["10.0.0.0/16"]  # serviceCidr == serviceCidrs[0]
    assert known(cluster.changes["dns_service_ip"]) == "10.0.0.10"
    assert knowns(cluster.changes["authorized_ip_ranges"]) == ["20.1.2.3/32"]
    pool = by["node_pool:aks-egress/nodepool1"]
    assert pool.changes["vnet_subnet"] == Ref("subnet", "aks-nodes", "rg-spoke", parent=Ref("vnet", "spoke-vnet", "rg-spoke"))


def test_load_export_entry_point() -> None:
    text = (FIXTURES / "export-list.json").read_text()
    assert len(arm.load_export(SourceFile("e.json", text, "export")).operations) == 9
    assert arm.load_export(SourceFile("e.json", "[1, 2]", "export")).skipped


# --------------------------------------------------------------------------- resource IDs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/v/subnets/S1",
            Ref("subnet", "s1", "rg", parent=Ref("vnet", "v", "rg")),
        ),
        (
            "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/routeTables/rt/routes/r",
            Ref("route", "r", "rg", parent=Ref("route_table", "rt", "rg")),
        ),
        ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/azureFirewalls/fw", Ref("firewall", "fw", "rg")),
        (
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/firewallPolicies/p/ruleCollectionGroups/g",
            Ref("rule_collection_group", "g", "rg", parent=Ref("firewall_policy", "p", "rg")),
        ),
        (
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n/defaultSecurityRules/d",
            Ref("security_rule", "d", "rg", parent=Ref("nsg", "n", "rg")),
        ),
        ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/natGateways/n", Ref("nat_gateway", "n", "rg")),
        ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/p", Ref("public_ip", "p", "rg")),
        ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPPrefixes/p", Ref("public_ip_prefix", "p", "rg")),
        (
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/kubernetes/outboundRules/o",
            Ref("outbound_rule", "o", "rg", parent=Ref("load_balancer", "kubernetes", "rg")),
        ),
        ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/ipGroups/i", Ref("ip_group", "i", "rg")),
        (
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c/agentPools/np",
            Ref("node_pool", "np", "rg", parent=Ref("cluster", "c", "rg")),
        ),
        (
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id",
            Ref("identity", "id", "rg"),
        ),
        ("/subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.Network/virtualNetworks/$VNET", Ref("vnet", "$vnet", "$rg")),
        ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/x", None),
        ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/providers/Microsoft.Insights/diagnosticSettings/d", None),
        ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks", None),
        ("not an id", None),
        ("", None),
    ],
)
def test_ref_from_resource_id(text: str, expected: Ref | None) -> None:
    got = arm.ref_from_resource_id(text)
    assert got == expected
    if got is not None:
        assert got.display == text.rstrip("/").split("/")[-1]


# --------------------------------------------------------------------------- corpus


def _corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.json")) if CORPUS.is_dir() else []


_ALLOWED_UNKNOWN = re.compile(
    r"has no default value|is not known|is only known after deployment|is not evaluated by the scan"
    r"|computed by Azure at deployment time"
)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: p.name)
def test_corpus_file_loads(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    result = arm.load(SourceFile(path.name, text, "json"))
    assert not [f for f in result.findings if f.rule_id == "EGL001"]
    assert all(f.rule_id == "EGL004" and f.severity == Severity.INFO for f in result.findings)
    check_model_fields(result)
    doc = parse_json(text)
    for op in result.operations:
        assert doc.span(op.location.path) is not None
        for v in arm.iter_values(op.changes):
            if v.state == "unknown":
                # Unknown only where the template gives no value (a parameter without default, the
                # deployment context, deployment-time functions), never where it gives a default.
                assert _ALLOWED_UNKNOWN.search(v.reason), (v.text, v.reason)
            sp = doc.span(v.location.path)
            assert sp is not None and (sp[0], sp[1]) == (v.location.line, v.location.column)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_corpus_examples() -> None:
    def corpus(name: str) -> dict[str, Operation]:
        return ops(arm.load(SourceFile(name, (CORPUS / name).read_text(encoding="utf-8"), "json")))

    hub = corpus("aksbaseline-2022-hub-regionA.json")  # contains // and /* */ comments
    tag_rule = hub["application_rule:fw-policies-eastus2/DefaultApplicationRuleCollectionGroup/"
                   "AKS-Global-Requirements/service-requirements"]
    assert knowns(tag_rule.changes["fqdn_tags"]) == ["AzureKubernetesService"]
    assert hub["firewall:fw-eastus2"].changes["policy"] == Ref("firewall_policy", "fw-policies-eastus2")
    assert hub["firewall_policy:fw-policies-eastus2"].changes["base_policy"] == Ref("firewall_policy", "fw-policies-base")

    spoke = corpus("aksbaseline-2020-002-cluster-network-stamp.json")
    route = spoke["route:route-vnet-hub-spoke-BU0001A0008-00-clusternodes-to-hub/r-nexthop-to-fw"]
    hop = route.changes["next_hop_ip"]
    # written privateIpAddress; queried with the az spelling (JMESPath is case-sensitive)
    assert hop.state == "symbolic" and hop.symbol.query == "ipConfigurations[0].privateIPAddress"
    assert hop.describe() == "the private IP of firewall '<parameters('firewallName')>'"
    nodes = spoke["subnet:vnet-hub-spoke-BU0001A0008-00/snet-system-clusternodes"]
    assert nodes.changes["route_table"].name == "route-vnet-hub-spoke-bu0001a0008-00-clusternodes-to-hub"

    fw = corpus("restapi-example-azurefirewall-get.json")["firewall:azurefirewall"]
    assert fw.ref.group == "rg1"
    assert fw.changes["ip_configs"][0].private_ip.known == "10.0.0.0"

    aks = corpus("restapi-example-aks-create-userassignednatgateway.json")["cluster:clustername1"]
    assert known(aks.changes["outbound_type"]) == "userAssignedNATGateway"

    nat = corpus("quickstart-nat-gateway-vnet-azuredeploy.json")
    assert nat["subnet:myVnet/mySubnet"].changes["nat_gateway"] == Ref("nat_gateway", "mynatgateway")


def test_symbol_with_literal_suffix() -> None:
    text = """{
      "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
      "contentVersion": "1.0.0.0",
      "resources": [{
        "type": "Microsoft.Network/routeTables/routes",
        "apiVersion": "2023-09-01",
        "name": "fw-rt/fw-pip-internet",
        "properties": {
          "addressPrefix": "[concat(reference(resourceId('Microsoft.Network/publicIPAddresses', 'fw-pip')).ipAddress, '/32')]",
          "nextHopType": "Internet"
        }
      }]
    }"""
    [op] = arm.load(SourceFile("t.json", text, "json")).operations
    prefix = op.changes["address_prefix"]
    assert prefix.symbol.ref == Ref("public_ip", "fw-pip") and prefix.symbol.query == "ipAddress"
    assert prefix.symbol.suffix == "/32"
    assert prefix.describe() == "the address of public IP 'fw-pip' + '/32'"
    assert (prefix.location.line, prefix.location.column) == (9, 28)


def test_unknown_properties_still_give_the_resource() -> None:
    text = """{
      "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
      "contentVersion": "1.0.0.0",
      "parameters": {"rtProps": {"type": "object"}, "subnets": {"type": "array"}},
      "resources": [
        {
          "type": "Microsoft.Network/routeTables", "apiVersion": "2023-09-01", "name": "rt",
          "metadata": {"description": "[DEPRECATED] free text is not an expression"},
          "properties": "[parameters('rtProps')]"
        },
        {
          "type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-09-01", "name": "vnet",
          "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/8"]}, "subnets": "[parameters('subnets')]"}
        }
      ]
    }"""
    result = arm.load(SourceFile("t.json", text, "json"))
    by = ops(result)
    bgp = by["route_table:rt"].changes["disable_bgp_route_propagation"]
    assert bgp.state == "unknown" and bgp.text == "[parameters('rtProps').disableBgpRoutePropagation]"
    assert knowns(by["vnet:vnet"].changes["address_prefixes"]) == ["10.0.0.0/8"]
    assert [o.ref.kind for o in result.operations] == ["route_table", "vnet"]  # subnets not enumerable
    assert [f.rule_id for f in result.findings] == ["EGL004"]  # rtProps; no EGL001 for the description
    assert [o.group for o in result.operations] == [1, 2]


# --------------------------------------------------------------------------- robustness

_TYPES = [
    "Microsoft.Network/virtualNetworks", "Microsoft.Network/virtualNetworks/subnets", "Microsoft.Network/routeTables",
    "Microsoft.Network/azureFirewalls", "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
    "Microsoft.Network/networkSecurityGroups", "Microsoft.Network/loadBalancers", "Microsoft.Network/natGateways",
    "Microsoft.ContainerService/managedClusters", "Microsoft.Resources/deployments", "subnets", "routes",
    "Microsoft.Web/sites",
]
_KEYS = ["properties", "subnets", "routes", "addressPrefix", "addressPrefixes", "routeTable", "id", "name",
         "ipConfigurations", "networkRuleCollections", "rules", "ruleCollections", "agentPoolProfiles",
         "networkProfile", "copy", "count", "input", "template", "resources", "type", "parameters", "value",
         "securityRules", "frontendIPConfigurations", "outboundRules", "loadBalancerProfile", "sku"]
_STRINGS = st.sampled_from([
    "[parameters('p')]", "[variables('v')]", "[copyIndex()]", "[concat('a', parameters('p'))]",
    "[resourceId('Microsoft.Network/routeTables', 'rt')]", "[reference('x').y]", "[bad(", "[[literal]",
    "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/s", "10.0.0.0/8",
    "[if(parameters('b'), 1, 2)]", "rt/r", "",
]) | st.text(max_size=6)
_json_like = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 900) | _STRINGS,
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.sampled_from(_KEYS), c, max_size=5),
    max_leaves=25,
)
_resource = st.fixed_dictionaries(
    {"type": st.sampled_from(_TYPES), "name": _STRINGS},
    optional={"properties": _json_like, "resources": st.lists(_json_like, max_size=2), "copy": _json_like,
              "condition": _json_like, "resourceGroup": _STRINGS, "location": _STRINGS},
)
_template = st.fixed_dictionaries(
    {"$schema": st.just("https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"),
     "contentVersion": st.just("1.0.0.0"),
     "resources": st.lists(_resource, max_size=4) | st.dictionaries(st.text(max_size=3), _resource, max_size=3)},
    optional={"parameters": st.dictionaries(st.sampled_from(["p", "b", "q"]), _json_like, max_size=3),
              "variables": st.dictionaries(st.sampled_from(["v", "w", "copy"]), _json_like, max_size=3)},
)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(_template, st.sampled_from([None, 2, "\t"]))
def test_any_template_shape_loads_without_raising(template: Any, indent: Any) -> None:
    result = arm.load(SourceFile("fuzz.json", json.dumps(template, indent=indent), "json"))
    check_model_fields(result)
    for f in result.findings:
        assert f.rule_id in ("EGL001", "EGL004")


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_json_like, max_size=3))
def test_any_export_shape_loads_without_raising(objects: Any) -> None:
    for o in objects:
        if isinstance(o, dict):
            o["id"] = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/routeTables/rt"
            o["type"] = "Microsoft.Network/routeTables"
    result = arm.load(SourceFile("fuzz.json", json.dumps(objects), "json"))
    check_model_fields(result)
