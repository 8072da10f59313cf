"""The one orchestrator: discover -> read -> frontends -> inventory -> rules -> filter -> Report.

This is the library API (``egresslint.scan``). It never raises for bad input: unreadable files
become notifications, broken files EGL001 findings, and an internal error in a frontend or a
rule becomes a notification naming it (set ``EGRESSLINT_STRICT=1`` to raise instead, as the
tests do).
"""

from __future__ import annotations

import contextlib
import fnmatch
import gc
import hashlib
import os
import pickle
import posixpath
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from egresslint import suppressions
from egresslint.config import Config
from egresslint.files import (
    DEFAULT_MAX_FILE_SIZE,
    Candidate,
    ReadResult,
    Sources,
    decode,
    discover,
    find_root,
    read,
    read_bytes,
    stamp,
)
from egresslint.findings import Finding, Severity
from egresslint.frontends import FrontendResult, SourceFile
from egresslint.inventory import Inventory
from egresslint.model import Location, release_shared
from egresslint.registry import Registry
from egresslint.registry import load as load_registry
from egresslint.report import Notification, Report

if TYPE_CHECKING:
    from egresslint.cache import Cache

# file kind -> frontend module; declarative kinds replay before scripts
FRONTENDS: dict[str, str] = {
    "script": "egresslint.frontends.azcli",
    "json": "egresslint.frontends.arm",
    "yaml": "egresslint.frontends.kubernetes",
    "markdown": "egresslint.frontends.markdown",
}
DECLARATIVE = ("json", "yaml")


def _strict() -> bool:
    return os.environ.get("EGRESSLINT_STRICT", "") not in ("", "0")


def scan(paths: Any = ".", config: Config | None = None, root: Path | None = None,
         progress: Callable[[int, int], None] | None = None) -> Report:
    _SCANS.append(True)
    try:
        return _scan(paths, config, root, progress)
    finally:
        _SCANS.pop()
        if not _SCANS and _FROZEN:
            # what the scan froze is handed back to the collector: in a long-lived process
            # (tests, an editor) cyclic garbage among it must stay collectable
            _FROZEN.clear()
            gc.unfreeze()


def _scan(paths: Any, config: Config | None, root: Path | None,
          progress: Callable[[int, int], None] | None) -> Report:
    started = time.perf_counter()
    config = config or Config()
    path_list = [Path(p) for p in ([paths] if isinstance(paths, str | os.PathLike) else paths)] or [Path(".")]
    root = (root or find_root(path_list)).resolve()
    notes: list[Notification] = []
    excludes = (*config.exclude, *config.extend_exclude)
    candidates = discover(path_list, root, notes, excludes, config.force_exclude)
    registry = load_registry()
    notes.extend(Notification("warning", message) for message in registry.errors)

    from egresslint.cache import Cache

    cache = Cache(root) if config.cache else None
    prepared = prepare(candidates, config, cache)
    project_key = _project_key(prepared, config, registry, root) if cache is not None else None
    analysis = cache.get(project_key) if cache is not None and project_key is not None else None
    read_notes = [loaded.note for loaded, _key in prepared if loaded is not None and loaded.note is not None]
    if isinstance(analysis, Analysis):
        # nothing the analysis reads changed since it was stored: skip parsing, inventory and rules
        sources = Sources(config.max_file_size)
        for cand, (loaded, key) in zip(candidates, prepared, strict=True):
            if loaded is not None and loaded.source is not None:
                sources[cand.display] = loaded.source.text
            elif key is not None:
                sources.defer(cand)
        notes.extend(read_notes)
    else:
        before = len(notes)
        from egresslint import slicing

        # files given (pre-commit): only the files that can reach their findings (slicing.py)
        narrowed = slicing.narrow(candidates, prepared, config, cache, root, load_all)
        scope, scope_prepared = narrowed if narrowed is not None else (candidates, prepared)
        sources, results = load_all(scope, config, cache, notes, progress, scope_prepared)
        if cache is not None and narrowed is None:
            slicing.remember(cache, root, candidates, prepared, results, notes)
        results = bind_deployments(results, sources, root, notes, cache)

        findings: list[Finding] = []
        with gc_paused():
            for group in projects(results):
                inventory = build_inventory(group, config)
                findings.extend(run_rules(inventory, registry, config, notes))
        analysis = Analysis([c.display for c, _ in results],
                            [*(s for _c, r in results for s in r.suppressions),
                             *suppressions.from_facts(e for _c, r in results for e in r.facts.get("suppressions", ()))],
                            findings)
        # stored only when replaying it is exact: the only notices were the re-read files' own,
        # and no file the stat index vouched for turned out to have changed (load_all re-keys
        # one whose parse result has left the cache)
        if cache is not None and project_key is not None and narrowed is None and notes[before:] == read_notes \
                and _project_key(prepared, config, registry, root) == project_key:
            cache.put(project_key, analysis)
        release_shared()  # the strings shared while pickling stay with their objects
    findings = analysis.findings
    if config.only_files is not None:
        # only the given files are reported on: their suppressions are the ones counted (a
        # suppression applies within its own file, so this changes no finding of these files)
        findings = [f for f in findings if f.location.file in config.only_files]
    findings, suppressed, stale = suppressions.apply(findings, analysis.suppressions, lambda rid, toks: _matches(rid, toks, registry))
    findings = filter_findings(findings + stale, registry, config)
    if config.baseline is not None:
        def source_line(file: str, line: int) -> str:
            lines = sources.get(file, "").split("\n")
            return lines[line - 1] if 0 < line <= len(lines) else ""

        findings, known = suppressions.without_baseline(findings, config.baseline, source_line)
        suppressed += known
    return Report(
        suppressed=suppressed,
        findings=findings,
        files=list(analysis.files),
        targets=None if config.only_files is None else [f for f in analysis.files if f in config.only_files],
        notifications=notes,
        root=str(root),
        sources=sources,
        elapsed=time.perf_counter() - started,
    )


# Below this many files to parse, worker processes cost more than they save.
PARALLEL_THRESHOLD = 48


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside. Unpickling parse results and building the inventory
    and findings of a large project allocate millions of objects that live to the end of the
    scan; every collection those allocations trigger walks all of them again (with it on, a
    5,000-file inventory took 3x as long). What runs inside makes little cyclic garbage (parsing,
    which does, stays outside); reference counting frees the rest.

    On the way out, what exists is frozen out of the collector (until :func:`scan` returns):
    objects made while it was paused are all in the youngest generation, and the first
    collections after it were walking every one of them again (1.4 s of CPU in a re-scan of a
    5,000-file project, 0.02 s frozen)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            _FROZEN.append(True)
            gc.enable()


_FROZEN: list[bool] = []  # set while objects frozen by gc_paused wait for scan() to unfreeze them
_SCANS: list[bool] = []  # one per scan() running


@dataclass
class Analysis:
    """What the rules made of a whole project, cached under :func:`_project_key` so that a
    re-scan of an unchanged project (CI re-runs, ``pre-commit run --all-files``) skips the
    inventory and the rules: findings before suppressions, baselines and filters (those
    depend on today's date and the command line), the scanned files, the files' suppressions."""

    files: list[str]
    suppressions: list[suppressions.Suppression]
    findings: list[Finding]


# A file modified this close to the moment its stat was recorded may have changed again within
# the file system's timestamp resolution: its stat is not trusted (git's "racily clean" rule).
_RACY_NS = 2_000_000_000

Prepared = tuple[ReadResult | None, str | None]


def prepare(candidates: list[Candidate], config: Config, cache: Cache | None) -> list[Prepared]:
    """Each candidate read and keyed for the cache, in order: ``(ReadResult, key)``; the key is
    None for a file that cannot be cached (unreadable, undecodable). ``(None, key)`` is a file
    not read at all because the stat index vouches that it is the content of ``key``: same
    size, times, inode (and those of its ARM parameters file) as when the key was computed.
    ``(None, None)`` without a cache (worker processes read their own files)."""
    if cache is None:
        return [(None, None)] * len(candidates)
    from egresslint.cache import Cache

    # the size limit decides what read() refuses (and which parameters files count): part of the key
    index_key = Cache.key(str(cache.folder), "stat-index", None, "", config.max_file_size)
    index = cache.get(index_key)
    if not isinstance(index, dict):
        index = {}
    fresh: dict[str, tuple[Any, ...]] = dict(index)  # a scan of one folder keeps the others' entries
    out: list[Prepared] = []
    for cand in candidates:
        sibling = _parameters_sibling(cand)
        own, params = stamp(cand.path), stamp(sibling) if sibling is not None else None
        seen = (cand.kind, cand.dialect, own, params)
        known = index.get(cand.display)  # (seen, key, when it was recorded)
        # trusted only when the file and its parameters file were last changed (ctime: any write
        # sets it) well before the record
        if known is not None and own is not None and known[0] == seen \
                and all(s.ctime_ns + _RACY_NS < known[2] for s in (own, params) if s is not None):
            out.append((None, known[1]))
            continue
        taken = time.time_ns()  # before reading: an edit after this has a later time
        loaded, key = _read_and_key(cand, config.max_file_size)
        if key is not None and own is not None:
            fresh[cand.display] = (seen, key, taken)
        else:
            fresh.pop(cand.display, None)
        out.append((loaded, key))
    if fresh != index:
        cache.put(index_key, fresh)
    return out


def _read_and_key(cand: Candidate, max_size: int) -> Prepared:
    from egresslint.cache import Cache

    loaded = read(cand, max_size)
    if loaded.source is None or loaded.decode_error is not None:
        return loaded, None
    return loaded, Cache.key(cand.display, cand.kind, cand.dialect, loaded.source.text,
                             _arm_parameters(cand, max_size))


def _project_key(prepared: list[Prepared], config: Config,
                 registry: Registry, root: Path) -> str | None:
    """Key of a whole-project :class:`Analysis`: every analysed file's parse key, in order, and
    everything else the analysis reads (the root, which absolute template paths in scripts are
    resolved against; facts, cloud, region, packs' content, the selected rules and the files of
    plugin rules; egresslint's own code is in every key). None when a file cannot be cached."""
    from egresslint.cache import Cache

    keys: list[str] = []
    for loaded, key in prepared:
        if key is not None:
            keys.append(key)
        elif loaded is not None and loaded.source is not None:
            return None
        # else not analysed: only its notice, which is re-made by reading it
    packs: list[tuple[str, str]] = []
    for path in config.packs:
        try:
            packs.append((path, hashlib.sha256(Path(path).read_bytes()).hexdigest()))
        except OSError as exc:
            packs.append((path, f"unreadable: {exc}"))
    rules: list[tuple[str, ...]] = []
    for rule_id in selected_rules(registry, config):
        rule = registry.rules[rule_id]
        module_file = getattr(sys.modules.get(rule.__module__), "__file__", None) or ""
        try:
            st = os.stat(module_file)
            stamp = f"{st.st_size}:{st.st_mtime_ns}"
        except OSError:
            stamp = ""
        rules.append((rule_id, rule.__module__, rule.__qualname__, module_file, stamp))
    return Cache.key(str(root), "project", None, "\n".join(keys),
                     (config.facts, config.cloud, config.region, packs, rules))


def _load_one(cand: Candidate, max_size: int) -> tuple[str | None, FrontendResult | None, list[Notification]]:
    """Read and parse one file (in a worker process or not): (text, result, notices)."""
    notes: list[Notification] = []
    loaded = read(cand, max_size)
    if loaded.note is not None:
        notes.append(loaded.note)
    if loaded.source is None:
        return None, None, notes
    params = _arm_parameters(cand, max_size)
    result = _run_frontend(loaded.source, notes, params)
    if cand.kind != "json":  # ARM suppressions are metadata, which the frontend reads
        result.suppressions = suppressions.from_text(cand.display, loaded.source.text)
    if loaded.decode_error is not None:
        line, column, message = loaded.decode_error
        result.findings.insert(0, Finding("EGL001", f"cannot decode file: {message}", Severity.ERROR,
                                          Location(cand.display, line, column)))
    return loaded.source.text, result, notes


def _load_many_pickled(cands: list[Candidate], max_size: int) -> bytes:
    """:func:`_load_one` for a batch of files in a worker process, pickled by the worker as one
    pickle, with a digest of each text in place of the text: the pool's thread then only moves
    bytes, this process's main thread builds the objects in its own malloc arena (built by the
    pool's thread, they took a third more memory at 5,000 files), and the names, kinds and paths
    the files repeat are in it once (:func:`egresslint.model.pickle_by_fields`)."""
    out = []
    for cand in cands:
        text, result, notes = _load_one(cand, max_size)
        # the text stays here: this process has it already (the cache read it) or reads it
        # only if a finding is shown from it; the digest tells whether it was the same text
        out.append((None if text is None else _digest(text), result, notes))
    return pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def load_all(candidates: list[Candidate], config: Config, cache: Cache | None, notes: list[Notification],
             progress: Callable[[int, int], None] | None = None,
             prepared: list[Prepared] | None = None,
             ) -> tuple[Sources, list[tuple[Candidate, FrontendResult]]]:
    """Every candidate read and parsed, in candidate order (output never depends on --jobs):
    from ``cache`` when the content is unchanged, else serially or in worker processes.
    ``prepared`` is :func:`prepare`'s answer when the caller has it already."""
    if prepared is None:
        prepared = prepare(candidates, config, cache)
    slots: list[tuple[str | None, FrontendResult | None, list[Notification]] | None] = [None] * len(candidates)
    keys: list[str | None] = [key for _loaded, key in prepared]
    todo: list[int] = []
    with gc_paused():
        for i, (loaded, key) in enumerate(prepared):
            if cache is not None and key is not None and (loaded is None or loaded.source is not None):
                hit = cache.get(key)
                if isinstance(hit, FrontendResult):
                    # the text of a file the stat index vouched for is read only if asked for
                    slots[i] = (loaded.source.text if loaded is not None and loaded.source is not None else None,
                                hit, [])
                    continue
                if loaded is None:  # vouched for, but its result has left the cache: keyed anew
                    prepared[i] = _read_and_key(candidates[i], config.max_file_size)
                    keys[i] = prepared[i][1]
            todo.append(i)
    parsed = set(todo)
    digested: set[int] = set()  # parsed by a worker: a digest of the text in the slot
    jobs = config.jobs or os.cpu_count() or 1
    done = len(candidates) - len(todo)
    if progress is not None:
        progress(done, len(candidates))
    if jobs > 1 and len(todo) >= PARALLEL_THRESHOLD:
        from concurrent.futures import ProcessPoolExecutor

        try:  # this process only unpickles the workers' results; the workers parse, with gc on
            with gc_paused(), ProcessPoolExecutor(max_workers=jobs, initializer=gc.enable) as pool:
                size = max(1, len(todo) // (jobs * 8))
                batches = [todo[k:k + size] for k in range(0, len(todo), size)]
                for batch, out in zip(batches, pool.map(_load_many_pickled,
                                                        [[candidates[i] for i in b] for b in batches],
                                                        [config.max_file_size] * len(batches)), strict=True):
                    for i, slot in zip(batch, pickle.loads(out), strict=True):  # noqa: S301 (our own workers)
                        slots[i] = slot
                        digested.add(i)
                    done += len(batch)
                    if progress is not None:
                        progress(done, len(candidates))
        except (OSError, RuntimeError):  # no processes here (sandbox): fall back to serial
            pass
    for i in todo:
        if slots[i] is None:
            slots[i] = _load_one(candidates[i], config.max_file_size)
            done += 1
            if progress is not None:
                progress(done, len(candidates))
    sources = Sources(config.max_file_size)
    results: list[tuple[Candidate, FrontendResult]] = []
    for i, cand in enumerate(candidates):
        text, result, file_notes = slots[i]  # type: ignore[misc]
        notes.extend(file_notes)
        if result is None:
            continue
        key = keys[i]
        loaded = prepared[i][0]
        if i not in parsed:  # from the cache
            if text is None:
                sources.defer(cand)
            else:
                sources[cand.display] = text
            results.append((cand, result))
            continue
        if text is None:
            continue
        keyed = loaded.source.text if loaded is not None and loaded.source is not None else None
        if keyed is not None and (_digest(keyed) if i in digested else keyed) == text:
            sources[cand.display] = keyed  # one copy of the text, not the worker's as well
        else:
            if loaded is not None:  # changed between keying and parsing: its result is not the key's
                key = None
            if i in digested:
                sources.defer(cand)
            else:
                sources[cand.display] = text
        results.append((cand, result))
        if cache is not None and key is not None and not file_notes:
            cache.put(key, result)
    return sources, results


def _arm_parameters(cand: Candidate, max_size: int = DEFAULT_MAX_FILE_SIZE) -> dict[str, Any] | None:
    """Values of ``X.parameters.json`` next to template ``X.json`` (the naming convention of
    Azure quickstarts and `az deployment group create --parameters @X.parameters.json`)."""
    sibling = _parameters_sibling(cand)
    if sibling is None or not sibling.is_file():
        return None
    from egresslint.frontends import arm

    try:  # bounded like every read: the sibling may be huge, a FIFO or a symlink to /dev/zero
        text, _error = decode(read_bytes(sibling, max_size))
    except OSError:
        return None
    return arm.read_parameters(text) if text is not None else None


def _parameters_sibling(cand: Candidate) -> Path | None:
    """``X.parameters.json`` for template ``X.json`` (whether it exists or not)."""
    if cand.kind != "json" or cand.path.name.lower().endswith(".parameters.json"):
        return None
    return cand.path.with_name(cand.path.name[: -len(cand.path.suffix)] + ".parameters.json")


def bind_deployments(results: list[tuple[Candidate, FrontendResult]], sources: dict[str, str], root: Path,
                     notes: list[Notification], cache: Cache | None = None) -> list[tuple[Candidate, FrontendResult]]:
    """Templates that a scanned script deploys (``az deployment group create -g RG
    --template-file F --parameters ...``, a ``deployments`` fact of the az frontend) re-read
    as that deployment: ``resourceGroup()`` is RG (its location too when a script creates RG
    with ``az group create -l``) and the parameters take the command's values, so the
    template's resources meet the script's and the exports' by group. A template
    deployed twice yields both deployments; one no script deploys keeps its own reading.
    The bound reading is cached under a key of its binding, never under the file's own."""
    by_display = {cand.display: (cand, result) for cand, result in results}
    bindings: dict[str, list[tuple[str | None, list[tuple[str | None, str]]]]] = {}
    regions: dict[str, str] = {}
    for _cand, result in results:
        regions.update(result.facts.get("group_regions", {}) or {})
        for dep in result.facts.get("deployments", ()) or ():
            target = _project_path(dep["template"], dep["script"], root, by_display)
            if target is None or by_display[target][0].kind != "json":
                continue
            words = [(_parameters_word(text, dep["script"], root, by_display, sources), shown)
                     for text, shown in dep["parameters"]]
            bindings.setdefault(target, []).append((dep["group"], words))
    if not bindings:
        return results
    from egresslint.frontends import arm

    out: list[tuple[Candidate, FrontendResult]] = []
    for cand, result in results:
        deployed = bindings.get(cand.display)
        if not deployed or result.skipped is not None or "arm_parameters" in result.facts:
            out.append((cand, result))
            continue
        merged = FrontendResult()
        text = sources[cand.display]
        for group, words in deployed:
            region = regions.get(group.lower()) if group else None
            key = cache.key(cand.display, cand.kind, cand.dialect, text, ("deployment", group, region, words)) \
                if cache is not None else None
            bound = cache.get(key) if cache is not None and key is not None else None
            if not isinstance(bound, FrontendResult):
                file_notes: list[Notification] = []
                bound = _run_frontend(SourceFile(cand.display, text, cand.kind, cand.dialect), file_notes,
                                      arm.deployment_parameters(words), resource_group=group,
                                      resource_group_location=region)
                notes.extend(file_notes)
                if cache is not None and key is not None and not file_notes:
                    cache.put(key, bound)
            merged.operations.extend(bound.operations)
            merged.findings.extend(bound.findings)
            merged.facts.update(bound.facts)
        out.append((cand, merged))
    return out


def _project_path(path: str, script: str, root: Path, by_display: dict[str, Any]) -> str | None:
    """Display path of the scanned file a script names: relative to the script's folder, else
    to the project root (az resolves it against the working directory, which the scan cannot
    know; these are the two a script is run from), or absolute."""
    path = path.replace("\\", "/")
    if posixpath.isabs(path) or re.match(r"^[A-Za-z]:/", path):
        try:
            path = Path(path).resolve().relative_to(root).as_posix()
        except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
            return None
        return path if path in by_display else None
    for base in (posixpath.dirname(script), ""):
        candidate = posixpath.normpath(posixpath.join(base, path))
        if candidate in by_display:
            return candidate
    return None


def _parameters_word(text: str | None, script: str, root: Path, by_display: dict[str, Any],
                     sources: dict[str, str]) -> str | None:
    """A ``--parameters`` word as az reads it: ``@F`` (or a bare path of an existing file) is
    the content of F; None when the word or its file is not known to the scan."""
    if text is None:
        return None
    name = text[1:] if text.startswith("@") else text
    found = _project_path(name, script, root, by_display) if name.lower().endswith((".json", ".jsonc")) else None
    if found is not None:
        return sources.get(found)
    return None if text.startswith("@") else text


def _run_frontend(source: SourceFile, notes: list[Notification],
                  parameters: dict[str, Any] | None = None, **context: Any) -> FrontendResult:
    module = FRONTENDS.get(source.kind)
    if module is None:
        return FrontendResult(skipped=f"no frontend for {source.kind} files")
    try:
        if parameters is not None:
            return import_module(module).load(source, parameters=parameters, **context)
        return import_module(module).load(source)
    except RecursionError:
        return FrontendResult(findings=[Finding(
            "EGL001", "nesting too deep to analyse", Severity.ERROR, Location(source.path, 1, 1))])
    except Exception as exc:
        if _strict():
            raise
        notes.append(Notification("error", f"internal error while reading this file ({type(exc).__name__}: "
                                  f"{exc}); please report it", source.path))
        return FrontendResult()


def projects(results: list[tuple[Candidate, FrontendResult]]) -> list[list[tuple[Candidate, FrontendResult]]]:
    """The groups analysed together: every script, template and manifest of the project in one
    graph; each Markdown document on its own, since documents are self-contained and reuse the
    same placeholder names (``$CLUSTER_NAME``, ``myAKSCluster``) for different things."""
    shared = [r for r in results if r[0].kind != "markdown"]
    documents = [[r] for r in results if r[0].kind == "markdown"]
    return ([shared] if shared else []) + documents


def build_inventory(results: Iterable[tuple[Candidate, FrontendResult]], config: Config) -> Inventory:
    ordered = sorted(results, key=lambda r: (r[0].kind not in DECLARATIVE, r[0].display))
    facts: dict[str, Any] = {"config": config.facts, "cloud": config.cloud, "region": config.region,
                             "packs": list(config.packs)}
    inventory = Inventory(facts)
    for _cand, result in ordered:
        inventory.diagnostics.extend(result.findings)
        for key, value in result.facts.items():
            existing = facts.get(key)
            if isinstance(existing, list) and isinstance(value, list):
                existing.extend(value)
            elif isinstance(existing, dict) and isinstance(value, dict):
                existing.update(value)
            else:
                facts[key] = value
        inventory.replay(result.operations)
    from egresslint import packs

    packs.attach(inventory)  # malformed user packs become EGL001 findings
    return inventory


def run_rules(inventory: Inventory, registry: Registry, config: Config,
              notes: list[Notification]) -> list[Finding]:
    selected = selected_rules(registry, config)
    findings: list[Finding] = []
    for rule_id in selected:
        rule = registry.rules[rule_id]()
        try:
            findings.extend(rule.check(inventory))
        except Exception as exc:
            if _strict():
                raise
            notes.append(Notification("error", f"internal error in rule {rule_id} ({type(exc).__name__}: "
                                      f"{exc}); its findings are missing, please report it"))
    return findings


def selected_rules(registry: Registry, config: Config) -> list[str]:
    """Rule IDs to run: ``select`` (all when empty) minus ``ignore``; EGL004 findings can come
    from any rule, so it is filtered later rather than not run."""
    chosen = set(registry.rules)
    if config.select:
        chosen = {rid for token in config.select for rid in registry.resolve(token)}
    return sorted(chosen)


def _matches(rule_id: str, tokens: Iterable[str], registry: Registry) -> bool:
    return any(rule_id in registry.resolve(t) for t in tokens)


def filter_findings(findings: list[Finding], registry: Registry, config: Config) -> list[Finding]:
    out: dict[tuple[Any, ...], Finding] = {}
    for f in findings:
        if config.select and not _matches(f.rule_id, config.select, registry):
            continue
        if config.ignore and _matches(f.rule_id, config.ignore, registry):
            continue
        if config.only_files is not None and f.location.file not in config.only_files:
            continue
        if any(fnmatch.fnmatch(f.location.file, glob) and _matches(f.rule_id, rules, registry)
               for glob, rules in config.per_file_ignores):
            continue
        key = (f.rule_id, f.location.file, f.location.line, f.location.column, f.message)
        out.setdefault(key, f)
    return sorted(out.values(), key=Finding.sort_key)
