"""File-scoped scans (pre-commit: ``egresslint scan FILE``) against the whole-project analysis.

When files are given, egresslint analyses the project around them and reports only what is
located in them. Any shortcut that analyses less than the whole project (issue 8: pre-commit on a
5,000-file project) must give the same answer, byte for byte, as the full analysis filtered to
the given file. This is the guard for such a shortcut: every rule fixture folder, every fixture
project, ../shared/corpus and a generated benchmark sample, used as a project with each of its
files given in turn; plus projects whose files share no resource name yet depend on each other
(a next hop inside another file's AzureFirewallSubnet; an unresolvable route-table association
that silences EGL104 project-wide), which a restriction by resource identity alone gets wrong.

Compared: the findings and the notices located in the given file (or in no file), rendered as
text and SARIF. The counts of the summary line (suppressed, files analysed) are what the
shortcut may legitimately change, so both sides are rendered with the scoped run's counts.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, shared_path

from egresslint.config import Config
from egresslint.engine import scan
from egresslint.files import discover
from egresslint.registry import load as load_registry
from egresslint.report import Report
from egresslint.reporters import render


def _config(folder: Path) -> Config:
    # no cache (the default of Config): every scan, scoped or not, really analyses
    pack = folder / "pack.yaml"
    return Config(packs=(str(pack),) if pack.is_file() else ())


def _local(report: Report, rel: str) -> Report:
    return Report(findings=[f for f in report.findings if f.location.file == rel],
                  notifications=[n for n in report.notifications if n.file in (None, rel)],
                  root=report.root, sources=report.sources)


def _rendered(report: Report, counts: Report) -> tuple[str, str]:
    rules = load_registry().rules
    shown = replace(report, files=counts.files, targets=counts.targets, suppressed=counts.suppressed)
    return render("text", shown, rules), render("sarif", shown, rules)


def _check_every_file(root: Path, config: Config) -> int:
    """Each file of ``root`` given in turn, as the CLI does (the root and the file; findings
    only in the file), compared with the full analysis; the number of files checked."""
    full = scan([root], config, root=root)
    files = [c.display for c in discover([root], root, [], (), False)]
    assert files, root
    for rel in files:
        scoped = scan([root, root / rel], replace(config, only_files=frozenset({rel})), root=root)
        assert scoped.targets == [rel], (root, rel, scoped.targets)
        assert _rendered(_local(scoped, rel), scoped) == _rendered(_local(full, rel), scoped), (root, rel)
    return len(files)


def _rule_folders() -> list[Path]:
    """Each rule's fixture folder, and each folder inside one (a multi-file fixture project)."""
    folders = [p for p in (FIXTURES / "rules").iterdir() if p.is_dir()]
    return sorted([*folders, *(sub for p in folders for sub in p.iterdir() if sub.is_dir())])


@pytest.mark.parametrize("folder", _rule_folders(), ids=lambda p: p.relative_to(FIXTURES / "rules").as_posix())
def test_rule_fixture_folder_each_file(folder):
    assert _check_every_file(folder, _config(folder)) >= 1


@pytest.mark.parametrize("folder", sorted(p for p in (FIXTURES / "projects").iterdir() if p.is_dir()),
                         ids=lambda p: p.name)
def test_fixture_project_each_file(folder):
    assert _check_every_file(folder, _config(folder)) >= 1


def test_shared_corpus_each_file():
    corpus = shared_path("corpus")
    assert _check_every_file(corpus, Config()) > 20


def test_generated_benchmark_sample_each_file(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    root = tmp_path / "corpus"
    generate(root, 60)
    (root / ".git").mkdir()
    assert _check_every_file(root, Config()) == 60


# Projects whose files name no common resource, yet a finding in one depends on the other.
NO_SHARED_NAMES = {
    # EGL102 on spoke.sh: 10.0.1.5 lies in fw.sh's AzureFirewallSubnet but is not the firewall's
    # .4 (alone, spoke.sh only gets EGL004: the address is in no scanned network)
    "next-hop-by-address": {
        "fw.sh": (
            "az network vnet create -g hub -n hubvnet --address-prefixes 10.0.0.0/16\n"
            "az network vnet subnet create -g hub --vnet-name hubvnet -n AzureFirewallSubnet "
            "--address-prefixes 10.0.1.0/26\n"
            "az network public-ip create -g hub -n fwpip --sku Standard\n"
            "az network firewall create -g hub -n hubfw\n"
            "az network firewall ip-config create -g hub -f hubfw -n cfg --public-ip-address fwpip "
            "--vnet-name hubvnet\n"),
        "spoke.sh": (
            "az network vnet create -g spoke -n spokevnet --address-prefixes 10.1.0.0/16 --subnet-name aks "
            "--subnet-prefixes 10.1.1.0/24\n"
            "az network route-table create -g spoke -n spokert\n"
            "az network route-table route create -g spoke --route-table-name spokert -n default "
            "--address-prefix 0.0.0.0/0 --next-hop-type VirtualAppliance --next-hop-ip-address 10.0.1.5\n"
            "az network vnet subnet update -g spoke --vnet-name spokevnet -n aks --route-table spokert\n"
            "az aks create -g spoke -n aks1 --vnet-subnet-id $(az network vnet subnet show -g spoke "
            "--vnet-name spokevnet -n aks --query id -o tsv) --outbound-type userDefinedRouting "
            "--network-plugin azure\n"),
    },
    # EGL104 on rt.sh alone; none in the project: other.json associates some table the scan
    # cannot name (a parameter without a value), which may be aks-rt
    "unresolved-association": {
        "rt.sh": (
            "az network route-table create -g rg -n aks-rt\n"
            "az network route-table route create -g rg --route-table-name aks-rt -n default "
            "--address-prefix 0.0.0.0/0 --next-hop-type VirtualAppliance --next-hop-ip-address 10.0.1.4\n"),
        "other.json": (
            '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",\n'
            ' "contentVersion": "1.0.0.0", "parameters": {"rtId": {"type": "string"}},\n'
            ' "resources": [{"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-04-01",\n'
            '   "name": "othervnet", "location": "westeurope", "properties": {\n'
            '     "addressSpace": {"addressPrefixes": ["10.9.0.0/16"]}, "subnets": [{"name": "s1",\n'
            '       "properties": {"addressPrefix": "10.9.1.0/24", "routeTable": {"id": "[parameters(\'rtId\')]"}}}]}}]}\n'),
    },
}
# EGL408 on service.yaml: a public LoadBalancer Service weighed against cluster.json's cluster,
# which sends egress through a firewall (the manifest names no Azure resource)
NO_SHARED_NAMES["service-and-any-cluster"] = {
    p.name: p.read_text(encoding="utf-8") for p in (FIXTURES / "rules" / "EGL408" / "bad-manifest").glob("*.*")
    if p.suffix in (".json", ".yaml")}
EXPECTED_ONLY_TOGETHER = {"next-hop-by-address": ("spoke.sh", "EGL102"),
                          "unresolved-association": ("rt.sh", "EGL104"),
                          "service-and-any-cluster": ("service.yaml", "EGL408")}


def _write(root: Path, files: dict[str, str]) -> Path:
    (root / ".git").mkdir(parents=True)
    for rel, text in files.items():
        (root / rel).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("name", sorted(NO_SHARED_NAMES))
def test_dependency_without_shared_names(name, tmp_path):
    together = _write(tmp_path / "together", NO_SHARED_NAMES[name])
    rel, rule = EXPECTED_ONLY_TOGETHER[name]
    alone = _write(tmp_path / "alone", {rel: NO_SHARED_NAMES[name][rel]})
    with_project = {f.rule_id for f in scan([together], Config(), root=together).findings if f.location.file == rel}
    by_itself = {f.rule_id for f in scan([alone], Config(), root=alone).findings}
    # the file's findings do change with the other file (else the case guards nothing) ...
    assert (rule in with_project) != (rule in by_itself), (with_project, by_itself)
    # ... and the file-scoped scan sees the other file
    _check_every_file(together, Config())


def test_suppressed_count_is_of_the_given_files(tmp_path):
    root = _write(tmp_path / "p", {
        "a.sh": "az aks create -g rg -n aks \u2013outbound-type loadBalancer  # egresslint: ignore[EGL002]\n",
        "b.sh": "az group create -n rg -l westeurope\n"})
    assert scan([root], Config(), root=root).suppressed == 1
    for rel, suppressed in (("a.sh", 1), ("b.sh", 0)):
        scoped = scan([root, root / rel], Config(only_files=frozenset({rel})), root=root)
        assert (scoped.findings, scoped.suppressed) == ([], suppressed), rel
