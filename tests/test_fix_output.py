"""A finding's ``fix`` (the text format's ``= help:``) reaches JSON, GitHub and SARIF: JSON as
``findings[].fix``; SARIF in the result's message (text and Markdown) and ``properties.fix``,
never as a fabricated ``fixes[].artifactChanges``, and without changing the fingerprint."""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import ROOT

from egresslint.engine import scan
from egresslint.findings import Finding, Severity
from egresslint.model import Location
from egresslint.registry import load
from egresslint.report import Report
from egresslint.reporters import get

SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
FIX = ("az network firewall network-rule create -g rg -f fw -c aks -n dns --protocols UDP \\\n"
       "  --source-addresses 10.42.1.0/24 --destination-addresses '*' --destination-ports 53")
SOURCE = "az network firewall create -g rg -n fw_hub\n"


def report(fix: str) -> Report:
    finding = Finding("EGL201", "firewall 'fw_hub' [hub] blocks DNS (UDP 53) *required*", Severity.ERROR,
                      Location("infra/fw.sh", 1, 1, 1, 10), subject="firewall:rg/fw_hub", fix=fix)
    return Report(findings=[finding], files=["infra/fw.sh"], root=str(ROOT), sources={"infra/fw.sh": SOURCE})


def sarif_result(fix: str) -> dict:
    return json.loads(get("sarif")(report(fix), load().rules))["runs"][0]["results"][0]


def test_json_carries_the_fix():
    doc = json.loads(get("json")(report(FIX), load().rules))
    assert doc["findings"][0]["fix"] == FIX
    assert json.loads(get("json")(report(""), load().rules))["findings"][0]["fix"] is None


def test_github_annotation_carries_the_fix_as_help():
    line = get("github")(report(FIX), load().rules)
    assert line.startswith("::error ") and "%0Ahelp: az network firewall network-rule create" in line
    assert "%0Ahelp:" not in get("github")(report(""), load().rules)


def test_sarif_shows_the_fix_in_the_message_and_properties():
    result = sarif_result(FIX)
    message = result["message"]
    # GitHub titles the alert with the first sentence: the finding's message comes first
    assert message["text"] == "firewall 'fw_hub' [hub] blocks DNS (UDP 53) *required*\n\nFix:\n" + FIX
    # Markdown: the message escaped so it renders as written, the snippet fenced as shell
    assert message["markdown"] == (
        "firewall 'fw\\_hub' \\[hub\\] blocks DNS \\(UDP 53\\) \\*required\\*\n\n**Fix**\n\n```bash\n" + FIX + "\n```")
    assert result["properties"] == {"fix": FIX}
    assert "fixes" not in result  # a snippet to adapt is not a byte-exact artifactChange


def test_sarif_without_fix_is_unchanged():
    result = sarif_result("")
    assert result["message"] == {"text": "firewall 'fw_hub' [hub] blocks DNS (UDP 53) *required*"}
    assert "properties" not in result and "fixes" not in result


def test_fix_never_changes_the_fingerprint():
    with_fix, without = sarif_result(FIX), sarif_result("")
    assert with_fix["partialFingerprints"] == without["partialFingerprints"]
    finding = report(FIX).findings[0]
    assert finding.fingerprint(SOURCE) == dataclasses.replace(finding, fix="other").fingerprint(SOURCE)
    json_fp = json.loads(get("json")(report(FIX), load().rules))["findings"][0]["fingerprint"]
    assert json_fp == with_fix["partialFingerprints"]["egresslint/v1"]


@pytest.mark.skipif(not SCHEMA.is_file(), reason="shared/schemas is not beside the repository")
def test_real_fixes_in_every_format():
    """EGL201's bad fixtures attach az commands; every format shows the same snippet and the
    SARIF log stays valid against the official schema."""
    jsonschema = pytest.importorskip("jsonschema")
    folder = ROOT / "tests" / "fixtures" / "rules" / "EGL201"
    scanned = scan([folder], root=folder)
    fixed = [f for f in scanned.findings if f.fix]
    assert fixed, "EGL201's fixtures no longer produce a finding with a fix"
    rules = load().rules
    log = json.loads(get("sarif")(scanned, rules))
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(log)
    results = log["runs"][0]["results"]
    doc = json.loads(get("json")(scanned, rules))
    text = get("text")(scanned, rules)
    for i, finding in enumerate(scanned.findings):
        assert doc["findings"][i]["fix"] == (finding.fix or None)
        assert results[i].get("properties", {}).get("fix") == (finding.fix or None)
        if finding.fix:
            assert results[i]["message"]["text"].endswith("\n\nFix:\n" + finding.fix)
            assert "= help: " + finding.fix.splitlines()[0] in text


def test_output_formats_doc_lists_the_fix_key():
    doc = (ROOT / "docs" / "output-formats.md").read_text(encoding="utf-8")
    assert "| `findings[].fix` |" in doc and "| `summary.analysed_files` |" in doc
