"""Command line: argument parsing, configuration, calling the engine, choosing a reporter,
exit code. Nothing else.

Exit codes (like ruff): 0 no finding at or above ``--fail-on``; 1 findings; 2 usage or
configuration error.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from egresslint import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2, as argparse does, but cleanly
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"egresslint: error: {message}\n")


def _rule_list(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="egresslint", description="A policy linter for AKS egress configuration.")
    parser.add_argument("--version", action="version", version=f"egresslint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    scan = sub.add_parser("scan", help="scan files and folders (default: .)")
    scan.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    scan.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    scan.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    scan.add_argument("--select", type=_rule_list, metavar="RULES",
                      help="only these rules (IDs, ID prefixes like EGL1, or names), comma-separated")
    scan.add_argument("--ignore", type=_rule_list, metavar="RULES", help="skip these rules")
    scan.add_argument("--extend-select", type=_rule_list, metavar="RULES", help=argparse.SUPPRESS)
    scan.add_argument("--fail-on", choices=("error", "warning", "info"),
                      help="lowest severity that makes the exit code 1 (default: warning)")
    scan.add_argument("--pack", action="append", type=Path, metavar="FILE",
                      help="a user policy pack (require:/forbid: egress endpoints); repeatable")
    scan.add_argument("--config", type=Path, metavar="FILE", help="configuration file to use")
    scan.add_argument("--show-config", action="store_true", help="print the effective configuration and exit")
    scan.add_argument("--max-file-size", type=int, metavar="BYTES", help="skip larger files")
    scan.add_argument("--force-exclude", action=argparse.BooleanOptionalAction, default=None,
                      help="apply exclude/extend-exclude to paths given by name too (for pre-commit)")
    scan.add_argument("--statistics", action="store_true", help="print counts per rule instead of findings")
    scan.add_argument("--baseline", type=Path, metavar="FILE",
                      help="report only findings not recorded in this baseline")
    scan.add_argument("--write-baseline", type=Path, metavar="FILE",
                      help="record the current findings as accepted (atomic write) and exit 0")
    scan.add_argument("--jobs", "-j", type=int, metavar="N", help="parse in N processes (default: one per core)")
    scan.add_argument("--no-cache", action="store_true", help="do not read or write .egresslint_cache/")
    scan.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    scan.add_argument("--no-color", action="store_true", help="no ANSI colours in text output")

    rules = sub.add_parser("rules", help="list all rules")
    rules.add_argument("--format", choices=("text", "json", "markdown"), default="text")

    explain = sub.add_parser("explain", help="explain a rule (ID or name)")
    explain.add_argument("rule", nargs="?", metavar="RULE")
    explain.add_argument("--all", action="store_true", help="every rule")
    explain.add_argument("--format", choices=("text", "markdown"), default="text")
    return parser


# Set while main() runs as the process's own command line, with the cyclic collector paused.
_startup = False


def main(argv: Sequence[str] | None = None) -> int:
    global _startup
    command_line = argv is None and gc.isenabled()
    if command_line:
        # The process's command line (the console script, `python -m egresslint`): start-up
        # creates ~30,000 collectable objects that live until exit (modules, rule classes,
        # dataclass methods, rule data), and the collections they trigger walked them again and
        # again, ~20 ms of a one-file scan. Paused until they exist, then frozen out of the collector
        # (_end_startup). Not when called with arguments (tests, embedding): no process-wide
        # side effect there.
        gc.disable()
        _startup = True
    try:
        return _main(argv)
    finally:
        if command_line:
            # what is left is torn down at exit: the collection at shutdown need not walk it (~5 ms)
            _end_startup()


def _end_startup() -> None:
    global _startup
    _startup = False
    gc.freeze()
    gc.enable()


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "scan":
            return _scan(args)
        if args.command == "rules":
            return _rules(args)
        if args.command == "explain":
            return _explain(args, parser)
    except BrokenPipeError:  # `egresslint scan | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        return 130
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _scan(args: argparse.Namespace) -> int:
    from egresslint import config as config_mod
    from egresslint.files import find_root
    from egresslint.findings import Severity

    paths = [Path(p) for p in args.paths]
    root = find_root(paths)
    try:
        config = config_mod.load(root, args.config)
    except config_mod.ConfigError as exc:
        print(f"egresslint: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    config = config.with_overrides(
        select=args.select,
        ignore=(*config.ignore, *args.ignore) if args.ignore else None,
        fail_on=Severity.parse(args.fail_on) if args.fail_on else None,
        max_file_size=args.max_file_size,
        packs=(*config.packs, *(str(p) for p in args.pack)) if args.pack else None,
        jobs=args.jobs,
        cache=not args.no_cache,
        force_exclude=args.force_exclude,
    )
    if args.baseline is not None and args.write_baseline is None:
        from egresslint.suppressions import read_baseline

        try:
            config = config.with_overrides(baseline=frozenset(read_baseline(args.baseline)))
        except ValueError as exc:
            print(f"egresslint: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    from egresslint.registry import load as load_registry

    registry = load_registry()
    unknown = [t for t in (*config.select, *config.ignore) if not registry.resolve(t)]
    if unknown:
        print(f"egresslint: error: unknown rule selector(s): {', '.join(unknown)} "
              f"(see `egresslint rules`)", file=sys.stderr)
        return EXIT_USAGE
    if args.show_config:
        import json

        print(json.dumps({"root": str(root), **config_mod.describe(config)}, indent=2, default=str))
        return EXIT_OK

    from egresslint.engine import scan
    from egresslint.files import display_path, exclude_patterns, force_excluded
    from egresslint.report import Notification, Report
    from egresslint.reporters import get as get_reporter

    report = None
    if paths and all(p.is_file() for p in paths):
        # Files given (pre-commit): analyse the whole project around them, so cross-file rules
        # see the firewall defined elsewhere, but report only what is located in these files.
        given = {display_path(p, root): p for p in paths}
        if config.force_exclude:
            patterns = exclude_patterns((*config.exclude, *config.extend_exclude))
            given = {d: p for d, p in given.items() if not force_excluded(d, patterns)}
        if given:
            config = config.with_overrides(only_files=frozenset(given))
            paths = [root, *given.values()]  # given files are read even where the configuration excludes them
        else:  # nothing left to report on: no need to analyse the project
            report = Report(root=str(root), targets=[], notifications=[Notification(
                "note", "every file given is excluded by the configuration (force-exclude)")])
    if report is None:
        if _startup:  # imports done: parsing a large project makes cyclic garbage to collect
            _end_startup()
        report = scan(paths, config, root, progress=_progress_printer())
    if args.write_baseline is not None:
        from egresslint import __version__ as version
        from egresslint.suppressions import write_baseline

        try:
            write_baseline(args.write_baseline, report.findings, report.source_line, version)
        except OSError as exc:
            print(f"egresslint: error: cannot write {args.write_baseline}: {exc}", file=sys.stderr)
            return EXIT_USAGE
        print(f"egresslint: wrote {len(report.findings)} findings to baseline {args.write_baseline}", file=sys.stderr)
        return EXIT_OK
    to_terminal = args.output is None and sys.stdout.isatty()
    options: dict[str, object] = {}
    if args.format == "text":
        options = {"excerpt": to_terminal,
                   "color": to_terminal and not args.no_color and "NO_COLOR" not in os.environ}
        if args.statistics:
            options["statistics"] = True
    rendered = get_reporter(args.format)(report, registry.rules, **options)
    if args.output:
        try:
            Path(args.output).write_text(rendered, encoding="utf-8")
        except OSError as exc:
            print(f"egresslint: error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
    else:
        sys.stdout.write(rendered)
        sys.stdout.flush()
    if args.exit_zero:
        return EXIT_OK
    failing = any(f.severity >= config.fail_on for f in report.findings)
    return EXIT_FINDINGS if failing else EXIT_OK


def _progress_printer():
    """Files done / total and rate on stderr, only for a person at a terminal (never in pipes
    or CI logs), and only once a scan takes long enough to need it."""
    import time

    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None
    started = time.monotonic()
    state = {"shown": False}

    def show(done: int, total: int) -> None:
        elapsed = time.monotonic() - started
        if elapsed < 1.0 and not state["shown"]:
            return
        state["shown"] = True
        rate = done / elapsed if elapsed else 0.0
        end = "\n" if done == total else ""
        sys.stderr.write(f"\r\x1b[2Kegresslint: {done}/{total} files ({rate:,.0f}/s)" + end)
        sys.stderr.flush()

    return show


def _rules(args: argparse.Namespace) -> int:
    from egresslint import docs
    from egresslint.registry import load as load_registry

    rules = load_registry().rules
    sys.stdout.write(docs.rules_listing(rules, args.format))
    return EXIT_OK


def _explain(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from egresslint import docs
    from egresslint.registry import load as load_registry

    registry = load_registry()
    if args.all:
        ids = list(registry.rules)
    elif args.rule:
        ids = registry.resolve(args.rule)
        if args.rule.upper() not in registry.rules and args.rule not in registry.by_name and len(ids) != 1:
            ids = [] if len(ids) != 1 else ids
        if not ids:
            print(f"egresslint: error: unknown rule '{args.rule}' (see `egresslint rules`)", file=sys.stderr)
            return EXIT_USAGE
    else:
        parser.error("explain needs a rule ID or name, or --all")
        return EXIT_USAGE
    render = docs.rule_markdown if args.format == "markdown" else docs.rule_text
    sys.stdout.write("\n".join(render(registry.rules[rid]) for rid in ids))
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
