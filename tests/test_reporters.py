"""Reporters: exact text snapshots, the JSON schema, GitHub escaping, lazy loading."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from egresslint import __version__, reporters
from egresslint.checks.base import Rule
from egresslint.findings import Finding, Related, Severity
from egresslint.model import Location
from egresslint.report import Notification, Report
from egresslint.reporters import github, text

REPO = Path(__file__).resolve().parents[1]


class RouteNextHop(Rule):
    id = "EGL102"
    name = "default-route-next-hop"
    severity = Severity.ERROR
    summary = "The default route of a cluster subnet has a wrong next hop"
    rationale = "AKS rejects a userDefinedRouting cluster whose default route goes to Internet."
    sources = ("https://learn.microsoft.com/azure/aks/egress-outboundtype",)
    tags = ("routing",)


class AllowAll(Rule):
    id = "EGL203"
    name = "allow-all-egress"
    severity = Severity.WARNING
    summary = "A firewall rule allows all egress"
    rationale = "The firewall no longer controls the cluster's egress."


class Typographic(Rule):
    id = "EGL002"
    name = "typographic-punctuation"
    severity = Severity.ERROR
    summary = "Typographic punctuation in a command"
    rationale = "The tool receives the dash literally."


RULES: dict[str, type[Rule]] = {r.id: r for r in (RouteNextHop, AllowAll, Typographic)}

AKS_SH = (
    "#!/usr/bin/env bash\n"
    "az network route-table route create -g rg --route-table-name rt -n default \\\n"
    "\t--address-prefix 0.0.0.0/0 --next-hop-type Internet\n"
)
NOTES_MD = "# メモ\n# 日本語 az aks create –outbound-type userDefinedRouting\n"


def make_report() -> Report:
    route = Finding(
        "EGL102",
        "route 'default' on route table 'rt' sends 0.0.0.0/0 to Internet",
        Severity.ERROR,
        Location("infra/aks.sh", 3, 45, 3, 53, (0, "--next-hop-type")),
        (
            Related(Location("infra/aks.sh", 2, 1, 2, 36), "route created here"),
            Related(Location("infra/net.sh", 7, 1), "cluster 'aks' uses this route table"),
        ),
        subject="route:rg/rt/default",
    )
    dash = Finding(
        "EGL002",
        "flag '–outbound-type' starts with an en dash",
        Severity.ERROR,
        Location("docs/notes.md", 2, 21, 2, 35),
    )
    allow = Finding(
        "EGL203",
        "network rule 'all' allows any destination",
        Severity.WARNING,
        Location("k8s/fw.json", 12, 9),  # no source text: no excerpt
    )
    info = Finding(
        "EGL004",
        "next hop 10.9.0.4 is outside the scan",
        Severity.INFO,
        Location("infra/net.sh", 9, 3),
    )
    return Report(
        findings=[dash, route, allow, info],
        files=["docs/notes.md", "infra/aks.sh", "infra/net.sh", "k8s/fw.json"],
        notifications=[Notification("warning", "cannot decode file as UTF-8", "infra/bad.sh")],
        root=str(REPO),
        sources={"infra/aks.sh": AKS_SH, "docs/notes.md": NOTES_MD, "infra/net.sh": ""},
        suppressed=2,
    )


# --------------------------------------------------------------------------- text

TEXT_PLAIN = """\
infra/bad.sh: warning: cannot decode file as UTF-8
docs/notes.md:2:21: EGL002 error: flag '–outbound-type' starts with an en dash
infra/aks.sh:3:45: EGL102 error: route 'default' on route table 'rt' sends 0.0.0.0/0 to Internet
  = note: infra/aks.sh:2:1: route created here
  = note: infra/net.sh:7:1: cluster 'aks' uses this route table
k8s/fw.json:12:9: EGL203 warning: network rule 'all' allows any destination
infra/net.sh:9:3: EGL004 info: next hop 10.9.0.4 is outside the scan
Found 4 findings (2 errors, 1 warning, 1 info) in 4 files, 2 suppressed.
"""

TEXT_EXCERPT = """\
infra/bad.sh: warning: cannot decode file as UTF-8
docs/notes.md:2:21: EGL002 error: flag '–outbound-type' starts with an en dash
  |
2 | # 日本語 az aks create –outbound-type userDefinedRouting
  |                        ^^^^^^^^^^^^^^

infra/aks.sh:3:45: EGL102 error: route 'default' on route table 'rt' sends 0.0.0.0/0 to Internet
  |
3 |     --address-prefix 0.0.0.0/0 --next-hop-type Internet
  |                                                ^^^^^^^^
  = note: infra/aks.sh:2:1: route created here
  = note: infra/net.sh:7:1: cluster 'aks' uses this route table

k8s/fw.json:12:9: EGL203 warning: network rule 'all' allows any destination

infra/net.sh:9:3: EGL004 info: next hop 10.9.0.4 is outside the scan

Found 4 findings (2 errors, 1 warning, 1 info) in 4 files, 2 suppressed.
"""


def test_text_snapshot_plain():
    assert reporters.get("text")(make_report(), RULES) == TEXT_PLAIN


def test_text_snapshot_excerpt():
    assert reporters.get("text")(make_report(), RULES, excerpt=True) == TEXT_EXCERPT


def test_text_no_color_by_default_and_color_on_request():
    plain = text.render(make_report(), RULES, excerpt=True)
    assert "\x1b[" not in plain
    colored = text.render(make_report(), RULES, excerpt=True, color=True)
    assert "\x1b[31m" in colored and "\x1b[33m" in colored and "\x1b[34m" in colored
    assert "\x1b[1mEGL102\x1b[0m" in colored
    strip = __import__("re").compile(r"\x1b\[[0-9;]*m")
    assert strip.sub("", colored) == plain


def test_text_summary_variants():
    empty = Report(files=["a.sh"])
    assert text.render(empty, RULES) == "No findings in 1 file.\n"
    empty.suppressed = 3
    empty.files = []
    assert text.render(empty, RULES) == "No findings in 0 files, 3 suppressed.\n"
    one = Report(
        findings=[Finding("EGL203", "m", Severity.WARNING, Location("a.sh", 1))], files=["a.sh"]
    )
    assert text.render(one, RULES).endswith("Found 1 finding (1 warning) in 1 file.\n")


def test_text_excerpt_edge_cases():
    src = "x = 1\n\tfoo\tbar\n" + "y" * 500 + "TARGET" + "z" * 500 + "\n"
    findings = [
        # tab before and inside the span; end column unknown: one caret
        Finding("EGL203", "tab", Severity.WARNING, Location("f.sh", 2, 6)),
        # span continues on the next line: underline to the end of this line
        Finding("EGL203", "multi", Severity.WARNING, Location("f.sh", 1, 3, 2, 2)),
        # a very long line is cut to a window around the span
        Finding("EGL203", "long", Severity.WARNING, Location("f.sh", 3, 501, 3, 507)),
        # a column past the end of the line: caret just after the text
        Finding("EGL203", "eol", Severity.WARNING, Location("f.sh", 1, 40, 1, 50)),
        # a line that does not exist: no excerpt, no crash
        Finding("EGL203", "gone", Severity.WARNING, Location("f.sh", 99, 1)),
    ]
    out = text.render(
        Report(findings=findings, files=["f.sh"], sources={"f.sh": src}), RULES, excerpt=True
    )
    blocks = out.split("\n\n")
    assert blocks[0].splitlines()[2:] == ["2 |     foo    bar", "  |            ^"]
    assert blocks[1].splitlines()[2:] == ["1 | x = 1", "  |   ^^^"]
    long_src, long_caret = blocks[2].splitlines()[2:]
    assert long_src == "3 | ..." + "y" * 40 + "TARGET" + "z" * 40 + "..."
    assert long_caret == "  | " + " " * 43 + "^^^^^^"
    assert blocks[3].splitlines()[2:] == ["1 | x = 1", "  |      ^"]
    assert blocks[4] == "f.sh:99:1: EGL203 warning: gone"


def test_text_control_characters_are_neutralised():
    src = "echo \x1b[31mred \u202eevil\n"
    finding = Finding("EGL203", "m", Severity.WARNING, Location("f.sh", 1, 16, 1, 20))
    out = text.render(
        Report(findings=[finding], files=["f.sh"], sources={"f.sh": src}), RULES, excerpt=True
    )
    assert "\x1b" not in out and "\u202e" not in out
    assert "1 | echo \ufffd[31mred \ufffdevil\n  |                ^^^^\n" in out


# --------------------------------------------------------------------------- json


def test_json_schema_and_order():
    report = make_report()
    doc = json.loads(reporters.get("json")(report, RULES))
    assert list(doc) == ["version", "tool", "summary", "findings", "notifications"]
    assert doc["version"] == 1
    assert doc["tool"] == {"name": "egresslint", "version": __version__}
    assert doc["summary"] == {
        "files": 4,
        "findings": 4,
        "by_severity": {"error": 2, "warning": 1, "info": 1},
        "suppressed": 2,
        "analysed_files": 4,
    }
    assert [f["rule"] for f in doc["findings"]] == ["EGL002", "EGL102", "EGL203", "EGL004"]
    route = doc["findings"][1]
    assert list(route) == [
        "rule",
        "name",
        "severity",
        "message",
        "location",
        "related",
        "fingerprint",
        "fix",
    ]
    assert route["name"] == "default-route-next-hop"
    assert route["severity"] == "error"
    assert route["location"] == {
        "file": "infra/aks.sh",
        "line": 3,
        "column": 45,
        "end_line": 3,
        "end_column": 53,
    }
    assert route["related"][1] == {
        "message": "cluster 'aks' uses this route table",
        "location": {
            "file": "infra/net.sh",
            "line": 7,
            "column": 1,
            "end_line": None,
            "end_column": None,
        },
    }
    finding = report.findings[1]
    assert route["fingerprint"] == finding.fingerprint(report.source_line("infra/aks.sh", 3))
    assert doc["findings"][3]["name"] is None  # EGL004's metadata was not passed in
    assert route["fix"] is None  # always present; null when the finding has no fix
    assert doc["notifications"] == [
        {"level": "warning", "message": "cannot decode file as UTF-8", "file": "infra/bad.sh"}
    ]


def test_json_is_stable_and_indented():
    first = reporters.get("json")(make_report(), RULES)
    assert first == reporters.get("json")(make_report(), RULES)
    assert first.startswith('{\n  "version": 1,\n  "tool": {\n')
    assert first.endswith("}\n")


def test_json_empty_report():
    doc = json.loads(reporters.get("json")(Report(), {}))
    assert doc["summary"] == {
        "files": 0,
        "findings": 0,
        "by_severity": {"error": 0, "warning": 0, "info": 0},
        "suppressed": 0,
        "analysed_files": 0,
    }
    assert doc["findings"] == [] and doc["notifications"] == []


# --------------------------------------------------------------------------- github


def test_github_annotations():
    out = reporters.get("github")(make_report(), RULES).splitlines()
    assert out == [
        "::warning file=infra/bad.sh,title=egresslint::cannot decode file as UTF-8",
        "::error file=docs/notes.md,line=2,col=21,endLine=2,endColumn=35,title=EGL002 typographic-punctuation"
        "::flag '–outbound-type' starts with an en dash",
        "::error file=infra/aks.sh,line=3,col=45,endLine=3,endColumn=53,title=EGL102 default-route-next-hop"
        "::route 'default' on route table 'rt' sends 0.0.0.0/0 to Internet"
        "%0Anote: infra/aks.sh:2:1: route created here"
        "%0Anote: infra/net.sh:7:1: cluster 'aks' uses this route table",
        "::warning file=k8s/fw.json,line=12,col=9,endLine=12,title=EGL203 allow-all-egress"
        "::network rule 'all' allows any destination",
        "::notice file=infra/net.sh,line=9,col=3,endLine=9,title=EGL004::next hop 10.9.0.4 is outside the scan",
    ]


def test_github_escaping():
    assert github.escape_data("100% a\r\nb: c, d") == "100%25 a%0D%0Ab: c, d"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    finding = Finding(
        "EGL203",
        "50% of rules: a, b\nsecond line",
        Severity.WARNING,
        Location("dir,with:odd%chars/f.sh", 4, 2, 6, 3),
    )
    (line,) = github.render(Report(findings=[finding]), RULES).splitlines()
    assert line == (
        "::warning file=dir%2Cwith%3Aodd%25chars/f.sh,line=4,endLine=6,title=EGL203 allow-all-egress"
        "::50%25 of rules: a, b%0Asecond line"
    )


def test_github_empty_report_prints_nothing():
    assert github.render(Report(files=["a.sh"]), RULES) == ""


# --------------------------------------------------------------------------- registry


def test_formats_and_get():
    assert reporters.FORMATS == ("text", "json", "sarif", "github")
    for name in reporters.FORMATS:
        out = reporters.get(name)(make_report(), RULES)
        assert isinstance(out, str) and out
    with pytest.raises(ValueError, match="unknown output format"):
        reporters.get("xml")


def test_reporters_are_imported_lazily():
    code = (
        "import sys, egresslint.reporters as r\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('egresslint.reporters.'))\n"
        "assert loaded == [], loaded\n"
        "r.get('text')\n"
        "assert 'egresslint.reporters.text' in sys.modules\n"
        "assert 'egresslint.reporters.sarif' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_text_statistics():
    report = make_report()
    report.findings.append(
        Finding("EGL002", "another dash", Severity.ERROR, Location("docs/notes.md", 2, 40))
    )
    assert text.render(report, RULES, statistics=True) == (
        "infra/bad.sh: warning: cannot decode file as UTF-8\n"
        "2  EGL002  error    typographic-punctuation\n"
        "1  EGL004  info\n"
        "1  EGL102  error    default-route-next-hop\n"
        "1  EGL203  warning  allow-all-egress\n"
        "Found 5 findings (3 errors, 1 warning, 1 info) in 4 files, 2 suppressed.\n"
    )


# --------------------------------------------------------------------------- properties

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


def _unescape(text: str) -> str:
    for code, char in (("%2C", ","), ("%3A", ":"), ("%0A", "\n"), ("%0D", "\r"), ("%25", "%")):
        text = text.replace(code, char)
    return text


@hypothesis.given(path=st.text(min_size=1), message=st.text())
def test_github_round_trip(path: str, message: str):
    finding = Finding("EGL203", message, Severity.WARNING, Location(path, 3, 2, 3, 9))
    out = github.render(Report(findings=[finding]), RULES)
    assert out.count("\n") == 1 and "\r" not in out
    head, _, data = out[:-1].partition("::")[2].partition("::")
    props = dict(p.split("=", 1) for p in head.split(" ", 1)[1].split(","))
    assert _unescape(props["file"]) == path
    assert _unescape(data) == message


@hypothesis.given(
    line=st.text(st.characters(blacklist_categories=("Cs",)), max_size=300).map(
        lambda s: s.replace("\n", " ").replace("\r", " ")
    ),
    column=st.integers(min_value=0, max_value=400),
    width=st.one_of(st.none(), st.integers(min_value=-5, max_value=400)),
)
def test_text_excerpt_never_breaks(line: str, column: int, width: int | None):
    end = None if width is None else column + width
    finding = Finding("EGL203", "m", Severity.WARNING, Location("f.sh", 1, column, 1, end))
    report = Report(findings=[finding], files=["f.sh"], sources={"f.sh": line + "\n"})
    out = text.render(report, RULES, excerpt=True)
    lines = out.split("\n")
    if line.splitlines() and line.splitlines()[0].strip():  # else no excerpt (empty line 1)
        assert len(lines) == 7, out
        assert lines[3].lstrip(" |").count("^") >= 1 and set(lines[3][4:].strip()) == {"^"}
    assert "\x1b" not in out
