"""The one orchestrator: discover -> read -> frontends -> inventory -> rules -> filter -> Report.

This is the library API (``egresslint.scan``). It never raises for bad input: unreadable files
become notifications, broken files EGL001 findings, and an internal error in a frontend or a
rule becomes a notification naming it (set ``EGRESSLINT_STRICT=1`` to raise instead, as the
tests do).
"""

from __future__ import annotations

import fnmatch
import os
import time
from collections.abc import Callable, Iterable
from importlib import import_module
from pathlib import Path
from typing import Any

from egresslint import suppressions
from egresslint.config import Config
from egresslint.files import Candidate, discover, find_root, read
from egresslint.findings import Finding, Severity
from egresslint.frontends import FrontendResult, SourceFile
from egresslint.inventory import Inventory
from egresslint.model import Location
from egresslint.registry import Registry
from egresslint.registry import load as load_registry
from egresslint.report import Notification, Report

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
    started = time.perf_counter()
    config = config or Config()
    path_list = [Path(p) for p in ([paths] if isinstance(paths, str | os.PathLike) else paths)] or [Path(".")]
    root = (root or find_root(path_list)).resolve()
    notes: list[Notification] = []
    excludes = (*config.exclude, *config.extend_exclude)
    candidates = discover(path_list, root, notes, excludes)
    registry = load_registry()
    notes.extend(Notification("warning", message) for message in registry.errors)

    sources, results = load_all(candidates, config, root, notes, progress)

    findings: list[Finding] = []
    for group in projects(results):
        inventory = build_inventory(group, config)
        findings.extend(run_rules(inventory, registry, config, notes))
    inline = suppressions.collect(sources, [e for _c, r in results for e in r.facts.get("suppressions", ())])
    findings, suppressed, stale = suppressions.apply(findings, inline, lambda rid, toks: _matches(rid, toks, registry))
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
        files=[c.display for c, _ in results],
        notifications=notes,
        root=str(root),
        sources=sources,
        elapsed=time.perf_counter() - started,
    )


# Below this many files to parse, worker processes cost more than they save.
PARALLEL_THRESHOLD = 48


def _load_one(cand: Candidate, max_size: int) -> tuple[str | None, FrontendResult | None, list[Notification], str]:
    """Read and parse one file (in a worker process or not): (text, result, notices, key)."""
    notes: list[Notification] = []
    loaded = read(cand, max_size)
    if loaded.note is not None:
        notes.append(loaded.note)
    if loaded.source is None:
        return None, None, notes, ""
    params = _arm_parameters(cand)
    result = _run_frontend(loaded.source, notes, params)
    if loaded.decode_error is not None:
        line, column, message = loaded.decode_error
        result.findings.insert(0, Finding("EGL001", f"cannot decode file: {message}", Severity.ERROR,
                                          Location(cand.display, line, column)))
    return loaded.source.text, result, notes, ""


def load_all(candidates: list[Candidate], config: Config, root: Path, notes: list[Notification],
             progress: Callable[[int, int], None] | None = None,
             ) -> tuple[dict[str, str], list[tuple[Candidate, FrontendResult]]]:
    """Every candidate read and parsed, in candidate order (output never depends on --jobs):
    from the cache when the content is unchanged, else serially or in worker processes."""
    from egresslint.cache import Cache

    cache = Cache(root) if config.cache else None
    slots: list[tuple[str | None, FrontendResult | None, list[Notification]] | None] = [None] * len(candidates)
    keys: list[str | None] = [None] * len(candidates)
    todo: list[int] = []
    for i, cand in enumerate(candidates):
        if cache is not None:
            loaded = read(cand, config.max_file_size)
            if loaded.source is not None and loaded.decode_error is None:
                key = cache.key(cand.display, cand.kind, cand.dialect, loaded.source.text, _arm_parameters(cand))
                keys[i] = key
                hit = cache.get(key)
                if isinstance(hit, FrontendResult):
                    slots[i] = (loaded.source.text, hit, [])
                    continue
        todo.append(i)
    jobs = config.jobs or os.cpu_count() or 1
    done = len(candidates) - len(todo)
    if progress is not None:
        progress(done, len(candidates))
    if jobs > 1 and len(todo) >= PARALLEL_THRESHOLD:
        from concurrent.futures import ProcessPoolExecutor

        try:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                chunk = max(1, len(todo) // (jobs * 8))
                for i, out in zip(todo, pool.map(_load_one, [candidates[i] for i in todo],
                                                 [config.max_file_size] * len(todo), chunksize=chunk), strict=True):
                    slots[i] = out[:3]
                    done += 1
                    if progress is not None:
                        progress(done, len(candidates))
        except (OSError, RuntimeError):  # no processes here (sandbox): fall back to serial
            pass
    for i in todo:
        if slots[i] is None:
            slots[i] = _load_one(candidates[i], config.max_file_size)[:3]
            done += 1
            if progress is not None:
                progress(done, len(candidates))
    sources: dict[str, str] = {}
    results: list[tuple[Candidate, FrontendResult]] = []
    for i, cand in enumerate(candidates):
        text, result, file_notes = slots[i]  # type: ignore[misc]
        notes.extend(file_notes)
        if text is None or result is None:
            continue
        sources[cand.display] = text
        results.append((cand, result))
        key = keys[i]
        if cache is not None and key is not None and i in todo and not file_notes:
            cache.put(key, result)
    return sources, results


def _arm_parameters(cand: Candidate) -> dict[str, Any] | None:
    """Values of ``X.parameters.json`` next to template ``X.json`` (the naming convention of
    Azure quickstarts and `az deployment group create --parameters @X.parameters.json`)."""
    name = cand.path.name.lower()
    if cand.kind != "json" or name.endswith(".parameters.json"):
        return None
    sibling = cand.path.with_name(cand.path.name[: -len(cand.path.suffix)] + ".parameters.json")
    if not sibling.is_file():
        return None
    from egresslint.frontends import arm

    try:
        return arm.read_parameters(sibling.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError):
        return None


def _run_frontend(source: SourceFile, notes: list[Notification],
                  parameters: dict[str, Any] | None = None) -> FrontendResult:
    module = FRONTENDS.get(source.kind)
    if module is None:
        return FrontendResult(skipped=f"no frontend for {source.kind} files")
    try:
        if parameters is not None:
            return import_module(module).load(source, parameters=parameters)
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
