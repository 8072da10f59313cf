"""The Azure Firewall evaluator (egresslint.firewall) and the EGL2xx rules on model-built
inventories: Azure's documented processing order, wildcard FQDNs, service-tag containment,
policies with parent policies, undecidable values, and a property test against a brute-force
reference.

``Builder`` (also used by test_nsg_eval.py and test_packs.py) builds an Inventory from
Operations, as the frontends would.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from egresslint import firewall as F
from egresslint.checks import firewall as checks
from egresslint.firewall import Flow, evaluate, rule_set
from egresslint.inventory import Inventory
from egresslint.model import (
    Firewall,
    FirewallIpConfig,
    Location,
    Operation,
    Ref,
    Value,
)
from egresslint.net import AddressSet

FILE = "model.sh"
RG = "rg"


class Builder:
    """Operations for a small project, one line per value so that locations differ."""

    def __init__(self) -> None:
        self.ops: list[Operation] = []
        self.line = 0

    # ---------------------------------------------------------------- primitives
    def loc(self) -> Location:
        self.line += 1
        return Location(FILE, self.line)

    def v(self, text: str) -> Value:
        return Value.literal(text, self.loc())

    def vs(self, texts: Any) -> list[Value]:
        if isinstance(texts, str):
            texts = [texts]
        return [t if isinstance(t, Value) else self.v(t) for t in texts]

    def add(self, kind: str, name: str, parent: Ref | None = None, op: str = "create", **changes: Any) -> Ref:
        ref = Ref(kind, name.lower(), RG, parent, display=name)
        self.ops.append(Operation(op, ref, self.loc(), {k: v for k, v in changes.items() if v is not None},
                                  seq=len(self.ops), command=f"test {kind}"))
        return ref

    def inventory(self, **facts: Any) -> Inventory:
        base = {"config": facts.pop("config", {}), "cloud": facts.pop("cloud", "AzureCloud"),
                "region": facts.pop("region", None)}
        base.update(facts)
        inv = Inventory(base).replay(self.ops)
        assert not inv.problems, inv.problems
        return inv

    # ---------------------------------------------------------------- network
    def vnet(self, name: str = "vnet", prefixes: Any = ("10.42.0.0/16",), dns: Any = (), region: str | None = None) -> Ref:
        return self.add("vnet", name, address_prefixes=self.vs(prefixes), dns_servers=self.vs(dns),
                        region=self.v(region) if region else None)

    def subnet(self, vnet: Ref, name: str, prefixes: Any, route_table: Ref | None = None, nsg: Ref | None = None) -> Ref:
        return self.add("subnet", name, vnet, address_prefixes=self.vs(prefixes), route_table=route_table,
                        route_table_value=self.v(route_table.name) if route_table else None, nsg=nsg)

    def route_table(self, name: str = "rt") -> Ref:
        return self.add("route_table", name)

    def route(self, table: Ref, name: str, prefix: str, hop_type: str, hop_ip: str | None = None) -> Ref:
        return self.add("route", name, table, address_prefix=self.v(prefix), next_hop_type=self.v(hop_type),
                        next_hop_ip=self.v(hop_ip) if hop_ip else None)

    # ---------------------------------------------------------------- firewall
    def firewall(self, name: str = "fw", vnet: Ref | None = None, dns_proxy: str | None = None,
                 policy: Ref | None = None, region: str | None = None) -> Ref:
        configs = []
        if vnet is not None:
            configs.append(FirewallIpConfig(self.v("cfg"), self.loc(),
                                            subnet=Ref("subnet", "azurefirewallsubnet", RG, vnet, "AzureFirewallSubnet")))
        return self.add("firewall", name, dns_proxy=self.v(dns_proxy) if dns_proxy else None, policy=policy,
                        ip_configs=configs or None, region=self.v(region) if region else None)

    def collection(self, parent: Ref, name: str, kind: str, priority: str | None, action: str | None) -> Ref:
        return self.add("rule_collection", name, parent, rule_kind=kind,
                        priority=self.v(priority) if priority is not None else None,
                        action=self.v(action) if action is not None else None)

    def network_rule(self, coll: Ref, name: str, protocols: Any, ports: Any, dst: Any = (), fqdns: Any = (),
                     src: Any = ("*",), src_groups: Any = (), dst_groups: Any = ()) -> Ref:
        return self.add("network_rule", name, coll, protocols=self.vs(protocols), destination_ports=self.vs(ports),
                        destination_addresses=self.vs(dst), destination_fqdns=self.vs(fqdns),
                        source_addresses=self.vs(src), source_ip_groups=self.vs(src_groups),
                        destination_ip_groups=self.vs(dst_groups))

    def app_rule(self, coll: Ref, name: str, protocols: Any = ("Https=443",), fqdns: Any = (), tags: Any = (),
                 src: Any = ("*",)) -> Ref:
        return self.add("application_rule", name, coll, protocols=self.vs(protocols), target_fqdns=self.vs(fqdns),
                        fqdn_tags=self.vs(tags), source_addresses=self.vs(src))

    def nat_rule(self, coll: Ref, name: str, dst: Any, ports: Any, translated: str, protocols: Any = ("TCP",)) -> Ref:
        return self.add("nat_rule", name, coll, protocols=self.vs(protocols), destination_addresses=self.vs(dst),
                        destination_ports=self.vs(ports), source_addresses=self.vs("*"),
                        translated_address=self.v(translated), translated_port=self.v("80"))

    def policy(self, name: str, base: Ref | None = None, dns_proxy: str | None = None) -> Ref:
        return self.add("firewall_policy", name, base_policy=base, dns_proxy=self.v(dns_proxy) if dns_proxy else None)

    def rcg(self, policy: Ref, name: str, priority: str) -> Ref:
        return self.add("rule_collection_group", name, policy, priority=self.v(priority))

    # ---------------------------------------------------------------- clusters and NSGs
    def cluster(self, name: str = "aks", subnet: Ref | None = None, outbound: str | None = "userDefinedRouting",
                region: str | None = "westeurope", **changes: Any) -> Ref:
        ref = self.add("cluster", name, outbound_type=self.v(outbound) if outbound else None,
                       region=self.v(region) if region else None, **changes)
        self.add("node_pool", "nodepool1", ref, vnet_subnet=subnet)
        return ref

    def nsg(self, name: str = "nsg") -> Ref:
        return self.add("nsg", name)

    def security_rule(self, nsg: Ref, name: str, priority: str | None, direction: str = "Outbound",
                      access: str = "Deny", protocol: str = "*", src: Any = ("*",), dst: Any = ("*",),
                      ports: Any = ("*",), src_ports: Any = ("*",), platform: bool = False, **extra: Any) -> Ref:
        return self.add("security_rule", name, nsg, priority=self.v(priority) if priority else None,
                        direction=self.v(direction), access=self.v(access), protocol=self.v(protocol),
                        source_prefixes=self.vs(src), destination_prefixes=self.vs(dst),
                        destination_ports=self.vs(ports), source_ports=self.vs(src_ports),
                        platform_default=platform or None, **extra)

    # ---------------------------------------------------------------- a whole UDR lab
    def udr_lab(self, dns: Any = (), outbound: str = "userDefinedRouting", nsg: Ref | None = None,
                dns_proxy: str | None = "true", region: str | None = "westeurope") -> tuple[Ref, Ref, Ref]:
        """VNet 10.42.0.0/16 with AzureFirewallSubnet 10.42.2.0/26 (firewall private IP 10.42.2.4)
        and node subnet 10.42.1.0/24 routed 0.0.0.0/0 to it. Returns (firewall, cluster, node subnet)."""
        vnet = self.vnet(dns=dns)
        self.subnet(vnet, "AzureFirewallSubnet", "10.42.2.0/26")
        table = self.route_table()
        self.route(table, "default", "0.0.0.0/0", "VirtualAppliance", "10.42.2.4")
        nodes = self.subnet(vnet, "aks-subnet", "10.42.1.0/24", route_table=table, nsg=nsg)
        fw = self.firewall(vnet=vnet, dns_proxy=dns_proxy)
        cluster = self.cluster(subnet=nodes, outbound=outbound, region=region)
        return fw, cluster, nodes


def fw_of(inv: Inventory, name: str = "fw") -> Firewall:
    return next(f for f in inv.all(Firewall) if f.name == name)


def fqdn(host: str, port: int = 443, app: str | None = "https", src: str = "10.42.1.0/24",
         proto: str | None = None) -> Flow:
    return Flow.to_fqdn(host, port, app, proto or ("tcp" if app else "udp"), source=AddressSet.parse([src]))


def addr(dest: str, protocol: str = "tcp", port: int | None = 443, src: str = "10.42.1.0/24") -> Flow:
    return Flow.to_addresses([dest], protocol, port, AddressSet.parse([src]))


def run(rule_cls: type, inv: Inventory) -> list:
    return list(rule_cls().check(inv))


# =========================================================================== processing order


def test_network_rules_are_evaluated_before_application_rules() -> None:
    b = Builder()
    fw = b.firewall()
    app = b.collection(fw, "app", "application", "100", "Allow")
    b.app_rule(app, "mcr", fqdns=["mcr.microsoft.com"])
    nw = b.collection(fw, "deny-web", "network", "300", "Deny")
    b.network_rule(nw, "no-https", ["TCP"], ["443"], dst=["*"])
    d = evaluate(rule_set(b.inventory(), fw_of(b.inventory())), fqdn("mcr.microsoft.com"))
    assert d.denied and d.rule is not None and d.rule.name == "no-https"
    assert "network rule 'no-https'" in d.reason


def test_lower_priority_number_wins_within_a_kind() -> None:
    b = Builder()
    fw = b.firewall()
    deny = b.collection(fw, "deny", "network", "200", "Deny")
    b.network_rule(deny, "deny-udp", ["UDP"], ["*"], dst=["*"])
    allow = b.collection(fw, "allow", "network", "100", "Allow")
    b.network_rule(allow, "apiudp", ["UDP"], ["1194"], dst=["AzureCloud.westeurope"])
    inv = b.inventory()
    rs = rule_set(inv, fw_of(inv))
    assert [e.name for e in rs.entries["network"]] == ["apiudp", "deny-udp"]
    assert evaluate(rs, addr("AzureCloud.westeurope", "udp", 1194)).allowed
    assert evaluate(rs, addr("AzureCloud.westeurope", "udp", 53)).denied


def test_default_deny_and_dnat_first() -> None:
    b = Builder()
    fw = b.firewall()
    nat = b.collection(fw, "dnat", "nat", "100", "Dnat")
    b.nat_rule(nat, "web", ["20.1.2.3"], ["80"], "10.42.1.10")
    deny = b.collection(fw, "deny", "network", "100", "Deny")
    b.network_rule(deny, "all", ["Any"], ["*"], dst=["*"])
    inv = b.inventory()
    rs = rule_set(inv, fw_of(inv))
    d = evaluate(rs, addr("20.1.2.3", "tcp", 80, src="198.51.100.1"))
    assert d.allowed and d.rule is not None and d.rule.name == "web"
    empty = Builder()
    empty.firewall()
    inv2 = empty.inventory()
    d2 = evaluate(rule_set(inv2, fw_of(inv2)), fqdn("github.com"))
    assert d2.denied and d2.rule is None and "default deny" in d2.reason


def test_application_rules_only_for_http_https_mssql() -> None:
    b = Builder()
    fw = b.firewall()
    app = b.collection(fw, "app", "application", "100", "Allow")
    b.app_rule(app, "all", protocols=["Http=80", "Https=443", "Mssql=1433"], fqdns=["*.contoso.com"])
    inv = b.inventory()
    rs = rule_set(inv, fw_of(inv))
    assert evaluate(rs, fqdn("db.contoso.com", 1433, "mssql")).allowed
    assert evaluate(rs, fqdn("db.contoso.com", 22, None, proto="tcp")).denied  # SSH never reaches application rules
    assert evaluate(rs, fqdn("www.contoso.com", 8443, "https")).denied  # wrong port


# =========================================================================== wildcard FQDNs (firewall FAQ)


@pytest.mark.parametrize(("pattern", "host", "allowed"), [
    ("*.contoso.com", "any.contoso.com", True),
    ("*.contoso.com", "a.b.contoso.com", True),
    ("*.contoso.com", "contoso.com", False),  # "you must include contoso.com in the rule"
    ("*contoso.com", "contoso.com", True),
    ("*contoso.com", "example.anycontoso.com", True),
    ("www.contoso.*", "www.contoso.com", False),  # not supported: matches nothing
    ("*", "anything.example", True),
    ("MCR.microsoft.com", "mcr.microsoft.com", True),
])
def test_application_rule_wildcards(pattern: str, host: str, allowed: bool) -> None:
    b = Builder()
    fw = b.firewall()
    app = b.collection(fw, "app", "application", "100", "Allow")
    b.app_rule(app, "r", fqdns=[pattern])
    inv = b.inventory()
    assert evaluate(rule_set(inv, fw_of(inv)), fqdn(host)).allowed is allowed


def test_required_wildcard_endpoint_needs_a_covering_pattern() -> None:
    b = Builder()
    fw = b.firewall()
    app = b.collection(fw, "app", "application", "100", "Allow")
    b.app_rule(app, "one-host", fqdns=["abc.hcp.westeurope.azmk8s.io"])
    b.app_rule(app, "broad", fqdns=["*.data.mcr.microsoft.com"])
    inv = b.inventory()
    rs = rule_set(inv, fw_of(inv))
    assert not evaluate(rs, fqdn("*.hcp.westeurope.azmk8s.io")).allowed
    assert evaluate(rs, fqdn("*.data.mcr.microsoft.com")).allowed
    assert evaluate(rs, fqdn("westeurope.data.mcr.microsoft.com")).allowed


# =========================================================================== FQDN tags and service tags


def test_aks_fqdn_tag_covers_required_fqdns_of_every_cloud() -> None:
    b = Builder()
    fw = b.firewall()
    app = b.collection(fw, "aksfwar", "application", "100", "Allow")
    b.app_rule(app, "fqdn", protocols=["http=80", "https=443"], tags=["AzureKubernetesService"])
    inv = b.inventory()
    rs = rule_set(inv, fw_of(inv))
    for host in ("mcr.microsoft.com", "*.hcp.westeurope.azmk8s.io", "x.hcp.eastus.azmk8s.io",
                 "packages.aks.azure.com", "*.tun.chinaeast2.cx.prod.service.azk8s.cn", "login.microsoftonline.us"):
        assert evaluate(rs, fqdn(host)).allowed, host
    assert evaluate(rs, fqdn("github.com")).denied
    assert evaluate(rs, fqdn("mcr.microsoft.com", 80, "http")).allowed  # tutorial's http=80 is accepted


def test_other_and_unknown_fqdn_tags() -> None:
    assert F.tag_covers_fqdn("WindowsUpdate", "mcr.microsoft.com") is False
    assert F.tag_covers_fqdn("BrandNewTag", "mcr.microsoft.com") is None


@pytest.mark.parametrize(("rule_dest", "flow_dest", "verdict"), [
    ("AzureCloud", "AzureCloud.westeurope", "allowed"),  # AzureCloud contains its regions
    ("AzureCloud.westeurope", "AzureCloud.westeurope", "allowed"),
    ("azurecloud.WestEurope", "AzureCloud.westeurope", "allowed"),  # case-insensitive
    ("AzureCloud.eastus", "AzureCloud.westeurope", "denied"),  # other region: disjoint
    ("AzureCloud.westeurope", "AzureCloud", "unknown"),  # the region holds only part of it
    ("*", "AzureCloud.westeurope", "allowed"),
    ("0.0.0.0/0", "AzureCloud.westeurope", "allowed"),
    ("Internet", "AzureCloud.westeurope", "allowed"),
    ("10.0.0.0/8", "AzureCloud.westeurope", "denied"),  # private ranges are never in a public tag
    ("20.50.0.0/16", "AzureCloud.westeurope", "unknown"),  # which prefixes the tag holds is not known
])
def test_service_tag_containment(rule_dest: str, flow_dest: str, verdict: str) -> None:
    b = Builder()
    fw = b.firewall()
    nw = b.collection(fw, "nw", "network", "100", "Allow")
    b.network_rule(nw, "r", ["UDP"], ["1194"], dst=[rule_dest])
    inv = b.inventory()
    assert evaluate(rule_set(inv, fw_of(inv)), addr(flow_dest, "udp", 1194)).verdict == verdict


# =========================================================================== network-rule FQDNs and DNS proxy


@pytest.mark.parametrize(("proxy", "verdict"), [("true", "allowed"), (None, "denied"), ("false", "denied")])
def test_network_rule_fqdns_need_dns_proxy(proxy: str | None, verdict: str) -> None:
    b = Builder()
    fw = b.firewall(dns_proxy=proxy)
    nw = b.collection(fw, "nw", "network", "100", "Allow")
    b.network_rule(nw, "time", ["UDP"], ["123"], fqdns=["ntp.ubuntu.com"])
    inv = b.inventory()
    assert evaluate(rule_set(inv, fw_of(inv)), fqdn("ntp.ubuntu.com", 123, None)).verdict == verdict


def test_unknown_dns_proxy_is_unknown_not_denied() -> None:
    b = Builder()
    fw = b.add("firewall", "fw", dns_proxy=Value.unknown("$PROXY", Location(FILE, 99), "never set"))
    nw = b.collection(fw, "nw", "network", "100", "Allow")
    b.network_rule(nw, "time", ["UDP"], ["123"], fqdns=["ntp.ubuntu.com"])
    inv = b.inventory()
    d = evaluate(rule_set(inv, fw_of(inv)), fqdn("ntp.ubuntu.com", 123, None))
    assert d.unknown and "DNS proxy" in d.reason


# =========================================================================== unknown propagates


def test_unknowns_never_become_denied() -> None:
    b = Builder()
    fw = b.firewall()
    c1 = b.collection(fw, "groups", "network", "100", "Allow")
    b.network_rule(c1, "by-group", ["TCP"], ["443"], dst=["*"], src=[], src_groups=["hub-ipgroup"])
    inv = b.inventory()
    assert evaluate(rule_set(inv, fw_of(inv)), fqdn("github.com")).unknown

    b = Builder()
    fw = b.firewall()
    c1 = b.collection(fw, "var", "network", "100", "Allow")
    b.add("network_rule", "dest-var", c1, protocols=b.vs("TCP"), destination_ports=b.vs("9000"),
          source_addresses=b.vs("*"), destination_addresses=[Value.unknown("$DEST", Location(FILE, 50), "not set")])
    inv = b.inventory()
    d = evaluate(rule_set(inv, fw_of(inv)), addr("AzureCloud.westeurope", "tcp", 9000))
    assert d.unknown and "$DEST" in d.reason

    b = Builder()
    fw = b.firewall()
    c1 = b.add("rule_collection", "prio-var", fw, rule_kind="network",
               priority=Value.unknown("$PRIO", Location(FILE, 60)), action=b.v("Allow"))
    b.network_rule(c1, "r", ["TCP"], ["443"], dst=["*"])
    deny = b.collection(fw, "deny", "network", "200", "Deny")
    b.network_rule(deny, "all", ["Any"], ["*"], dst=["*"])
    inv = b.inventory()
    d = evaluate(rule_set(inv, fw_of(inv)), fqdn("github.com"))
    assert d.unknown and "priority" in d.reason


def test_an_undecided_rule_that_agrees_keeps_the_verdict() -> None:
    b = Builder()
    fw = b.firewall()
    c1 = b.collection(fw, "groups", "network", "100", "Deny")
    b.network_rule(c1, "by-group", ["TCP"], ["443"], dst=["*"], src=[], src_groups=["bad-hosts"])
    c2 = b.collection(fw, "deny", "network", "200", "Deny")
    b.network_rule(c2, "all", ["Any"], ["*"], dst=["*"])
    inv = b.inventory()
    assert evaluate(rule_set(inv, fw_of(inv)), fqdn("github.com")).denied


def test_firewall_outside_the_scan_is_unknown() -> None:
    b = Builder()
    fw = b.add("firewall", "hub-fw", op="update")
    coll = b.collection(fw, "extra", "network", "100", "Allow")
    b.network_rule(coll, "r", ["TCP"], ["443"], dst=["*"])
    inv = b.inventory()
    assert evaluate(rule_set(inv, fw_of(inv, "hub-fw")), fqdn("github.com")).unknown


# =========================================================================== firewall policies


def test_parent_policy_is_evaluated_first_regardless_of_priority() -> None:
    b = Builder()
    parent = b.policy("base", dns_proxy="true")
    child = b.policy("child", base=parent)
    pg = b.rcg(parent, "base-rcg", "65000")
    deny = b.collection(pg, "deny-github", "application", "65000", "Deny")
    b.app_rule(deny, "github", fqdns=["github.com"])
    cg = b.rcg(child, "child-rcg", "100")
    allow = b.collection(cg, "allow-github", "application", "100", "Allow")
    b.app_rule(allow, "github", fqdns=["github.com", "*.github.com"])
    nw = b.collection(cg, "ntp", "network", "200", "Allow")
    b.network_rule(nw, "time", ["UDP"], ["123"], fqdns=["ntp.ubuntu.com"])
    b.firewall(policy=child)
    inv = b.inventory()
    rs = rule_set(inv, fw_of(inv))
    assert [p.name for p in rs.policies] == ["base", "child"]
    d = evaluate(rs, fqdn("github.com"))
    assert d.denied and d.rule is not None and "firewall policy 'base'" in d.reason
    assert evaluate(rs, fqdn("api.github.com")).allowed
    assert evaluate(rs, fqdn("ntp.ubuntu.com", 123, None)).allowed  # DNS proxy inherited from the base policy
    assert rs.owner.name == "child"


def test_policy_replaces_classic_rules_and_missing_policy_is_unknown() -> None:
    b = Builder()
    policy = b.policy("p")
    g = b.rcg(policy, "g", "100")
    c = b.collection(g, "c", "application", "100", "Allow")
    b.app_rule(c, "mcr", fqdns=["mcr.microsoft.com"])
    fw = b.firewall(policy=policy)
    classic = b.collection(fw, "old", "application", "100", "Allow")
    b.app_rule(classic, "github", fqdns=["github.com"])
    missing = b.firewall("fw2", policy=Ref("firewall_policy", "elsewhere", RG, display="elsewhere"))
    inv = b.inventory()
    rs = rule_set(inv, fw_of(inv))
    assert evaluate(rs, fqdn("mcr.microsoft.com")).allowed
    assert evaluate(rs, fqdn("github.com")).denied
    assert missing is not None
    d = evaluate(rule_set(inv, fw_of(inv, "fw2")), fqdn("mcr.microsoft.com"))
    assert d.unknown and "elsewhere" in d.reason


# =========================================================================== property: one verdict per flow

_PORTS = (53, 80, 123, 443, 1194, 9000)
_DESTS = ("*", "10.0.0.0/8", "10.42.0.0/16", "203.0.113.0/24", "203.0.113.7", "0.0.0.0/0")
_FLOW_DESTS = ("10.42.3.4", "203.0.113.7", "203.0.113.9", "198.51.100.1", "10.1.1.1")

rule_strategy = st.tuples(
    st.sampled_from(("100", "200", "300", "400")),  # collection priority
    st.sampled_from(("Allow", "Deny")),
    st.sampled_from(("TCP", "UDP", "Any")),
    st.sampled_from(("*", "443", "80", "1000-2000", "53")),
    st.sampled_from(_DESTS),
    st.sampled_from(("*", "10.42.1.0/24", "10.0.0.0/8", "192.168.0.0/16")),
)


def _reference(rules: list[tuple[str, str, str, str, str, str]], flow: tuple[str, int, str, str]) -> str:
    """First match by (priority, declaration order) with plain set logic; default deny."""
    proto, port, dest, src = flow
    import ipaddress

    def in_set(item: str, address: str) -> bool:
        return item == "*" or ipaddress.ip_address(address) in ipaddress.ip_network(item)

    def port_in(item: str) -> bool:
        if item == "*":
            return True
        lo, _, hi = item.partition("-")
        return int(lo) <= port <= int(hi or lo)

    ordered = sorted(enumerate(rules), key=lambda x: (int(x[1][0]), x[0]))
    for _i, (_prio, action, rproto, rport, rdest, rsrc) in ordered:
        if rproto != "Any" and rproto.lower() != proto:
            continue
        if port_in(rport) and in_set(rdest, dest) and in_set(rsrc, src):
            return "allowed" if action == "Allow" else "denied"
    return "denied"


@settings(max_examples=150, deadline=None)
@given(rules=st.lists(rule_strategy, min_size=0, max_size=8),
       proto=st.sampled_from(("tcp", "udp")), port=st.sampled_from(_PORTS), dest=st.sampled_from(_FLOW_DESTS),
       src=st.sampled_from(("10.42.1.5", "192.168.1.1")))
def test_property_one_verdict_matching_first_match_reference(rules, proto, port, dest, src) -> None:
    b = Builder()
    fw = b.firewall()
    # one collection per (priority, action): Azure's collections carry one action each
    colls: dict[tuple[str, str], Ref] = {}
    for i, (prio, action, rproto, rport, rdest, rsrc) in enumerate(rules):
        key = (prio, action)
        if key not in colls:
            prio_used = str(int(prio) + (1 if action == "Deny" else 0))  # distinct priorities per kind
            colls[key] = b.collection(fw, f"c{prio_used}{action}", "network", prio_used, action)
        b.network_rule(colls[key], f"r{i}", [rproto], [rport], dst=[rdest], src=[rsrc])
    inv = b.inventory()
    rs = rule_set(inv, fw_of(inv))
    flow = Flow.to_addresses([dest], proto, port, AddressSet.parse([src]))
    d = evaluate(rs, flow)
    assert d.verdict in ("allowed", "denied")  # concrete rules: never undecided
    remapped = [(str(int(p) + (1 if a == "Deny" else 0)), a, *rest) for p, a, *rest in rules]
    assert d.verdict == _reference(remapped, (proto, port, dest, src))
    # the same flow asked again, or after re-reading the rule set, gets the same single verdict
    assert evaluate(rule_set(inv, fw_of(inv)), flow).verdict == d.verdict
    if d.allowed:
        assert d.rule is not None and d.collection is not None


@settings(max_examples=80, deadline=None)
@given(rules=st.lists(rule_strategy, min_size=1, max_size=6), dest=st.sampled_from(_FLOW_DESTS))
def test_property_never_allowed_and_denied_under_permutation(rules, dest) -> None:
    """Declaration order inside distinct priorities does not change the verdict."""
    verdicts = set()
    for perm in itertools.islice(itertools.permutations(rules), 4):
        b = Builder()
        fw = b.firewall()
        for i, (prio, action, rproto, rport, rdest, rsrc) in enumerate(perm):
            coll = b.collection(fw, f"c{i}", "network", str(int(prio) + i), action)
            b.network_rule(coll, f"r{i}", [rproto], [rport], dst=[rdest], src=[rsrc])
        inv = b.inventory()
        d = evaluate(rule_set(inv, fw_of(inv)), addr(dest, "tcp", 443, "10.42.1.5"))
        assert not (d.allowed and d.denied)
        verdicts.add((d.verdict, tuple(sorted((r[0], i) for i, r in enumerate(perm)))))
    assert all(v[0] in ("allowed", "denied", "unknown") for v in verdicts)


# =========================================================================== EGL2xx rules on model inventories


def _seed001_like(b: Builder, legacy_rules: bool = True, tag: str = "AzureKubernetesService",
                  region: str | None = "westeurope") -> tuple[Ref, Ref]:
    fw, cluster, _nodes = b.udr_lab(region=region)
    nw = b.collection(fw, "aksfwnr", "network", "100", "allow")
    if legacy_rules:
        b.network_rule(nw, "apiudp", ["UDP"], ["1194"], dst=["AzureCloud.westeurope"])
        b.network_rule(nw, "apitcp", ["TCP"], ["9000"], dst=["AzureCloud.westeurope"])
        b.network_rule(nw, "time", ["UDP"], ["123"], fqdns=["ntp.ubuntu.com"])
    app = b.collection(fw, "aksfwar", "application", "100", "allow")
    b.app_rule(app, "fqdn", protocols=["http=80", "https=443"], tags=[tag])
    return fw, cluster


def test_egl201_egl202_pass_for_the_tutorial_rules() -> None:
    b = Builder()
    _seed001_like(b)
    for config in ({}, {"legacy": True}):
        inv = b.inventory(config=config)
        assert run(checks.AksRequiredNetworkRules, inv) == []
        assert run(checks.AksRequiredFqdns, inv) == []


def test_egl201_only_for_legacy_clusters_in_public_cloud() -> None:
    b = Builder()
    _seed001_like(b, legacy_rules=False)
    assert run(checks.AksRequiredNetworkRules, b.inventory()) == []
    found = run(checks.AksRequiredNetworkRules, b.inventory(config={"legacy": ["aks*"]}))
    assert [f.rule_id for f in found] == ["EGL201"]
    msg = found[0].message
    for item in ("UDP 1194 to AzureCloud.westeurope", "TCP 9000 to AzureCloud.westeurope", "UDP 123 to ntp.ubuntu.com"):
        assert item in msg
    assert found[0].location == fw_of(b.inventory()).location  # the firewall that should have them


def test_egl201_china_requires_everything_including_tcp_22() -> None:
    b = Builder()
    _seed001_like(b)
    inv = b.inventory(cloud="AzureChinaCloud")
    found = run(checks.AksRequiredNetworkRules, inv)
    assert len(found) == 1 and "TCP 22 to AzureCloud.westeurope" in found[0].message
    assert "UDP 1194" not in found[0].message


def test_egl201_custom_dns_through_the_firewall() -> None:
    b = Builder()
    fw, _cluster, _ = b.udr_lab(dns=["8.8.8.8", "10.42.0.10", "168.63.129.16"])
    app = b.collection(fw, "aksfwar", "application", "100", "allow")
    b.app_rule(app, "fqdn", tags=["AzureKubernetesService"])
    found = run(checks.AksRequiredNetworkRules, b.inventory())
    assert len(found) == 1
    assert "UDP 53 to custom DNS server 8.8.8.8" in found[0].message
    assert "10.42.0.10" not in found[0].message  # inside the VNet: does not cross the firewall


def test_egl202_lists_every_missing_fqdn_and_names_the_denying_rule() -> None:
    b = Builder()
    fw, _cluster, _ = b.udr_lab(region="eastus")
    app = b.collection(fw, "deny-ms", "application", "100", "Deny")
    b.app_rule(app, "block-mcr", fqdns=["mcr.microsoft.com"])
    found = run(checks.AksRequiredFqdns, b.inventory())
    assert len(found) == 1
    msg = found[0].message
    for host in ("*.hcp.eastus.azmk8s.io", "mcr.microsoft.com (denied by application rule 'block-mcr')",
                 "*.data.mcr.microsoft.com", "mcr-0001.mcr-msedge.net", "management.azure.com",
                 "login.microsoftonline.com", "packages.microsoft.com", "acs-mirror.azureedge.net",
                 "packages.aks.azure.com"):
        assert host in msg, host
    assert "AzureKubernetesService" in msg


def test_egl202_feature_fqdns_and_typo_tag() -> None:
    b = Builder()
    _seed001_like(b, tag="AzureKubnernetesService")
    inv = b.inventory(config={"features": ["gpu"]})
    found = run(checks.AksRequiredFqdns, inv)
    assert len(found) == 1 and "nvidia.github.io" in found[0].message and "mcr.microsoft.com" in found[0].message
    tags = run(checks.UnknownTag, inv)
    assert [f.rule_id for f in tags] == ["EGL209"] and "did you mean 'AzureKubernetesService'" in tags[0].message


def test_region_unknown_uses_regions_the_rules_mention() -> None:
    b = Builder()
    _seed001_like(b, region=None)
    inv = b.inventory(config={"legacy": True})
    assert run(checks.AksRequiredNetworkRules, inv) == []
    b2 = Builder()
    b2.udr_lab(region=None)
    found = run(checks.AksRequiredFqdns, b2.inventory())
    assert len(found) == 1 and "*.hcp.<region>.azmk8s.io" in found[0].message


def test_egl201_undecided_is_egl004() -> None:
    b = Builder()
    fw, _c, _ = b.udr_lab()
    nw = b.collection(fw, "nw", "network", "100", "Allow")
    b.network_rule(nw, "hub", ["Any"], ["*"], dst=["*"], src=[], src_groups=["spokes"])
    found = run(checks.AksRequiredFqdns, b.inventory())
    assert [f.rule_id for f in found] == ["EGL004"]


def test_egl203_allow_all_and_web_network_rules() -> None:
    b = Builder()
    fw, _c, _ = b.udr_lab()
    nw = b.collection(fw, "nw", "network", "100", "Allow")
    b.network_rule(nw, "aks-udp", ["UDP"], ["1194", "123"], dst=["*"])  # documented `*` endpoints: fine
    b.network_rule(nw, "web", ["TCP"], ["80", "443"], dst=["*"])
    b.network_rule(nw, "everything", ["Any"], ["*"], dst=["0.0.0.0/0"])
    b.network_rule(nw, "other-source", ["Any"], ["*"], dst=["*"], src=["192.168.7.0/24"])
    app = b.collection(fw, "app", "application", "100", "Allow")
    b.app_rule(app, "star", fqdns=["*"])
    found = run(checks.AllowAllEgress, b.inventory())
    names = sorted(f.subject.split("/")[-1] for f in found)
    assert names == ["everything", "star", "web"]
    web = next(f for f in found if f.subject.endswith("web"))
    assert "evaluated before application rules" in web.message


def test_egl204_fqdn_network_rule_without_dns_proxy() -> None:
    b = Builder()
    fw = b.firewall()
    nw = b.collection(fw, "nw", "network", "100", "Allow")
    rule = b.network_rule(nw, "time", ["UDP"], ["123"], fqdns=["ntp.ubuntu.com"])
    ok = b.firewall("fw-ok", dns_proxy="true")
    nw2 = b.collection(ok, "nw", "network", "100", "Allow")
    b.network_rule(nw2, "time", ["UDP"], ["123"], fqdns=["ntp.ubuntu.com"])
    base = b.policy("base")
    child = b.policy("child", base=base, dns_proxy="true")
    g = b.rcg(base, "g", "100")
    c = b.collection(g, "c", "network", "100", "Allow")
    b.network_rule(c, "base-time", ["UDP"], ["123"], fqdns=["ntp.ubuntu.com"])  # child enables the proxy
    assert child is not None
    found = run(checks.FqdnNetworkRuleWithoutDnsProxy, b.inventory())
    assert len(found) == 1 and found[0].rule_id == "EGL204"
    assert "firewall 'fw'" in found[0].message and rule.name == "time"


def test_egl205_allow_shadows_deny_and_duplicates() -> None:
    b = Builder()
    fw = b.firewall()
    allow = b.collection(fw, "allow-web", "network", "100", "Allow")
    b.network_rule(allow, "web", ["TCP"], ["443"], dst=["*"])
    b.network_rule(allow, "web-copy", ["TCP"], ["443"], dst=["*"])
    deny = b.collection(fw, "block-bad", "network", "200", "Deny")
    b.network_rule(deny, "bad", ["TCP"], ["443"], dst=["203.0.113.7"])
    b.network_rule(deny, "bad-udp", ["UDP"], ["443"], dst=["203.0.113.7"])  # not covered: UDP
    found = run(checks.ShadowedRule, b.inventory())
    by = {f.subject.split("/")[-1]: f.message for f in found}
    assert set(by) == {"web-copy", "bad"}
    assert "redundant" in by["web-copy"]
    assert "can never match" in by["bad"] and "allowed" in by["bad"]


def test_egl205_is_bounded_on_large_rule_bases() -> None:
    import time

    b = Builder()
    fw = b.firewall()
    coll = b.collection(fw, "big", "network", "100", "Allow")
    for i in range(3000):
        b.network_rule(coll, f"r{i}", ["TCP"], [str(1000 + i)], dst=[f"10.{i // 250}.{i % 250}.0/24"])
    b.network_rule(coll, "dup", ["TCP"], ["1000"], dst=["10.0.0.0/24"])
    inv = b.inventory()
    start = time.perf_counter()
    found = run(checks.ShadowedRule, inv)
    assert time.perf_counter() - start < 30
    assert [f.subject.split("/")[-1] for f in found] == ["dup"]


def test_egl206_duplicate_and_out_of_range_priorities() -> None:
    b = Builder()
    fw = b.firewall()
    b.collection(fw, "a", "network", "100", "Allow")
    b.collection(fw, "b", "network", "100", "Deny")
    b.collection(fw, "c", "application", "100", "Allow")  # other kind: fine
    b.collection(fw, "d", "network", "70000", "Allow")
    p = b.policy("p")
    b.rcg(p, "g1", "200")
    b.rcg(p, "g2", "200")
    found = run(checks.DuplicateCollectionPriority, b.inventory())
    msgs = sorted((f.severity.label, f.message.split(" on ")[0]) for f in found)
    assert msgs == [("error", "network rule collection 'd'"), ("warning", "network rule collection 'b'"),
                    ("warning", "rule collection group 'g2'")]


def test_egl209_tags_of_the_wrong_kind_and_unknown_tags() -> None:
    b = Builder()
    fw = b.firewall()
    nw = b.collection(fw, "nw", "network", "100", "Allow")
    b.network_rule(nw, "aks-as-service-tag", ["TCP"], ["443"], dst=["AzureKubernetesService"])
    b.network_rule(nw, "typo", ["UDP"], ["1194"], dst=["AzureCloud.westeurop"])
    b.network_rule(nw, "new-tag", ["TCP"], ["443"], dst=["SomeBrandNewServiceXyz"])
    b.network_rule(nw, "fine", ["TCP"], ["443"], dst=["AzureMonitor", "10.0.0.0/8"])
    app = b.collection(fw, "app", "application", "100", "Allow")
    b.app_rule(app, "service-as-fqdn-tag", tags=["AzureCloud"])
    found = run(checks.UnknownTag, b.inventory())
    errors = sorted(f.subject.split(":")[-1] for f in found if f.rule_id == "EGL209")
    assert errors == ["azurecloud", "azurecloud.westeurop", "azurekubernetesservice"]
    assert [f.rule_id for f in found if "somebrandnew" in f.subject] == ["EGL004"]
    typo = next(f for f in found if f.subject.endswith("westeurop"))
    assert "did you mean 'AzureCloud.westeurope'" in typo.message


# =========================================================================== script fixtures (need the shell parser)


def scan_inventory(paths: Any, facts: dict[str, Any] | None = None, packs: Any = ()) -> Inventory:
    """The inventory the engine builds for ``paths`` (real frontends), with config facts and
    ``facts["packs"]`` as the lead wires them."""
    from egresslint import engine
    from egresslint.config import Config
    from egresslint.files import discover, read

    paths = [Path(p) for p in ([paths] if isinstance(paths, str | Path) else paths)]
    config = Config(facts=facts or {}, packs=tuple(str(p) for p in packs))
    notes: list = []
    results = []
    for cand in discover(paths, paths[0].parent, notes):
        loaded = read(cand, config.max_file_size)
        assert loaded.source is not None
        results.append((cand, engine._run_frontend(loaded.source, notes)))
    return engine.build_inventory(results, config)


def own_findings(inv: Inventory, *rule_modules: Any) -> list:
    """Findings of the EGL2xx/EGL3xx rules (run directly until they are registered)."""
    from egresslint.checks import nsg as nsg_checks

    modules = rule_modules or (checks, nsg_checks)
    return [f for m in modules for cls in m.RULES for f in cls().check(inv)]


def _scan(path: Path, **config: Any) -> list:
    pytest.importorskip("egresslint.frontends.shell")
    inv = scan_inventory(path, config.get("facts"))
    return list(inv.diagnostics) + own_findings(inv)


def test_seed001_corrected_lab_passes_egl201_egl202() -> None:
    path = FIXTURES / "seeds" / "seed001-lab4-udr-corrected.ps1"
    for facts in ({}, {"legacy": True}):
        ids = [f.rule_id for f in _scan(path, facts=facts)]
        assert "EGL201" not in ids and "EGL202" not in ids


def test_seed003_fails_egl202_with_the_exact_missing_list() -> None:
    path = FIXTURES / "seeds" / "seed003-udr-firewall.sh"
    findings = _scan(path)
    egl202 = [f for f in findings if f.rule_id == "EGL202"]
    assert len(egl202) == 1
    msg = egl202[0].message
    expected = ["*.hcp.eastus.azmk8s.io", "mcr.microsoft.com", "*.data.mcr.microsoft.com", "mcr-0001.mcr-msedge.net",
                "management.azure.com", "login.microsoftonline.com", "packages.microsoft.com",
                "acs-mirror.azureedge.net", "packages.aks.azure.com"]
    assert f"HTTPS 443: {', '.join(expected)}" in msg
    assert "EGL201" not in [f.rule_id for f in findings]
    legacy = [f for f in _scan(path, facts={"legacy": True}) if f.rule_id == "EGL201"]
    assert len(legacy) == 1
    for item in ("UDP 1194 to AzureCloud.eastus", "TCP 9000 to AzureCloud.eastus", "UDP 123 to ntp.ubuntu.com"):
        assert item in legacy[0].message


def test_seed003_with_its_network_rule_repaired_still_fails_egl202(tmp_path: Path) -> None:
    """The blog's rule (TCP 443 to one Google IP) is a network rule to an address: it allows no
    FQDN AKS needs, so repairing the command changes nothing for EGL202."""
    pytest.importorskip("egresslint.frontends.shell")
    text = (FIXTURES / "seeds" / "seed003-udr-firewall.sh").read_text(encoding="utf-8")
    fixed = text.replace("--rule-name AllowGoogleHTTPS", "--name AllowGoogleHTTPS").replace(
        "--action Allow", "--action Allow --priority 100")
    script = tmp_path / "seed003-fixed.sh"
    script.write_text(fixed, encoding="utf-8")
    inv = scan_inventory(script)
    from egresslint.model import NetworkRule

    assert [r.name for r in inv.all(NetworkRule)] == ["AllowGoogleHTTPS"]
    found = [f for f in own_findings(inv) if f.rule_id == "EGL202"]
    assert len(found) == 1 and "mcr.microsoft.com" in found[0].message and "packages.aks.azure.com" in found[0].message
