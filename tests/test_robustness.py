"""Never a traceback, never a hang: the whole scanner on real files and on hostile or random
input."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

from conftest import shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egresslint.config import Config
from egresslint.engine import scan
from egresslint.frontends import SourceFile, azcli, markdown

ALPHABET = st.sampled_from(list("az network --route-table $(){}[]'\"`\\\n\t ;|&<>#=-–—“”‘’0123456789./*@"))


def test_corpus_scans_without_traceback():
    corpus = shared_path("corpus")
    # --no-cache: the corpus is someone else's tree, a test must not leave .egresslint_cache/ in it
    proc = subprocess.run([sys.executable, "-m", "egresslint", "scan", str(corpus), "--format", "sarif", "--no-cache"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    import json

    import jsonschema

    sarif = json.loads(proc.stdout)
    schema = json.loads(shared_path("schemas", "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert results
    for result in results:
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert result["partialFingerprints"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(ALPHABET, max_size=300), st.sampled_from(["bash", "powershell"]))
def test_random_scripts_never_crash(text, dialect):
    azcli.load(SourceFile("x.sh", text, "script", dialect))


@settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_random_markdown_never_crashes(text):
    markdown.load(SourceFile("x.md", "```bash\n" + text + "\n```\n", "markdown"))


@settings(max_examples=40, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_mutated_real_scripts_never_crash(rnd: random.Random):
    scripts = sorted(shared_path("corpus", "scripts").iterdir())
    path = rnd.choice(scripts)
    text = path.read_text(encoding="utf-8")
    chars = list(text)
    for _ in range(rnd.randint(1, 20)):
        i = rnd.randrange(len(chars) + 1)
        op = rnd.random()
        if op < 0.4 and chars:
            del chars[min(i, len(chars) - 1)]
        else:
            chars.insert(i, rnd.choice("$(){}'\"`\\\n–“;|<>"))
    mutated = "".join(chars)
    dialect = "powershell" if path.suffix == ".ps1" else "bash"
    azcli.load(SourceFile(path.name, mutated, "script", dialect))


def test_hostile_files_are_notices_or_findings(tmp_path: Path):
    (tmp_path / "binary.sh").write_bytes(b"\x00\x01\x02az network\x00")
    (tmp_path / "latin1.sh").write_bytes("az group create -n caf\xe9 -l westeurope\n".encode("latin-1"))
    (tmp_path / "utf16.ps1").write_bytes("az group create -n rg -l westeurope\r\n".encode("utf-16"))
    (tmp_path / "crlf.sh").write_bytes(b"az network vnet create -g rg -n v \\\r\n  --address-prefixes 10.0.0.0/16\r\n")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (tmp_path / "bomb.yaml").write_text("apiVersion: v1\nkind: List\na: &a [x, x, x, x, x, x, x, x, x]\n"
                                        + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, "
                                                  f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9)),
                                        encoding="utf-8")
    (tmp_path / "loop").symlink_to(tmp_path)
    report = scan([tmp_path], Config(), root=tmp_path)
    notes = " ".join(n.message for n in report.notifications)
    assert "binary" in notes
    rules = {(f.location.file, f.rule_id) for f in report.findings}
    assert ("latin1.sh", "EGL001") in rules
    assert not [n for n in report.notifications if "internal error" in n.message]


def test_oversized_and_vanished_files(tmp_path: Path):
    from egresslint.files import Candidate, read

    big = tmp_path / "huge.json"
    with big.open("w", encoding="utf-8") as fh:
        fh.write('{"resources": [')
        fh.write(",".join(['{"type": "x"}'] * 3_700_000))  # ~50 MB
        fh.write("]}")
    report = scan([tmp_path], Config(), root=tmp_path)
    assert any("max-file-size" in n.message for n in report.notifications)
    gone = Candidate(tmp_path / "gone.sh", "gone.sh", "script", "bash")
    result = read(gone)
    assert result.source is None and "disappeared" in result.note.message
