"""Kubernetes manifests -> Operations."""

from __future__ import annotations

from pathlib import Path

import pytest

from egresslint.findings import Severity
from egresslint.frontends import FrontendResult, SourceFile, kubernetes
from egresslint.model import Ref

FIXTURES = Path(__file__).parent / "fixtures" / "k8s"
CORPUS = Path("/work/shared/corpus/k8s")


def load(name: str) -> FrontendResult:
    return kubernetes.load(SourceFile(name, (FIXTURES / name).read_text(encoding="utf-8"), "yaml"))


def test_services_and_objects() -> None:
    result = load("services.yaml")
    assert not result.findings and result.skipped is None
    by = {f"{o.ref.kind}:{o.ref.name}": o for o in result.operations}
    assert list(by) == [
        "k8s_service:web-front",
        "k8s_object:deployment/web",
        "k8s_service:internal-api",
        "k8s_object:configmap/settings",
        "k8s_service:merged",
    ]
    web = by["k8s_service:web-front"]
    assert web.ref == Ref("k8s_service", "web-front", "shop", display="Web-Front")
    assert web.action == "create" and web.command == "Kubernetes Service"
    assert (web.location.line, web.location.column, web.location.path) == (2, 1, (0,))
    c = web.changes
    assert c["api_version"].known == "v1"
    assert c["object_kind"].known == "Service"
    assert c["namespace"].known == "Shop"
    assert c["service_type"].known == "LoadBalancer"
    assert (c["service_type"].location.line, c["service_type"].location.column) == (11, 9)
    assert c["service_type"].location.end_column == 21
    assert c["service_type"].location.path == (0, "spec", "type")
    assert c["load_balancer_ip"].known == "20.1.2.3"
    assert c["load_balancer_ip"].location.line == 12
    ann = c["annotations"]
    assert ann["service.beta.kubernetes.io/azure-load-balancer-internal"].known == "false"
    assert ann["service.beta.kubernetes.io/azure-load-balancer-internal"].location.line == 8
    assert ann["service.beta.kubernetes.io/azure-pip-name"].known == "web-pip"

    deploy = by["k8s_object:deployment/web"]
    assert deploy.changes["api_version"].known == "extensions/v1beta1"
    assert deploy.changes["api_version"].location.line == 18
    assert "service_type" not in deploy.changes and deploy.ref.group is None

    internal = by["k8s_service:internal-api"]  # inside a kind: List
    assert internal.location.path == (3, "items", 0)
    assert internal.changes["annotations"]["service.beta.kubernetes.io/azure-load-balancer-internal"].known == "true"
    assert by["k8s_object:configmap/settings"].ref.group == "shop"

    merged = by["k8s_service:merged"]  # apiVersion/kind from a YAML merge key
    assert merged.changes["service_type"].known == "ClusterIP"


def test_template_syntax_is_skipped_with_info() -> None:
    result = load("helm-template.yaml")
    assert not result.operations
    [f] = result.findings
    assert f.rule_id == "EGL004" and f.severity == Severity.INFO
    assert f.message == "template syntax ({{ }}); file skipped"
    assert (f.location.line, f.location.column) == (4, 9)


def test_non_kubernetes_yaml_is_skipped_silently() -> None:
    result = load("not-kubernetes.yaml")  # a workflow with ${{ }}: neither Kubernetes nor an info
    assert result.skipped and not result.findings and not result.operations
    plain = kubernetes.load(SourceFile("values.yaml", "replicaCount: 2\nimage:\n  tag: x\n", "yaml"))
    assert plain.skipped and not plain.findings


def test_broken_yaml_is_egl001_at_the_mark() -> None:
    result = load("broken.yaml")
    [f] = result.findings
    assert f.rule_id == "EGL001" and f.severity == Severity.ERROR
    assert (f.location.line, f.location.column) == (8, 1)
    broken_other = kubernetes.load(SourceFile("x.yaml", "a: [1,\n", "yaml"))
    assert broken_other.skipped and not broken_other.findings


def test_alias_bomb_is_rejected_and_the_rest_goes_on() -> None:
    result = load("alias-bomb.yaml")
    [f] = result.findings
    assert f.rule_id == "EGL001" and "alias" in f.message
    assert f.location.line == 1
    assert [o.ref.name for o in result.operations] == ["after-the-bomb"]


def test_recursive_alias_does_not_loop() -> None:
    text = "apiVersion: v1\nkind: Service\nmetadata: &m\n  name: loop\n  self: *m\n"
    result = kubernetes.load(SourceFile("r.yaml", text, "yaml"))
    assert [o.ref.name for o in result.operations] == ["loop"]


def test_bom_and_null_values() -> None:
    text = "\ufeffapiVersion: v1\nkind: Service\nmetadata:\n  name: n\n  namespace: ~\nspec:\n  type:\n"
    [op] = kubernetes.load(SourceFile("n.yaml", text, "yaml")).operations
    assert "namespace" not in op.changes and "service_type" not in op.changes


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.yaml")) if CORPUS.is_dir() else [], ids=lambda p: p.name)
def test_corpus_files_load(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    result = kubernetes.load(SourceFile(path.name, text, "kubernetes"))
    assert not [f for f in result.findings if f.rule_id == "EGL001"]
    if "{{" in text:
        assert [f.rule_id for f in result.findings] == ["EGL004"] and not result.operations
    else:
        assert result.operations and not result.findings
        lines = text.splitlines()
        for op in result.operations:
            for v in op.changes.values():
                for value in v.values() if isinstance(v, dict) else [v]:
                    line = lines[value.location.line - 1]
                    col = value.location.column - 1
                    assert line[col:].lstrip("'\"").startswith(value.known), (value, line)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_corpus_load_balancer_services() -> None:
    text = (CORPUS / "sgaksworkshop-nginx-ingress.yaml").read_text(encoding="utf-8")
    result = kubernetes.load(SourceFile("n.yaml", text, "kubernetes"))
    svc = next(o for o in result.operations if o.ref.name == "nginx-ingress-controller")
    assert svc.changes["service_type"].known == "LoadBalancer"
    assert svc.changes["load_balancer_ip"].known == "100.64.2.4"
    assert svc.ref.group == "ingress"


def test_pure_python_loader_gives_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    fast = load("services.yaml")
    monkeypatch.setattr(kubernetes, "_loader", lambda: yaml.SafeLoader)
    slow = load("services.yaml")
    assert [(o.ref, o.location, o.changes) for o in slow.operations] == [
        (o.ref, o.location, o.changes) for o in fast.operations
    ]


@pytest.mark.parametrize(
    "body",
    [
        "spec: " + "[" * 50_000 + "]" * 50_000,
        "items:\n" + "- " * 50_000 + "x",
    ],
    ids=["flow", "block"],
)
def test_very_deep_nesting_is_egl001_not_a_crash(body: str) -> None:
    # libyaml's C composer would overflow the C stack on these
    text = "apiVersion: v1\nkind: List\nmetadata:\n  name: deep\n" + body + "\n"
    result = kubernetes.load(SourceFile("deep.yaml", text, "yaml"))
    assert [f.rule_id for f in result.findings] == ["EGL001"]
    assert kubernetes.nesting_bound(text) > kubernetes.MAX_C_NESTING
    assert kubernetes.nesting_bound("a:\n  b: [1, {c: 2}]\n") == 4
