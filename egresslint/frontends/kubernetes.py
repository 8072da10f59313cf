"""Kubernetes manifests (YAML, multi-document) -> Operations.

Every document (and every item of a ``kind: List``) with ``apiVersion`` and ``kind`` becomes a
``create`` of a :class:`~egresslint.model.KubernetesObject` (``k8s_object``); a ``Service``
becomes a :class:`~egresslint.model.KubernetesService` (``k8s_service``, which is also a
Kubernetes object) with its type, annotations and ``spec.loadBalancerIP``.

YAML is loaded safely and only composed (``yaml.compose_all``, the C loader when present), not
constructed: the node graph keeps the marks that give every Value its position, and only the
few paths the model needs are read. Aliases are never expanded; a document whose aliases would
expand to a huge tree (an alias bomb) is rejected with EGL001 before anything walks it.

Identities: a Service is ``Ref("k8s_service", name, group=namespace)``; any other object is
``Ref("k8s_object", "kind/name", group=namespace)``. The namespace (lower-cased) stands in the
``group`` slot; it is None when the manifest does not state one.

Files with template syntax (``{{ ... }}``: Helm, Go templates) are not Kubernetes YAML yet:
they are skipped with an EGL004 info finding when they look like manifests. YAML that is not
Kubernetes is skipped silently; broken YAML that looks like a manifest is EGL001 at the place
the parser stopped.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any

from egresslint.findings import Finding, Severity
from egresslint.frontends import FrontendResult, SourceFile
from egresslint.model import Location, Operation, Ref, Value

_TEMPLATE = re.compile(r"\{\{.*?\}\}")
_K8S_HINT = re.compile(r"^\s*(?:-\s+)?apiVersion\s*:", re.M)
_KIND_HINT = re.compile(r"^\s*(?:-\s+)?kind\s*:", re.M)

#: A document may not expand (through aliases) to more nodes than this, or than ten times the
#: nodes it actually has, whichever is larger.
MAX_EXPANDED_NODES = 10_000
#: Texts that may nest deeper than this are composed by the pure-Python loader.
MAX_C_NESTING = 1_000
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"


def _yaml() -> Any:
    import yaml

    return yaml


def _loader() -> Any:
    yaml = _yaml()
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def looks_like_kubernetes(text: str) -> bool:
    return bool(_K8S_HINT.search(text) and _KIND_HINT.search(text))


def load(source: SourceFile) -> FrontendResult:
    text = source.text
    if text.startswith("\ufeff"):
        text = text[1:]
    k8s_like = looks_like_kubernetes(text)
    tm = _first_template(text)
    if tm is not None:
        if not k8s_like:
            return FrontendResult(skipped="template syntax, not Kubernetes YAML")
        line, col = _line_col(text, tm.start())
        loc = Location(source.path, line, col, line, col + (tm.end() - tm.start()))
        return FrontendResult(
            findings=[Finding("EGL004", "template syntax ({{ }}); file skipped", Severity.INFO, loc)]
        )
    if not k8s_like:
        return FrontendResult(skipped="not Kubernetes YAML")
    return _Reader(source).read(text)


def _first_template(text: str) -> re.Match[str] | None:
    for m in _TEMPLATE.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if text[line_start : m.start()].lstrip().startswith("#"):
            continue  # in a comment
        return m
    return None


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


class _Reader:
    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.result = FrontendResult()
        self.seq = 0
        self.found = False
        self.anchors = False  # without an anchor there is no alias to expand
        self.text = source.text  # as composed (without a BOM), for error positions

    # ---------------------------------------------------------------- documents

    def read(self, text: str) -> FrontendResult:
        yaml = _yaml()
        self.text = text
        self.anchors = "&" in text
        # libyaml's composer recurses in C and crashes the process on very deep nesting; when
        # the text could nest that deep, the pure-Python loader (RecursionError) is used.
        loader = _loader() if nesting_bound(text) <= MAX_C_NESTING else yaml.SafeLoader
        docs = yaml.compose_all(text, Loader=loader)
        index = 0
        while True:
            try:
                root = next(docs)
            except StopIteration:
                break
            except yaml.YAMLError as exc:
                self.parse_error(exc)
                break
            except RecursionError:
                self.result.findings.append(
                    Finding("EGL001", "YAML nested too deeply", Severity.ERROR, Location(self.source.path, 1, 1))
                )
                break
            if root is not None:
                self.document(root, index)
            index += 1
        if not self.found and not self.result.findings:
            self.result.skipped = "no Kubernetes objects"
        return self.result

    def parse_error(self, exc: Any) -> None:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        col = mark.column + 1 if mark is not None else 1
        position = getattr(exc, "position", None)  # a ReaderError (bad character) has no mark
        if mark is None and isinstance(position, int):
            line, col = _line_col(self.text, position)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        msg = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
        self.result.findings.append(
            Finding("EGL001", msg, Severity.ERROR, Location(self.source.path, line, col, line, col + 1))
        )

    def document(self, root: Any, index: int) -> None:
        yaml = _yaml()
        if not isinstance(root, yaml.MappingNode):
            return
        distinct, expanded = _sizes(root, MAX_EXPANDED_NODES * 100) if self.anchors else (0, 0)
        if expanded > max(MAX_EXPANDED_NODES, 10 * distinct):
            self.result.findings.append(
                Finding(
                    "EGL001",
                    "YAML document expands its aliases into too many nodes (an alias bomb?); document skipped",
                    Severity.ERROR,
                    self.loc(root, (index,)),
                )
            )
            return
        top = _mapping(root)
        kind = _scalar(top.get("kind"))
        if kind == "List" and isinstance(top.get("items"), yaml.SequenceNode):
            for i, item in enumerate(top["items"].value):
                if isinstance(item, yaml.MappingNode):
                    self.object(item, (index, "items", i))
            return
        self.object(root, (index,))

    # ---------------------------------------------------------------- objects

    def object(self, node: Any, path: tuple[Any, ...]) -> None:
        top = _mapping(node)
        api_node, kind_node = top.get("apiVersion"), top.get("kind")
        api, kind = _scalar(api_node), _scalar(kind_node)
        if not api or not kind:
            return
        self.found = True
        meta_node = top.get("metadata")
        meta = _mapping(meta_node)
        name = _scalar(meta.get("name")) or _scalar(meta.get("generateName")) or f"#{path[0]}"
        ns_node = meta.get("namespace")
        namespace = _scalar(ns_node)
        group = namespace.lower() if namespace else None
        changes: dict[str, Any] = {
            "api_version": self.value(api_node, path + ("apiVersion",)),
            "object_kind": self.value(kind_node, path + ("kind",)),
            "namespace": self.value(ns_node, path + ("metadata", "namespace")),
        }
        if kind == "Service":
            ref = Ref("k8s_service", name.lower(), group, display=name)
            spec_node = top.get("spec")
            spec = _mapping(spec_node)
            ann_node = meta.get("annotations")
            annotations: dict[str, Value] = {}
            for key, vnode in _mapping(ann_node).items():
                v = self.value(vnode, path + ("metadata", "annotations", key))
                if v is not None:
                    annotations[key] = v
            changes["service_type"] = self.value(spec.get("type"), path + ("spec", "type"))
            changes["annotations"] = annotations
            lb_ip = self.value(spec.get("loadBalancerIP"), path + ("spec", "loadBalancerIP"))
            # an empty loadBalancerIP (rendered charts write `loadBalancerIP: ""`) means none is requested
            changes["load_balancer_ip"] = lb_ip if lb_ip is not None and (lb_ip.known or "").strip() else None
        else:
            ref = Ref("k8s_object", f"{kind}/{name}".lower(), group, display=f"{kind}/{name}")
        self.result.operations.append(
            Operation(
                action="create",
                ref=ref,
                location=self.loc(node, path),
                changes={k: v for k, v in changes.items() if v is not None},
                seq=self.seq,
                command=f"Kubernetes {kind}",
            )
        )
        self.seq += 1

    # ---------------------------------------------------------------- values

    def loc(self, node: Any, path: tuple[Any, ...]) -> Location:
        s, e = node.start_mark, node.end_mark
        return Location(self.source.path, s.line + 1, s.column + 1, e.line + 1, e.column + 1, path=path)

    def value(self, node: Any, path: tuple[Any, ...]) -> Value | None:
        yaml = _yaml()
        if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL_TAG:
            return None
        return Value.literal(node.value, self.loc(node, path))


_BLOCK_INDENT = re.compile(r"^[ \t?-]*", re.M)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nesting_bound(text: str) -> int:
    """An upper bound of how deep YAML ``text`` can nest: every block level takes a column
    of indentation or an indicator (``- `` / ``? ``) at the start of a line, every flow level
    an unclosed bracket."""
    block = max(map(len, _BLOCK_INDENT.findall(text)), default=0)
    brackets = _NOT_BRACKET.sub("", text)
    flow = max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0) if brackets else 0
    return block + flow


def _mapping(node: Any, depth: int = 0) -> dict[str, Any]:
    """Members of a mapping node by (scalar) key, merge keys (``<<``) applied."""
    yaml = _yaml()
    if not isinstance(node, yaml.MappingNode):
        return {}
    out: dict[str, Any] = {}
    merges: list[Any] = []
    for k, v in node.value:
        if not isinstance(k, yaml.ScalarNode):
            continue
        if k.tag == _MERGE_TAG:
            merges.extend(v.value if isinstance(v, yaml.SequenceNode) else [v])
            continue
        out[k.value] = v
    if depth < 8:
        for m in merges:
            for k, v in _mapping(m, depth + 1).items():
                out.setdefault(k, v)
    return out


def _scalar(node: Any) -> str | None:
    yaml = _yaml()
    if isinstance(node, yaml.ScalarNode) and node.tag != _NULL_TAG:
        return str(node.value)
    return None


def _sizes(root: Any, cap: int) -> tuple[int, int]:
    """(distinct nodes, nodes after expanding aliases, capped at ``cap``) of a node graph, in
    time linear in the distinct nodes (memoised; cycles count once)."""
    yaml = _yaml()
    memo: dict[int, int] = {}
    busy: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        nid = id(node)
        if isinstance(node, yaml.MappingNode):
            children = [c for kv in node.value for c in kv]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            memo[nid] = 1
            continue
        if not done:
            if nid in memo or nid in busy:
                continue
            busy.add(nid)
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in memo and id(c) not in busy)
        else:
            busy.discard(nid)
            total = 1
            for c in children:
                total += memo.get(id(c), 1)
                if total > cap:
                    total = cap
                    break
            memo[nid] = total
    return len(memo), memo.get(id(root), 1)
