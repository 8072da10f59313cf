"""The az command table and argument binder (egresslint.frontends.azcommands).

Expected behaviour comes from shared/domain/az-flags.md ("General parsing rules", tested on
azure-cli 2.91.0) and from argparse, which az uses.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from egresslint.frontends.azcommands import (
    COMMANDS,
    Binding,
    Bound,
    CommandSpec,
    Flag,
    bind,
    find_command,
)

# --------------------------------------------------------------------------------------------
# Helpers


def words_of(line: str) -> list[str | None]:
    """The argv after `az`; words containing `$` stand for non-literal words (None)."""
    words = shlex.split(line)
    assert words[0] == "az"
    return [None if "$" in w else w for w in words[1:]]


def bind_line(line: str) -> Binding[int]:
    """Bind a command line; tokens are the word indexes after the command path."""
    words = words_of(line)
    found = find_command(words)
    assert found is not None, f"not a table command: {line}"
    spec, used = found
    return bind(spec, [(text, i) for i, text in enumerate(words[used:])])


def kinds(binding: Binding[int]) -> list[str]:
    return [e.kind for e in binding.errors]


def spec(path: str) -> CommandSpec:
    return COMMANDS[tuple(path.split())]


def flag_of(path: str, option: str) -> Flag:
    flag = spec(path).flag(option)
    assert flag is not None, (path, option)
    return flag


def got(binding: Binding[int], name: str) -> Bound[int]:
    bound = binding.get(name)
    assert bound is not None, name
    return bound


AKS = "az aks create -g rg -n aks"
ROUTE = "az network route-table route create -g rg --route-table-name rt -n r"
SUBNET = "az network vnet subnet create -g rg --vnet-name v -n s"
NETRULE = "az network firewall network-rule create -g rg -f fw -c coll -n r"


# --------------------------------------------------------------------------------------------
# find_command


def test_find_command_longest_match_and_word_count():
    found = find_command(words_of("az network route-table route create -g rg"))
    assert found is not None
    assert found[0].path == ("network", "route-table", "route", "create")
    assert found[1] == 4
    found = find_command(words_of("az network route-table create -g rg"))
    assert found is not None and found[0].path == ("network", "route-table", "create")


def test_find_command_outside_table_is_none():
    assert find_command(words_of("az aks get-credentials -g rg -n aks")) is None
    assert find_command(words_of("az network lb outbound-rule list -g rg")) is None
    assert find_command([]) is None


def test_find_command_non_literal_words_do_not_match():
    assert find_command([None, "create"]) is None
    assert find_command(["aks", None, "-g", "rg"]) is None


def test_find_command_extension_commands():
    found = find_command(
        words_of(
            "az network firewall policy rule-collection-group collection add-filter-collection -n c"
        )
    )
    assert found is not None
    assert found[1] == 6
    assert found[0].extension == "azure-firewall"


# --------------------------------------------------------------------------------------------
# Prefixes and ambiguity (az-flags.md "General parsing rules" 1)


def test_ambiguous_prefix_outbound_ty():
    b = bind_line(f"{AKS} --outbound-ty userDefinedRouting")
    assert kinds(b) == ["ambiguous-flag"]
    err = b.errors[0]
    assert err.token == 4
    assert "--outbound-type" in err.message and "--outbound-type-sku" in err.message
    assert "az aks create" in err.message
    assert set(err.flags) == {"--outbound-type", "--outbound-type-sku"}
    # The value belongs to the broken option, not a stray positional.
    assert b.positionals == []


def test_ambiguous_prefix_load_balancer_outbound_ip():
    b = bind_line(f"{AKS} --load-balancer-outbound-ip /subscriptions/x/publicIPAddresses/p")
    assert kinds(b) == ["ambiguous-flag"]
    assert "--load-balancer-outbound-ips" in b.errors[0].message
    assert "--load-balancer-outbound-ip-prefixes" in b.errors[0].message


def test_unique_prefixes_are_accepted():
    b = bind_line("az network vnet create -g rg -n v --subnet-prefix 10.0.0.0/24")
    assert b.errors == []
    bound = b.get("--subnet-prefixes")
    assert bound is not None
    assert bound.canonical_values == ["10.0.0.0/24"]
    assert bound.written == "--subnet-prefix"

    b = bind_line(f"{SUBNET} --address-prefix 10.0.1.0/24")
    assert b.errors == []
    assert b.value("--address-prefixes") == "10.0.1.0/24"

    b = bind_line(
        f"{ROUTE} --addr 0.0.0.0/0 --next-hop-type VirtualAppliance --next-hop-ip 10.0.0.4"
    )
    assert b.errors == []
    assert b.value("--address-prefix") == "0.0.0.0/0"
    assert b.value("--next-hop-ip-address") == "10.0.0.4"

    b = bind_line(f"{AKS} --api-server-authorized-ip-range 1.2.3.4/32")
    assert b.errors == []
    assert b.value("--api-server-authorized-ip-ranges") == "1.2.3.4/32"


def test_exact_option_wins_over_prefix_next_hop():
    # `--next-hop` is its own option (an ECMP object), not an abbreviation of
    # --next-hop-type or --next-hop-ip-address.
    b = bind_line(f"{ROUTE} --address-prefix 0.0.0.0/0 --next-hop VirtualAppliance")
    assert b.has("--next-hop")
    assert not b.has("--next-hop-type")
    assert kinds(b) == ["bad-value"]
    err = b.errors[0]
    assert "dict type value expected" in err.message
    assert "--next-hop-type VirtualAppliance" in err.message
    assert err.suggestion == "--next-hop-type"
    # A real ECMP object parses.
    b = bind_line(f"{ROUTE} --next-hop-type VirtualApplianceEcmp --next-hop ip=[1,2]")
    assert b.errors == []


def test_subnet_prefix_is_not_valid_on_subnet_create():
    b = bind_line(f"{SUBNET} --subnet-prefix 10.0.0.0/24")
    assert kinds(b) == ["unknown-flag"]
    err = b.errors[0]
    assert err.message.startswith(
        "unknown flag '--subnet-prefix' for 'az network vnet subnet create'"
    )
    assert err.suggestion == "--address-prefixes"
    assert b.positionals == []  # the value went with the unknown flag


def test_prefix_matching_aliases_of_one_flag_is_still_ambiguous():
    # argparse counts option strings, not flags (tested with azure-cli 2.91.0).
    b = bind_line(
        "az network lb outbound-rule create -g rg --lb-name lb -n r --address-pool p"
        " --protocol Tcp --idle 5"
    )
    assert kinds(b) == ["ambiguous-flag"]
    assert b.errors[0].flags == ("--idle-timeout",)


def test_unknown_flag_did_you_mean():
    b = bind_line(f"{AKS} --outbound-typo userDefinedRouting")
    assert kinds(b) == ["unknown-flag"]
    err = b.errors[0]
    assert err.suggestion == "--outbound-type"
    assert err.message == (
        "unknown flag '--outbound-typo' for 'az aks create'; did you mean '--outbound-type'?"
    )


def test_unknown_flag_without_close_match():
    b = bind_line(f"{AKS} --zzzzzzzzzzzzzzzz 1")
    assert kinds(b) == ["unknown-flag"]
    assert b.errors[0].suggestion is None
    assert "did you mean" not in b.errors[0].message


def test_single_dash_long_option_is_unknown_with_suggestion():
    b = bind_line(f"{AKS} -location eastus")
    assert kinds(b) == ["unknown-flag"]
    assert b.errors[0].suggestion == "--location"


def test_hidden_cmd_option_is_rejected_but_takes_part_in_prefixes():
    b = bind_line("az group create -n rg -l eastus --cmd x")
    assert kinds(b) == ["unknown-flag"]
    # `--c` could be --cmd or --change-reference (tested with azure-cli 2.91.0).
    b = bind_line("az group create -n rg -l eastus --c x")
    assert kinds(b) == ["ambiguous-flag"]


def test_policy_arguments_only_on_write_commands():
    assert bind_line(f"{AKS} --acquire-policy-token --change-reference CR1").errors == []
    b = bind_line("az aks show -g rg -n aks --change-reference CR1")
    assert kinds(b) == ["unknown-flag"]


def test_global_arguments_everywhere():
    for path, command in COMMANDS.items():
        for option in (
            "--debug",
            "--help",
            "-h",
            "--only-show-errors",
            "--output",
            "-o",
            "--query",
            "--subscription",
            "--verbose",
        ):
            assert command.flag(option) is not None, (path, option)


# --------------------------------------------------------------------------------------------
# Enum values (rule 2)


@pytest.mark.parametrize(
    ("line", "flag", "canonical"),
    [
        (f"{AKS} --outbound-type userdefinedrouting", "--outbound-type", "userDefinedRouting"),
        (f"{AKS} --outbound-type USERDEFINEDROUTING", "--outbound-type", "userDefinedRouting"),
        (f"{ROUTE} --next-hop-type virtualappliance", "--next-hop-type", "VirtualAppliance"),
        (
            "az network nsg rule create -g rg --nsg-name n -n r --priority 100 --access deny"
            " --direction outbound --protocol tcp",
            "--direction",
            "Outbound",
        ),
        ("az network public-ip create -g rg -n p --sku standardv2", "--sku", "StandardV2"),
    ],
)
def test_enum_values_are_case_insensitive(line, flag, canonical):
    b = bind_line(line)
    assert b.errors == []
    assert b.value(flag) == canonical


def test_enum_values_in_lists_are_checked_per_element():
    b = bind_line(f"{NETRULE} --protocols udp tcp --destination-ports 1194 9000 --dest-addr '*'")
    assert b.errors == []
    assert got(b, "--protocols").canonical_values == ["UDP", "TCP"]


def test_bad_choice_next_hop_type():
    b = bind_line(f"{ROUTE} --next-hop-type NVA")
    assert kinds(b) == ["bad-choice"]
    err = b.errors[0]
    assert err.token == 7
    assert err.message.startswith(
        "'NVA' is not a valid value for '--next-hop-type' of "
        "'az network route-table route create'. Allowed values: Internet, None, "
        "VirtualAppliance, VirtualApplianceEcmp, VirtualNetworkGateway, VnetLocal."
    )
    # The bad value is not passed on as if it were meaningful.
    assert b.value("--next-hop-type") is None


def test_bad_choice_public_ip_sku_did_you_mean():
    b = bind_line("az network public-ip create -g rg -n p --sku standard-v2")
    assert kinds(b) == ["bad-choice"]
    err = b.errors[0]
    assert err.suggestion == "StandardV2"
    assert "Allowed values: Basic, Standard, StandardV2." in err.message
    assert err.message.endswith("Did you mean 'StandardV2'?")


def test_bad_choice_outbound_type_udr():
    b = bind_line(f"{AKS} --outbound-type udr")
    assert kinds(b) == ["bad-choice"]
    assert "'udr' is not a valid value for '--outbound-type'" in b.errors[0].message


def test_aks_preview_outbound_types_are_accepted():
    assert bind_line(f"{AKS} --outbound-type block").value("--outbound-type") == "block"
    b = bind_line("az aks update -g rg -n aks --outbound-type managednatgatewayv2")
    assert b.errors == []
    assert b.value("--outbound-type") == "managedNATGatewayV2"
    assert "block" not in flag_of("aks create", "--outbound-type").choices


def test_network_policy_must_be_lowercase_on_create():
    b = bind_line(f"{AKS} --network-policy Azure")
    assert kinds(b) == ["bad-choice"]
    assert b.errors[0].suggestion == "azure"
    assert "lowercase" in b.errors[0].message
    assert bind_line(f"{AKS} --network-policy cilium").errors == []
    # aks update uses an ordinary (case-insensitive) enum.
    assert bind_line("az aks update -g rg -n aks --network-policy Cilium").errors == []


def test_bool_flags_take_an_optional_value():
    fw = "az network firewall create -g rg -n fw"
    b = bind_line(f"{fw} --enable-dns-proxy true -l eastus")
    assert b.errors == []
    assert b.value("--enable-dns-proxy") == "true"
    b = bind_line(f"{fw} --enable-dns-proxy -l eastus")
    assert b.errors == []
    assert b.has("--enable-dns-proxy")
    assert got(b, "--enable-dns-proxy").values == []
    b = bind_line(f"{fw} --enable-dns-proxy YES")
    assert b.value("--enable-dns-proxy") == "yes"
    b = bind_line(f"{fw} --enable-dns-proxy maybe")
    assert kinds(b) == ["bad-choice"]


def test_as_bool():
    fw = "az network firewall create -g rg -n fw"
    assert got(bind_line(f"{fw} --enable-dns-proxy"), "--enable-dns-proxy").as_bool() is True
    assert got(bind_line(f"{fw} --enable-dns-proxy Y"), "--enable-dns-proxy").as_bool() is True
    assert got(bind_line(f"{fw} --enable-dns-proxy 0"), "--enable-dns-proxy").as_bool() is False
    assert got(bind_line(f"{fw} --enable-dns-proxy $P"), "--enable-dns-proxy").as_bool() is None
    assert got(bind_line(f"{AKS} --enable-private-cluster"), "--enable-private-cluster").as_bool()


def test_aks_preview_workload_runtime_is_accepted():
    b = bind_line(f"{AKS} --workload-runtime kataccisolation")
    assert b.errors == []
    assert b.value("--workload-runtime") == "KataCcIsolation"
    assert kinds(bind_line(f"{AKS} --workload-runtime Kata")) == ["bad-choice"]


# --------------------------------------------------------------------------------------------
# Values, lists, switches


def test_flag_equals_value_form():
    b = bind_line("az aks create --resource-group=rg --name=aks --outbound-type=userDefinedRouting")
    assert b.errors == []
    bound = b.get("--outbound-type")
    assert bound is not None
    assert bound.inline
    assert bound.values == [bound.flag_token] == [2]
    assert bound.canonical_values == ["userDefinedRouting"]


def test_prefix_with_equals_value():
    b = bind_line("az network vnet create -g rg -n v --subnet-prefix=10.0.0.0/24")
    assert b.errors == []
    assert b.value("--subnet-prefixes") == "10.0.0.0/24"


def test_list_equals_takes_a_single_value():
    # argparse: `--address-prefixes=a b` gives one value; `b` is unrecognized.
    b = bind_line("az network vnet create -g rg -n v --address-prefixes=10.0.0.0/16 10.1.0.0/16")
    assert got(b, "--address-prefixes").canonical_values == ["10.0.0.0/16"]
    assert kinds(b) == ["positional"]


def test_short_options():
    b = bind_line("az network nsg rule create -g rg --nsg-name n -n r --priority 100")
    assert b.errors == []
    assert b.value("--resource-group") == "rg"
    assert b.get("-n") is b.get("--name")


def test_short_option_with_attached_value():
    b = bind_line("az aks create -grg -n aks")
    assert b.errors == []
    bound = b.get("--resource-group")
    assert bound is not None
    assert bound.canonical_values == ["rg"]
    assert bound.written == "-g"
    assert bound.inline


def test_list_consumes_until_next_option():
    b = bind_line(
        "az network vnet create -g rg -n v --address-prefixes 10.0.0.0/16 10.1.0.0/16 -l x"
    )
    assert b.errors == []
    assert got(b, "--address-prefixes").canonical_values == [
        "10.0.0.0/16",
        "10.1.0.0/16",
    ]
    assert b.value("--location") == "x"


def test_zones_list_on_aks_create():
    b = bind_line(f"{AKS} --zones 1 2 3 --enable-private-cluster")
    assert b.errors == []
    assert got(b, "-z").canonical_values == ["1", "2", "3"]
    assert b.has("--enable-private-cluster")


def test_negative_numbers_and_lone_dash_are_values():
    b = bind_line(f"{NETRULE} --protocols Any --destination-ports -1 - --destination-addresses '*'")
    assert b.errors == []
    assert got(b, "--destination-ports").canonical_values == ["-1", "-"]


def test_words_with_spaces_are_values():
    b = bind_line(
        f"{NETRULE} --protocols Any --destination-ports 53 --dest-addr '*' "
        "--description '-- allow dns'"
    )
    assert b.errors == []
    assert b.value("--description") == "-- allow dns"


def test_empty_string_is_a_value():
    b = bind_line(f"{AKS} --api-server-authorized-ip-ranges ''")
    assert b.errors == []
    assert b.value("--api-server-authorized-ip-ranges") == ""


def test_switches_consume_nothing():
    b = bind_line(f"{AKS} --enable-private-cluster --generate-ssh-keys --node-count 3")
    assert b.errors == []
    assert got(b, "--enable-private-cluster").values == []
    assert b.value("--node-count") == "3"
    b = bind_line(f"{AKS} --generate-ssh-keys stray")
    assert kinds(b) == ["positional"]
    assert b.positionals == [5]


def test_switch_with_equals_value():
    b = bind_line(f"{AKS} --enable-private-cluster=true")
    assert kinds(b) == ["unexpected-value"]


def test_missing_value():
    b = bind_line(f"{AKS} --outbound-type")
    assert kinds(b) == ["missing-value"]
    assert "expected one argument" in b.errors[0].message
    b = bind_line(f"{AKS} --vnet-subnet-id --enable-private-cluster")
    assert kinds(b) == ["missing-value"]
    assert b.has("--enable-private-cluster")
    b = bind_line("az network vnet create -g rg -n v --address-prefixes -l x")
    assert kinds(b) == ["missing-value"]
    assert "at least one" in b.errors[0].message


def test_list_that_may_be_empty():
    # core `--tags` is nargs='*'; aaz `--tags` needs at least one value.
    assert bind_line(f"{AKS} --tags").errors == []
    assert kinds(bind_line("az network vnet create -g rg -n v --tags")) == ["missing-value"]


def test_positional_after_single_value_flag_has_a_hint():
    b = bind_line("az aks create -g rg -n my cluster")
    assert kinds(b) == ["positional"]
    assert b.positionals == [4]
    assert "follows '-n', which takes a single value" in b.errors[0].message


def test_end_of_options_marker():
    b = bind_line(f"{AKS} -- --outbound-type")
    assert kinds(b) == ["positional"]
    assert not b.has("--outbound-type")


def test_repeated_flags_last_wins_and_all_are_kept():
    b = bind_line("az deployment group create -g rg -f main.json -p a=1 b=2 -p @p.json")
    assert b.errors == []
    assert got(b, "--parameters").canonical_values == ["@p.json"]
    assert [o.canonical_values for o in b.get_all("-p")] == [["a=1", "b=2"], ["@p.json"]]


def test_get_by_alias_and_unknown_name():
    b = bind_line(
        "az network firewall network-rule create -g rg -f fw -c c -n r --protocols Any "
        "--destination-ports '*' --dest-addr AzureCloud.eastus"
    )
    assert b.errors == []
    assert b.get("--dest-addr") is b.get("--destination-addresses")
    assert b.value("--destination-addresses") == "AzureCloud.eastus"
    assert b.get("--no-such-flag") is None
    assert not b.has("--vnet-subnet-id")


# --------------------------------------------------------------------------------------------
# Non-literal words


def test_non_literal_values():
    b = bind_line(f"{AKS} --outbound-type $TYPE --vnet-subnet-id $SUBNET_ID")
    assert b.errors == []
    bound = b.get("--outbound-type")
    assert bound is not None
    assert bound.values == [5]
    assert bound.canonical_values == [None]
    assert not bound.is_literal


def test_non_literal_words_in_lists():
    b = bind_line("az network vnet create -g rg -n v --address-prefixes $A 10.1.0.0/16 $B -l x")
    assert b.errors == []
    assert got(b, "--address-prefixes").canonical_values == [None, "10.1.0.0/16", None]


def test_non_literal_word_where_a_flag_is_expected():
    b = bind_line("az aks create $EXTRA_ARGS -n aks --generate-ssh-keys $MORE")
    assert b.errors == []  # not an error, and -g may hide in $EXTRA_ARGS
    assert b.opaque == [0, 4]
    assert b.positionals == []
    # Without it, the missing -g is reported.
    assert kinds(bind_line("az aks create -n aks")) == ["missing-required"]


def test_non_literal_word_does_not_hide_conflicts():
    b = bind_line(
        f"{NETRULE} $X --protocols Any --destination-ports 1 --dest-addr a --destination-fqdns b"
    )
    assert kinds(b) == ["one-of"]


# --------------------------------------------------------------------------------------------
# Required arguments, --ids, one-of


def test_missing_required_arguments():
    b = bind_line("az network nsg rule create -g rg -n r --access Deny")
    assert kinds(b) == ["missing-required"]
    err = b.errors[0]
    assert err.token is None
    assert err.flags == ("--nsg-name", "--priority")
    assert err.message == (
        "'az network nsg rule create' is missing required arguments: --nsg-name, --priority"
    )


def test_missing_required_single():
    b = bind_line("az aks create --resource-group rg --load-balancer-outbound-ip-prefixes p")
    assert kinds(b) == ["missing-required"]
    assert b.errors[0].message == "'az aks create' is missing required argument: --name/-n"


def test_ids_waives_name_and_resource_group():
    assert bind_line("az network vnet subnet show --ids /subscriptions/s/x").errors == []
    assert bind_line("az network firewall show --ids $FW_ID").errors == []
    b = bind_line("az network vnet subnet show -n s")
    assert kinds(b) == ["missing-required"]
    assert set(b.errors[0].flags) == {"--resource-group", "--vnet-name"}


def test_ids_waives_only_resource_id_parts():
    b = bind_line("az network vnet subnet update --ids /x --route-table rt")
    assert b.errors == []


def test_help_suppresses_required_checks():
    assert bind_line("az aks create --help").errors == []


def test_one_of_firewall_network_rule_destinations():
    base = f"{NETRULE} --protocols UDP --destination-ports 1194"
    assert bind_line(f"{base} --destination-addresses AzureCloud.eastus").errors == []
    assert bind_line(f"{base} --destination-fqdns ntp.ubuntu.com").errors == []
    assert bind_line(f"{base} --destination-ip-groups ipg").errors == []

    b = bind_line(base)
    assert kinds(b) == ["one-of"]
    assert b.errors[0].token is None
    assert (
        "exactly one of --destination-addresses | --destination-fqdns | "
        "--destination-ip-groups" in b.errors[0].message
    )

    b = bind_line(f"{base} --destination-fqdns a.b --dest-addr 1.2.3.4")
    assert kinds(b) == ["one-of"]
    err = b.errors[0]
    assert err.token == 14  # the later of the two (--dest-addr)
    assert set(err.flags) == {"--destination-addresses", "--destination-fqdns"}


def test_one_of_nat_rule_translated_target():
    base = (
        "az network firewall nat-rule create -g rg -f fw -c c -n r --protocols TCP "
        "--destination-addresses 20.1.2.3 --destination-ports 80 --translated-port 80"
    )
    assert bind_line(f"{base} --translated-address 10.0.0.5").errors == []
    assert kinds(bind_line(base)) == ["one-of"]
    assert kinds(
        bind_line(f"{base} --translated-address 10.0.0.5 --translated-fqdn x.example")
    ) == ["one-of"]


def test_exclusive_groups():
    assert bind_line(f"{AKS} --dns-name-prefix a").errors == []
    assert kinds(bind_line(f"{AKS} --dns-name-prefix a --fqdn-subdomain b")) == ["one-of"]
    assert bind_line("az deployment group create -g rg -p main.bicepparam").errors == []
    assert kinds(
        bind_line("az deployment group create -g rg -f a.json --template-uri https://x")
    ) == ["one-of"]


# --------------------------------------------------------------------------------------------
# Walkthrough command lines (MicrosoftDocs limit-egress-traffic / nat-gateway)


@pytest.mark.parametrize(
    "line",
    [
        "az network vnet create --resource-group $RG --name $VNET_NAME --location $LOC "
        "--address-prefixes 10.42.0.0/16 --subnet-name $AKSSUBNET_NAME "
        "--subnet-prefix 10.42.1.0/24",
        "az network vnet subnet create --resource-group $RG --vnet-name $VNET_NAME "
        "--name $FWSUBNET_NAME --address-prefix 10.42.2.0/24",
        "az network public-ip create --resource-group $RG -n $FWPUBLICIP_NAME --location $LOC "
        "--sku Standard",
        "az network firewall create --resource-group $RG --name $FWNAME --location $LOC "
        "--enable-dns-proxy true",
        "az network firewall ip-config create --resource-group $RG --firewall-name $FWNAME "
        "--name $FWIPCONFIG_NAME --public-ip-address $FWPUBLICIP_NAME --vnet-name $VNET_NAME",
        "az network firewall show --resource-group $RG --name $FWNAME "
        "--query 'ipConfigurations[0].privateIPAddress' -o tsv",
        "az network route-table create --resource-group $RG --location $LOC "
        "--name $FWROUTE_TABLE_NAME",
        "az network route-table route create --resource-group $RG --name $FWROUTE_NAME "
        "--route-table-name $FWROUTE_TABLE_NAME --address-prefix 0.0.0.0/0 "
        "--next-hop-type VirtualAppliance --next-hop-ip-address $FWPRIVATE_IP",
        "az network firewall network-rule create --resource-group $RG --firewall-name $FWNAME "
        "--collection-name 'aksfwnr' --name 'apiudp' --protocols 'UDP' --source-addresses '*' "
        '--destination-addresses "AzureCloud.$LOC" --destination-ports 1194 '
        "--action allow --priority 100",
        "az network firewall application-rule create --resource-group $RG --firewall-name $FWNAME "
        "--collection-name 'aksfwar' --name 'fqdn' --source-addresses '*' "
        "--protocols 'http=80' 'https=443' --fqdn-tags \"AzureKubernetesService\" "
        "--action allow --priority 100",
        "az network vnet subnet update --resource-group $RG --vnet-name $VNET_NAME "
        "--name $AKSSUBNET_NAME --route-table $FWROUTE_TABLE_NAME",
        "az aks create --resource-group $RG --name $AKSNAME --location $LOC --node-count 3 "
        "--network-plugin azure --outbound-type userDefinedRouting --vnet-subnet-id $SUBNETID "
        "--api-server-authorized-ip-ranges $FWPUBLIC_IP --generate-ssh-keys",
        "az aks update --resource-group $RG --name $AKSNAME "
        "--api-server-authorized-ip-ranges $CURRENT_IP/32",
        "az network nat gateway create --resource-group $RG --name $NAT --location $LOC "
        "--public-ip-addresses $PIP --sku StandardV2 --idle-timeout 4",
        "az aks create --resource-group $RG --name $AKS --node-count 3 "
        "--outbound-type managedNATGateway --outbound-type-sku StandardV2 "
        "--nat-gateway-managed-outbound-ip-count 2 --nat-gateway-idle-timeout 4 "
        "--generate-ssh-keys",
        "az network firewall policy rule-collection-group collection add-filter-collection "
        "-g $RG --policy-name $POL --rcg-name DefaultNetworkRuleCollectionGroup -n aks "
        "--collection-priority 100 --action Allow --rule-name ntp --rule-type NetworkRule "
        "--source-addresses '*' --destination-fqdns ntp.ubuntu.com --destination-ports 123 "
        "--ip-protocols UDP",
        "az aks nodepool add -g $RG --cluster-name $AKS -n user1 --node-count 3 "
        "--enable-cluster-autoscaler --min-count 1 --max-count 5 --vnet-subnet-id $SUBNET "
        "--mode User --os-type Linux --max-surge 33% --zones 1 2 3",
        "az deployment group create -g $RG --template-file main.json --parameters @p.json "
        "--name deploy1",
    ],
)
def test_documented_command_lines_bind_cleanly(line):
    b = bind_line(line)
    assert b.errors == [], [e.message for e in b.errors]


# --------------------------------------------------------------------------------------------
# Table invariants


def test_no_duplicate_options_within_a_command():
    for path, command in COMMANDS.items():
        seen: dict[str, Flag] = {}
        names = set()
        for flag in command.flags:
            assert flag.name not in names, (path, flag.name)
            names.add(flag.name)
            assert flag.name.startswith("--"), (path, flag.name)
            assert len(set(flag.options)) == len(flag.options), (path, flag.name)
            for option in flag.options:
                assert option not in seen, (path, option, flag.name, seen.get(option))
                seen[option] = flag
                assert re.fullmatch(r"--?[a-z0-9][a-z0-9-]*", option), (path, option)
                assert command.flag(option) is flag


def test_duplicate_options_are_refused():
    with pytest.raises(ValueError, match="defined twice"):
        CommandSpec(("x",), (Flag("--name", ("-n",)), Flag("--nat", ("-n",))))


def test_flag_kinds_and_choices_are_consistent():
    for path, command in COMMANDS.items():
        assert command.path == path
        for flag in command.flags:
            assert flag.kind in ("value", "list", "switch", "bool"), (path, flag.name)
            if flag.kind == "switch":
                assert not flag.choices, (path, flag.name)
            if flag.allow_empty:
                assert flag.kind == "list", (path, flag.name)
            assert len({c.lower() for c in flag.choices}) == len(flag.choices), (path, flag.name)
        for group in (*command.one_of, *command.exclusive):
            for name in group:
                assert command.flag(name) is not None and command.flag(name).name == name


def test_firewall_commands_name_their_extension():
    for path, command in COMMANDS.items():
        expected = "azure-firewall" if path[:2] == ("network", "firewall") else None
        assert command.extension == expected, path


def test_requested_read_commands_are_present():
    for path in (
        "network firewall show",
        "network public-ip show",
        "network vnet subnet show",
        "network vnet show",
        "network route-table show",
        "network nat gateway show",
        "network public-ip prefix show",
        "aks show",
        "identity create",
        "identity show",
        "group create",
        "deployment group create",
        "aks nodepool add",
        "aks nodepool update",
    ):
        assert tuple(path.split()) in COMMANDS, path
    deploy = spec("deployment group create")
    for option in (
        "--template-file",
        "-f",
        "--parameters",
        "-p",
        "--resource-group",
        "-g",
        "--name",
        "-n",
        "--template-uri",
        "-u",
    ):
        assert deploy.flag(option) is not None, option
    assert flag_of("deployment group create", "-p").kind == "list"


@pytest.mark.parametrize(
    ("path", "options"),
    [
        (
            "aks create",
            "--node-count -c --min-count --max-count --enable-cluster-autoscaler --node-vm-size -s "
            "--kubernetes-version -k --generate-ssh-keys --ssh-key-value --enable-managed-identity "
            "--assign-identity --assign-kubelet-identity --enable-addons -a "
            "--workspace-resource-id --attach-acr --admin-username -u --windows-admin-username "
            "--windows-admin-password --service-principal --client-secret --zones -z "
            "--node-osdisk-size --node-osdisk-type --max-pods -m --os-sku --tier --sku --yes -y "
            "--location -l --tags --nodepool-name --nodepool-labels --nodepool-taints --enable-aad "
            "--enable-azure-rbac --aad-admin-group-object-ids --aad-tenant-id "
            "--enable-workload-identity --enable-oidc-issuer --network-policy "
            "--node-subnet-id --system-node-subnet-id --skip-subnet-role-assignment "
            "--http-proxy-config --enable-static-egress-gateway --bootstrap-artifact-source "
            "--bootstrap-container-registry-resource-id --node-public-ip-tags",
        ),
        (
            "aks update",
            "--enable-cluster-autoscaler --disable-cluster-autoscaler --update-cluster-autoscaler "
            "--min-count --max-count --attach-acr --detach-acr --disable-private-cluster "
            "--enable-public-fqdn --disable-public-fqdn --enable-http-proxy --disable-http-proxy "
            "--disable-static-egress-gateway --nat-gw-ipv6-count --nat-gw-ips --nat-gw-prefixes",
        ),
        (
            "aks nodepool add",
            "--name --cluster-name --resource-group --node-count --min-count --max-count "
            "--enable-cluster-autoscaler --vnet-subnet-id --pod-subnet-id --mode --os-type "
            "--node-vm-size --max-surge --zones --labels --node-taints --max-pods --os-sku "
            "--enable-node-public-ip",
        ),
        (
            "aks nodepool update",
            "--name --cluster-name --resource-group --min-count --max-count "
            "--enable-cluster-autoscaler --disable-cluster-autoscaler --update-cluster-autoscaler "
            "--max-surge --labels --node-taints --mode",
        ),
    ],
)
def test_common_real_flags_are_known(path, options):
    command = spec(path)
    missing = [o for o in options.split() if command.flag(o) is None]
    assert missing == []


def test_update_lacks_create_only_network_flags():
    # az-flags.md: no --vnet-subnet-id, --service-cidr, --dns-service-ip,
    # --docker-bridge-address on update; --load-balancer-sku accepts only standard.
    update = spec("aks update")
    for option in (
        "--vnet-subnet-id",
        "--service-cidr",
        "--dns-service-ip",
        "--docker-bridge-address",
    ):
        assert update.flag(option) is None, option
    assert flag_of("aks update", "--load-balancer-sku").choices == ("standard",)


# Quick-reference enumerations of az-flags.md.
ENUMS = [
    (
        "aks create",
        "--outbound-type",
        "loadBalancer managedNATGateway userAssignedNATGateway userDefinedRouting none",
    ),
    (
        "aks update",
        "--outbound-type",
        "loadBalancer managedNATGateway userAssignedNATGateway userDefinedRouting none",
    ),
    ("aks create", "--outbound-type-sku", "Standard StandardV2"),
    ("aks create", "--load-balancer-sku", "basic standard"),
    ("aks create", "--load-balancer-backend-pool-type", "nodeIP nodeIPConfiguration"),
    ("aks create", "--network-plugin", "azure kubenet none"),
    ("aks create", "--network-plugin-mode", "overlay"),
    ("aks create", "--network-dataplane", "azure cilium"),
    ("aks create", "--network-policy", "azure calico cilium none"),
    ("aks update", "--network-policy", "azure calico cilium none"),
    ("aks create", "--vm-set-type", "VirtualMachineScaleSets AvailabilitySet VirtualMachines"),
    ("aks create", "--bootstrap-artifact-source", "Cache Direct"),
    ("aks create", "--pod-ip-allocation-mode", "DynamicIndividual StaticBlock"),
    (
        "network route-table route create",
        "--next-hop-type",
        "Internet None VirtualAppliance VirtualApplianceEcmp VirtualNetworkGateway VnetLocal",
    ),
    ("network route-table create", "--disable-peering-route", "All None"),
    ("network nsg rule create", "--access", "Allow Deny"),
    ("network nsg rule create", "--direction", "Inbound Outbound"),
    ("network nsg rule create", "--protocol", "* Ah Esp Icmp Tcp Udp"),
    ("network nat gateway create", "--sku", "Standard StandardV2"),
    ("network nat gateway create", "--nat64", "Disabled Enabled None"),
    ("network public-ip create", "--sku", "Basic Standard StandardV2"),
    ("network public-ip create", "--tier", "Global Regional"),
    ("network public-ip create", "--version", "IPv4 IPv6"),
    ("network public-ip create", "--allocation-method", "Dynamic Static"),
    ("network public-ip prefix create", "--sku", "Standard StandardV2"),
    ("network lb outbound-rule create", "--protocol", "All Tcp Udp"),
    ("network firewall create", "--sku", "AZFW_Hub AZFW_VNet"),
    ("network firewall create", "--tier", "Basic Premium Standard"),
    ("network firewall create", "--threat-intel-mode", "Alert Deny Off"),
    ("network firewall network-rule create", "--protocols", "Any ICMP TCP UDP"),
    ("network firewall nat-rule create", "--protocols", "Any ICMP TCP UDP"),
    ("network firewall network-rule create", "--action", "Allow Deny"),
    ("network firewall application-rule create", "--action", "Allow Deny"),
    ("network firewall nat-rule create", "--action", "Dnat Snat"),
    ("network firewall policy create", "--sku", "Basic Premium Standard"),
    ("network firewall policy create", "--auto-learn-private-ranges", "Disabled Enabled"),
    ("network firewall policy create", "--idps-mode", "Alert Deny Off"),
    (
        "network firewall policy rule-collection-group collection add-filter-collection",
        "--action",
        "Allow Deny",
    ),
    (
        "network firewall policy rule-collection-group collection add-nat-collection",
        "--action",
        "DNAT SNAT",
    ),
    (
        "network firewall policy rule-collection-group collection add-filter-collection",
        "--rule-type",
        "ApplicationRule NatRule NetworkRule",
    ),
]


@pytest.mark.parametrize(("path", "option", "values"), ENUMS)
def test_enumerations_match_az_flags_quick_reference(path, option, values):
    flag = spec(path).flag(option)
    assert flag is not None
    assert {c.lower() for c in flag.choices} == {v.lower() for v in values.split()}


def test_aliases_documented_in_az_flags():
    pairs = [
        ("aks create", "--nat-gateway-managed-outbound-ipv6-count", "--nat-gw-ipv6-count"),
        ("aks create", "--nat-gateway-outbound-ips", "--nat-gw-ips"),
        ("aks create", "--nat-gateway-outbound-ip-prefixes", "--nat-gw-prefixes"),
        ("network vnet create", "--network-security-group", "--nsg"),
        ("network vnet create", "--ipam-allocations", "--ipam-pool-prefix-allocations"),
        ("network vnet subnet create", "--default-outbound", "--default-outbound-access"),
        (
            "network vnet subnet create",
            "--private-endpoint-network-policies",
            "--ple-network-policies",
        ),
        (
            "network vnet subnet create",
            "--private-link-service-network-policies",
            "--pls-network-policies",
        ),
        ("network public-ip create", "--ddos-protection-mode", "--protection-mode"),
        ("network public-ip create", "--first-party-service-tag-id", "--fpst-id"),
        ("network lb outbound-rule create", "--backend-address-pool", "--address-pool"),
        ("network lb outbound-rule create", "--allocated-outbound-ports", "--outbound-ports"),
        ("network lb outbound-rule update", "--idle-timeout", "--idle-timeout-in-minutes"),
        ("network firewall create", "--firewall-policy", "--policy"),
        ("network firewall create", "--enable-fat-flow-logging", "--fat-flow-logging"),
        ("network firewall create", "--vhub", "--virtual-hub"),
        ("network firewall create", "--count", "--public-ip-count"),
        ("network firewall network-rule create", "--destination-addresses", "--dest-addr"),
        ("network firewall nat-rule create", "--destination-addresses", "--dest-addr"),
        ("network firewall policy create", "--auto-learn-private-ranges", "--learn-ranges"),
        (
            "network firewall policy rule-collection-group collection add-filter-collection",
            "--rule-collection-group-name",
            "--rcg-name",
        ),
        (
            "network firewall policy rule-collection-group collection add-filter-collection",
            "--destination-ip-groups",
            "--dest-ipg",
        ),
        (
            "network firewall policy rule-collection-group collection add-filter-collection",
            "--enable-tls-inspection",
            "--enable-tls-insp",
        ),
    ]
    for path, name, alias in pairs:
        flag = spec(path).flag(name)
        assert flag is not None and flag.name == name, (path, name)
        assert alias in flag.aliases, (path, name, alias)


# --------------------------------------------------------------------------------------------
# Meta-tests against shared/domain/az-flags.md


def _az_flags_md() -> str:
    here = Path(__file__).resolve()
    for candidate in (
        here.parents[1].parent / "shared" / "domain" / "az-flags.md",
        Path("/work/shared/domain/az-flags.md"),
    ):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    pytest.skip("shared/domain/az-flags.md not available")


def _heading_commands(text: str) -> set[tuple[str, ...]]:
    paths: set[tuple[str, ...]] = set()
    for match in re.finditer(r"^## `az ([^`]+)`(.*)$", text, re.MULTILINE):
        words = tuple(match.group(1).split())
        paths.add(words)
        # "## `az network lb outbound-rule create` / `update`"
        for sibling in re.findall(r"/ `([a-z-]+)`", match.group(2)):
            paths.add((*words[:-1], sibling))
    return paths


def _sibling_commands(text: str) -> set[tuple[str, ...]]:
    """`… collection add-nat-collection`, `… collection rule add` (firewall policy section)."""
    prefix = ("network", "firewall", "policy", "rule-collection-group")
    return {(*prefix, *m.split()) for m in re.findall(r"`… (collection [a-z -]+?)`", text)}


def test_every_az_flags_heading_command_is_in_the_table():
    text = _az_flags_md()
    paths = _heading_commands(text) | _sibling_commands(text)
    assert len(paths) >= 20
    missing = sorted(" ".join(p) for p in paths if p not in COMMANDS)
    assert missing == []


def test_extension_column_of_az_flags_matches():
    text = _az_flags_md()
    rows = re.findall(r"^\| (`az [^|]+) \| ([^|]+) \|$", text, re.MULTILINE)
    assert rows
    for commands, needs in rows:
        for command in re.findall(r"`az ([^`]+)`", commands):
            path = tuple(command.split())
            assert path in COMMANDS, command
            expected = "azure-firewall" if needs.strip().startswith("**Yes") else None
            assert COMMANDS[path].extension == expected, command


def test_flags_named_in_aks_update_prose_are_known():
    text = _az_flags_md()
    section = text.split("## `az aks update`", 1)[1].split("\n---", 1)[0]
    # "there is **no** `--vnet-subnet-id`, `--service-cidr`, `--dns-service-ip`,
    # `--docker-bridge-address` on update"
    absent = {"--vnet-subnet-id", "--service-cidr", "--dns-service-ip", "--docker-bridge-address"}
    options = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", section))
    assert len(options) > 30
    update = spec("aks update")
    assert sorted(o for o in options - absent if update.flag(o) is None) == []
    assert all(update.flag(o) is None for o in absent)


def test_flags_named_in_az_flags_tables_are_known():
    """Every `--flag` in the first column of a command's table is an option of it."""
    text = _az_flags_md()
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    checked = 0
    for section in sections:
        head = re.match(r"`az ([^`]+)`", section)
        if not head:
            continue
        path = tuple(head.group(1).split())
        command = COMMANDS[path]
        for row in re.findall(r"^\| ([^|]*--[^|]*) \|", section, re.MULTILINE):
            if row.startswith(("update only", "Flag")):
                continue
            for option in re.findall(r"(?<![\w-])(--?[a-z][a-z0-9-]*)", row):
                assert command.flag(option) is not None, (" ".join(path), option)
                checked += 1
    assert checked > 150
