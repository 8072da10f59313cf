"""The shell parser (bash + PowerShell -> shellast): words, quoting, expansions, compound
commands, here-docs, typography, positions, error recovery, and robustness on any input."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egresslint.frontends import markdown, shell
from egresslint.frontends.shellast import (
    Assignment,
    CmdSub,
    Command,
    Lit,
    Opaque,
    Script,
    Span,
    Var,
    Word,
)

SEEDS = FIXTURES / "seeds"


def bash(text: str) -> Script:
    return shell.parse(text, "bash")


def pwsh(text: str) -> Script:
    return shell.parse(text, "powershell")


def argv(cmd: Command) -> list[str | None]:
    return [w.literal() for w in cmd.words]


def commands(script: Script) -> list[Command]:
    return [i for i in script.items if isinstance(i, Command)]


def only(script: Script) -> Command | Assignment:
    assert not script.problems, script.problems
    assert len(script.items) == 1, script.items
    return script.items[0]


def pos(span: Span) -> tuple[int, int, int, int]:
    return (span.line, span.column, span.end_line, span.end_column)


# ------------------------------------------------------------------------------ simple commands


def test_simple_command_argv_and_spans():
    s = bash("az group create -n rg -l westeurope\n")
    cmd = only(s)
    assert isinstance(cmd, Command)
    assert cmd.name == "az"
    assert argv(cmd) == ["az", "group", "create", "-n", "rg", "-l", "westeurope"]
    assert pos(cmd.span) == (1, 1, 1, 36)
    assert pos(cmd.words[4].span) == (1, 20, 1, 22)
    assert cmd.words[4].span.offset == 19 and cmd.words[4].span.end_offset == 21
    assert not cmd.conditional and not cmd.background


def test_comments_and_blank_lines():
    s = bash("# a comment with 'quote\n\n   # another\naz a # trailing \"x\naz b\n")
    assert [argv(c) for c in commands(s)] == [["az", "a"], ["az", "b"]]
    assert not s.problems
    assert s.items[0].span.line == 4


def test_hash_inside_word_is_not_a_comment():
    cmd = only(bash("echo a#b '#c'\n"))
    assert argv(cmd) == ["echo", "a#b", "#c"]


def test_backslash_continuation_positions():
    s = bash("az network vnet create \\\n  --name v1 \\\n  -g rg\n")
    cmd = only(s)
    assert argv(cmd) == ["az", "network", "vnet", "create", "--name", "v1", "-g", "rg"]
    assert pos(cmd.words[4].span) == (2, 3, 2, 9)
    assert pos(cmd.words[-1].span) == (3, 6, 3, 8)
    assert pos(cmd.span) == (1, 1, 3, 8)


def test_continuation_inside_a_word_joins_it():
    w = only(bash("echo ab\\\ncd\n")).words[1]
    assert w.literal() == "abcd"
    assert pos(w.span) == (1, 6, 2, 3)


def test_quotes_single_double_and_escapes():
    cmd = only(bash("""echo 'a b' "c $X d" "q\\"x" a\\ b "" '' "$Y" e"f"g\n"""))
    w = cmd.words
    assert w[1].parts == (Lit("a b", w[1].parts[0].span, "'"),)
    assert pos(w[1].parts[0].span) == (1, 6, 1, 11)
    parts = w[2].parts
    assert [type(p) for p in parts] == [Lit, Var, Lit]
    assert parts[0].text == "c " and parts[0].quote == '"' and parts[1].name == "X"
    assert pos(parts[1].span) == (1, 15, 1, 17)
    assert parts[2].text == " d"
    assert w[3].literal() == 'q"x'
    assert w[4].literal() == "a b" and w[4].parts[0].quote is None
    assert w[5].literal() == "" and w[5].parts[0].quote == '"'
    assert w[6].literal() == "" and w[6].parts[0].quote == "'"
    assert len(w[7].parts) == 1 and isinstance(w[7].parts[0], Var) and w[7].parts[0].name == "Y"
    assert w[8].literal() == "efg" and [p.quote for p in w[8].parts] == [None, '"', None]


def test_ansi_c_and_locale_strings():
    cmd = only(bash("printf $'a\\tb\\x41\\'' $\"hi $U\"\n"))
    assert cmd.words[1].literal() == "a\tbA'"
    assert isinstance(cmd.words[2].parts[1], Var)


def test_variables_and_special_parameters():
    cmd = only(bash('echo $A ${B} $1 $@ $? $# $$ $10 ${C:-def} ${D:=x} ${E%/*} ${#F} ${G[@]} $\n'))
    parts = [w.parts for w in cmd.words[1:]]
    assert parts[0][0] == Var("A", parts[0][0].span)
    assert parts[1][0].name == "B" and parts[1][0].op is None
    assert [p[0].name for p in parts[2:7]] == ["1", "@", "?", "#", "$"]
    assert parts[7][0].name == "1" and parts[7][1].text == "0"
    c = parts[8][0]
    assert (c.name, c.op, c.default.literal()) == ("C", ":-", "def")
    assert pos(c.span) == (1, 33, 1, 42)
    assert parts[9][0].op == ":=" and parts[9][0].default.literal() == "x"
    assert parts[10][0].op == "%" and parts[10][0].default.literal() == "/*"
    assert parts[11][0].name == "F" and parts[11][0].op == "length"
    assert parts[12][0].name == "G" and parts[12][0].op is not None
    assert cmd.words[-1].literal() == "$"


def test_default_with_nested_expansions():
    v = only(bash('echo "${RG:-rg-$SUFFIX}"\n')).words[1].parts[0]
    assert isinstance(v, Var) and v.op == ":-"
    assert [type(p) for p in v.default.parts] == [Lit, Var]


def test_command_substitution_is_parsed():
    s = bash('IP=$(az network public-ip show -g rg -n pip --query ipAddress -o tsv)\n')
    a = only(s)
    assert isinstance(a, Assignment) and a.name == "IP"
    sub = a.value.parts[0]
    assert isinstance(sub, CmdSub)
    assert sub.text == "az network public-ip show -g rg -n pip --query ipAddress -o tsv"
    inner = sub.body.items[0]
    assert argv(inner)[:4] == ["az", "network", "public-ip", "show"]
    assert pos(inner.span) == (1, 6, 1, 69)
    assert pos(sub.span) == (1, 4, 1, 70)


def test_nested_substitutions_and_backticks():
    s = bash('X=`az account show --query id -o tsv`\necho "$(echo $(az b) "q)")"\n')
    a = s.items[0]
    assert isinstance(a.value.parts[0], CmdSub)
    assert argv(a.value.parts[0].body.items[0])[:3] == ["az", "account", "show"]
    outer = s.items[1].words[1].parts[0]
    inner_echo = outer.body.items[0]
    assert argv(inner_echo)[0] == "echo"
    assert isinstance(inner_echo.words[1].parts[0], CmdSub)
    assert inner_echo.words[2].literal() == "q)"


def test_substitution_with_case_inside():
    s = bash('X=$(case $a in x) echo one;; *) echo two;; esac)\necho after\n')
    assert not s.problems
    sub = s.items[0].value.parts[0]
    assert [argv(c) for c in sub.body.items] == [["echo", "one"], ["echo", "two"]]
    assert argv(s.items[1]) == ["echo", "after"]


def test_arithmetic_and_process_substitution_are_opaque():
    s = bash("echo $((1 + (2*3))) <(sort a) >(cat)\n")
    w = only(s).words
    assert isinstance(w[1].parts[0], Opaque) and w[1].parts[0].text == "$((1 + (2*3)))"
    assert isinstance(w[2].parts[0], Opaque) and w[2].parts[0].text == "<(sort a)"
    assert isinstance(w[3].parts[0], Opaque)


# ------------------------------------------------------------------------------ assignments


def test_assignments_plain_export_local_declare():
    s = bash('A=1\nB=\nC="x y"\nexport D=$A E=2 F\nf() { local G=${1:-d}; declare -x H=h; readonly I=i; }\n')
    items = s.items
    assert [(i.name, i.export, i.conditional) for i in items] == [
        ("A", False, False), ("B", False, False), ("C", False, False), ("D", True, False),
        ("E", True, False), ("G", False, True), ("H", True, True), ("I", False, True)]
    assert items[0].value.literal() == "1"
    assert pos(items[0].value.span) == (1, 3, 1, 4)
    assert items[1].value is None
    assert items[2].value.literal() == "x y"
    assert isinstance(items[3].value.parts[0], Var)
    assert pos(items[3].span) == (4, 8, 4, 12)


def test_prefix_assignments_belong_to_the_command():
    cmd = only(bash("AZURE_CORE_OUTPUT=tsv FOO= az group list\n"))
    assert isinstance(cmd, Command) and argv(cmd) == ["az", "group", "list"]
    assert [(a.name, a.value.literal() if a.value else None) for a in cmd.assignments] == [
        ("AZURE_CORE_OUTPUT", "tsv"), ("FOO", None)]
    assert pos(cmd.span) == (1, 1, 1, 41)


def test_assignment_word_only_in_prefix_position():
    cmd = only(bash("echo a=b\n"))
    assert argv(cmd) == ["echo", "a=b"]


def test_array_assignment_is_opaque():
    a = only(bash('arr=(one "two three" $(x))\n'))
    assert a.name == "arr" and isinstance(a.value.parts[0], Opaque)


# ------------------------------------------------------------------------------ operators


def test_lists_and_conditional_operators():
    s = bash("a; b & c && d || e\n! f | g |& h\n")
    cmds = s.items
    assert [(c.name, c.conditional, c.background) for c in cmds] == [
        ("a", False, False), ("b", False, True), ("c", False, False), ("d", True, False),
        ("e", True, False), ("f", False, False)]
    assert [c.name for c in cmds[-1].piped_to] == ["g", "h"]
    assert [c.name for c in cmds[-1].piped_to[0].piped_to] == ["h"]


def test_pipeline_first_command_carries_later_stages():
    s = bash("ID=$(az vm show -g rg -n vm --query id -o tsv | tr -d '\\r')\n")
    body = s.items[0].value.parts[0].body
    assert len(body.items) == 1
    assert body.items[0].name == "az"
    assert argv(body.items[0].piped_to[0]) == ["tr", "-d", "\\r"]


def test_redirections():
    cmd = only(bash("az x >out.txt 2>&1 < in &>>log >&2 2> err 3<&0 <<< here\n"))
    ops = [(r.op, r.target.literal() if r.target else None) for r in cmd.redirects]
    assert ops == [(">", "out.txt"), ("2>&1", None), ("<", "in"), ("&>>", "log"), (">&2", None),
                   ("2>", "err"), ("3<&0", None), ("<<<", "here")]
    assert argv(cmd) == ["az", "x"]
    assert pos(cmd.redirects[0].span) == (1, 6, 1, 14)


def test_reserved_words_only_in_command_position():
    s = bash("echo if then fi done esac { } !\nfor in in in; do echo $in; done\n")
    assert argv(s.items[0]) == ["echo", "if", "then", "fi", "done", "esac", "{", "}", "!"]
    assert argv(s.items[1]) == ["echo", None]
    assert not s.problems


# ------------------------------------------------------------------------------ compound commands


COMPOUND = """\
if az group exists -n rg; then
  echo yes
elif [[ $X == "a" && -n $Y ]]; then az group delete -n rg --yes
else
  az group create -n rg -l westeurope
fi
for x in a b "c d"; do az vm start -n "$x"; done
for ((i=0; i<3; i++)); do az vm stop -n vm$i; done
while read -r id; do az resource delete --ids "$id"; done < <(az resource list -o tsv)
until false; do break; done
case "$MODE" in
  dev|test) az group create -n dev ;;
  (prod) az group create -n prod
        echo hi;;
  *) echo other
esac
f() { az aks show -n x; }
function g {
  az aks list
}
function h() ( az aks get-versions -l westeurope )
{ az y; az z; } > out 2>&1
( cd /tmp; az w )
(( n++ ))
az last
"""


def test_compound_commands_in_textual_order():
    s = bash(COMPOUND)
    assert not s.problems, s.problems
    got = [(c.span.line, " ".join(x or "?" for x in argv(c)), c.conditional) for c in s.items]
    assert got == [
        (1, "az group exists -n rg", True),
        (2, "echo yes", True),
        (3, "[[ ? == a && -n ? ]]", True),
        (3, "az group delete -n rg --yes", True),
        (5, "az group create -n rg -l westeurope", True),
        (7, "az vm start -n ?", True),
        (8, "az vm stop -n ?", True),
        (9, "read -r id", True),
        (9, "az resource delete --ids ?", True),
        (10, "false", True),
        (10, "break", True),
        (12, "az group create -n dev", True),
        (13, "az group create -n prod", True),
        (14, "echo hi", True),
        (15, "echo other", True),
        (17, "az aks show -n x", True),
        (19, "az aks list", True),
        (21, "az aks get-versions -l westeurope", True),
        (22, "az y", False),
        (22, "az z", False),
        (23, "cd /tmp", False),
        (23, "az w", False),
        (25, "az last", False),
    ]


def test_nested_compounds():
    s = bash("for a in 1 2; do\n  if x; then\n    while y; do z; done\n  fi\ndone\n")
    assert [c.name for c in s.items] == ["x", "y", "z"]
    assert all(c.conditional for c in s.items)


def test_select_and_time():
    s = bash("time az group list\nselect x in a b; do az group show -n $x; done\n! time az y | tr a b\n")
    assert not s.problems
    assert [(argv(c)[:2], c.conditional) for c in s.items] == [
        (["az", "group"], False), (["az", "group"], True), (["az", "y"], False)]
    assert s.items[2].piped_to[0].name == "tr"


def test_arithmetic_command_versus_nested_subshells():
    s = bash("(( i++ ))\necho $(( (1+2) * 3 )) $( (echo a) ) $((x) | y)\n")
    assert not s.problems
    assert len(s.items) == 1
    w = s.items[0].words
    assert isinstance(w[1].parts[0], Opaque)
    assert argv(w[2].parts[0].body.items[0]) == ["echo", "a"]
    assert [c.name for c in w[3].parts[0].body.items] == ["x", "y"]


def test_heredoc_bodies_are_skipped():
    text = (
        "cat <<EOF > file.txt\n"
        'az group delete -n nope "unterminated $(\n'
        "EOF\n"
        "cat <<-'X' | kubectl apply -f -\n"
        "\tkind: Service\n"
        "\tX\n"
        'az vm create --custom-data "$(cat <<EOT\n#cloud\nEOT\n)" -n vm\n'
        "cat << \"END\"; echo same-line\nbody\nEND\n"
        "az done\n"
    )
    s = bash(text)
    assert not s.problems, s.problems
    assert [(c.span.line, c.name) for c in s.items] == [(1, "cat"), (4, "cat"), (7, "az"), (11, "cat"),
                                                       (11, "echo"), (14, "az")]
    r = s.items[0].redirects[0]
    assert (r.op, r.target.literal()) == ("<<", "EOF")
    assert s.items[1].redirects[0].op == "<<-"
    assert s.items[1].piped_to[0].name == "kubectl"
    assert argv(s.items[2])[-2:] == ["-n", "vm"]


def test_heredoc_crlf():
    s = bash("cat <<EOF\r\nx\r\nEOF\r\naz a\r\n")
    assert not s.problems
    assert [c.name for c in s.items] == ["cat", "az"]


# ------------------------------------------------------------------------------ typography


def test_dash_typos_bash():
    s = bash("az aks create –name a —g b −n c\nkubectl exec nginx -it — curl http://x\n")
    cmd = s.items[0]
    assert argv(cmd) == ["az", "aks", "create", "--name", "a", "--g", "b", "-n", "c"]
    typos = [(t.kind, t.char, t.meant, t.span.line, t.span.column, t.span.end_column)
             for w in cmd.words for t in w.typos]
    assert typos == [("dash", "\u2013", "--", 1, 15, 16), ("dash", "\u2014", "--", 1, 23, 24),
                     ("dash", "\u2212", "-", 1, 28, 29)]
    assert cmd.words[3].raw == "\u2013name"
    assert argv(s.items[1]) == ["kubectl", "exec", "nginx", "-it", "--", "curl", "http://x"]
    assert s.typos == ()  # all in command words


def test_curly_quotes_bash():
    s = bash("az x --sku “Standard” -n ‘aksfwnr' -d “AzureCloud.$LOC” -s ‘*'\n")
    cmd = only(s)
    w = cmd.words
    assert w[3].literal() == "Standard" and w[3].parts[0].quote == '"'
    assert [(t.char, t.meant, t.span.column) for t in w[3].typos] == [("\u201c", '"', 12), ("\u201d", '"', 21)]
    assert w[5].literal() == "aksfwnr" and w[5].parts[0].quote == "'"
    assert [(t.char, t.meant) for t in w[5].typos] == [("\u2018", "'")]
    assert [type(p) for p in w[7].parts] == [Lit, Var]
    assert w[7].parts[0].text == "AzureCloud." and w[7].parts[1].name == "LOC"
    assert len(w[7].typos) == 2
    assert w[9].literal() == "*"


def test_curly_quotes_are_literal_inside_real_quotes_and_in_prose():
    s = bash("echo \"It’s fine: “done”\" Let’s go\n# –comment “x”\n")
    cmd = only(s)
    assert argv(cmd) == ["echo", "It’s fine: “done”", "Let’s", "go"]
    assert all(not w.typos for w in cmd.words) and s.typos == ()


def test_typos_outside_command_words_are_on_the_script():
    s = bash("SKU=“Standard”\nfor x in ‘a’; do echo; done\n")
    assert s.items[0].value.literal() == "Standard"
    assert [(t.char, t.span.line, t.span.column) for t in s.typos] == [
        ("\u201c", 1, 5), ("\u201d", 1, 14), ("\u2018", 2, 10), ("\u2019", 2, 12)]


def test_typos_inside_substitution_are_on_inner_words():
    s = bash("IP=$(az network public-ip show –query “ipAddress” -o tsv)\n")
    inner = s.items[0].value.parts[0].body.items[0]
    assert argv(inner) == ["az", "network", "public-ip", "show", "--query", "ipAddress", "-o", "tsv"]
    assert [t.char for t in inner.words[4].typos] == ["\u2013"]
    assert [t.char for t in inner.words[5].typos] == ["\u201c", "\u201d"]


def test_powershell_curly_quotes_are_quotes_not_typos():
    s = pwsh("az network public-ip create -n pip –sku “Standard” ‘x’ ‚y‛ „z”\n")
    cmd = only(s)
    assert argv(cmd)[-5:] == ["--sku", "Standard", "x", "y", "z"]
    assert [t.kind for w in cmd.words for t in w.typos] == ["dash"]
    assert s.typos == ()


# ------------------------------------------------------------------------------ PowerShell


def test_powershell_assignments():
    s = pwsh(
        '$RG = "rg-aks"\n'
        "$loc='westeurope'\n"
        "$env:AZURE_CORE_OUTPUT = \"json\"\n"
        "$ip = az network public-ip show -g $RG -n pip --query ipAddress -o tsv\n"
        "$id=$(az group show -n $RG --query id -o tsv)\n"
        '$name = $RG + "-vnet"\n'
        "${braced} = 5\n"
        "[string]$typed = 'v'\n"
        "$n += 1\n"
    )
    assert not s.problems
    a = s.items
    assert [(x.name, x.env) for x in a] == [("RG", False), ("loc", False), ("AZURE_CORE_OUTPUT", True),
                                            ("ip", False), ("id", False), ("name", False), ("braced", False),
                                            ("typed", False), ("n", False)]
    assert a[0].value.literal() == "rg-aks" and a[0].value.parts[0].quote == '"'
    assert pos(a[0].span) == (1, 1, 1, 15)
    assert pos(a[0].value.span) == (1, 7, 1, 15)
    assert a[1].value.literal() == "westeurope"
    assert a[3].value is None and argv(a[3].command)[:4] == ["az", "network", "public-ip", "show"]
    assert pos(a[3].command.span) == (4, 7, 4, 71)
    assert isinstance(a[4].value.parts[0], CmdSub) and a[4].command is None
    assert argv(a[4].value.parts[0].body.items[0])[:3] == ["az", "group", "show"]
    assert isinstance(a[5].value.parts[0], Opaque)
    assert a[6].value.literal() == "5"
    assert isinstance(a[8].value.parts[0], Opaque)


def test_powershell_strings_and_variables():
    cmd = only(pwsh("Write-Host \"a $x ${y} $env:HOME `\"q`\" \"\"d\"\" $($z.Name)\" 'it''s' $true $v.Prop $w[0] `$lit\n"))
    w = cmd.words
    parts = w[1].parts
    assert [type(p).__name__ for p in parts] == ["Lit", "Var", "Lit", "Var", "Lit", "Var", "Lit", "CmdSub"]
    assert parts[3].name == "y" and parts[5].name == "HOME" and parts[5].env
    assert parts[6].text == ' "q" "d" '
    assert w[2].literal() == "it's"
    assert w[3].literal() == "True"
    assert isinstance(w[4].parts[0], Opaque) and w[4].parts[0].text == "$v.Prop"
    assert isinstance(w[5].parts[0], Opaque)
    assert w[6].literal() == "$lit"


def test_powershell_here_strings_and_comments():
    s = pwsh('<# block\n az hidden #>\n$h = @"\nline $x\naz not-a-command\n"@\n$k = @\'\nraw\n\'@\naz after # c\n')
    assert not s.problems
    assert [type(i).__name__ for i in s.items] == ["Assignment", "Assignment", "Command"]
    assert s.items[0].value.literal() == "line $x\naz not-a-command"
    assert s.items[1].value.literal() == "raw"
    assert argv(s.items[2]) == ["az", "after"]
    assert s.items[2].span.line == 10


def test_powershell_backtick_continuation_positions():
    s = pwsh("az aks create -g rg `\n  -n aks `\n  –outbound-type managedNATGateway\naz next\n")
    cmd = s.items[0]
    assert argv(cmd) == ["az", "aks", "create", "-g", "rg", "-n", "aks", "--outbound-type", "managedNATGateway"]
    assert pos(cmd.words[7].span) == (3, 3, 3, 17)
    assert [(t.span.line, t.span.column) for t in cmd.words[7].typos] == [(3, 3)]
    assert pos(cmd.span) == (1, 1, 3, 35)
    assert argv(s.items[1]) == ["az", "next"]


def test_powershell_backtick_is_not_command_substitution():
    cmd = only(pwsh("Write-Host `$x `n a`tb\n"))
    assert argv(cmd) == ["Write-Host", "$x", "\n", "a\tb"]


PS_COMPOUND = """\
param([string]$Name = "x")
[CmdletBinding()]
if ($x -eq 1) {
    az group create -n a -l b
} elseif (Test-Path $p) {
    az group create -n c
}
else {
    Write-Host "no"
}
foreach ($v in $list) { az vm start -n $v }
for ($i = 0; $i -lt 3; $i++) { az vm stop -n "vm$i" }
while ($true) { break }
do { az x } while ($false)
function Deploy-It {
    param($a)
    az inside -n $a
}
try {
    az risky
} catch [System.Exception] {
    Write-Error $_
} finally {
    az cleanup
}
$list | ForEach-Object { az vm delete --ids $_ }
switch ($mode) { 'a' { az a } default { az d } }
$vnet.Subnets[2].RouteTable = $rt
New-AzResourceGroup -Name $RG -Location (Get-Loc -Region 'x') -Tag @{a="b"}
az last
"""


def test_powershell_compound_statements():
    s = pwsh(PS_COMPOUND)
    assert not s.problems, s.problems
    got = [(c.span.line, c.name, c.conditional) for c in s.items]
    assert got == [
        (4, "az", True), (6, "az", True), (9, "Write-Host", True), (11, "az", True), (12, "az", True),
        (13, "break", True), (14, "az", True), (17, "az", True), (20, "az", True),
        (22, "Write-Error", True), (24, "az", True), (26, "ForEach-Object", False), (26, "az", True),
        (27, "az", True), (27, "az", True), (29, "New-AzResourceGroup", False), (30, "az", False),
    ]
    new_rg = s.items[-2]
    assert isinstance(new_rg.words[4].parts[0], CmdSub)
    assert argv(new_rg.words[4].parts[0].body.items[0]) == ["Get-Loc", "-Region", "x"]
    assert isinstance(new_rg.words[6].parts[0], Opaque)


def test_powershell_grouped_command_value():
    s = pwsh("$id = (az group show -n rg --query id -o tsv)\n$n = (Get-X).Name\n")
    assert not s.problems
    sub = s.items[0].value.parts[0]
    assert isinstance(sub, CmdSub) and argv(sub.body.items[0])[:3] == ["az", "group", "show"]
    assert isinstance(s.items[1].value.parts[0], Opaque)


def test_powershell_else_after_blank_lines_and_comments():
    s = pwsh("if ($a) { az a }\n\n# note\nelse { az b }\ntry { az c }\ncatch { az d }\naz e\n")
    assert not s.problems
    assert [(c.span.line, c.conditional) for c in s.items] == [(1, True), (4, True), (5, True), (6, True),
                                                               (7, False)]


def test_powershell_pipeline_and_expression_heads():
    s = pwsh("$vnet | Set-AzVirtualNetwork\nGet-AzVM | Remove-AzVM -Force\n\"text\" | Out-File x.txt\n")
    assert [(c.name, [p.name for p in c.piped_to]) for c in s.items] == [
        ("Set-AzVirtualNetwork", []), ("Get-AzVM", ["Remove-AzVM"]), ("Out-File", [])]


def test_powershell_keywords_are_case_insensitive_and_positional():
    s = pwsh("If ($a) { az a } Else { az b }\nWrite-Host if else foreach\n")
    assert [(c.name, c.conditional) for c in s.items] == [("az", True), ("az", True), ("Write-Host", False)]
    assert argv(s.items[2]) == ["Write-Host", "if", "else", "foreach"]


# ------------------------------------------------------------------------------ errors


def test_unterminated_double_quote_bash():
    s = bash('az a\naz b -n "hub-vnet --x y\naz c\n')
    assert [argv(c) for c in s.items] == [["az", "a"]]
    assert [(p.code, p.span.line, p.span.column) for p in s.problems] == [("EGL001", 2, 9)]
    assert "quote" in s.problems[0].message


@pytest.mark.parametrize("text,line,column", [
    ("az a\necho $(az b\naz c\n", 2, 6),
    ("az a\ncat <<EOF\nbody\n", 2, 5),
    ("az a\necho 'x\n", 2, 6),
    ("az a\necho `az x\n", 2, 6),
    ("az a\necho ${X\n", 2, 6),
    ("az a\nX=$(echo \"unterminated)\n", 2, 10),
])
def test_unterminated_constructs_bash(text, line, column):
    s = bash(text)
    assert [argv(c) for c in s.items] == [["az", "a"]]
    assert [(p.code, p.span.line, p.span.column) for p in s.problems] == [("EGL001", line, column)]


@pytest.mark.parametrize("text,line,column", [
    ('az a\n$name = "hub-vnet\naz c\n', 2, 9),
    ("az a\n$x = $(az b\n", 2, 6),
    ("az a\n<# open comment\n", 2, 1),
    ("az a\n$s = 'open\n", 2, 6),
    ('az a\n$h = @"\nno end\n', 2, 6),
    ("az a\nif ($x -eq (1) { az b }\n", 2, 4),
])
def test_unterminated_constructs_powershell(text, line, column):
    s = pwsh(text)
    assert [argv(c) for c in s.items] == [["az", "a"]]
    assert [(p.code, p.span.line, p.span.column) for p in s.problems] == [("EGL001", line, column)]


def test_stray_quote_inside_a_word_is_literal():
    s = bash("az aks show --query apiServerAccessProfile.authorizedIpRanges'\n## Next `steps`\n")
    assert not s.problems
    assert argv(s.items[0])[-1] == "apiServerAccessProfile.authorizedIpRanges'"


def test_statement_not_understood_is_skipped_to_next_line_at_depth_zero():
    s = bash("az a\necho ) oops\naz c\nif x; then\n  echo )\n  az inner\nfi\naz after\nX=<a>\naz end\n")
    assert [c.name for c in s.items] == ["az", "az", "az", "az"]
    assert [argv(c)[1] for c in s.items] == ["a", "c", "after", "end"]
    assert [(p.code, p.message, p.span.line, p.span.column) for p in s.problems] == [
        ("EGL004", "statement not understood; skipped", 2, 1),
        ("EGL004", "statement not understood; skipped", 4, 1),
        ("EGL004", "statement not understood; skipped", 9, 1)]
    assert s.problems[1].span.end_line == 7


def test_missing_fi_is_not_understood():
    s = bash("az a\nif true; then\n az b\n")
    assert [argv(c) for c in s.items] == [["az", "a"]]
    assert [(p.code, p.span.line) for p in s.problems] == [("EGL004", 2)]


def test_powershell_recovery():
    s = pwsh("az a\n} oops\naz c\nif ($x) { az b\n")
    assert [argv(c) for c in s.items] == [["az", "a"], ["az", "c"]]
    assert [(p.code, p.span.line) for p in s.problems] == [("EGL004", 2), ("EGL004", 4)]


def test_bom_and_crlf():
    s = bash("\ufeffaz a -n x\r\naz b \\\r\n  --c d\r\n# c\r\nX=\"v\"\r\n")
    assert not s.problems
    assert [(pos(i.span)) for i in s.items[:2]] == [(1, 1, 1, 10), (2, 1, 3, 8)]
    assert argv(s.items[1]) == ["az", "b", "--c", "d"]
    assert s.items[2].value.literal() == "v"
    p = pwsh("\ufeff$a = 'x'\r\naz b `\r\n  -c d\r\n")
    assert not p.problems
    assert pos(p.items[0].span)[:2] == (1, 1)
    assert argv(p.items[1]) == ["az", "b", "-c", "d"]


def test_never_executes_anything(tmp_path):
    marker = tmp_path / "pwned"
    bash(f"touch {marker}\necho $(touch {marker})\n`touch {marker}`\n")
    pwsh(f"New-Item {marker}\n$(New-Item {marker})\n")
    assert not marker.exists()


def test_parse_accepts_dialect_aliases():
    assert shell.parse("$a = 1\n", "pwsh").dialect == "powershell"  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ dialect detection


@pytest.mark.parametrize("text,filename,expected", [
    ("az x", "a.ps1", "powershell"),
    ("az x", "a.PSM1", "powershell"),
    ("$a = 1", "a.sh", "bash"),
    ("az x", "a.bash", "bash"),
    ("az x", "a.zsh", "bash"),
    ("#!/bin/bash\n$a = 1\n", None, "bash"),
    ("#!/usr/bin/env bash\n", "x.azcli", "bash"),
    ("#!/bin/sh\n", None, "bash"),
    ("#!/usr/bin/env zsh\n", None, "bash"),
    ("#!/usr/bin/env pwsh\naz x \\\n", None, "powershell"),
    ("#!/usr/bin/pwsh -NoProfile\n", None, "powershell"),
    ("az aks create `\n  -n x `\n  -g y\n", "x.azcli", "powershell"),
    ("$RG = 'rg'\naz group create -n $RG\n", None, "powershell"),
    ("$env:FOO='x'\n", None, "powershell"),
    ("RG=rg\naz group create -n $RG \\\n  -l x\n", "x.azcli", "bash"),
    ("az group list\n", None, "bash"),
    ("", None, "bash"),
])
def test_detect_dialect(text, filename, expected):
    assert shell.detect_dialect(text, filename) == expected


# ------------------------------------------------------------------------------ seeds


def seed(name: str) -> tuple[Script, list[str]]:
    path = SEEDS / name
    text = path.read_text(encoding="utf-8")
    return shell.parse(text, shell.detect_dialect(text, path.name)), text.splitlines()


def az_commands(script: Script) -> list[Command]:
    out = []
    for item in script.items:
        cmd = item.command if isinstance(item, Assignment) else item
        if isinstance(item, Assignment) and item.value is not None:
            for p in item.value.parts:
                if isinstance(p, CmdSub):
                    out.extend(c for c in p.body.items if isinstance(c, Command))
        if isinstance(cmd, Command):
            out.append(cmd)
    return out


def test_seed_lab1_loadbalancer():
    s, lines = seed("seed001-lab1-loadbalancer.sh")
    assert s.dialect == "bash" and not s.problems
    assert [argv(c) for c in s.items] == [
        ["az", "group", "create", "-n", "rg-aks-lb", "-l", "westeurope"],
        ["az", "aks", "create", "-g", "rg-aks-lb", "-n", "aks-lb", "--outbound-type", "loadBalancer"],
        ["az", "aks", "get-credentials", "-g", "rg-aks-lb", "-n", "aks-lb", "--overwrite-existing"],
        ["kubectl", "run", "nginx", "--image=nginx"],
        ["kubectl", "exec", "nginx", "-it", "--", "curl", "http://ifconfig.me"],
        ["kubectl", "expose", "deployment", "nginx", "--name", "nginx", "--port=80", "--type", "LoadBalancer"],
        ["kubectl", "get", "svc"],
        ["az", "aks", "update", "-g", "rg-aks-lb", "-n", "aks-lb", "--load-balancer-managed-outbound-ip-count", "3"],
    ]
    typos = [(t.char, t.span.line, t.span.column) for c in s.items for w in c.words for t in w.typos]
    expected = [(ch, n, m.start() + 1) for n, line in enumerate(lines, 1)
                for m in re.finditer("(?<![^ ])[\u2013\u2014]", line) for ch in [m.group()]]
    assert typos == expected and len(typos) == 8


def test_seed_lab2_managed_nat_backticks():
    s, lines = seed("seed001-lab2-managed-nat.ps1")
    assert s.dialect == "powershell" and not s.problems
    create = s.items[1]
    assert argv(create) == ["az", "aks", "create", "-g", "rg-aks-natgateway", "-n", "aks-natgateway",
                            "--outbound-type", "managedNATGateway", "--nat-gateway-managed-outbound-ip-count",
                            "2", "--nat-gateway-idle-timeout", "4"]
    assert pos(create.span) == (2, 1, 5, 28)
    assert [(t.span.line, t.span.column) for w in create.words for t in w.typos] == [(3, 1), (4, 1), (5, 1)]


def test_seed_lab3_user_nat_substitutions():
    s, lines = seed("seed001-lab3-user-nat.ps1")
    assert not s.problems
    ident = s.items[1]
    assert isinstance(ident, Assignment) and ident.name == "IDENTITY_ID"
    inner = ident.value.parts[0].body.items[0]
    assert argv(inner) == ["az", "identity", "create", "--resource-group", "rg-aks-usernatgateway", "--name",
                           "natClusterId", "--location", "westeurope", "--query", "id", "--output", "tsv"]
    assert [t.span.line for w in inner.words for t in w.typos] == [4, 5, 6, 7, 8]
    aks = [c for c in az_commands(s) if argv(c)[:2] == ["az", "aks"]][0]
    assert "--vnet-subnet-id" in argv(aks) and aks.words[argv(aks).index("--vnet-subnet-id") + 1].parts[0].name == "SUBNET_ID"
    # the vnet create ends with a backtick before a comment line: PowerShell ends it there
    vnet = [c for c in az_commands(s) if argv(c)[:3] == ["az", "network", "vnet"]][0]
    assert argv(vnet)[-2:] == ["--location", "westeurope"]


def test_seed_lab4_udr_quotes_in_powershell():
    s, lines = seed("seed001-lab4-udr.ps1")
    assert s.dialect == "powershell" and not s.problems
    rules = [c for c in s.items if isinstance(c, Command) and argv(c)[:4] == ["az", "network", "firewall", "network-rule"]]
    assert len(rules) == 3
    args = argv(rules[0])
    assert args[args.index("--collection-name") + 1] == "aksfwnr"
    dest = rules[0].words[args.index("--destination-addresses") + 1]
    assert [type(p) for p in dest.parts] == [Lit, Var] and dest.parts[0].text == "AzureCloud."
    # PowerShell: curly quotes are quotes; only the dashes are typos
    assert {t.kind for c in commands(s) for w in c.words for t in w.typos} == {"dash"}
    last = s.items[-1]
    assert argv(last)[-2:] == ["--appgw-subnet-cidr", ""]
    corrected, _ = seed("seed001-lab4-udr-corrected.ps1")
    assert not corrected.problems and not any(t for c in az_commands(corrected) for w in c.words for t in w.typos)
    assert [a.name for a in corrected.items if isinstance(a, Assignment)][:3] == ["RG", "LOC", "VNET_NAME"]


def test_seed_lab4_udr_as_bash_records_quote_typos():
    text = (SEEDS / "seed001-lab4-udr.ps1").read_text(encoding="utf-8")
    s = bash(text.replace("`\n", "\\\n"))
    rules = [c for c in commands(s) if argv(c)[:4] == ["az", "network", "firewall", "network-rule"]]
    w = rules[0].words
    args = argv(rules[0])
    assert args[args.index("--collection-name") + 1] == "aksfwnr"
    assert [(t.char, t.meant) for t in w[args.index("--collection-name") + 1].typos] == [("\u2018", "'")]
    dest = w[args.index("--destination-addresses") + 1]
    assert [(t.char, t.meant) for t in dest.typos] == [("\u201c", '"'), ("\u201d", '"')]


def test_seed003_udr_firewall():
    s, lines = seed("seed003-udr-firewall.sh")
    assert not s.problems
    names = [" ".join(str(x) for x in argv(c)[:4]) for c in az_commands(s)]
    assert names[:3] == ["az network vnet create", "az network vnet subnet", "az network vnet subnet"]
    fw_ip = [i for i in s.items if isinstance(i, Assignment) and i.name == "FW_IP"][0]
    inner = fw_ip.value.parts[0].body.items[0]
    assert argv(inner) == ["az", "network", "firewall", "show", "--name", "myAzureFirewall", "--resource-group",
                           "myResourceGroup", "--query", "ipConfigurations[0].privateIpAddress", "-o", "tsv"]
    assert pos(fw_ip.span)[:2] == (lines.index("FW_IP=$(az network firewall show \\") + 1, 1)
    subnet = [c for c in az_commands(s) if "--address-prefix" in argv(c)][2]
    assert argv(subnet)[-2:] == ["--address-prefix", "10.1.2.0/24"]


def test_every_seed_parses_cleanly():
    for path in sorted(SEEDS.glob("*")):
        if path.suffix in (".sh", ".ps1"):
            text = path.read_text(encoding="utf-8")
            s = shell.parse(text, shell.detect_dialect(text, path.name))
            assert not s.problems, (path.name, s.problems)


# ------------------------------------------------------------------------------ corpus


def corpus_scripts() -> list[Path]:
    return sorted(p for p in shared_path("corpus", "scripts").iterdir() if p.is_file())


def test_corpus_scripts_have_no_egl001():
    for path in corpus_scripts():
        text = path.read_text(encoding="utf-8")
        s = shell.parse(text, shell.detect_dialect(text, path.name))
        assert not [p for p in s.problems if p.code == "EGL001"], (path.name, s.problems)
        assert commands(s) or any(isinstance(i, Assignment) and i.command for i in s.items), path.name


def test_corpus_az_commands_keep_their_lines():
    for path in corpus_scripts():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        s = shell.parse(text, shell.detect_dialect(text, path.name))
        for cmd in az_commands(s):
            if cmd.name == "az":
                line = lines[cmd.span.line - 1]
                assert line[cmd.span.column - 1:].startswith("az "), (path.name, cmd.span)
                for w in cmd.words:
                    if w.span.line == w.span.end_line:
                        assert lines[w.span.line - 1][w.span.column - 1:w.span.end_column - 1] == w.raw


def test_corpus_markdown_shell_blocks_do_not_crash():
    folder = shared_path("corpus", "markdown")
    count = 0
    for path in sorted(folder.glob("*.md")):
        for block in markdown.blocks(path.read_text(encoding="utf-8")):
            if block.lang in markdown.SHELL_LANGS:
                dialect = markdown.SHELL_LANGS[block.lang] or shell.detect_dialect(block.text)
                s = shell.parse(block.text, dialect)  # type: ignore[arg-type]
                assert isinstance(s, Script)
                count += 1
    assert count > 20


# ------------------------------------------------------------------------------ robustness


ALPHABET = st.sampled_from(list(
    "az -–—−\"'“”‘’`$(){}[];&|<>\\\n\r\t#=@!*?,.:0123456789abcXYZ_é€\u00a0\ufeff") + [
    "$(", "${", "$((", "<<EOF\n", "\nEOF\n", "@\"\n", "\n\"@", "<#", "#>", "`\n", "\\\n", "if ", "then ",
    "fi", "do ", "done", "case ", "esac", " in ", ";;", "function ", "foreach ", "else ", "{ ", " }",
    "$env:", "--name ", "az network vnet create "])


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.lists(ALPHABET, max_size=80).map("".join)),
       st.sampled_from(["bash", "powershell"]))
def test_any_text_parses_without_error(text, dialect):
    start = time.perf_counter()
    s = shell.parse(text, dialect)
    assert time.perf_counter() - start < 2.0
    assert isinstance(s, Script)
    for p in s.problems:
        assert p.code in ("EGL001", "EGL004")
        assert "internal error" not in p.message
        assert 0 <= p.span.offset <= len(text)
    _check_spans(s, text)


def _check_spans(script: Script, text: str) -> None:
    for item in script.items:
        assert 1 <= item.span.line <= item.span.end_line
        if isinstance(item, Command):
            for w in item.words:
                assert text[w.span.offset:w.span.end_offset] == w.raw
                assert w.span.offset >= item.span.offset and w.span.end_offset <= item.span.end_offset


def _corpus_texts() -> list[tuple[str, str]]:
    try:
        paths = corpus_scripts()
    except pytest.skip.Exception:
        return []
    return [(p.read_text(encoding="utf-8"), shell.detect_dialect("", p.name)) for p in paths]


_CORPUS = _corpus_texts() if (Path(__file__).resolve().parent.parent.parent / "shared").exists() else []
_SEED_TEXTS = [(p.read_text(encoding="utf-8"), shell.detect_dialect("", p.name))
               for p in sorted(SEEDS.glob("*")) if p.suffix in (".sh", ".ps1")]
_MUTATION_SOURCES = _CORPUS + _SEED_TEXTS
_INSERTS = ['"', "'", "`", "$(", "(", ")", "{", "}", "\n", "\\", "“", "‘", "–", "<<EOF", "@\"", "<#", "if ", "fi",
            "done", ";", "|", "&&", "${", "#"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_real_scripts_parse_without_error(data):
    text, dialect = data.draw(st.sampled_from(_MUTATION_SOURCES))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        kind = data.draw(st.integers(0, 2))
        if kind == 0:
            text = text[:at] + data.draw(st.sampled_from(_INSERTS)) + text[at:]
        elif kind == 1:
            text = text[:at] + text[at + data.draw(st.integers(1, 20)):]
        else:
            j = data.draw(st.integers(0, len(text)))
            text = text[:at] + text[j:j + 40] + text[at:]
    for d in (dialect, "powershell" if dialect == "bash" else "bash"):
        start = time.perf_counter()
        s = shell.parse(text, d)  # type: ignore[arg-type]
        assert time.perf_counter() - start < 2.0
        assert all("internal error" not in p.message for p in s.problems)
        _check_spans(s, text)


@pytest.mark.parametrize("text", [
    "$(" * 300, "(" * 3000, "{ " * 2000, "if x; then " * 500, "`" * 999, "\"$(" * 200, "${" * 500,
    "x=$(" * 100 + ")" * 100, "a | " * 3000 + "b", "az " + "-x " * 20000, "@(" * 300, "$((" * 400,
    "((" * 20000, "( " * 5000 + "a" + " )" * 5000, "“" * 20000, "‘x" * 10000, "a\"" + "\\\"" * 5000,
    "${a:-" * 1000, "if ($a) { }\n" + "# # # # #\n" * 2000, "$" * 30000, "\\" * 30001,
])
def test_pathological_inputs_are_bounded(text):
    for dialect in ("bash", "powershell"):
        start = time.perf_counter()
        s = shell.parse(text, dialect)  # type: ignore[arg-type]
        assert time.perf_counter() - start < 3.0
        assert isinstance(s, Script)


def test_too_deep_nesting_is_skipped_not_lost():
    s = bash("az a\n" + "if a; then " * 400 + "b; " + "fi; " * 400 + "\naz c\n")
    assert [argv(c) for c in s.items] == [["az", "a"], ["az", "c"]]
    assert [(p.code, p.span.line) for p in s.problems] == [("EGL004", 2)]


def _calls(fn, *args) -> int:
    """Python-level calls made by ``fn(*args)``: a measure of work that, unlike a stopwatch,
    does not depend on what else the machine is doing."""
    count = 0

    def profile(_frame, event, _arg):
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(profile)
    try:
        fn(*args)
    finally:
        sys.setprofile(None)
    return count


def test_linear_work():
    """8x the script costs about 8x the work, not 64x (no quadratic rescans)."""
    unit = (SEEDS / "seed003-udr-firewall.sh").read_text(encoding="utf-8")
    shell.parse(unit, "bash")  # parser built and cached outside the measurement
    small, big = _calls(shell.parse, unit * 5, "bash"), _calls(shell.parse, unit * 40, "bash")
    assert big < 10 * small, (small, big)


def test_import_is_cheap():
    code = "import sys, egresslint.frontends.shell as s; print('lark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.strip() == "False"


def test_word_literal_and_quoted_helpers():
    w = only(bash("echo \"x\"y\n")).words[1]
    assert isinstance(w, Word) and w.literal() == "xy" and w.quoted
