"""az CLI scripts -> Operations, in execution order.

The shell parser gives commands and assignments; this module evaluates words to Values
(literal, symbolic, unknown) through the script's variables, binds each ``az`` command's
arguments against the command table (``azcommands``), and maps the command to Operations on
typed resources. ``$(az ... show --query ...)`` substitutions become symbolic values ("the
private IP of firewall 'fw'") that the inventory resolves later.

Input problems found here are Findings of the input rules: EGL001/EGL004 from the parser,
EGL002 typographic punctuation, EGL003 flags az rejects, EGL005 missing arguments, EGL007
``--query`` spelled with the wrong case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from egresslint import views
from egresslint.findings import Finding, Severity
from egresslint.frontends import FrontendResult, SourceFile, shell
from egresslint.frontends import azcommands as table
from egresslint.frontends.shellast import (
    Assignment,
    CmdSub,
    Command,
    Lit,
    Opaque,
    Script,
    Span,
    Typo,
    Var,
    Word,
)
from egresslint.model import (
    FirewallIpConfig,
    Location,
    Operation,
    Ref,
    Symbol,
    Value,
    classic_collection_ref,
)

_TRUE = {"1", "t", "true", "y", "yes", "on"}
_FALSE = {"0", "f", "false", "n", "no", "off"}
_PLACEHOLDER = re.compile(r"<[A-Za-z][A-Za-z0-9_.\-]{0,60}>")
_TYPO_NAMES = {
    "\u2013": "en dash",
    "\u2014": "em dash",
    "\u2212": "Unicode minus",
    "\u201c": "left double quotation mark",
    "\u201d": "right double quotation mark",
    "\u2018": "left single quotation mark",
    "\u2019": "right single quotation mark",
}


def load(source: SourceFile) -> FrontendResult:
    """Parse and translate one script file."""
    dialect = source.dialect or shell.detect_dialect(source.text, source.path)
    script = shell.parse(source.text, dialect)
    translator = Translator(source.path, dialect)
    translator.run(script, source.text)
    return translator.result()


@dataclass
class Placement:
    """Where a script's text sits in its file (Markdown code blocks start further down)."""

    line_offset: int = 0
    column_offset: int = 0


@dataclass
class Translator:
    """Walks a parsed script. One instance can translate several scripts that share
    variables in order (the code blocks of one Markdown document)."""

    file: str
    dialect: str
    placeholders_unknown: bool = False  # Markdown: `<resource-group>` is a placeholder, not a redirect
    # Markdown: the variable standing for each placeholder -> the placeholder as written
    placeholder_names: dict[str, str] = field(default_factory=dict)
    env: dict[str, Value] = field(default_factory=dict)
    placement: Placement = field(default_factory=Placement)
    operations: list[Operation] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    _group: int = 0
    _command_index: int = 0
    _seen_typos: set[tuple[int, int]] = field(default_factory=set)
    _last_az: tuple[int, str] | None = None  # (end line, command) of the az command just before
    # bash `$NAME=value` lines (PowerShell habit): NAME -> line, to say why $NAME stays unset
    _dollar_assignments: dict[str, int] = field(default_factory=dict)
    _null_vars: set[str] = field(default_factory=set)  # PowerShell variables assigned $null
    _escaped_blank_lines: set[int] = field(default_factory=set)  # lines ending in `\ ` (EGL008)

    # ------------------------------------------------------------------ driving
    def run(self, script: Script, text: str | None = None) -> None:
        for problem in script.problems:
            code, message = problem.code, problem.message
            if code == "EGL004" and text is not None and not self.placeholders_unknown:
                # `<resource-group>` copied from docs: in a real script `<` and `>` redirect
                # and the statement is a syntax error that stops the script
                m = _PLACEHOLDER.search(text, problem.span.offset, problem.span.end_offset or len(text))
                if m is not None:
                    code = "EGL001"
                    message = (f"'{m.group(0)}' is a documentation placeholder left in the script: the shell "
                               f"reads '<' and '>' as redirections and stops with a syntax error; put the "
                               f"real value (or a variable) there")
            severity = Severity.ERROR if code == "EGL001" else Severity.INFO
            self.findings.append(Finding(code, message, severity, self.loc(problem.span)))
        for typo in script.typos:
            self._typo(typo)
        for item in script.items:
            self.item(item)

    def result(self) -> FrontendResult:
        return FrontendResult(self.operations, self.findings, self.facts)

    def item(self, item: Command | Assignment) -> Value | None:
        if isinstance(item, Assignment):
            self.assign(item)
            return None
        return self.command(item)

    def assign(self, a: Assignment) -> None:
        key = self._var_key(a.name, a.env)
        if a.command is not None:
            value = self.command(a.command) or Value.unknown(_raw(a.command), self.loc(a.command.span),
                                                            reason=f"output of '{_raw(a.command)}'")
        elif a.value is not None:
            value = self.word(a.value)
        else:
            value = Value.literal("", self.loc(a.span))
        self.env[key] = value
        if self.dialect == "powershell" and a.value is not None and _is_ps_null(a.value):
            self._null_vars.add(key)
        else:
            self._null_vars.discard(key)

    # ------------------------------------------------------------------ positions
    def loc(self, span: Span, path: tuple[Any, ...] = ()) -> Location:
        p = self.placement
        col_shift = p.column_offset
        return Location(
            self.file,
            span.line + p.line_offset,
            span.column + col_shift,
            span.end_line + p.line_offset,
            span.end_column + col_shift,
            path,
        )

    # ------------------------------------------------------------------ words -> values
    def _var_key(self, name: str, env: bool = False) -> str:
        key = f"env:{name}" if env else name
        return key.lower() if self.dialect == "powershell" else key

    def word(self, w: Word) -> Value:
        """Evaluate a word: literal, symbolic (one symbolic part + literal suffix), or unknown
        (its text keeps unresolved variables as ``$NAME`` so identities stay stable)."""
        for typo in w.typos:
            self._typo(typo)
        return join_pieces([self._part(p) for p in w.parts], self.loc(w.span))

    def _part(self, part: Any) -> Value:
        if isinstance(part, Lit):
            return Value.literal(part.text)
        if isinstance(part, Var):
            return self._var(part)
        if isinstance(part, CmdSub):
            out = None
            for item in part.body.items:
                out = self.item(item)
            if out is not None and (out.known is not None or out.symbol is not None):
                return out
            return Value.unknown(f"$({part.text.strip()})", reason=f"output of $({part.text.strip()})")
        if isinstance(part, Opaque):
            return Value.unknown(part.text, reason="computed at run time")
        return Value.unknown(str(part), reason="not understood")

    def _var(self, var: Var) -> Value:
        key = self._var_key(var.name, var.env)
        current = self.env.get(key)
        shown = f"$env:{var.name}" if var.env else f"${var.name}"
        if var.op in (":-", "-", ":=", "="):
            if current is None or (var.op.startswith(":") and current.known == ""):
                if var.default is not None:
                    value = self.word(var.default)
                    if var.op in (":=", "="):
                        self.env[key] = value
                    return value
            return current if current is not None else Value.unknown(shown, reason=f"{shown} is not set")
        if var.op is not None:
            # ${X%...}, ${X#...}, ${#X}, ${X:+...}: computed from X at run time
            return Value.unknown(shown, reason=f"{shown} is transformed at run time")
        if current is not None:
            if current.known is None and current.symbol is None and current.text != shown:
                # keep the variable's name in messages: "$CURRENT_IP/32", not the $(...) it ran
                return Value.unknown(shown, reason=current.reason or f"{shown} is computed at run time")
            return current
        placeholder = self.placeholder_names.get(var.name)
        if placeholder is not None:
            return Value.unknown(placeholder, reason=f"{placeholder} is a placeholder of the document")
        misspelt = self._dollar_assignments.get(var.name)
        if misspelt is not None:
            return Value.unknown(shown, reason=f"{shown} is never assigned: line {misspelt} writes "
                                 f"'${var.name}=...', which bash runs as a command (PowerShell syntax); "
                                 f"write '{var.name}=...'")
        return Value.unknown(shown, reason=f"{shown} is never assigned in this script")

    # ------------------------------------------------------------------ typography
    def _typo(self, typo: Typo) -> None:
        key = (typo.span.offset, typo.span.line * 100000 + typo.span.column)
        if key in self._seen_typos:
            return
        self._seen_typos.add(key)
        name = _TYPO_NAMES.get(typo.char, "typographic character")
        code = f"U+{ord(typo.char):04X}"
        if typo.kind == "dash":
            message = (f"{name} '{typo.char}' ({code}) where '{typo.meant}' was meant: the command "
                       f"receives it literally and rejects or misreads the argument; type '{typo.meant}'")
        else:
            message = (f"{name} '{typo.char}' ({code}) used as a quote: bash passes it literally as part "
                       f"of the argument; use a straight quote ({typo.meant})")
        self.findings.append(Finding("EGL002", message, Severity.ERROR, self.loc(typo.span),
                                     subject=f"typo:{typo.char}"))

    # ------------------------------------------------------------------ commands
    def command(self, cmd: Command) -> Value | None:
        """Translate one command; return its output value when it has a meaningful one."""
        self._command_index += 1
        for a in cmd.assignments:
            self.assign(a)
        if self.dialect != "powershell" and cmd.words:
            m = _DOLLAR_ASSIGN.match(cmd.words[0].raw + (cmd.words[1].raw[:1] if len(cmd.words) > 1 else ""))
            if m is not None:
                self._dollar_assignments.setdefault(m.group(1), self.loc(cmd.span).line)
        words, values = self.arguments(cmd)
        escape = "`" if self.dialect == "powershell" else "\\"
        if len(words) > 1 and words[-1].raw in (escape + " ", escape + "\t"):
            # `\ ` at the end of a line escapes the blank, not the newline: the command ends
            # here with a stray ' ' argument (reported once, as the lost continuation it is)
            self._escaped_blank(words[-1], _command_name(values) or words[0].raw)
            words, values = words[:-1], values[:-1]
        for redirect in cmd.redirects:
            if redirect.target is not None:
                self.word(redirect.target)
        if not values:
            return None
        program = values[0].known
        last_az, self._last_az = self._last_az, None
        if program is None:
            return None
        if program.startswith("--") and last_az is not None and last_az[0] == cmd.span.line - 1:
            self._lost_continuation(words[0], program, last_az[1])
        if program.lower() in ("az", "az.cmd"):
            self._last_az = (cmd.span.end_line, "az")  # named by _az once the command is looked up
            return self._az(cmd, words, values)
        if program == "kubectl":
            self._kubectl(cmd, values)
        return None

    def _lost_continuation(self, first: Word, program: str, previous: str) -> None:
        """A bash statement that starts with an option right after an az command: the az line
        lacks its `` \\`` continuation, so the options below never reach az and bash runs
        ``--option`` as a program (command not found). PowerShell (missing backtick) reads the
        line as an expression, not as arguments; the shell parser keeps the option for this."""
        if first.span.line - 1 in self._escaped_blank_lines:
            return  # already reported at the backslash that was meant to continue the line
        if self.dialect == "powershell":
            consequence = "PowerShell does not pass it to az and stops with an error"
            remedy = "end the line above with ' `'"
        else:
            consequence = f"the shell runs '{program}' as a program: command not found"
            remedy = "end the line above with ' \\'"
        self.findings.append(Finding(
            "EGL008",
            f"'{program}' starts a statement of its own: the '{previous}' command on the line above ends "
            f"without a line continuation, so this option and the ones after it never reach az "
            f"({consequence}); {remedy}",
            Severity.ERROR, self.loc(first.span), subject=f"continuation:{program}"))

    def _escaped_blank(self, word: Word, program: str) -> None:
        self._escaped_blank_lines.add(word.span.line)
        mark = "backtick" if self.dialect == "powershell" else "backslash"
        self.findings.append(Finding(
            "EGL008",
            f"the {mark} at the end of this '{program}' line is followed by a blank, so it escapes "
            f"the blank, not the newline: the command ends here (with a stray ' ' argument) and the "
            f"next line runs on its own; delete the blanks after the {mark}",
            Severity.ERROR, self.loc(word.span), subject=f"escaped-blank:{program}"))

    def arguments(self, cmd: Command) -> tuple[list[Word], list[Value]]:
        """The arguments a command receives (each with the word it came from), after the shell
        rules that change how many there are.

        bash: the result of an unquoted expansion is split into fields at blanks (default
        IFS), and a word made only of unquoted expansions that expand to nothing is removed
        ("Unquoted implicit null arguments, resulting from the expansion of parameters that
        have no values, are removed": https://www.gnu.org/software/bash/manual/bash.html#Word-Splitting);
        a quoted ``"$X"`` stays one (possibly empty) argument.

        PowerShell: ``$null`` (written, or a variable assigned it) is not passed to a native
        command at all. An empty string is passed as an empty argument by PowerShell 7.3 and
        later (``$PSNativeCommandArgumentPassing``; Windows PowerShell 5.1 dropped it:
        https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_preference_variables#psnativecommandargumentpassing,
        https://github.com/PowerShell/PowerShell/pull/16639), so it is kept, as current versions do."""
        words: list[Word] = []
        values: list[Value] = []
        for w in cmd.words:
            value = self.word(w)
            if self.dialect == "powershell":
                fields = [] if _is_ps_null(w) or self._is_null_var(w) else [value]
            else:
                fields = _bash_fields(w, value)
            for f in fields:
                words.append(w)
                values.append(f)
        return words, values

    def _is_null_var(self, w: Word) -> bool:
        return (len(w.parts) == 1 and isinstance(w.parts[0], Var) and not w.raw.startswith('"')
                and self._var_key(w.parts[0].name, w.parts[0].env) in self._null_vars)

    def _az(self, cmd: Command, all_words: list[Word], values: list[Value]) -> Value | None:
        words = all_words[1:]
        argv = values[1:]
        found = table.find_command([v.known for v in argv])
        if found is None:
            return None
        spec, used = found
        name = "az " + " ".join(spec.path)
        self._last_az = (cmd.span.end_line, name)
        binding = table.bind(spec, [(v.known if _is_flag_candidate(v) else None, i)
                                    for i, v in enumerate(argv[used:], start=used)])
        args = Args(self, name, cmd, words, argv, binding)
        for error in binding.errors:
            self._arg_error(args, error)
        self._group += 1
        handler = HANDLERS.get(spec.path)
        subject: Ref | None = None
        if handler is not None:
            subject = handler(args)
        return self._output(args, subject, spec.path)

    def _arg_error(self, args: Args, error: Any) -> None:
        rule = "EGL005" if error.kind in ("missing-value", "missing-required", "one-of") else "EGL003"
        if error.token is None:
            location = self.loc(args.cmd.span, (self._command_index,))
        else:
            location = args.location_of(error.token)
        message = error.message
        if error.kind == "unknown-flag" and error.token is not None:
            word = args.words[error.token]
            head = f"unknown flag '{args.values[error.token].known}'"
            if any(isinstance(p, (Var, CmdSub)) for p in word.parts) and message.startswith(head):
                # `-$LOC` expands to `-eastus`: show what the script wrote too
                message = f"{head} (written '{word.raw}'){message[len(head):]}"
        self.findings.append(Finding(rule, message, Severity.ERROR, location,
                                     subject=f"{args.name}:{error.kind}:{message}"))

    def _output(self, args: Args, subject: Ref | None, path: tuple[str, ...]) -> Value | None:
        """What `$(az ...)` of this command prints: symbolic for `--query` over a known
        resource, else unknown."""
        query = args.bound("--query")
        if query is None or subject is None:
            return None
        qvalue = args.value("--query")
        if qvalue is None or qvalue.known is None:
            return None
        text = qvalue.known.strip()
        check = views.check_query(subject.kind, text)
        if check.corrected is not None:
            wrong = ", ".join(f"'{w}'" for w, _ in check.mismatches)
            right = ", ".join(f"'{r}'" for _, r in check.mismatches)
            noun = f"az {' '.join(path[:-1])} {path[-1]}"
            self.findings.append(Finding(
                "EGL007",
                f"--query \"{text}\": '{noun}' prints {right}, not {wrong} (JMESPath is case-"
                f"sensitive), so this yields an empty value at run time; use \"{check.corrected}\"",
                Severity.WARNING,
                qvalue.location or self.loc(args.cmd.span),
                subject=f"query:{subject.kind}:{text}",
            ))
            text = check.corrected
        return Value.symbolic(Symbol(subject, text), f"$({args.name} ... --query {text})",
                              self.loc(args.cmd.span))

    def emit(self, args: Args, action: str, ref: Ref, changes: dict[str, Any],
             location: Location | None = None, required: tuple[str, ...] = ()) -> None:
        self.operations.append(Operation(
            action=action,  # type: ignore[arg-type]
            ref=ref,
            location=location or args.location,
            changes={k: (None if v is DETACH else v) for k, v in changes.items() if v is not None},
            required=required,
            group=self._group,
            seq=len(self.operations),
            command=args.name,
            conditional=args.cmd.conditional,
        ))

    # ------------------------------------------------------------------ kubectl
    def _kubectl(self, cmd: Command, values: list[Value]) -> None:
        texts = [v.known for v in values]
        if len(texts) < 3 or texts[1] != "expose":
            return
        opts: dict[str, Value] = {}
        positionals: list[Value] = []
        i = 2
        while i < len(values):
            t = texts[i]
            if t is not None and t.startswith("--") and "=" in t:
                key, _, rest = t.partition("=")
                opts[key] = Value.literal(rest, values[i].location)
            elif t is not None and t.startswith("-") and t not in ("-",):
                if i + 1 < len(values):
                    opts[t] = values[i + 1]
                    i += 1
            else:
                positionals.append(values[i])
            i += 1
        service_type = opts.get("--type")
        if service_type is None or (service_type.known or "").lower() != "loadbalancer":
            return
        name = opts.get("--name")
        if name is None and positionals:
            last = positionals[-1]
            base = (last.known or last.text).rsplit("/", 1)[-1]
            name = Value.literal(base, last.location) if last.known else Value.unknown(base, last.location)
        if name is None:
            return
        namespace = opts.get("-n") or opts.get("--namespace")
        annotations: dict[str, Value] = {}
        location = self.loc(cmd.span, (self._command_index,))
        self.operations.append(Operation(
            action="create",
            ref=Ref("k8s_service", name.identity(), None, None, display=name.known or name.text),
            location=location,
            changes={"service_type": Value.literal("LoadBalancer", service_type.location),
                     "annotations": annotations, "namespace": namespace,
                     "object_kind": Value.literal("Service", location)},
            seq=len(self.operations),
            command="kubectl expose",
            conditional=cmd.conditional,
        ))


# A change that sets a field back to None ("--route-table null" detaches the table); plain
# None in a change dict means "flag not given" and is dropped.
DETACH: Any = object()


def join_pieces(pieces: Sequence[Value], location: Location | None) -> Value:
    """The value of a word made of ``pieces`` (the values of its parts, in order): literal when
    all are known, symbolic when one symbolic piece starts it and known text follows (``$FW_IP/32``),
    else unknown (its text keeps unresolved variables as ``$NAME`` so identities stay stable)."""
    if not pieces:
        return Value.literal("", location)
    if all(p.known is not None for p in pieces):
        return Value.literal("".join(p.known or "" for p in pieces), location)
    text = "".join(p.known if p.known is not None else p.text for p in pieces)
    symbolic = [i for i, p in enumerate(pieces) if p.symbol is not None]
    unknown = [p for p in pieces if p.known is None and p.symbol is None]
    if len(symbolic) == 1 and not unknown and symbolic[0] == 0:
        sym = pieces[0].symbol
        assert sym is not None
        suffix = "".join(p.known or "" for p in pieces[1:])
        return Value.symbolic(Symbol(sym.ref, sym.query, sym.suffix + suffix), text, location)
    reason = unknown[0].reason if unknown else "built from a value known only at run time"
    return Value.unknown(text, location, reason=reason)


_IFS = re.compile(r"[ \t\n]+")
# `$RG=""` or `$PLUGIN  =""` as the start of a bash command
_DOLLAR_ASSIGN = re.compile(r"^\$\{?([A-Za-z_]\w*)\}?=")


def _command_name(values: Sequence[Value]) -> str:
    """``az aks nodepool add``: the leading words of a command up to its first option."""
    name: list[str] = []
    for v in values[:4]:
        if v.known is None or v.known.startswith("-"):
            break
        name.append(v.known)
    return " ".join(name)


def _bash_fields(w: Word, value: Value) -> list[Value]:
    """The fields bash makes of one word whose value is ``value`` (see Translator.arguments).
    Only a word with an expansion and no quoting anywhere is split or removed; any other word
    (and any word whose value is not known) is one argument."""
    if value.known is None or not any(isinstance(p, (Var, CmdSub)) for p in w.parts) or _has_quotes(w):
        return [value]
    fields = [f for f in _IFS.split(value.known) if f]
    if len(fields) == 1 and fields[0] == value.known:
        return [value]
    return [Value.literal(f, value.location) for f in fields]


def _has_quotes(w: Word) -> bool:
    """Whether the word quotes anything: a quoted literal, or quotes around an expansion
    (``"$X"`` leaves no literal part, so the word's own text is read, without the text of
    its command substitutions, whose quotes are their own)."""
    if any(isinstance(p, Lit) and p.quote for p in w.parts):
        return True
    base = w.span.offset
    pos = 0
    for p in w.parts:
        if isinstance(p, (CmdSub, Opaque)):
            if '"' in w.raw[pos:p.span.offset - base] or "'" in w.raw[pos:p.span.offset - base]:
                return True
            pos = p.span.end_offset - base
    rest = w.raw[pos:]
    return '"' in rest or "'" in rest


def _is_ps_null(w: Word) -> bool:
    return w.raw.lower() == "$null"


def _is_flag_candidate(v: Value) -> bool:
    return v.known is not None


def _raw(cmd: Command) -> str:
    return " ".join(w.raw for w in cmd.words)


# ---------------------------------------------------------------------- argument access


@dataclass
class Args:
    """Bound arguments of one az command, evaluated to Values."""

    tr: Translator
    name: str
    cmd: Command
    words: Sequence[Word]
    values: Sequence[Value]
    binding: Any

    @property
    def location(self) -> Location:
        return self.tr.loc(self.cmd.span, (self.tr._command_index,))

    def location_of(self, index: int) -> Location:
        return self.tr.loc(self.words[index].span, (self.tr._command_index, index))

    def bound(self, flag: str) -> Any:
        return self.binding.get(flag)

    def has(self, flag: str) -> bool:
        return self.binding.get(flag) is not None

    def flag_location(self, flag: str) -> Location | None:
        b = self.binding.get(flag)
        return self.location_of(b.flag_token) if b is not None else None

    def _with_path(self, value: Value, flag: str) -> Value:
        loc = value.location
        if loc is None:
            return value
        return value.with_location(Location(loc.file, loc.line, loc.column, loc.end_line, loc.end_column,
                                            (self.tr._command_index, flag)))

    def value(self, flag: str) -> Value | None:
        b = self.binding.get(flag)
        if b is None:
            return None
        if not b.values:
            if b.flag.kind in ("switch", "bool"):
                return Value.literal("true", self.location_of(b.flag_token))
            return None
        value = self.values[b.values[-1]]
        if b.flag.choices:
            value = _canonical(value, b.flag.choices)
        if b.flag.kind == "bool":
            value = _boolean(value)
        return self._with_path(value, flag)

    def values_of(self, flag: str) -> list[Value] | None:
        b = self.binding.get(flag)
        if b is None:
            return None
        out = [self.values[i] for i in b.values]
        if b.flag.choices:
            out = [_canonical(v, b.flag.choices) for v in out]
        return [self._with_path(v, flag) for v in out]

    def csv(self, flag: str) -> list[Value] | None:
        """Comma-separated list (az aks style). ``""`` gives an empty list."""
        values = self.values_of(flag)
        if values is None:
            return None
        out: list[Value] = []
        for index, v in zip(self.binding.get(flag).values, values, strict=True):
            if v.known is None:
                out.extend(self._csv_items(index, v))
                continue
            loc = v.location
            col = 0
            for piece in v.known.split(","):
                stripped = piece.strip()
                if stripped:
                    piece_loc = loc
                    if loc is not None and loc.line == loc.end_line:
                        start = loc.column + (1 if v.known != v.text else 0) + col
                        piece_loc = Location(loc.file, loc.line, start, loc.line, start + len(piece), loc.path)
                    out.append(Value.literal(stripped, piece_loc))
                col += len(piece) + 1
        return out

    def _csv_items(self, index: int, v: Value) -> list[Value]:
        """The items of a comma-separated word with unknown parts, each judged on its own:
        ``198.51.100.0/24,$FW_IP/32`` is a literal range and "the address of public IP 'fw-pip'"/32,
        not one unknown. Only words of literal text and plain variables are split: reading a
        variable again has no side effect, evaluating a ``$(...)`` again would replay its command."""
        w = self.words[index]
        if not all(isinstance(p, Lit) or (isinstance(p, Var) and p.op is None) for p in w.parts):
            return [v]
        items: list[list[Value]] = [[]]
        for p in w.parts:
            if isinstance(p, Lit):
                first, *rest = p.text.split(",")
                items[-1].append(Value.literal(first))
                items.extend([Value.literal(r)] for r in rest)
            else:
                items[-1].append(self.tr._var(p))
        if len(items) == 1:
            return [v]
        out: list[Value] = []
        for item in items:
            # items are stripped (as the literal ones are), and no empty piece may stay in front:
            # " $FW_IP/32" must start with its symbolic part to stay symbolic
            if item and item[0].known is not None:
                item[0] = Value.literal(item[0].known.lstrip())
            if item and item[-1].known is not None:
                item[-1] = Value.literal(item[-1].known.rstrip())
            joined = join_pieces([p for p in item if p.known != ""], v.location)
            if joined.known is None:
                out.append(joined)
            else:  # a known variable may itself hold a list: RANGES="a,b"; "$RANGES,$FW_IP"
                out.extend(Value.literal(s.strip(), v.location) for s in joined.known.split(",") if s.strip())
        return out

    def ref(self, kind: str, name_flag: str = "--name", parent: Ref | None = None,
            name: Value | None = None) -> Ref | None:
        """The resource named by ``name_flag`` (or ``--ids``) in the command's group."""
        ids = self.values_of("--ids")
        if ids:
            ref = ref_from_id_value(ids[0])
            if ref is not None and ref.kind == kind:
                return ref
        name = name or self.value(name_flag)
        if name is None:
            return None
        return make_ref(kind, name, self.value("--resource-group"), parent)

    def ref_or_id(self, kind: str, value: Value | None, parent: Ref | None = None) -> Ref | None:
        """A "name or ID" argument: an ID (literal or `$(... --query id)`), else a name in the
        command's resource group."""
        if value is None:
            return None
        if value.symbol is not None:
            sym = value.symbol
            if sym.query.lower() == "id" and not sym.suffix and sym.ref.kind == kind:
                return sym.ref
            return None
        if (value.known or value.text).lower().startswith("/subscriptions/"):
            ref = ref_from_id_value(value)
            return ref if ref is not None and ref.kind == kind else None
        if value.known is not None and value.known.lower() in ("", "null", '""', "''"):
            return None
        return make_ref(kind, value, self.value("--resource-group"), parent)


def make_ref(kind: str, name: Value, group: Value | None, parent: Ref | None = None) -> Ref:
    group_id = group.known.lower() if group is not None and group.known else None
    return Ref(kind, name.identity(), group_id, parent, display=name.known or name.text)


def ref_from_id_value(value: Value) -> Ref | None:
    """A Ref from a resource-ID value whose parts may be unresolved variables."""
    from egresslint.frontends.arm import ref_from_resource_id  # one parser of resource IDs

    ref = ref_from_resource_id(value.known if value.known is not None else value.text)
    if ref is None:
        return None
    return _fix_groups(ref)


def _fix_groups(ref: Ref) -> Ref:
    """Unknown groups (``$RG``, ``<resource-group>``, ``{rg}``) become None: matched loosely."""
    parent = _fix_groups(ref.parent) if ref.parent is not None else None
    group = ref.group
    if group is not None and group[:1] in ("$", "<", "{", "["):
        group = None
    return Ref(ref.kind, ref.name, group, parent, ref.display)


def _canonical(value: Value, choices: Sequence[str]) -> Value:
    if value.known is None:
        return value
    low = value.known.lower()
    for choice in choices:
        if choice.lower() == low:
            return Value(value.text, choice, None, value.location)
    return value


def _boolean(value: Value) -> Value:
    if value.known is None:
        return value
    low = value.known.lower()
    if low in _TRUE:
        return Value(value.text, "true", None, value.location)
    if low in _FALSE:
        return Value(value.text, "false", None, value.location)
    return value


# ---------------------------------------------------------------------- command handlers
Handler = Callable[[Args], "Ref | None"]
HANDLERS: dict[tuple[str, ...], Handler] = {}


def handles(*paths: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for p in paths:
            HANDLERS[tuple(p.split())] = fn
        return fn
    return register


def _fields(a: Args, spec: Iterable[tuple[str, str, str]]) -> dict[str, Any]:
    """Map flags to fields. Conversions: value, list, csv, bool."""
    out: dict[str, Any] = {}
    for flag, fieldname, conv in spec:
        if not a.has(flag):
            continue
        if conv == "list":
            out[fieldname] = a.values_of(flag)
        elif conv == "csv":
            out[fieldname] = a.csv(flag)
        else:
            out[fieldname] = a.value(flag)
    return out


_CLUSTER_FIELDS = (
    ("--outbound-type", "outbound_type", "value"),
    ("--outbound-type-sku", "outbound_type_sku", "value"),
    ("--network-plugin", "network_plugin", "value"),
    ("--network-plugin-mode", "network_plugin_mode", "value"),
    ("--network-policy", "network_policy", "value"),
    ("--network-dataplane", "network_dataplane", "value"),
    ("--pod-cidr", "pod_cidrs", "list"),
    ("--pod-cidrs", "pod_cidrs", "csv"),
    ("--service-cidr", "service_cidrs", "list"),
    ("--service-cidrs", "service_cidrs", "csv"),
    ("--dns-service-ip", "dns_service_ip", "value"),
    ("--docker-bridge-address", "docker_bridge_address", "value"),
    ("--load-balancer-sku", "load_balancer_sku", "value"),
    ("--load-balancer-managed-outbound-ip-count", "lb_managed_outbound_ip_count", "value"),
    ("--load-balancer-managed-outbound-ipv6-count", "lb_managed_outbound_ipv6_count", "value"),
    ("--load-balancer-outbound-ports", "lb_outbound_ports", "value"),
    ("--load-balancer-idle-timeout", "lb_idle_timeout", "value"),
    ("--nat-gateway-managed-outbound-ip-count", "nat_managed_outbound_ip_count", "value"),
    ("--nat-gateway-idle-timeout", "nat_idle_timeout", "value"),
    ("--api-server-authorized-ip-ranges", "authorized_ip_ranges", "csv"),
    ("--enable-private-cluster", "private_cluster", "value"),
    ("--enable-apiserver-vnet-integration", "apiserver_vnet_integration", "value"),
    ("--vm-set-type", "vm_set_type", "value"),
    ("--kubernetes-version", "kubernetes_version", "value"),
    ("--node-resource-group", "node_resource_group", "value"),
    ("--location", "region", "value"),
)

_POOL_FIELDS = (
    ("--node-count", "count", "value"),
    ("--min-count", "min_count", "value"),
    ("--max-count", "max_count", "value"),
    ("--enable-cluster-autoscaler", "enable_autoscaling", "value"),
    ("--max-surge", "max_surge", "value"),
    ("--vm-set-type", "vm_set_type", "value"),
    ("--os-type", "os_type", "value"),
    ("--mode", "mode", "value"),
    ("--enable-node-public-ip", "enable_node_public_ip", "value"),
)


def _cluster_changes(a: Args) -> dict[str, Any]:
    changes = _fields(a, _CLUSTER_FIELDS)
    for flag, fieldname, kind in (("--load-balancer-outbound-ips", "lb_outbound_ips", "public_ip"),
                                  ("--load-balancer-outbound-ip-prefixes", "lb_outbound_ip_prefixes",
                                   "public_ip_prefix")):
        items = a.csv(flag)
        if items is not None:
            changes[fieldname] = [r for v in items if (r := a.ref_or_id(kind, v)) is not None]
    identity = a.value("--assign-identity")
    if identity is not None:
        # the flag names a user-assigned identity: what matters to the rules is its type
        changes["identity_type"] = Value(identity.text, "UserAssigned", location=identity.location)
    return changes


def _pool_changes(a: Args) -> dict[str, Any]:
    changes = _fields(a, _POOL_FIELDS)
    subnet = a.value("--vnet-subnet-id")
    if subnet is not None:
        changes["vnet_subnet_value"] = subnet
        changes["vnet_subnet"] = a.ref_or_id("subnet", subnet)
    pod_subnet = a.value("--pod-subnet-id")
    if pod_subnet is not None:
        changes["pod_subnet"] = a.ref_or_id("subnet", pod_subnet)
    return changes


@handles("aks create")
def _aks_create(a: Args) -> Ref | None:
    ref = a.ref("cluster")
    if ref is None:
        return None
    a.tr.emit(a, "create", ref, _cluster_changes(a))
    pool_name = a.value("--nodepool-name") or Value.literal("nodepool1", a.location)
    pool = make_ref("node_pool", pool_name, a.value("--resource-group"), ref)
    pool_changes = _pool_changes(a)
    pool_changes.setdefault("mode", Value.literal("System", a.location))
    a.tr.emit(a, "create", pool, pool_changes)
    return ref


@handles("aks update")
def _aks_update(a: Args) -> Ref | None:
    ref = a.ref("cluster")
    if ref is not None:
        a.tr.emit(a, "update", ref, _cluster_changes(a))
    return ref


@handles("aks show")
def _aks_show(a: Args) -> Ref | None:
    return a.ref("cluster")


@handles("aks nodepool add", "aks nodepool update")
def _nodepool(a: Args) -> Ref | None:
    cluster = a.ref("cluster", "--cluster-name")
    ref = a.ref("node_pool", parent=cluster) if cluster is not None else None
    if ref is not None:
        action = "create" if a.name.endswith("add") else "update"
        a.tr.emit(a, action, ref, _pool_changes(a))
    return ref


@handles("network vnet create")
def _vnet_create(a: Args) -> Ref | None:
    ref = a.ref("vnet")
    if ref is None:
        return None
    prefixes = a.values_of("--address-prefixes")
    if prefixes is None:  # az's default address space
        prefixes = [Value.literal("10.0.0.0/16", a.location)]
    a.tr.emit(a, "create", ref, {
        "address_prefixes": prefixes,
        "dns_servers": a.values_of("--dns-servers"),
        "region": a.value("--location"),
    })
    subnet_name = a.value("--subnet-name")
    if subnet_name is not None:
        subnet = make_ref("subnet", subnet_name, a.value("--resource-group"), ref)
        a.tr.emit(a, "create", subnet, {
            "address_prefixes": a.values_of("--subnet-prefixes"),
            "nsg": a.ref_or_id("nsg", a.value("--network-security-group")),
        }, location=a.flag_location("--subnet-name"))
    return ref


@handles("network vnet show")
def _vnet_show(a: Args) -> Ref | None:
    return a.ref("vnet")


def _subnet_ref(a: Args) -> Ref | None:
    ids = a.values_of("--ids")
    if ids:
        return ref_from_id_value(ids[0])
    vnet = a.ref("vnet", "--vnet-name")
    return a.ref("subnet", parent=vnet) if vnet is not None else None


_SUBNET_LINKS = (
    ("--route-table", "route_table", "route_table"),
    ("--network-security-group", "nsg", "nsg"),
    ("--nat-gateway", "nat_gateway", "nat_gateway"),
)


@handles("network vnet subnet create", "network vnet subnet update")
def _subnet(a: Args) -> Ref | None:
    ref = _subnet_ref(a)
    if ref is None:
        return None
    changes: dict[str, Any] = {
        "address_prefixes": a.values_of("--address-prefixes"),
        "default_outbound_access": a.value("--default-outbound"),
    }
    for flag, fieldname, kind in _SUBNET_LINKS:
        value = a.value(flag)
        if value is None:
            continue
        detach = value.known is not None and value.known.strip().lower() in ("", "null", '""', "''")
        changes[fieldname] = DETACH if detach else a.ref_or_id(kind, value)
        if fieldname == "route_table":
            changes["route_table_value"] = DETACH if detach else value
    action = "create" if a.name.endswith("create") else "update"
    a.tr.emit(a, action, ref, changes)
    return ref


@handles("network vnet subnet show")
def _subnet_show(a: Args) -> Ref | None:
    return _subnet_ref(a)


@handles("network route-table create")
def _route_table(a: Args) -> Ref | None:
    ref = a.ref("route_table")
    if ref is not None:
        a.tr.emit(a, "create", ref, {
            "disable_bgp_route_propagation": a.value("--disable-bgp-route-propagation"),
            "region": a.value("--location"),
        })
    return ref


@handles("network route-table show")
def _route_table_show(a: Args) -> Ref | None:
    return a.ref("route_table")


@handles("network route-table route create")
def _route(a: Args) -> Ref | None:
    table_ref = a.ref("route_table", "--route-table-name")
    ref = a.ref("route", parent=table_ref) if table_ref is not None else None
    if ref is None:
        return None
    hop_type = a.value("--next-hop-type")
    hop_ip = a.value("--next-hop-ip-address")
    if hop_type is not None and hop_type.known == "VirtualAppliance" and hop_ip is None:
        a.tr.findings.append(Finding(
            "EGL005",
            f"route '{ref.label}' has --next-hop-type VirtualAppliance but no --next-hop-ip-address: "
            f"the route needs the appliance's private IP (for Azure Firewall, "
            f"ipConfigurations[0].privateIPAddress)",
            Severity.ERROR,
            a.flag_location("--next-hop-type") or a.location,
            subject=f"route-no-ip:{ref.name}",
        ))
    a.tr.emit(a, "create", ref, {
        "address_prefix": a.value("--address-prefix"),
        "next_hop_type": hop_type,
        "next_hop_ip": hop_ip,
    })
    return ref


@handles("network nsg create")
def _nsg(a: Args) -> Ref | None:
    ref = a.ref("nsg")
    if ref is not None:
        a.tr.emit(a, "create", ref, {"region": a.value("--location")})
    return ref


@handles("network nsg rule create")
def _nsg_rule(a: Args) -> Ref | None:
    nsg = a.ref("nsg", "--nsg-name")
    ref = a.ref("security_rule", parent=nsg) if nsg is not None else None
    if ref is None:
        return None
    loc = a.location

    def default(text: str) -> Value:
        return Value.literal(text, loc)

    a.tr.emit(a, "create", ref, {
        "priority": a.value("--priority"),
        "access": a.value("--access") or default("Allow"),
        "direction": a.value("--direction") or default("Inbound"),
        "protocol": a.value("--protocol") or default("*"),
        "source_prefixes": a.values_of("--source-address-prefixes") or [default("*")],
        "source_ports": a.values_of("--source-port-ranges") or [default("*")],
        "destination_prefixes": a.values_of("--destination-address-prefixes") or [default("*")],
        "destination_ports": a.values_of("--destination-port-ranges") or [default("80")],
        "source_asgs": a.values_of("--source-asgs"),
        "destination_asgs": a.values_of("--destination-asgs"),
    })
    return ref


@handles("network nat gateway create")
def _nat_gateway(a: Args) -> Ref | None:
    ref = a.ref("nat_gateway")
    if ref is not None:
        a.tr.emit(a, "create", ref, {
            "sku": a.value("--sku") or Value.literal("Standard", a.location),
            "idle_timeout": a.value("--idle-timeout"),
            "public_ips": [r for v in a.values_of("--public-ip-addresses") or []
                           if (r := a.ref_or_id("public_ip", v)) is not None],
            "public_ip_prefixes": [r for v in a.values_of("--public-ip-prefixes") or []
                                   if (r := a.ref_or_id("public_ip_prefix", v)) is not None],
            "region": a.value("--location"),
        })
    return ref


@handles("network nat gateway show")
def _nat_gateway_show(a: Args) -> Ref | None:
    return a.ref("nat_gateway")


@handles("network public-ip create")
def _public_ip(a: Args) -> Ref | None:
    ref = a.ref("public_ip")
    if ref is not None:
        a.tr.emit(a, "create", ref, {
            "sku": a.value("--sku") or Value.literal("Standard", a.location),
            "allocation_method": a.value("--allocation-method"),
            "version": a.value("--version"),
            "prefix": a.ref_or_id("public_ip_prefix", a.value("--public-ip-prefix")),
            "region": a.value("--location"),
        })
    return ref


@handles("network public-ip show")
def _public_ip_show(a: Args) -> Ref | None:
    return a.ref("public_ip")


@handles("network public-ip prefix create")
def _public_ip_prefix(a: Args) -> Ref | None:
    ref = a.ref("public_ip_prefix")
    if ref is not None:
        a.tr.emit(a, "create", ref, {
            "length": a.value("--length"),
            "version": a.value("--version"),
            "sku": a.value("--sku"),
            "region": a.value("--location"),
        })
    return ref


@handles("network public-ip prefix show")
def _public_ip_prefix_show(a: Args) -> Ref | None:
    return a.ref("public_ip_prefix")


@handles("network lb outbound-rule create", "network lb outbound-rule update")
def _lb_outbound_rule(a: Args) -> Ref | None:
    lb = a.ref("load_balancer", "--lb-name")
    ref = a.ref("outbound_rule", parent=lb) if lb is not None else None
    if ref is not None:
        action = "create" if a.name.endswith("create") else "update"
        a.tr.emit(a, action, ref, {
            "protocol": a.value("--protocol"),
            "allocated_outbound_ports": a.value("--allocated-outbound-ports"),
            "idle_timeout": a.value("--idle-timeout"),
            "frontend_ip_configs": a.values_of("--frontend-ip-configs"),
        })
    return ref


def _firewall_ip_config(a: Args, name_flag: str, pip_flags: Sequence[str], vnet_flag: str,
                        subnet_name: str, management: bool) -> FirewallIpConfig | None:
    pip_value = next((v for f in pip_flags if (v := a.value(f)) is not None), None)
    name = a.value(name_flag)
    vnet_value = a.value(vnet_flag)
    if pip_value is None and name is None and (management or vnet_value is None):
        return None
    subnet = None
    if vnet_value is not None:
        vnet = make_ref("vnet", vnet_value, a.value("--resource-group"))
        subnet = Ref("subnet", subnet_name.lower(), vnet.group, vnet, display=subnet_name)
    location = a.flag_location(name_flag) or a.flag_location(pip_flags[0]) or a.location
    return FirewallIpConfig(name=name, location=location, subnet=subnet,
                            public_ip=a.ref_or_id("public_ip", pip_value), management=management,
                            subnet_value=vnet_value)


@handles("network firewall create")
def _firewall(a: Args) -> Ref | None:
    ref = a.ref("firewall")
    if ref is None:
        return None
    vnet_value = a.value("--vnet-name")
    changes: dict[str, Any] = {
        "sku": a.value("--sku"),
        "tier": a.value("--tier"),
        "policy": a.ref_or_id("firewall_policy", a.value("--firewall-policy")),
        "dns_proxy": a.value("--enable-dns-proxy"),
        "dns_servers": a.values_of("--dns-servers"),
        "threat_intel_mode": a.value("--threat-intel-mode"),
        "region": a.value("--location"),
    }
    if vnet_value is not None:
        changes["vnet_hint"] = make_ref("vnet", vnet_value, a.value("--resource-group"))
        changes["vnet_hint_value"] = vnet_value
    data = _firewall_ip_config(a, "--conf-name", ("--public-ip", "--public-ip-address"), "--vnet-name",
                               "AzureFirewallSubnet", management=False)
    if data is not None and (data.public_ip is not None or data.subnet is not None):
        changes["ip_configs"] = [data]
    mgmt = _firewall_ip_config(a, "--m-conf-name", ("--m-public-ip",), "--vnet-name",
                               "AzureFirewallManagementSubnet", management=True)
    if mgmt is not None:
        changes["management_ip_config"] = mgmt
    a.tr.emit(a, "create", ref, changes)
    return ref


@handles("network firewall show")
def _firewall_show(a: Args) -> Ref | None:
    return a.ref("firewall")


@handles("network firewall ip-config create")
def _firewall_ip_config_create(a: Args) -> Ref | None:
    fw = a.ref("firewall", "--firewall-name")
    if fw is None:
        return None
    changes: dict[str, Any] = {}
    data = _firewall_ip_config(a, "--name", ("--public-ip-address",), "--vnet-name",
                               "AzureFirewallSubnet", management=False)
    if data is not None:
        changes["ip_configs"] = ("append", [data])
    mgmt = _firewall_ip_config(a, "--m-name", ("--m-public-ip-address",), "--m-vnet-name",
                               "AzureFirewallManagementSubnet", management=True)
    if mgmt is not None:
        changes["management_ip_config"] = mgmt
    if changes:
        a.tr.emit(a, "update", fw, changes)
    return fw


_CLASSIC_RULES = {
    "network-rule": ("network", "network_rule", (
        ("--protocols", "protocols", "list"),
        ("--source-addresses", "source_addresses", "list"),
        ("--source-ip-groups", "source_ip_groups", "list"),
        ("--destination-addresses", "destination_addresses", "list"),
        ("--destination-fqdns", "destination_fqdns", "list"),
        ("--destination-ip-groups", "destination_ip_groups", "list"),
        ("--destination-ports", "destination_ports", "list"),
    )),
    "application-rule": ("application", "application_rule", (
        ("--protocols", "protocols", "list"),
        ("--source-addresses", "source_addresses", "list"),
        ("--source-ip-groups", "source_ip_groups", "list"),
        ("--target-fqdns", "target_fqdns", "list"),
        ("--fqdn-tags", "fqdn_tags", "list"),
    )),
    "nat-rule": ("nat", "nat_rule", (
        ("--protocols", "protocols", "list"),
        ("--source-addresses", "source_addresses", "list"),
        ("--source-ip-groups", "source_ip_groups", "list"),
        ("--destination-addresses", "destination_addresses", "list"),
        ("--destination-ports", "destination_ports", "list"),
        ("--translated-address", "translated_address", "value"),
        ("--translated-fqdn", "translated_fqdn", "value"),
        ("--translated-port", "translated_port", "value"),
    )),
}


@handles("network firewall network-rule create", "network firewall application-rule create",
         "network firewall nat-rule create")
def _classic_rule(a: Args) -> Ref | None:
    rule_kind, kind, fields = _CLASSIC_RULES[a.name.split()[-2]]
    fw = a.ref("firewall", "--firewall-name")
    collection = a.ref("rule_collection", "--collection-name", parent=fw) if fw is not None else None
    if collection is None:
        return fw
    collection = classic_collection_ref(collection, rule_kind)
    a.tr.emit(a, "ensure", collection, {
        "rule_kind": rule_kind,
        "priority": a.value("--priority"),
        "action": a.value("--action"),
    }, location=a.flag_location("--collection-name"), required=("priority", "action"))
    rule = a.ref(kind, parent=collection)
    if rule is not None:
        a.tr.emit(a, "create", rule, _fields(a, fields))
    return fw


@handles("network firewall policy show")
def _policy_show(a: Args) -> Ref | None:
    # `--base-policy $(az network firewall policy show ... --query id)` names the parent policy
    return a.ref("firewall_policy")


@handles("network firewall policy create")
def _policy(a: Args) -> Ref | None:
    ref = a.ref("firewall_policy")
    if ref is not None:
        a.tr.emit(a, "create", ref, {
            "base_policy": a.ref_or_id("firewall_policy", a.value("--base-policy")),
            "dns_proxy": a.value("--enable-dns-proxy"),
            "dns_servers": a.values_of("--dns-servers"),
            "sku": a.value("--sku"),
            "threat_intel_mode": a.value("--threat-intel-mode"),
            "region": a.value("--location"),
        })
    return ref


def _rcg_ref(a: Args, flag: str) -> Ref | None:
    policy = a.ref("firewall_policy", "--policy-name")
    return a.ref("rule_collection_group", flag, parent=policy) if policy is not None else None


@handles("network firewall policy rule-collection-group create")
def _rcg(a: Args) -> Ref | None:
    ref = _rcg_ref(a, "--name")
    if ref is not None:
        a.tr.emit(a, "create", ref, {"priority": a.value("--priority")})
    return ref


_POLICY_RULE_KINDS = {"NetworkRule": ("network", "network_rule"),
                      "ApplicationRule": ("application", "application_rule"),
                      "NatRule": ("nat", "nat_rule")}
_POLICY_RULE_FIELDS = {
    "network_rule": (
        ("--ip-protocols", "protocols", "list"),
        ("--source-addresses", "source_addresses", "list"),
        ("--source-ip-groups", "source_ip_groups", "list"),
        ("--destination-addresses", "destination_addresses", "list"),
        ("--destination-fqdns", "destination_fqdns", "list"),
        ("--destination-ip-groups", "destination_ip_groups", "list"),
        ("--destination-ports", "destination_ports", "list"),
    ),
    "application_rule": (
        ("--protocols", "protocols", "list"),
        ("--source-addresses", "source_addresses", "list"),
        ("--source-ip-groups", "source_ip_groups", "list"),
        ("--target-fqdns", "target_fqdns", "list"),
        ("--fqdn-tags", "fqdn_tags", "list"),
        ("--target-urls", "target_urls", "list"),
        ("--web-categories", "web_categories", "list"),
    ),
    "nat_rule": (
        ("--ip-protocols", "protocols", "list"),
        ("--source-addresses", "source_addresses", "list"),
        ("--source-ip-groups", "source_ip_groups", "list"),
        ("--destination-addresses", "destination_addresses", "list"),
        ("--destination-ports", "destination_ports", "list"),
        ("--translated-address", "translated_address", "value"),
        ("--translated-fqdn", "translated_fqdn", "value"),
        ("--translated-port", "translated_port", "value"),
    ),
}


def _policy_rule(a: Args, collection: Ref, name_flag: str, default_kind: str) -> None:
    rule_type = a.value("--rule-type")
    kind = _POLICY_RULE_KINDS.get(rule_type.known or "", (None, None))[1] if rule_type else default_kind
    if kind is None or not a.has(name_flag):
        return
    rule = a.ref(kind, name_flag, parent=collection)
    if rule is not None:
        a.tr.emit(a, "create", rule, _fields(a, _POLICY_RULE_FIELDS[kind]))


@handles("network firewall policy rule-collection-group collection add-filter-collection",
         "network firewall policy rule-collection-group collection add-nat-collection")
def _policy_collection(a: Args) -> Ref | None:
    rcg = _rcg_ref(a, "--rule-collection-group-name")
    collection = a.ref("rule_collection", parent=rcg) if rcg is not None else None
    if collection is None:
        return rcg
    nat = a.name.endswith("add-nat-collection")
    rule_type = a.value("--rule-type")
    rule_kind = "nat" if nat else _POLICY_RULE_KINDS.get((rule_type.known if rule_type else None)
                                                        or "NetworkRule", ("network", ""))[0]
    a.tr.emit(a, "create", collection, {
        "rule_kind": rule_kind,
        "priority": a.value("--collection-priority"),
        "action": a.value("--action"),
    })
    _policy_rule(a, collection, "--rule-name", "nat_rule" if nat else "network_rule")
    return rcg


@handles("network firewall policy rule-collection-group collection rule add")
def _policy_collection_rule(a: Args) -> Ref | None:
    rcg = _rcg_ref(a, "--rule-collection-group-name")
    collection = a.ref("rule_collection", "--collection-name", parent=rcg) if rcg is not None else None
    if collection is not None:
        _policy_rule(a, collection, "--name", "network_rule")
    return rcg


@handles("identity create", "identity show")
def _identity(a: Args) -> Ref | None:
    ref = a.ref("identity")
    if ref is not None and a.name.endswith("create"):
        a.tr.emit(a, "create", ref, {"region": a.value("--location")})
    return ref


@handles("group create")
def _group(a: Args) -> Ref | None:
    name, region = a.value("--name"), a.value("--location")
    if name is not None and name.known and region is not None and region.known:
        a.tr.facts.setdefault("group_regions", {})[name.known.lower()] = region.known
    return None


@handles("deployment group create")
def _deployment(a: Args) -> Ref | None:
    # The engine binds the template file to this deployment (its resource group and parameter
    # values); ``--parameters`` is repeatable and every occurrence counts, in order. A word the
    # scan cannot evaluate is kept (known None) so it can make parameters unknown.
    template = a.value("--template-file")
    group = a.value("--resource-group")
    if template is not None and template.known:
        words = [(a.values[i].known, a.values[i].text)
                 for b in a.binding.get_all("--parameters") for i in b.values]
        a.tr.facts.setdefault("deployments", []).append(
            {"group": group.known if group is not None else None, "template": template.known,
             "script": a.tr.file, "line": a.location.line, "parameters": words})
    return None
