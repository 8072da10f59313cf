"""The LALR parsers of ``grammar/*.lark``, loaded from tables built ahead of time.

Building an LALR parser analyses the grammar (LR(0) states, lookaheads) on every start: ~100 ms
for the shell grammar, most of a one-file scan. ``grammar_tables.py`` holds what that analysis
produces (lark's ``memo_serialize`` output, as Python literals: no pickle, nothing that runs code
when read besides constructing lark's own objects). It is generated from ``grammar/`` by

    python -m egresslint.frontends.grammars

and is used only while the SHA-256 of the grammar text and the lark version match those it was
built from; otherwise the parser is built from the grammar as before (same parser, slower), so
``grammar/`` stays the one source. ``tests/test_grammar_tables.py`` fails when the tables are
stale.
"""

from __future__ import annotations

import pprint
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from egresslint.resources import digest, read_text

# A lexer class is not a literal: the tables say CUSTOM where lark stored the class, and
# ``load`` puts the caller's class back.
CUSTOM = "custom"

# Build options of each grammar (the one place they are written). Options that do not change the
# tables (``transformer``, a custom ``lexer`` class) are passed to ``load``.
GRAMMARS: dict[str, dict[str, Any]] = {
    "azcli.lark": {"parser": "lalr", "lexer": CUSTOM, "start": ["bash", "powershell"]},
    "arm_expression.lark": {"parser": "lalr", "lexer": "contextual", "maybe_placeholders": True},
}

# resolve(): a strict editable install links the sources; regenerate the checkout's file
_TABLES = Path(__file__).resolve().with_name("grammar_tables.py")
# Options lark keeps in its serialized form that are run-time objects, not tables.
_RUNTIME_OPTIONS = ("transformer", "lexer_callbacks", "postlex", "tree_class", "_plugins")


def _lark_version() -> str:
    import lark

    return lark.__version__


def build(name: str, lexer: type | None = None, transformer: Any = None) -> Any:
    """The parser of ``grammar/<name>`` built from the grammar text (lark's full analysis)."""
    from lark import Lark

    options = dict(GRAMMARS[name])
    if options["lexer"] == CUSTOM:
        options["lexer"] = lexer or _placeholder_lexer()
    return Lark(read_text("grammar", name), transformer=transformer, **options)


def load(name: str, lexer: type | None = None, transformer: Any = None) -> Any:
    """The parser of ``grammar/<name>``: from the pre-built tables when they were built from
    this grammar text with this lark version, else built (see the module docstring).
    ``lexer``: the class for a grammar whose lexer is CUSTOM."""
    if GRAMMARS[name]["lexer"] == CUSTOM and lexer is None:
        raise ValueError(f"{name} needs a lexer class")
    from lark import Lark

    from egresslint.frontends import grammar_tables

    if grammar_tables.LARK_VERSION != _lark_version() or stale([name]):
        return build(name, lexer, transformer)
    entry = grammar_tables.TABLES[name]
    data = entry["data"]
    if lexer is not None:
        # lark reads the lexer class from the options and from the lexer configuration; copy
        # the two small dicts rather than mutate the module's tables
        parser = dict(data["parser"])
        parser["lexer_conf"] = dict(parser["lexer_conf"], lexer_type=lexer)
        data = dict(data, parser=parser, options=dict(data["options"], lexer=lexer))
    kwargs = {"transformer": transformer} if transformer is not None else {}
    return Lark._load_from_dict(data, entry["memo"], **kwargs)


def _placeholder_lexer() -> type:
    """A custom lexer class for building tables: the tables do not depend on the class."""
    from lark.lexer import Lexer

    class Placeholder(Lexer):
        __future_interface__ = 2

        def __init__(self, lexer_conf: Any) -> None:
            pass

        def lex(self, lexer_state: Any, parser_state: Any) -> Any:  # pragma: no cover
            raise NotImplementedError

    return Placeholder


def _tables(name: str) -> dict[str, Any]:
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    parser = build(name)
    data, memo = parser.memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k not in _RUNTIME_OPTIONS}
    if GRAMMARS[name]["lexer"] == CUSTOM:
        data["options"]["lexer"] = CUSTOM
        data["parser"]["lexer_conf"]["lexer_type"] = CUSTOM
    return {
        "sha256": digest(read_text("grammar", name)),
        "options": GRAMMARS[name],
        "data": data,
        "memo": memo,
    }


def render() -> str:
    """The text of ``grammar_tables.py`` for the grammars and the installed lark."""
    import ast

    tables = {name: _tables(name) for name in GRAMMARS}
    body = pprint.pformat(tables, width=100, compact=True, sort_dicts=False)
    ast.literal_eval(body)  # literals only: fails here, not at run time, if lark adds an object
    return (
        '"""Generated by `python -m egresslint.frontends.grammars` from grammar/*.lark: do not\n'
        'edit. LALR tables in lark\'s serialized form (see egresslint/frontends/grammars.py)."""\n'
        "\n"
        "# fmt: off\n"
        f"LARK_VERSION = {_lark_version()!r}\n"
        "\n"
        f"TABLES = {body}\n"
    )


def stale(names: Iterable[str] = GRAMMARS) -> list[str]:
    """Those of ``names`` whose tables were not built from the current grammar text and options (or are
    missing). Lark numbers states in the order it iterates sets of objects, so regenerating
    gives a differently numbered, equivalent file: freshness is judged by the inputs."""
    from egresslint.frontends import grammar_tables

    return [
        name
        for name in names
        if (entry := grammar_tables.TABLES.get(name)) is None
        or entry["options"] != GRAMMARS[name]
        or entry["sha256"] != digest(read_text("grammar", name))
    ]


def main(argv: list[str] | None = None) -> int:
    """Regenerate ``grammar_tables.py``; ``--check``: exit 1 when it is out of date."""
    args = sys.argv[1:] if argv is None else argv
    if "--check" in args:
        if names := stale():
            print(
                f"{_TABLES.name} is out of date for {', '.join(names)}: "
                "run python -m egresslint.frontends.grammars"
            )
            return 1
        return 0
    _TABLES.write_text(render(), encoding="utf-8")
    print(f"wrote {_TABLES}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
