"""The seed articles' scripts, transcribed as users paste them (en dashes, curly quotes), parse
into the model a reader expects; the issue's acceptance findings hold."""

from __future__ import annotations

from pathlib import Path

from conftest import FIXTURES

from egresslint.config import Config
from egresslint.engine import _run_frontend, build_inventory, scan
from egresslint.files import discover, read
from egresslint.model import Cluster, Firewall, NodePool, Route, RouteTable, Subnet

SEEDS = FIXTURES / "seeds"


def inventory_of(path: Path):
    notes: list = []
    results = [(c, _run_frontend(read(c).source, notes)) for c in discover([path], path.parent, notes)]
    return build_inventory(results, Config())


def describe(inv) -> str:
    lines = []
    for res in inv.resources():
        fields = {k: v for k, v in vars(res).items()
                  if k not in ("ref", "location", "history", "suppressions", "declared") and v not in (None, [], {})}
        lines.append(f"{res.ref.kind} {res.ref} {'' if res.declared else '(referenced) '}{fields}")
    return "\n".join(lines)


def rules_at(path: Path) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for f in scan([path], Config(), root=path.parent).findings:
        out.setdefault(f.rule_id, []).append(f.location.line)
    return out


def test_seed_inventories_print(capsys):
    for path in sorted(SEEDS.glob("seed*")):
        print(f"== {path.name}\n{describe(inventory_of(path))}")
    out = capsys.readouterr().out
    assert "cluster aks-lb" in out and "firewall myAzureFirewall" in out


def test_seed003_model_and_findings():
    path = SEEDS / "seed003-udr-firewall.sh"
    inv = inventory_of(path)
    cluster = inv.all(Cluster)[0]
    assert cluster.name == "myAksCluster" and inv.outbound_type(cluster) == "loadBalancer"
    [pool] = inv.all(NodePool)
    assert inv.get(pool.vnet_subnet).name == "aks-subnet"
    subnet = inv.get(pool.vnet_subnet)
    assert isinstance(subnet, Subnet) and inv.route_table_of(subnet).name == "aksegress-routetable"
    [route] = inv.all(Route)
    hop = inv.hop_target(route.next_hop_ip)
    assert hop.relation == "private" and hop.firewall is inv.all(Firewall)[0]
    found = rules_at(path)
    for rule in ("EGL105", "EGL407", "EGL409", "EGL108", "EGL007"):
        assert rule in found, (rule, found)


def test_seed001_labs_typography_and_model():
    lab4 = SEEDS / "seed001-lab4-udr.ps1"
    found = rules_at(lab4)
    assert len(found["EGL002"]) >= 30  # every pasted en dash, one finding per token
    assert "EGL007" in found  # privateIpAddress
    inv = inventory_of(lab4)
    [cluster] = inv.all(Cluster)
    assert inv.outbound_type(cluster) == "userDefinedRouting"
    [table] = inv.all(RouteTable)
    assert table.name == "$FWROUTE_TABLE_NAME"
    lab1 = rules_at(SEEDS / "seed001-lab1-loadbalancer.sh")
    assert set(lab1) == {"EGL002"}


def test_corrected_seed001_udr_lab_is_clean():
    findings = scan([SEEDS / "seed001-lab4-udr-corrected.ps1"], Config(), root=SEEDS).findings
    serious = [f for f in findings if f.severity.label in ("error", "warning")]
    assert not serious, [(f.location.line, f.rule_id, f.message) for f in serious]
