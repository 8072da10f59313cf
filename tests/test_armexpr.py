"""ARM template expressions: grammar, printer, three-valued evaluation."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egresslint.frontends import armexpr as ax
from egresslint.frontends.arm import ref_from_value
from egresslint.model import Ref

# --------------------------------------------------------------------------- parsing


def test_parse_calls_literals_and_accessors() -> None:
    node = ax.parse(
        "reference(resourceId('Microsoft.Network/azureFirewalls', 'fw'), '2023-09-01')"
        ".ipConfigurations[0].properties.privateIPAddress"
    )
    assert isinstance(node, ax.Member) and node.name == "privateIPAddress"
    idx = node.target.target
    assert isinstance(idx, ax.Index) and idx.index == ax.Num(0)
    call = idx.target.target
    assert call == ax.Call(
        "reference",
        (ax.Call("resourceId", (ax.Str("Microsoft.Network/azureFirewalls"), ax.Str("fw"))), ax.Str("2023-09-01")),
    )


def test_parse_escapes_numbers_and_keywords() -> None:
    assert ax.parse("'it''s'") == ax.Str("it's")
    assert ax.parse("  -12 ") == ax.Num(-12)
    assert ax.parse("true") == ax.Lit(True)
    assert ax.parse("NULL") == ax.Lit(None)
    assert ax.parse("true()") == ax.Call("true", ())
    assert ax.parse("ns.fn( 1 ,'a' )") == ax.Call("ns.fn", (ax.Num(1), ax.Str("a")))
    assert ax.parse("x()['key'].true") == ax.Member(ax.Index(ax.Call("x"), ax.Str("key")), "true")


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("concat('a', 'b'", 16),
        ("concat('a' 'b')", 12),
        ("foo", 1),
        ("concat('a',)", 12),
        ("", 1),
        ("'unterminated", 1),
    ],
)
def test_syntax_errors_have_columns(text: str, column: int) -> None:
    with pytest.raises(ax.ExpressionError) as err:
        ax.parse(text)
    assert err.value.column == column


def test_template_strings() -> None:
    assert ax.is_expression("[concat('a')]")
    assert not ax.is_expression("[[concat('a')]")
    assert not ax.is_expression("plain")
    assert not ax.is_expression("[no closing")
    assert ax.literal_text("[[concat('a')]") == "[concat('a')]"
    assert ax.parse_template_string("plain") is None
    assert isinstance(ax.parse_template_string("[concat(]"), ax.ExpressionError)


# --------------------------------------------------------------------------- evaluation

TEMPLATE: dict[str, Any] = {
    "parameters": {
        "prefix": {"type": "string", "defaultValue": "contoso"},
        "noDefault": {"type": "string"},
        "count": {"type": "int", "defaultValue": 3},
        "loc": {"type": "string", "defaultValue": "[resourceGroup().location]"},
        "obj": {"type": "object", "defaultValue": {"a": {"b": [10, 20]}, "name": "x"}},
        "arr": {"type": "array", "defaultValue": ["x", "y"]},
    },
    "variables": {
        "vnet": "[concat(parameters('prefix'), '-vnet')]",
        "unknownName": "[concat(parameters('noDefault'), '-rt')]",
        "sameUnknown": "[format('{0}-rt', parameters('noDefault'))]",
        "cycleA": "[variables('cycleB')]",
        "cycleB": "[variables('cycleA')]",
        "nested": {"list": ["[variables('vnet')]", 1], "copy": [{"name": "items", "count": 2, "input": "[copyIndex('items')]"}]},
        "copy": [{"name": "prefixes", "count": "[parameters('count')]", "input": "[concat('10.', copyIndex('prefixes'), '.0.0/16')]"}],
    },
    "functions": [
        {
            "namespace": "my",
            "members": {
                "subnetName": {
                    "parameters": [{"name": "n", "type": "int"}],
                    "output": {"type": "string", "value": "[concat('snet-', string(parameters('n')))]"},
                }
            },
        }
    ],
}


@pytest.fixture()
def scope() -> ax.Scope:
    s = ax.Scope.from_template(TEMPLATE, bound={"bound": "given"}, ref_of_id=ref_from_value)
    s.parameters["bound"] = ("bound", {"type": "string"})
    return s


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("[parameters('prefix')]", "contoso"),
        ("[parameters('PREFIX')]", "contoso"),
        ("[parameters('bound')]", "given"),
        ("[variables('vnet')]", "contoso-vnet"),
        ("[variables('prefixes')]", ["10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16"]),
        ("[variables('nested')]", {"list": ["contoso-vnet", 1], "items": [0, 1]}),
        ("[parameters('obj').a.b[1]]", 20),
        ("[parameters('obj')['name']]", "x"),
        ("[concat('a', 'b', 1)]", "ab1"),
        ("[concat(createArray(1), parameters('arr'))]", [1, "x", "y"]),
        ("[format('{0}-{1:D3}-{{x}}', 'a', 7)]", "a-007-{x}"),
        ("[string(12)]", "12"),
        ("[int('42')]", 42),
        ("[bool('True')]", True),
        ("[toLower('AbC')]", "abc"),
        ("[toUpper('AbC')]", "ABC"),
        ("[replace('a-b-c', '-', '.')]", "a.b.c"),
        ("[split('a/b/c', '/')]", ["a", "b", "c"]),
        ("[if(equals(parameters('count'), 3), 'three', 'other')]", "three"),
        ("[if(true, 'y', parameters('noDefault'))]", "y"),
        ("[and(true, not(false))]", True),
        ("[or(false, parameters('noDefault'), true)]", True),
        ("[and(false, parameters('noDefault'))]", False),
        ("[empty('')]", True),
        ("[empty(createArray())]", True),
        ("[length(parameters('arr'))]", 2),
        ("[first(parameters('arr'))]", "x"),
        ("[last('abc')]", "c"),
        ("[contains(parameters('obj'), 'NAME')]", True),
        ("[contains(parameters('arr'), 'z')]", False),
        ("[union(parameters('obj'), createObject('name', 'y'))]", {"a": {"b": [10, 20]}, "name": "y"}),
        ("[union(createArray(1, 2), createArray(2, 3))]", [1, 2, 3]),
        ("[coalesce(null(), null, 'c')]", "c"),
        ("[json('{\"k\": [1]}').k[0]]", 1),
        ("[my.subnetName(4)]", "snet-4"),
        ("[[not an expression]", "[not an expression]"),
        ("plain", "plain"),
        ("[add(1, mul(2, 3))]", 7),
        ("[range(1, 3)]", [1, 2, 3]),
        ("[last(split(resourceId('Microsoft.Network/virtualNetworks/subnets', 'v', 's'), '/'))]", "s"),
    ],
)
def test_known_results(scope: ax.Scope, expr: str, expected: Any) -> None:
    assert scope.evaluate(expr) == expected


def test_unknown_parameter_is_residual_and_tracks_the_parameter(scope: ax.Scope) -> None:
    v = scope.evaluate("[parameters('noDefault')]")
    assert isinstance(v, ax.Unknown)
    assert v.text == "parameters('noDefault')"
    assert v.params == frozenset({"noDefault"})
    assert "no default" in v.reason


def test_same_unknown_written_two_ways_has_one_identity(scope: ax.Scope) -> None:
    a = scope.evaluate("[variables('unknownName')]")
    b = scope.evaluate("[variables('sameUnknown')]")
    c = scope.evaluate("[toLower(concat(parameters('noDefault'), '-RT'))]")
    assert isinstance(a, ax.Partial)
    assert a == b
    assert a.text.lower() == c.text.lower()


def test_variable_cycles_do_not_loop(scope: ax.Scope) -> None:
    v = scope.evaluate("[variables('cycleA')]")
    assert isinstance(v, ax.Unknown) and "refers to itself" in v.reason


def test_resource_group_is_unknown_unless_given(scope: ax.Scope) -> None:
    v = scope.evaluate("[parameters('loc')]")
    assert isinstance(v, ax.Unknown) and v.text == "resourceGroup().location"
    given_scope = ax.Scope.from_template(TEMPLATE, resource_group="rg-x", resource_group_location="westeurope")
    assert given_scope.evaluate("[parameters('loc')]") == "westeurope"
    assert given_scope.evaluate("[resourceGroup().name]") == "rg-x"


def test_resource_id_with_unknown_group_gives_a_ref(scope: ax.Scope) -> None:
    v = scope.evaluate("[resourceId('Microsoft.Network/virtualNetworks/subnets', variables('vnet'), 'nodes')]")
    assert isinstance(v, ax.Partial)
    assert ref_from_value(v) == Ref("subnet", "nodes", None, parent=Ref("vnet", "contoso-vnet"))
    v2 = scope.evaluate("[concat(resourceId('Microsoft.Network/virtualNetworks', 'hub'), '/subnets/AzureFirewallSubnet')]")
    assert ref_from_value(v2) == Ref("subnet", "azurefirewallsubnet", None, parent=Ref("vnet", "hub"))


def test_resource_id_forms() -> None:
    s = ax.Scope(subscription_id="sub1", resource_group="RG1")
    assert s.evaluate("[resourceId('Microsoft.Network/routeTables', 'rt')]") == (
        "/subscriptions/sub1/resourceGroups/RG1/providers/Microsoft.Network/routeTables/rt"
    )
    assert s.evaluate("[resourceId('other', 'Microsoft.Network/routeTables', 'rt')]") == (
        "/subscriptions/sub1/resourceGroups/other/providers/Microsoft.Network/routeTables/rt"
    )
    assert s.evaluate("[resourceId('s2', 'g2', 'Microsoft.Network/routeTables', 'rt')]") == (
        "/subscriptions/s2/resourceGroups/g2/providers/Microsoft.Network/routeTables/rt"
    )
    assert s.evaluate("[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'g')]") == (
        "/subscriptions/sub1/providers/Microsoft.Resources/resourceGroups/g"
    )
    assert s.evaluate("[tenantResourceId('Microsoft.Management/managementGroups', 'mg')]") == (
        "/providers/Microsoft.Management/managementGroups/mg"
    )
    ext = s.evaluate(
        "[extensionResourceId(resourceId('Microsoft.Network/virtualNetworks', 'v'), "
        "'Microsoft.Authorization/roleAssignments', 'ra')]"
    )
    assert ext.endswith("/virtualNetworks/v/providers/Microsoft.Authorization/roleAssignments/ra")
    bad = s.evaluate("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'only-one-name')]")
    assert isinstance(bad, ax.Unknown)


def test_reference_is_symbolic_with_az_shaped_query(scope: ax.Scope) -> None:
    v = scope.evaluate(
        "[reference(resourceId('Microsoft.Network/azureFirewalls', 'fw'), '2023-09-01', 'Full')"
        ".properties.ipConfigurations[0].properties.privateIPAddress]"
    )
    assert isinstance(v, ax.Symbolic)
    assert v.symbol.ref == Ref("firewall", "fw")
    assert v.symbol.query == "ipConfigurations[0].privateIPAddress"
    assert v.symbol.describe() == "the private IP of firewall 'fw'"
    keys = scope.evaluate("[listKeys(resourceId('Microsoft.Network/publicIPAddresses', 'p'), '2020-01-01')]")
    assert isinstance(keys, ax.Symbolic) and keys.symbol.query == "listKeys()"
    nowhere = scope.evaluate("[reference('not-a-resource').x]")
    assert isinstance(nowhere, ax.Unknown)


def test_copy_index_binding(scope: ax.Scope) -> None:
    assert scope.evaluate("[copyIndex()]", (("loop", 2),)) == 2
    assert scope.evaluate("[copyIndex(10)]", (("loop", 2),)) == 12
    assert scope.evaluate("[copyIndex('outer', 1)]", (("outer", 1), ("inner", 5))) == 2
    assert isinstance(scope.evaluate("[copyIndex()]"), ax.Unknown)


def test_if_with_unknown_condition(scope: ax.Scope) -> None:
    v = scope.evaluate("[if(equals(parameters('noDefault'), 'a'), 'x', 'y')]")
    assert isinstance(v, ax.Unknown) and v.params == frozenset({"noDefault"})
    same = scope.evaluate("[if(equals(parameters('noDefault'), 'a'), 'x', 'x')]")
    assert same == "x"


def test_deployment_time_functions_are_unknown(scope: ax.Scope) -> None:
    for expr in ("[guid('a')]", "[uniqueString(resourceGroup().id)]", "[utcNow()]", "[deployment().name]"):
        assert isinstance(scope.evaluate(expr), ax.Unknown), expr


def test_broken_expression_is_unknown_not_an_exception(scope: ax.Scope) -> None:
    v = scope.evaluate("[concat('a', ]")
    assert isinstance(v, ax.Unknown) and "broken expression" in v.reason


def test_limits() -> None:
    s = ax.Scope.from_template(
        {"variables": {f"v{i}": f"[concat(variables('v{i - 1}'), variables('v{i - 1}'))]" for i in range(1, 40)} | {"v0": "ab"}}
    )
    v = s.evaluate("[variables('v39')]")
    assert ax.is_opaque(v) and "too large" in v.reason
    assert len(v.text) < 5000
    assert isinstance(s.evaluate("[range(0, 100000000)]"), ax.Unknown)


# --------------------------------------------------------------------------- properties

_NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}(\.[A-Za-z_][A-Za-z0-9_]{0,8})?", fullmatch=True)
_PROP = st.from_regex(r"[A-Za-z_$][A-Za-z0-9_$-]{0,8}", fullmatch=True)

_leaf = (
    st.builds(ax.Str, st.text(max_size=10))
    | st.builds(ax.Num, st.integers(min_value=-(10**9), max_value=10**9))
    | st.builds(ax.Lit, st.sampled_from([True, False, None]))
)


def _branches(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return (
        st.builds(ax.Call, _NAME, st.lists(children, max_size=4).map(tuple))
        | st.builds(ax.Member, children, _PROP)
        | st.builds(ax.Index, children, children)
    )


_ast = st.recursive(_leaf, _branches, max_leaves=25)


@settings(max_examples=400, deadline=None)
@given(_ast)
def test_print_parse_round_trip(node: Any) -> None:
    assert ax.parse(ax.to_text(node)) == node


_KNOWN_FUNCS = sorted(
    set(ax._FUNCTIONS) | set(ax._LAZY) | {"listKeys", "reference", "nonexistent", "my.subnetName"}
)
_call_ast = st.recursive(
    _leaf | st.builds(ax.Call, st.sampled_from(["parameters", "variables"]), st.tuples(st.builds(ax.Str, st.sampled_from(["prefix", "noDefault", "obj", "arr", "vnet", "cycleA", "nope"])))),
    lambda c: st.builds(ax.Call, st.sampled_from(_KNOWN_FUNCS), st.lists(c, max_size=4).map(tuple))
    | st.builds(ax.Member, c, _PROP)
    | st.builds(ax.Index, c, c),
    max_leaves=20,
)


def _is_result(v: Any, depth: int = 0) -> bool:
    if isinstance(v, (ax.Unknown, ax.Symbolic, ax.Partial, str, int, float, bool)) or v is None:
        return True
    if isinstance(v, list):
        return all(_is_result(x, depth + 1) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _is_result(x, depth + 1) for k, x in v.items())
    return False


@settings(max_examples=500, deadline=None)
@given(_call_ast, st.lists(st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 5)), max_size=2))
def test_evaluator_never_raises(node: Any, copy: list[tuple[str, int]]) -> None:
    s = ax.Scope.from_template(TEMPLATE, ref_of_id=ref_from_value)
    result = s.evaluate(node, tuple(copy))
    assert _is_result(result)
    ax.value_text(result)  # residual text can always be printed


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_template_string_evaluates(text: str) -> None:
    s = ax.Scope.from_template(TEMPLATE)
    assert _is_result(s.evaluate("[" + text + "]"))
    assert _is_result(s.evaluate(text))
