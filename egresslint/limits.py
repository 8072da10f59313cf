"""Typed view of the data packs ``rules/azure-limits.yaml`` and ``rules/outbound-migrations.yaml``.

Both files are read once per process (:func:`azure_limits`, :func:`migrations`) and turned into
frozen objects, so rules never look into raw YAML and a malformed pack fails loudly, naming the
key, the first time it is used (and in the tests).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from egresslint.resources import load_yaml

LIMITS_FILE = "azure-limits.yaml"
MIGRATIONS_FILE = "outbound-migrations.yaml"

VnetKind = Literal["managed", "byo"]
Verdict = Literal["supported", "not-supported", "conflict"]
VERDICTS: tuple[str, ...] = ("supported", "not-supported", "conflict")
CELL_WORDS: tuple[str, ...] = ("Supported", "Not Supported", "N/A")


class PackError(ValueError):
    """A data pack does not have the expected shape; the message names file and key."""


# --------------------------------------------------------------------------- Azure limits


@dataclass(frozen=True, slots=True)
class Limit:
    """One limit: an inclusive range (``min``/``max``, optionally ``multiple_of``) and/or a
    single ``value``, with its sources (URLs) and notes."""

    key: str
    min: int | None = None
    max: int | None = None
    multiple_of: int = 1
    default: int | str | None = None
    value: int | str | None = None
    sources: tuple[str, ...] = ()
    note: str = ""
    conflict: str = ""

    def contains(self, number: int) -> bool:
        if self.min is not None and number < self.min:
            return False
        if self.max is not None and number > self.max:
            return False
        return number % self.multiple_of == 0

    def describe(self) -> str:
        """``4-120`` or ``0-64,000 and a multiple of 8``."""
        if self.min is not None and self.max is not None:
            text = f"{self.min:,}-{self.max:,}"
        elif self.max is not None:
            text = f"at most {self.max:,}"
        elif self.min is not None:
            text = f"at least {self.min:,}"
        else:
            text = str(self.value)
        if self.multiple_of != 1:
            text += f" and a multiple of {self.multiple_of}"
        return text

    @property
    def number(self) -> int:
        """``value`` as an int (for scalar limits such as ports per IP)."""
        if not isinstance(self.value, int) or isinstance(self.value, bool):
            raise PackError(f"{LIMITS_FILE}: {self.key}.value must be an integer")
        return self.value


@dataclass(frozen=True, slots=True)
class PortBand:
    """A row of the load balancer's default SNAT allocation table."""

    min_nodes: int
    max_nodes: int
    ports: int

    def describe(self) -> str:
        return f"{self.min_nodes:,}-{self.max_nodes:,} nodes: {self.ports:,} ports/node"


@dataclass(frozen=True)
class AzureLimits:
    nat_managed_outbound_ips: Limit
    nat_total_public_ips: Limit
    nat_idle_timeout: Limit
    nat_snat_ports_per_ip: Limit
    nat_prefix_lengths: Limit
    lb_managed_outbound_ips: Limit
    lb_allocated_outbound_ports: Limit
    lb_idle_timeout_api: Limit
    lb_idle_timeout_cli: Limit
    lb_snat_ports_per_ip: Limit
    default_port_allocation: tuple[PortBand, ...]
    default_port_allocation_sources: tuple[str, ...]
    fw_snat_ports_per_ip_per_instance: Limit
    fw_min_instances: Limit
    fw_recommended_public_ips: Limit
    ports_per_node_threshold: Limit
    default_node_count_cli: Limit
    default_node_count_api: Limit
    default_max_surge: Limit
    sources: Mapping[str, str]

    def port_band(self, nodes: int) -> PortBand | None:
        """The default-allocation row for a backend pool of ``nodes`` instances (None beyond
        the table: more instances than the default allocation can serve)."""
        for band in self.default_port_allocation:
            if band.min_nodes <= max(nodes, 1) <= band.max_nodes:
                return band
        return None

    def default_ports_per_node(self, nodes: int) -> int:
        band = self.port_band(nodes)
        return band.ports if band is not None else 0

    def allocation_table_text(self) -> str:
        """The default allocation table as one line of text."""
        return "; ".join(b.describe() for b in self.default_port_allocation)

    def allocation_table_markdown(self) -> str:
        """The default allocation table as a Markdown table (for rule documentation)."""
        rows = ["| backend pool size (nodes) | default SNAT ports per node |", "|---|---|"]
        rows += [f"| {b.min_nodes:,}-{b.max_nodes:,} | {b.ports:,} |" for b in self.default_port_allocation]
        return "\n".join(rows)


def _limit(data: Mapping[str, Any], key: str, sources: Mapping[str, str]) -> Limit:
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise PackError(f"{LIMITS_FILE}: missing key {key!r}")
        node = node[part]
    if not isinstance(node, Mapping):
        raise PackError(f"{LIMITS_FILE}: {key!r} must be a mapping")
    unknown = set(node) - {"min", "max", "multiple_of", "default", "value", "sources", "note", "conflict"}
    if unknown:
        raise PackError(f"{LIMITS_FILE}: {key!r} has unknown keys {sorted(unknown)}")
    for int_key in ("min", "max", "multiple_of"):
        v = node.get(int_key)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
            raise PackError(f"{LIMITS_FILE}: {key}.{int_key} must be an integer")
    if node.get("min") is None and node.get("max") is None and node.get("value") is None:
        raise PackError(f"{LIMITS_FILE}: {key!r} has neither a range nor a value")
    return Limit(
        key=key,
        min=node.get("min"),
        max=node.get("max"),
        multiple_of=node.get("multiple_of") or 1,
        default=node.get("default"),
        value=node.get("value"),
        sources=_urls(node.get("sources"), key, sources, LIMITS_FILE),
        note=str(node.get("note") or ""),
        conflict=str(node.get("conflict") or ""),
    )


def _urls(keys: Any, where: str, sources: Mapping[str, str], file: str) -> tuple[str, ...]:
    if not isinstance(keys, list) or not keys:
        raise PackError(f"{file}: {where} needs a non-empty list of sources")
    out = []
    for k in keys:
        if k not in sources:
            raise PackError(f"{file}: {where} cites unknown source {k!r}")
        out.append(sources[k])
    return tuple(out)


def parse_limits(data: Any) -> AzureLimits:
    if not isinstance(data, Mapping) or data.get("schema") != 1:
        raise PackError(f"{LIMITS_FILE}: expected a mapping with 'schema: 1'")
    sources = data.get("sources")
    if not isinstance(sources, Mapping) or not all(str(u).startswith("https://") for u in sources.values()):
        raise PackError(f"{LIMITS_FILE}: 'sources' must map keys to https URLs")
    sources = {str(k): str(v) for k, v in sources.items()}
    table_node = (data.get("load_balancer") or {}).get("default_port_allocation")
    if not isinstance(table_node, Mapping) or not isinstance(table_node.get("table"), list):
        raise PackError(f"{LIMITS_FILE}: load_balancer.default_port_allocation.table is missing")
    bands = []
    for row in table_node["table"]:
        try:
            bands.append(PortBand(int(row["min_nodes"]), int(row["max_nodes"]), int(row["ports"])))
        except (KeyError, TypeError, ValueError):
            raise PackError(f"{LIMITS_FILE}: bad default_port_allocation row {row!r}") from None
    for prev, band in itertools.pairwise(bands):
        if band.min_nodes != prev.max_nodes + 1:
            raise PackError(f"{LIMITS_FILE}: default_port_allocation rows must be contiguous ({prev} -> {band})")

    def lim(key: str) -> Limit:
        return _limit(data, key, sources)

    return AzureLimits(
        nat_managed_outbound_ips=lim("nat_gateway.managed_outbound_ips"),
        nat_total_public_ips=lim("nat_gateway.total_public_ips"),
        nat_idle_timeout=lim("nat_gateway.idle_timeout_minutes"),
        nat_snat_ports_per_ip=lim("nat_gateway.snat_ports_per_ip"),
        nat_prefix_lengths=lim("nat_gateway.prefix_lengths"),
        lb_managed_outbound_ips=lim("load_balancer.managed_outbound_ips"),
        lb_allocated_outbound_ports=lim("load_balancer.allocated_outbound_ports"),
        lb_idle_timeout_api=lim("load_balancer.idle_timeout_minutes_api"),
        lb_idle_timeout_cli=lim("load_balancer.idle_timeout_minutes_cli"),
        lb_snat_ports_per_ip=lim("load_balancer.snat_ports_per_ip"),
        default_port_allocation=tuple(bands),
        default_port_allocation_sources=_urls(table_node.get("sources"), "default_port_allocation", sources,
                                              LIMITS_FILE),
        fw_snat_ports_per_ip_per_instance=lim("firewall.snat_ports_per_ip_per_instance"),
        fw_min_instances=lim("firewall.min_instances"),
        fw_recommended_public_ips=lim("firewall.recommended_public_ips_for_aks"),
        ports_per_node_threshold=lim("cluster.default_ports_per_node_threshold"),
        default_node_count_cli=lim("cluster.default_node_count_cli"),
        default_node_count_api=lim("cluster.default_node_count_api"),
        default_max_surge=lim("cluster.default_max_surge"),
        sources=sources,
    )


@functools.cache
def azure_limits() -> AzureLimits:
    """The shipped Azure limits (read once)."""
    return parse_limits(load_yaml(LIMITS_FILE))


# --------------------------------------------------------------------------- migrations


@dataclass(frozen=True, slots=True)
class Source:
    key: str
    url: str
    version: str

    def describe(self) -> str:
        return f"{self.key} ({self.version})" if self.version else self.key


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one source says about one migration: ``Supported`` or ``Not Supported``."""

    source: Source
    says: str

    @property
    def supported(self) -> bool:
        return self.says == "Supported"


@dataclass(frozen=True, slots=True)
class Migration:
    """The verdict on ``from_type -> to_type`` for one VNet kind."""

    vnet: VnetKind
    from_type: str
    to_type: str
    verdict: Verdict
    evidence: tuple[Evidence, ...]
    decided_by: str | None = None
    note: str = ""

    def sides(self) -> tuple[list[Evidence], list[Evidence]]:
        """(sources saying Supported, sources saying Not Supported)."""
        yes = [e for e in self.evidence if e.supported]
        no = [e for e in self.evidence if not e.supported]
        return yes, no

    def describe_conflict(self) -> str:
        yes, no = self.sides()
        supported = ", ".join(e.source.key for e in yes) or "none"
        refused = ", ".join(e.source.key for e in no) or "none"
        return f"Supported per {supported}; Not Supported per {refused}"

    @property
    def urls(self) -> tuple[str, ...]:
        seen: list[str] = []
        for e in self.evidence:
            if e.source.url not in seen:
                seen.append(e.source.url)
        return tuple(seen)


@dataclass(frozen=True)
class MigrationTable:
    """A verbatim transcription of one published table (rows = from, columns = to)."""

    source: str
    vnet: VnetKind
    columns: tuple[str, ...]
    rows: Mapping[str, tuple[str, ...]]

    def cell(self, from_type: str, to_type: str) -> str | None:
        row = self.rows.get(from_type)
        if row is None or to_type not in self.columns:
            return None
        return row[self.columns.index(to_type)]


@dataclass(frozen=True)
class Migrations:
    sources: Mapping[str, Source]
    tables: Mapping[tuple[str, str], MigrationTable]  # (source key, vnet kind)
    cells: Mapping[tuple[str, str, str], Migration]  # (vnet kind, from lower, to lower)
    types: tuple[str, ...]  # canonical spellings of every outbound type mentioned

    def lookup(self, vnet: str, from_type: str, to_type: str) -> Migration | None:
        return self.cells.get((vnet, from_type.lower(), to_type.lower()))

    def canonical(self, outbound_type: str) -> str | None:
        low = outbound_type.lower()
        return next((t for t in self.types if t.lower() == low), None)


def parse_migrations(data: Any) -> Migrations:
    file = MIGRATIONS_FILE
    if not isinstance(data, Mapping) or data.get("schema") != 1:
        raise PackError(f"{file}: expected a mapping with 'schema: 1'")
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, Mapping):
        raise PackError(f"{file}: 'sources' must be a mapping")
    sources: dict[str, Source] = {}
    for key, node in raw_sources.items():
        if not isinstance(node, Mapping) or not str(node.get("url", "")).startswith("https://"):
            raise PackError(f"{file}: source {key!r} needs an https url")
        sources[str(key)] = Source(str(key), str(node["url"]), str(node.get("version") or ""))

    types: list[str] = []

    def note_type(t: str) -> None:
        if t not in types:
            types.append(t)

    tables: dict[tuple[str, str], MigrationTable] = {}
    for source_key, kinds in (data.get("tables") or {}).items():
        if source_key not in sources:
            raise PackError(f"{file}: table of unknown source {source_key!r}")
        for vnet, table in (kinds or {}).items():
            if vnet not in ("managed", "byo"):
                raise PackError(f"{file}: tables.{source_key}: unknown VNet kind {vnet!r}")
            columns = tuple(str(c) for c in table.get("columns") or ())
            rows: dict[str, tuple[str, ...]] = {}
            for frm, row in (table.get("rows") or {}).items():
                words = tuple(str(c) for c in row)
                if len(words) != len(columns) or any(c not in CELL_WORDS for c in words):
                    raise PackError(f"{file}: tables.{source_key}.{vnet}.{frm}: {len(columns)} cells of "
                                    f"{'/'.join(CELL_WORDS)} expected")
                rows[str(frm)] = words
                note_type(str(frm))
            for c in columns:
                note_type(c)
            tables[(source_key, vnet)] = MigrationTable(source_key, vnet, columns, rows)  # type: ignore[arg-type]

    cells: dict[tuple[str, str, str], Migration] = {}
    for vnet, entries in (data.get("cells") or {}).items():
        if vnet not in ("managed", "byo"):
            raise PackError(f"{file}: cells: unknown VNet kind {vnet!r}")
        for entry in entries or []:
            where = f"cells.{vnet} {entry.get('from')} -> {entry.get('to')}"
            frm, to, verdict = str(entry.get("from")), str(entry.get("to")), entry.get("verdict")
            if verdict not in VERDICTS:
                raise PackError(f"{file}: {where}: verdict must be one of {', '.join(VERDICTS)}")
            evidence = []
            for key, says in (entry.get("evidence") or {}).items():
                if key not in sources:
                    raise PackError(f"{file}: {where}: unknown source {key!r}")
                if says not in ("Supported", "Not Supported"):
                    raise PackError(f"{file}: {where}: {key} must say Supported or Not Supported")
                evidence.append(Evidence(sources[key], str(says)))
            if not evidence:
                raise PackError(f"{file}: {where}: no evidence")
            decided_by = entry.get("decided_by")
            if decided_by is not None and decided_by not in sources:
                raise PackError(f"{file}: {where}: decided_by names unknown source {decided_by!r}")
            key3 = (vnet, frm.lower(), to.lower())
            if key3 in cells:
                raise PackError(f"{file}: {where}: listed twice")
            note_type(frm)
            note_type(to)
            cells[key3] = Migration(vnet, frm, to, verdict, tuple(evidence), decided_by,  # type: ignore[arg-type]
                                    str(entry.get("note") or ""))
    return Migrations(sources, tables, cells, tuple(types))


@functools.cache
def migrations() -> Migrations:
    """The shipped migration tables (read once)."""
    return parse_migrations(load_yaml(MIGRATIONS_FILE))
