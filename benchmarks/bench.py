"""Benchmark: start-up time and scan throughput on a generated corpus (a script, not a test).

    python benchmarks/bench.py --files 1000 --runs 5

Reports medians: `egresslint --version` start-up, a one-file scan, a full scan of N files
(files/s, MB/s, peak RSS of the child process), and floors measured on the same files: reading
them, and `json.loads` of the ARM templates. With checkov installed, also `checkov -d DIR
--framework arm` on the ARM subset, as a ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate  # noqa: E402


def timed(cmd: list[str], runs: int, cwd: Path | None = None) -> tuple[float, int]:
    """Median wall time of ``cmd`` and the largest peak RSS (KiB) of its runs."""
    times, peak = [], 0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = parser.parse_args()
    exe = [sys.executable, "-m", "egresslint"]
    work = args.keep or Path(tempfile.mkdtemp(prefix="egresslint-bench-"))
    try:
        counts = generate(work / "corpus", args.files)
        corpus = work / "corpus"
        one = next(corpus.rglob("*.sh"))
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        print(f"corpus: {args.files} files {counts}")
        version, _ = timed([*exe, "--version"], args.runs)
        print(f"egresslint --version: {version * 1000:.0f} ms (median of {args.runs})")
        single, _ = timed([*exe, "scan", str(one), "--format", "sarif"], args.runs)
        print(f"one-file scan (start-up included): {single * 1000:.0f} ms")
        full, rss = timed([*exe, "scan", str(corpus), "--format", "sarif", "--no-cache"], args.runs)
        timed([*exe, "scan", str(corpus), "--format", "sarif"], 1)  # fill the cache
        warm, _ = timed([*exe, "scan", str(corpus), "--format", "sarif"], args.runs)
        serial, _ = timed([*exe, "scan", str(corpus), "--format", "sarif", "--no-cache", "--jobs", "1"], args.runs)
        fl = floors(corpus, args.runs)
        mb = fl["bytes"] / 1e6
        print(f"cold scan (--no-cache): {full:.2f} s, {args.files / full:,.0f} files/s, {mb / full:.2f} MB/s, "
              f"peak RSS {rss / 1024:.0f} MB")
        print(f"cold scan, one process (--jobs 1): {serial:.2f} s; warm scan (cache): {warm:.2f} s")
        print(f"floors: read {mb / fl['read_s']:.0f} MB/s; json.loads of {fl['arm_files']} ARM files "
              f"{fl['arm_bytes'] / 1e6 / fl['json_s']:.0f} MB/s ({fl['arm_files'] / fl['json_s']:,.0f} files/s)")
        checkov = shutil.which("checkov")
        if checkov:
            arm_dir = work / "arm-only"
            arm_dir.mkdir(exist_ok=True)
            for p in corpus.rglob("*.json"):
                shutil.copy(p, arm_dir / p.name)
            ours, _ = timed([*exe, "scan", str(arm_dir), "--format", "sarif"], args.runs)
            theirs, _ = timed([checkov, "-d", str(arm_dir), "--framework", "arm", "-o", "sarif", "--quiet"], 1)
            print(f"ARM subset: egresslint {ours:.2f} s, checkov {theirs:.2f} s: {theirs / ours:.1f}x")
        else:
            print("checkov not installed: comparison skipped (pip install checkov)")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
