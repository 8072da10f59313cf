"""Benchmark: start-up time and scan throughput on a generated corpus (a script, not a test).

    python benchmarks/bench.py --files 1000 --runs 5            # everything RESULTS.md lists
    python benchmarks/bench.py --files 1000 --runs 5 --scale    # plus 10,000 and 5,000 files

Reports medians (each run a fresh process, the package compiled to bytecode first as an
installed one is): `egresslint --version`, one-file scans, cold, one-process and warm scans of
N mixed files (files/s, MB/s, peak RSS), a warm scan after one file changed; floors on the same files (reading them, `json.loads` of the ARM templates) and
the ARM frontend's files/s against `json.loads` of the same templates (issue 4). With checkov
(`--checkov PATH`, or `checkov` on PATH; install it in its own virtualenv, it is never a
dependency): `checkov -d DIR --framework arm -o sarif` on an N-file ARM-only corpus and
`checkov -f FILE` on one template, as ratios. ``--scale`` adds a 10,000-file scan (peak RSS,
files/s against N files) and pre-commit on one changed file of a 5,000-file project.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate


def run_once(cmd: list[str], cwd: Path | None = None) -> tuple[float, int, bytes]:
    """Wall time, peak RSS (KiB, the largest process of the run: ``wait4`` reports the child's
    own and its waited-for workers' maximum) and stdout of one run of ``cmd``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)  # not proc.wait(): it drops the rusage
        elapsed = time.perf_counter() - started
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed ({code}): {err.read().decode(errors='replace')[-2000:]}")
        return elapsed, usage.ru_maxrss, out.read()


def timed(cmd: list[str], runs: int, cwd: Path | None = None,
          before: Callable[[int], None] | None = None) -> tuple[float, int]:
    """Median wall time of ``cmd`` over ``runs`` fresh processes and the largest peak RSS
    (KiB); ``before(i)`` runs untimed before run i (to edit a file, say)."""
    times, peak = [], 0
    for i in range(runs):
        if before is not None:
            before(i)
        elapsed, rss, _out = run_once(cmd, cwd)
        times.append(elapsed)
        peak = max(peak, rss)
    return statistics.median(times), peak


def floors(folder: Path, runs: int) -> dict[str, float]:
    files = [p for p in folder.rglob("*") if p.is_file() and ".egresslint_cache" not in p.parts]
    arm = [p for p in files if p.suffix == ".json"]
    read_times, json_times = [], []
    for _ in range(runs):
        started = time.perf_counter()
        blobs = [p.read_bytes() for p in files]
        read_times.append(time.perf_counter() - started)
        texts = [p.read_text("utf-8") for p in arm]
        started = time.perf_counter()
        for text in texts:
            json.loads(text)
        json_times.append(time.perf_counter() - started)
    size = sum(len(b) for b in blobs)
    return {"bytes": size, "read_s": statistics.median(read_times), "json_s": statistics.median(json_times),
            "arm_files": len(arm), "arm_bytes": sum(p.stat().st_size for p in arm)}


def arm_throughput(folder: Path, runs: int) -> tuple[float, float, int]:
    """Files/s of the ARM frontend (``frontends.arm.load``: JSON with comments, expressions,
    resources with positions) and of ``json.loads`` on the same templates, in this process
    (no start-up, no inventory or rules): the ratio issue 4 asks for."""
    from egresslint.frontends import SourceFile, arm

    texts = [(p.relative_to(folder).as_posix(), p.read_text("utf-8")) for p in sorted(folder.rglob("*.json"))]
    ours, floor = [], []
    for _ in range(runs):
        started = time.perf_counter()
        for path, text in texts:
            arm.load(SourceFile(path, text, "json"))
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        for _path, text in texts:
            json.loads(text)
        floor.append(time.perf_counter() - started)
    return len(texts) / statistics.median(ours), len(texts) / statistics.median(floor), len(texts)


def project(folder: Path, files: int, arm_only: bool = False) -> dict[str, int]:
    """A generated corpus with a ``.git`` marker: the project root, as in a repository."""
    counts = generate(folder, files, arm_only=arm_only)
    (folder / ".git").mkdir(exist_ok=True)
    return counts


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and ".egresslint_cache" not in p.parts) / 1e6


def load_note() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def compile_package() -> Path:
    """Time start-up as an installed package runs: pip compiles every module to bytecode at
    install. A sandbox with PYTHONDONTWRITEBYTECODE=1 (this one) would otherwise recompile the
    sources on every run (~100 ms of each start-up). Compile once here, and unset the variable
    for the timed processes so a file edited during the run is compiled once, not every time."""
    import compileall

    import egresslint

    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    package = Path(egresslint.__file__).parent  # where Python imports it from (and caches .pyc)
    compileall.compile_dir(package, quiet=1)
    return package


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000, help="files in the mixed and the ARM-only corpus")
    parser.add_argument("--runs", type=int, default=5, help="runs per measure (the median is reported)")
    parser.add_argument("--checkov", help="checkov executable (default: checkov on PATH)")
    parser.add_argument("--checkov-runs", type=int, help="runs of checkov (default: --runs)")
    parser.add_argument("--scale", action="store_true",
                        help="also 10,000 files (peak RSS, scaling) and pre-commit in a 5,000-file project")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = parser.parse_args()
    exe = [sys.executable, "-m", "egresslint"]
    runs = args.runs
    work = args.keep or Path(tempfile.mkdtemp(prefix="egresslint-bench-"))
    try:
        corpus = work / "corpus"
        counts = project(corpus, args.files)
        mb = size_mb(corpus)
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {load_note()} at start")
        print(f"bytecode: {compile_package()} compiled before timing (as pip install does)")
        print(f"corpus: {args.files} files, {mb:.1f} MB {counts}; medians of {runs} runs, each a fresh process")

        version, _ = timed([*exe, "--version"], runs)
        print(f"egresslint --version: {version * 1000:.0f} ms")
        def single(source: Path, name: str) -> str:
            """``source`` alone in a project: a scan analyses the whole project of the file it
            is given, so two files in one folder would time a two-file scan."""
            folder = work / f"single-{name}"
            (folder / ".git").mkdir(parents=True, exist_ok=True)
            return shutil.copy(source, folder / name)

        one_arm = single(next(corpus.rglob("*.json")), "template.json")
        one_sh = single(next(corpus.rglob("*.sh")), "deploy.sh")
        one_arm_s, _ = timed([*exe, "scan", str(one_arm), "--format", "sarif", "--no-cache"], runs)
        one_sh_s, _ = timed([*exe, "scan", str(one_sh), "--format", "sarif", "--no-cache"], runs)
        print(f"one-file scan, start-up included (--no-cache): ARM template {one_arm_s * 1000:.0f} ms, "
              f"bash script {one_sh_s * 1000:.0f} ms")

        scan = [*exe, "scan", ".", "--format", "sarif"]
        cold, rss = timed([*scan, "--no-cache"], runs, corpus)
        serial, _ = timed([*scan, "--no-cache", "--jobs", "1"], runs, corpus)
        reference = run_once([*scan, "--no-cache", "--jobs", "1"], corpus)[2]
        filled = run_once(scan, corpus)[2]  # fills the parse and project caches
        warm, warm_rss = timed(scan, runs, corpus)
        hit = run_once(scan, corpus)[2]
        script = sorted(corpus.rglob("*.sh"))[0]
        original = script.read_bytes()

        def edit(i: int) -> None:  # a new change before each run: never the cached project
            script.write_bytes(original + f"# edited for run {i} {time.time_ns()}\n".encode())

        changed, _ = timed(scan, runs, corpus, before=edit)
        script.write_bytes(original)
        identical = reference == filled == hit
        print(f"cold scan (--no-cache, default --jobs): {cold:.2f} s, {args.files / cold:,.0f} files/s, "
              f"{mb / cold:.2f} MB/s, peak RSS {rss / 1024:.0f} MB")
        print(f"cold scan, one process (--jobs 1): {serial:.2f} s, {args.files / serial:,.0f} files/s")
        print(f"warm scan, nothing changed (project cache): {warm:.2f} s, peak RSS {warm_rss / 1024:.0f} MB")
        print(f"warm scan, one file changed (parse cache for the other {args.files - 1}): {changed:.2f} s")
        print(f"SARIF byte-identical across --jobs 1, cold and warm: {'yes' if identical else 'NO'}")
        fl = floors(corpus, runs)
        print(f"floors: read {fl['bytes'] / 1e6 / fl['read_s']:.0f} MB/s; json.loads of {fl['arm_files']} ARM files "
              f"{fl['arm_bytes'] / 1e6 / fl['json_s']:.0f} MB/s ({fl['arm_files'] / fl['json_s']:,.0f} files/s)")

        arm_dir = work / "arm"
        project(arm_dir, args.files, arm_only=True)
        arm_mb = size_mb(arm_dir)
        ours_fps, json_fps, n_arm = arm_throughput(arm_dir, runs)
        print(f"ARM frontend in-process on {n_arm} templates ({arm_mb:.1f} MB): {ours_fps:,.0f} files/s; "
              f"json.loads {json_fps:,.0f} files/s; json.loads is {json_fps / ours_fps:.1f}x faster")
        arm_scan = [*exe, "scan", ".", "--format", "sarif", "--no-cache"]
        ours, ours_rss = timed(arm_scan, runs, arm_dir)
        print(f"ARM-only corpus, full scan (--no-cache): {ours:.2f} s, {n_arm / ours:,.0f} files/s, "
              f"peak RSS {ours_rss / 1024:.0f} MB")

        checkov = args.checkov or shutil.which("checkov")
        if checkov:
            c_runs = args.checkov_runs or runs
            version_out = run_once([checkov, "--version"])[2].decode().strip()
            theirs, theirs_rss = timed([checkov, "-d", str(arm_dir), "--framework", "arm", "-o", "sarif",
                                        "--quiet", "--skip-download"], c_runs, work)
            print(f"checkov {version_out} on the same {n_arm} ARM templates (-d, --framework arm, -o sarif; "
                  f"median of {c_runs}): {theirs:.2f} s, peak RSS {theirs_rss / 1024:.0f} MB; "
                  f"egresslint {ours:.2f} s: {theirs / ours:.1f}x faster")
            theirs_one, _ = timed([checkov, "-f", str(one_arm), "--framework", "arm", "-o", "sarif",
                                   "--quiet", "--skip-download"], c_runs, work)
            print(f"checkov on one ARM template (-f): {theirs_one * 1000:.0f} ms; egresslint "
                  f"{one_arm_s * 1000:.0f} ms: {theirs_one / one_arm_s:.1f}x faster")
        else:
            print("checkov not found: comparison skipped (install it in its own virtualenv, pass --checkov PATH)")

        if args.scale:
            big = work / "c10000"
            project(big, 10_000)
            big_s, big_rss = timed([*scan, "--no-cache"], runs, big)
            print(f"10,000 files, cold (--no-cache): {big_s:.2f} s, {10_000 / big_s:,.0f} files/s, "
                  f"peak RSS {big_rss / 1024:.0f} MB; per file {big_s / cold / 10 * args.files / 1000:.2f}x "
                  f"the {args.files}-file scan")
            shutil.rmtree(big, ignore_errors=True)
            repo = work / "c5000"
            project(repo, 5_000)
            run_once(scan, repo)  # warm: the caches as the last commit left them
            changed_file = sorted(repo.rglob("*.sh"))[0]
            relative = changed_file.relative_to(repo).as_posix()
            before_edit = changed_file.read_bytes()

            def edit_5000(i: int) -> None:
                changed_file.write_bytes(before_edit + f"# edited for run {i} {time.time_ns()}\n".encode())

            hook = [*exe, "scan", relative, "--format", "sarif"]
            pre_changed, pre_rss = timed(hook, runs, repo, before=edit_5000)
            pre_same, _ = timed(hook, runs, repo)
            print(f"pre-commit in a 5,000-file project, `egresslint scan {relative}` (the slice of the project it can reach, "
                  f"warm caches): file changed since the last scan {pre_changed:.2f} s (peak RSS "
                  f"{pre_rss / 1024:.0f} MB); unchanged re-run {pre_same:.2f} s")
        print(f"{load_note()} at end")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
