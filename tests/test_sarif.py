"""SARIF output: schema-valid, GitHub-ready, stable fingerprints, readable by sarif-tools."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from egresslint import __version__
from egresslint.checks.base import Rule
from egresslint.findings import Finding, Related, Severity
from egresslint.model import Location
from egresslint.report import Notification, Report
from egresslint.reporters import get, sarif

SHARED = Path(__file__).resolve().parents[2] / "shared"
SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"


class RouteNextHop(Rule):
    id = "EGL102"
    name = "default-route-next-hop"
    severity = Severity.ERROR
    summary = "The default route of a cluster subnet has a wrong next hop"
    rationale = "AKS rejects a userDefinedRouting cluster whose 0.0.0.0/0 route goes to Internet."
    example = (
        "az network route-table route create -g rg --route-table-name rt -n default \\\n"
        "  --address-prefix 0.0.0.0/0 --next-hop-type Internet"
    )
    fix = (
        "az network route-table route create -g rg --route-table-name rt -n default \\\n"
        "  --address-prefix 0.0.0.0/0 --next-hop-type VirtualAppliance --next-hop-ip-address 10.0.1.4"
    )
    sources = (
        "https://learn.microsoft.com/azure/aks/egress-outboundtype",
        "https://learn.microsoft.com/azure/aks/limit-egress-traffic",
    )
    tags = ("routing", "security")
    precision = "very-high"


class DuplicatePriority(Rule):
    id = "EGL206"
    name = "duplicate-collection-priority"
    severity = Severity.WARNING
    summary = "Two rule collections share a priority"
    rationale = "Their relative order is not defined by the configuration."
    example = '{"priority": 200}'
    tags = ("firewall",)


class Unresolved(Rule):
    id = "EGL004"
    name = "unresolved-value"
    severity = Severity.INFO
    summary = "A value could not be resolved"
    rationale = "Dependent checks were skipped."
    precision = "medium"


class NeverFires(Rule):
    id = "EGL999"
    name = "never-fires"
    severity = Severity.ERROR
    summary = "A rule without findings is still described"
    rationale = "Viewers need the metadata of every rule that ran."


RULES: dict[str, type[Rule]] = {
    r.id: r for r in (NeverFires, Unresolved, RouteNextHop, DuplicatePriority)
}

SCRIPT = (
    "#!/usr/bin/env bash\n"
    "az network route-table route create -g rg --route-table-name rt -n default \\\n"
    "  --address-prefix 0.0.0.0/0 --next-hop-type Internet\n"
)


def finding_route(line: int = 3) -> Finding:
    return Finding(
        "EGL102",
        "route 'default' on route table 'rt' sends 0.0.0.0/0 to Internet",
        Severity.ERROR,
        Location("infra dir/déploiement aks.sh", line, 46, line, 54, (0, "--next-hop-type")),
        (
            Related(
                Location("infra dir/déploiement aks.sh", line - 1, 1, line - 1, 36),
                "route created here",
            ),
            Related(Location("hub/firewall.json", 40, 17), "firewall 'fw-hub'"),
        ),
        subject="route:rg/rt/default",
    )


def make_report(root: Path) -> Report:
    findings = [
        Finding(
            "EGL206",
            "rule collections 'a' and 'b' share priority 200",
            Severity.WARNING,
            Location(
                "hub/firewall.json", 12, 9, 12, 24, ("resources", 0, "properties", "priority")
            ),
            (Related(Location("hub/firewall.json", 30, 9, 30, 24), "collection 'b'"),),
        ),
        finding_route(),
        Finding(
            "EGL004",
            "next hop $FW_IP is unset: EGL102 skipped",
            Severity.INFO,
            Location("日本/スクリプト.sh", 1, 1),
        ),
    ]
    return Report(
        findings=findings,
        files=["hub/firewall.json", "infra dir/déploiement aks.sh", "日本/スクリプト.sh"],
        notifications=[
            Notification("warning", "cannot decode file as UTF-8", "infra dir/bad file.sh"),
            Notification("note", "plugin 'acme' failed to load"),
        ],
        root=str(root),
        sources={"infra dir/déploiement aks.sh": SCRIPT},
    )


@pytest.fixture
def log(tmp_path: Path) -> dict:
    return json.loads(get("sarif")(make_report(tmp_path), RULES))


# RFC 3986 URI-reference characters (jsonschema checks "format" only with extra packages).
URI_REFERENCE = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$")


def all_artifact_locations(log: dict):
    run = log["runs"][0]
    for result in run["results"]:
        for loc in result["locations"] + result.get("relatedLocations", []):
            yield loc["physicalLocation"]["artifactLocation"]
    for note in run["invocations"][0]["toolExecutionNotifications"]:
        for loc in note.get("locations", []):
            yield loc["physicalLocation"]["artifactLocation"]


@pytest.mark.skipif(not SCHEMA.is_file(), reason="shared/schemas is not beside the repository")
def test_valid_against_official_schema(log):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    validator = jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


@pytest.mark.skipif(not SCHEMA.is_file(), reason="shared/schemas is not beside the repository")
def test_empty_report_is_valid(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    empty = json.loads(sarif.render(Report(root=str(tmp_path)), {}))
    jsonschema.Draft4Validator(schema).validate(empty)
    assert empty["runs"][0]["results"] == []
    assert empty["runs"][0]["tool"]["driver"]["rules"] == []


def test_log_shape(log, tmp_path):
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "egresslint"
    assert driver["version"] == driver["semanticVersion"] == __version__
    assert driver["informationUri"] == "https://github.com/egresslint/egresslint"
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.resolve().as_uri() + "/"}}
    assert run["invocations"][0]["executionSuccessful"] is True


def test_every_rule_is_described_sorted(log):
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["EGL004", "EGL102", "EGL206", "EGL999"]
    route = rules[1]
    assert route["name"] == "default-route-next-hop"
    assert route["shortDescription"]["text"] == RouteNextHop.summary
    assert route["fullDescription"]["text"] == RouteNextHop.rationale
    assert route["helpUri"] == RouteNextHop.sources[0]
    assert route["defaultConfiguration"] == {"level": "error"}
    assert route["properties"] == {
        "tags": ["routing", "security"],
        "precision": "very-high",
        "security-severity": "8.0",
    }
    markdown = route["help"]["markdown"]
    assert markdown.startswith(RouteNextHop.rationale)
    assert "```bash\n" + RouteNextHop.example + "\n```" in markdown
    assert "```bash\n" + RouteNextHop.fix + "\n```" in markdown
    assert "- <https://learn.microsoft.com/azure/aks/limit-egress-traffic>" in markdown
    indented_fix = "\n".join("    " + line for line in RouteNextHop.fix.splitlines())
    assert (
        "\n\nUse instead:\n" + indented_fix + "\n\nReferences:\n- https://" in route["help"]["text"]
    )
    assert '```json\n{"priority": 200}\n```' in rules[2]["help"]["markdown"]
    assert "helpUri" not in rules[0]  # no sources: no helpUri rather than an empty one
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in rules}
    assert levels == {"EGL004": "note", "EGL102": "error", "EGL206": "warning", "EGL999": "error"}
    severities = {r["id"]: r["properties"]["security-severity"] for r in rules}
    assert severities == {"EGL004": "2.0", "EGL102": "8.0", "EGL206": "5.0", "EGL999": "8.0"}


def test_results_have_region_fingerprint_and_rule_index(log, tmp_path):
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    report = make_report(tmp_path)
    assert len(run["results"]) == len(report.findings)
    for result, finding in zip(run["results"], report.findings, strict=True):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == finding.rule_id
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"] == finding.message
        (location,) = result["locations"]
        region = location["physicalLocation"]["region"]
        assert set(region) == {"startLine", "startColumn", "endLine", "endColumn"}
        assert region["startLine"] == finding.location.line
        assert region["startColumn"] == finding.location.column
        assert (region["endLine"], region["endColumn"]) > (
            region["startLine"],
            region["startColumn"],
        )
        source_line = report.source_line(finding.location.file, finding.location.line)
        assert result["partialFingerprints"] == {"egresslint/v1": finding.fingerprint(source_line)}
    assert [r["level"] for r in run["results"]] == ["warning", "error", "note"]


def test_regions(log):
    results = log["runs"][0]["results"]
    route = results[1]["locations"][0]["physicalLocation"]["region"]
    assert route == {"startLine": 3, "startColumn": 46, "endLine": 3, "endColumn": 54}
    unknown_end = results[2]["locations"][0]["physicalLocation"]["region"]
    assert unknown_end == {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 2}
    assert sarif.region(Location("f", 5, 7, 5, 7)) == {
        "startLine": 5,
        "startColumn": 7,
        "endLine": 5,
        "endColumn": 8,
    }
    assert sarif.region(Location("f", 5, 7, 9, 2)) == {
        "startLine": 5,
        "startColumn": 7,
        "endLine": 9,
        "endColumn": 2,
    }
    assert sarif.region(Location("f", 0, 0)) == {
        "startLine": 1,
        "startColumn": 1,
        "endLine": 1,
        "endColumn": 2,
    }


def test_related_locations(log):
    result = log["runs"][0]["results"][1]
    related = result["relatedLocations"]
    assert [r["id"] for r in related] == [1, 2]
    assert [r["message"]["text"] for r in related] == ["route created here", "firewall 'fw-hub'"]
    assert related[1]["physicalLocation"]["artifactLocation"] == {
        "uri": "hub/firewall.json",
        "uriBaseId": "%SRCROOT%",
    }
    assert related[1]["physicalLocation"]["region"]["startLine"] == 40
    assert "relatedLocations" not in log["runs"][0]["results"][2]


def test_uris_are_encoded_relative_and_never_empty(log):
    uris = []
    for artifact in all_artifact_locations(log):
        assert artifact["uri"] and URI_REFERENCE.match(artifact["uri"]), artifact
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert not artifact["uri"].startswith("/")
        uris.append(artifact["uri"])
    assert "infra%20dir/d%C3%A9ploiement%20aks.sh" in uris
    assert unquote("infra%20dir/d%C3%A9ploiement%20aks.sh") == "infra dir/déploiement aks.sh"
    assert "%E6%97%A5%E6%9C%AC/%E3%82%B9%E3%82%AF%E3%83%AA%E3%83%97%E3%83%88.sh" in uris
    assert "infra%20dir/bad%20file.sh" in uris
    root = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert root.startswith("file:///") and root.endswith("/") and URI_REFERENCE.match(root)


def test_artifact_location_edge_cases():
    assert sarif.artifact_location("./a/b.sh") == {"uri": "a/b.sh", "uriBaseId": "%SRCROOT%"}
    assert sarif.artifact_location("a\\b c.sh") == {"uri": "a/b%20c.sh", "uriBaseId": "%SRCROOT%"}
    assert sarif.artifact_location("a:b#c?.sh") == {
        "uri": "a%3Ab%23c%3F.sh",
        "uriBaseId": "%SRCROOT%",
    }
    assert sarif.artifact_location("/abs/x y.sh") == {"uri": "file:///abs/x%20y.sh"}
    assert sarif.artifact_location("C:\\work\\x.sh") == {"uri": "file:///C:/work/x.sh"}
    assert sarif.artifact_location("")["uri"]
    assert sarif.root_uri("/srv/with space").endswith("/with%20space/")


def test_notifications_go_to_invocations(log):
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notes[0] == {
        "level": "warning",
        "message": {"text": "cannot decode file as UTF-8"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": "infra%20dir/bad%20file.sh",
                        "uriBaseId": "%SRCROOT%",
                    }
                }
            }
        ],
    }
    assert notes[1] == {"level": "note", "message": {"text": "plugin 'acme' failed to load"}}
    assert all(r["level"] not in ("none", "pass") for r in log["runs"][0]["results"])


def test_finding_of_unknown_rule_gets_a_descriptor(tmp_path):
    report = Report(
        findings=[Finding("ACME001", "m", Severity.WARNING, Location("a.sh", 1))],
        root=str(tmp_path),
    )
    run = json.loads(sarif.render(report, RULES))["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert ids == ["ACME001", "EGL004", "EGL102", "EGL206", "EGL999"]
    assert run["results"][0]["ruleIndex"] == 0


def test_fingerprint_survives_lines_added_above(tmp_path):
    def fingerprint(report: Report) -> str:
        return json.loads(sarif.render(report, RULES))["runs"][0]["results"][0][
            "partialFingerprints"
        ]["egresslint/v1"]

    path = "infra dir/déploiement aks.sh"
    before = Report(findings=[finding_route(3)], root=str(tmp_path), sources={path: SCRIPT})
    shifted = "# a comment\n\n\necho hello\n" + SCRIPT
    after = Report(findings=[finding_route(3 + 4)], root=str(tmp_path), sources={path: shifted})
    assert before.source_line(path, 3) == after.source_line(path, 7)
    assert fingerprint(before) == fingerprint(after)
    reindented = Report(
        findings=[finding_route(3)],
        root=str(tmp_path),
        sources={path: SCRIPT.replace("  --", "\t--")},
    )
    assert fingerprint(reindented) == fingerprint(before)  # whitespace is normalised
    edited = Report(
        findings=[finding_route(3)],
        root=str(tmp_path),
        sources={path: SCRIPT.replace("Internet", "None")},
    )
    assert fingerprint(edited) != fingerprint(before)


def test_deterministic(tmp_path):
    assert sarif.render(make_report(tmp_path), RULES) == sarif.render(make_report(tmp_path), RULES)


@pytest.mark.skipif(shutil.which("sarif") is None, reason="sarif-tools (`sarif`) is not installed")
def test_sarif_tools_round_trip(tmp_path):
    out = tmp_path / "egresslint.sarif"
    out.write_text(sarif.render(make_report(tmp_path), RULES), encoding="utf-8")

    def run(*args: str) -> str:
        return subprocess.run(
            ["sarif", *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=True,
            cwd=tmp_path,
            timeout=120,
        ).stdout

    summary = run("summary", str(out))
    assert "error: 1" in summary and "warning: 1" in summary and "note: 1" in summary
    assert "EGL102 route 'default' on route table 'rt' sends 0.0.0.0/0 to Internet: 1" in summary

    assert "egresslint.sarif" in run("ls", str(out))

    run("csv", str(out), "-o", str(tmp_path / "out.csv"))
    csv = (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert "egresslint,error,EGL102," in csv
    assert "infra%20dir/d%C3%A9ploiement%20aks.sh,3" in csv
    assert "hub/firewall.json,12" in csv
