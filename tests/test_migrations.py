"""EGL405 and rules/outbound-migrations.yaml, entry by entry.

* The seed-004 transcription in the pack equals the seed text (a hand copy below, and the file
  in ../shared when it is there).
* Every resolved cell agrees with the tables it cites; disagreements are conflicts (or settled by
  a named source with a note).
* The rule is run for every cell of the pack and every entry of both published tables.
"""

from __future__ import annotations

import re

import pytest
from conftest import SHARED

from egresslint.checks.outbound import OutboundTypeMigration
from egresslint.findings import Severity
from egresslint.inventory import Inventory
from egresslint.limits import CELL_WORDS, migrations
from egresslint.model import Location, Operation, Ref, Value

PACK = migrations()

# Seed 004 ("Supported Migration Paths ..."), copied by hand from shared/seeds/004_be133496f185d586.txt.
SEED004_MANAGED = """\
From|To loadBalancer managedNATGateway userAssignedNATGateway userDefinedRouting none block
loadBalancer N/A Supported Not Supported Not Supported Supported Supported
managedNATGateway Supported N/A Not Supported Not Supported Supported Supported
userAssignedNATGateway Not Supported Not Supported N/A Not Supported Not Supported Not Supported
none Supported Supported Not Supported Not Supported N/A Supported
block Supported Supported Not Supported Not Supported Supported N/A
"""
SEED004_BYO = """\
From|To loadBalancer managedNATGateway userAssignedNATGateway userDefinedRouting none block
loadBalancer N/A Not Supported Supported Supported Supported Not Supported
managedNATGateway Not Supported N/A Not Supported Not Supported Not Supported Not Supported
userAssignedNATGateway Supported Not Supported N/A Supported Supported Not Supported
userDefinedRouting Supported Not Supported Supported N/A Supported Not Supported
none Supported Not Supported Supported Supported N/A Not Supported
"""


def parse_table(text: str) -> tuple[list[str], dict[str, list[str]]]:
    """Seed-004 style rows: a type name followed by cells (``Not Supported`` is one cell)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    header = lines[0].split()
    assert header[0] == "From|To"
    columns = header[1:]
    rows: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, rest = line.split(" ", 1)
        cells = re.findall(r"Not Supported|Supported|N/A", rest)
        assert len(cells) == len(columns), line
        rows[name] = cells
    return columns, rows


def seed_section(text: str, title: str) -> str:
    start = text.index(title)
    body = text[start:].split("\n\n")
    # the title, an optional paragraph, then the table block starting with "From|To"
    return next(block for block in body if block.lstrip().startswith("From|To"))


@pytest.mark.parametrize(("vnet", "hand"), [("managed", SEED004_MANAGED), ("byo", SEED004_BYO)])
def test_seed004_transcription_matches_hand_copy(vnet, hand):
    table = PACK.tables[("seed004", vnet)]
    columns, rows = parse_table(hand)
    assert list(table.columns) == columns
    assert {k: list(v) for k, v in table.rows.items()} == rows


@pytest.mark.parametrize(("vnet", "title"), [("managed", "Supported Migration Paths for Managed VNet"),
                                             ("byo", "Supported Migration Paths for BYO VNet")])
def test_seed004_transcription_matches_the_seed_file(vnet, title):
    files = sorted((SHARED / "seeds").glob("004_*.txt")) if SHARED.is_dir() else []
    if not files:
        pytest.skip("../shared/seeds/004_*.txt is not available")
    columns, rows = parse_table(seed_section(files[0].read_text(encoding="utf-8"), title))
    table = PACK.tables[("seed004", vnet)]
    assert list(table.columns) == columns
    assert {k: list(v) for k, v in table.rows.items()} == rows


def test_current_tables_from_domain_facts():
    """The current tables (aks-egress-facts.md b.3, commit a70d5d925) as the pack holds them."""
    managed = PACK.tables[("current", "managed")]
    assert managed.columns == ("loadBalancer", "managedNATGatewayV2", "managedNATGateway", "none", "block")
    assert managed.cell("managedNATGateway", "loadBalancer") == "Not Supported"
    assert managed.cell("managedNATGatewayV2", "none") == "Not Supported"
    assert managed.cell("none", "managedNATGatewayV2") == "Supported"
    byo = PACK.tables[("current", "byo")]
    assert byo.columns == ("loadBalancer", "userAssignedNATGateway", "userDefinedRouting", "none", "block")
    assert all(byo.cell(row, "block") == "Not Supported" for row in byo.rows)
    assert all(c in CELL_WORDS for t in PACK.tables.values() for row in t.rows.values() for c in row)


def _table_cells():
    for (source, vnet), table in sorted(PACK.tables.items()):
        for frm, row in table.rows.items():
            for to, word in zip(table.columns, row, strict=True):
                yield source, vnet, frm, to, word


def test_every_table_entry_has_a_cell_that_cites_it():
    for source, vnet, frm, to, word in _table_cells():
        cell = PACK.lookup(vnet, frm, to)
        if word == "N/A":
            assert frm == to and cell is None
            continue
        assert cell is not None, (source, vnet, frm, to)
        cited = {e.source.key: e.says for e in cell.evidence}
        assert cited.get(source) == word, (source, vnet, frm, to, cited)


def test_cells_cite_tables_faithfully_and_verdicts_follow_the_evidence():
    for (vnet, _f, _t), cell in PACK.cells.items():
        for e in cell.evidence:
            table = PACK.tables.get((e.source.key, vnet))
            if table is not None:
                assert table.cell(cell.from_type, cell.to_type) == e.says, (vnet, cell.from_type, cell.to_type)
        words = {e.says for e in cell.evidence}
        if len(words) == 1:
            expected = "supported" if words == {"Supported"} else "not-supported"
            assert cell.verdict == expected and cell.decided_by is None
        elif cell.decided_by is not None:
            decider = next(e for e in cell.evidence if e.source.key == cell.decided_by)
            assert cell.verdict == ("supported" if decider.supported else "not-supported")
            assert cell.note, "a settled disagreement explains itself"
        else:
            assert cell.verdict == "conflict" and cell.note


def test_known_conflicts_and_decisions():
    assert PACK.lookup("managed", "managedNATGateway", "loadBalancer").verdict == "conflict"
    assert PACK.lookup("managed", "managedNATGatewayV2", "none").verdict == "conflict"
    assert PACK.lookup("managed", "managedNATGatewayV2", "block").verdict == "conflict"
    for frm in ("loadBalancer", "managedNATGateway", "none", "block"):
        for to in ("userDefinedRouting", "userAssignedNATGateway"):
            assert PACK.lookup("managed", frm, to).verdict == "not-supported", (frm, to)
    conflicts = sorted((k, c.from_type, c.to_type) for (k, _f, _t), c in PACK.cells.items() if c.verdict == "conflict")
    assert conflicts == [("managed", "managedNATGateway", "loadBalancer"), ("managed", "managedNATGatewayV2", "block"),
                         ("managed", "managedNATGatewayV2", "none")]


# --------------------------------------------------------------------------- the rule, cell by cell


def _migrate(vnet: str, frm: str, to: str) -> list:
    loc = Location("deploy.sh", 1, 1)
    cluster = Ref("cluster", "aks", "rg", display="aks")
    pool = Ref("node_pool", "nodepool1", "rg", cluster, display="nodepool1")
    pool_changes = {}
    if vnet == "byo":
        subnet = Ref("subnet", "aks", "rg", Ref("vnet", "vnet", "rg", display="vnet"), display="aks")
        pool_changes = {"vnet_subnet": subnet, "vnet_subnet_value": Value.literal("/subscriptions/0/.../aks", loc)}
    ops = [
        Operation("create", cluster, loc, {"outbound_type": Value.literal(frm, loc)}, command="az aks create"),
        Operation("create", pool, loc, pool_changes, command="az aks create", seq=1),
        Operation("update", cluster, Location("deploy.sh", 2, 1),
                  {"outbound_type": Value.literal(to, Location("deploy.sh", 2, 40))}, command="az aks update", seq=2),
    ]
    inv = Inventory().replay(ops)
    return list(OutboundTypeMigration().check(inv))


@pytest.mark.parametrize("key", sorted(PACK.cells), ids=lambda k: f"{k[0]}:{k[1]}->{k[2]}")
def test_rule_follows_every_cell(key):
    cell = PACK.cells[key]
    findings = _migrate(cell.vnet, cell.from_type, cell.to_type)
    if cell.verdict == "supported":
        assert findings == []
        return
    assert len(findings) == 1 and findings[0].rule_id == "EGL405"
    f = findings[0]
    assert f.location.line == 2 and f.location.column == 40
    if cell.verdict == "conflict":
        assert f.severity == Severity.WARNING
        assert "sources conflict" in f.message
        for e in cell.evidence:
            assert e.source.key in f.message
    else:
        assert f.severity == Severity.ERROR and "not supported" in f.message


@pytest.mark.parametrize("entry", list(_table_cells()), ids=lambda e: f"{e[0]}:{e[1]}:{e[2]}->{e[3]}")
def test_rule_honours_both_published_tables_entry_by_entry(entry):
    """Supported never errors; Not Supported errors, or warns when another source disputes it."""
    _source, vnet, frm, to, word = entry
    findings = _migrate(vnet, frm, to)
    if word == "N/A":
        assert findings == []
        return
    disputed = PACK.lookup(vnet, frm, to).verdict == "conflict"
    if word == "Supported":
        assert not [f for f in findings if f.severity == Severity.ERROR]
        assert bool(findings) is disputed or PACK.lookup(vnet, frm, to).decided_by is not None
    else:
        assert len(findings) == 1
        assert findings[0].severity == (Severity.WARNING if disputed else Severity.ERROR)


def test_managed_vnet_to_user_types_is_always_an_error():
    for frm in ("loadBalancer", "managedNATGateway", "managedNATGatewayV2", "none", "block"):
        for to in ("userDefinedRouting", "userAssignedNATGateway"):
            findings = _migrate("managed", frm, to)
            assert [f.severity for f in findings] == [Severity.ERROR], (frm, to)
            assert "recreated in its own subnet" in findings[0].message


def test_unknown_current_type_is_info():
    loc = Location("deploy.sh", 1, 1)
    cluster = Ref("cluster", "aks", "rg", display="aks")
    inv = Inventory().replay([Operation("update", cluster, loc, {"outbound_type": Value.literal("none", loc)},
                                        command="az aks update")])
    assert [f.rule_id for f in OutboundTypeMigration().check(inv)] == ["EGL004"]


def test_refused_migration_leaves_the_type_unchanged():
    loc = Location("deploy.sh", 1, 1)
    cluster = Ref("cluster", "aks", "rg", display="aks")
    pool = Ref("node_pool", "nodepool1", "rg", cluster, display="nodepool1")
    ops = [Operation("create", cluster, loc, {}, command="az aks create"),
           Operation("create", pool, loc, {}, command="az aks create", seq=1)]
    for i, to in enumerate(("userDefinedRouting", "managedNATGateway"), start=2):
        where = Location("deploy.sh", i, 1)
        ops.append(Operation("update", cluster, where, {"outbound_type": Value.literal(to, where)},
                             command="az aks update", seq=i))
    findings = list(OutboundTypeMigration().check(Inventory().replay(ops)))
    # loadBalancer -> UDR refused; the next update starts again from loadBalancer (supported)
    assert [(f.location.line, f.severity) for f in findings] == [(2, Severity.ERROR)]


def test_template_redeploy_with_a_changed_outbound_type():
    cluster = Ref("cluster", "aks", "rg", display="aks")
    pool = Ref("node_pool", "nodepool1", "rg", cluster, display="nodepool1")
    export = Location("export.json", 5, 1)
    template = Location("main.json", 9, 7)
    ops = [
        Operation("create", cluster, export, {"outbound_type": Value.literal("managedNATGateway", export)},
                  command="Microsoft.ContainerService/managedClusters"),
        Operation("create", pool, export, {}, command="Microsoft.ContainerService/managedClusters", seq=1),
        Operation("create", cluster, template, {"outbound_type": Value.literal("userDefinedRouting", template)},
                  command="Microsoft.ContainerService/managedClusters", seq=2),
    ]
    findings = list(OutboundTypeMigration().check(Inventory().replay(ops)))
    assert [(f.location.file, f.severity) for f in findings] == [("main.json", Severity.ERROR)]
