"""Syntax tree of a shell script (bash or PowerShell) as the az frontend needs it.

The parser (``shell.py`` + ``grammar/azcli.lark``) turns text into a :class:`Script`: a flat
list of :class:`Command` and :class:`Assignment` items in textual (execution) order, including
those nested in if/for/while/case/functions/blocks (marked ``conditional``). Every node keeps its
:class:`Span`. Nothing here runs anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

Dialect = Literal["bash", "powershell"]


@dataclass(frozen=True, slots=True)
class Span:
    """1-based line/column; ``end_column`` exclusive. ``offset``/``end_offset`` index the text."""

    line: int
    column: int
    end_line: int
    end_column: int
    offset: int = 0
    end_offset: int = 0


@dataclass(frozen=True, slots=True)
class Typo:
    """A typographic character used where ASCII punctuation was meant (EGL002).

    ``kind`` is ``"dash"`` (en dash, em dash or Unicode minus starting a flag) or ``"quote"``
    (curly quote used as a quote in bash). ``char`` is the character found, ``meant`` what
    the user meant (``--``, ``-``, ``"``, ``'``)."""

    kind: Literal["dash", "quote"]
    char: str
    meant: str
    span: Span


@dataclass(frozen=True, slots=True)
class Lit:
    """Literal text. ``quote`` is the quoting it came from: None, "'" or '"'."""

    text: str
    span: Span
    quote: str | None = None


@dataclass(frozen=True, slots=True)
class Var:
    """A variable expansion: ``$X``, ``${X}``, ``${X:-default}`` (``op`` ':-', default word),
    ``$env:X`` / ``${env:X}`` (name ``X``, ``env`` True). Special parameters ($1, $@, $?) have
    their character as name."""

    name: str
    span: Span
    op: str | None = None  # ':-', '-', ':=', '=', ':+', '+', '#', '%', ... ; None for plain
    default: Word | None = None
    env: bool = False


@dataclass(frozen=True, slots=True)
class CmdSub:
    """Command substitution ``$(...)`` or `` `...` `` (bash) / subexpression ``$(...)`` (PS);
    ``body`` is the parsed inner script."""

    body: Script
    span: Span
    text: str  # inner source text


@dataclass(frozen=True, slots=True)
class Opaque:
    """Something that expands at run time but is not modelled: ``$((1+2))``, ``$'..'`` escapes
    that could not be decoded, PowerShell ``$($x.Name)`` member access, globs are NOT opaque."""

    text: str
    span: Span


Part = Union[Lit, Var, CmdSub, Opaque]


@dataclass(frozen=True, slots=True)
class Word:
    """One shell word (after continuation handling): a sequence of parts, its span and raw
    source text. A typographic dash at the start is already normalised in the first Lit part
    (``–name`` reads as ``--name``), with the Typo recorded in ``typos``."""

    parts: tuple[Part, ...]
    span: Span
    raw: str
    typos: tuple[Typo, ...] = ()

    def literal(self) -> str | None:
        """The text if every part is literal, else None."""
        out = []
        for p in self.parts:
            if not isinstance(p, Lit):
                return None
            out.append(p.text)
        return "".join(out)

    @property
    def quoted(self) -> bool:
        return any(isinstance(p, Lit) and p.quote for p in self.parts)


@dataclass(frozen=True, slots=True)
class Redirect:
    op: str  # '>', '>>', '<', '2>&1', '<<', '<<<', '&>', ...
    target: Word | None
    span: Span


@dataclass(frozen=True, slots=True)
class Command:
    """A simple command: ``words[0]`` is the command name. ``assignments`` are prefix
    assignments (``FOO=1 az ...``), only for that command. ``conditional`` is True inside
    if/for/while/until/case/function bodies, PowerShell script blocks, or after ``&&``/``||``.
    ``pipeline_next`` names the command that reads this one's output (None when not piped)."""

    words: tuple[Word, ...]
    span: Span
    assignments: tuple[Assignment, ...] = ()
    redirects: tuple[Redirect, ...] = ()
    conditional: bool = False
    piped_to: tuple[Command, ...] = ()  # later stages of the pipeline (for `az ... | tr -d`)
    background: bool = False

    @property
    def name(self) -> str | None:
        return self.words[0].literal() if self.words else None


@dataclass(frozen=True, slots=True)
class Assignment:
    """``X=v`` / ``export X=v`` / ``local X=v`` / ``declare X=v`` / ``readonly X=v`` (bash),
    ``$X = v`` / ``$env:X = v`` (PowerShell). In PowerShell the right side may be a command
    (``$ip = az network ... --query ... -o tsv``): then ``command`` is set and ``value`` None.
    ``value`` None and ``command`` None means an empty assignment (``X=``)."""

    name: str
    span: Span
    value: Word | None = None
    command: Command | None = None
    export: bool = False
    env: bool = False  # PowerShell $env:X
    conditional: bool = False


Item = Union[Command, Assignment]


@dataclass(frozen=True, slots=True)
class Problem:
    """A parse problem. ``code`` is ``"EGL001"`` (broken file: unterminated quote, ``$(``,
    here-doc...; the parser stops or resynchronises) or ``"EGL004"`` (a statement the grammar
    cannot handle; it was skipped)."""

    code: Literal["EGL001", "EGL004"]
    message: str
    span: Span


@dataclass(frozen=True, slots=True)
class Script:
    items: tuple[Item, ...]
    dialect: Dialect
    problems: tuple[Problem, ...] = ()
    # Typos outside command words (e.g. a curly quote inside an assignment value), each once.
    typos: tuple[Typo, ...] = field(default=())
