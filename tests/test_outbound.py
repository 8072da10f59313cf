"""EGL401-EGL406, EGL408, EGL410, EGL411 on inventories built from Operations, plus the limits
pack. The script fixtures (tests/fixtures/rules/EGL4*) exercise the same rules through the az
frontend; these tests pin the arithmetic, the boundaries and the template (ARM) variants."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

from egresslint import limits as limits_mod
from egresslint.checks import outbound as ob
from egresslint.findings import Severity
from egresslint.inventory import Inventory
from egresslint.model import (
    FirewallIpConfig,
    Location,
    Operation,
    Ref,
    Symbol,
    Value,
)

FILE = "deploy.sh"
ARM = "azuredeploy.json"


# --------------------------------------------------------------------------- builders


class B:
    """Builds a list of Operations line by line (one operation per line)."""

    def __init__(self, file: str = FILE) -> None:
        self.file = file
        self.ops: list[Operation] = []
        self.line = 0

    def loc(self) -> Location:
        return Location(self.file, self.line, 1)

    def v(self, text: str) -> Value:
        return Value.literal(str(text), Location(self.file, self.line, 10))

    def op(self, verb: str, ref: Ref, command: str, raw: dict | None = None, **changes) -> Operation:
        """One operation; str/int changes become literal Values, ``raw`` ones are kept as they are."""
        self.line += 1
        conv = {k: (self.v(x) if isinstance(x, str | int) and not isinstance(x, bool) else x)
                for k, x in changes.items()}
        conv.update(raw or {})
        if self.file.endswith(".json") and command.startswith("az "):
            command = "Microsoft.ContainerService/managedClusters"
        op = Operation(verb, ref, self.loc(), conv, seq=len(self.ops), command=command)  # type: ignore[arg-type]
        self.ops.append(op)
        return op

    def inv(self, facts: dict | None = None) -> Inventory:
        inv = Inventory({"config": facts or {}})
        inv.replay(self.ops)
        assert not inv.problems, inv.problems
        return inv

    # resources ------------------------------------------------------------
    def cluster(self, name: str = "aks", group: str = "rg", pool: str = "nodepool1", subnet: Ref | None = None,
                subnet_value: Value | None = None, pool_fields: dict | None = None, **fields) -> Ref:
        ref = Ref("cluster", name, group, display=name)
        self.op("create", ref, "az aks create", **fields)
        pool_changes = dict(pool_fields or {})
        if subnet is not None:
            pool_changes["vnet_subnet"] = subnet
            pool_changes["vnet_subnet_value"] = subnet_value or Value.literal(f"/subscriptions/0/.../{subnet.name}",
                                                                              Location(self.file, self.line, 40))
        self.line -= 1  # the pool belongs to the same command line
        self.op("create", Ref("node_pool", pool, group, ref, display=pool), "az aks create", **pool_changes)
        return ref

    def update(self, cluster: Ref, **fields) -> Operation:
        return self.op("update", cluster, "az aks update", **fields)

    def pool(self, cluster: Ref, name: str, **fields) -> Ref:
        ref = Ref("node_pool", name, cluster.group, cluster, display=name)
        self.op("create", ref, "az aks nodepool add", **fields)
        return ref

    def vnet(self, name: str = "vnet", group: str = "rg", prefix: str = "10.42.0.0/16") -> Ref:
        ref = Ref("vnet", name, group, display=name)
        self.op("create", ref, "az network vnet create", address_prefixes=[self.v(prefix)])
        return ref

    def subnet(self, vnet: Ref, name: str, prefix: str, **links) -> Ref:
        ref = Ref("subnet", name.lower(), vnet.group, vnet, display=name)
        self.op("create", ref, "az network vnet subnet create", address_prefixes=[self.v(prefix)], **links)
        return ref

    def pip(self, name: str, group: str = "rg", **fields) -> Ref:
        ref = Ref("public_ip", name, group, display=name)
        self.op("create", ref, "az network public-ip create", **fields)
        return ref

    def prefix(self, name: str, length: int, group: str = "rg") -> Ref:
        ref = Ref("public_ip_prefix", name, group, display=name)
        self.op("create", ref, "az network public-ip prefix create", length=length)
        return ref

    def natgw(self, name: str, ips: list[Ref] = (), prefixes: list[Ref] = (), group: str = "rg", **fields) -> Ref:
        ref = Ref("nat_gateway", name, group, display=name)
        self.op("create", ref, "az network nat gateway create", public_ips=list(ips),
                public_ip_prefixes=list(prefixes), **fields)
        return ref

    def firewall_setup(self, group: str = "rg", pips: int = 1, fw_nat: Ref | None = None,
                       vnet_prefix: str = "10.42.0.0/16") -> dict[str, Ref]:
        """VNet with AzureFirewallSubnet (10.x.0.0/26) and node subnet 'aks' (10.x.1.0/24) whose
        route table sends 0.0.0.0/0 to the firewall's private IP (.4)."""
        base = vnet_prefix.split(".")
        vnet = self.vnet(f"vnet-{group}", group, vnet_prefix)
        fw_links = {"nat_gateway": fw_nat} if fw_nat is not None else {}
        fwsub = self.subnet(vnet, "AzureFirewallSubnet", f"{base[0]}.{base[1]}.0.0/26", **fw_links)
        rt = Ref("route_table", f"rt-{group}", group, display=f"rt-{group}")
        self.op("create", rt, "az network route-table create")
        route = Ref("route", "default", group, rt, display="default")
        self.op("create", route, "az network route-table route create", address_prefix="0.0.0.0/0",
                next_hop_type="VirtualAppliance", next_hop_ip=f"{base[0]}.{base[1]}.0.4")
        aks = self.subnet(vnet, "aks", f"{base[0]}.{base[1]}.1.0/24", route_table=rt,
                          route_table_value=self.v(rt.name))
        pip_refs = [self.pip(f"fw-pip{i}", group, sku="Standard") for i in range(pips)]
        fw = Ref("firewall", f"fw-{group}", group, display=f"fw-{group}")
        configs = [FirewallIpConfig(name=self.v(f"cfg{i}"), location=self.loc(), subnet=fwsub, public_ip=p)
                   for i, p in enumerate(pip_refs)]
        self.op("create", fw, "az network firewall create", ip_configs=configs)
        return {"vnet": vnet, "fwsub": fwsub, "aks": aks, "fw": fw, "rt": rt, **{f"pip{i}": p for i, p in
                                                                                enumerate(pip_refs)}}


def run(rule: type, inv: Inventory) -> list:
    return list(rule().check(inv))


def own(rule: type, inv: Inventory) -> list:
    return [f for f in run(rule, inv) if f.rule_id == rule.id]


def infos(rule: type, inv: Inventory) -> list:
    return [f for f in run(rule, inv) if f.rule_id == "EGL004"]


# --------------------------------------------------------------------------- the limits pack


def test_limits_pack_values():
    lim = limits_mod.azure_limits()
    assert (lim.nat_managed_outbound_ips.min, lim.nat_managed_outbound_ips.max) == (1, 16)
    assert lim.nat_total_public_ips.max == 16
    assert (lim.nat_idle_timeout.min, lim.nat_idle_timeout.max) == (4, 120)
    assert (lim.lb_managed_outbound_ips.min, lim.lb_managed_outbound_ips.max) == (1, 100)
    ports = lim.lb_allocated_outbound_ports
    assert (ports.min, ports.max, ports.multiple_of) == (0, 64000, 8)
    assert (lim.lb_idle_timeout_cli.min, lim.lb_idle_timeout_cli.max) == (4, 100)
    assert (lim.lb_idle_timeout_api.min, lim.lb_idle_timeout_api.max) == (4, 120)
    assert lim.lb_idle_timeout_cli.conflict
    assert lim.lb_snat_ports_per_ip.number == 64000
    assert lim.nat_snat_ports_per_ip.number == 64512
    assert lim.fw_snat_ports_per_ip_per_instance.number == 2496
    assert lim.fw_min_instances.number == 2
    assert lim.fw_recommended_public_ips.number == 20
    assert lim.ports_per_node_threshold.number == 1024
    assert lim.default_node_count_cli.number == 3
    assert lim.default_max_surge.value == "1"
    assert (lim.nat_prefix_lengths.min, lim.nat_prefix_lengths.max) == (28, 31)
    for limit in (lim.nat_total_public_ips, lim.lb_idle_timeout_cli, lim.fw_recommended_public_ips):
        assert limit.sources and all(s.startswith("https://") for s in limit.sources)
    assert limits_mod.azure_limits() is lim  # loaded once


@pytest.mark.parametrize(("nodes", "ports"), [
    (1, 1024), (50, 1024), (51, 512), (100, 512), (101, 256), (200, 256), (201, 128), (400, 128),
    (401, 64), (800, 64), (801, 32), (1000, 32), (1001, 0),
])
def test_default_port_allocation_table(nodes, ports):
    assert limits_mod.azure_limits().default_ports_per_node(nodes) == ports


def test_limit_contains_and_describe():
    ports = limits_mod.azure_limits().lb_allocated_outbound_ports
    assert ports.contains(0) and ports.contains(8) and ports.contains(64000)
    assert not ports.contains(1001) and not ports.contains(64008) and not ports.contains(-8)
    assert ports.describe() == "0-64,000 and a multiple of 8"


@pytest.mark.parametrize("broken", [
    {},
    {"schema": 1, "sources": {"a": "http://insecure"}},
])
def test_limits_pack_errors_name_the_problem(broken):
    with pytest.raises(limits_mod.PackError):
        limits_mod.parse_limits(broken)


def test_limits_pack_missing_key_is_named():
    from egresslint.resources import load_yaml

    data = dict(load_yaml(limits_mod.LIMITS_FILE))  # type: ignore[arg-type]
    data["firewall"] = {}
    with pytest.raises(limits_mod.PackError, match=r"firewall\.snat_ports_per_ip_per_instance"):
        limits_mod.parse_limits(data)


# --------------------------------------------------------------------------- cluster state


def test_outbound_history_walks_create_and_updates():
    b = B()
    c = b.cluster("aks")
    b.update(c, lb_managed_outbound_ip_count=3)
    b.update(c, outbound_type="managedNATGateway")
    b.update(c, outbound_type="none")
    inv = b.inv()
    cluster = inv.all(ob.Cluster)[0]
    hist = ob.outbound_history(cluster)
    assert hist.initial == "loadBalancer" and hist.initial_value is None
    assert [(ch.before, ch.after) for ch in hist.changes] == [("loadBalancer", "managedNATGateway"),
                                                            ("managedNATGateway", "none")]


def test_outbound_history_of_a_cluster_not_created_in_the_scan():
    b = B()
    c = Ref("cluster", "aks", "rg", display="aks")
    b.update(c, outbound_type="userDefinedRouting")
    hist = ob.outbound_history(b.inv().all(ob.Cluster)[0])
    assert hist.created is None and hist.changes[0].before is None


def test_vnet_kind():
    b = B()
    net = b.firewall_setup()
    b.cluster("byo", subnet=net["aks"])
    b.cluster("managed")
    b.cluster("unknown-subnet", subnet_value=None, pool_fields={"vnet_subnet_value": Value.unknown("$SUBNET_ID")})
    b.update(Ref("cluster", "stub", "rg", display="stub"), outbound_type="none")
    inv = b.inv()
    kinds = {c.name: ob.vnet_kind(inv, c) for c in inv.all(ob.Cluster)}
    assert kinds == {"byo": "byo", "managed": "managed", "unknown-subnet": "byo", "stub": None}


@pytest.mark.parametrize(("fields", "nodes", "surge", "basis"), [
    ({}, 3, 1, "default node count"),
    ({"count": "5"}, 5, 1, "node-count"),
    ({"enable_autoscaling": "true", "min_count": "1", "max_count": "40", "count": "3"}, 40, 1, "autoscaler max"),
    ({"count": "10", "max_surge": "33%"}, 10, 4, "node-count"),
    ({"count": "10", "max_surge": "0"}, 10, 0, "node-count"),
    ({"enable_autoscaling": "true", "max_count": "100", "max_surge": "10%"}, 100, 10, "autoscaler max"),
])
def test_pool_size(fields, nodes, surge, basis):
    b = B()
    b.cluster("aks", pool_fields=fields)
    inv = b.inv()
    size = ob.cluster_size(inv, inv.all(ob.Cluster)[0])
    assert size is not None and not size.unknown
    assert (size.pools[0].nodes, size.pools[0].surge, size.pools[0].basis) == (nodes, surge, basis)


def test_pool_size_defaults_to_the_api_count_in_templates():
    b = B(ARM)
    b.cluster("aks")
    inv = b.inv()
    size = ob.cluster_size(inv, inv.all(ob.Cluster)[0])
    assert size is not None and size.pools[0].nodes == 1


def test_pool_size_unknown_max_count_is_reported():
    b = B()
    b.cluster("aks", pool_fields={"enable_autoscaling": "true", "max_count": Value.unknown("$MAX")})
    inv = b.inv()
    size = ob.cluster_size(inv, inv.all(ob.Cluster)[0])
    assert size is not None and size.unknown and size.unknown[0][0].text == "$MAX"
    assert size.unknown[0][3] == "max_count"


# --------------------------------------------------------------------------- EGL401


def test_egl401_byo_subnet_required():
    for outbound in ("userDefinedRouting", "userAssignedNATGateway"):
        b = B()
        b.cluster("aks", outbound_type=outbound)
        found = own(ob.OutboundTypePrerequisite, b.inv())
        assert len(found) == 1 and "bring-your-own subnet" in found[0].message
        assert found[0].location.line == 1 and found[0].severity == Severity.ERROR


def test_egl401_user_nat_needs_nat_gateway_on_subnet():
    b = B()
    vnet = b.vnet()
    bare = b.subnet(vnet, "bare", "10.42.1.0/24")
    gw = b.natgw("natgw", [b.pip("natgw-pip")])
    nat = b.subnet(vnet, "nat", "10.42.2.0/24", nat_gateway=gw)
    b.cluster("bad", outbound_type="userAssignedNATGateway", subnet=bare)
    b.cluster("good", outbound_type="userAssignedNATGateway", subnet=nat)
    found = own(ob.OutboundTypePrerequisite, b.inv())
    assert [f.message.split("'")[1] for f in found] == ["bad"]
    assert "needs a NAT gateway on its subnet 'bare'" in found[0].message


def test_egl401_user_nat_with_a_subnet_outside_the_scan_is_info():
    b = B()
    b.cluster("aks", outbound_type="userAssignedNATGateway",
              pool_fields={"vnet_subnet_value": Value.unknown("$SUBNET_ID", reason="$SUBNET_ID is not set")})
    found = run(ob.OutboundTypePrerequisite, b.inv())
    assert [f.rule_id for f in found] == ["EGL004"]


@pytest.mark.parametrize("outbound", ["managedNATGateway", "managedNATGatewayV2", "block"])
def test_egl401_managed_only_types_refuse_byo_subnets(outbound):
    b = B()
    vnet = b.vnet()
    sub = b.subnet(vnet, "aks", "10.42.1.0/24")
    b.cluster("aks", outbound_type=outbound, subnet=sub)
    found = own(ob.OutboundTypePrerequisite, b.inv())
    assert len(found) == 1 and "works only in the AKS-managed VNet" in found[0].message


@pytest.mark.parametrize("outbound", ["none", "loadBalancer", "managedNATGateway"])
def test_egl401_managed_vnet_types_are_fine(outbound):
    b = B()
    b.cluster("aks", outbound_type=outbound)
    assert not run(ob.OutboundTypePrerequisite, b.inv())


def test_egl401_none_on_byo_is_fine():
    b = B()
    sub = b.subnet(b.vnet(), "aks", "10.42.1.0/24")
    b.cluster("aks", outbound_type="none", subnet=sub)
    assert not run(ob.OutboundTypePrerequisite, b.inv())


def test_egl401_sku_and_vm_set_type():
    b = B()
    b.cluster("basic", group="rg1", outbound_type="managedNATGateway", load_balancer_sku="basic")
    b.cluster("avset", group="rg2", outbound_type="none", vm_set_type="AvailabilitySet")
    b.cluster("lb-avset", group="rg3", vm_set_type="AvailabilitySet")  # loadBalancer: no requirement
    b.cluster("pool-avset", group="rg4", outbound_type="managedNATGateway",
              pool_fields={"vm_set_type": "AvailabilitySet"})
    found = own(ob.OutboundTypePrerequisite, b.inv())
    names = sorted(f.message.split("'")[1] for f in found)
    assert names == ["avset", "basic", "pool-avset"]


def test_egl401_kubenet_udr_is_a_warning():
    b = B()
    net = b.firewall_setup()
    b.cluster("aks", outbound_type="userDefinedRouting", network_plugin="kubenet", subnet=net["aks"])
    found = own(ob.OutboundTypePrerequisite, b.inv())
    assert len(found) == 1 and found[0].severity == Severity.WARNING and "conflict" in found[0].message


def test_egl401_checks_each_migration_target():
    b = B()
    sub = b.subnet(b.vnet(), "aks", "10.42.1.0/24")
    c = b.cluster("aks", subnet=sub)
    b.update(c, outbound_type="userAssignedNATGateway")
    found = own(ob.OutboundTypePrerequisite, b.inv())
    assert len(found) == 1 and found[0].location.line == b.line


def test_egl401_templates_use_the_same_checks():
    b = B(ARM)
    b.cluster("aks", outbound_type="userDefinedRouting")
    found = own(ob.OutboundTypePrerequisite, b.inv())
    assert len(found) == 1


# --------------------------------------------------------------------------- EGL402


@pytest.mark.parametrize(("count", "bad"), [(0, True), (1, False), (16, False), (17, True)])
def test_egl402_managed_ip_count_boundaries(count, bad):
    b = B()
    b.cluster("aks", outbound_type="managedNATGateway", nat_managed_outbound_ip_count=count)
    assert bool(own(ob.NatGatewayLimits, b.inv())) is bad


@pytest.mark.parametrize(("minutes", "bad"), [(3, True), (4, False), (120, False), (121, True)])
def test_egl402_idle_timeout_boundaries(minutes, bad):
    b = B()
    b.cluster("aks", outbound_type="managedNATGateway", nat_idle_timeout=minutes)
    b.natgw("gw", [b.pip("p")], idle_timeout=minutes)
    found = own(ob.NatGatewayLimits, b.inv())
    assert len(found) == (2 if bad else 0)


@pytest.mark.parametrize(("ips", "prefix_length", "bad"), [
    (1, None, False), (16, None, False), (17, None, True), (0, 28, False), (1, 28, True),
    (8, 29, False), (9, 29, True), (15, 31, True), (14, 31, False),
])
def test_egl402_total_addresses(ips, prefix_length, bad):
    b = B()
    refs = [b.pip(f"p{i}") for i in range(ips)]
    prefixes = [b.prefix("pre", prefix_length)] if prefix_length else []
    b.natgw("gw", refs, prefixes)
    found = own(ob.NatGatewayLimits, b.inv())
    assert bool(found) is bad
    if bad:
        assert "at most 16" in found[0].message


def test_egl402_no_public_ip():
    b = B()
    b.natgw("gw")
    found = own(ob.NatGatewayLimits, b.inv())
    assert len(found) == 1 and "no public IP" in found[0].message


def test_egl402_template_without_ip_properties_and_unresolvable_ones():
    b = B(ARM)
    ref = Ref("nat_gateway", "gw", "rg", display="gw")
    b.op("create", ref, "Microsoft.Network/natGateways")  # no publicIpAddresses property at all
    assert len(own(ob.NatGatewayLimits, b.inv())) == 1
    b2 = B(ARM)
    b2.op("create", ref, "Microsoft.Network/natGateways", public_ips=[])  # ids that did not resolve
    assert not own(ob.NatGatewayLimits, b2.inv())


def test_egl402_unknown_prefix_is_info():
    b = B()
    b.natgw("gw", [b.pip("p")], [Ref("public_ip_prefix", "elsewhere", "rg", display="elsewhere")])
    found = run(ob.NatGatewayLimits, b.inv())
    assert [f.rule_id for f in found] == ["EGL004"]


def test_egl402_unknown_script_value_is_info():
    b = B()
    b.cluster("aks", outbound_type="managedNATGateway",
              nat_managed_outbound_ip_count=Value.unknown("$N", Location(FILE, 1, 5), reason="$N is not set"))
    found = run(ob.NatGatewayLimits, b.inv())
    assert [f.rule_id for f in found] == ["EGL004"]


# --------------------------------------------------------------------------- EGL403


@pytest.mark.parametrize(("field", "value", "bad"), [
    ("lb_managed_outbound_ip_count", 0, True), ("lb_managed_outbound_ip_count", 1, False),
    ("lb_managed_outbound_ip_count", 100, False), ("lb_managed_outbound_ip_count", 101, True),
    ("lb_outbound_ports", 0, False), ("lb_outbound_ports", 8, False), ("lb_outbound_ports", 64000, False),
    ("lb_outbound_ports", 64008, True), ("lb_outbound_ports", 1001, True), ("lb_outbound_ports", -8, True),
    ("lb_outbound_ports", "many", True),
    ("lb_idle_timeout", 3, True), ("lb_idle_timeout", 4, False), ("lb_idle_timeout", 100, False),
    ("lb_idle_timeout", 101, True), ("lb_idle_timeout", 120, True),
])
def test_egl403_script_boundaries(field, value, bad):
    b = B()
    b.cluster("aks", **{field: value})
    assert bool(own(ob.LoadBalancerOutboundLimits, b.inv())) is bad


@pytest.mark.parametrize(("minutes", "bad"), [(3, True), (4, False), (100, False), (120, False), (121, True)])
def test_egl403_templates_get_the_api_idle_range(minutes, bad):
    b = B(ARM)
    b.cluster("aks", lb_idle_timeout=minutes)
    assert bool(own(ob.LoadBalancerOutboundLimits, b.inv())) is bad


def test_egl403_cli_message_names_the_conflict():
    b = B()
    c = b.cluster("aks")
    b.update(c, lb_idle_timeout=120)
    found = own(ob.LoadBalancerOutboundLimits, b.inv())
    assert len(found) == 1 and "4-100" in found[0].message and "4-120" in found[0].message


def test_egl403_outbound_rules():
    b = B()
    lb = Ref("load_balancer", "lb", "rg", display="lb")
    rule = Ref("outbound_rule", "out", "rg", lb, display="out")
    b.op("create", rule, "az network lb outbound-rule create", allocated_outbound_ports=64001, idle_timeout=120)
    found = own(ob.LoadBalancerOutboundLimits, b.inv())
    assert len(found) == 1 and "outbound rule 'out'" in found[0].message


# --------------------------------------------------------------------------- EGL404


def test_egl404_message_shows_the_arithmetic():
    b = B()
    b.cluster("aks", lb_managed_outbound_ip_count=2, lb_outbound_ports=4000,
              pool_fields={"enable_autoscaling": "true", "min_count": "3", "max_count": "100", "max_surge": "0"})
    found = own(ob.SnatPortExhaustion, b.inv())
    assert len(found) == 1
    assert ("4,000 ports/node x 100 nodes (autoscaler max) = 400,000 > 2 IPs x 64,000 = 128,000"
            in found[0].message)
    assert found[0].severity == Severity.WARNING


def test_egl404_default_surge_is_counted():
    b = B()
    b.cluster("aks", lb_managed_outbound_ip_count=2, lb_outbound_ports=4000,
              pool_fields={"enable_autoscaling": "true", "max_count": "100"})
    found = own(ob.SnatPortExhaustion, b.inv())
    assert "4,000 ports/node x 101 nodes (100 autoscaler max + 1 surge) = 404,000" in found[0].message


def test_egl404_all_pools_together():
    b = B()
    c = b.cluster("aks", lb_outbound_ports=2000, pool_fields={"count": "20"})
    b.pool(c, "user", enable_autoscaling="true", min_count="1", max_count="40", max_surge="10%")
    found = own(ob.SnatPortExhaustion, b.inv())
    # 20 + 1 surge + 40 + 4 surge (10% of 40) = 65 nodes x 2,000 = 130,000 > 1 IP x 64,000
    assert len(found) == 1
    assert "65 nodes (nodepool1: 20 node-count, user: 40 autoscaler max, + 5 surge) = 130,000" in found[0].message
    assert "1 IP x 64,000 = 64,000" in found[0].message


@pytest.mark.parametrize(("ips", "nodes", "bad"), [
    (7, 100, False),  # 4,000 x 101 = 404,000 <= 448,000 (the AKS docs' example)
    (7, 111, False),  # 4,000 x 112 = 448,000 = 448,000: at capacity
    (7, 112, True),   # 4,000 x 113 = 452,000 > 448,000
    (2, 31, False),   # 4,000 x 32 = 128,000
    (2, 32, True),
])
def test_egl404_capacity_boundary(ips, nodes, bad):
    b = B()
    b.cluster("aks", lb_managed_outbound_ip_count=ips, lb_outbound_ports=4000, pool_fields={"count": str(nodes)})
    assert bool(own(ob.SnatPortExhaustion, b.inv())) is bad


def test_egl404_byo_ips_and_prefixes_count():
    b = B()
    pre = b.prefix("pre", 30)  # 4 addresses
    ips = [b.pip("a"), b.pip("b")]
    b.cluster("aks", lb_outbound_ips=ips, lb_outbound_ip_prefixes=[pre], lb_outbound_ports=8000,
              pool_fields={"count": "47"})  # 8,000 x 48 = 384,000 <= 6 x 64,000
    assert not own(ob.SnatPortExhaustion, b.inv())
    b2 = B()
    pre = b2.prefix("pre", 30)
    b2.cluster("aks", lb_outbound_ips=[b2.pip("a"), b2.pip("b")], lb_outbound_ip_prefixes=[pre],
               lb_outbound_ports=8000, pool_fields={"count": "48"})
    assert own(ob.SnatPortExhaustion, b2.inv())


@pytest.mark.parametrize(("count", "bad"), [(49, False), (50, True), (3, False), (99, True)])
def test_egl404_default_allocation_threshold(count, bad):
    b = B()
    b.cluster("aks", pool_fields={"count": str(count)})  # + 1 surge: 50 keeps 1,024, 51 gets 512
    found = own(ob.SnatPortExhaustion, b.inv())
    assert bool(found) is bad
    if bad:
        assert "default SNAT port allocation" in found[0].message and "1,024 ports/node threshold" in found[0].message


def test_egl404_threshold_from_config_facts():
    b = B()
    b.cluster("aks", pool_fields={"count": "60"})  # 61 nodes: 512 ports
    assert not own(ob.SnatPortExhaustion, b.inv({"snat-ports-per-node": 512}))
    assert own(ob.SnatPortExhaustion, b.inv({"snat-ports-per-node": 1024}))


def test_egl404_only_for_load_balancer_clusters():
    b = B()
    b.cluster("aks", outbound_type="managedNATGateway", pool_fields={"count": "900"})
    assert not run(ob.SnatPortExhaustion, b.inv())


def test_egl404_unknown_count_is_info():
    b = B()
    b.cluster("aks", pool_fields={"count": Value.unknown("$NODES", Location(FILE, 1, 30))})
    assert [f.rule_id for f in run(ob.SnatPortExhaustion, b.inv())] == ["EGL004"]


def test_egl404_template_parameters_are_left_to_the_template_reader():
    b = B(ARM)
    b.cluster("aks", pool_fields={"count": Value.unknown("[parameters('nodes')]", Location(ARM, 1, 30))})
    assert not run(ob.SnatPortExhaustion, b.inv())


def test_egl404_explain_teaches_the_formula_and_table():
    from egresslint import docs

    text = docs.rule_text(ob.SnatPortExhaustion)
    for fragment in ("64,000", "floor(64,000 x IPs / ports per node)", "| 1-50 | 1,024 |", "| 51-100 | 512 |",
                     "| 801-1,000 | 32 |", "max-surge", "autoscaler max-count"):
        assert fragment in " ".join(text.split()), fragment
    page = docs.rule_markdown(ob.SnatPortExhaustion)
    assert "\n| backend pool size (nodes) | default SNAT ports per node |\n|---|---|\n" in page


# --------------------------------------------------------------------------- EGL406


def _udr_cluster(b: B, ranges: list[Value] | None, pips: int = 1, fw_nat: Ref | None = None, **fields) -> dict:
    net = b.firewall_setup(pips=pips, fw_nat=fw_nat)
    extra = {"authorized_ip_ranges": ranges} if ranges is not None else {}
    net["cluster"] = b.cluster("aks", outbound_type="userDefinedRouting", subnet=net["aks"], **extra, **fields)
    return net


def _sym(ref: Ref, query: str = "ipAddress", suffix: str = "") -> Value:
    return Value.symbolic(Symbol(ref, query, suffix), f"$({ref.name} {query})", Location(FILE, 99, 1))


def test_egl406_symbolic_firewall_ip_is_recognised():
    b = B()
    pip = Ref("public_ip", "fw-pip0", "rg", display="fw-pip0")
    _udr_cluster(b, [_sym(pip)])
    assert not run(ob.AuthorizedIpRangesMissingEgress, b.inv())
    b2 = B()
    _udr_cluster(b2, [_sym(pip, suffix="/32")])
    assert not run(ob.AuthorizedIpRangesMissingEgress, b2.inv())


def test_egl406_symbolic_ip_of_a_public_ip_outside_the_scan():
    b = B()
    net = b.firewall_setup()
    outside = Ref("public_ip", "hub-pip", "hub-rg", display="hub-pip")
    b.op("update", net["fw"], "az network firewall ip-config create", ip_configs=[
        FirewallIpConfig(name=b.v("cfg"), location=b.loc(), subnet=net["fwsub"], public_ip=outside)])
    b.cluster("aks", outbound_type="userDefinedRouting", subnet=net["aks"],
              authorized_ip_ranges=[_sym(Ref("public_ip", "hub-pip", None, display="hub-pip"))])
    assert not run(ob.AuthorizedIpRangesMissingEgress, b.inv())


def test_egl406_missing_firewall_ip():
    b = B()
    _udr_cluster(b, [Value.literal("203.0.113.0/24", Location(FILE, 50, 7))])
    found = own(ob.AuthorizedIpRangesMissingEgress, b.inv())
    assert len(found) == 1 and "public IP 'fw-pip0' of firewall 'fw-rg'" in found[0].message
    assert found[0].location.line == 50


def test_egl406_every_firewall_ip_is_needed():
    b = B()
    pip0 = Ref("public_ip", "fw-pip0", "rg", display="fw-pip0")
    _udr_cluster(b, [_sym(pip0)], pips=2)
    found = own(ob.AuthorizedIpRangesMissingEgress, b.inv())
    assert len(found) == 1 and "egress IPs: public IP 'fw-pip1' of firewall" in found[0].message
    assert "'fw-pip0' of firewall" not in found[0].message


def test_egl406_known_addresses_compare_by_containment():
    b = B()
    net = _udr_cluster(b, [Value.literal("20.1.2.0/24", Location(FILE, 50, 7))])
    b.op("update", net["pip0"], "az network public-ip update", ip_address="20.1.2.3")
    assert not run(ob.AuthorizedIpRangesMissingEgress, b.inv())


def test_egl406_update_replaces_the_list():
    b = B()
    pip = Ref("public_ip", "fw-pip0", "rg", display="fw-pip0")
    net = _udr_cluster(b, [_sym(pip)])
    mine = Value.unknown("$(dig +short myip.opendns.com)/32", Location(FILE, 60, 40),
                         reason="output of $(dig +short myip.opendns.com)")
    b.update(net["cluster"], authorized_ip_ranges=[mine])
    found = own(ob.AuthorizedIpRangesMissingEgress, b.inv())
    assert len(found) == 1 and "replaces the list" in found[0].message and found[0].location.line == 60


def test_egl406_unset_variable_is_info():
    b = B()
    _udr_cluster(b, [Value.unknown("$ADMIN_RANGES", Location(FILE, 50, 7), reason="$ADMIN_RANGES is never assigned")])
    found = run(ob.AuthorizedIpRangesMissingEgress, b.inv())
    assert [f.rule_id for f in found] == ["EGL004"]


def test_egl406_zero_range_on_udr_cluster():
    b = B()
    _udr_cluster(b, [Value.literal("0.0.0.0/32", Location(FILE, 50, 7))])
    found = own(ob.AuthorizedIpRangesMissingEgress, b.inv())
    assert len(found) == 1 and "0.0.0.0/32" in found[0].message


def test_egl406_nat_gateway_on_firewall_subnet_replaces_firewall_ips():
    b = B()
    natpip = b.pip("natgw-pip")
    gw = b.natgw("fw-natgw", [natpip])
    fw_pip = Ref("public_ip", "fw-pip0", "rg", display="fw-pip0")
    _udr_cluster(b, [_sym(fw_pip)], fw_nat=gw)
    found = own(ob.AuthorizedIpRangesMissingEgress, b.inv())
    assert len(found) == 1 and "NAT gateway 'fw-natgw'" in found[0].message
    b2 = B()
    natpip = b2.pip("natgw-pip")
    gw = b2.natgw("fw-natgw", [natpip])
    _udr_cluster(b2, [_sym(natpip)], fw_nat=gw)
    assert not run(ob.AuthorizedIpRangesMissingEgress, b2.inv())


def test_egl406_user_nat_and_exemptions():
    b = B()
    vnet = b.vnet()
    natpip = b.pip("natgw-pip")
    gw = b.natgw("natgw", [natpip])
    sub = b.subnet(vnet, "aks", "10.42.1.0/24", nat_gateway=gw)
    other = b.pip("other")
    b.cluster("bad", group="rg1", outbound_type="userAssignedNATGateway", subnet=sub,
              authorized_ip_ranges=[_sym(other)])
    b.cluster("good", group="rg2", outbound_type="userAssignedNATGateway", subnet=sub,
              authorized_ip_ranges=[_sym(natpip)])
    b.cluster("lb", group="rg3", authorized_ip_ranges=[b.v("203.0.113.0/24")])
    b.cluster("vnet-integrated", group="rg4", outbound_type="userAssignedNATGateway", subnet=sub,
              apiserver_vnet_integration="true", authorized_ip_ranges=[b.v("203.0.113.0/24")])
    b.cluster("disabled", group="rg5", outbound_type="userAssignedNATGateway", subnet=sub, authorized_ip_ranges=[])
    found = own(ob.AuthorizedIpRangesMissingEgress, b.inv())
    assert [f.message.split("'")[1] for f in found] == ["bad"]


def test_egl406_migration_without_new_egress_ips():
    b = B()
    vnet = b.vnet()
    natpip = b.pip("natgw-pip")
    gw = b.natgw("natgw", [natpip])
    sub = b.subnet(vnet, "aks", "10.42.1.0/24", nat_gateway=gw)
    c = b.cluster("aks", subnet=sub, authorized_ip_ranges=[b.v("203.0.113.0/24")])
    op = b.update(c, outbound_type="userAssignedNATGateway")
    found = own(ob.AuthorizedIpRangesMissingEgress, b.inv())
    assert len(found) == 1 and "after migrating" in found[0].message and found[0].location.line == op.location.line


def test_egl406_managed_nat_is_info():
    b = B()
    b.cluster("aks", outbound_type="managedNATGateway", authorized_ip_ranges=[b.v("203.0.113.0/24")])
    assert [f.rule_id for f in run(ob.AuthorizedIpRangesMissingEgress, b.inv())] == ["EGL004"]


# --------------------------------------------------------------------------- EGL408


def _service(b: B, name: str = "web", file: str | None = None, annotations: dict | None = None,
             service_type: str = "LoadBalancer", lb_ip: str | None = None) -> Ref:
    ref = Ref("k8s_service", name, None, display=name)
    keep = b.file
    if file is not None:
        b.file = file
    changes = {"service_type": service_type, "annotations": {k: b.v(v) for k, v in (annotations or {}).items()},
               "object_kind": "Service"}
    if lb_ip:
        changes["load_balancer_ip"] = lb_ip
    b.op("create", ref, "kubectl expose", **changes)
    b.file = keep
    return ref


def _dnat(b: B, fw: Ref, translated: Value) -> None:
    coll = Ref("rule_collection", "inbound", fw.group, fw, display="inbound")
    b.op("create", coll, "az network firewall nat-rule create", raw={"rule_kind": "nat"}, priority="100",
         action="Dnat")
    rule = Ref("nat_rule", "web", fw.group, coll, display="web")
    b.op("create", rule, "az network firewall nat-rule create", translated_address=translated)


def test_egl408_public_service_on_udr_cluster():
    b = B()
    _udr_cluster(b, None)
    _service(b)
    found = own(ob.AsymmetricRouting, b.inv())
    assert len(found) == 1 and found[0].severity == Severity.WARNING
    assert "Service 'web'" in found[0].message and "fw-rg" in found[0].message


def test_egl408_manifest_in_another_file_with_one_cluster():
    b = B()
    _udr_cluster(b, None)
    _service(b, file="k8s/web.yaml")
    assert len(own(ob.AsymmetricRouting, b.inv())) == 1


def test_egl408_internal_services_and_other_types_are_fine():
    b = B()
    _udr_cluster(b, None)
    _service(b, "internal", annotations={ob.INTERNAL_LB_ANNOTATION: "true"})
    _service(b, "cluster-ip", service_type="ClusterIP")
    assert not run(ob.AsymmetricRouting, b.inv())


def test_egl408_explicitly_public_annotation_is_flagged():
    b = B()
    _udr_cluster(b, None)
    _service(b, annotations={ob.INTERNAL_LB_ANNOTATION: "false"})
    assert len(own(ob.AsymmetricRouting, b.inv())) == 1


def test_egl408_dnat_to_the_service():
    b = B()
    net = _udr_cluster(b, None)
    _service(b, annotations={ob.LB_IPV4_ANNOTATION: "20.1.2.3"})
    _dnat(b, net["fw"], b.v("20.1.2.3"))
    assert not run(ob.AsymmetricRouting, b.inv())
    b2 = B()
    net = _udr_cluster(b2, None)
    _service(b2, annotations={ob.LB_IPV4_ANNOTATION: "20.1.2.3"})
    _dnat(b2, net["fw"], b2.v("20.9.9.9"))  # a DNAT to something else
    assert len(own(ob.AsymmetricRouting, b2.inv())) == 1
    b3 = B()
    net = _udr_cluster(b3, None)
    _service(b3)
    _dnat(b3, net["fw"], b3.v("10.42.1.100"))  # DNAT to an internal load balancer: not this Service
    assert len(own(ob.AsymmetricRouting, b3.inv())) == 1


def test_egl408_not_on_load_balancer_clusters_or_mixed_projects():
    b = B()
    b.cluster("lb", group="rg-lb")
    _service(b)
    assert not run(ob.AsymmetricRouting, b.inv())
    b2 = B()
    _udr_cluster(b2, None)
    b2.cluster("lb", group="rg-lb")
    _service(b2, file="k8s/web.yaml")  # could run on either cluster
    assert not run(ob.AsymmetricRouting, b2.inv())


# --------------------------------------------------------------------------- EGL410


def test_egl410_capacity_below_need():
    b = B()
    _udr_cluster(b, None, pool_fields={"enable_autoscaling": "true", "max_count": "10"})
    found = own(ob.FirewallSnatCapacity, b.inv())
    assert len(found) == 1 and found[0].severity == Severity.INFO
    assert "1 public IP x 2,496 ports x 2 instances = 4,992" in found[0].message
    assert "11 nodes (10 autoscaler max + 1 surge) x 1,024 ports/node = 11,264" in found[0].message
    assert "at least 20 public IPs" in found[0].message


def test_egl410_small_cluster_is_fine():
    b = B()
    _udr_cluster(b, None)  # 3 + 1 nodes x 1,024 = 4,096 <= 4,992
    assert not run(ob.FirewallSnatCapacity, b.inv())


def test_egl410_nat_gateway_on_firewall_subnet():
    b = B()
    gw = b.natgw("fw-natgw", [b.pip("n1")])
    _udr_cluster(b, None, fw_nat=gw, pool_fields={"enable_autoscaling": "true", "max_count": "62"})
    assert not run(ob.FirewallSnatCapacity, b.inv())  # 63 x 1,024 = 64,512
    b2 = B()
    gw = b2.natgw("fw-natgw", [b2.pip("n1")])
    _udr_cluster(b2, None, fw_nat=gw, pool_fields={"enable_autoscaling": "true", "max_count": "63"})
    found = own(ob.FirewallSnatCapacity, b2.inv())
    assert len(found) == 1 and "64,512" in found[0].message


def test_egl410_clusters_behind_one_firewall_add_up():
    b = B()
    net = _udr_cluster(b, None)  # 4 nodes
    b.cluster("second", group="rg2", outbound_type="userDefinedRouting", subnet=net["aks"])  # 4 more
    found = own(ob.FirewallSnatCapacity, b.inv())
    assert len(found) == 1 and "8 nodes" in found[0].message and "8,192" in found[0].message


# --------------------------------------------------------------------------- EGL411


@pytest.mark.parametrize(("cidr", "bad"), [
    ("10.0.0.0/16", False), ("172.16.0.0/16", False), ("192.168.0.0/16", False), ("100.64.0.0/16", False),
    ("20.0.0.0/16", True), ("100.0.0.0/9", True), ("fd00:10::/108", False), ("2001:db8::/108", True),
    ("192.0.2.0/24", False),  # reserved: EGL407's
])
def test_egl411_service_cidrs(cidr, bad):
    b = B()
    b.cluster("aks", service_cidrs=[b.v(cidr)])
    assert bool(own(ob.ClusterCidrPublicRange, b.inv())) is bad


def test_egl411_pod_cidr_only_where_used():
    b = B()
    b.cluster("flat", group="rg1", network_plugin="azure", pod_cidrs=[b.v("20.0.0.0/16")])
    b.cluster("kubenet", group="rg2", network_plugin="kubenet", pod_cidrs=[b.v("20.0.0.0/16")])
    found = own(ob.ClusterCidrPublicRange, b.inv())
    assert [f.message.split("'")[1] for f in found] == ["kubenet"]


# --------------------------------------------------------------------------- seed 001


SEEDS = sorted((FIXTURES / "seeds").glob("seed001-*"))


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_seed001_labs_have_no_outbound_findings(path):
    pytest.importorskip("egresslint.frontends.shell", reason="the shell parser has not landed yet")
    from egresslint.config import Config
    from egresslint.engine import scan

    findings = scan([path], Config(), root=path.parent).findings
    ours = {r.id for r in ob.RULES}
    assert not [f for f in findings if f.rule_id in ours], [(f.rule_id, f.message) for f in findings]


def test_seed001_labs_together_have_no_outbound_findings():
    pytest.importorskip("egresslint.frontends.shell", reason="the shell parser has not landed yet")
    from egresslint.config import Config
    from egresslint.engine import scan

    labs = [p for p in SEEDS if "lab4-udr.ps1" not in p.name]
    findings = scan(labs, Config(), root=labs[0].parent).findings
    ours = {r.id for r in ob.RULES}
    assert not [f for f in findings if f.rule_id in ours], [(f.rule_id, f.message) for f in findings]
