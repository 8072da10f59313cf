"""Issue 4, done-when: seed 002 (a Markdown article whose only configuration is Kubernetes
YAML, no ARM) and seed 001's lab text (transcribed as the scripts users paste, in
tests/fixtures/seeds) are scanned with the findings a reader of them expects."""

from __future__ import annotations

from pathlib import Path

from conftest import FIXTURES, shared_path

from egresslint.config import Config
from egresslint.engine import build_inventory, run_rules, scan
from egresslint.files import Candidate
from egresslint.frontends import SourceFile, markdown
from egresslint.registry import load as load_registry

SEEDS = FIXTURES / "seeds"


def findings_of_document(path: Path) -> list[tuple[int, str, str]]:
    """A seed is a .txt file (discovery scans .md only), so it is read as the Markdown it is."""
    result = markdown.load(SourceFile("seed.md", path.read_text(encoding="utf-8"), "markdown"))
    inventory = build_inventory([(Candidate(path, "seed.md", "markdown"), result)], Config())
    found = result.findings + run_rules(inventory, load_registry(), Config(), [])
    return sorted((f.location.line, f.rule_id, f.message) for f in found)


def test_seed002_yaml_only_article():
    [path] = shared_path("seeds").glob("002_*.txt")
    found = findings_of_document(path)
    # line 47: `apiVersion: extensions/v1beta1` of the Deployment; line 72: `loadBalancerIP:`
    assert [(line, rule) for line, rule, _ in found] == [(47, "EGL409"), (72, "EGL409")], found
    assert "extensions/v1beta1" in found[0][2] and "apps/v1" in found[0][2]
    assert "spec.loadBalancerIP" in found[1][2] and "azure-load-balancer-ipv4" in found[1][2]


def test_yaml_block_positions_and_non_manifests_in_markdown():
    doc = ("# notes\n\n```yaml\nreplicas: 2\n```\n\n```yml\napiVersion: v1\nkind: Service\nmetadata:\n"
           "  name: web\nspec:\n  type: LoadBalancer\n  loadBalancerIP: 20.1.2.3\n```\n")
    result = markdown.load(SourceFile("doc.md", doc, "markdown"))
    assert not result.findings
    [op] = result.operations  # the values fragment is no manifest and is left alone
    assert op.ref.kind == "k8s_service" and op.location.line == 8
    assert op.changes["load_balancer_ip"].location.line == 14


def rules_at(path: Path) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for f in scan([path], Config(cache=False), root=path.parent).findings:
        out.setdefault(f.rule_id, []).append(f.location.line)
    return out


def test_seed001_lab2_managed_nat_only_pasted_dashes():
    # the managed NAT gateway lab is right apart from the dashes the blog typeset
    found = rules_at(SEEDS / "seed001-lab2-managed-nat.ps1")
    assert set(found) == {"EGL002"}, found
    assert sorted(set(found["EGL002"])) == list(range(3, 11))


def test_seed001_lab3_user_nat_service_cidr_overlaps_default_vnet():
    # `az network vnet create` without --address-prefixes gets 10.0.0.0/16, the same range as
    # AKS's default service CIDR: the cluster create at line 36 is rejected; the subnet's
    # `--address-prefixes` lost its value in the blog (line 31)
    found = rules_at(SEEDS / "seed001-lab3-user-nat.ps1")
    assert set(found) == {"EGL002", "EGL005", "EGL407"}, found
    assert found["EGL407"] == [36] and found["EGL005"] == [31]
