"""The NSG evaluator (egresslint.nsg) and rules EGL301-EGL303 on model-built inventories."""

from __future__ import annotations

from test_firewall_eval import Builder, run

from egresslint.checks import nsg as checks
from egresslint.firewall import Flow
from egresslint.model import NetworkSecurityGroup, Subnet
from egresslint.net import AddressSet
from egresslint.nsg import DEFAULT_RULES, evaluate, nsg_rule_set, vnet_prefixes

NODES = "10.42.1.0/24"


def out(dest: str, proto: str = "tcp", port: int | None = 443, src: str = NODES) -> Flow:
    return Flow.to_addresses([dest], proto, port, AddressSet.parse([src]))


def to_fqdn(host: str, port: int = 443) -> Flow:
    return Flow.to_fqdn(host, port, "https", source=AddressSet.parse([NODES]))


def lab(b: Builder, udr: bool = False):
    nsg = b.nsg("aks-nsg")
    vnet = b.vnet()
    table = None
    if udr:
        b.subnet(vnet, "AzureFirewallSubnet", "10.42.2.0/26")
        table = b.route_table()
        b.route(table, "default", "0.0.0.0/0", "VirtualAppliance", "10.42.2.4")
    nodes = b.subnet(vnet, "aks-subnet", NODES, route_table=table, nsg=nsg)
    return nsg, nodes


def rules_of(b: Builder):
    inv = b.inventory()
    group = inv.all(NetworkSecurityGroup)[0]
    subnet = next(s for s in inv.all(Subnet) if s.name == "aks-subnet")
    return inv, nsg_rule_set(inv, group, subnet)


# =========================================================================== evaluator


def test_default_rules_are_added_in_priority_order() -> None:
    b = Builder()
    lab(b)
    _inv, rs = rules_of(b)
    assert [(e.name, e.priority) for e in rs.entries["outbound"]] == [
        (n, p) for n, p, *_ in DEFAULT_RULES["outbound"]]
    assert evaluate(rs, out("203.0.113.7")).allowed  # AllowInternetOutBound
    assert evaluate(rs, out("10.42.5.5")).allowed  # AllowVnetOutBound
    d = evaluate(rs, out("192.168.9.9"))  # private, outside the VNet: a peering the scan cannot see?
    assert d.unknown
    assert evaluate(rs, to_fqdn("mcr.microsoft.com")).allowed


def test_user_rules_win_by_priority() -> None:
    b = Builder()
    nsg, _ = lab(b)
    b.security_rule(nsg, "deny-internet", "4000", dst=["Internet"])
    b.security_rule(nsg, "allow-https", "3900", access="Allow", protocol="Tcp", dst=["Internet"], ports=["443"])
    _inv, rs = rules_of(b)
    assert evaluate(rs, out("203.0.113.7", "tcp", 443)).allowed
    d = evaluate(rs, out("203.0.113.7", "udp", 1194))
    assert d.denied and d.rule is not None and d.rule.name == "deny-internet"
    assert evaluate(rs, to_fqdn("mcr.microsoft.com")).allowed
    assert evaluate(rs, out("AzureCloud.westeurope", "udp", 1194)).denied  # Internet holds public service tags
    assert evaluate(rs, out("10.42.5.5", "udp", 53)).allowed  # VNet traffic is not Internet


def test_inbound_rules_do_not_apply_outbound() -> None:
    b = Builder()
    nsg, _ = lab(b)
    b.security_rule(nsg, "deny-in", "100", direction="Inbound")
    _inv, rs = rules_of(b)
    assert evaluate(rs, out("203.0.113.7")).allowed
    assert evaluate(rs, out("10.42.1.9", src="203.0.113.7"), "inbound").denied


def test_virtual_network_tag_includes_udr_prefixes() -> None:
    b = Builder()
    nsg, _ = lab(b, udr=True)
    b.security_rule(nsg, "deny-internet", "4000", dst=["Internet"])
    b.security_rule(nsg, "allow-vnet", "3000", access="Allow", src=["VirtualNetwork"], dst=["VirtualNetwork"])
    inv, rs = rules_of(b)
    assert "0.0.0.0/0" in vnet_prefixes(inv, rs.subnet)
    # Azure's documented quirk: with a 0.0.0.0/0 UDR, VirtualNetwork holds every address
    assert evaluate(rs, out("203.0.113.7")).allowed


def test_asgs_and_unresolved_values_are_undecided() -> None:
    b = Builder()
    nsg, _ = lab(b)
    b.security_rule(nsg, "deny-asg", "200", dst=[], destination_asgs=b.vs(["web-asg"]))
    _inv, rs = rules_of(b)
    assert evaluate(rs, out("10.42.1.7")).unknown
    assert evaluate(rs, out("203.0.113.7")).allowed  # an ASG holds NICs of the VNet, not public addresses


def test_exported_default_rules_are_used_once() -> None:
    b = Builder()
    nsg, _ = lab(b)
    b.security_rule(nsg, "DenyAllOutBound", "65500", platform=True)
    _inv, rs = rules_of(b)
    assert [e.name for e in rs.entries["outbound"]].count("DenyAllOutBound") == 1


# =========================================================================== EGL301


def _cluster_lab(b: Builder, outbound: str = "userDefinedRouting", **cluster):
    nsg, nodes = lab(b, udr=True)
    b.firewall(vnet=next(op.ref for op in b.ops if op.ref.kind == "vnet"), dns_proxy="true")
    b.cluster(subnet=nodes, outbound=outbound, **cluster)
    return nsg


def test_egl301_deny_between_cluster_addresses() -> None:
    b = Builder()
    nsg = _cluster_lab(b, network_plugin=b.v("kubenet"), pod_cidrs=b.vs(["10.244.0.0/16"]))
    b.security_rule(nsg, "deny-all-out", "4000")
    b.security_rule(nsg, "deny-pods-in", "300", direction="Inbound", src=["10.244.0.0/16"], dst=[NODES])
    b.security_rule(nsg, "deny-fw-subnet", "310", dst=["10.42.2.0/26"])  # another subnet: legitimate
    found = run(checks.NsgBlocksIntraCluster, b.inventory())
    names = sorted(f.subject.split("/")[-1] for f in found)
    assert names == ["deny-all-out", "deny-pods-in"]
    assert all(f.rule_id == "EGL301" for f in found)


def test_egl301_not_when_an_earlier_allow_covers_the_cluster() -> None:
    b = Builder()
    nsg = _cluster_lab(b)
    b.security_rule(nsg, "allow-vnet", "3900", access="Allow", src=["VirtualNetwork"], dst=["VirtualNetwork"])
    b.security_rule(nsg, "deny-all-out", "4000")
    assert run(checks.NsgBlocksIntraCluster, b.inventory()) == []


# =========================================================================== EGL302


def test_egl302_deny_internet_blocks_required_fqdns() -> None:
    b = Builder()
    nsg = _cluster_lab(b)
    b.security_rule(nsg, "deny-internet", "4000", dst=["Internet"])
    found = run(checks.NsgBlocksRequiredEgress, b.inventory())
    assert len(found) == 1 and found[0].rule_id == "EGL302"
    assert "mcr.microsoft.com" in found[0].message and "deny-internet" in found[0].message


def test_egl302_allow_first_or_isolated_cluster_is_fine() -> None:
    b = Builder()
    nsg = _cluster_lab(b)
    b.security_rule(nsg, "allow-https", "3900", access="Allow", protocol="Tcp", dst=["Internet"], ports=["443", "80"])
    b.security_rule(nsg, "deny-internet", "4000", dst=["Internet"])
    assert run(checks.NsgBlocksRequiredEgress, b.inventory()) == []
    found = run(checks.NsgBlocksRequiredEgress, b.inventory(config={"legacy": True}))
    assert len(found) == 1 and "UDP 1194 to AzureCloud.westeurope" in found[0].message
    b2 = Builder()
    nsg2 = _cluster_lab(b2, outbound="none")
    b2.security_rule(nsg2, "deny-internet", "4000", dst=["Internet"])
    assert run(checks.NsgBlocksRequiredEgress, b2.inventory()) == []


# =========================================================================== EGL303


def test_egl303_priorities_ports_and_prefixes() -> None:
    b = Builder()
    nsg = b.nsg("edge-nsg")
    b.security_rule(nsg, "too-high", "5000")
    b.security_rule(nsg, "a", "200", access="Allow")
    b.security_rule(nsg, "dup", "200", access="Allow")
    b.security_rule(nsg, "other-direction", "200", direction="Inbound")
    b.security_rule(nsg, "bad-range", "210", ports=["443-80"])
    b.security_rule(nsg, "bad-port", "220", ports=["70000"])
    b.security_rule(nsg, "bad-cidr", "230", dst=["10.0.0.0/33"])
    b.security_rule(nsg, "typo-tag", "240", dst=["Internett"])
    b.security_rule(nsg, "two-tags", "250", dst=["AzureCloud", "Storage"])
    b.security_rule(nsg, "fine", "260", dst=["AzureCloud.westeurope"], ports=["443", "1000-2000"])
    b.security_rule(nsg, "AllowVnetOutBound", "65000", access="Allow", platform=True)
    found = run(checks.NsgRuleInvalid, b.inventory())
    flagged = sorted(f.subject.split(":")[0].split("/")[-1] for f in found if f.rule_id == "EGL303")
    assert flagged == ["bad-cidr", "bad-port", "bad-range", "dup", "too-high", "two-tags", "typo-tag"]
    typo = next(f for f in found if "typo-tag" in f.subject)
    assert "did you mean 'Internet'" in typo.message


def test_aks_managed_nsg_is_never_flagged() -> None:
    b = Builder()
    nsg = b.nsg("aks-agentpool-12345678-nsg")
    b.security_rule(nsg, "weird", "50")
    assert run(checks.NsgRuleInvalid, b.inventory()) == []
