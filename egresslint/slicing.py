"""The files a file-scoped scan (pre-commit: ``egresslint scan FILE``) must analyse: a sound slice.

The answer of a scan with files given is the whole project's analysis filtered to those files.
This module finds a subset of the project that gives the same answer: every file whose content
can reach a finding located in a given file, through any join the inventory or a rule makes.
When anything is not understood it answers None: analyse the whole project.

Each file is described by a :class:`Summary`, made from its frontend result when it is parsed and
kept in the cache: one project-level index, plus an entry of its own (``KEY.slice``) for each
file changed since the index was written (so a scan never unpickles 5,000 parse results to
decide what to load). Files are joined, symmetrically, when they share a *token*;
some files also *need* every file of a resource kind (a directed edge: the finding of one
depends on all of them, not the other way round). The slice of a file is the closure.

Joins (from the audit of every ``.all(`` of ``checks/*.py`` and ``inventory.py``, which
docs/slicing.md lists row by row; a new cross-resource comparison in a rule needs a join here and
a case in tests/test_slicing.py):

* **Identity.** ``Inventory.get`` matches a ref exactly, or by its loose key (kind and name
  chain) when a resource group is unknown on one side, and a loose key that two resources share
  is ambiguous (None). So every ref anywhere in a file (an operation's ref and its parents,
  every Ref and every Symbol's ref in the changes, nested in lists, dicts and dataclasses) gives
  the token of its loose key with its chain of groups; a chain with an unknown group matches any
  group, so it joins every file with that loose key. Children (``inv.children``), parents,
  deletes, updates, ``subnets_with_route_table``, ``firewall_subnet``, ``_dns_proxy_descendants``
  (base policies), node pools, outbound history and every per-resource loop of a rule reach
  other resources only through refs, hence through these tokens.
* **Placeholders.** A ref whose name is a placeholder (``Ref.placeholder``) may be any resource
  of its kind: its file and every file with that kind need each other.
* **Addresses.** ``hop_target`` compares a next hop with every firewall's private and public IP
  and every subnet's prefixes (first match in insertion order); a symbolic value resolves to
  what ``Inventory.view`` exposes (subnet and VNet prefixes, firewall private IPs, public IP
  addresses), which may then play any role; EGL203 intersects every firewall rule's sources with
  every cluster's node subnet prefixes and pod CIDRs. Literal addresses of those fields get a
  role: ``V`` (view: subnet and VNet prefixes, firewall private IP, public IP address), ``P``
  (probe: route next hop, firewall rule sources), ``C`` (cluster pod CIDRs), read as the rules
  read them (``net.AddressSet``: lists, ranges). Overlapping intervals join the pairs of
  :data:`ADDRESS_JOINS` (V-V, P-V, C-V, P-C), sort-based, not pairwise. A probe that covers
  every address joins nothing: EGL203 takes it as covering the cluster without looking.
* **Project-wide questions.** EGL104 is silent when any subnet's association cannot be resolved:
  a file with a route table needs every file with such an association. EGL408 weighs a public
  LoadBalancer Service against every cluster when its file has none: a file with a Service that
  is not certainly internal (or not a LoadBalancer) needs every file with a cluster.
* **Facts.** ``group_regions`` (``az group create -l``) feeds the region of a group's clusters
  (packs) and of bound deployments: a file that states a group's region joins every file that
  names the group. ``deployments`` re-read a template with a script's parameters, so its
  resources are not those of its own summary: any deployment of a template of the project means
  the whole project (None). ``X.parameters.json`` joins ``X.json``. Config facts, cloud,
  region and packs are the same for every file.
* **Markdown documents** are analysed on their own (``engine.projects``): a document needs only
  itself, and no other file needs it.
"""

from __future__ import annotations

import bisect
import posixpath
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import fields, is_dataclass
from typing import Any, NamedTuple

from egresslint import net
from egresslint.inventory import _group_chain
from egresslint.model import Operation, Ref, Symbol, Value

# (resource kind, field) -> address role; see the module docstring
ROLES: dict[tuple[str, str], str] = {
    ("subnet", "address_prefixes"): "V",
    ("vnet", "address_prefixes"): "V",
    ("public_ip", "ip_address"): "V",
    ("route", "next_hop_ip"): "P",
    ("network_rule", "source_addresses"): "P",
    ("application_rule", "source_addresses"): "P",
    ("nat_rule", "source_addresses"): "P",
    ("cluster", "pod_cidrs"): "C",
}
INTERNAL_LB_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-internal"
# pseudo-kinds: what a file has that some other file needs
UNRESOLVED_ASSOCIATION = "@unresolved-route-table-association"
INDEX_VERSION = 4


S = "\x1f"  # separates the parts of a token (not in any name the frontends make)


class Summary(NamedTuple):
    """What of one file's parse result can join it to another file (see the module docstring).
    A tuple of strings and ints: 5,000 of them are unpickled by every file-scoped scan.

    ``tokens``: ``L`` + loose key of every ref (and of its parents), ``E`` + loose key + groups
    of a ref whose groups are all known, ``W`` + loose key of one with an unknown group, ``G`` +
    a group whose region the file states, ``A`` + the stem of an ARM template or its parameters
    file. ``groups``: the groups its refs name. ``kinds``: resource kinds its refs name, plus
    ``@p:K`` for a placeholder of kind K and :data:`UNRESOLVED_ASSOCIATION`. ``needs``: kinds of
    which it needs every file."""

    tokens: tuple[str, ...]
    groups: tuple[str, ...]
    kinds: tuple[str, ...]
    needs: tuple[str, ...]
    addresses: tuple[tuple[str, int, int, int], ...]  # (role, version, first, last)
    deploys: tuple[tuple[str, str], ...]  # (template as written, script) of its deployments
    markdown: bool = False


def summarize(display: str, kind: str, result: Any) -> Summary:
    """The summary of one file's (unbound) frontend result."""
    tokens: set[str] = set()
    groups: set[str] = set()
    kinds: set[str] = set()
    needs: set[str] = set()
    addresses: set[tuple[str, int, int, int]] = set()
    facts = result.facts or {}
    for op in result.operations:
        _op(op, tokens, groups, kinds, needs, addresses)
    for group in (facts.get("group_regions") or {}):
        tokens.add(f"G{S}{str(group).lower()}")
    deploys = tuple((str(d.get("template")), str(d.get("script"))) for d in facts.get("deployments") or ())
    if kind == "json":
        # X.json reads X.parameters.json (engine._arm_parameters): one token for both names
        stem = display[:-len(".parameters.json")] if display.lower().endswith(".parameters.json") \
            else posixpath.splitext(display)[0]
        tokens.add(f"A{S}{stem.lower()}")
    return Summary(tuple(sorted(tokens)), tuple(sorted(groups)), tuple(sorted(kinds)), tuple(sorted(needs)),
                   tuple(sorted(addresses)), deploys, kind == "markdown")


def _op(op: Operation, tokens: set[str], groups: set[str], kinds: set[str], needs: set[str],
        addresses: set[tuple[str, int, int, int]]) -> None:
    _ref(op.ref, tokens, groups, kinds)
    owner = op.ref.kind
    for name, value in op.changes.items():
        for ref in _refs(value):
            _ref(ref, tokens, groups, kinds)
        role = ROLES.get((owner, name))
        if owner == "firewall" and name in ("ip_configs", "management_ip_config"):
            role = "V"  # the private IPs inside the ip configurations
        if role is not None:
            for v in _values(value):
                addresses.update((role, *interval) for interval in _intervals(v.known, role == "P"))
    if owner == "subnet" and ("route_table_value" in op.changes or "route_table" in op.changes) \
            and not isinstance(op.changes.get("route_table"), Ref):
        # may leave the subnet associated by a value the scan cannot resolve (EGL104)
        kinds.add(UNRESOLVED_ASSOCIATION)
    if owner == "route_table" or (op.ref.parent is not None and op.ref.parent.kind == "route_table"):
        needs.add(UNRESOLVED_ASSOCIATION)
    if owner == "k8s_service" and not _certainly_private(op):
        needs.add("cluster")


def _certainly_private(op: Operation) -> bool:
    """True when, after this operation, the Service is not a public LoadBalancer whatever came
    before (EGL408 skips it): it sets a known type other than LoadBalancer, or annotations
    saying internal "true" (the last operation on a Service decides both fields, so a Service
    all of whose operations say so is not public)."""
    kind = op.changes.get("service_type")
    if isinstance(kind, Value) and kind.known is not None and kind.known.lower() != "loadbalancer":
        return True
    notes = op.changes.get("annotations")
    internal = notes.get(INTERNAL_LB_ANNOTATION) if isinstance(notes, dict) else None
    return isinstance(internal, Value) and (internal.known or "").strip().lower() == "true"


def _ref(ref: Ref, tokens: set[str], groups: set[str], kinds: set[str]) -> None:
    r: Ref | None = ref
    while r is not None:
        chain = _group_chain(r)  # the groups Inventory.get compares, leaf first
        kind, names = r.loose_key()
        loose = f"{kind}{S}{'/'.join(names)}"
        tokens.add(f"L{S}{loose}")
        if None in chain:
            tokens.add(f"W{S}{loose}")
        else:
            tokens.add(f"E{S}{loose}{S}{'/'.join(chain)}")  # type: ignore[arg-type]
        groups.update(g for g in chain if g is not None)
        kinds.add(r.kind)
        if r.placeholder:
            kinds.add(f"@p:{r.kind}")
        r = r.parent


def _walk(value: Any, depth: int = 0) -> Iterator[Any]:
    """Every object inside ``value`` (lists, tuples, dicts, dataclasses), ``value`` included."""
    yield value
    if depth > 50:
        return
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _walk(item, depth + 1)
    elif isinstance(value, dict):
        for k, item in value.items():
            yield from _walk(k, depth + 1)
            yield from _walk(item, depth + 1)
    elif isinstance(value, Value):
        if value.symbol is not None:
            yield from _walk(value.symbol, depth + 1)
    elif isinstance(value, Symbol):
        yield value.ref
    elif is_dataclass(value) and not isinstance(value, type) and not isinstance(value, Ref):
        for f in fields(value):
            yield from _walk(getattr(value, f.name, None), depth + 1)


def _refs(value: Any) -> Iterator[Ref]:
    return (x for x in _walk(value) if isinstance(x, Ref))


def _values(value: Any) -> Iterator[Value]:
    return (x for x in _walk(value) if isinstance(x, Value))


def _intervals(text: str | None, probe: bool) -> list[tuple[int, int, int]]:
    """(version, first, last) of each network in ``text``, read as the rules read address items
    (``net.AddressSet``: several tokens, ranges ``a-b``). A probe that covers every address
    (``*``, ``0.0.0.0/0``, ``Internet``) joins nothing: EGL203 takes it as covering the cluster
    without looking, and a next hop is one address."""
    if text is None:
        return []
    found = net.AddressSet.parse((text,))
    if probe and found.covers_all():
        return []
    return [(n.version, int(n.network_address), int(n.broadcast_address)) for n in found.networks]


# --------------------------------------------------------------------------- the slice


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        p = self.parent
        while p[i] != i:
            p[i] = p[p[i]]
            i = p[i]
        return i

    def union(self, items: Iterable[int]) -> None:
        it = iter(items)
        first = next(it, None)
        if first is None:
            return
        find, parent = self.find, self.parent
        root = find(first)
        for i in it:
            other = find(i)
            if other != root:
                parent[other] = root


def select(summaries: list[tuple[str, Summary]], targets: Iterable[str]) -> set[str] | None:
    """Display paths of the files to analyse so that the findings located in ``targets`` are
    those of the whole project; None when the whole project must be analysed."""
    targets = set(targets)
    if any(s.deploys for _d, s in summaries):
        return None  # a deployed template is re-read with the script's values: not its summary
    out = {d for d, s in summaries if s.markdown and d in targets}
    shared = [i for i, (_d, s) in enumerate(summaries) if not s.markdown]
    if not any(summaries[i][0] in targets for i in shared):
        return out
    uf = _Union(len(summaries))
    # the files of each token that can join anything: counted first (in C), so the per-file work
    # is a set intersection with the few tokens that matter, not a dict insert per token
    counts = Counter(t for i in shared for t in summaries[i][1].tokens)
    wild = {"L" + t[1:] for t in counts if t[0] == "W"}
    interesting = {t for t, n in counts.items() if t[0] == "G" or (n > 1 and (t[0] in "EA" or t in wild))}
    by_token: dict[str, list[int]] = defaultdict(list)
    for i in shared:
        for token in interesting.intersection(summaries[i][1].tokens):
            by_token[token].append(i)
    _join_tokens(uf, by_token)
    _join_loose(uf, by_token)
    _join_groups(uf, by_token, [(i, summaries[i][1]) for i in shared])
    _join_addresses(uf, [(i, a) for i in shared for a in summaries[i][1].addresses])
    # components, and the directed needs between them
    find = uf.find
    has_kind: dict[str, set[int]] = defaultdict(set)
    members: dict[int, list[int]] = defaultdict(list)
    for i in shared:
        c = find(i)
        members[c].append(i)
        for k in summaries[i][1].kinds:
            has_kind[k].add(c)

    def needs(c: int) -> set[str]:
        wanted: set[str] = set()
        for i in members[c]:
            s = summaries[i][1]
            wanted.update(s.needs)
            wanted.update(f"@p:{k}" for k in s.kinds)  # a placeholder of its kind may be any of them
            wanted.update(k[3:] for k in s.kinds if k.startswith("@p:"))  # and the other way round
        return wanted

    start = {find(i) for i in shared if summaries[i][0] in targets}
    out.update(summaries[i][0] for c in _follow_needs(start, needs, has_kind) for i in members[c])
    return out


def _join_tokens(uf: _Union, by_token: dict[str, list[int]]) -> None:
    """Files sharing a token: the same ref with all groups known (``E``), a group's stated
    region (``G``), a template and its parameters file (``A``)."""
    for token, members in by_token.items():
        if token[0] in "EGA":
            uf.union(members)


def _join_loose(uf: _Union, by_token: dict[str, list[int]]) -> None:
    """A ref with an unknown group (``W``) may be any ref of its loose key, and makes a unique
    match ambiguous: every file with that loose key (``L``; ``by_token`` has only those)."""
    for token, members in by_token.items():
        if token[0] == "L":  # only the loose keys some ref with an unknown group has
            uf.union(members)


def _join_groups(uf: _Union, by_token: dict[str, list[int]], files: list[tuple[int, Summary]]) -> None:
    """A group's stated region (``group_regions``) reaches every file naming the group."""
    for i, summary in files:
        for group in summary.groups:
            stated = by_token.get(f"G{S}{group}")
            if stated and stated[0] != i:
                uf.union((i, stated[0]))


def _follow_needs(start: set[int], needs: Any, has_kind: dict[str, set[int]]) -> set[int]:
    """The components reachable from ``start``: a component needing a kind (``needs(c)``)
    needs every component having it."""
    todo = list(start)
    seen = set(start)
    seen_kinds: set[str] = set()
    while todo:
        c = todo.pop()
        for k in needs(c) - seen_kinds:
            seen_kinds.add(k)
            for other in has_kind.get(k, ()):
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
    return seen


# role pairs whose overlapping intervals join their files (the module docstring says why)
ADDRESS_JOINS: tuple[tuple[str, str], ...] = (("V", "V"), ("P", "V"), ("C", "V"), ("P", "C"))


def _join_addresses(uf: _Union, addresses: list[tuple[int, tuple[str, int, int, int]]]) -> None:
    """The :data:`ADDRESS_JOINS` by overlap, without comparing every pair: the intervals of the
    second role of a pair merged into disjoint sorted segments, each interval of the first role
    matched to the segments it overlaps by bisection (a segment joins all its files with it: more
    than the pairs that overlap when the segment is a chain, never less). V with V: each V
    segment is one group."""
    by_role: dict[str, list[tuple[int, int, int, int]]] = defaultdict(list)
    for i, (role, version, first, last) in addresses:
        by_role[role].append((version, first, last, i))
    segs: dict[str, tuple[list[tuple[int, int, int, list[int]]], list[tuple[int, int]]]] = {}
    for role, items in by_role.items():
        merged: list[tuple[int, int, int, list[int]]] = []  # (version, first, last, files)
        for version, first, last, i in sorted(items):
            if merged and merged[-1][0] == version and first <= merged[-1][2]:
                v, f, la, files = merged[-1]
                files.append(i)
                merged[-1] = (v, f, max(la, last), files)
            else:
                merged.append((version, first, last, [i]))
        segs[role] = (merged, [(m[0], m[1]) for m in merged])
    for probe, space in ADDRESS_JOINS:
        if space not in segs or probe not in by_role:
            continue
        merged, starts = segs[space]
        if probe == space:
            for *_range, files in merged:
                if len(files) > 1:
                    uf.union(files)
            continue
        # a segment whose files are joined already (V with V) needs one union, others all
        joined = (space, space) in ADDRESS_JOINS
        for version, first, last, i in by_role[probe]:
            # segments are disjoint and sorted: those overlapping [first, last] are contiguous
            k = bisect.bisect_right(starts, (version, last)) - 1
            while k >= 0 and merged[k][0] == version and merged[k][2] >= first:
                files = merged[k][3]
                uf.union((i, files[0]) if joined else (i, *files))
                k -= 1


# --------------------------------------------------------------------------- the engine's hook


def _index_key(root: Any) -> str:
    from egresslint.cache import Cache

    return Cache.key(str(root), "slice-index", None, "", INDEX_VERSION)


def _load_index(cache: Any, root: Any) -> dict[str, Summary]:
    index = cache.get(_index_key(root))
    return index if isinstance(index, dict) else {}


def remember(cache: Any, root: Any, candidates: list[Any], prepared: list[Any], results: list[Any],
             notes: list[Any]) -> None:
    """Store the summaries of a whole-project scan's files (their unbound results, in candidate
    order) that the index lacks. A file that had a notice is left out: its result is not cached
    and a slice would lose the notice."""
    index = _load_index(cache, root)
    noted = {n.file for n in notes if getattr(n, "file", None) is not None}
    by_display = {cand.display: result for cand, result in results}
    added = False
    for cand, (_loaded, key) in zip(candidates, prepared, strict=True):
        result = by_display.get(cand.display)
        if key is None or key in index or result is None or cand.display in noted:
            continue
        index[key] = summarize(cand.display, cand.kind, result)
        added = True
    if added:
        live = {key for _loaded, key in prepared if key is not None}
        cache.put(_index_key(root), {k: v for k, v in index.items() if k in live})


# a changed file's summary is made by parsing it; past this many, the whole project is analysed
MAX_MISSING = 64
# summaries kept as entries of their own (``KEY.slice``) until this many, then folded into the index
MAX_LOOSE = 32


def narrow(candidates: list[Any], prepared: list[Any], config: Any, cache: Any, root: Any,
           load: Any) -> tuple[list[Any], list[Any]] | None:
    """The candidates (and their :func:`engine.prepare` entries) of the slice for
    ``config.only_files``, or None for the whole project: no files given or no cache, a file
    that cannot be cached or had a notice, more than :data:`MAX_MISSING` summaries to make, a
    deployment. ``load`` is ``engine.load_all``, for the files whose summary is not stored yet
    (it may re-key entries of ``prepared``, which is updated in place as it does)."""
    if config.only_files is None or cache is None:
        return None
    index = _load_index(cache, root)
    missing: list[int] = []
    for i, (loaded, key) in enumerate(prepared):
        if key is None:
            return None  # not cacheable: unreadable or undecodable, a notice or EGL001 of its own
        if loaded is not None and (loaded.source is None or loaded.note is not None
                                   or loaded.decode_error is not None):
            return None
        if key not in index:
            missing.append(i)
    if len(missing) > MAX_MISSING:
        return None
    found: dict[str, Summary] = {}
    unparsed: list[int] = []
    for i in missing:  # a file changed since the index was written: its own small entry
        own = cache.get(prepared[i][1] + ".slice")
        if isinstance(own, Summary):
            found[prepared[i][1]] = own
        else:
            unparsed.append(i)
    if unparsed:
        notes: list[Any] = []
        sub = [prepared[i] for i in unparsed]
        _sources, results = load([candidates[i] for i in unparsed], config, cache, notes, None, sub)
        if notes or len(results) != len(unparsed):
            return None
        for j, (i, (cand, result)) in enumerate(zip(unparsed, results, strict=True)):
            prepared[i] = sub[j]  # load_all re-keys a file the stat index vouched for but the cache lost
            key = sub[j][1]
            if key is None:
                return None
            found[key] = summarize(cand.display, cand.kind, result)
            cache.put(key + ".slice", found[key])
    index.update(found)
    if len(found) > MAX_LOOSE:
        live = {key for _loaded, key in prepared}
        cache.put(_index_key(root), {k: v for k, v in index.items() if k in live})
    chosen = select([(cand.display, index[key]) for cand, (_loaded, key) in zip(candidates, prepared, strict=True)],
                    config.only_files)
    if chosen is None or len(chosen) == len(candidates):
        return None
    keep = [i for i, cand in enumerate(candidates) if cand.display in chosen]
    return [candidates[i] for i in keep], [prepared[i] for i in keep]
