"""Tests for egresslint.net: address math, address sets, ports, protocols, FQDNs, routes, tags."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from egresslint import net
from egresslint.net import (
    SYSTEM_ROUTES,
    AddressSet,
    AppProtocolSet,
    PortSet,
    ProtocolSet,
    SystemRoute,
    closest_fqdn_tag,
    closest_service_tag,
    fqdn_matches,
    fqdn_pattern_covers,
    is_valid_fqdn_pattern,
    known_fqdn_tag,
    known_service_tag,
    select_route,
)
from egresslint.resources import load_yaml

A = AddressSet.parse
N = ipaddress.ip_network


def a(*items: str) -> AddressSet:
    return A(items)


# =========================================================================== parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.1.0.1/24", "10.1.0.0/24"),
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("  192.168.1.7 ", "192.168.1.7/32"),
        ("2001:db8::1", "2001:db8::1/128"),
        ("2001:db8::1/64", "2001:db8::/64"),
        ("0.0.0.0/0", "0.0.0.0/0"),
    ],
)
def test_parse_network_accepts(text: str, expected: str) -> None:
    assert net.parse_network(text) == N(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "*",
        "Any",
        "AzureCloud",
        "Storage.EastUS",
        "$VNET_PREFIX",
        "[parameters('p')]",
        "10",
        "10.0.0.0/33",
        "300.1.1.1",
        "10.0.0.0/255.0.0.0",
        None,
    ],
)
def test_parse_network_rejects(text: str | None) -> None:
    assert net.parse_network(text) is None


def test_parse_ip() -> None:
    assert net.parse_ip(" 10.0.0.4 ") == ipaddress.ip_address("10.0.0.4")
    assert net.parse_ip("fd00::1") == ipaddress.ip_address("fd00::1")
    assert net.parse_ip("10.0.0.0/24") is None
    assert net.parse_ip("$FW_PRIVATE_IP") is None
    assert net.parse_ip(None) is None


def test_is_private_per_egl411() -> None:
    for private in (
        "10.244.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/24",
        "100.64.0.0/10",
        "100.127.255.0/24",
        "fd12:3456::/64",
        "10.0.0.10",
    ):
        assert net.is_private(private), private
    for public in (
        "20.0.0.0/16",
        "172.32.0.0/16",
        "100.128.0.0/16",
        "8.8.8.8",
        "2001:db8::/32",
        "0.0.0.0/0",
        "10.0.0.0/7",
    ):
        assert not net.is_private(public), public
    with pytest.raises(ValueError):
        net.is_private("AzureCloud")


def test_reserved_aks_ranges() -> None:
    assert [str(n) for n in net.RESERVED_AKS_RANGES] == [
        "169.254.0.0/16",
        "172.30.0.0/16",
        "172.31.0.0/16",
        "192.0.2.0/24",
    ]
    assert any(net.overlaps("172.30.0.0/20", r) for r in net.RESERVED_AKS_RANGES)
    assert not any(net.overlaps("10.0.0.0/16", r) for r in net.RESERVED_AKS_RANGES)


def test_overlaps_and_contains() -> None:
    assert net.overlaps("10.0.0.0/16", "10.0.5.0/24")
    assert net.overlaps("10.0.5.0/24", "10.0.0.0/16")
    assert not net.overlaps("10.0.0.0/16", "10.1.0.0/16")
    assert not net.overlaps("10.0.0.0/8", "::/0")
    assert net.contains("10.0.0.0/16", "10.0.5.0/24")
    assert net.contains("10.0.0.0/16", "10.0.0.10")
    assert not net.contains("10.0.5.0/24", "10.0.0.0/16")
    assert not net.contains("0.0.0.0/0", "::1")


def test_first_usable_and_count() -> None:
    # Azure reserves .0-.3; the firewall in a /26 AzureFirewallSubnet gets .4
    assert str(net.first_usable("10.0.1.0/26")) == "10.0.1.4"
    assert str(net.first_usable(N("10.42.2.0/24"))) == "10.42.2.4"
    assert str(net.first_usable("10.0.0.0/29")) == "10.0.0.4"
    assert net.first_usable("10.0.0.0/30") is None
    assert net.address_count("10.0.1.0/26") == 64
    assert net.address_count("10.0.0.7") == 1


# =========================================================================== address sets


def test_address_set_parse_items() -> None:
    s = a(
        "10.0.0.1/24",
        " 10.0.1.0/24 ",
        "192.168.1.5",
        "172.16.0.1-172.16.0.6",
        "AzureCloud.WestEurope",
        "$FW_IP",
    )
    assert s.networks == (
        N("10.0.0.0/23"),
        N("172.16.0.1/32"),
        N("172.16.0.2/31"),
        N("172.16.0.4/31"),
        N("172.16.0.6/32"),
        N("192.168.1.5/32"),
    )
    assert [t.base for t in s.tags] == ["azurecloud"] and s.tags[0].region == "westeurope"
    assert s.unknown == ("$FW_IP",)
    assert not s.wildcard and not s.is_concrete and not s.is_empty
    assert a("*").wildcard and a("Any").wildcard and a("any").wildcard
    assert A([]).is_empty
    assert a("10.0.0.0/8,192.168.0.0/16") == a("10.0.0.0/8", "192.168.0.0/16")
    # a reversed range is not an address range: kept symbolic
    assert a("10.0.0.9-10.0.0.1").unknown == ("10.0.0.9-10.0.0.1",)


def test_address_set_equality_ignores_spelling() -> None:
    assert a("Storage.EastUS") == a("storage.eastus")
    assert a("INTERNET") == a("Internet")
    assert a("10.0.0.1/24") == a("10.0.0.0/24")
    assert str(a("Storage.EastUS", "10.0.0.0/8")) == "Storage.EastUS, 10.0.0.0/8"


@pytest.mark.parametrize(
    "items",
    [
        ["*"],
        ["Any"],
        ["0.0.0.0/0"],
        ["Internet"],
        ["0.0.0.0/1", "128.0.0.0/1"],
        ["Internet", "10.0.0.0/8"],
    ],
)
def test_covers_all_true(items: list[str]) -> None:
    assert A(items).covers_all()


@pytest.mark.parametrize(
    "items",
    [["AzureCloud"], ["10.0.0.0/8"], ["VirtualNetwork"], ["$DEST"], [], ["::/0"], ["0.0.0.0/1"]],
)
def test_covers_all_false(items: list[str]) -> None:
    assert not A(items).covers_all()


def test_service_tag_containment() -> None:
    assert a("AzureCloud").covers(a("AzureCloud.westeurope")) is True
    assert a("azurecloud").covers(a("AzureCloud.WestEurope")) is True
    assert a("AzureCloud.westeurope").covers(a("AzureCloud")) is False
    assert a("AzureCloud.westeurope").covers(a("AzureCloud.eastus")) is False
    assert a("Storage").covers(a("Storage.westeurope")) is True
    assert a("Storage.westeurope").covers(a("Storage")) is False
    assert a("Storage").covers(a("AzureCloud.westeurope")) is False  # narrower never covers broader
    assert a("AzureCloud").covers(a("Storage")) is None  # plausible, not documented
    assert a("Storage").covers(a("Sql")) is None
    assert a("*").covers(a("AzureCloud.westeurope", "VirtualNetwork", "$X", "::/0")) is True
    assert a("Internet").covers(a("AzureCloud")) is True
    assert a("Internet").covers(a("Storage.EastUS", "AzureFrontDoor.FirstParty")) is True
    assert a("Internet").covers(a("VirtualNetwork")) is None
    assert a("AzureCloud").covers(a("Internet")) is False
    assert a("AzureCloud").matches_tag("AzureCloud.northeurope") is True
    assert a("Internet.westeurope").covers(a("Storage")) is None  # not a real tag: unknown


def test_azurecloud_odd_region_names_are_one_region() -> None:
    assert a("AzureCloud.centralfrance").covers(a("AzureCloud.francecentral")) is True
    assert a("AzureCloud.FranceCentral") == a("AzureCloud.centralfrance")
    assert a("AzureCloud").covers(a("AzureCloud.germanywc")) is True


def test_internet_and_private_ranges() -> None:
    assert a("Internet").covers(a("8.8.8.0/24")) is True
    assert a("Internet").matches_ip("20.1.2.3") is True
    assert a("Internet").covers(a("10.1.0.0/16")) is False
    assert a("Internet").matches_ip("100.64.0.1") is False
    assert a("Internet").covers(a("0.0.0.0/0")) is False
    assert a("Internet").intersects(a("0.0.0.0/0")) is True
    assert a("Internet").intersects(a("192.168.0.0/16")) is False
    assert (
        a("Internet", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10").covers(
            a("0.0.0.0/0")
        )
        is True
    )


def test_concrete_cidrs_versus_tags() -> None:
    # undecidable: which prefixes a tag holds today
    assert a("20.0.0.0/8").covers(a("AzureCloud")) is None
    assert a("AzureCloud").covers(a("20.50.0.0/16")) is None
    assert a("AzureCloud").matches_ip("20.50.1.1") is None
    assert a("AzureCloud").intersects(a("20.0.0.0/8")) is None
    # decidable: private addresses are never in a tag with public addresses
    assert a("AzureCloud").matches_ip("10.0.0.4") is False
    assert a("AzureCloud.westeurope").covers(a("10.0.0.0/16")) is False
    assert a("10.0.0.0/8").covers(a("AzureCloud")) is False
    assert a("Storage").intersects(a("172.16.0.0/12")) is False
    # 0.0.0.0/0 holds every service tag (tags are IPv4 here)
    assert a("0.0.0.0/0").covers(a("AzureCloud.westeurope", "Storage", "Internet")) is True
    assert a("0.0.0.0/0").covers(a("*")) is False  # * includes IPv6
    assert a("2001:db8::/32").covers(a("Storage")) is None


def test_virtual_network_and_unknown_tokens() -> None:
    vnet = a("VirtualNetwork")
    assert vnet.covers(vnet) is True
    assert vnet.covers(a("10.0.0.0/16")) is None
    assert a("10.0.0.0/8").covers(vnet) is None
    assert (
        vnet.covers(a("Internet")) is None
    )  # the tag may even hold UDR prefixes such as 0.0.0.0/0
    assert a("$DEST").covers(a("$DEST")) is True
    assert a("$DEST").covers(a("$OTHER")) is None
    assert a("$DEST").covers(a("10.0.0.0/8")) is None
    assert a("10.0.0.0/8").covers(a("$DEST")) is None
    assert a("0.0.0.0/0", "::/0").covers(a("$DEST")) is True
    assert (
        a("$DEST").intersects(a("0.0.0.0/0", "::/0")) is True
    )  # CIDRs adding up to "*" act like "*"
    assert a("10.0.0.0/8").matches_ip("$IP") is None
    assert a("10.0.0.0/8").covers(a("*")) is False
    assert a("$X").covers(a("*")) is None


def test_concrete_sets() -> None:
    assert a("10.0.0.0/24", "10.0.1.0/24").covers(a("10.0.0.0/23")) is True
    assert a("10.0.0.0/24").covers(a("10.0.0.0/23")) is False
    assert a("10.0.0.0/24").intersects(a("10.0.0.128/25")) is True
    assert a("10.0.0.0/24").intersects(a("10.0.1.0/24")) is False
    assert a("10.0.0.0/8").matches_ip("10.9.9.9") is True
    assert a("10.0.0.0/8").matches_ip(ipaddress.ip_address("11.0.0.1")) is False
    assert a("10.0.0.1-10.0.0.9").matches_ip("10.0.0.5") is True
    assert a("10.0.0.1-10.0.0.9").matches_ip("10.0.0.10") is False
    assert A([]).covers(a("10.0.0.0/8")) is False
    assert a("10.0.0.0/8").covers(A([])) is True
    assert A([]).intersects(a("*")) is False


# =========================================================================== ports and protocols


def test_port_set() -> None:
    p = PortSet.parse(["443", "1000-2000", " 80 "])
    assert p.ranges == ((80, 80), (443, 443), (1000, 2000))
    assert p.contains(443) is True and p.contains(1500) is True and p.contains(2001) is False
    assert p.covers(PortSet.parse(["1200-1300", "80"])) is True
    assert p.covers(PortSet.parse(["1900-2100"])) is False
    assert p.intersects(PortSet.parse(["1900-2100"])) is True
    assert p.intersects(PortSet.parse(["22"])) is False
    assert PortSet.parse(["*"]).is_all and PortSet.parse(["Any"]).is_all
    assert PortSet.parse(["0-65535"]).is_all and PortSet.parse(["1-65535"]).is_all
    assert PortSet.parse(["1-1000", "1001-65535"]).is_all
    assert not PortSet.parse(["1-65534"]).is_all
    assert PortSet.parse(["*"]).covers(PortSet.parse(["9000", "$PORT"])) is True
    assert PortSet.parse(["443"]).covers(PortSet.parse(["$PORT"])) is None
    assert PortSet.parse(["$PORT"]).contains(443) is None
    assert PortSet.parse(["$PORT"]).covers(PortSet.parse(["$PORT"])) is True
    bad = PortSet.parse(["70000", "2000-1000", "443"])
    assert bad.invalid == ("70000", "2000-1000") and bad.ranges == ((443, 443),)
    assert str(PortSet.parse(["443", "1000-2000"])) == "443, 1000-2000"


def test_protocol_set() -> None:
    tcp_udp = ProtocolSet.parse(["TCP", "Udp"])
    assert tcp_udp.contains("tcp") is True and tcp_udp.contains("ICMP") is False
    assert ProtocolSet.parse(["Any"]).covers(tcp_udp) is True
    assert ProtocolSet.parse(["*"]).contains("Esp") is True
    assert tcp_udp.covers(ProtocolSet.parse(["UDP"])) is True
    assert tcp_udp.covers(ProtocolSet.parse(["Any"])) is False
    assert (
        ProtocolSet.parse(["TCP", "UDP", "ICMP", "ESP", "AH"]).covers(ProtocolSet.parse(["*"]))
        is False
    )
    assert tcp_udp.intersects(ProtocolSet.parse(["ICMP"])) is False
    assert tcp_udp.intersects(ProtocolSet.parse(["*"])) is True
    assert ProtocolSet.parse(["$P"]).covers(tcp_udp) is None


def test_app_protocol_set() -> None:
    p = AppProtocolSet.parse(["Http=80", "https:443"])
    assert p.pairs == {("http", 80), ("https", 443)}
    assert p.contains("HTTPS") is True and p.contains("https", 443) is True
    assert p.contains("Https", 8443) is False and p.contains("mssql") is False
    assert AppProtocolSet.parse(["Mssql=1433"]).contains("mssql", 1433) is True
    assert AppProtocolSet.parse(["HTTPS"]) == AppProtocolSet.parse(["Https=443"])
    assert p.covers(AppProtocolSet.parse(["Https:443"])) is True
    assert AppProtocolSet.parse(["Https:443"]).covers(p) is False
    assert p.intersects(AppProtocolSet.parse(["Https=443", "Https=8443"])) is True
    assert AppProtocolSet.parse(["ftp=21"]).unknown == ("ftp=21",)


# =========================================================================== FQDN patterns


def test_fqdn_wildcards_azure_examples() -> None:
    # aks-egress-facts.md section d, "Wildcards in application rules"
    assert fqdn_matches("*.contoso.com", "any.contoso.com")
    assert fqdn_matches("*.contoso.com", "a.b.contoso.com")
    assert not fqdn_matches("*.contoso.com", "contoso.com")
    assert fqdn_matches("*contoso.com", "contoso.com")
    assert fqdn_matches("*contoso.com", "anycontoso.com")
    assert fqdn_matches("*contoso.com", "example.anycontoso.com")
    assert not fqdn_matches("www.contoso.*", "www.contoso.com")
    assert not fqdn_matches("*.contoso.*", "www.contoso.com")
    assert fqdn_matches("*", "anything.example")
    assert fqdn_matches("MCR.Microsoft.com", "mcr.microsoft.COM.")
    assert fqdn_matches("*.data.mcr.microsoft.com", "westeurope.data.mcr.microsoft.com")
    assert not fqdn_matches("*.data.mcr.microsoft.com", "mcr.microsoft.com")
    assert not fqdn_matches("vault.azure.net", "myvault.vault.azure.net")  # exact rules are exact


def test_fqdn_validity() -> None:
    for good in (
        "*",
        "mcr.microsoft.com",
        "*.hcp.westeurope.azmk8s.io",
        "*contoso.com",
        "MCR.microsoft.com.",
    ):
        assert is_valid_fqdn_pattern(good), good
    for bad in (
        "www.contoso.*",
        "*.contoso.*",
        "a.*.com",
        "**",
        "*.",
        "",
        "a..b",
        "contoso.com/path",
    ):
        assert not is_valid_fqdn_pattern(bad), bad


def test_fqdn_pattern_covers_examples() -> None:
    assert fqdn_pattern_covers("*", "*.contoso.com")
    assert fqdn_pattern_covers("*.contoso.com", "a.contoso.com")
    assert fqdn_pattern_covers("*.contoso.com", "*.b.contoso.com")
    assert not fqdn_pattern_covers("*.contoso.com", "contoso.com")
    assert not fqdn_pattern_covers("*.contoso.com", "*contoso.com")
    assert fqdn_pattern_covers("*contoso.com", "*.contoso.com")
    assert fqdn_pattern_covers("*contoso.com", "contoso.com")
    assert fqdn_pattern_covers("*ntoso.com", "*contoso.com")
    assert not fqdn_pattern_covers("contoso.com", "*contoso.com")
    assert not fqdn_pattern_covers("*.contoso.com", "*")
    assert not fqdn_pattern_covers("*", "www.contoso.*")  # invalid patterns are never "covered"


# =========================================================================== routing


@dataclass
class Rt:
    name: str
    prefix: str | None
    next_hop_type: str = "VirtualAppliance"


VNET = ["10.42.0.0/16"]


def test_default_route_to_firewall_wins_for_internet() -> None:
    fw = Rt("default-to-fw", "0.0.0.0/0")
    pip = Rt("fw-pip", "20.1.2.3/32", "Internet")
    sel = select_route("0.0.0.0/0", [pip, fw], VNET)
    assert sel is not None and sel.route is fw and sel.certain and not sel.is_system
    # the more specific /32 wins for its own address only
    assert select_route("20.1.2.3", [pip, fw], VNET).route is pip  # type: ignore[union-attr]
    assert select_route("20.1.2.4", [pip, fw], VNET).route is fw  # type: ignore[union-attr]


def test_system_routes_without_route_table() -> None:
    sel = select_route("0.0.0.0/0", [], VNET)
    assert sel is not None and sel.is_system and sel.route == SystemRoute("0.0.0.0/0", "Internet")
    assert select_route("10.42.3.4", [], VNET).route == SystemRoute("10.42.0.0/16", "VnetLocal")  # type: ignore[union-attr]
    assert select_route("10.9.0.1", [], VNET).route == SystemRoute("10.0.0.0/8", "None")  # type: ignore[union-attr]


def test_cgnat_range_none_unless_in_vnet_space() -> None:
    none = select_route("100.64.1.1", [], VNET)
    assert none is not None and none.route == SystemRoute("100.64.0.0/10", "None")
    local = select_route("100.64.1.1", [], ["100.64.0.0/10"])
    assert local is not None and local.route == SystemRoute("100.64.0.0/10", "VnetLocal")
    # address space broader than a private range: the private range joins the VNet
    wide = select_route("10.1.1.1", [], ["10.0.0.0/7"])
    assert wide is not None and wide.route == SystemRoute("10.0.0.0/7", "VnetLocal")
    assert SystemRoute("0.0.0.0/0", "Internet") in SYSTEM_ROUTES


def test_identical_prefix_user_route_beats_system_route() -> None:
    internet = Rt("default-internet", "0.0.0.0/0", "Internet")
    sel = select_route("0.0.0.0/0", [internet], VNET)
    assert sel is not None and sel.route is internet and not sel.is_system
    vnet_override = Rt("vnet-to-fw", "10.42.0.0/16")
    assert select_route("10.42.1.1", [vnet_override], VNET).route is vnet_override  # type: ignore[union-attr]


def test_longest_prefix_match() -> None:
    r8, r16, r24 = Rt("r8", "10.0.0.0/8"), Rt("r16", "10.1.0.0/16"), Rt("r24", "10.1.2.0/24")
    assert select_route("10.1.2.3", [r8, r16, r24], VNET).route is r24  # type: ignore[union-attr]
    assert select_route("10.1.3.3", [r8, r16, r24], VNET).route is r16  # type: ignore[union-attr]
    assert select_route("10.2.0.0/16", [r8, r16, r24], VNET).route is r8  # type: ignore[union-attr]
    # a CIDR destination takes the route that covers all of it, not a more specific one
    assert select_route("10.1.0.0/15", [r8, r16, r24], VNET).route is r8  # type: ignore[union-attr]


def test_unreadable_prefixes_are_reported_when_they_could_win() -> None:
    fw = Rt("default-to-fw", "0.0.0.0/0")
    var = Rt("from-variable", "$PREFIX")
    tag = Rt("storage", "Storage.WestEurope", "Internet")
    sel = select_route("0.0.0.0/0", [fw, var, tag], VNET)
    assert sel is not None and sel.route is fw and sel.certain  # nothing beats a user 0.0.0.0/0
    sel = select_route("0.0.0.0/0", [var, tag], VNET)
    assert sel is not None and sel.is_system and sel.undecided == (var,) and not sel.certain
    sel = select_route("20.1.2.3", [fw, var, tag], VNET)
    assert sel is not None and sel.route is fw and sel.undecided == (var, tag)
    sel = select_route("10.42.1.1", [fw, tag], VNET)  # a service tag never holds private addresses
    assert sel is not None and sel.certain
    sel = select_route("10.9.0.1", [], ["10.42.0.0/16", "$EXTRA_SPACE"])
    assert sel is not None and sel.unknown_vnet_prefixes == ("$EXTRA_SPACE",) and not sel.certain


def test_select_route_prefix_of_and_bad_destination() -> None:
    routes = [{"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance"}]
    sel = select_route("0.0.0.0/0", routes, VNET, prefix_of=lambda r: r["addressPrefix"])
    assert sel is not None and sel.route is routes[0]
    assert select_route("AzureCloud", [], VNET) is None
    assert select_route("2001:db8::1", [], VNET) is None


# =========================================================================== tag catalogs


def test_data_files_record_their_sources() -> None:
    for name in ("service-tags.yaml", "fqdn-tags.yaml"):
        data = load_yaml(name)
        assert isinstance(data, dict) and str(data["source"]).startswith(
            "https://learn.microsoft.com/"
        )


def test_known_service_tags() -> None:
    for tag in (
        "AzureCloud",
        "azurecloud.westeurope",
        "Internet",
        "VirtualNetwork",
        "AzureLoadBalancer",
        "Storage.EastUS",
        "Sql",
        "AzureContainerRegistry",
        "MicrosoftContainerRegistry.westeurope",
        "AzureActiveDirectory",
        "AzureMonitor",
        "AzureKeyVault",
        "EventHub",
        "ServiceBus",
        "AzureFrontDoor.Frontend",
        "AzureFrontDoor.FirstParty",
        "GuestAndHybridManagement",
        "AzureArcInfrastructure",
        "AzureTrafficManager",
        "ApiManagement",
        "AppService",
        "AzureCloud.chinaeast2",
        "AzureCloud.usgovvirginia",
        "AzureCloud.centralfrance",
        "VIRTUAL_NETWORK",
        "Office365.Exchange.Optimize",
    ):
        assert known_service_tag(tag), tag
    for tag in (
        "AzureKubernetesService",
        "AzureCloud.francecentral",
        "Internet.westeurope",
        "Storage.mars",
        "AzureKubnernetesService",
        "Office365.Exchange.Default.Required",
    ):
        assert not known_service_tag(tag), tag


def test_known_fqdn_tags() -> None:
    for tag in (
        "AzureKubernetesService",
        "azurekubernetesservice",
        "WindowsUpdate",
        "WindowsDiagnostics",
        "MicrosoftActiveProtectionService",
        "AppServiceEnvironment",
        "AzureBackup",
        "HDInsight",
        "AzureHDInsight",
        "WindowsVirtualDesktop",
        "Windows365",
        "MicrosoftIntune",
        "Office365.Skype.Optimize",
        "Office365.Exchange.Default.Required",
    ):
        assert known_fqdn_tag(tag), tag
    for tag in ("AzureCloud", "AzureKubnernetesService", "Storage"):
        assert not known_fqdn_tag(tag), tag


def test_did_you_mean() -> None:
    assert closest_fqdn_tag("AzureKubnernetesService") == "AzureKubernetesService"
    assert closest_fqdn_tag("windowsupdates") == "WindowsUpdate"
    assert closest_fqdn_tag("azurekubernetesservice") == "AzureKubernetesService"
    assert closest_fqdn_tag("NothingAlike") is None
    assert closest_service_tag("AzureClod") == "AzureCloud"
    assert closest_service_tag("azurecloud.WestEurope") == "AzureCloud.westeurope"
    assert closest_service_tag("AzureCloud.westeurop") == "AzureCloud.westeurope"
    assert closest_service_tag("AzureClud.westeurope") == "AzureCloud.westeurope"
    assert closest_service_tag("AzureCloud.francecentral") == "AzureCloud.centralfrance"
    assert closest_service_tag("Storage.EastUS") == "Storage.eastus"
    assert closest_service_tag("INTERNET") == "Internet"
    assert closest_service_tag("Internet.westeurope") == "Internet"
    assert closest_service_tag("QuiteUnrelatedWord") is None


def test_service_tag_info_and_regional_names() -> None:
    info = net.service_tag_info("storage.WestEurope")
    assert info is not None and info.name == "Storage.westeurope" and info.base == "Storage"
    assert (
        info.region == "westeurope" and info.regional and info.firewall and info.scope == "public"
    )
    assert net.service_tag_info("Internet").firewall is False  # type: ignore[union-attr]
    assert net.service_tag_info("VirtualNetwork").udr is False  # type: ignore[union-attr]
    assert net.service_tag_info("AzureKubernetesService") is None
    assert net.regional_service_tag("AzureCloud", "francecentral") == "AzureCloud.centralfrance"
    assert net.regional_service_tag("azurecloud", "WestEurope") == "AzureCloud.westeurope"
    assert net.canonical_region("NorwayE") == "norwayeast"
    assert net.canonical_region("atlantis") is None


# =========================================================================== properties

_CIDRS = st.builds(
    lambda addr, plen: str(ipaddress.ip_network(f"{addr}/{plen}", strict=False)),
    st.sampled_from(
        [
            "10.0.0.0",
            "10.1.0.0",
            "10.1.128.0",
            "20.0.0.0",
            "20.1.2.0",
            "100.64.0.0",
            "0.0.0.1",
            "172.16.5.0",
            "128.0.0.0",
        ]
    ),
    st.integers(min_value=0, max_value=32).filter(
        lambda p: p in {0, 1, 7, 8, 9, 12, 16, 17, 24, 32}
    ),
)
_V6 = st.sampled_from(["::/0", "2001:db8::/32", "2001:db8:1::/48", "fd00::/8"])
_TAGS = st.sampled_from(
    [
        "AzureCloud",
        "AzureCloud.westeurope",
        "AzureCloud.eastus",
        "AzureCloud.centralfrance",
        "AzureCloud.francecentral",
        "Storage",
        "Storage.westeurope",
        "Sql",
        "Internet",
        "VirtualNetwork",
        "AzureLoadBalancer",
        "UnlistedTag",
        "UnlistedTag.westeurope",
    ]
)
_OTHER = st.sampled_from(["*", "Any", "$X", "$Y", "10.0.0.1-10.0.0.9"])
_ITEMS = st.lists(st.one_of(_CIDRS, _CIDRS, _V6, _TAGS, _OTHER), min_size=0, max_size=4)


@settings(max_examples=300, deadline=None)
@given(_ITEMS)
def test_address_covers_reflexive(items: list[str]) -> None:
    s = A(items)
    assert s.covers(s) is True


@settings(max_examples=600, deadline=None)
@given(_ITEMS, _ITEMS, _ITEMS)
def test_address_covers_transitive_and_implies_intersects(
    x: list[str], y: list[str], z: list[str]
) -> None:
    a_, b_, c_ = A(x), A(y), A(z)
    if a_.covers(b_) is True and b_.covers(c_) is True:
        assert a_.covers(c_) is True
    for p, q in ((a_, b_), (b_, c_), (a_, c_)):
        if p.covers(q) is True and not q.is_empty:
            assert p.intersects(q) is True
        assert p.intersects(q) == q.intersects(p)


@settings(max_examples=300, deadline=None)
@given(st.lists(_CIDRS, max_size=4), st.lists(_CIDRS, max_size=4))
def test_concrete_covers_agrees_with_addresses(x: list[str], y: list[str]) -> None:
    a_, b_ = A(x), A(y)
    expected = all(
        any(n.subnet_of(m) for m in ipaddress.collapse_addresses(map(N, x))) for n in map(N, y)
    )
    assert a_.covers(b_) is expected
    overlap = any(n.overlaps(m) for n in map(N, x) for m in map(N, y))
    assert a_.intersects(b_) is overlap


_PORTS = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=65535).map(str),
        st.tuples(st.integers(0, 65535), st.integers(0, 65535)).map(lambda t: f"{min(t)}-{max(t)}"),
        st.sampled_from(["*", "Any", "$PORT", "1-65535", "443", "80", "22-23"]),
    ),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(_PORTS, _PORTS, _PORTS)
def test_port_covers_properties(x: list[str], y: list[str], z: list[str]) -> None:
    a_, b_, c_ = PortSet.parse(x), PortSet.parse(y), PortSet.parse(z)
    assert a_.covers(a_) is True
    if a_.covers(b_) is True and b_.covers(c_) is True:
        assert a_.covers(c_) is True
    if a_.covers(b_) is True and not b_.is_empty:
        assert a_.intersects(b_) is True
    assert a_.intersects(b_) == b_.intersects(a_)


_LABELS = st.sampled_from(["a", "b", "ab", "ba", "contoso", "com"])
_NAMES = st.lists(_LABELS, min_size=1, max_size=4).map(".".join)
_PATTERNS = st.one_of(
    _NAMES,
    _NAMES.map(lambda n: "*." + n),
    _NAMES.map(lambda n: "*" + n),
    st.just("*"),
    st.sampled_from(["www.contoso.*", "*.a.*"]),
)


def _witnesses(pattern: str) -> list[str]:
    """Hosts that a valid pattern matches, enough to refute a wrong 'covers'."""
    if pattern == "*":
        return ["a", "b.contoso.com", "zz.ab"]
    if pattern.startswith("*."):
        return [f"{x}.{pattern[2:]}" for x in ("a", "b", "zz", "a.b")]
    if pattern.startswith("*"):
        body = pattern[1:]
        return [body, "a" + body, "b" + body, "zz" + body, "a." + body, "b." + body]
    return [pattern]


@settings(max_examples=500, deadline=None)
@given(_PATTERNS, _PATTERNS, st.lists(_NAMES, max_size=6))
def test_fqdn_pattern_covers_agrees_with_matches(p1: str, p2: str, hosts: list[str]) -> None:
    assume(is_valid_fqdn_pattern(p2))
    covered = fqdn_pattern_covers(p1, p2)
    for host in hosts + _witnesses(p2):
        assert fqdn_matches(p2, host) or host not in _witnesses(p2)
        if covered and fqdn_matches(p2, host):
            assert fqdn_matches(p1, host), (p1, p2, host)
    if not covered:
        assert any(fqdn_matches(p2, h) and not fqdn_matches(p1, h) for h in _witnesses(p2)), (
            p1,
            p2,
        )
    assert fqdn_pattern_covers(p2, p2)
