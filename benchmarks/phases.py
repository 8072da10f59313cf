"""Where one egresslint run spends its time and memory, phase by phase.

    python benchmarks/phases.py scan team02/deploy1002.sh --format sarif > /dev/null

runs the command line as ``egresslint`` would (same process, same arguments) and prints to
stderr the wall time of each engine phase (discovery, reading and keying, loading or parsing,
deployment binding, inventory, rules, rendering), the time the cyclic garbage collector took,
and the peak RSS. The numbers behind the "why" of benchmarks/RESULTS.md come from it.
"""

from __future__ import annotations

import functools
import gc
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

PHASES = ("discover", "prepare", "load_all", "bind_deployments", "build_inventory", "run_rules")


def main() -> None:
    started = time.perf_counter()
    from egresslint import cli, engine, reporters

    imported = time.perf_counter() - started
    spent: dict[str, float] = {}

    def timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - began
        return wrapper

    for name in PHASES:
        setattr(engine, name, timed(name, getattr(engine, name)))
    get = reporters.get  # the command line looks its reporter up here when it renders
    reporters.get = lambda name: timed("render", get(name))
    collector = {"cpu": 0.0, "runs": 0, "began": 0.0}

    def on_collect(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            collector["began"] = time.process_time()
        else:
            collector["cpu"] += time.process_time() - collector["began"]
            collector["runs"] += 1

    gc.callbacks.append(on_collect)
    sys.argv = ["egresslint", *sys.argv[1:]]
    code = 0
    try:
        code = cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    total = time.perf_counter() - started
    shown = ", ".join(f"{name} {spent[name]:.3f}" for name in (*PHASES, "render") if name in spent)
    print(f"import {imported:.3f} s; {shown}; total {total:.3f} s; "
          f"gc {collector['runs']} collections {collector['cpu']:.3f} s CPU; "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB; exit {code}", file=sys.stderr)
    sys.exit(code)


if __name__ == "__main__":
    main()
