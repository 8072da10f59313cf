"""Bash and PowerShell scripts -> :mod:`shellast` (commands, assignments, positions).

A hand-written single-pass lexer decodes words (quoting, ``$VAR``, ``${...}``, ``$(...)``,
backticks, here-docs, PowerShell strings and subexpressions) into :class:`Word` objects and
hands lark ``Token`` s to an LALR parser built from ``grammar/azcli.lark``. The lexer reads
the parser state to decide which words are reserved words (``echo done`` stays a WORD) and
where ``$(...)`` ends. The driver feeds one top-level statement at a time; a statement the
grammar cannot take is skipped up to the next newline at nesting depth 0 (EGL004); an
unterminated quote, ``$(``, here-doc... stops the parse with EGL001 at the opening position,
keeping what was parsed before it. Nothing is ever executed.

Typography: a word starting with an en/em dash or Unicode minus is normalised (``–name`` reads
``--name``) with a :class:`Typo`; in bash, curly quotes work as the quotes the user meant, each
recorded as a Typo. PowerShell treats curly quotes as real quotes (no typo).
"""

from __future__ import annotations

import functools
import gc
import os
import re
from bisect import bisect_right
from dataclasses import replace
from typing import Any

from egresslint.frontends.shellast import (
    Assignment,
    CmdSub,
    Command,
    Dialect,
    Lit,
    Opaque,
    Problem,
    Redirect,
    Script,
    Span,
    Typo,
    Var,
    Word,
)

__all__ = ["detect_dialect", "parse"]

# ----------------------------------------------------------------------------- lark, lazily


class _Lark:
    """The lark objects, built once per process (lark is imported only when first needed)."""

    def __init__(self) -> None:
        from lark import Token, Tree
        from lark.exceptions import UnexpectedInput
        from lark.lexer import Lexer
        from lark.parsers.lalr_analysis import Shift

        from egresslint.frontends.grammars import load

        class ShellLexer(Lexer):
            """lark's custom-lexer hook: the input object *is* our lexer (a ``_Lexer``)."""

            __future_interface__ = 2

            def __init__(self, lexer_conf: Any) -> None:
                pass

            def lex(self, lexer_state: Any, parser_state: Any) -> Any:
                return lexer_state.text.tokens(parser_state)

        self.parser = load("azcli.lark", lexer=ShellLexer)
        self.Token = Token
        self.Tree = Tree
        self.Shift = Shift
        self.UnexpectedInput = UnexpectedInput
        self.end_token = Token("$END", "")


@functools.cache
def _lark() -> _Lark:
    return _Lark()


# ----------------------------------------------------------------------------- constants

_DASHES = {"\u2013": "--", "\u2014": "--", "\u2212": "-"}


def _meant_dash(ch: str, rest: str) -> str:
    """What a typographic dash at the start of a word stands for: ``–name`` is ``--name``
    (autocorrect turned ``--`` into one dash), but ``–-name`` is ``--name`` too, the dash
    standing for one hyphen (az has no ``---`` flags)."""
    return "-" if rest.startswith("-") else _DASHES[ch]


_BASH_KW = {
    "if": "IF", "then": "THEN", "elif": "ELIF", "else": "ELSE", "fi": "FI", "for": "FOR",
    "in": "IN", "do": "DO", "done": "DONE", "while": "WHILE", "until": "UNTIL", "case": "CASE",
    "esac": "ESAC", "function": "FUNCTION", "{": "LBRACE", "}": "RBRACE", "!": "BANG",
    "select": "SELECT", "time": "TIME",
}
_PS_KW = {
    "if": "IF", "elseif": "ELSEIF", "else": "ELSE", "foreach": "FOREACH", "for": "FOR",
    "while": "WHILE", "do": "DO", "until": "UNTIL", "switch": "SWITCH", "function": "FUNCTION",
    "filter": "FUNCTION", "workflow": "FUNCTION", "try": "TRY", "catch": "CATCH",
    "finally": "FINALLY", "param": "PARAM",
}
_PS_CONTINUATIONS = {"ELSE", "ELSEIF", "CATCH", "FINALLY", "WHILE", "UNTIL"}
_DECL = {"export", "local", "declare", "typeset", "readonly"}
_SEPS = frozenset(("_NEWLINE", "_SEMI", "AMP"))
# After these tokens a command (and so a reserved word) can start: used while skipping.
_CMD_START = frozenset((
    "_NEWLINE", "_SEMI", "AMP", "_ANDOR", "_PIPE", "LPAREN", "LBRACE", "DSEMI", "THEN", "DO",
    "ELSE", "ELIF", "IF", "WHILE", "UNTIL", "BANG", "TIME", "_ASSIGN", "RBRACE",
))
_KW_OPEN = frozenset(("IF", "CASE", "FOR", "SELECT", "WHILE", "UNTIL"))
_KW_CLOSE = frozenset(("FI", "ESAC", "DONE"))
_str_new = str.__new__
_MAX_DEPTH = 40  # nested $(...) / `...` levels before giving up

_B_BLANK = re.compile(r"(?:[ \t\r\f\v]|\\\r?\n)+")
_B_LIT = re.compile("[^ \t\r\n;&|()<>'\"\\\\$`\u2018\u2019\u201c\u201d]+")
_B_BRACE_LIT = re.compile("[^}'\"\\\\$`\u2018\u2019\u201c\u201d]+")
_B_DQ_LIT = re.compile('[^"\\\\$`]+')
_B_CDQ_LIT = re.compile('[^"\\\\$`\u201d\n]+')
_B_OP = re.compile(r";;&|;;|;&|;|&&|&>>|&>|&|\|\||\|&|\||\(\(|\(|\)|<<<|<<-|<<|<>|<&|<\(|<|>>|>&|>\||>\(|>")
_PARENS = re.compile(r"[()]")
_DQ_CLOSERS = re.compile('["\u201d]')
_SQ_CLOSERS = re.compile("['\u2019]")
_B_FD = re.compile(r"\d+(?=[<>](?!\())")
_B_DUP = re.compile(r"\d+-?|-")
_B_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_B_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?(\+?)=")
_B_BRACE_HEAD = re.compile(r"([#!])?([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])(\[[^\]]*\])?")
_B_BRACE_OP = re.compile(r":[-=+?]|[-=+?]|##|#|%%|%|//|/#|/%|/|\^\^|\^|,,|,|@|:")
_ANSI = re.compile(r"\\(?:x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{1,4}|U[0-9A-Fa-f]{1,8}|[0-7]{1,3}|c.|.)", re.S)
_ANSI_MAP = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b",
             "f": "\f", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}

_PS_SQ = "'\u2018\u2019\u201a\u201b"
_PS_DQ = '"\u201c\u201d\u201e'
_PS_BLANK = re.compile("(?:[ \t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]|`\r?\n)+")
_PS_LIT = re.compile("[^ \t\r\n\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000;|&(){}>'\"\u2018\u2019\u201a"
                     "\u201b\u201c\u201d\u201e$`@]+")
_PS_SQ_LIT = re.compile("[^'\u2018\u2019\u201a\u201b]+")
_PS_DQ_LIT = re.compile('[^"\u201c\u201d\u201e`$]+')
_PS_VAR = re.compile(r"(?:((?i:env|global|script|local|private|using|variable)):)?([A-Za-z0-9_?]+|\^|\$)")
_PS_ASSIGN = re.compile(r"(?:\[[^\]\n]*\][ \t]*)*\$(?:\{([^}\n]*)\}|((?:[A-Za-z_]\w*:)?[\w?]+))"
                        r"[ \t]*((?:[-+*/%]|\?\?)?=)(?!=)")
_PS_REDIR = re.compile(r"(?:[0-9*])?>>?(?:&[12])?")
_PS_ESC = {"0": "\0", "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n", "r": "\r",
           "t": "\t", "v": "\v"}
_PS_SCAN_BORING = re.compile("[^()\\[\\]{}'\"\u2018\u2019\u201a\u201b\u201c\u201d\u201e@`#<\n;|&$]+")
_PS_KEYWORD = re.compile(r"[A-Za-z]+(?![\w-])")
_PS_NUMBER = re.compile(r"\d[\w.]*")
_PS_SCOPES = ("env", "global", "script", "local", "private", "using", "variable")


def _maker(cls: Any) -> Any:
    """A faster constructor for a frozen slotted dataclass: the generated ``__init__`` goes
    through ``object.__setattr__`` per field; the slot descriptors are set directly. Only for
    the hot types (no ``__post_init__``, all fields passed)."""
    setters = [getattr(cls, f).__set__ for f in cls.__dataclass_fields__]
    new = object.__new__

    if len(setters) == 3:
        s0, s1, s2 = setters

        def make3(a: Any, b: Any, c: Any) -> Any:
            o = new(cls)
            s0(o, a)
            s1(o, b)
            s2(o, c)
            return o

        return make3
    if len(setters) == 4:
        t0, t1, t2, t3 = setters

        def make4(a: Any, b: Any, c: Any, d: Any) -> Any:
            o = new(cls)
            t0(o, a)
            t1(o, b)
            t2(o, c)
            t3(o, d)
            return o

        return make4
    u0, u1, u2, u3, u4, u5 = setters

    def make6(a: Any, b: Any, c: Any, d: Any, e: Any, f: Any) -> Any:
        o = new(cls)
        u0(o, a)
        u1(o, b)
        u2(o, c)
        u3(o, d)
        u4(o, e)
        u5(o, f)
        return o

    return make6


_Span = _maker(Span)  # (line, column, end_line, end_column, offset, end_offset)
_Lit = _maker(Lit)  # (text, span, quote)
_Word = _maker(Word)  # (parts, span, raw, typos)


class _Fatal(Exception):
    """An unterminated construct: the parse stops (the problem is already recorded)."""


# ----------------------------------------------------------------------------- shared state


class _Ctx:
    """State shared by the top-level parse and every nested ``$(...)`` parse."""

    __slots__ = (
        "claimed",
        "depth",
        "dialect",
        "fatal",
        "last",
        "lk",
        "ls",
        "nls",
        "problems",
        "quiet",
        "text",
        "typo_words",
    )

    def __init__(self, text: str, dialect: str) -> None:
        self.text = text
        self.dialect = dialect
        ls = [0]
        find = text.find
        j = find("\n")
        while j >= 0:
            ls.append(j + 1)
            j = find("\n", j + 1)
        if text.startswith("\ufeff"):
            ls[0] = 1  # the BOM is not a column
        self.ls = ls
        self.nls = len(ls)
        self.last = 0
        self.problems: list[Problem] = []
        self.typo_words: list[Word] = []
        self.claimed: set[int] = set()
        self.fatal = False
        self.depth = 0
        self.lk = _lark()
        self.quiet = 0

    def span(self, a: int, b: int) -> Span:
        ls = self.ls
        la = self.last
        if not (ls[la] <= a and (la + 1 == self.nls or a < ls[la + 1])):
            la = bisect_right(ls, a) - 1
            if la < 0:
                la = 0
            self.last = la
        if b <= a:
            b = a
            lb = la
        elif la + 1 == self.nls or b < ls[la + 1]:
            lb = la
        else:
            lb = bisect_right(ls, b) - 1
        return _Span(la + 1, a - ls[la] + 1, lb + 1, b - ls[lb] + 1, a, b)

    def problem(self, code: str, message: str, a: int, b: int) -> None:
        if not self.quiet:
            self.problems.append(Problem(code, message, self.span(a, b)))  # type: ignore[arg-type]

    def fail(self, message: str, a: int, b: int, code: str = "EGL001") -> None:
        """Record the problem that stops the whole parse (an EGL001 for an unterminated
        construct), once, and stop."""
        if not self.fatal:
            self.fatal = True
            self.problems.append(Problem(code, message, self.span(a, b)))  # type: ignore[arg-type]
        raise _Fatal()


# ----------------------------------------------------------------------------- words


class _WB:
    """Builds the parts of one word: adjacent literal pieces of the same quoting merge."""

    __slots__ = ("be", "bq", "bs", "buf", "ctx", "parts", "typos")

    def __init__(self, ctx: _Ctx) -> None:
        self.ctx = ctx
        self.parts: list[Any] = []
        self.buf: list[str] | None = None
        self.bq: str | None = None
        self.bs = 0
        self.be = 0
        self.typos: list[Typo] = []

    def lit(self, s: str, a: int, b: int, q: str | None) -> None:
        buf = self.buf
        if buf is not None and self.bq == q and self.be == a:
            buf.append(s)
            self.be = b
        else:
            if buf is not None:
                self.parts.append(_Lit("".join(buf), self.ctx.span(self.bs, self.be), self.bq))
            self.buf = [s]
            self.bq = q
            self.bs = a
            self.be = b

    def snap(self) -> tuple[Any, ...]:
        return (len(self.parts), None if self.buf is None else list(self.buf), self.bq, self.bs,
                self.be, len(self.typos))

    def restore(self, s: tuple[Any, ...]) -> None:
        del self.parts[s[0]:]
        self.buf, self.bq, self.bs, self.be = s[1], s[2], s[3], s[4]
        del self.typos[s[5]:]

    def flush(self) -> None:
        if self.buf is not None:
            self.parts.append(_Lit("".join(self.buf), self.ctx.span(self.bs, self.be), self.bq))
            self.buf = None

    def part(self, p: Any) -> None:
        if self.buf is not None:
            self.flush()
        self.parts.append(p)

    def typo(self, kind: str, char: str, meant: str, a: int) -> None:
        self.typos.append(Typo(kind, char, meant, self.ctx.span(a, a + 1)))  # type: ignore[arg-type]

    def word(self, a: int, b: int, dash: bool = True) -> Word:
        self.flush()
        ctx = self.ctx
        parts = self.parts
        typos = self.typos
        text = ctx.text
        if dash and a < b and text[a] in _DASHES and parts:
            first = parts[0]
            if isinstance(first, Lit) and first.quote is None and first.span.offset == a:
                ch = text[a]
                meant = _meant_dash(ch, first.text[1:])
                parts[0] = Lit(meant + first.text[1:], first.span, None)
                typos.insert(0, Typo("dash", ch, meant, ctx.span(a, a + 1)))
        return _Word(tuple(parts), ctx.span(a, b), text[a:b], tuple(typos))


def _simple_word(ctx: _Ctx, s: str, a: int, b: int) -> Word:
    """A word that is one unquoted literal without escapes (the common case)."""
    sp = ctx.span(a, b)
    c = s[0]
    if c in _DASHES:
        meant = _meant_dash(c, s[1:])
        return _Word((_Lit(meant + s[1:], sp, None),), sp, s,
                     (Typo("dash", c, meant, ctx.span(a, a + 1)),))
    return _Word((_Lit(s, sp, None),), sp, s, ())


# ----------------------------------------------------------------------------- lexer


class _Lexer:
    """Tokens of one script or of one nested ``$(...)``/backtick body.

    ``mode``: None (whole text), "paren" (ends at the ``)`` the grammar cannot take; its
    offset is left in ``closed_at``) or "range" (ends at ``end``)."""

    def __init__(self, ctx: _Ctx, start: int, end: int, ps: bool, mode: str | None) -> None:
        self.ctx = ctx
        self.text = ctx.text
        self.i = start
        self.end = end
        self.ps = ps
        self.mode = mode
        self.closed_at: int | None = None
        self.heredocs: list[tuple[str, bool, int, int]] = []
        self.queue: list[Any] = []
        self.pstate: Any = None
        self.states: Any = None
        self.end_state: Any = None
        self.shift: Any = ctx.lk.Shift
        self.Token = ctx.lk.Token
        self.test = False  # inside [[ ... ]]
        self.skipping = False
        self.cmd_pos = True
        self.skip_par = 0
        self.last_type = "_NEWLINE"
        self.no_closer = [0, 0]
        self.pmatch: tuple[int, int, dict[int, int]] | None = None  # [double, single]: no closing quote before this offset

    # -------------------------------------------------------------- parser-state queries
    def tokens(self, pstate: Any) -> Any:
        self.pstate = pstate
        conf = pstate.parse_conf
        self.states = conf.states
        self.end_state = conf.end_state
        nxt = self._next_ps if self.ps else self._next_bash
        queue = self.queue
        while True:
            if queue:
                yield queue.pop()
                continue
            tok = nxt()
            if tok is None:
                return
            yield tok

    def acc(self, term: str) -> bool:
        """Does the parser accept ``term`` next (after any reductions)? While skipping a
        statement the grammar rejected there is no parser state: reserved words are then
        recognised in command position, as the shell does."""
        if self.skipping:
            if term == "RPAREN":
                return self.skip_par > 0
            return self.cmd_pos and term != "IN"
        stack = self.pstate.state_stack
        states = self.states
        act = states[stack[-1]].get(term)
        if act is None:
            return False
        if act[0] is self.shift:
            return True
        return _simulate(states, stack, term, self.end_state, self.shift)

    def tok(self, typ: str, value: Any, a: int, b: int) -> Any:
        t = _str_new(self.Token, "")
        t.type = typ
        t.value = value
        t.start_pos = a
        t.end_pos = b
        t.line = t.column = t.end_line = t.end_column = None
        if self.skipping:
            self.cmd_pos = typ in _CMD_START
        return t

    # -------------------------------------------------------------- skipping (EGL004)
    def skip(self, err: Any, kw: int, br: int, par: int) -> int:
        """Skip the rest of a statement the grammar rejected at token ``err``: up to the next
        newline at nesting depth 0. Returns the end offset of the last skipped token."""
        last_end = err.end_pos if err.type != "_NEWLINE" else err.start_pos
        if err.type == "_NEWLINE" and kw + br + par <= 0:
            return last_end
        self.skipping = True
        self.cmd_pos = err.type in _CMD_START
        self.skip_par = par
        nxt = self._next_ps if self.ps else self._next_bash
        try:
            while True:
                if self.queue:
                    tok = self.queue.pop()
                else:
                    tok = nxt()
                if tok is None:
                    break
                typ = tok.type
                if typ == "_NEWLINE":
                    if kw + br + self.skip_par <= 0:
                        break
                    continue
                last_end = tok.end_pos
                if typ == "LBRACE":
                    br += 1
                elif typ == "RBRACE":
                    br = br - 1 if br > 0 else 0
                elif typ == "LPAREN":
                    self.skip_par += 1
                elif typ == "RPAREN":
                    self.skip_par = self.skip_par - 1 if self.skip_par > 0 else 0
                elif not self.ps:
                    if typ in _KW_OPEN:
                        kw += 1
                    elif typ in _KW_CLOSE:
                        kw = kw - 1 if kw > 0 else 0
        finally:
            self.skipping = False
        return last_end

    # ================================================================== bash
    def _next_bash(self) -> Any:
        text = self.text
        end = self.end
        while True:
            i = self.i
            m = _B_BLANK.match(text, i, end)
            if m:
                i = m.end()
            if i >= end:
                self.i = end
                if self.heredocs:
                    self._heredoc_eof()
                return None
            c = text[i]
            if c == "\n":
                self.i = i + 1
                self.test = False
                t = self.tok("_NEWLINE", None, i, i + 1)
                if self.heredocs:
                    self._read_heredocs()
                return t
            if c == "#":
                j = text.find("\n", i, end)
                self.i = end if j < 0 else j
                continue
            if c in ";&|()<>":
                if self.test and c != ";":
                    # inside [[ ... ]] these are words of the test expression
                    e = i + 2 if text.startswith(("&&", "||"), i) else i + 1
                    self.i = e
                    return self.tok("WORD", _simple_word(self.ctx, text[i:e], i, e), i, e)
                return self._bash_op(i)
            if "0" <= c <= "9":
                m = _B_FD.match(text, i, end)
                if m:
                    return self._bash_op(m.end(), i)
            w, j = self._b_word(i)
            self.i = j
            raw = text[i:j]
            kw = _BASH_KW.get(raw)
            if kw is not None and self.acc(kw):
                if kw == "RBRACE" or kw == "LBRACE":
                    self.test = False
                return self.tok(kw, None, i, j)
            if raw == "[[" and self.acc("IF"):
                self.test = True
            elif raw == "]]":
                self.test = False
            if w.typos:
                self.ctx.typo_words.append(w)
            if "=" in raw and _B_ASSIGN.match(raw) and self.acc("ASSIGNMENT_WORD"):
                return self.tok("ASSIGNMENT_WORD", w, i, j)
            return self.tok("WORD", w, i, j)

    def _bash_op(self, i: int, fd_start: int | None = None) -> Any:
        text = self.text
        end = self.end
        m = _B_OP.match(text, i, end)
        if m is None:  # a digit run before < or > always matches; defensive
            self.i = i + 1
            return self._next_bash()
        op = m.group()
        j = m.end()
        a = i if fd_start is None else fd_start
        if fd_start is not None and op[0] not in "<>":
            op = op[0]
            j = i + 1
        if op == ")":
            if self.mode == "paren" and not self.acc("RPAREN"):
                self.closed_at = i
                self.i = end
                self.end = i
                return None
            self.i = j
            return self.tok("RPAREN", None, i, j)
        if op == "((":
            if self.acc("DPAREN"):
                e = self._arith_end(i + 2)
                if e is not None:
                    self.i = e
                    return self.tok("DPAREN", None, i, e)
            op = "("
            j = i + 1
        if op == "(":
            self.i = j
            return self.tok("LPAREN", None, i, j)
        if op in ("<(", ">("):
            wb = _WB(self.ctx)
            e = self._sub_end(i + 2, i)
            wb.part(Opaque(text[i:e], self.ctx.span(i, e)))
            self.i = e
            return self.tok("WORD", wb.word(i, e), i, e)
        self.i = j
        if op == ";":
            return self.tok("_SEMI", None, i, j)
        if op in (";;", ";;&", ";&"):
            return self.tok("DSEMI", None, i, j)
        if op in ("&&", "||"):
            return self.tok("_ANDOR", op, i, j)
        if op == "&":
            return self.tok("AMP", None, i, j)
        if op in ("|", "|&"):
            return self.tok("_PIPE", None, i, j)
        if op in ("<<", "<<-"):
            return self._heredoc(a, op, j)
        if op in ("<&", ">&"):
            m2 = _B_DUP.match(text, j, end)
            if m2:
                e = m2.end()
                self.i = e
                full = text[a:e]
                return self.tok("REDIR_DUP", Redirect(full, None, self.ctx.span(a, e)), a, e)
        return self.tok("REDIR_OP", text[a:j], a, j)

    def _heredoc(self, a: int, op: str, j: int) -> Any:
        text = self.text
        end = self.end
        k = j
        while k < end and text[k] in " \t":
            k += 1
        if k >= end or text[k] in "\n;&|()<>\r":
            return self.tok("REDIR_OP", op, a, j)
        w, e = self._b_word(k)
        self.i = e
        delim = "".join(p.text if isinstance(p, Lit) else text[p.span.offset:p.span.end_offset]
                        for p in w.parts)
        self.heredocs.append((delim, op == "<<-", a, j))
        return self.tok("HEREDOC", Redirect(op, w, self.ctx.span(a, e)), a, e)

    def _read_heredocs(self) -> None:
        text = self.text
        end = self.end
        pos = self.i
        for delim, strip, a, b in self.heredocs:
            while True:
                if pos >= end:
                    self.heredocs = []
                    self.ctx.fail(f"unterminated here-document (no line '{delim}' closes it)", a, b)
                nl = text.find("\n", pos, end)
                line_end = end if nl < 0 else nl
                line = text[pos:line_end]
                if line.endswith("\r"):
                    line = line[:-1]
                if strip:
                    line = line.lstrip("\t")
                pos = line_end + 1
                if line == delim:
                    break
        self.heredocs = []
        self.i = min(pos, end)

    def _heredoc_eof(self) -> None:
        delim, _strip, a, b = self.heredocs[0]
        self.heredocs = []
        self.ctx.fail(f"unterminated here-document (no line '{delim}' closes it)", a, b)

    def _arith_end(self, i: int) -> int | None:
        """End (after ``))``) of an arithmetic ``((...))`` whose body starts at ``i``: the two
        opening parentheses close together, on the same line (else it is ``( (...) ...)``)."""
        outer = self._paren_match(i - 2)
        if outer is not None and outer > i and self._paren_match(i - 1) == outer - 1:
            return outer + 1
        return None

    def _paren_match(self, i: int) -> int | None:
        """The ``)`` matching the ``(`` at ``i`` on its line (a table built once per line)."""
        pm = self.pmatch
        if pm is None or not (pm[0] <= i < pm[1]):
            text = self.text
            ls = text.rfind("\n", 0, i) + 1
            le = text.find("\n", i, self.end)
            if le < 0:
                le = self.end
            table: dict[int, int] = {}
            stack: list[int] = []
            for m in _PARENS.finditer(text, ls, le):
                if m.group() == "(":
                    stack.append(m.start())
                elif stack:
                    table[stack.pop()] = m.start()
            pm = self.pmatch = (ls, le, table)
        return pm[2].get(i)

    def _sub_end(self, i: int, opener: int) -> int:
        """Offset after the ``)`` closing a ``(`` whose body starts at ``i`` (parsed, so quotes
        and case patterns inside are understood)."""
        _script, close = _parse_nested(self.ctx, i, self.end, False, "paren", opener)
        return close + 1

    # -------------------------------------------------------------- bash words
    def _b_word(self, i: int) -> tuple[Word, int]:
        """One unquoted-context word starting at ``i`` (a non-metacharacter)."""
        text = self.text
        end = self.end
        start = i
        m = _B_LIT.match(text, i, end)
        if m:
            j = m.end()
            if j >= end or text[j] in " \t\n;&|)<>\r":
                return _simple_word(self.ctx, m.group(), i, j), j
        wb = _WB(self.ctx)
        j = self._b_parts(wb, i, start, False)
        return wb.word(start, j), j

    def _b_parts(self, wb: _WB, i: int, start: int, brace: bool) -> int:
        """Decode word parts from ``i`` until an unquoted metacharacter (or ``}`` when
        ``brace``: the default of ``${X:-...}``). Returns the end offset."""
        text = self.text
        end = self.end
        lit_re = _B_BRACE_LIT if brace else _B_LIT
        while i < end:
            m = lit_re.match(text, i, end)
            if m:
                j = m.end()
                wb.lit(m.group(), i, j, None)
                i = j
                if i >= end:
                    break
            c = text[i]
            if brace:
                if c == "}":
                    break
            elif c in " \t\n;&|<>\r":
                break
            elif c == "(" or c == ")":
                if c == "(" and _B_ASSIGN.fullmatch(text, start, i) and wb.buf is not None \
                        and len(wb.parts) == 0:
                    e = self._b_balanced(i)
                    wb.part(Opaque(text[i:e], self.ctx.span(i, e)))
                    i = e
                    continue
                break
            if c == "\\":
                if i + 1 >= end:
                    wb.lit("\\", i, i + 1, None)
                    i += 1
                elif text[i + 1] == "\n":
                    wb.lit("", i, i + 2, None)
                    i += 2
                elif text[i + 1] == "\r" and i + 2 < end and text[i + 2] == "\n":
                    wb.lit("", i, i + 3, None)
                    i += 3
                else:
                    wb.lit(text[i + 1], i, i + 2, None)
                    i += 2
            elif c == "'":
                j = text.find("'", i + 1, end)
                if j < 0:
                    if i > start:  # a stray quote inside a word: literal
                        wb.lit("'", i, i + 1, None)
                        i += 1
                        continue
                    self.ctx.fail("unterminated single quote", i, i + 1)
                wb.lit(text[i + 1:j], i, j + 1, "'")
                i = j + 1
            elif c == '"':
                snap = wb.snap()
                j = self._b_double(wb, i, '"', start)
                if j < 0:  # a stray quote inside a word, never closed: literal
                    wb.restore(snap)
                    wb.lit('"', i, i + 1, None)
                    i += 1
                    continue
                i = j
            elif c == "$":
                i = self._b_dollar(wb, i, False)
            elif c == "`":
                i = self._b_backtick(wb, i, start)
            elif c == "\u201c" or (c == "\u201d" and i == start):
                j = self._b_curly_double(wb, i)
                if j < 0:
                    wb.lit(c, i, i + 1, None)
                    i += 1
                else:
                    i = j
            elif c == "\u2018" or (c == "\u2019" and i == start):
                j = self._curly_closer(i, _SQ_CLOSERS, 1)
                if j < 0:
                    wb.lit(c, i, i + 1, None)
                    i += 1
                    continue
                wb.typo("quote", c, "'", i)
                if text[j] != "'":
                    wb.typo("quote", text[j], "'", j)
                wb.lit(text[i + 1:j], i, j + 1, "'")
                i = j + 1
            else:  # a lone right quote inside a word, or a character the fast path stops at
                wb.lit(c, i, i + 1, None)
                i += 1
        return i

    def _b_curly_double(self, wb: _WB, i: int) -> int:
        """“...” (or “..." etc.) used as double quotes in bash; -1 when nothing closes it on
        this line."""
        text = self.text
        if self._curly_closer(i, _DQ_CLOSERS, 0) < 0:
            return -1
        snap = wb.snap()
        wb.typo("quote", text[i], '"', i)
        j = self._b_double(wb, i, '"\u201d', i, curly=True)
        if j < 0:
            wb.restore(snap)
            return -1
        if text[j - 1] != '"':
            wb.typo("quote", text[j - 1], '"', j - 1)
        return j

    def _curly_closer(self, i: int, closers: re.Pattern[str], kind: int) -> int:
        """Offset of the first quote on this line that closes a curly quote opened at ``i``,
        or -1. A failed search is remembered (to the end of the line) so a line full of
        unmatched curly quotes stays linear."""
        if i < self.no_closer[kind]:
            return -1
        text = self.text
        nl = text.find("\n", i, self.end)
        line_end = self.end if nl < 0 else nl
        m = closers.search(text, i + 1, line_end)
        if m is None:
            self.no_closer[kind] = line_end
            return -1
        return m.start()

    def _b_double(self, wb: _WB, i: int, closers: str, start: int, curly: bool = False) -> int:
        """A double-quoted string opening at ``i``; returns the offset after the closing quote.
        For an unterminated ASCII quote: EGL001 (or -1 for a stray quote inside a word)."""
        text = self.text
        end = self.end
        lit_re = _B_CDQ_LIT if curly else _B_DQ_LIT
        pending: int | None = i  # the opening quote joins the first literal piece
        j = i + 1
        while j < end:
            m = lit_re.match(text, j, end)
            if m:
                e = m.end()
                wb.lit(m.group(), j if pending is None else pending, e, '"')
                pending = None
                j = e
                if j >= end:
                    break
            c = text[j]
            if c in closers:
                if pending is not None:
                    wb.lit("", pending, j + 1, '"')
                elif wb.buf is not None and wb.bq == '"' and wb.be == j:
                    wb.be = j + 1
                return j + 1
            if c == "\\":
                if j + 1 < end and text[j + 1] in '$`"\\\n':
                    if text[j + 1] == "\n":
                        wb.lit("", j if pending is None else pending, j + 2, '"')
                    else:
                        wb.lit(text[j + 1], j if pending is None else pending, j + 2, '"')
                    j += 2
                else:
                    wb.lit("\\", j if pending is None else pending, j + 1, '"')
                    j += 1
                pending = None
            elif c == "$":
                j = self._b_dollar(wb, j, True)
                pending = None
            elif c == "`":
                j = self._b_backtick(wb, j, j)
                pending = None
            elif c == "\n" and curly:
                return -1
            else:  # a closer of another string flavour (” inside "...")
                wb.lit(c, j if pending is None else pending, j + 1, '"')
                pending = None
                j += 1
        if curly or i > start:
            return -1
        self.ctx.fail("unterminated double quote", i, i + 1)
        return -1  # not reached

    def _b_dollar(self, wb: _WB, i: int, in_dq: bool) -> int:
        text = self.text
        end = self.end
        ctx = self.ctx
        n = text[i + 1] if i + 1 < end else ""
        if n == "(":
            if i + 2 < end and text[i + 2] == "(":
                e = self._arith_end(i + 3)
                if e is not None:
                    wb.part(Opaque(text[i:e], ctx.span(i, e)))
                    return e
            body, close = _parse_nested(ctx, i + 2, end, False, "paren", i)
            wb.part(CmdSub(body, ctx.span(i, close + 1), text[i + 2:close]))
            return close + 1
        if n == "{":
            return self._b_brace(wb, i)
        m = _B_NAME.match(text, i + 1, end) if n else None
        if m is not None:
            e = m.end()
            wb.part(Var(m.group(), ctx.span(i, e)))
            return e
        if n and (n in "@*#?$!-" or "0" <= n <= "9"):
            wb.part(Var(n, ctx.span(i, i + 2)))
            return i + 2
        if n == "'" and not in_dq:
            j = i + 2
            while j < end:
                c = text[j]
                if c == "\\":
                    j += 2
                elif c == "'":
                    break
                else:
                    j += 1
            if j >= end:
                ctx.fail("unterminated $'...' string", i, i + 2)
            wb.lit(_ansi_c(text[i + 2:j]), i, j + 1, "'")
            return j + 1
        if n == '"' and not in_dq:
            j = self._b_double(wb, i + 1, '"', i + 1)
            return j
        wb.lit("$", i, i + 1, '"' if in_dq else None)
        return i + 1

    def _b_brace(self, wb: _WB, i: int) -> int:
        """``${...}`` at ``i``."""
        text = self.text
        end = self.end
        ctx = self.ctx
        m = _B_BRACE_HEAD.match(text, i + 2, end)
        if m is not None:
            prefix, name, sub = m.group(1), m.group(2), m.group(3)
            k = m.end()
            if k < end and text[k] == "}":
                if prefix == "#":
                    op: str | None = "length"
                elif prefix == "!":
                    op = "!"
                else:
                    op = "[]" if sub else None
                wb.part(Var(name, ctx.span(i, k + 1), op))
                return k + 1
            if prefix is None:
                mo = _B_BRACE_OP.match(text, k, end)
                if mo is not None:
                    inner = _WB(ctx)
                    e = self._b_parts(inner, mo.end(), mo.end(), True)
                    if e >= end or text[e] != "}":
                        ctx.fail("unterminated ${", i, i + 2)
                    default = inner.word(mo.end(), e, dash=False)
                    wb.typos.extend(default.typos)
                    opname = mo.group()
                    if sub:
                        opname = "[]" + opname
                    wb.part(Var(name, ctx.span(i, e + 1), opname, default))
                    return e + 1
        # not understood: opaque up to the matching brace
        depth = 0
        j = i + 2
        while j < end:
            c = text[j]
            if c == "\\":
                j += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                if depth == 0:
                    wb.part(Opaque(text[i:j + 1], ctx.span(i, j + 1)))
                    return j + 1
                depth -= 1
            j += 1
        ctx.fail("unterminated ${", i, i + 2)
        return end  # not reached

    def _b_backtick(self, wb: _WB, i: int, start: int) -> int:
        text = self.text
        end = self.end
        j = i + 1
        while j < end:
            c = text[j]
            if c == "\\":
                j += 2
                continue
            if c == "`":
                break
            j += 1
        if j >= end:
            self.ctx.fail("unterminated backquote (`) command substitution", i, i + 1)
        body, _close = _parse_nested(self.ctx, i + 1, j, False, "range", i)
        wb.part(CmdSub(body, self.ctx.span(i, j + 1), text[i + 1:j]))
        return j + 1

    def _b_balanced(self, i: int) -> int:
        """After the ``)`` matching the ``(`` at ``i`` (array values), quotes understood."""
        text = self.text
        end = self.end
        depth = 0
        j = i
        while j < end:
            c = text[j]
            if c == "\\":
                j += 2
                continue
            if c == "'":
                k = text.find("'", j + 1, end)
                if k < 0:
                    self.ctx.fail("unterminated single quote", j, j + 1)
                j = k + 1
                continue
            if c == '"':
                k = j + 1
                while k < end and text[k] != '"':
                    k += 2 if text[k] == "\\" else 1
                if k >= end:
                    self.ctx.fail("unterminated double quote", j, j + 1)
                j = k + 1
                continue
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    return j + 1
            j += 1
        self.ctx.fail("unterminated parenthesis", i, i + 1)
        return end  # not reached

    # ================================================================== PowerShell
    def _next_ps(self) -> Any:
        text = self.text
        end = self.end
        while True:
            i = self.i
            m = _PS_BLANK.match(text, i, end)
            if m:
                i = m.end()
            if i >= end:
                self.i = end
                return None
            c = text[i]
            if c == "\n":
                if self._ps_continues(i):
                    continue
                self.i = i + 1
                self.last_type = "_NEWLINE"
                return self.tok("_NEWLINE", None, i, i + 1)
            if c == "#":
                j = text.find("\n", i, end)
                self.i = end if j < 0 else j
                continue
            if c == "<" and i + 1 < end and text[i + 1] == "#":
                j = text.find("#>", i + 2, end)
                if j < 0:
                    self.ctx.fail("unterminated block comment <#", i, i + 2)
                self.i = j + 2
                continue
            if c == ";":
                self.i = i + 1
                return self.tok("_SEMI", None, i, i + 1)
            if c == "|":
                if i + 1 < end and text[i + 1] == "|":
                    self.i = i + 2
                    return self.tok("_ANDOR", "||", i, i + 2)
                self.i = i + 1
                return self.tok("_PIPE", None, i, i + 1)
            if c == "&":
                if i + 1 < end and text[i + 1] == "&":
                    self.i = i + 2
                    return self.tok("_ANDOR", "&&", i, i + 2)
                self.i = i + 1
                return self.tok("WORD", _simple_word(self.ctx, "&", i, i + 1), i, i + 1)
            if c == "{":
                self.i = i + 1
                self.last_type = "LBRACE"
                return self.tok("LBRACE", None, i, i + 1)
            if c == "}":
                self.i = i + 1
                self.last_type = "RBRACE"
                return self.tok("RBRACE", None, i, i + 1)
            self.last_type = ""
            if c == ")":
                if self.mode == "paren":
                    self.closed_at = i
                    self.i = end
                    self.end = i
                    return None
                self.i = i + 1
                return self.tok("RPAREN", None, i, i + 1)
            if c in ">0123456789*":
                m = _PS_REDIR.match(text, i, end)
                if m:
                    op = m.group()
                    e = m.end()
                    self.i = e
                    if "&" in op:
                        return self.tok("REDIR_DUP", Redirect(op, None, self.ctx.span(i, e)), i, e)
                    return self.tok("REDIR_OP", op, i, e)
            head = self.acc("EXPR")
            if head and c in "$[" and self.acc("ASSIGN_TARGET"):
                m = _PS_ASSIGN.match(text, i, end)
                if m:
                    return self._ps_assign(m)
            if c == "(":
                if head:
                    return self._ps_expr(i)
                e = self._ps_scan(i + 1, ")", i)
                e = self._ps_member_tail(e)
                self.i = e
                return self.tok("PAREN", (i, e), i, e)
            if head and (c in "$@[-.0123456789" or c in _PS_SQ or c in _PS_DQ):
                if c not in "-." or (i + 1 < end and text[i + 1].isdigit()):
                    return self._ps_expr(i)
            w, j = self._ps_word(i)
            if j <= i:  # defensive: always make progress
                wb = _WB(self.ctx)
                wb.lit(c, i, i + 1, None)
                w, j = wb.word(i, i + 1), i + 1
            self.i = j
            if w.typos:
                self.ctx.typo_words.append(w)
            raw = text[i:j]
            kw = _PS_KW.get(raw.lower()) if len(raw) <= 8 else None
            if kw is not None and self.acc(kw):
                return self.tok(kw, None, i, j)
            return self.tok("WORD", w, i, j)

    def _ps_continues(self, i: int) -> bool:
        """At a newline: do the next lines continue the statement with else/elseif/catch/
        finally (or the while/until of a do loop)? Then the newlines are skipped."""
        if self.skipping:
            if self.last_type != "RBRACE":
                return False
        else:
            states = self.states[self.pstate.state_stack[-1]]
            if not any(k in states for k in _PS_CONTINUATIONS):
                return False
        text = self.text
        end = self.end
        k = i
        while k < end:  # blanks, newlines, comments
            c = text[k]
            if c in " \t\r\f\v\u00a0\n":
                k += 1
            elif c == "#":
                n = text.find("\n", k, end)
                k = end if n < 0 else n
            elif c == "`" and text.startswith(("`\n", "`\r\n"), k):
                k += 2
            else:
                break
        m = _PS_KEYWORD.match(text, k, end)
        if m is None:
            return False
        kw = _PS_KW.get(m.group().lower())
        if kw not in _PS_CONTINUATIONS:
            return False
        if self.skipping:
            if kw in ("WHILE", "UNTIL"):
                return False
        elif not self.acc(kw):
            return False
        self.i = k
        return True

    def _ps_assign(self, m: re.Match[str]) -> Any:
        text = self.text
        i = m.start()
        braced, plain, op = m.group(1), m.group(2), m.group(3)
        name = braced if braced is not None else plain
        env = False
        scope, sep, rest = name.partition(":")
        if sep and scope.lower() in _PS_SCOPES:
            env = scope.lower() == "env"
            name = rest
        dollar = text.find("$", i, m.end())
        name_end = m.start(3)
        while name_end > dollar and text[name_end - 1] in " \t":
            name_end -= 1
        self.i = m.end()
        self.queue.append(self.tok("_ASSIGN", op, m.start(3), m.end()))
        return self.tok("ASSIGN_TARGET", (name, env, op, dollar, name_end), i, name_end)

    def _ps_expr(self, i: int) -> Any:
        """An expression where a command could start: a single value ("text", 'text', $var,
        $(...), @(...), a number) is a WORD; anything else (operators, member assignments,
        casts) one opaque EXPR token."""
        text = self.text
        end = self.end
        ctx = self.ctx
        c = text[i]
        wb = _WB(ctx)
        j = i
        if c in _PS_SQ:
            j = self._ps_single(wb, i, i)
        elif c in _PS_DQ:
            j = self._ps_double(wb, i, i)
        elif c == "$":
            j = self._ps_dollar(wb, i, False)
        elif c == "@":
            j = self._ps_at(wb, i)
        elif c.isdigit():
            m = _PS_NUMBER.match(text, i, end)
            if m:
                j = m.end()
                wb.lit(m.group(), i, j, None)
        elif c == "(":
            # ($x = ) (az ... -o tsv): a grouped pipeline reads like $(...)
            e = self._ps_scan(i + 1, ")", i)
            if self._ps_member_tail(e) == e:
                body, _ = _parse_nested(ctx, i + 1, e - 1, True, "range", i)
                wb.part(CmdSub(body, ctx.span(i, e), text[i + 1:e - 1]))
                j = e
        if j > i:
            k = j
            m = _PS_BLANK.match(text, k, end)
            if m:
                k = m.end()
            if k >= end or text[k] in "\n;|})#{" or text.startswith("&&", k) or (k > j and text[k] == ">"):
                w = wb.word(i, j)
                if w.typos:
                    ctx.typo_words.append(w)
                self.i = j
                return self.tok("WORD", w, i, j)
        e = self._ps_scan(i, None, i)
        while e > i and text[e - 1] in " \t\r":
            e -= 1
        if e <= i:
            e = i + 1
        self.i = e
        word = Word((Opaque(text[i:e], ctx.span(i, e)),), ctx.span(i, e), text[i:e])
        return self.tok("EXPR", word, i, e)

    def _ps_scan(self, i: int, closer: str | None, opener: int) -> int:
        """Balanced PowerShell text from ``i``: with ``closer`` (``)``, ``}``, ``]``) the offset
        after it; without, up to the end of the expression statement (newline, ``;``, ``|``,
        an unbalanced closing bracket)."""
        text = self.text
        end = self.end
        ctx = self.ctx
        stack: list[tuple[str, int]] = [(closer, opener)] if closer else []
        pairs = {"(": ")", "[": "]", "{": "}"}
        j = i
        while j < end:
            m = _PS_SCAN_BORING.match(text, j, end)
            if m:
                j = m.end()
                if j >= end:
                    break
            c = text[j]
            if c in pairs:
                stack.append((pairs[c], j))
                j += 1
            elif c in ")]}":
                if stack and stack[-1][0] == c:
                    stack.pop()
                    j += 1
                    if not stack and closer:
                        return j
                elif not stack:
                    return j
                else:
                    j += 1
            elif c in _PS_SQ:
                j = self._ps_skip_single(j)
            elif c in _PS_DQ:
                j = self._ps_skip_double(j)
            elif c == "@" and j + 1 < end and text[j + 1] in "\"'" and self._ps_herestring_start(j):
                j = self._ps_herestring_end(j)
            elif c == "`":
                j += 2
            elif c == "$" and j + 1 < end and text[j + 1] == "(":
                stack.append((")", j))
                j += 2
            elif c == "#":
                if not stack and j > i:
                    return j
                k = text.find("\n", j, end)
                j = end if k < 0 else k
            elif c == "<" and j + 1 < end and text[j + 1] == "#":
                k = text.find("#>", j + 2, end)
                if k < 0:
                    ctx.fail("unterminated block comment <#", j, j + 2)
                j = k + 2
            elif c in "\n;|&":
                if not stack and (c != "&" or text.startswith("&&", j)):
                    return j
                j += 1
            else:
                j += 1
        if stack:
            what, pos = stack[-1]
            ctx.fail(f"unterminated '{text[pos]}' (no '{what}' closes it)", pos, pos + 1)
        return end

    def _ps_member_tail(self, e: int) -> int:
        """``(...)`` / ``$x`` followed by ``.Name``, ``[0]``, ``.Method()``."""
        text = self.text
        end = self.end
        while e < end:
            c = text[e]
            if c == "." and e + 1 < end and (text[e + 1].isalpha() or text[e + 1] == "_"):
                k = e + 1
                while k < end and (text[k].isalnum() or text[k] == "_"):
                    k += 1
                e = k
                if e < end and text[e] == "(":
                    e = self._ps_scan(e + 1, ")", e)
            elif c == "[":
                e = self._ps_scan(e + 1, "]", e)
            elif c == ":" and e + 1 < end and text[e + 1] == ":":
                e += 2
            else:
                break
        return e

    def _ps_skip_single(self, i: int) -> int:
        text = self.text
        end = self.end
        j = i + 1
        while True:
            m = _PS_SQ_LIT.match(text, j, end)
            if m:
                j = m.end()
            if j >= end:
                self.ctx.fail("unterminated single quote", i, i + 1)
            if j + 1 < end and text[j + 1] in _PS_SQ:
                j += 2
                continue
            return j + 1

    def _ps_skip_double(self, i: int) -> int:
        text = self.text
        end = self.end
        j = i + 1
        while True:
            m = _PS_DQ_LIT.match(text, j, end)
            if m:
                j = m.end()
            if j >= end:
                self.ctx.fail("unterminated double quote", i, i + 1)
            c = text[j]
            if c == "`":
                j += 2
            elif c == "$":
                if j + 1 < end and text[j + 1] == "(":
                    j = self._ps_scan(j + 2, ")", j)
                else:
                    j += 1
            elif j + 1 < end and text[j + 1] in _PS_DQ:
                j += 2
            else:
                return j + 1

    def _ps_herestring_start(self, i: int) -> bool:
        text = self.text
        k = i + 2
        while k < self.end and text[k] in " \t\r":
            k += 1
        return k >= self.end or text[k] == "\n"

    def _ps_herestring_end(self, i: int) -> int:
        text = self.text
        q = text[i + 1]
        j = text.find("\n" + q + "@", i + 2, self.end)
        if j < 0:
            self.ctx.fail("unterminated here-string @" + q, i, i + 2)
        return j + 3

    # -------------------------------------------------------------- PowerShell words
    def _ps_word(self, i: int) -> tuple[Word, int]:
        text = self.text
        end = self.end
        ctx = self.ctx
        start = i
        m = _PS_LIT.match(text, i, end)
        if m:
            j = m.end()
            if j >= end or text[j] in " \t\n;|&(){}>\r":
                return _simple_word(ctx, m.group(), i, j), j
        wb = _WB(ctx)
        while i < end:
            m = _PS_LIT.match(text, i, end)
            if m:
                j = m.end()
                wb.lit(m.group(), i, j, None)
                i = j
                if i >= end:
                    break
            c = text[i]
            if c in " \t\n;|&(){}>\r\f\v\u00a0\u202f\u205f\u3000" or "\u2000" <= c <= "\u200a":
                break
            if c in _PS_SQ:
                i = self._ps_single(wb, i, start)
            elif c in _PS_DQ:
                i = self._ps_double(wb, i, start)
            elif c == "$":
                i = self._ps_dollar(wb, i, False)
            elif c == "`":
                if i + 1 >= end:
                    wb.lit("`", i, i + 1, None)
                    i += 1
                elif text[i + 1] == "\n" or (text[i + 1] == "\r" and text.startswith("\n", i + 2)):
                    break  # continuation: the word ends
                else:
                    n = text[i + 1]
                    wb.lit(_PS_ESC.get(n, n), i, i + 2, None)
                    i += 2
            elif c == "@" and i == start:
                i = self._ps_at(wb, i)
            else:
                wb.lit(c, i, i + 1, None)
                i += 1
        return wb.word(start, i), i

    def _ps_at(self, wb: _WB, i: int) -> int:
        """``@(...)``, ``@{...}``, here-strings, ``@splat`` at a word start."""
        text = self.text
        end = self.end
        ctx = self.ctx
        n = text[i + 1] if i + 1 < end else ""
        if n == "(":
            body, close = _parse_nested(ctx, i + 2, end, True, "paren", i)
            wb.part(CmdSub(body, ctx.span(i, close + 1), text[i + 2:close]))
            return close + 1
        if n == "{":
            e = self._ps_scan(i + 2, "}", i + 1)
            wb.part(Opaque(text[i:e], ctx.span(i, e)))
            return e
        if n and n in "\"'" and self._ps_herestring_start(i):
            e = self._ps_herestring_end(i)
            body_start = text.find("\n", i, e) + 1
            body_end = e - 3
            if body_end > body_start and text[body_end - 1] == "\r":
                body_end -= 1
            wb.lit(text[body_start:max(body_start, body_end)], i, e, '"' if n == '"' else "'")
            return e
        if n and (n.isalnum() or n == "_"):
            k = i + 1
            while k < end and (text[k].isalnum() or text[k] == "_"):
                k += 1
            wb.part(Opaque(text[i:k], ctx.span(i, k)))
            return k
        wb.lit("@", i, i + 1, None)
        return i + 1

    def _ps_single(self, wb: _WB, i: int, start: int) -> int:
        text = self.text
        end = self.end
        j = i + 1
        pieces = []
        while True:
            m = _PS_SQ_LIT.match(text, j, end)
            if m:
                pieces.append(m.group())
                j = m.end()
            if j >= end:
                if i > start and not any(q in text[i + 1:] for q in _PS_SQ):
                    wb.lit(text[i], i, i + 1, None)
                    return i + 1
                self.ctx.fail("unterminated single quote", i, i + 1)
            if j + 1 < end and text[j + 1] in _PS_SQ:
                pieces.append(text[j])
                j += 2
                continue
            wb.lit("".join(pieces), i, j + 1, "'")
            return j + 1

    def _ps_double(self, wb: _WB, i: int, start: int) -> int:
        text = self.text
        end = self.end
        pending: int | None = i
        j = i + 1
        while True:
            m = _PS_DQ_LIT.match(text, j, end)
            if m:
                e = m.end()
                wb.lit(m.group(), j if pending is None else pending, e, '"')
                pending = None
                j = e
            if j >= end:
                if i > start and not any(q in text[i + 1:] for q in _PS_DQ):
                    wb.lit(text[i], i, i + 1, None)
                    return i + 1
                self.ctx.fail("unterminated double quote", i, i + 1)
            c = text[j]
            if c == "`":
                if j + 1 < end:
                    n = text[j + 1]
                    wb.lit(_PS_ESC.get(n, n), j if pending is None else pending, j + 2, '"')
                    j += 2
                else:
                    wb.lit("`", j if pending is None else pending, j + 1, '"')
                    j += 1
                pending = None
            elif c == "$":
                j = self._ps_dollar(wb, j, True)
                pending = None
            elif j + 1 < end and text[j + 1] in _PS_DQ:
                wb.lit(c, j if pending is None else pending, j + 2, '"')
                pending = None
                j += 2
            else:
                if pending is not None:
                    wb.lit("", pending, j + 1, '"')
                elif wb.buf is not None and wb.bq == '"' and wb.be == j:
                    wb.be = j + 1
                return j + 1

    def _ps_dollar(self, wb: _WB, i: int, in_dq: bool) -> int:
        text = self.text
        end = self.end
        ctx = self.ctx
        n = text[i + 1] if i + 1 < end else ""
        if n == "(":
            body, close = _parse_nested(ctx, i + 2, end, True, "paren", i)
            e = close + 1
            if not in_dq:
                e2 = self._ps_member_tail(e)
                if e2 != e:
                    wb.part(Opaque(text[i:e2], ctx.span(i, e2)))
                    return e2
            wb.part(CmdSub(body, ctx.span(i, e), text[i + 2:close]))
            return e
        if n == "{":
            j = i + 2
            while j < end and text[j] != "}":
                j += 2 if text[j] == "`" else 1
            if j >= end:
                ctx.fail("unterminated ${", i, i + 2)
            name = text[i + 2:j]
            env = False
            scope, sep, rest = name.partition(":")
            if sep and scope.lower() in _PS_SCOPES:
                env = scope.lower() == "env"
                name = rest
            wb.part(Var(name, ctx.span(i, j + 1), env=env))
            return j + 1
        m = _PS_VAR.match(text, i + 1, end) if n else None
        if m is None:
            wb.lit("$", i, i + 1, '"' if in_dq else None)
            return i + 1
        e = m.end()
        scope, name = m.group(1), m.group(2)
        if not in_dq:
            e2 = self._ps_member_tail(e)
            if e2 != e:
                wb.part(Opaque(text[i:e2], ctx.span(i, e2)))
                return e2
        low = name.lower()
        if scope is None and low in ("true", "false", "null"):
            value = {"true": "True", "false": "False", "null": ""}[low]
            wb.lit(value, i, e, '"' if in_dq else None)
            return e
        wb.part(Var(name, ctx.span(i, e), env=scope is not None and scope.lower() == "env"))
        return e


def _ansi_c(s: str) -> str:
    def repl(m: re.Match[str]) -> str:
        t = m.group()
        k = t[1]
        if k in "xuU":
            try:
                return chr(int(t[2:], 16))
            except (ValueError, OverflowError):
                return t
        if k in "01234567":
            return chr(int(t[1:], 8) & 0xFF)
        if k == "c":
            return chr(ord(t[2]) & 0x1F)
        return _ANSI_MAP.get(k, t)

    return _ANSI.sub(repl, s) if "\\" in s else s


def _simulate(states: Any, stack: list[Any], term: str, end_state: Any, shift: Any) -> bool:
    """Run the reductions ``term`` triggers without touching the parser: does ``term`` get
    shifted (or, for ``$END``, accepted)? The real stack is only read (below ``depth``); the
    states pushed by the simulated reductions live in ``extra``."""
    depth = len(stack)
    extra: list[Any] = []
    for _ in range(100000):
        top = extra[-1] if extra else stack[depth - 1]
        act = states[top].get(term)
        if act is None:
            return False
        if act[0] is shift:
            return True
        rule = act[1]
        n = len(rule.expansion)
        if n:
            k = n if n < len(extra) else len(extra)
            if k:
                del extra[-k:]
            depth -= n - k
            if depth <= 0:
                return False
        top = extra[-1] if extra else stack[depth - 1]
        goto = states[top].get(rule.origin.name)
        if goto is None:
            return False
        if goto[1] == end_state:
            return term == "$END"
        extra.append(goto[1])
    return False


# ----------------------------------------------------------------------------- driver


def _parse_nested(ctx: _Ctx, start: int, end: int, ps: bool, mode: str,
                  opener: int) -> tuple[Script, int]:
    """Parse a ``$(...)`` body (mode "paren": returns the offset of its ``)``) or a backtick
    body (mode "range": ``end`` is the closing backtick)."""
    if ctx.fatal:
        raise _Fatal()
    if ctx.depth >= _MAX_DEPTH:
        ctx.fail("statement not understood; skipped (substitutions nested too deeply)", opener,
                 opener + 2, "EGL004")
    ctx.depth += 1
    try:
        lexer = _Lexer(ctx, start, end, ps, mode)
        items: list[Any] = []
        _run(ctx, lexer, items)
    finally:
        ctx.depth -= 1
    if ctx.fatal:
        raise _Fatal()
    if mode == "paren":
        if lexer.closed_at is None:
            ctx.fail("unterminated command substitution (no ')' closes it)" if not ps else
                     "unterminated subexpression (no ')' closes it)", opener, opener + 2)
        close = lexer.closed_at
    else:
        close = end
    return Script(tuple(items), "powershell" if ps else "bash"), close  # type: ignore[arg-type]


def _run(ctx: _Ctx, lexer: _Lexer, out: list[Any]) -> None:
    """Feed the lexer's tokens to the parser one top-level statement at a time."""
    lk = ctx.lk
    dialect = "powershell" if lexer.ps else "bash"
    ip = lk.parser.parse_interactive(lexer, start=dialect)
    pstate = ip.parser_state
    stack = pstate.state_stack
    values = pstate.value_stack
    conf = pstate.parse_conf
    states = conf.states
    end_state = conf.end_state
    shift = lk.Shift
    end_tok = lk.end_token
    unexpected = lk.UnexpectedInput
    emitter = _Emitter(ctx, lexer.ps)
    gen = ip.lexer_thread.lex(pstate)
    chunk_start = -1
    kw = br = par = 0
    last_end = lexer.i
    try:
        for tok in gen:
            typ = tok.type
            if chunk_start < 0:
                if typ == "_NEWLINE" or typ == "_SEMI":
                    continue
                chunk_start = tok.start_pos
                kw = br = par = 0
            if typ == "LBRACE":
                br += 1
            elif typ == "RBRACE":
                br = br - 1 if br > 0 else 0
            elif typ == "LPAREN":
                par += 1
            elif typ == "RPAREN":
                par = par - 1 if par > 0 else 0
            elif typ in _KW_OPEN:
                kw += 1
            elif typ in _KW_CLOSE:
                kw = kw - 1 if kw > 0 else 0
            try:
                pstate.feed_token(tok)
            except unexpected:
                if lexer.ps:
                    kw = 0
                skipped_to = lexer.skip(tok, kw, br, par)
                ctx.problem("EGL004", "statement not understood; skipped", chunk_start,
                            max(skipped_to, chunk_start + 1))
                del stack[1:]
                values.clear()
                chunk_start = -1
                continue
            last_end = tok.end_pos
            if typ in _SEPS and _accepts_end(states, stack, end_state, shift):
                tree = pstate.feed_token(end_tok, True)
                del stack[1:]
                values.clear()
                chunk_start = -1
                emitter.emit(tree, out)
        if chunk_start >= 0:
            try:
                tree = pstate.feed_token(end_tok, True)
            except unexpected:
                ctx.problem("EGL004", "statement not understood; skipped", chunk_start,
                            max(last_end, chunk_start + 1))
            else:
                emitter.emit(tree, out)
    except _Fatal:
        if lexer.mode is not None:
            raise
    finally:
        del stack[1:]
        values.clear()


def _accepts_end(states: Any, stack: list[Any], end_state: Any, shift: Any) -> bool:
    if "$END" not in states[stack[-1]]:
        return False
    return _simulate(states, stack, "$END", end_state, shift)


# ----------------------------------------------------------------------------- tree -> items


def _tok_start(node: Any) -> int:
    """Offset where a subtree starts (its first token)."""
    todo = [node]
    while todo:
        n = todo.pop()
        if hasattr(n, "start_pos"):
            return n.start_pos  # type: ignore[no-any-return]
        todo.extend(reversed(n.children))
    return 0


def _tok_end(node: Any) -> int:
    """Offset where a subtree ends (its last token)."""
    todo = [node]
    while todo:
        n = todo.pop()
        if hasattr(n, "end_pos"):
            return n.end_pos  # type: ignore[no-any-return]
        todo.extend(n.children)
    return 0


class _Emitter:
    """Turns one statement's parse tree into items, in textual order."""

    def __init__(self, ctx: _Ctx, ps: bool) -> None:
        self.ctx = ctx
        self.ps = ps
        self.Tree = ctx.lk.Tree

    def emit(self, tree: Any, out: list[Any]) -> None:
        """Append the items of one statement (all of them, or none with an EGL004 when it is
        nested too deeply to walk)."""
        items: list[Any] = []
        try:
            if self.ps:
                self._p_items(tree, False, items)
            else:
                self._b_items(tree, False, items)
        except RecursionError:
            a = _tok_start(tree)
            b = _tok_end(tree)
            self.ctx.problem("EGL004", "statement not understood; skipped (nested too deeply)", a,
                             max(a + 1, b))
            return
        out.extend(items)

    def _span(self, a: int, b: int) -> Span:
        return self.ctx.span(a, b)

    # -------------------------------------------------------------- bash
    def _b_items(self, node: Any, cond: bool, out: list[Any]) -> None:
        ch = node.children
        Tree = self.Tree
        for k, c in enumerate(ch):
            if type(c) is Tree and c.data == "term":
                bg = k + 1 < len(ch) and getattr(ch[k + 1], "type", None) == "AMP"
                self._b_term(c, cond, bg, out)

    def _b_term(self, t: Any, cond: bool, bg: bool, out: list[Any]) -> None:
        seq = []
        Tree = self.Tree
        while True:
            ch = t.children
            if len(ch) == 1 or type(ch[0]) is not Tree or ch[0].data != "term":
                seq.append((ch[-1], bg))
                break
            seq.append((ch[-1], bg))
            bg = len(ch) == 3
            t = ch[0]
        for and_or, b in reversed(seq):
            for k, p in enumerate(and_or.children):
                self._b_pipeline(p, cond or k > 0, b, out)

    def _b_pipeline(self, n: Any, cond: bool, bg: bool, out: list[Any]) -> None:
        Tree = self.Tree
        stages = [c for c in n.children if type(c) is Tree]
        if len(stages) == 1:
            s = stages[0]
            if s.data == "simple_command":
                r = self._b_simple(s, cond, bg)
                if isinstance(r, list):
                    out.extend(r)
                else:
                    out.append(r)
            else:
                self._b_compound(s, cond, out)
            return
        results: list[Any] = []
        for s in stages:
            if s.data == "simple_command":
                results.append(self._b_simple(s, cond, bg))
            else:
                results.append(s)
        self._pipe_out(results, out, lambda s: self._b_compound(s, cond, out))

    def _pipe_out(self, results: list[Any], out: list[Any], walk: Any) -> None:
        """Emit a pipeline: its first command (with ``piped_to`` = the later commands),
        the items of compound stages, in order."""
        cmds = [r for r in results if isinstance(r, Command)]
        chained: dict[int, Command] = {}
        after: tuple[Command, ...] = ()
        for c in reversed(cmds):
            nc = replace(c, piped_to=after) if after else c
            chained[id(c)] = nc
            after = (nc,) + after
        first_done = False
        for r in results:
            if isinstance(r, Command):
                if not first_done:
                    out.append(chained[id(r)])
                    first_done = True
            elif isinstance(r, list):
                out.extend(r)
            elif r is not None:
                walk(r)

    def _b_simple(self, n: Any, cond: bool, bg: bool) -> Any:
        assigns: list[Word] = []
        words: list[Word] = []
        redirs: list[Redirect] = []
        Tree = self.Tree
        for c in n.children:
            if type(c) is Tree:
                redirs.append(self._redirect(c))
            elif c.type == "ASSIGNMENT_WORD" and not words:
                assigns.append(c.value)
            else:
                words.append(c.value)
        a = _tok_start(n)
        b = _tok_end(n)
        if not words:
            return [x for x in (_assignment(self.ctx, w, cond) for w in assigns) if x is not None]
        name = words[0].literal()
        if name in _DECL and words[0].parts and not words[0].quoted:
            result = [x for x in (_assignment(self.ctx, w, cond) for w in assigns) if x is not None]
            export = name == "export"
            for w in words[1:]:
                lit = w.literal()
                if lit is not None and lit.startswith("-"):
                    if name in ("declare", "typeset", "local") and "x" in lit[1:]:
                        export = True
                    continue
                x = _assignment(self.ctx, w, cond, export)
                if x is not None:
                    result.append(x)
            return result
        claimed = self.ctx.claimed
        for w in words:
            claimed.add(id(w))
        pre = tuple(x for x in (_assignment(self.ctx, w, cond) for w in assigns) if x is not None)
        return Command(tuple(words), self._span(a, b), pre, tuple(redirs), cond, (), bg)

    def _redirect(self, t: Any) -> Redirect:
        ch = t.children
        first = ch[0]
        if first.type in ("REDIR_DUP", "HEREDOC"):
            return first.value  # type: ignore[no-any-return]
        target = ch[1].value if len(ch) > 1 else None
        end = ch[-1].end_pos
        return Redirect(first.value, target, self._span(first.start_pos, end))

    def _b_compound(self, node: Any, cond: bool, out: list[Any]) -> None:
        Tree = self.Tree
        data = node.data
        if data in ("compound", "brace_group", "subshell"):
            inner = cond
        elif data in ("compound_list", "paren_list"):
            self._b_items(node, cond, out)
            return
        elif data in ("redirect", "arith_cmd"):
            return
        else:
            inner = True
        for c in node.children:
            if type(c) is Tree:
                if c.data in ("compound_list", "paren_list"):
                    self._b_items(c, inner, out)
                else:
                    self._b_compound(c, inner, out)

    # -------------------------------------------------------------- PowerShell
    def _p_items(self, node: Any, cond: bool, out: list[Any]) -> None:
        Tree = self.Tree
        for c in node.children:
            if type(c) is Tree and c.data == "ps_list":
                seq = []
                t = c
                while True:
                    ch = t.children
                    seq.append(ch[-1])
                    if len(ch) == 1 or type(ch[0]) is not Tree or ch[0].data != "ps_list":
                        break
                    t = ch[0]
                for s in reversed(seq):
                    self._p_stmt(s, cond, out)

    def _p_stmt(self, s: Any, cond: bool, out: list[Any]) -> None:
        data = s.data
        if data == "ps_chain":
            for k, p in enumerate(s.children):
                self._p_pipeline(p, cond or k > 0, out)
        elif data == "ps_assign":
            self._p_assign(s, cond, out)
        elif data == "ps_param":
            return
        else:
            self._p_walk(s, out)

    def _p_walk(self, node: Any, out: list[Any]) -> None:
        """Blocks of if/foreach/for/while/do/switch/function/try: conditional items."""
        Tree = self.Tree
        for c in node.children:
            if type(c) is Tree:
                if c.data == "ps_block":
                    self._p_items(c, True, out)
                else:
                    self._p_walk(c, out)

    def _p_pipeline(self, p: Any, cond: bool, out: list[Any], as_value: bool = False) -> Command | None:
        results: list[Any] = []
        blocks: list[Any] = []
        for st in p.children:
            cmd, bl = self._p_command(st, cond)
            results.append(cmd)
            blocks.extend(bl)
        first: Command | None = None
        cmds = [r for r in results if r is not None]
        after: tuple[Command, ...] = ()
        chained = []
        for c in reversed(cmds):
            nc = replace(c, piped_to=after) if after else c
            chained.append(nc)
            after = (nc,) + after
        if chained:
            first = chained[-1]
            if not as_value:
                out.append(first)
        for b in blocks:
            self._p_items(b, True, out)
        return first

    def _p_command(self, st: Any, cond: bool) -> tuple[Command | None, list[Any]]:
        """One pipeline stage: a Command when it starts with a command name (not an
        expression), and its script-block arguments."""
        Tree = self.Tree
        ch = st.children
        head = ch[0]
        blocks = [c for c in ch if type(c) is Tree and c.data == "ps_block"]
        if type(head) is not Tree and head.type in ("WORD", "EXPR") and \
                (m := _PS_OPTION_STATEMENT.match(head.value.raw)) is not None:
            # `--outbound-type x` on a line of its own: the az line above lost its backtick.
            # PowerShell does not pass it to az; keep the option as a command so the az
            # frontend can say so (EGL008)
            option = m.group()
            start = head.value.span.offset
            span = self._span(start, start + len(option))
            return Command((Word((Lit(option, span),), span, option),), span, (), (), cond), blocks
        if type(head) is Tree or head.type != "WORD" or not _is_bareword(head.value):
            return None, blocks
        words: list[Word] = []
        redirs: list[Redirect] = []
        for c in ch:
            if type(c) is Tree:
                if c.data == "redirect":
                    redirs.append(self._redirect(c))
            elif c.type == "WORD":
                words.append(c.value)
            elif c.type == "PAREN":
                words.append(self._paren_word(c.value))
        lead = words[0].literal()
        if lead is not None and lead.lower() in ("begin", "process", "end", "dynamicparam", "clean", "default") \
                and len(words) == 1 and blocks:
            return None, blocks
        claimed = self.ctx.claimed
        for w in words:
            claimed.add(id(w))
        cmd = Command(tuple(words), self._span(_tok_start(st), _tok_end(st)), (), tuple(redirs), cond)
        return cmd, blocks

    def _paren_word(self, rng: tuple[int, int]) -> Word:
        """A parenthesised argument ``(...)``: its commands parsed, like ``$(...)``."""
        a, b = rng
        ctx = self.ctx
        close = b - 1
        text = ctx.text
        while close > a and text[close] != ")":
            close -= 1
        ctx.quiet += 1
        try:
            body, _ = _parse_nested(ctx, a + 1, close, True, "range", a)
        except _Fatal:
            body = Script((), "powershell")
        finally:
            ctx.quiet -= 1
        if close + 1 != b:  # (...).Member
            part: Any = Opaque(text[a:b], ctx.span(a, b))
        else:
            part = CmdSub(body, ctx.span(a, b), text[a + 1:close])
        return Word((part,), ctx.span(a, b), text[a:b])

    def _p_assign(self, s: Any, cond: bool, out: list[Any]) -> None:
        target, value = s.children[0], s.children[-1]
        name, env, op, a, _name_end = target.value
        vstart, vend = _tok_start(value), _tok_end(value)
        span = self._span(a, vend)
        ctx = self.ctx
        opaque = Word((Opaque(ctx.text[vstart:vend], self._span(vstart, vend)),),
                      self._span(vstart, vend), ctx.text[vstart:vend])
        if op != "=" or value.data != "ps_chain":
            # `$n += ...`, `$x = if (...) {...}`: the value is computed; inner commands are items
            inner: list[Any] = []
            self._p_stmt(value, cond, inner)
            out.append(Assignment(name, span, opaque, None, False, env, cond))
            out.extend(inner)
            return
        pipes = value.children
        stages = pipes[0].children
        if len(pipes) == 1 and len(stages) == 1:
            st = stages[0]
            head = st.children[0]
            if type(head) is not self.Tree and head.type in ("WORD", "EXPR") \
                    and (head.type == "EXPR" or not _is_bareword(head.value)):
                val = head.value if len(st.children) == 1 else opaque
                out.append(Assignment(name, span, val, None, False, env, cond))
                for b in (c for c in st.children if type(c) is self.Tree and c.data == "ps_block"):
                    self._p_items(b, True, out)
                return
        rest: list[Any] = []
        cmd = self._p_pipeline(pipes[0], cond, rest, as_value=True)
        out.append(Assignment(name, span, opaque if cmd is None else None, cmd, False, env, cond))
        out.extend(rest)
        for p in pipes[1:]:
            self._p_pipeline(p, True, out)


_PS_OPTION_STATEMENT = re.compile(r"--[A-Za-z][\w-]*")


def _is_bareword(w: Word) -> bool:
    if not w.parts:
        return False
    first = w.parts[0]
    if not isinstance(first, Lit) or first.quote is not None:
        return False
    if first.span.offset != w.span.offset:
        return False
    c = w.raw[:1]
    return c.isalpha() or c in "&._\\/~"


def _assignment(ctx: _Ctx, w: Word, cond: bool, export: bool = False) -> Assignment | None:
    """``NAME=value`` word -> Assignment (None when the word is not an assignment)."""
    m = _B_ASSIGN.match(w.raw)
    if m is None:
        return None
    name = m.group(1)
    k = m.end()
    off = w.span.offset + k
    end = w.span.end_offset
    parts = w.parts
    first = parts[0] if parts else None
    if not isinstance(first, Lit) or first.quote is not None or not first.text.startswith(w.raw[:k]) \
            or first.span.offset != w.span.offset:
        value: Word | None = Word((Opaque(w.raw[k:], ctx.span(off, end)),), ctx.span(off, end), w.raw[k:])
    elif m.group(3) or m.group(2):  # X+=... / X[i]=...: computed at run time
        value = Word((Opaque(w.raw[k:], ctx.span(off, end)),), ctx.span(off, end), w.raw[k:])
    else:
        rest = first.text[k:]
        new_parts: list[Any] = []
        if rest:
            new_parts.append(Lit(rest, ctx.span(off, first.span.end_offset), None))
        new_parts.extend(parts[1:])
        if not new_parts:
            value = None
        else:
            value = Word(tuple(new_parts), ctx.span(off, end), w.raw[k:],
                         tuple(t for t in w.typos if t.span.offset >= off))
    return Assignment(name, w.span, value, None, export, False, cond)


# ----------------------------------------------------------------------------- public API


def parse(text: str, dialect: Dialect) -> Script:
    """Parse a bash or PowerShell script. Never raises, never executes anything."""
    if not isinstance(text, str):
        text = str(text)
    d = str(dialect).lower()
    dialect_name = "powershell" if d in ("powershell", "pwsh", "ps", "ps1") else "bash"
    ctx = _Ctx(text, dialect_name)
    items: list[Any] = []
    start = 1 if text.startswith("\ufeff") else 0
    # A big script allocates many small objects and no cycles: the cyclic GC would only
    # rescan them (about a third of the time); pause it and restore its state.
    pause_gc = len(text) > 100_000 and gc.isenabled()
    if pause_gc:
        gc.disable()
    try:
        lexer = _Lexer(ctx, start, len(text), dialect_name == "powershell", None)
        _run(ctx, lexer, items)
    except _Fatal:
        pass
    except RecursionError:
        ctx.problems.append(Problem("EGL004", "statement not understood; skipped (nested too deeply)",
                                    ctx.span(start, len(text))))
    except Exception as exc:  # pragma: no cover - a parser bug must not stop a scan
        if os.environ.get("EGRESSLINT_STRICT", "") not in ("", "0"):
            raise
        ctx.problems.append(Problem("EGL004", f"statement not understood; skipped (internal error: {exc!r})",
                                    ctx.span(start, len(text))))
    finally:
        if pause_gc:
            gc.enable()
    seen: set[int] = set()
    typos: list[Typo] = []
    claimed = ctx.claimed
    for w in ctx.typo_words:
        if id(w) in claimed:
            continue
        for t in w.typos:
            if t.span.offset not in seen:
                seen.add(t.span.offset)
                typos.append(t)
    typos.sort(key=lambda t: t.span.offset)
    problems = sorted(ctx.problems, key=lambda p: p.span.offset)
    return Script(tuple(items), dialect_name, tuple(problems), tuple(typos))  # type: ignore[arg-type]


_SHEBANG = re.compile(r"#!\s*(?:\S*/)?(?:env\s+(?:-\S+\s+)*)?(\S+)")
_PS_ASSIGN_LINE = re.compile(r"^\s*\$[A-Za-z_][\w]*(?::[\w]+)?\s*[-+]?=")
_BASH_ASSIGN_LINE = re.compile(r"^\s*(?:export\s+)?[A-Za-z_]\w*=")


def detect_dialect(text: str, filename: str | None = None) -> Dialect:
    """bash or powershell: by file extension, then shebang, then a look at the lines."""
    if filename:
        low = str(filename).lower()
        if low.endswith((".ps1", ".psm1", ".psd1")):
            return "powershell"
        if low.endswith((".sh", ".bash", ".zsh", ".ksh")):
            return "bash"
    if text.startswith("\ufeff"):
        text = text[1:]
    if text.startswith("#!"):
        m = _SHEBANG.match(text)
        if m:
            prog = m.group(1).lower()
            if "pwsh" in prog or "powershell" in prog:
                return "powershell"
            if prog.rstrip("0123456789.") in ("bash", "sh", "zsh", "ksh", "dash", "ash"):
                return "bash"
    ps = bash = 0
    for line in text.splitlines()[:2000]:
        s = line.rstrip()
        if not s or s.lstrip().startswith("#"):
            continue
        if s.endswith("`"):
            ps += 1
        elif s.endswith("\\"):
            bash += 1
        if _PS_ASSIGN_LINE.match(s):
            ps += 1
        elif _BASH_ASSIGN_LINE.match(s):
            bash += 1
        if "$env:" in s.lower():
            ps += 1
    return "powershell" if ps > bash else "bash"
