"""The slice of a file-scoped scan (egresslint/slicing.py, issue 8) gives the whole project's answer.

test_scoped_equivalence.py scans without a cache, where no slice is made; here every project
is copied to a temporary folder, scanned once with the cache on (which records the files'
summaries), and then each file is given in turn with the whole-project analysis cache out of
the way (``_project_key`` -> None), so the scan goes through ``slicing.narrow``. The answer is
compared, byte for byte as text and SARIF, with the full analysis filtered to that file.

Beyond the fixtures, the corpus and a generated sample: random projects made of fixture files
and generated benchmark files (seeded), and one adversarial project per join of the slice
(identity with an unknown group, placeholders, each address role pair, EGL104's unresolved
association, EGL408's clusters, group regions, ARM parameters files). Each adversarial case
first checks that the other files do change the target's findings, so it guards the join.
"""

from __future__ import annotations

import random
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, shared_path
from test_scoped_equivalence import NO_SHARED_NAMES, _local, _rendered, _rule_folders

from egresslint import engine, slicing
from egresslint.config import Config
from egresslint.engine import scan
from egresslint.files import discover
from egresslint.report import Report


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".egresslint_cache"))
    (dst / ".git").mkdir(exist_ok=True)
    return dst


def _config(root: Path) -> Config:
    pack = root / "pack.yaml"
    return Config(packs=(str(pack),) if pack.is_file() else (), cache=True, jobs=1)


def check_sliced(root: Path, monkeypatch, config: Config | None = None) -> dict[str, int]:
    """Each file of ``root`` given in turn through the slice, compared with the full analysis
    (uncached); the number of files analysed for each."""
    config = config or _config(root)
    full = scan([root], replace(config, cache=False), root=root)
    scan([root], config, root=root)  # records the summaries
    files = [c.display for c in discover([root], root, [], (), False)]
    sizes: dict[str, int] = {}
    with monkeypatch.context() as m:
        m.setattr(engine, "_project_key", lambda *a, **k: None)
        for rel in files:
            scoped = scan([root, root / rel], replace(config, only_files=frozenset({rel})), root=root)
            assert scoped.targets == [rel], (root, rel, scoped.targets)
            assert _rendered(_local(scoped, rel), scoped) == _rendered(_local(full, rel), scoped), (root, rel)
            sizes[rel] = len(scoped.files)
    return sizes


@pytest.mark.parametrize("folder", _rule_folders(), ids=lambda p: p.relative_to(FIXTURES / "rules").as_posix())
def test_rule_fixture_folder_sliced(folder, tmp_path, monkeypatch):
    check_sliced(_copy(folder, tmp_path / "p"), monkeypatch)


@pytest.mark.parametrize("folder", sorted(p for p in (FIXTURES / "projects").iterdir() if p.is_dir()),
                         ids=lambda p: p.name)
def test_fixture_project_sliced(folder, tmp_path, monkeypatch):
    check_sliced(_copy(folder, tmp_path / "p"), monkeypatch)


def test_shared_corpus_sliced(tmp_path, monkeypatch):
    sizes = check_sliced(_copy(shared_path("corpus"), tmp_path / "p"), monkeypatch)
    assert len(sizes) > 20


def _generate(root: Path, files: int, seed: int = 7) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    generate(root, files, seed)


def test_generated_sample_sliced_and_smaller(tmp_path, monkeypatch):
    root = tmp_path / "corpus"
    _generate(root, 80)
    (root / ".git").mkdir()
    sizes = check_sliced(root, monkeypatch)
    assert len(sizes) == 80
    # the slice does narrow: a bash deployment script needs only its address neighbours
    assert sizes["team02/deploy2.sh"] < 20, sizes["team02/deploy2.sh"]


def _fixture_files() -> list[Path]:
    return sorted(p for p in (FIXTURES / "rules").rglob("*") if p.is_file()
                  and p.suffix in (".sh", ".ps1", ".json", ".yaml", ".md") and p.name != "pack.yaml"
                  and not p.name.endswith(".expected"))


@pytest.mark.parametrize("seed", range(6))
def test_random_mixed_projects(seed, tmp_path, monkeypatch):
    """Fixture files of different rules and generated benchmark files thrown together (seeded):
    names, groups and addresses meet in ways no single fixture folder has."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    gen = tmp_path / "gen"
    _generate(gen, 30, seed)
    pool = _fixture_files()
    root = tmp_path / "p"
    (root / ".git").mkdir(parents=True)
    for i, src in enumerate(rng.sample(pool, 14)):
        (root / f"f{i:02d}_{src.name}").write_bytes(src.read_bytes())
    for src in rng.sample(sorted(p for p in gen.rglob("*") if p.is_file()), 8):
        (root / src.name).write_bytes(src.read_bytes())
    check_sliced(root, monkeypatch, Config(cache=True, jobs=1))


# --------------------------------------------------------------------------- one case per join

_VNET_FW = (
    "az network vnet create -g hub -n hubvnet --address-prefixes 10.0.0.0/16\n"
    "az network vnet subnet create -g hub --vnet-name hubvnet -n AzureFirewallSubnet --address-prefixes 10.0.1.0/26\n"
    "az network public-ip create -g hub -n fwpip --sku Standard\n"
    "az network firewall create -g hub -n hubfw\n"
    "az network firewall ip-config create -g hub -f hubfw -n cfg --public-ip-address fwpip --vnet-name hubvnet\n")
_SPOKE = (
    "az network vnet create -g spoke -n spokevnet --address-prefixes 10.1.0.0/16 --subnet-name aks "
    "--subnet-prefixes 10.1.1.0/24\n"
    "az network route-table create -g spoke -n spokert\n"
    "az network route-table route create -g spoke --route-table-name spokert -n default "
    "--address-prefix 0.0.0.0/0 --next-hop-type VirtualAppliance --next-hop-ip-address {hop}\n"
    "az network vnet subnet update -g spoke --vnet-name spokevnet -n aks --route-table spokert\n"
    "az aks create -g spoke -n aks1 --vnet-subnet-id $(az network vnet subnet show -g spoke "
    "--vnet-name spokevnet -n aks --query id -o tsv) --outbound-type userDefinedRouting --network-plugin azure\n")
_ARM = ('{{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",\n'
        ' "contentVersion": "1.0.0.0", "parameters": {{}}, "resources": [{resources}]}}\n')

# name -> (files, target file, the rule whose findings in the target change with the others,
#          the join of slicing.py that carries it: disabled in test_each_join_is_needed)
JOINS: dict[str, tuple[dict[str, str], str, str, str]] = {
    # a next hop inside another file's AzureFirewallSubnet (address roles P-V)
    "address-next-hop": ({"fw.sh": _VNET_FW, "spoke.sh": _SPOKE.format(hop="10.0.1.5")}, "spoke.sh", "EGL102",
                         "P-V"),
    # EGL104: an association the scan cannot resolve elsewhere silences it
    "unresolved-association": ({k: v for k, v in NO_SHARED_NAMES["unresolved-association"].items()}, "rt.sh",
                               "EGL104", "needs"),
    # EGL408: a Service weighed against a cluster of another file
    "service-and-any-cluster": (dict(NO_SHARED_NAMES["service-and-any-cluster"]), "service.yaml", "EGL408",
                                "needs"),
    # identity: the route table of another file (same group), updated by a script
    "identity-exact": ({
        "rt.sh": "az network route-table create -g rg -n aks-rt\n"
                 "az network route-table route create -g rg --route-table-name aks-rt -n default "
                 "--address-prefix 0.0.0.0/0 --next-hop-type VirtualAppliance --next-hop-ip-address 10.0.1.4\n",
        "assoc.sh": "az network vnet subnet update -g rg --vnet-name v -n s --route-table aks-rt\n"},
        "rt.sh", "EGL104", "tokens"),
    # identity with an unknown group: a template's table (no group) meets a script's (-g rg)
    "identity-loose": ({
        "rt.json": _ARM.format(resources=(
            '{"type": "Microsoft.Network/routeTables", "apiVersion": "2023-04-01", "name": "aks-rt", '
            '"location": "westeurope", "properties": {"routes": [{"name": "default", "properties": {'
            '"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.1.4"}}]}}')),
        "assoc.sh": "az network vnet subnet update -g rg --vnet-name v -n s --route-table aks-rt\n"},
        "rt.json", "EGL104", "loose"),
    # EGL203: a firewall rule's sources meet a cluster's pod CIDR of another file (P-C)
    "address-rule-source-pod-cidr": ({
        "fw.sh": _VNET_FW +
        "az network firewall network-rule create -g hub -f hubfw --collection-name all -n all --protocols Any "
        "--source-addresses 192.168.0.0/16 --destination-addresses '*' --destination-ports '*' --action allow "
        "--priority 100\n",
        # its next hop is outside the hub (no address join with fw.sh through the route)
        "spoke.sh": _SPOKE.format(hop="10.7.0.4").replace(
            "--network-plugin azure", "--network-plugin azure --network-plugin-mode overlay --pod-cidr 192.168.0.0/16")},
        "fw.sh", "EGL203", "P-C"),
    # a next hop that resolves (by identity) to a public IP's stated address, which lies in a third
    # file's AzureFirewallSubnet: V (the address) with V (the subnet)
    "address-resolved-next-hop": ({
        "pip.json": _ARM.format(resources=(
            '{"type": "Microsoft.Network/publicIPAddresses", "apiVersion": "2023-04-01", "name": "hoppip", '
            '"location": "westeurope", "sku": {"name": "Standard"}, "properties": {"ipAddress": "20.1.2.5"}}')),
        "fw.sh": _VNET_FW.replace("10.0.1.0/26", "20.1.2.0/26").replace("10.0.0.0/16", "20.1.0.0/16"),
        "spoke.sh": _SPOKE.format(hop="$(az network public-ip show -g spoke -n hoppip --query ipAddress -o tsv)")},
        "spoke.sh", "EGL102", "V-V"),
    # EGL203: a rule's source is another file's subnet prefix (by identity), which overlaps a third
    # file's pod CIDR: V with C
    "address-resolved-source-pod-cidr": ({
        "fw.sh": _VNET_FW +
        "az network firewall network-rule create -g hub -f hubfw --collection-name all -n all --protocols Any "
        "--source-addresses $(az network vnet subnet show -g hub --vnet-name hubvnet -n pods --query addressPrefix "
        "-o tsv) --destination-addresses '*' --destination-ports '*' --action allow --priority 100\n",
        "pods.sh": "az network vnet subnet create -g hub --vnet-name hubvnet -n pods --address-prefixes 192.168.0.0/16\n",
        # its next hop is outside the hub (no address join with fw.sh through the route)
        "spoke.sh": _SPOKE.format(hop="10.7.0.4").replace(
            "--network-plugin azure", "--network-plugin azure --network-plugin-mode overlay --pod-cidr 192.168.0.0/16")},
        "fw.sh", "EGL203", "C-V"),
    # the same with the rule's sources as a range (read as AddressSet reads it, not as a CIDR)
    "address-range-source-pod-cidr": ({
        "fw.sh": _VNET_FW +
        "az network firewall network-rule create -g hub -f hubfw --collection-name all -n all --protocols Any "
        "--source-addresses 192.168.0.0-192.168.255.255 --destination-addresses '*' --destination-ports '*' "
        "--action allow --priority 100\n",
        "spoke.sh": _SPOKE.format(hop="10.7.0.4").replace(
            "--network-plugin azure", "--network-plugin azure --network-plugin-mode overlay --pod-cidr 192.168.0.0/16")},
        "fw.sh", "EGL203", "P-C"),
}


def _project(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    root = tmp_path / name
    (root / ".git").mkdir(parents=True)
    for rel, text in files.items():
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _rules_in(root: Path, rel: str) -> set[str]:
    return {f.rule_id for f in scan([root], Config(), root=root).findings if f.location.file == rel}


@pytest.mark.parametrize("name", sorted(JOINS))
def test_join_case(name, tmp_path, monkeypatch):
    files, rel, rule, _join = JOINS[name]
    together = _project(tmp_path, "together", files)
    alone = _project(tmp_path, "alone", {rel: files[rel]})
    # the other files do change the target's findings (else the case guards nothing) ...
    assert (rule in _rules_in(together, rel)) != (rule in _rules_in(alone, rel))
    # ... and the slice carries them
    check_sliced(together, monkeypatch, Config(cache=True, jobs=1))


def _summary(tokens=(), kinds=(), needs=(), deploys=(), markdown=False) -> slicing.Summary:
    return slicing.Summary(tuple(tokens), (), tuple(kinds), tuple(needs), (), tuple(deploys), markdown)


def test_select_answers_whole_project_for_a_deployment():
    plain = _summary()
    assert slicing.select([("a.sh", plain), ("d.sh", _summary(deploys=[("t.json", "d.sh")]))], {"a.sh"}) is None
    assert slicing.select([("a.sh", plain), ("b.sh", plain)], {"a.sh"}) == {"a.sh"}


def test_markdown_needs_only_itself():
    token = f"L{slicing.S}cluster{slicing.S}aks"
    doc = _summary([token], ["cluster"], ["cluster"], markdown=True)
    script = _summary([token], ["cluster"])
    assert slicing.select([("a.md", doc), ("b.sh", script)], {"a.md"}) == {"a.md"}
    assert slicing.select([("a.md", doc), ("b.sh", script)], {"b.sh"}) == {"b.sh"}


def test_placeholder_needs_every_file_of_its_kind_and_back():
    named = _summary([f"L{slicing.S}vnet{slicing.S}hub"], ["vnet"])
    other = _summary([f"L{slicing.S}subnet{slicing.S}x"], ["subnet"])
    unknown = _summary([f"L{slicing.S}vnet{slicing.S}$vnet"], ["vnet", "@p:vnet"])
    files = [("a.sh", named), ("b.sh", other), ("c.sh", unknown)]
    assert slicing.select(files, {"c.sh"}) == {"a.sh", "c.sh"}
    assert slicing.select(files, {"a.sh"}) == {"a.sh", "c.sh"}
    assert slicing.select(files, {"b.sh"}) == {"b.sh"}


# a join of slicing.py made a no-op: (attribute, replacement)
_MUTATIONS = {
    "tokens": ("_join_tokens", lambda uf, by_token: None),
    "loose": ("_join_loose", lambda uf, by_token: None),
    "needs": ("_follow_needs", lambda start, needs, has: set(start)),
}


@pytest.mark.parametrize("name", sorted(JOINS))
def test_each_join_is_needed(name, tmp_path, monkeypatch):
    """Mutation check: with the join that carries the case removed from the slice, the case
    fails (so it guards that join, and the join is not dead weight)."""
    files, _rel, _rule, join = JOINS[name]
    together = _project(tmp_path, "together", files)
    with monkeypatch.context() as m:
        if join in _MUTATIONS:
            attr, replacement = _MUTATIONS[join]
            m.setattr(slicing, attr, replacement)
        else:  # an address role pair
            pair = tuple(join.split("-"))
            assert pair in slicing.ADDRESS_JOINS
            m.setattr(slicing, "ADDRESS_JOINS", tuple(p for p in slicing.ADDRESS_JOINS if p != pair))
        with pytest.raises(AssertionError):
            check_sliced(together, monkeypatch, Config(cache=True, jobs=1))


def test_addresses_are_read_as_the_rules_read_them():
    assert slicing._intervals("192.168.0.0-192.168.0.255", True) == [(4, 0xC0A80000, 0xC0A800FF)]
    assert len(slicing._intervals("10.1.0.0/16, 10.2.0.0/16", False)) == 2
    # a probe covering everything joins nothing (EGL203 does not look at the clusters for it)
    assert slicing._intervals("0.0.0.0/0", True) == [] and slicing._intervals("*", True) == []
    assert slicing._intervals("0.0.0.0/0", False) == [(4, 0, 2**32 - 1)]
    assert slicing._intervals("AzureCloud.westeurope", True) == [] and slicing._intervals(None, False) == []


def test_precommit_flow_with_changed_files(tmp_path, monkeypatch):
    """The real path: a full scan records the summaries, then files change (their summaries are
    made on the fly and kept as entries of their own, or folded into the index) and several are
    given at once; every answer is the full analysis of the changed project, filtered."""
    root = tmp_path / "corpus"
    _generate(root, 60)
    (root / ".git").mkdir()
    config = Config(cache=True, jobs=1)
    scan([root], config, root=root)
    rng = random.Random(3)  # noqa: S311 (test data, not secrets)
    scripts = sorted(c.display for c in discover([root], root, [], (), False) if c.display.endswith((".sh", ".ps1")))
    for round_, loose in enumerate((slicing.MAX_LOOSE, 0, slicing.MAX_LOOSE)):
        monkeypatch.setattr(slicing, "MAX_LOOSE", loose)  # 0: every new summary folded into the index
        given = rng.sample(scripts, 3)
        for rel in given:
            with (root / rel).open("a", encoding="utf-8") as fh:
                fh.write(f"# change {round_}\n")
        full = scan([root], replace(config, cache=False), root=root)
        only = frozenset(given)
        scoped = scan([root, *(root / rel for rel in given)], replace(config, only_files=only), root=root)
        assert sorted(scoped.targets or []) == sorted(given)
        assert len(scoped.files) < len(full.files)  # the slice was used
        local = Report(findings=[f for f in full.findings if f.location.file in only],
                       notifications=[n for n in full.notifications if n.file is None or n.file in only],
                       root=full.root, sources=full.sources)
        mine = Report(findings=[f for f in scoped.findings if f.location.file in only],
                      notifications=[n for n in scoped.notifications if n.file is None or n.file in only],
                      root=scoped.root, sources=scoped.sources)
        assert _rendered(mine, scoped) == _rendered(local, scoped), (round_, given)
