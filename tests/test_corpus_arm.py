"""Issue 4, done-when: the real templates in ../shared/corpus/arm parse without EGL001 and
without unknowns where the template gives a default. A value may stay unknown only because it
depends on something a template cannot know before deployment: a parameter without default, the
deployment's subscription or resource group, or a hash of those (uniqueString, guid)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import SHARED, shared_path

from egresslint.frontends import SourceFile, arm
from egresslint.frontends import armexpr as ax
from egresslint.frontends.jsonpos import parse
from egresslint.model import Value

TEMPLATES = sorted((SHARED / "corpus" / "arm").glob("*.json")) if (SHARED / "corpus" / "arm").is_dir() else []

NO_DEFAULT = re.compile(r"^parameter '(?P<name>[^']+)' has no default value and no value was given$")
DEPLOYMENT = {"the deployment's subscription is not known", "the deployment's resource group is not known",
              "the deployment's resource group location is not known"}
HASHES = {"uniqueString() is not evaluated by the scan", "guid() is not evaluated by the scan"}
# what a hash's inputs must mention for the hash to be unknowable before deployment
CONTEXT = ("subscription()", "resourceGroup()", "resourceId(", "deployment()")


def _pieces(v: Any, out: list[Any]) -> list[Any]:
    if isinstance(v, (ax.Unknown, ax.Symbolic)):
        out.append(v)
    elif isinstance(v, ax.Partial):
        for p in v.parts:
            _pieces(p, out)
    elif isinstance(v, dict):
        for x in v.values():
            _pieces(x, out)
    elif isinstance(v, list):
        for x in v:
            _pieces(x, out)
    return out


def _values(v: Any):
    if isinstance(v, Value):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from _values(x)
    elif isinstance(v, (list, tuple)):
        for x in v:
            yield from _values(x)
    elif hasattr(v, "__dataclass_fields__") and not isinstance(v, type):
        for name in v.__dataclass_fields__:
            yield from _values(getattr(v, name, None))


def _legitimate(reason: str, text: str, no_default: set[str]) -> bool:
    m = NO_DEFAULT.match(reason)
    if m:
        return m.group("name").lower() in no_default
    if reason in DEPLOYMENT:
        return True
    if reason in HASHES:
        mentions = {p.lower() for p in re.findall(r"parameters\('([^']+)'\)", text)}
        return any(c in text for c in CONTEXT) or bool(mentions & no_default)
    return False


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_corpus_template_parses_and_defaults_evaluate(path):
    shared_path("corpus", "arm")
    text = path.read_text(encoding="utf-8-sig")
    result = arm.load(SourceFile(path.name, text, "json"))
    assert result.skipped is None, result.skipped
    assert not [f for f in result.findings if f.rule_id == "EGL001"], result.findings
    data = parse(text).data
    if not arm._is_template(data):
        return  # a parameters file or REST example: nothing to evaluate
    decls = {k.lower(): v for k, v in (data.get("parameters") or {}).items()}
    no_default = {k for k, v in decls.items() if not (isinstance(v, dict) and "defaultValue" in v)}
    scope = ax.Scope.from_template(data, ref_of_id=arm.ref_from_value)
    bad = []
    for name, spec in decls.items():
        if name not in no_default:
            bad += [(f"parameter {name}", u.text, u.reason) for u in _pieces(scope.parameter(name), [])
                    if not _legitimate(u.reason, u.text, no_default)]
    for name in data.get("variables") or {}:
        if name != "copy":
            bad += [(f"variable {name}", u.text, u.reason) for u in _pieces(scope.variable(name), [])
                    if not _legitimate(u.reason, u.text, no_default)]
    for op in result.operations:
        for field, change in op.changes.items():
            bad += [(f"{op.ref.kind} {field}", v.text, v.reason) for v in _values(change)
                    if v.state == "unknown" and not _legitimate(v.reason, "subscription()", no_default)]
    assert not bad, bad
