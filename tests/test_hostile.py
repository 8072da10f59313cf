"""Hostile input (issue 8, scope 4): every case yields a finding (EGL001 with its line and
column) or a skip notice, in bounded time and memory, and never a traceback: through the
library API and through the CLI in a child process capped in memory (exit 0 or 1; 2 is only
for usage errors). Also: positions survive CRLF line endings and UTF-16/32 encodings, and the
output does not depend on ``--jobs``."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import shared_path

from egresslint import engine
from egresslint.config import Config
from egresslint.engine import scan
from egresslint.registry import load
from egresslint.reporters import render

try:
    import resource
except ImportError:  # Windows: no address-space cap, no ru_maxrss
    resource = None  # type: ignore[assignment]

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
RULES = load().rules
# Address space a child scan may map: a normal scan maps ~150 MB, the 50 MB template with the
# limit raised ~900 MB. Over it the child gets MemoryError (a traceback: the test fails) instead
# of swapping the shared CI machine to death.
MEMORY_LIMIT = 2 * 1024**3
PEAK_RSS_LIMIT_KIB = 1024 * 1024
# Wall time for one hostile case on a loaded 2-core runner; most take well under a second.
TIME_LIMIT = 45.0

SCRIPT = "az group create -n rg -l westeurope\naz group create -n rg \u2013l westeurope\n"
SCRIPT_FINDING = ("EGL002", 2, 23)  # the en dash


def template(resources: str) -> str:
    return f'{{"$schema": "{SCHEMA}", "contentVersion": "1.0.0.0", "resources": [{resources}]}}'


# --------------------------------------------------------------------------- running a scan


_CHILD = """
import atexit, resource, sys
atexit.register(lambda: sys.stderr.write(
    "\\negresslint-test-maxrss-kib=%d\\n" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
{prelude}
from egresslint.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


@dataclass
class Run:
    report: dict[str, Any]
    seconds: float
    peak_rss_kib: int | None = None


def run_cli(cwd: Path, *args: str, prelude: str = "", timeout: float = 120) -> Run:
    """``egresslint scan . ARGS --format json`` in a child process capped in address space;
    subprocess.run kills it at ``timeout`` (a hang fails the test instead of blocking CI)."""
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    started = time.perf_counter()
    if resource is not None:
        argv = [sys.executable, "-c", _CHILD.format(prelude=prelude)]
    else:
        assert not prelude, "preludes need the -c launcher"
        argv = [sys.executable, "-m", "egresslint"]
    proc = subprocess.run([*argv, "scan", ".", *args, "--format", "json", "--no-cache"], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, check=False,
                          preexec_fn=cap if resource is not None else None)
    seconds = time.perf_counter() - started
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    rss = [int(line.split("=")[1]) for line in proc.stderr.splitlines() if line.startswith("egresslint-test-maxrss")]
    return Run(json.loads(proc.stdout), seconds, rss[0] if rss else None)


def run_api(folder: Path, max_file_size: int | None = None) -> Run:
    config = Config() if max_file_size is None else Config(max_file_size=max_file_size)
    started = time.perf_counter()
    report = scan([folder], config, root=folder)
    seconds = time.perf_counter() - started
    return Run(json.loads(render("json", report, RULES)), seconds)


def findings(report: dict[str, Any], file: str | None = None) -> set[tuple[str, str, int, int]]:
    return {(f["rule"], f["location"]["file"], f["location"]["line"], f["location"]["column"])
            for f in report["findings"] if file is None or f["location"]["file"] == file}


def notices(report: dict[str, Any], file: str | None = None) -> list[str]:
    return [n["message"] for n in report["notifications"] if file is None or n.get("file") == file]


# --------------------------------------------------------------------------- the cases


@dataclass
class Case:
    build: Callable[[Path], None]
    # (rule, file, line, column) that must be reported
    findings: list[tuple[str, str, int, int]] = field(default_factory=list)
    # (file, words) of skip notices that must be given
    notices: list[tuple[str, str]] = field(default_factory=list)
    # files that must be scanned without any finding or notice (not for this tool: silent)
    silent: list[str] = field(default_factory=list)
    max_file_size: int | None = None
    # False where a regression would hang or exhaust the test process itself: CLI only
    in_process: bool = True


def _write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8", newline="")


HUGE_LINES = 600_000  # resources of ~85 bytes: a ~51 MB template


def _huge_template(folder: Path) -> None:
    """A ~51 MB template, one resource per line, whose last resource holds a broken expression
    (an EGL001 at a known line: the scan really read to the end)."""
    site = '{"type": "Microsoft.Web/sites", "apiVersion": "2022-03-01", "name": "site", "location": "x"}'
    with (folder / "huge.json").open("w", encoding="utf-8") as fh:
        fh.write(f'{{"$schema": "{SCHEMA}", "contentVersion": "1.0.0.0", "resources": [\n')
        fh.write((site + ",\n") * HUGE_LINES)
        fh.write('{"type": "Microsoft.Network/routeTables", "apiVersion": "2023-09-01", "name": "[concat(\'rt\']"}\n')
        fh.write("]}\n")


def _binaries(folder: Path) -> None:
    elf = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4
    for name in ("tool.sh", "tool.ps1", "blob.json", "blob.yaml", "blob.md"):
        _write(folder / name, elf)


def _symlink_loops(folder: Path) -> None:
    (folder / "loop").symlink_to(".", target_is_directory=True)
    (folder / "a.sh").symlink_to("b.sh")
    (folder / "b.sh").symlink_to("a.sh")
    (folder / "self.sh").symlink_to("self.sh")
    _write(folder / "ok.sh", SCRIPT)


def _directory_named_like_a_script(folder: Path) -> None:
    _write(folder / "x.sh" / "inner.sh", SCRIPT)


def _fifos(folder: Path) -> None:
    os.mkfifo(folder / "x.sh")
    os.mkfifo(folder / "runme")  # no suffix: discovery sniffs the shebang, which must not block either
    _write(folder / "ok.sh", SCRIPT)


def _dev_zero(folder: Path) -> None:
    for name in ("zero.sh", "zero.json", "zero"):
        (folder / name).symlink_to("/dev/zero")
    _write(folder / "ok.sh", SCRIPT)


def _deep_bash(folder: Path) -> None:
    _write(folder / "nest.sh", "az group create -n rg -l westeurope\nx=" + "$(" * 5000 + "echo" + ")" * 5000 + "\n")


CASES: dict[str, Case] = {
    "50MB JSON, default --max-file-size": Case(_huge_template, notices=[("huge.json", "max-file-size")]),
    # EGL001 at the end of the unclosed call in the last line: the whole file was read
    "50MB JSON, limit raised": Case(_huge_template, findings=[("EGL001", "huge.json", HUGE_LINES + 2, 92)],
                                    max_file_size=100_000_000, in_process=False),
    "100,000-deep JSON template": Case(lambda d: _write(d / "deep.json", template("[" * 100_000 + "]" * 100_000)),
                                       findings=[("EGL001", "deep.json", 1, 1)]),
    "100,000-deep JSON object": Case(lambda d: _write(d / "deep.json", f'{{"$schema": "{SCHEMA}", "x": '
                                                      + '{"a": ' * 100_000 + "1" + "}" * 100_001),
                                     findings=[("EGL001", "deep.json", 1, 1)]),
    "100,000-deep JSON, not Azure": Case(lambda d: _write(d / "deep.json", "[" * 100_000 + "]" * 100_000),
                                         silent=["deep.json"]),
    "100,000-deep YAML flow": Case(lambda d: _write(d / "deep.yaml", "apiVersion: v1\nkind: Service\nspec:\n  ports: "
                                                    + "[" * 100_000 + "]" * 100_000 + "\n"),
                                   findings=[("EGL001", "deep.yaml", 1, 1)]),
    "100,000-deep YAML block": Case(lambda d: _write(d / "deep.yaml", "apiVersion: v1\nkind: Service\nspec:\n  ports:\n  "
                                                     + "- " * 100_000 + "x\n"),
                                    findings=[("EGL001", "deep.yaml", 1, 1)]),
    "YAML alias bomb": Case(lambda d: _write(d / "bomb.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"
                                             "a: &a [x, x, x, x, x, x, x, x, x]\n"
                                             + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9)
                                                       + "]\n" for i in range(12)) + "spec:\n  ports: *m\n"),
                            findings=[("EGL001", "bomb.yaml", 1, 1)]),
    "binary files with script extensions": Case(_binaries, notices=[(n, "binary") for n in (
        "tool.sh", "tool.ps1", "blob.json", "blob.yaml", "blob.md")]),
    "invalid UTF-8": Case(lambda d: _write(d / "bad.sh", b"az group create -n rg -l westeurope\n"
                                           b"az network vnet create -g rg -n v\xff\xfe --address-prefixes 10.0.0.0/16\n"),
                          findings=[("EGL001", "bad.sh", 2, 34)]),
    "UTF-16 LE with BOM": Case(lambda d: _write(d / "u.ps1", b"\xff\xfe" + SCRIPT.encode("utf-16-le")),
                               findings=[(SCRIPT_FINDING[0], "u.ps1", *SCRIPT_FINDING[1:])]),
    "UTF-16 BE with BOM": Case(lambda d: _write(d / "u.sh", b"\xfe\xff" + SCRIPT.encode("utf-16-be")),
                               findings=[(SCRIPT_FINDING[0], "u.sh", *SCRIPT_FINDING[1:])]),
    "UTF-32 LE with BOM": Case(lambda d: _write(d / "u.sh", b"\xff\xfe\x00\x00" + SCRIPT.encode("utf-32-le")),
                               findings=[(SCRIPT_FINDING[0], "u.sh", *SCRIPT_FINDING[1:])]),
    "UTF-32 BE with BOM": Case(lambda d: _write(d / "u.sh", b"\x00\x00\xfe\xff" + SCRIPT.encode("utf-32-be")),
                               findings=[(SCRIPT_FINDING[0], "u.sh", *SCRIPT_FINDING[1:])]),
    "UTF-16 with a broken surrogate": Case(lambda d: _write(d / "u.sh", b"\xff\xfe" + SCRIPT.encode("utf-16-le") + b"\x00\xd8\n\x00"),
                                           findings=[("EGL001", "u.sh", 3, 1)]),
    "CRLF line endings": Case(lambda d: _write(d / "crlf.sh", SCRIPT.replace("\n", "\r\n")),
                              findings=[(SCRIPT_FINDING[0], "crlf.sh", *SCRIPT_FINDING[1:])]),
    "lone CR line endings": Case(lambda d: _write(d / "cr.sh", SCRIPT.replace("\n", "\r")),
                                 findings=[(SCRIPT_FINDING[0], "cr.sh", *SCRIPT_FINDING[1:])]),
    "symlink loops": Case(_symlink_loops, findings=[(SCRIPT_FINDING[0], "ok.sh", *SCRIPT_FINDING[1:])],
                          notices=[(n, "symbolic links") for n in ("a.sh", "b.sh", "self.sh")]),
    "a directory named x.sh": Case(_directory_named_like_a_script,
                                   findings=[(SCRIPT_FINDING[0], "x.sh/inner.sh", *SCRIPT_FINDING[1:])]),
    "a FIFO named x.sh": Case(_fifos, findings=[(SCRIPT_FINDING[0], "ok.sh", *SCRIPT_FINDING[1:])],
                              notices=[("x.sh", "not a regular file")], silent=["runme"], in_process=False),
    "symlinks to /dev/zero": Case(_dev_zero, findings=[(SCRIPT_FINDING[0], "ok.sh", *SCRIPT_FINDING[1:])],
                                  in_process=False),
    "a 1 MB line": Case(lambda d: _write(d / "long.sh", "az group create -l westeurope -n " + "a" * 1_000_000
                                         + " \u2013-tags x=y\n"),
                        findings=[("EGL002", "long.sh", 1, 1_000_035)]),
    "100,000 lines": Case(lambda d: _write(d / "many.sh", "az group create -n rg -l westeurope\n" * 99_999
                                           + "az group create -n rg \u2013l westeurope\n"),
                          findings=[("EGL002", "many.sh", 100_000, 23)], in_process=False),  # ~10 s: once
    # reported at the first opener past the shell parser's depth limit (40 levels)
    "5,000 nested $( )": Case(_deep_bash, findings=[("EGL004", "nest.sh", 2, 3 + 2 * 40)]),
    # EGL001 at the first character of the expression (column 81: after '"[')
    "5,000 nested ARM calls": Case(lambda d: _write(d / "calls.json", template(
        '\n{"type": "Microsoft.Network/routeTables", "apiVersion": "2023-09-01", "name": "['
        + "concat(" * 5000 + "'a'" + ")" * 5000 + ']"}')), findings=[("EGL001", "calls.json", 2, 81)]),
    "50,000 chained ARM members": Case(lambda d: _write(d / "members.json", template(
        '\n{"type": "Microsoft.Network/routeTables", "apiVersion": "2023-09-01", "name": "[parameters(\'p\')'
        + ".a" * 50_000 + ']"}')), findings=[("EGL001", "members.json", 2, 81)]),
}


def _check(case: Case, run: Run) -> None:
    got = findings(run.report)
    for want in case.findings:
        assert want in got, (want, sorted(got)[:20])
    for file, words in case.notices:
        assert any(words in m for m in notices(run.report, file)), (file, words, run.report["notifications"])
    for file in case.silent:
        assert not findings(run.report, file) and not notices(run.report, file), file
    assert not [m for m in notices(run.report) if "internal error" in m], run.report["notifications"]
    assert run.seconds < TIME_LIMIT, f"{run.seconds:.1f} s"


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.in_process])
def test_hostile_case_through_the_api(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    case.build(tmp_path)
    _check(case, run_api(tmp_path, case.max_file_size))


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_case_through_the_cli(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    case.build(tmp_path)
    args = ("--max-file-size", str(case.max_file_size)) if case.max_file_size else ()
    run = run_cli(tmp_path, *args)
    _check(case, run)
    if run.peak_rss_kib is not None:
        assert run.peak_rss_kib < PEAK_RSS_LIMIT_KIB, f"{run.peak_rss_kib:,} KiB"


# --------------------------------------------------------------------------- races and permissions


_DENY_OPEN = """
import errno, os
_open = os.open
def _denying_open(path, flags, *args, **kwargs):
    if os.path.basename(os.fspath(path)) == "secret.sh":
        raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
    return _open(path, flags, *args, **kwargs)
os.open = _denying_open
"""

_DELETE_AFTER_DISCOVERY = """
import os
import egresslint.engine as _engine
_discover = _engine.discover
def _discover_then_delete(*args, **kwargs):
    found = _discover(*args, **kwargs)
    os.remove("gone.sh")
    return found
_engine.discover = _discover_then_delete
"""


def test_unreadable_file_is_a_notice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """chmod 000 does not stop root (CI containers often run as root), so the permission error
    is injected where the file is opened."""
    _write(tmp_path / "secret.sh", SCRIPT)
    _write(tmp_path / "ok.sh", SCRIPT)
    run = run_cli(tmp_path, prelude=_DENY_OPEN)
    assert notices(run.report, "secret.sh") == ["cannot read file: Permission denied"]
    assert ("EGL002", "ok.sh", 2, 23) in findings(run.report) and not findings(run.report, "secret.sh")

    real_open = os.open

    def denying_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.path.basename(os.fspath(path)) == "secret.sh":
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denying_open)
    api = run_api(tmp_path)
    assert notices(api.report, "secret.sh") == ["cannot read file: Permission denied"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads files whatever their mode; the injected error above covers it")
def test_chmod_000_file_is_a_notice(tmp_path: Path) -> None:
    _write(tmp_path / "secret.sh", SCRIPT)
    (tmp_path / "secret.sh").chmod(0)
    try:
        run = run_cli(tmp_path)
    finally:
        (tmp_path / "secret.sh").chmod(0o600)
    assert notices(run.report, "secret.sh") == ["cannot read file: Permission denied"]


def test_file_deleted_during_the_scan_is_a_notice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("gone.sh", "ok.sh"):
        _write(tmp_path / name, SCRIPT)
    run = run_cli(tmp_path, prelude=_DELETE_AFTER_DISCOVERY)
    assert notices(run.report, "gone.sh") == ["skipped: the file disappeared during the scan"]
    assert ("EGL002", "ok.sh", 2, 23) in findings(run.report)

    _write(tmp_path / "gone.sh", SCRIPT)
    discover = engine.discover

    def discover_then_delete(*args: Any, **kwargs: Any) -> Any:
        found = discover(*args, **kwargs)
        (tmp_path / "gone.sh").unlink()
        return found

    monkeypatch.setattr(engine, "discover", discover_then_delete)
    assert notices(run_api(tmp_path).report, "gone.sh") == ["skipped: the file disappeared during the scan"]


def test_fifo_in_process_does_not_block(tmp_path: Path) -> None:
    """In the test process itself: were the FIFO opened for reading, a watchdog writer unblocks
    it (so the suite cannot hang) and the elapsed time shows it."""
    _fifos(tmp_path)
    done = threading.Event()

    def watchdog() -> None:
        if done.wait(10):
            return
        for name in ("x.sh", "runme"):
            try:
                os.close(os.open(tmp_path / name, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass  # ENXIO: nobody is reading it

    threading.Thread(target=watchdog, daemon=True).start()
    try:
        run = run_api(tmp_path)
    finally:
        done.set()
    assert run.seconds < 10
    _check(CASES["a FIFO named x.sh"], run)


def test_explicit_fifo_and_loop_paths(tmp_path: Path) -> None:
    """Named on the command line (pre-commit passes file names) rather than found in a walk."""
    _fifos(tmp_path)
    _symlink_loops(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "egresslint", "scan", "x.sh", "a.sh", "self.sh", "--format", "json",
                           "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert "Traceback" not in proc.stderr and proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    assert any("not a regular file" in m for m in notices(report, "x.sh"))
    assert any("symbolic links" in m for m in notices(report, "self.sh"))


# --------------------------------------------------------------------------- positions and encodings


def _rule_fixtures() -> list[Path]:
    from test_rules import fixture_files

    return [p for p in fixture_files("bad") + fixture_files("good") if p.is_file()]


_ENCODINGS: dict[str, Callable[[str], bytes]] = {
    "crlf": lambda t: t.replace("\n", "\r\n").encode("utf-8"),
    "utf-8-bom": lambda t: t.encode("utf-8-sig"),
    "utf-16-le": lambda t: b"\xff\xfe" + t.replace("\n", "\r\n").encode("utf-16-le"),
    "utf-16-be": lambda t: b"\xfe\xff" + t.encode("utf-16-be"),
    "utf-32": lambda t: t.replace("\n", "\r\n").encode("utf-32"),
}


def _located(report: Any) -> list[tuple[Any, ...]]:
    return [(f.rule_id, f.location.file, f.location.line, f.location.column, f.location.end_line,
             f.location.end_column, f.message) for f in report.findings]


@pytest.mark.parametrize("encoding", list(_ENCODINGS))
def test_rule_fixtures_report_the_same_positions_in_any_encoding(encoding: str, tmp_path: Path) -> None:
    """Every rule fixture, re-encoded (CRLF, BOMs, UTF-16/32): the same findings at the same
    line and column as the UTF-8 LF original (a column in a CRLF file counts characters, not
    the CR)."""
    fixtures = _rule_fixtures()
    assert len(fixtures) > 100
    for fixture in fixtures:
        folder = tmp_path / fixture.parent.name
        if not folder.exists():
            shutil.copytree(fixture.parent, folder)
            for member in folder.iterdir():
                if member.is_file() and member.suffix in (".sh", ".ps1", ".json", ".yaml", ".yml", ".md"):
                    member.write_bytes(_ENCODINGS[encoding](member.read_text(encoding="utf-8")))
        pack = fixture.parent / "pack.yaml"
        config = Config(packs=(str(pack),)) if pack.is_file() else Config()
        original = scan([fixture], config, root=fixture.parent)
        converted = scan([folder / fixture.name], config, root=folder)
        assert _located(converted) == _located(original), f"{fixture.parent.name}/{fixture.name} in {encoding}"


# --------------------------------------------------------------------------- determinism


def _hostile_corpus(root: Path) -> Path:
    """Every in-process case in one folder, next to each other."""
    for i, case in enumerate(CASES.values()):
        if case.in_process and case.build is not _huge_template:  # 50 MB twice: covered above
            folder = root / f"case{i:02d}"
            folder.mkdir(parents=True)
            case.build(folder)
    return root


@pytest.mark.parametrize("corpus", ["shared", "hostile"])
def test_output_is_byte_identical_whatever_jobs(corpus: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--jobs 1`` and ``--jobs 2`` (worker processes forced even for a small corpus), text and
    SARIF: byte-identical. The hostile corpus adds notices, decode errors and skips to order."""
    root = shared_path("corpus") if corpus == "shared" else _hostile_corpus(tmp_path / "hostile")
    monkeypatch.setattr(engine, "PARALLEL_THRESHOLD", 2)
    outputs = {}
    for jobs in (1, 2):
        report = scan([root], Config(jobs=jobs), root=root)
        outputs[jobs] = (render("text", report, RULES), render("sarif", report, RULES),
                         render("json", report, RULES))
    assert report.findings
    assert outputs[1] == outputs[2]
