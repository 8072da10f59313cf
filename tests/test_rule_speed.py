"""Issue 8 (rules on large projects): the indexes and memos that replaced scans give the answers
the scans gave, and memoised answers never outlive the inventory state they describe."""

from __future__ import annotations

import ipaddress
import random

from egresslint import net
from egresslint.firewall import rule_set
from egresslint.inventory import FIREWALL_SUBNET, Inventory
from egresslint.model import (
    Firewall,
    FirewallIpConfig,
    Location,
    NodePool,
    Operation,
    Ref,
    Subnet,
    Symbol,
    Value,
)

LOC = Location("t.sh", 1)


def _subnet_scan(inv: Inventory, address: net.IPAddress) -> Subnet | None:
    """The scan :meth:`Inventory._subnet_holding` replaced: the first subnet holding ``address``."""
    for sub in inv.all(Subnet):
        for prefix in sub.address_prefixes:
            network = net.parse_network(prefix.known) if prefix.known else None
            if network is not None and address in network:
                return sub
    return None


def _random_inventory(rng: random.Random) -> Inventory:
    inv = Inventory()
    vnet = Ref("vnet", "hub", "rg")
    for i in range(40):
        prefixes = []
        for _ in range(rng.randrange(3)):
            if rng.random() < 0.2:
                prefixes.append(Value.literal(f"fd00:{rng.randrange(4):x}::/{rng.choice((48, 64, 120))}"))
            elif rng.random() < 0.1:
                prefixes.append(Value.unknown("$PREFIX"))
            else:  # overlapping networks of all sizes, some written with host bits
                length = rng.choice((8, 16, 20, 24, 26, 28, 32))
                prefixes.append(Value.literal(f"10.{rng.randrange(3)}.{rng.randrange(4)}.{rng.randrange(256)}/{length}"))
        name = FIREWALL_SUBNET if i % 9 == 0 else f"s{i}"
        inv.apply(Operation("create", Ref("subnet", name, f"rg{i % 5}", vnet), LOC,
                            {"address_prefixes": prefixes}))
    return inv


def test_subnet_index_answers_like_the_scan() -> None:
    rng = random.Random(8)
    for _round in range(20):
        inv = _random_inventory(rng)
        for _ in range(200):
            if rng.random() < 0.2:
                address = ipaddress.ip_address(f"fd00:{rng.randrange(4):x}::{rng.randrange(300):x}")
            else:
                address = ipaddress.ip_address(f"10.{rng.randrange(3)}.{rng.randrange(4)}.{rng.randrange(256)}")
            assert inv._subnet_holding(address) is _subnet_scan(inv, address)


def _firewall(inv: Inventory, name: str, subnet: Ref | None, pips: list[Ref]) -> None:
    configs = [FirewallIpConfig(Value.literal(f"c{i}"), LOC, subnet=subnet if i == 0 else None, public_ip=p)
               for i, p in enumerate(pips or [None])]
    inv.apply(Operation("create", Ref("firewall", name, "rg"), LOC, {"ip_configs": configs}))


def test_hop_targets_name_the_first_firewall_holding_the_address() -> None:
    inv = Inventory()
    vnet = Ref("vnet", "hub", "rg")
    fw_subnet = Ref("subnet", FIREWALL_SUBNET, "rg", vnet)
    inv.apply(Operation("create", vnet, LOC, {"address_prefixes": [Value.literal("10.0.0.0/16")]}))
    inv.apply(Operation("create", fw_subnet, LOC, {"address_prefixes": [Value.literal("10.0.1.0/26")]}))
    inv.apply(Operation("create", Ref("subnet", "aks", "rg", vnet), LOC,
                        {"address_prefixes": [Value.literal("10.0.8.0/24")]}))
    shared, own = Ref("public_ip", "shared", "rg"), Ref("public_ip", "own", "rg")
    for ref in (shared, own, Ref("public_ip", "loose", "rg")):
        inv.apply(Operation("create", ref, LOC, {}))
    _firewall(inv, "fw1", None, [own, shared])
    _firewall(inv, "fw2", fw_subnet, [shared])
    _firewall(inv, "fw3", fw_subnet, [])

    def pip_of(name: str) -> Value:
        return Value.symbolic(Symbol(Ref("public_ip", name, "rg"), "ipAddress"), f"$PIP_{name}")

    assert inv.hop_target(pip_of("shared")).firewall.name == "fw1"  # type: ignore[union-attr]
    assert inv.hop_target(pip_of("own")).firewall.name == "fw1"  # type: ignore[union-attr]
    loose = inv.hop_target(pip_of("loose"))
    assert (loose.relation, loose.firewall, loose.public_ip) == ("outside", None, inv.get(Ref("public_ip", "loose")))
    # .4 is fw2's derived private IP; .9 is another address of its subnet, which fw2 (the first) owns
    assert inv.hop_target(Value.literal("10.0.1.4")).relation == "private"
    other = inv.hop_target(Value.literal("10.0.1.9"))
    assert (other.relation, other.firewall.name) == ("firewall-subnet", "fw2")  # type: ignore[union-attr]
    assert inv.hop_target(Value.literal("10.0.8.7")).subnet.name == "aks"  # type: ignore[union-attr]
    assert inv.hop_target(Value.literal("192.0.2.1")).relation == "outside"
    # a change makes a new index: a firewall created later in AzureFirewallSubnet is not its owner,
    # one whose public IP is new is found
    fresh = Ref("public_ip", "fresh", "rg")
    inv.apply(Operation("create", fresh, LOC, {}))
    _firewall(inv, "fw4", fw_subnet, [fresh])
    assert inv.hop_target(pip_of("fresh")).firewall.name == "fw4"  # type: ignore[union-attr]
    assert inv.hop_target(Value.literal("10.0.1.9")).firewall.name == "fw2"  # type: ignore[union-attr]


def test_memoised_children_follow_every_change() -> None:
    inv = Inventory()
    cluster = Ref("cluster", "aks", "rg")
    inv.apply(Operation("create", cluster, LOC, {}))
    res = inv.get(cluster)
    assert res is not None and inv.children(res, NodePool) == []
    inv.apply(Operation("create", Ref("node_pool", "np1", "rg", cluster), LOC, {}))
    assert [p.name for p in inv.children(res, NodePool)] == ["np1"]
    got = inv.children(res, NodePool)
    got.clear()  # a caller's copy: the memo keeps its own
    assert [p.name for p in inv.children(res, NodePool)] == ["np1"]
    inv.apply(Operation("delete", Ref("node_pool", "np1", "rg", cluster), LOC))
    assert inv.children(res, NodePool) == []


def test_rule_sets_compile_resolved_and_unresolved_values() -> None:
    inv = Inventory()
    fw = Ref("firewall", "fw", "rg")
    inv.apply(Operation("create", fw, LOC, {}))
    coll = Ref("rule_collection", "network:c", "rg", fw)
    inv.apply(Operation("create", coll, LOC, {"priority": Value.literal("100"), "action": Value.literal("Allow")}))
    inv.apply(Operation("create", Ref("public_ip", "pip", "rg"), LOC, {"ip_address": Value.literal("20.1.2.3")}))
    pip = Value.symbolic(Symbol(Ref("public_ip", "pip", "rg"), "ipAddress"), "$PIP")
    inv.apply(Operation("create", Ref("network_rule", "r", "rg", coll), LOC, {
        "source_addresses": [Value.literal("10.0.0.0/24")], "protocols": [Value.literal("TCP")],
        "destination_addresses": [pip, Value.unknown("$OTHER")], "destination_ports": [Value.literal("443")],
        "destination_fqdns": [Value.literal("Example.COM."), Value.unknown("$HOST")]}))
    firewall = inv.get(fw)
    assert isinstance(firewall, Firewall)
    (entry,) = rule_set(inv, firewall).all_entries()
    assert entry.action == "allow" and entry.fqdns == ("example.com",) and entry.unknown_fqdns
    assert entry.destinations.items == ("20.1.2.3", "$?$other") and entry.ports.contains(443) is True
    assert [v.text for v in entry.unresolved] == ["$OTHER", "$HOST"]


def test_cached_address_set_hash_stays_out_of_pickles() -> None:
    import pickle

    parsed = net.AddressSet.parse(["10.0.0.0/24", "AzureCloud"])
    assert hash(parsed) == hash((parsed.wildcard, parsed.networks, parsed.tags, parsed.unknown))
    back = pickle.loads(pickle.dumps(parsed))
    assert back == parsed and "_hash" not in back.__dict__ and hash(back) == hash(parsed)
