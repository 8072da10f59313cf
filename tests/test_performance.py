"""The speed-ups of issue 8 change no answer: the whole-project cache replays exactly what a
fresh analysis gives and is missed whenever anything the analysis reads changes; the bucketed
loose lookup agrees with the pairwise definition; pickled model objects round-trip."""

from __future__ import annotations

import gc
import itertools
import os
import pickle
import random
from pathlib import Path

import pytest

from egresslint import cache as cache_module
from egresslint import engine
from egresslint.config import Config
from egresslint.findings import Finding, Related, Severity
from egresslint.inventory import BUCKET_FROM, Inventory, _group_chain, _unique_compatible
from egresslint.model import Location, Ref, Symbol, Value, release_shared
from egresslint.registry import load
from egresslint.reporters import render


@pytest.fixture
def project(generated_project: Path) -> Path:
    return generated_project


def sarif(root: Path, **overrides) -> str:
    report = engine.scan([root], Config(jobs=1, **overrides), root=root)
    return render("sarif", report, load().rules)


def no_analysis(monkeypatch) -> None:
    def fail(*_args, **_kwargs):
        raise AssertionError("the project was analysed again")

    monkeypatch.setattr(engine, "load_all", fail)
    monkeypatch.setattr(engine, "build_inventory", fail)


def test_unchanged_project_is_replayed_byte_identical(project, monkeypatch):
    fresh = sarif(project)
    assert sarif(project, cache=True) == fresh  # cold: stores the analysis
    no_analysis(monkeypatch)
    replayed = sarif(project, cache=True)
    assert replayed == fresh
    assert "skipped: binary file" in replayed


def test_a_changed_file_is_analysed_again(project, monkeypatch):
    sarif(project, cache=True)
    script = next(project.rglob("deploy*.sh"))
    # the route's next hop no longer exists: a new finding in this file
    script.write_text(script.read_text(encoding="utf-8").replace(
        "--next-hop-ip-address $FW_PRIVATE_IP", "--next-hop-ip-address 10.250.250.250"), encoding="utf-8")
    fresh = sarif(project)
    assert sarif(project, cache=True) == fresh
    assert script.relative_to(project).as_posix() in fresh


def test_pack_facts_and_rule_selection_are_part_of_the_key(project, tmp_path):
    pack = tmp_path / "pack.yaml"
    pack.write_text("require:\n  - fqdn: example.com\n    protocol: https\n", encoding="utf-8")
    config = Config(cache=True, packs=(str(pack),))
    notes: list = []
    candidates = engine.discover([project], project, notes, ())
    prepared = engine.prepare(candidates, config, cache_module.Cache(project))
    registry = load()
    key = engine._project_key(prepared, config, registry, project)
    assert key is not None and key == engine._project_key(prepared, config, registry, project)
    pack.write_text("require:\n  - fqdn: example.org\n    protocol: https\n", encoding="utf-8")
    assert engine._project_key(prepared, config, registry, project) != key
    others = {engine._project_key(prepared, config.with_overrides(**change), registry, project)
              for change in ({"facts": {"legacy": True}}, {"cloud": "AzureChinaCloud"}, {"region": "westeurope"},
                             {"select": ("EGL1",)})}
    assert key not in others and len(others) == 4


def test_cache_keys_follow_the_code(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    package.mkdir()
    module = package / "cache.py"
    module.write_text("x = 1\n", encoding="utf-8")
    monkeypatch.setattr(cache_module, "__file__", str(module))
    fingerprint = cache_module.code_fingerprint.__wrapped__
    before = fingerprint()
    assert fingerprint() == before
    (package / "rules.yaml").write_text("a: 1\n", encoding="utf-8")
    added = fingerprint()
    assert added != before
    stat = module.stat()
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert fingerprint() != added


def _pairwise(a: Ref, b: Ref) -> bool:
    """The definition: one resource unless both state a group at some level and they differ."""
    x, y = a, b
    while x is not None and y is not None:
        if x.group is not None and y.group is not None and x.group != y.group:
            return False
        x, y = x.parent, y.parent
    return True


def test_bucketed_loose_lookup_agrees_with_the_pairwise_definition():
    rng = random.Random(8)
    groups = (None, "rg1", "rg2", "rg3")
    for _ in range(300):
        depth = rng.choice((1, 2, 3))

        def ref(depth=depth) -> Ref:
            parent = None
            for level in range(depth):
                parent = Ref("vnet" if level == 0 else "subnet", f"n{level}", rng.choice(groups), parent)
            return parent

        stored = list(dict.fromkeys(ref() for _ in range(rng.randrange(0, 6))))
        buckets: dict = {}
        for r in stored:
            buckets.setdefault(_group_chain(r), []).append(r)
        for query in itertools.islice((ref() for _ in itertools.count()), 10):
            matches = [r for r in stored if _pairwise(query, r)]
            assert _unique_compatible(buckets, _group_chain(query)) == (matches[0] if len(matches) == 1 else None)


def test_inventory_lookup_is_the_same_before_and_after_bucketing():
    """Past BUCKET_FROM same-named refs the inventory switches to buckets: every lookup answers
    what the pairwise definition says, on both sides of the switch and after deletes."""
    rng = random.Random(4)
    inv = Inventory()
    stored: list[Ref] = []
    loc = Location("a.sh", 1)
    queries = [Ref("route_table", "aks-rt", g) for g in (None, "rg0", "rg1", "rg7", "rg99")]
    queries += [Ref("route", "default", g, Ref("route_table", "aks-rt", h)) for g in (None, "rg1") for h in (None, "rg1")]
    for n in range(3 * BUCKET_FROM):
        group = None if n % 11 == 0 else f"rg{rng.randrange(40)}"
        table = inv._new(Ref("route_table", "aks-rt", group), loc, declared=True).ref
        route = inv._new(Ref("route", "default", rng.choice((None, group)), table), loc, declared=True).ref
        stored.extend((table, route))
        if n % 7 == 3:
            inv._delete(route)
            stored.remove(route)
        for query in queries:
            matches = [r for r in stored if r.loose_key() == query.loose_key() and _pairwise(query, r)]
            got = inv.get(query)
            if query in stored:
                assert got is not None and got.ref == query
            else:
                assert (got.ref if got is not None else None) == (matches[0] if len(matches) == 1 else None)
    assert inv._ix.loose_buckets  # the switch happened


def test_model_objects_round_trip_through_pickle():
    loc = Location("a.json", 3, 5, 3, 9, ("resources", 0, "name"))
    ref = Ref("subnet", "aks", "rg", Ref("vnet", "hub", "rg", display="Hub"), "AKS")
    value = Value("$IP", None, Symbol(ref, "ipAddress", "/32"), loc, "unset")
    finding = Finding("EGL101", "m", Severity.ERROR, loc, (Related(loc, "there"),), "route:x", "fix it")
    for obj in (loc, ref, value, finding):
        back = pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
        assert back == obj and repr(back) == repr(obj)
    assert pickle.loads(pickle.dumps(ref)).display == "AKS"  # not compared, still kept


def test_one_pickle_holds_repeated_names_and_paths_once():
    # built apart, as two files' frontends build them: equal, not the same objects
    first = [Location("a.sh", 1, 1, path=("cmd", "--name")), Ref("subnet", "".join(["a", "ks"]), "rg")]
    second = [Location("".join(["a.", "sh"]), 2, 1, path=tuple(["cmd", "".join(["--na", "me"])])),
              Ref("subnet", "aks", "rg")]
    assert first[0].path is not second[0].path and first[0].file is not second[0].file
    back = pickle.loads(pickle.dumps([first, second], protocol=pickle.HIGHEST_PROTOCOL))
    release_shared()
    assert back == [first, second]
    assert back[0][0].file is back[1][0].file and back[0][0].path is back[1][0].path
    assert back[0][1].name is back[1][1].name


def test_gc_paused_restores_the_previous_state():
    assert gc.isenabled()
    with engine.gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with engine.gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_scan_hands_what_it_froze_back_to_the_collector(project):
    gc.unfreeze()
    sarif(project, cache=True)
    sarif(project, cache=True)  # the paused paths: results from the cache, inventory, rules
    assert gc.get_freeze_count() == 0 and gc.isenabled() and not engine._FROZEN
