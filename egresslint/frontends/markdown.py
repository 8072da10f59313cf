"""Markdown runbooks: fenced code blocks scanned with the right frontend, at their true lines.

Shell blocks (bash, sh, shell, console, azurecli, azurecli-interactive, azurepowershell,
powershell, pwsh, ps1) of one document run through one translator in order, so variables set in
one block are known in the next. In documentation, placeholders such as ``<resource-group>`` are
unknown values (a real script would read them as redirections). ``console`` blocks keep only
prompted lines (``$ cmd``). JSON blocks are scanned as ARM templates only when they are whole
templates, YAML blocks as Kubernetes manifests only when they are whole manifests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from egresslint.frontends import FrontendResult, SourceFile

SHELL_LANGS = {
    "bash": "bash", "sh": "bash", "shell": "bash", "zsh": "bash", "console": "bash",
    "azurecli": None, "azurecli-interactive": None, "azcli": None, "azure-cli": None,
    "azurepowershell": "powershell", "azurepowershell-interactive": "powershell",
    "powershell": "powershell", "pwsh": "powershell", "ps1": "powershell", "ps": "powershell",
}
JSON_LANGS = {"json", "jsonc"}
YAML_LANGS = {"yaml", "yml"}
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
_PLACEHOLDER = re.compile(r"<(?P<name>[A-Za-z0-9][A-Za-z0-9_.\- ]{0,60}?)>")
# `[--subscription]`: the reference docs' spelling of an optional argument, not a literal word
_OPTIONAL_ARG = re.compile(r"(?<![^\s])\[--?[A-Za-z][\w-]*(?: [^\]\n]*)?\](?![^\s])")
_PROMPT = re.compile(r"^(?P<prompt>\$|PS [^>]*>|>)\s")


@dataclass(frozen=True, slots=True)
class Block:
    lang: str
    text: str  # content with the fence's indentation removed
    line: int  # 1-based line of the first content line
    indent: int


def blocks(text: str) -> list[Block]:
    """Fenced code blocks in document order. An unclosed fence runs to the end (as CommonMark)."""
    out: list[Block] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, indent = m.group("fence"), len(m.group("indent").expandtabs(4))
        lang = (m.group("info").strip().split() or [""])[0].lower().strip("{}.")
        start = i + 1
        j = start
        while j < len(lines):
            close = lines[j].strip()
            if close.startswith(fence[0] * len(fence)) and not close.strip(fence[0]):
                break
            j += 1
        body = [_dedent(line, indent) for line in lines[start:j]]
        out.append(Block(lang, "\n".join(body), start + 1, indent))
        i = j + 1
    return out


def _dedent(line: str, indent: int) -> str:
    removed = 0
    k = 0
    while k < len(line) and removed < indent and line[k] in " \t":
        removed += 4 if line[k] == "\t" else 1
        k += 1
    return line[k:]


def _in_place(document: str, block: Block, kind: str) -> str:
    """A JSON or YAML block's text where it stands in the document: the lines before it blank
    and its own lines with their indentation (a fenced block in a list item is indented), so the
    parser's line and column marks are the document's. JSON ignores the indentation; YAML accepts
    a uniformly indented document, except for its ``---``/``...`` markers, which go back to
    column 1. An indentation with tabs (which YAML refuses) keeps the dedented text."""
    lines = document.split("\n")[block.line - 1 : block.line - 1 + block.text.count("\n") + 1]
    if kind == "yaml":
        if any("\t" in line[: len(line) - len(line.lstrip())] for line in lines):
            lines = block.text.split("\n")
        else:
            lines = [line.strip() if line.strip() in ("---", "...") else line for line in lines]
    return "\n" * (block.line - 1) + "\n".join(lines)


def _console(text: str) -> str:
    """Keep prompted lines (prompt blanked to spaces so columns stay true) and their
    continuations; drop output lines."""
    out = []
    continuing = False
    for line in text.split("\n"):
        m = _PROMPT.match(line)
        if m:
            out.append(" " * m.end() + line[m.end():])
            continuing = line.rstrip().endswith(("\\", "`"))
        elif continuing:
            out.append(line)
            continuing = line.rstrip().endswith(("\\", "`"))
        else:
            out.append("")
    return "\n".join(out)


def _placeholders(text: str, names: dict[str, str] | None = None) -> str:
    """``<resource-group>`` -> ``$resource_group_``: same length (columns stay true), a variable
    the document never sets (so unknown), the same identity wherever the placeholder recurs
    (``<1.25.0 and above>`` -> ``$_1_25_0_and_above``, as a name cannot start with a digit).
    ``names`` collects variable -> placeholder as written, so messages show ``<resource-group>``.
    Optional-argument notation (``[--subscription]``) becomes blanks."""
    def repl(m: re.Match[str]) -> str:
        name = re.sub(r"[^A-Za-z0-9_]", "_", m.group("name"))
        var = "_" + name if name[0].isdigit() else name + "_"
        if names is not None:
            names[var] = m.group(0)
        return "$" + var

    return _PLACEHOLDER.sub(repl, _OPTIONAL_ARG.sub(lambda m: " " * len(m.group(0)), text))


def _looks_like_commands(text: str) -> bool:
    """An untagged block is read as commands when its first statement is an az or kubectl
    command (older docs leave command blocks untagged; output blocks are left alone)."""
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return stripped.startswith(("az ", "kubectl "))
    return False


def load(source: SourceFile) -> FrontendResult:
    from egresslint.frontends import azcli, shell

    found = blocks(source.text)
    if not found:
        return FrontendResult(skipped="no code blocks")
    translator: azcli.Translator | None = None
    result = FrontendResult()
    for block in found:
        if block.lang in SHELL_LANGS or (not block.lang and _looks_like_commands(block.text)):
            if translator is None:
                translator = azcli.Translator(source.path, "bash", placeholders_unknown=True)
            text = _placeholders(_console(block.text) if block.lang == "console" else block.text,
                                 translator.placeholder_names)
            dialect = SHELL_LANGS.get(block.lang) or shell.detect_dialect(text)
            translator.dialect = dialect
            translator.placement = azcli.Placement(line_offset=block.line - 1, column_offset=block.indent)
            translator.run(shell.parse(text, dialect))  # type: ignore[arg-type]
        elif block.lang in JSON_LANGS and '"resources"' in block.text and "deploymentTemplate" in block.text:
            from egresslint.frontends import arm

            sub = arm.load(SourceFile(source.path, _in_place(source.text, block, "json"), "json"))
            result.operations.extend(sub.operations)
            result.findings.extend(sub.findings)
        elif block.lang in YAML_LANGS:
            from egresslint.frontends import kubernetes

            # whole manifests only (apiVersion and kind), as for a .yaml file
            sub = kubernetes.load(SourceFile(source.path, _in_place(source.text, block, "yaml"), "yaml"))
            result.operations.extend(sub.operations)
            result.findings.extend(sub.findings)
    if translator is not None:
        result.operations[:0] = translator.operations
        result.findings[:0] = translator.findings
        result.facts.update(translator.facts)
    return result
