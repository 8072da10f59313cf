"""The az command table and argument binder.

``COMMANDS`` lists every ``az`` command the linter understands (the egress-relevant create/update
commands plus the read commands used in ``$(...)`` substitutions), with every option each one
accepts. ``find_command`` recognises a command in an argv; ``bind`` parses the rest of the argv
the way az's argparse does and reports what az itself would reject.

Sources: shared/domain/az-flags.md (azure-cli 2.91.0, extension azure-firewall 1.0.0).
The core-CLI entries were cross-checked against the argparse parsers of azure-cli 2.91.0
(``az <command> --help`` and parsing offline); the ``network firewall`` entries against the
azure-firewall extension's ``_params.py``/``custom.py``/aaz sources (union of 1.0.0 and newer
releases: a real flag reported as unknown is the worst outcome for a linter).

Parsing follows argparse (the parser az uses) closely:

* an exact option wins; otherwise a unique prefix of an option string is accepted
  (``--subnet-prefix`` -> ``--subnet-prefixes``); a prefix matching several option strings is
  ambiguous, even when they are aliases of one flag (argparse counts option strings);
* ``--flag=value`` gives exactly one value, also for list flags;
* a word that matches no option is still taken for one (an unknown flag) when it starts with
  ``-``, is not ``-`` alone, not a negative number and contains no space; anything else is a
  value;
* value flags take exactly one value, list flags one or more (``empty=True``: zero or more),
  switches none, bool flags (argparse ``nargs='?'``) an optional one;
* enum values match case-insensitively (az's ``get_enum_type`` and aaz enums) and are
  canonicalised to the table spelling.

Words whose text is not known statically (``$VAR``, ``$(...)``) are passed as ``None``: they are
values wherever a value may stand; where an option is expected they are kept in
``Binding.opaque`` (they may expand to options) and the required/one-of checks that they could
satisfy are skipped.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

__all__ = [
    "COMMANDS",
    "ArgError",
    "ArgErrorKind",
    "Binding",
    "Bound",
    "CommandSpec",
    "Flag",
    "FlagKind",
    "bind",
    "find_command",
]

FlagKind = Literal["value", "list", "switch", "bool"]
# What az would reject. All but "missing-required" and "one-of" are problems with the words
# written (unknown-az-flag material); those two are about arguments the command needs.
ArgErrorKind = Literal[
    "unknown-flag",
    "ambiguous-flag",
    "missing-value",
    "unexpected-value",
    "bad-choice",
    "bad-value",
    "missing-required",
    "one-of",
    "positional",
]

T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# Data model


@dataclass(frozen=True, slots=True)
class Flag:
    """One option of one command.

    ``kind``: ``value`` takes exactly one argument; ``list`` one or more space-separated
    arguments (aaz list/dict/object arguments, ``--zones 1 2 3``; ``allow_empty``: zero or more,
    argparse ``nargs='*'`` as in core ``--tags``); ``switch`` none (``store_true``); ``bool`` an
    optional value (argparse ``nargs='?'``: ``--enable-dns-proxy``, ``--enable-dns-proxy true``).
    ``choices`` are the canonical enum spellings, matched case-insensitively unless
    ``case_sensitive``. ``extension_choices`` are values az accepts only with an extension
    installed (aks-preview's ``--outbound-type block``): bound without error, canonicalised,
    and left for rules to judge. ``hidden`` options (deprecated, suppressed from help) are
    accepted but never suggested. ``object_value`` marks aaz object arguments: their values
    must be shorthand ``key=value``, JSON or ``@file`` (``--next-hop VirtualAppliance`` fails
    with "dict type value expected")."""

    name: str
    aliases: tuple[str, ...] = ()
    kind: FlagKind = "value"
    choices: tuple[str, ...] = ()
    required: bool = False
    allow_empty: bool = False
    case_sensitive: bool = False
    extension_choices: tuple[str, ...] = ()
    hidden: bool = False
    object_value: bool = False

    @property
    def options(self) -> tuple[str, ...]:
        """Every spelling: the canonical name first, then the aliases."""
        return (self.name, *self.aliases)

    @property
    def display(self) -> str:
        """``--name/-n`` style, as az lists arguments in its own messages."""
        return "/".join(self.options)

    def canonical_choice(self, text: str) -> str | None:
        """The table spelling of an enum value, or None when ``text`` is not allowed.
        Flags without choices accept anything (returned unchanged)."""
        if not self.choices:
            return text
        for choice in (*self.choices, *self.extension_choices):
            if choice == text or (not self.case_sensitive and choice.lower() == text.lower()):
                return choice
        return None


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One az command. ``one_of``: groups of which exactly one flag must be given;
    ``exclusive``: groups of which at most one may be given."""

    path: tuple[str, ...]
    flags: tuple[Flag, ...]
    extension: str | None = None
    one_of: tuple[tuple[str, ...], ...] = ()
    exclusive: tuple[tuple[str, ...], ...] = ()
    _index: dict[str, Flag] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        for flag in self.flags:
            for option in flag.options:
                if option in self._index:
                    raise ValueError(f"{self.display}: option {option} defined twice")
                self._index[option] = flag
        for group in (*self.one_of, *self.exclusive):
            for name in group:
                if name not in self._index:
                    raise ValueError(f"{self.display}: group names unknown flag {name}")

    @property
    def display(self) -> str:
        return "az " + " ".join(self.path)

    def flag(self, option: str) -> Flag | None:
        """The flag spelled exactly ``option`` (canonical name or alias), if any."""
        return self._index.get(option)

    def option_strings(self) -> Iterator[tuple[str, Flag]]:
        """Every option string with its flag, in table order (argparse's order)."""
        return iter(self._index.items())


@dataclass
class Bound(Generic[T]):
    """One occurrence of a flag. ``values`` are the value tokens (empty for switches and
    valueless bools); for ``--flag=value`` the single value token is the flag token itself.
    ``canonical_values`` runs parallel to ``values``: enum values in table spelling, other
    literal text unchanged, None for non-literal words. ``written`` is the option as typed
    (an abbreviation like ``--subnet-prefix`` stays visible)."""

    flag: Flag
    flag_token: T
    values: list[T]
    canonical_values: list[str | None]
    written: str = ""
    inline: bool = False

    @property
    def value(self) -> str | None:
        """The first canonical value (None when absent or not literal)."""
        return self.canonical_values[0] if self.canonical_values else None

    @property
    def is_literal(self) -> bool:
        """True when every value is known statically."""
        return all(v is not None for v in self.canonical_values)

    def as_bool(self) -> bool | None:
        """For switches and boolean flags: a switch, or a bool flag given without a value, is
        True (``--enable-dns-proxy``); an explicit value is read as az does
        (``true/t/yes/y/1`` vs the rest); None when the value is not literal or invalid."""
        if not self.values:
            return True
        value = self.canonical_values[0]
        if value is None:
            return None
        return value.lower() in _TRUTHY


@dataclass
class ArgError(Generic[T]):
    """Something az would reject. ``token`` is where to report (None: at the command);
    ``flags`` the canonical flags concerned."""

    kind: ArgErrorKind
    token: T | None
    message: str
    suggestion: str | None = None
    flags: tuple[str, ...] = ()


@dataclass
class Binding(Generic[T]):
    """The result of :func:`bind`. ``args`` maps canonical flag names to their last
    occurrence (argparse semantics); ``occurrences`` keeps every occurrence in order (repeated
    ``--parameters``); ``positionals`` are stray values az rejects as unrecognized arguments;
    ``opaque`` are non-literal words where an option was expected."""

    spec: CommandSpec
    args: dict[str, Bound[T]] = field(default_factory=dict)
    errors: list[ArgError[T]] = field(default_factory=list)
    positionals: list[T] = field(default_factory=list)
    occurrences: list[Bound[T]] = field(default_factory=list)
    opaque: list[T] = field(default_factory=list)

    def _canonical(self, name: str) -> str | None:
        flag = self.spec.flag(name)
        return flag.name if flag is not None else None

    def get(self, name: str) -> Bound[T] | None:
        """The last occurrence of a flag, looked up by canonical name or any alias. A name the
        command does not have gives None (so one rule can serve create and update)."""
        canonical = self._canonical(name)
        return self.args.get(canonical) if canonical is not None else None

    def has(self, name: str) -> bool:
        return self.get(name) is not None

    def get_all(self, name: str) -> list[Bound[T]]:
        """Every occurrence of a flag, in order."""
        canonical = self._canonical(name)
        return [b for b in self.occurrences if b.flag.name == canonical]

    def value(self, name: str) -> str | None:
        """Shortcut: the first canonical value of the flag's last occurrence."""
        bound = self.get(name)
        return bound.value if bound is not None else None


# --------------------------------------------------------------------------------------------
# Table helpers

_AAZ_BOOL = ("true", "t", "yes", "y", "1", "false", "f", "no", "n", "0")  # aaz AAZBoolArg
_TRUTHY = frozenset(_AAZ_BOOL[:5])
_TRUE_FALSE = ("true", "false")  # core get_three_state_flag()


def _v(
    name: str,
    *aliases: str,
    choices: tuple[str, ...] = (),
    required: bool = False,
    case_sensitive: bool = False,
    extension_choices: tuple[str, ...] = (),
    hidden: bool = False,
) -> Flag:
    """A flag taking exactly one value."""
    return Flag(
        name,
        aliases,
        "value",
        choices,
        required,
        case_sensitive=case_sensitive,
        extension_choices=extension_choices,
        hidden=hidden,
    )


def _l(
    name: str,
    *aliases: str,
    choices: tuple[str, ...] = (),
    required: bool = False,
    empty: bool = False,
    hidden: bool = False,
    obj: bool = False,
) -> Flag:
    """A flag taking one or more space-separated values (``empty``: zero or more; ``obj``: an
    aaz object argument in shorthand syntax)."""
    return Flag(
        name,
        aliases,
        "list",
        choices,
        required,
        allow_empty=empty,
        hidden=hidden,
        object_value=obj,
    )


def _s(name: str, *aliases: str, hidden: bool = False) -> Flag:
    """A switch (store_true): no value."""
    return Flag(name, aliases, "switch", hidden=hidden)


def _b(
    name: str, *aliases: str, choices: tuple[str, ...] = _AAZ_BOOL, hidden: bool = False
) -> Flag:
    """A flag with an optional value (argparse nargs='?'), by default an aaz boolean."""
    return Flag(name, aliases, "bool", choices, hidden=hidden)


# Accepted by every command (az-flags.md "General parsing rules" 5).
_GLOBAL: tuple[Flag, ...] = (
    _s("--help", "-h"),
    _s("--verbose"),
    _s("--debug"),
    _s("--only-show-errors"),
    _v("--output", "-o", choices=("json", "jsonc", "yaml", "yamlc", "table", "tsv", "none")),
    _v("--query"),
    _v("--subscription"),
)
# "Global Policy Arguments" (az-flags.md rule 5): registered on every command that changes
# something; the 2.91.0 parsers of read commands (show, list) do not have them.
_POLICY: tuple[Flag, ...] = (
    _s("--acquire-policy-token"),
    _v("--change-reference"),
)
# Commands implemented as plain Python functions (not aaz) get a hidden `--cmd` option for
# their `cmd` parameter. argparse knows it, so it takes part in prefix matching (`--c` is
# ambiguous on `az group create`), but az rejects it when given (IgnoreAction).
_CMD = _b("--cmd", choices=(), hidden=True)
_REJECTED = frozenset({"--cmd"})

_IDS = _l("--ids")
# With --ids, these become optional (they are parts of the resource ID).
_ID_PARTS = frozenset(
    {
        "--name",
        "--resource-group",
        "--vnet-name",
        "--lb-name",
        "--nsg-name",
        "--route-table-name",
        "--firewall-name",
        "--cluster-name",
    }
)

# aks-preview only (az-flags.md "aks-preview"): `block` (aks-preview >= 9.0.0b2) and the
# legacy `managedNATGatewayV2`. Core az rejects them; with the extension they parse.
_AKS_PREVIEW_OUTBOUND = ("block", "managedNATGatewayV2")

# aks-preview only: confidential containers (KataCcIsolation, used by the AKS docs with
# aks-preview), WASI and OCI runtimes.
_AKS_PREVIEW_WORKLOAD_RUNTIMES = ("KataCcIsolation", "OCIContainer", "WasmWasi")

_FIREWALL_EXT = "azure-firewall"


def _cmd(
    path: str,
    *flags: Flag,
    extension: str | None = None,
    one_of: tuple[tuple[str, ...], ...] = (),
    exclusive: tuple[tuple[str, ...], ...] = (),
    read: bool = False,
    custom: bool = False,
) -> CommandSpec:
    """``read``: a show/list command (no policy arguments); ``custom``: a function-based
    command (hidden ``--cmd``)."""
    extra = (() if read else _POLICY) + ((_CMD,) if custom else ())
    return CommandSpec(
        tuple(path.split()), (*flags, *_GLOBAL, *extra), extension, one_of, exclusive
    )


# Classic (non-policy) firewall rule commands share these (azure-firewall _params.py/custom.py).
def _af_rule_common() -> tuple[Flag, ...]:
    return (
        _v("--resource-group", "-g", required=True),
        _v("--firewall-name", "-f", required=True),
        _v("--collection-name", "-c", required=True),  # created if missing
        _v("--name", "-n", required=True),
        _l("--source-addresses"),
        _l("--source-ip-groups"),
        _v("--description"),
        # Collection group: only when the rule creates its collection (az-flags.md).
        _v("--priority"),
    )


# Shared by the policy rule-collection-group collection commands (azure-firewall custom.py:
# aaz update commands: generic update arguments and --no-wait included).
def _rcg_update_common() -> tuple[Flag, ...]:
    return (
        _v("--resource-group", "-g", required=True),
        _v("--policy-name", required=True),
        _v("--rule-collection-group-name", "--rcg-name", required=True),
        _b("--no-wait"),
        _l("--add"),
        _l("--set"),
        _l("--remove"),
        _b("--force-string"),
    )


def _rule_flags() -> tuple[Flag, ...]:
    """Rule arguments of `collection add-filter-collection` / `collection rule add`."""
    return (
        _v("--description"),
        _l("--source-addresses"),
        _l("--source-ip-groups"),
        _l("--destination-addresses", "--dest-addr"),
        _l("--destination-ports"),
        # az-flags.md: the TCP/UDP/Any/ICMP enum is attached to the list, not enforced per
        # element, so no choices here.
        _l("--ip-protocols"),
        _l("--destination-fqdns"),
        _l("--destination-ip-groups", "--dest-ipg"),
        _l("--protocols"),  # Http=80 Https=443 (application rules)
        _l("--target-fqdns"),
        _l("--fqdn-tags"),
        _l("--target-urls"),
        _l("--web-categories"),
        _b("--enable-tls-inspection", "--enable-tls-insp"),
    )


# --------------------------------------------------------------------------------------------
# The table. Core commands: transcribed from the argparse parsers of azure-cli 2.91.0, in
# their order (hidden/deprecated options included: az still accepts them). Global options are
# appended by _cmd(). Comments cite az-flags.md where an entry is not obvious.

_TABLE: tuple[CommandSpec, ...] = (
    # ---- AKS ---------------------------------------------------------------------------
    _cmd(
        "aks create",
        _v("--resource-group", "-g", required=True),
        _v("--name", "-n", required=True),
        _v("--ssh-key-value"),
        _v("--location", "-l"),
        _v("--kubernetes-version", "-k"),
        _l("--tags", empty=True),
        _v("--dns-name-prefix", "-p"),
        _v("--node-osdisk-diskencryptionset-id", "-d"),
        _s("--disable-local-accounts"),
        _s("--disable-rbac"),
        _v("--edge-zone"),
        _v("--admin-username", "-u"),
        _s("--generate-ssh-keys"),
        _s("--no-ssh-key", "-x"),
        _v("--pod-cidr"),
        _v("--service-cidr"),
        _v("--ip-families"),
        _v("--pod-cidrs"),
        _v("--service-cidrs"),
        _v("--dns-service-ip"),
        _v("--docker-bridge-address"),  # deprecated + hidden; value discarded (az-flags.md)
        _v("--load-balancer-sku", choices=("basic", "standard")),
        _v("--load-balancer-managed-outbound-ip-count"),
        _v("--load-balancer-managed-outbound-ipv6-count"),
        # az-flags.md rule 4: aks list-ish values are ONE comma-separated word (value flags)
        _v("--load-balancer-outbound-ips"),
        _v("--load-balancer-outbound-ip-prefixes"),
        _v("--load-balancer-outbound-ports"),  # multiple of 8, [0,64000]
        _v("--load-balancer-idle-timeout"),  # [4,100] in the CLI
        _v("--load-balancer-backend-pool-type", choices=("nodeIP", "nodeIPConfiguration")),
        _v("--nat-gateway-managed-outbound-ip-count"),  # [1,16], managedNATGateway only
        _v("--nat-gateway-managed-outbound-ipv6-count", "--nat-gw-ipv6-count"),
        _v("--nat-gateway-idle-timeout"),
        _v("--outbound-type-sku", choices=("Standard", "StandardV2")),
        _v("--nat-gateway-outbound-ips", "--nat-gw-ips"),
        _v("--nat-gateway-outbound-ip-prefixes", "--nat-gw-prefixes"),
        _v(
            "--outbound-type",
            choices=(
                "loadBalancer",
                "userDefinedRouting",
                "managedNATGateway",
                "userAssignedNATGateway",
                "none",
            ),
            extension_choices=_AKS_PREVIEW_OUTBOUND,
        ),
        _v("--network-plugin", choices=("kubenet", "azure", "none")),
        _v("--network-plugin-mode", choices=("overlay",)),
        # validator: "--network-policy should be provided in lowercase" (az-flags.md)
        _v(
            "--network-policy",
            choices=("azure", "calico", "cilium", "none"),
            case_sensitive=True,
        ),
        _v("--network-dataplane", choices=("azure", "cilium")),
        _v("--auto-upgrade-channel", choices=("rapid", "stable", "patch", "node-image", "none")),
        _v(
            "--node-os-upgrade-channel",
            choices=("NodeImage", "None", "Unmanaged", "SecurityPatch"),
        ),
        _l("--cluster-autoscaler-profile", "--ca-profile"),
        _v("--sku", choices=("base", "automatic")),
        _v("--tier", choices=("free", "standard", "premium")),
        _v("--fqdn-subdomain"),
        _v("--api-server-authorized-ip-ranges"),  # comma-separated; "" disables
        _s("--enable-private-cluster"),  # store_true switch (az-flags.md rule 3)
        _v("--private-dns-zone"),
        _s("--disable-public-fqdn"),
        _v("--service-principal"),
        _v("--client-secret"),
        _s("--enable-managed-identity"),
        _v("--assign-identity"),
        _v("--assign-kubelet-identity"),
        _s("--enable-aad"),
        _s("--enable-azure-rbac"),
        _v("--aad-admin-group-object-ids"),
        _v("--aad-tenant-id"),
        _s("--enable-oidc-issuer"),
        _v("--windows-admin-username"),
        _v("--windows-admin-password"),
        _s("--enable-ahub"),
        _s("--enable-windows-gmsa"),
        _v("--gmsa-dns-server"),
        _v("--gmsa-root-domain-name"),
        _v("--attach-acr"),
        _s("--skip-subnet-role-assignment"),
        _v("--node-resource-group"),
        _v("--nrg-lockdown-restriction-level", choices=("ReadOnly", "Unrestricted")),
        _v("--k8s-support-plan", choices=("KubernetesOfficial", "AKSLongTermSupport")),
        _s("--enable-defender"),
        _v("--defender-config"),
        _s("--disable-disk-driver"),
        _s("--disable-file-driver"),
        _s("--enable-blob-driver"),
        _s("--enable-workload-identity"),
        _s("--disable-snapshot-controller"),
        _s("--enable-azure-keyvault-kms"),
        _v("--azure-keyvault-kms-key-id"),
        _v("--azure-keyvault-kms-key-vault-network-access", choices=("Public", "Private")),
        _v("--azure-keyvault-kms-key-vault-resource-id"),
        _s("--enable-image-cleaner"),
        _v("--image-cleaner-interval-hours"),
        _s("--enable-keda"),
        _s("--enable-vpa"),
        _v("--custom-ca-trust-certificates", "--ca-certs"),
        _s("--disable-run-command"),
        _s("--enable-acns"),
        _s("--disable-acns-observability"),
        _s("--disable-acns-security"),
        _v("--acns-advanced-networkpolicies", choices=("None", "FQDN", "L7")),
        _s("--enable-container-network-logs"),
        _v("--acns-datapath-acceleration-mode", choices=("BpfVeth", "None")),
        _v("--acns-transit-encryption-type", choices=("WireGuard", "None")),
        _v("--bootstrap-artifact-source", choices=("Direct", "Cache")),
        _v("--bootstrap-container-registry-resource-id"),
        _v("--enable-addons", "-a"),
        _v("--workspace-resource-id"),
        _b("--enable-msi-auth-for-monitoring", choices=_TRUE_FALSE),
        _b("--enable-syslog", choices=_TRUE_FALSE),
        _v("--data-collection-settings"),
        _v("--ampls-resource-id"),
        _b("--enable-high-log-scale-mode", choices=_TRUE_FALSE),
        _s("--enable-azure-monitor-logs"),
        _v("--syslog-port"),
        _s("--enable-prometheus-metrics-scraping"),
        _s("--disable-prometheus-metrics-scraping"),
        _s("--enable-opentelemetry-metrics"),
        _s("--disable-opentelemetry-metrics"),
        _v("--opentelemetry-metrics-port-http"),
        _v("--opentelemetry-metrics-port-grpc"),
        _s("--enable-opentelemetry-logs-traces"),
        _s("--disable-opentelemetry-logs-traces"),
        _v("--opentelemetry-logs-traces-port-http"),
        _v("--opentelemetry-logs-traces-port-grpc"),
        _v("--aci-subnet-name"),
        _v("--appgw-name"),
        _v("--appgw-subnet-cidr"),
        _v("--appgw-id"),
        _v("--appgw-subnet-id"),
        _v("--appgw-watch-namespace"),
        _s("--enable-sgxquotehelper"),
        _s("--enable-secret-rotation"),
        _v("--rotation-poll-interval"),
        _s("--enable-app-routing"),
        _s("--enable-ai-toolchain-operator"),
        _v(
            "--app-routing-default-nginx-controller",
            "--ardnc",
            choices=("AnnotationControlled", "External", "Internal", "None"),
        ),
        _s("--enable-static-egress-gateway"),
        _v("--nodepool-name"),
        _v("--node-vm-size", "-s"),
        _v("--vm-sizes"),
        _v(
            "--os-sku",
            choices=(
                "AzureLinux",
                "AzureLinux3",
                "AzureContainerLinux",
                "Ubuntu",
                "CBLMariner",
                "Mariner",
                "Ubuntu2204",
                "Ubuntu2404",
            ),
        ),
        _v("--snapshot-id"),
        # required for userDefinedRouting/userAssignedNATGateway (az-flags.md)
        _v("--vnet-subnet-id"),
        _v("--pod-subnet-id"),
        _v("--pod-ip-allocation-mode", choices=("DynamicIndividual", "StaticBlock")),
        _s("--enable-node-public-ip"),
        _v("--node-public-ip-prefix-id"),
        _s("--enable-cluster-autoscaler"),
        _v("--min-count"),
        _v("--max-count"),
        _v("--node-count", "-c"),
        _l("--nodepool-tags", empty=True),
        _l("--nodepool-labels", empty=True),
        _v("--nodepool-taints"),
        _l("--nodepool-allowed-host-ports"),
        _l("--nodepool-asg-ids"),
        _v("--node-osdisk-type", choices=("Managed", "Ephemeral")),
        _v("--node-osdisk-size"),
        # not an argparse enum: validated case-insensitively by validate_vm_set_type
        _v(
            "--vm-set-type",
            choices=("VirtualMachineScaleSets", "AvailabilitySet", "VirtualMachines"),
        ),
        _l("--zones", "-z"),  # space-separated: --zones 1 2 3 (az-flags.md)
        _v("--ppg"),
        _v("--http-proxy-config"),
        _v("--max-pods", "-m"),
        _s("--enable-encryption-at-host"),
        _s("--enable-ultra-ssd"),
        _s("--enable-fips-image"),
        _v("--kubelet-config"),
        _v("--linux-os-config"),
        _v("--host-group-id"),
        _v("--crg-id"),
        _v("--gpu-instance-profile", choices=("MIG1g", "MIG2g", "MIG3g", "MIG4g", "MIG7g")),
        _v("--message-of-the-day"),
        _v(
            "--workload-runtime",
            choices=("KataVmIsolation",),
            extension_choices=_AKS_PREVIEW_WORKLOAD_RUNTIMES,
        ),
        _s("--enable-azure-service-mesh", "--enable-asm"),
        _v("--revision"),
        _s("--enable-azure-monitor-metrics"),
        _v("--azure-monitor-workspace-resource-id"),
        _v("--ksm-metric-labels-allow-list"),
        _v("--ksm-metric-annotations-allow-list"),
        _v("--grafana-resource-id"),
        _s("--enable-windows-recording-rules"),
        _s("--enable-control-plane-metrics", "--enable-cp-metrics"),
        _s("--enable-azure-monitor-app-monitoring"),
        _l("--enable-azure-container-storage", empty=True),
        _v("--container-storage-version", choices=("1", "2")),
        _v("--storage-pool-name"),
        _v("--storage-pool-size"),
        _v(
            "--storage-pool-sku",
            choices=(
                "Premium_LRS",
                "Standard_LRS",
                "StandardSSD_LRS",
                "UltraSSD_LRS",
                "Premium_ZRS",
                "PremiumV2_LRS",
                "StandardSSD_ZRS",
            ),
        ),
        _v("--storage-pool-option", choices=("NVMe", "Temp")),
        _v(
            "--ephemeral-disk-volume-type",
            choices=("EphemeralVolumeOnly", "PersistentVolumeWithAnnotation"),
        ),
        _v("--ephemeral-disk-nvme-perf-tier", choices=("Basic", "Premium", "Standard")),
        _s("--yes", "-y"),
        _v("--aks-custom-headers"),
        _l("--node-public-ip-tags", empty=True),
        _v("--if-match"),
        _v("--if-none-match"),
        _s("--enable-cost-analysis"),
        _s("--enable-vtpm"),
        _s("--enable-secure-boot"),
        _s("--enable-apiserver-vnet-integration"),
        _v("--apiserver-subnet-id"),
        _v("--system-node-subnet-id"),
        _v("--node-subnet-id"),
        _s("--enable-hosted-system"),
        _v("--node-provisioning-mode", choices=("Manual", "Auto")),
        _v("--node-provisioning-default-pools", choices=("None", "Auto")),
        _s("--enable-app-routing-istio", "--enable-ari"),
        _s("--enable-gateway-api"),
        _s("--enable-upstream-kubescheduler-user-configuration"),
        _s("--no-wait"),
        # az-flags.md: "--dns-name-prefix -p, --fqdn-subdomain: strings, mutually exclusive"
        exclusive=(("--dns-name-prefix", "--fqdn-subdomain"),),
        custom=True,
    ),
    _cmd(
        "aks update",
        _v("--resource-group", "-g", required=True),
        _v("--name", "-n", required=True),
        _l("--tags", empty=True),
        _s("--disable-local-accounts"),
        _s("--enable-local-accounts"),
        _v("--ip-families"),
        _v("--network-plugin", choices=("kubenet", "azure", "none")),
        _v("--network-plugin-mode"),
        _v("--network-dataplane", choices=("azure", "cilium")),
        _v("--network-policy", choices=("azure", "calico", "cilium", "none")),
        _v("--pod-cidr"),
        _v("--load-balancer-managed-outbound-ip-count"),
        _v("--load-balancer-managed-outbound-ipv6-count"),
        # az-flags.md rule 4: aks list-ish values are ONE comma-separated word (value flags)
        _v("--load-balancer-outbound-ips"),
        _v("--load-balancer-outbound-ip-prefixes"),
        _v("--load-balancer-outbound-ports"),  # multiple of 8, [0,64000]
        _v("--load-balancer-idle-timeout"),  # [4,100] in the CLI
        _v("--load-balancer-backend-pool-type", choices=("nodeIP", "nodeIPConfiguration")),
        _v("--load-balancer-sku", choices=("standard",)),
        _v("--nat-gateway-managed-outbound-ip-count"),  # [1,16], managedNATGateway only
        _v("--nat-gateway-managed-outbound-ipv6-count", "--nat-gw-ipv6-count"),
        _v("--nat-gateway-idle-timeout"),
        _v("--outbound-type-sku", choices=("Standard", "StandardV2")),
        _v("--nat-gateway-outbound-ips", "--nat-gw-ips"),
        _v("--nat-gateway-outbound-ip-prefixes", "--nat-gw-prefixes"),
        _v(
            "--outbound-type",
            choices=(
                "loadBalancer",
                "userDefinedRouting",
                "managedNATGateway",
                "userAssignedNATGateway",
                "none",
            ),
            extension_choices=_AKS_PREVIEW_OUTBOUND,
        ),
        _v("--auto-upgrade-channel", choices=("rapid", "stable", "patch", "node-image", "none")),
        _v("--node-os-upgrade-channel"),
        _l("--cluster-autoscaler-profile", "--ca-profile"),
        _v("--sku", choices=("base", "automatic")),
        _v("--tier", choices=("free", "standard", "premium")),
        _v("--api-server-authorized-ip-ranges"),  # comma-separated; "" disables
        _s("--enable-public-fqdn"),
        _s("--disable-public-fqdn"),
        _v("--private-dns-zone"),
        _s("--enable-managed-identity"),
        _v("--assign-identity"),
        _v("--assign-kubelet-identity"),
        _s("--enable-aad"),
        _s("--enable-azure-rbac"),
        _s("--disable-azure-rbac"),
        _v("--aad-tenant-id"),
        _v("--aad-admin-group-object-ids"),
        _s("--enable-oidc-issuer"),
        _v("--k8s-support-plan", choices=("KubernetesOfficial", "AKSLongTermSupport")),
        _v("--windows-admin-password"),
        _s("--enable-ahub"),
        _s("--disable-ahub"),
        _s("--enable-windows-gmsa"),
        _v("--gmsa-dns-server"),
        _v("--gmsa-root-domain-name"),
        _s("--disable-windows-gmsa"),
        _v("--attach-acr"),
        _v("--detach-acr"),
        _v("--assignee-principal-type", "-t"),
        _v("--nrg-lockdown-restriction-level", choices=("ReadOnly", "Unrestricted")),
        _s("--enable-defender"),
        _s("--disable-defender"),
        _v("--defender-config"),
        _s("--enable-disk-driver"),
        _s("--disable-disk-driver"),
        _s("--enable-file-driver"),
        _s("--disable-file-driver"),
        _s("--enable-blob-driver"),
        _s("--disable-blob-driver"),
        _s("--enable-workload-identity"),
        _s("--disable-workload-identity"),
        _s("--enable-snapshot-controller"),
        _s("--disable-snapshot-controller"),
        _s("--enable-azure-keyvault-kms"),
        _s("--disable-azure-keyvault-kms"),
        _v("--azure-keyvault-kms-key-id"),
        _v("--azure-keyvault-kms-key-vault-network-access", choices=("Public", "Private")),
        _v("--azure-keyvault-kms-key-vault-resource-id"),
        _s("--enable-image-cleaner"),
        _s("--disable-image-cleaner"),
        _v("--image-cleaner-interval-hours"),
        _v("--http-proxy-config"),
        _s("--disable-http-proxy"),
        _s("--enable-http-proxy"),
        _s("--enable-keda"),
        _s("--disable-keda"),
        _s("--enable-vpa"),
        _s("--disable-vpa"),
        _s("--enable-force-upgrade"),
        _s("--disable-force-upgrade"),
        _v("--upgrade-override-until"),
        _v("--custom-ca-trust-certificates", "--ca-certs"),
        _s("--enable-run-command"),
        _s("--disable-run-command"),
        _s("--disable-acns"),
        _s("--enable-acns"),
        _s("--disable-acns-observability"),
        _s("--disable-acns-security"),
        _v("--acns-advanced-networkpolicies", choices=("None", "FQDN", "L7")),
        _s("--enable-container-network-logs"),
        _s("--disable-container-network-logs"),
        _v("--acns-datapath-acceleration-mode", choices=("BpfVeth", "None")),
        _v("--acns-transit-encryption-type", choices=("WireGuard", "None")),
        _b("--enable-high-log-scale-mode", choices=_TRUE_FALSE),
        _v("--bootstrap-artifact-source", choices=("Direct", "Cache")),
        _v("--bootstrap-container-registry-resource-id"),
        _s("--enable-secret-rotation"),
        _s("--disable-secret-rotation"),
        _s("--enable-ai-toolchain-operator"),
        _s("--disable-ai-toolchain-operator"),
        _v("--rotation-poll-interval"),
        _s("--enable-static-egress-gateway"),
        _s("--disable-static-egress-gateway"),
        _s("--enable-cluster-autoscaler", "-e"),
        _s("--disable-cluster-autoscaler", "-d"),
        _s("--update-cluster-autoscaler", "-u"),
        _v("--min-count"),
        _v("--max-count"),
        _l("--nodepool-labels", empty=True),
        _v("--nodepool-taints"),
        _s("--migrate-vmas-to-vms"),
        _s("--enable-azure-monitor-metrics"),
        _v("--azure-monitor-workspace-resource-id"),
        _v("--ksm-metric-labels-allow-list"),
        _v("--ksm-metric-annotations-allow-list"),
        _v("--grafana-resource-id"),
        _s("--enable-windows-recording-rules"),
        _s("--disable-azure-monitor-metrics"),
        _s("--enable-control-plane-metrics", "--enable-cp-metrics"),
        _s("--disable-control-plane-metrics", "--disable-cp-metrics"),
        _s("--enable-azure-monitor-app-monitoring"),
        _s("--disable-azure-monitor-app-monitoring"),
        _s("--enable-azure-monitor-logs"),
        _s("--disable-azure-monitor-logs"),
        _v("--workspace-resource-id"),
        _b("--enable-msi-auth-for-monitoring", choices=_TRUE_FALSE),
        _b("--enable-syslog", choices=_TRUE_FALSE),
        _v("--data-collection-settings"),
        _v("--ampls-resource-id"),
        _v("--syslog-port"),
        _s("--enable-prometheus-metrics-scraping"),
        _s("--disable-prometheus-metrics-scraping"),
        _s("--enable-opentelemetry-metrics"),
        _s("--disable-opentelemetry-metrics"),
        _v("--opentelemetry-metrics-port-http"),
        _v("--opentelemetry-metrics-port-grpc"),
        _s("--enable-opentelemetry-logs-traces"),
        _s("--disable-opentelemetry-logs-traces"),
        _v("--opentelemetry-logs-traces-port-http"),
        _v("--opentelemetry-logs-traces-port-grpc"),
        _l("--enable-azure-container-storage", empty=True),
        _l("--disable-azure-container-storage", empty=True),
        _v("--container-storage-version", choices=("1", "2")),
        _v("--storage-pool-name"),
        _v("--storage-pool-size"),
        _v(
            "--storage-pool-sku",
            choices=(
                "Premium_LRS",
                "Standard_LRS",
                "StandardSSD_LRS",
                "UltraSSD_LRS",
                "Premium_ZRS",
                "PremiumV2_LRS",
                "StandardSSD_ZRS",
            ),
        ),
        _v("--storage-pool-option", choices=("NVMe", "Temp", "all")),
        _v("--azure-container-storage-nodepools"),
        _v(
            "--ephemeral-disk-volume-type",
            choices=("EphemeralVolumeOnly", "PersistentVolumeWithAnnotation"),
        ),
        _v("--ephemeral-disk-nvme-perf-tier", choices=("Basic", "Premium", "Standard")),
        _s("--yes", "-y"),
        _v("--aks-custom-headers"),
        _v("--if-match"),
        _v("--if-none-match"),
        _s("--enable-cost-analysis"),
        _s("--disable-cost-analysis"),
        _s("--enable-apiserver-vnet-integration"),
        _v("--apiserver-subnet-id"),
        _s("--enable-private-cluster"),
        _s("--disable-private-cluster"),
        _v("--node-provisioning-mode", choices=("Manual", "Auto")),
        _v("--node-provisioning-default-pools", choices=("None", "Auto")),
        _s("--enable-app-routing-istio", "--enable-ari"),
        _s("--disable-app-routing-istio", "--disable-ari"),
        _s("--enable-gateway-api"),
        _s("--disable-gateway-api"),
        _s("--enable-upstream-kubescheduler-user-configuration"),
        _s("--disable-upstream-kubescheduler-user-configuration"),
        _s("--no-wait"),
        custom=True,
    ),
    _cmd(
        "aks show",
        _v("--resource-group", "-g", required=True),
        _v("--name", "-n", required=True),
        read=True,
        custom=True,
    ),
    _cmd(
        "aks nodepool add",
        _v("--resource-group", "-g", required=True),
        _v("--cluster-name", required=True),
        _v("--name", "--nodepool-name", "-n", required=True),
        _v("--kubernetes-version", "-k"),
        _v("--node-vm-size", "-s"),
        _v("--vm-sizes"),
        # not an argparse enum: validated case-insensitively by validate_vm_set_type
        _v(
            "--vm-set-type",
            choices=("VirtualMachineScaleSets", "AvailabilitySet", "VirtualMachines"),
        ),
        _v("--os-type"),
        _v(
            "--os-sku",
            choices=(
                "AzureLinux",
                "AzureLinux3",
                "AzureContainerLinux",
                "Ubuntu",
                "CBLMariner",
                "Mariner",
                "Ubuntu2204",
                "Ubuntu2404",
                "Windows2019",
                "Windows2022",
                "Windows2025",
            ),
        ),
        _v("--snapshot-id"),
        _v("--vnet-subnet-id"),
        _v("--pod-subnet-id"),
        _v("--pod-ip-allocation-mode", choices=("DynamicIndividual", "StaticBlock")),
        _s("--enable-node-public-ip"),
        _v("--node-public-ip-prefix-id"),
        _s("--enable-cluster-autoscaler", "-e"),
        _v("--min-count"),
        _v("--max-count"),
        _v("--node-count", "-c"),
        _v("--priority", choices=("Regular", "Spot")),
        _v("--eviction-policy", choices=("Delete", "Deallocate")),
        _v("--spot-max-price"),
        _l("--labels", empty=True),
        _l("--tags", empty=True),
        _v("--node-taints"),
        _v("--message-of-the-day"),
        _v("--node-osdisk-type", choices=("Managed", "Ephemeral")),
        _v("--node-osdisk-size"),
        _v("--max-surge"),
        _v("--max-unavailable"),
        _v("--drain-timeout"),
        _v("--node-soak-duration"),
        _v("--undrainable-node-behavior"),
        _v("--mode", choices=("System", "User", "Gateway")),
        _v("--scale-down-mode", choices=("Delete", "Deallocate")),
        _v("--max-pods", "-m"),
        _l("--zones", "-z"),
        _v("--ppg"),
        _s("--enable-encryption-at-host"),
        _s("--enable-ultra-ssd"),
        _s("--enable-fips-image"),
        _v("--kubelet-config"),
        _v("--linux-os-config"),
        _v("--aks-custom-headers"),
        _v("--host-group-id"),
        _v("--crg-id"),
        _v("--gpu-instance-profile", choices=("MIG1g", "MIG2g", "MIG3g", "MIG4g", "MIG7g")),
        _l("--allowed-host-ports"),
        _l("--asg-ids"),
        _s("--enable-managed-dranet"),
        _l("--node-public-ip-tags", empty=True),
        _s("--disable-windows-outbound-nat"),
        _v(
            "--workload-runtime",
            choices=("KataVmIsolation",),
            extension_choices=_AKS_PREVIEW_WORKLOAD_RUNTIMES,
        ),
        _s("--enable-vtpm"),
        _s("--enable-secure-boot"),
        _v("--if-match"),
        _v("--if-none-match"),
        _v("--gpu-driver", choices=("Install", "None")),
        _v("--gateway-prefix-size"),
        _v("--localdns-config"),
        _s("--enable-artifact-streaming"),
        _s("--no-wait"),
        custom=True,
    ),
    _cmd(
        "aks nodepool update",
        _v("--resource-group", "-g", required=True),
        _v("--cluster-name", required=True),
        _v("--name", "--nodepool-name", "-n", required=True),
        _s("--enable-cluster-autoscaler", "-e"),
        _s("--disable-cluster-autoscaler", "-d"),
        _s("--update-cluster-autoscaler", "-u"),
        _v("--min-count"),
        _v("--max-count"),
        _l("--labels", empty=True),
        _l("--tags", empty=True),
        _v("--node-taints"),
        _v("--max-surge"),
        _v("--max-unavailable"),
        _v("--drain-timeout"),
        _v("--node-soak-duration"),
        _v("--undrainable-node-behavior"),
        _v("--mode", choices=("System", "User", "Gateway")),
        _v("--scale-down-mode", choices=("Delete", "Deallocate")),
        _v("--aks-custom-headers"),
        _l("--allowed-host-ports"),
        _l("--asg-ids"),
        _s("--enable-managed-dranet"),
        _v(
            "--os-sku",
            choices=(
                "AzureLinux",
                "AzureLinux3",
                "AzureContainerLinux",
                "Ubuntu",
                "Ubuntu2204",
                "Ubuntu2404",
            ),
        ),
        _s("--enable-fips-image"),
        _s("--disable-fips-image"),
        _s("--enable-vtpm"),
        _s("--disable-vtpm"),
        _s("--enable-secure-boot"),
        _s("--disable-secure-boot"),
        _v("--if-match"),
        _v("--if-none-match"),
        _v("--localdns-config"),
        _v("--gpu-driver", choices=("Install", "None")),
        _s("--enable-artifact-streaming"),
        _s("--disable-artifact-streaming"),
        _s("--no-wait"),
        custom=True,
    ),
    # ---- Route tables ------------------------------------------------------------------
    _cmd(
        "network route-table create",
        _b("--no-wait"),
        _v("--resource-group", "-g", required=True),
        _v("--name", "-n", required=True),
        _v("--location", "-l"),
        _b("--disable-bgp-route-propagation"),  # boolean with explicit value (az-flags.md rule 3)
        _l("--tags"),
        _v("--disable-peering-route", choices=("All", "None")),
    ),
    _cmd(
        "network route-table show",
        _v("--resource-group", "-g", required=True),
        _v("--name", "-n", required=True),
        _v("--expand"),
        _IDS,
        read=True,
    ),
    _cmd(
        "network route-table route create",
        _b("--no-wait"),
        _v("--resource-group", "-g", required=True),
        _v("--name", "-n", required=True),
        _v("--route-table-name", required=True),
        _v("--address-prefix"),
        _v("--next-hop-ip-address"),
        _v(
            "--next-hop-type",
            choices=(
                "Internet",
                "None",
                "VirtualAppliance",
                "VirtualApplianceEcmp",
                "VirtualNetworkGateway",
                "VnetLocal",
            ),
        ),
        # ECMP object (next-hop-ip-addresses=[...]), NOT the hop type: an exact option wins
        # over prefixes, so `--next-hop VirtualAppliance` fails (az-flags.md)
        _l("--next-hop", obj=True),
    ),
    # ---- Virtual networks --------------------------------------------------------------
    _cmd(
        "network vnet create",
        _b("--no-wait"),
        _v("--resource-group", "-g", required=True),
        _v("--name", "-n", required=True),
        _v("--location", "-l"),
        _l("--address-prefixes"),
        _v("--bgp-community"),
        _v("--ddos-protection-plan"),
        _l("--dns-servers"),
        _b("--ddos-protection"),
        _b("--vm-protection"),
        _b("--enable-encryption"),
        _v(
            "--encryption-enforcement-policy",
            "--encryption-policy",
            choices=("AllowUnencrypted", "DropUnencrypted"),
        ),
        _v("--flowtimeout"),
        _v("--pe-vnet-policies", "--private-endpoint-vnet-policies", choices=("Basic", "Disabled")),
        _l("--tags"),
        _l("--ipam-allocations", "--ipam-pool-prefix-allocations"),
        _l("--sgp", "--summarized-gateway-prefixes"),
        _l("--subnets"),
        _v("--edge-zone"),
        _v("--subnet-name"),
        _l("--subnet-prefixes"),  # `--subnet-prefix` works only as an abbreviation (az-flags.md)
        _v("--network-security-group", "--nsg"),
    ),
    _cmd(
        "network vnet show",
        _v("--resource-group", "-g", required=True),
        _v("--name", "-n", required=True),
        _v("--expand"),
        _IDS,
        read=True,
    ),
    _cmd(
        "network vnet subnet create",
        _b("--no-wait"),
        _v("--resource-group", "-g", required=True),
        _v("--name", "-n", required=True),
        _v("--vnet-name", required=True),
        _l("--address-prefixes"),  # `--address-prefix` works as an abbreviation (az-flags.md)
        _b("--default-outbound", "--default-outbound-access"),
        _l("--ipam-allocations", "--ipam-pool-prefix-allocations"),
        _v("--nat-gateway"),
        _v("--network-security-group", "--nsg"),
        _v(
            "--private-endpoint-network-policies",
            "--ple-network-policies",
            choices=("Disabled", "Enabled", "NetworkSecurityGroupEnabled", "RouteTableEnabled"),
        ),
        _v(
            "--private-link-service-network-policies",
            "--pls-network-policies",
            choices=("Disabled", "Enabled"),
        ),
        _v("--route-table"),
        _l("--endpoints"),
        _v("--sharing-scope", choices=("DelegatedServices", "Tenant")),
        _l("--delegations"),
        _l("--service-endpoints"),
        _l("--service-endpoint-policy"),
        _b("--disable-private-endpoint-network-policies"),
        _b("--disable-private-link-service-network-policies"),
    ),
    _cmd(
        "network vnet subnet update",
        _b("--no-wait"),
        _l("--add"),
        _l("--set"),
        _l("--remove"),
        _b("--force-string"),
        _v("--resource-group", "-g", required=True),
        _v("--name", "-n", required=True),
        _v("--vnet-name", required=True),
        _l("--address-prefixes"),
        _b("--default-outbound", "--default-outbound-access"),
        _l("--ipam-allocations", "--ipam-pool-prefix-allocations"),
        _v("--nat-gateway"),
        _v("--network-security-group", "--nsg"),
        _v(
            "--private-endpoint-network-policies",
            "--ple-network-policies",
            choices=("Disabled", "Enabled", "NetworkSecurityGroupEnabled", "RouteTableEnabled"),
        ),
        _v(
            "--private-link-service-network-policies",
            "--pls-network-policies",
            choices=("Disabled", "Enabled"),
        ),
        _v("--route-table"),
        _l("--endpoints"),
        _v("--sharing-scope", choices=("DelegatedServices", "Tenant")),
        _l("--delegations"),
        _l("--service-endpoints"),
        _l("--service-endpoint-policy"),
        _b("--disable-private-endpoint-network-policies"),
        _b("--disable-private-link-service-network-policies"),
        _IDS,
    ),
    _cmd(
        "network vnet subnet show",
        _v("--resource-group", "-g", required=True),
        _v("--name", "-n", required=True),
        _v("--vnet-name", required=True),
        _v("--expand"),
        _IDS,
        read=True,
    ),
    _cmd(
        "network vnet subnet list",
        _v("--next-token"),
        _v("--max-items"),
        _v("--resource-group", "-g", required=True),
        _v("--vnet-name", required=True),
        read=True,
    ),
    # ---- NSGs --------------------------------------------------------------------------
    _cmd(
        "network nsg create",
        _b("--no-wait"),
        _v("--name", "-n", required=True),
        _v("--resource-group", "-g", required=True),
        _v("--location", "-l"),
        _l("--tags"),
    ),
    _cmd(
        "network nsg rule create",
        _b("--no-wait"),
        _v("--nsg-name", required=True),
        _v("--resource-group", "-g", required=True),
        _v("--name", "-n", required=True),
        _v("--access", choices=("Allow", "Deny")),
        _v("--description"),
        _v("--direction", choices=("Inbound", "Outbound")),
        _v("--priority", required=True),
        _v("--protocol", choices=("*", "Ah", "Esp", "Icmp", "Tcp", "Udp")),
        _l("--destination-address-prefixes"),
        _l("--destination-port-ranges"),
        _l("--source-address-prefixes"),
        _l("--source-port-ranges"),
        _l("--destination-asgs"),
        _l("--source-asgs"),
    ),
    # ---- NAT gateway, public IPs, load balancer ----------------------------------------
    _cmd(
        "network nat gateway create",
        _b("--no-wait"),
        _v("--name", "-n", required=True),
        _v("--resource-group", "-g", required=True),
        _v("--location", "-l"),
        _v("--idle-timeout"),
        _l("--source-vnet", obj=True),
        _v("--sku", choices=("Standard", "StandardV2")),
        _l("--tags"),
        _l("--zone", "-z"),
        _v("--nat64", choices=("Disabled", "Enabled", "None")),
        _l("--public-ip-addresses"),
        _l("--public-ip-prefixes"),
        _l("--pip-addresses-v6"),
        _l("--pip-prefixes-v6"),
    ),
    _cmd(
        "network nat gateway show",
        _v("--name", "-n", required=True),
        _v("--resource-group", "-g", required=True),
        _IDS,
        read=True,
    ),
    _cmd(
        "network public-ip create",
        _v("--resource-group", "-g", required=True),
        _v("--name", "-n", required=True),
        _v("--location", "-l"),
        _l("--tags", empty=True),
        _v("--allocation-method", choices=("Static", "Dynamic")),
        _v("--dns-name"),
        _v(
            "--dns-name-scope",
            choices=("NoReuse", "ResourceGroupReuse", "SubscriptionReuse", "TenantReuse"),
        ),
        _v("--idle-timeout"),
        _v("--reverse-fqdn"),
        _v("--version", choices=("IPv4", "IPv6")),
        _v("--sku", choices=("Basic", "Standard", "StandardV2")),
        _v("--tier", choices=("Regional", "Global")),
        _l("--zone", "-z"),
        _l("--ip-tags"),
        _v("--public-ip-prefix"),
        _v("--edge-zone"),
        _v("--ip-address"),
        _v(
            "--ddos-protection-mode",
            "--protection-mode",
            choices=("Enabled", "Disabled", "VirtualNetworkInherited"),
        ),
        _v("--ddos-protection-plan"),
        _v("--ddos-custom-policy"),
        _v("--first-party-service-tag-id", "--fpst-id"),
        custom=True,
    ),
    _cmd(
        "network public-ip show",
        _v("--name", "-n", required=True),
        _v("--resource-group", "-g", required=True),
        _v("--expand"),
        _IDS,
        read=True,
    ),
    _cmd(
        "network public-ip prefix create",
        _b("--no-wait"),
        _v("--name", "-n", required=True),
        _v("--resource-group", "-g", required=True),
        _v("--edge-zone"),
        _v("--location", "-l"),
        _v("--custom-ip-prefix-name"),
        _v("--length"),
        _v("--version", choices=("IPv4", "IPv6")),
        _v("--tier", choices=("Global", "Regional")),
        _l("--tags"),
        _l("--zone", "-z"),
        _v("--sku", choices=("Standard", "StandardV2")),
        _l("--ip-tags"),
        _v("--first-party-service-tag-id", "--fpst-id"),
    ),
    _cmd(
        "network public-ip prefix show",
        _v("--name", "-n", required=True),
        _v("--resource-group", "-g", required=True),
        _v("--expand"),
        _IDS,
        read=True,
    ),
    _cmd(
        "network lb outbound-rule create",
        _b("--no-wait"),
        _v("--lb-name", required=True),
        _v("--resource-group", "-g", required=True),
        _v("--name", "-n", required=True),
        _v("--allocated-outbound-ports", "--outbound-ports"),
        _v("--backend-address-pool", "--address-pool", required=True),
        _b("--enable-tcp-reset"),
        _v("--idle-timeout", "--idle-timeout-in-minutes"),
        _v("--protocol", choices=("All", "Tcp", "Udp"), required=True),
        _l("--frontend-ip-configs"),
    ),
    _cmd(
        "network lb outbound-rule update",
        _b("--no-wait"),
        _l("--add"),
        _l("--set"),
        _l("--remove"),
        _b("--force-string"),
        _v("--lb-name", required=True),
        _v("--resource-group", "-g", required=True),
        _v("--name", "-n", required=True),
        _v("--allocated-outbound-ports", "--outbound-ports"),
        _v("--backend-address-pool", "--address-pool"),
        _b("--enable-tcp-reset"),
        _v("--idle-timeout", "--idle-timeout-in-minutes"),
        _v("--protocol", choices=("All", "Tcp", "Udp")),
        _l("--frontend-ip-configs"),
    ),
    # ---- Azure Firewall (extension azure-firewall; az-flags.md) ------------------------
    _cmd(
        "network firewall create",
        _v("--name", "-n", required=True),
        _v("--resource-group", "-g", required=True),
        _v("--location", "-l"),
        _v("--firewall-policy", "--policy"),
        _v("--sku", choices=("AZFW_Hub", "AZFW_VNet")),
        # "take effect only when --sku is set" (az-flags.md)
        _v("--tier", choices=("Basic", "Premium", "Standard")),
        _v("--threat-intel-mode", choices=("Alert", "Deny", "Off")),
        _v("--vhub", "--virtual-hub"),
        _l("--tags"),
        _l("--zones", "-z"),
        _v("--max-capacity"),
        _v("--min-capacity"),
        # management IP config; required for --sku AZFW_VNet --tier Basic (az-flags.md)
        _v("--m-conf-name"),
        _v("--m-public-ip"),
        _l("--extended-location", obj=True),
        _v("--count", "--public-ip-count"),  # AZFW_Hub only
        _l("--private-ranges"),
        _b("--allow-active-ftp"),
        _b("--enable-fat-flow-logging", "--fat-flow-logging"),
        _b("--enable-udp-log-optimization", "--udp-log-optimization"),
        _l("--dns-servers"),
        _b("--enable-dns-proxy"),
        _b("--require-dns-proxy-for-network-rules", hidden=True),  # older extension releases
        _v("--route-server-id"),
        # data-path IP config created inline; subnet forced to AzureFirewallSubnet of
        # --vnet-name (az-flags.md)
        _v("--conf-name"),
        _v("--public-ip"),
        _v("--vnet-name"),
        _b("--enable-explicit-proxy"),
        _v("--http-port"),
        _v("--https-port"),
        _b("--enable-pac-file"),
        _v("--pac-file-port"),
        _v("--pac-file"),
        _b("--no-wait"),
        extension=_FIREWALL_EXT,
    ),
    _cmd(
        "network firewall show",
        _v("--name", "-n", required=True),
        _v("--resource-group", "-g", required=True),
        _IDS,
        extension=_FIREWALL_EXT,
        read=True,
    ),
    _cmd(
        "network firewall ip-config create",
        _v("--resource-group", "-g", required=True),
        _v("--firewall-name", "-f", required=True),
        _v("--name", "-n", required=True),
        _v("--public-ip-address", required=True),
        # "should contain one subnet called AzureFirewallSubnet" (subnet name hard-coded)
        _v("--vnet-name"),
        _v("--subnet", hidden=True),
        _v("--private-ip-address", hidden=True),  # deprecated in 0.2.0, hidden (az-flags.md)
        _v("--m-name"),
        _v("--m-public-ip-address"),
        _v("--m-vnet-name"),
        _v("--management-subnet", hidden=True),
        extension=_FIREWALL_EXT,
        custom=True,
    ),
    _cmd(
        "network firewall ip-config list",
        _v("--resource-group", "-g", required=True),
        _v("--firewall-name", "-f", required=True),
        extension=_FIREWALL_EXT,
        custom=True,
        read=True,
    ),
    _cmd(
        "network firewall network-rule create",
        *_af_rule_common(),
        _l("--protocols", required=True, choices=("Any", "ICMP", "TCP", "UDP")),
        _l("--destination-ports", required=True),  # `*` = all
        _l("--destination-addresses", "--dest-addr"),  # IPs, CIDRs, service tags
        _l("--destination-fqdns"),
        _l("--destination-ip-groups"),
        _v("--action", choices=("Allow", "Deny")),  # only when creating the collection
        extension=_FIREWALL_EXT,
        # tested (az-flags.md): "usage error: --destination-addresses | --destination-fqdns |
        # --destination-ip-groups"
        one_of=(("--destination-addresses", "--destination-fqdns", "--destination-ip-groups"),),
        custom=True,
    ),
    _cmd(
        "network firewall application-rule create",
        *_af_rule_common(),
        _l("--protocols", required=True),  # PROTOCOL=PORT pairs: Http=80 Https=443
        _l("--target-fqdns"),
        _l("--fqdn-tags"),
        _v("--action", choices=("Allow", "Deny")),  # only when creating the collection
        extension=_FIREWALL_EXT,
        custom=True,
    ),
    _cmd(
        "network firewall nat-rule create",
        *_af_rule_common(),
        _l("--protocols", required=True, choices=("Any", "ICMP", "TCP", "UDP")),
        _l("--destination-addresses", "--dest-addr", required=True),  # firewall public IP(s)
        _l("--destination-ports", required=True),
        _v("--translated-port", required=True),
        _v("--translated-address"),
        _v("--translated-fqdn"),
        _v("--action", choices=("Dnat", "Snat")),  # only when creating the collection
        extension=_FIREWALL_EXT,
        one_of=(("--translated-address", "--translated-fqdn"),),
        custom=True,
    ),
    _cmd(
        "network firewall policy show",
        _v("--name", "-n", required=True),
        _v("--resource-group", "-g", required=True),
        _IDS,
        extension=_FIREWALL_EXT,
        read=True,
    ),
    _cmd(
        "network firewall policy create",
        _v("--name", "-n", required=True),
        _v("--resource-group", "-g", required=True),
        _v("--location", "-l"),
        _v("--base-policy"),
        _v("--sku", choices=("Basic", "Premium", "Standard")),
        _b("--sql"),
        _v("--threat-intel-mode", choices=("Alert", "Deny", "Off")),
        _l("--tags"),
        _b("--enable-dns-proxy"),
        _l("--dns-servers"),
        _l("--explicit-proxy", obj=True),
        _v("--identity"),
        _v("--idps-mode", choices=("Alert", "Deny", "Off")),
        _v("--idps-profile", choices=("Off", "Emerging", "Core", "Extended")),
        _v("--auto-learn-private-ranges", "--learn-ranges", choices=("Disabled", "Enabled")),
        _l("--private-ranges"),
        _v("--key-vault-secret-id"),
        _v("--cert-name"),
        _l("--fqdns"),
        _l("--ip-addresses"),
        _b("--no-wait"),
        extension=_FIREWALL_EXT,
    ),
    _cmd(
        "network firewall policy rule-collection-group create",
        _v("--name", "-n", required=True),
        _v("--policy-name", required=True),
        _v("--resource-group", "-g", required=True),
        _v("--priority", required=True),  # 100-65000, client-validated (az-flags.md)
        _b("--no-wait"),
        extension=_FIREWALL_EXT,
    ),
    _cmd(
        "network firewall policy rule-collection-group collection add-filter-collection",
        _v("--name", "-n", required=True),  # the collection name
        *_rcg_update_common(),
        _v("--collection-priority", required=True),  # 100-65000 (az-flags.md)
        _v("--action", choices=("Allow", "Deny")),
        _v("--rule-name"),
        _v("--rule-type", choices=("ApplicationRule", "NatRule", "NetworkRule")),
        *_rule_flags(),
        extension=_FIREWALL_EXT,
        # custom.py: "usage error: --target-fqdns | --fqdn-tags"
        exclusive=(("--target-fqdns", "--fqdn-tags"),),
    ),
    _cmd(
        "network firewall policy rule-collection-group collection add-nat-collection",
        _v("--name", "-n", required=True),  # the collection name
        *_rcg_update_common(),
        _v("--collection-priority", required=True),
        _v("--action", choices=("DNAT", "SNAT")),
        _v("--rule-name"),
        _v("--description"),
        _l("--source-addresses"),
        _l("--source-ip-groups"),
        _l("--destination-addresses", "--dest-addr"),
        _l("--destination-ports"),
        _l("--ip-protocols", required=True),  # enum not enforced per element (az-flags.md)
        _v("--translated-address"),
        _v("--translated-fqdn"),
        _v("--translated-port"),
        extension=_FIREWALL_EXT,
    ),
    _cmd(
        "network firewall policy rule-collection-group collection rule add",
        _v("--name", "-n", required=True),  # the rule name
        _v("--collection-name", required=True),
        *_rcg_update_common(),
        _v("--rule-type", required=True, choices=("ApplicationRule", "NatRule", "NetworkRule")),
        *_rule_flags(),
        _v("--translated-address"),
        _v("--translated-fqdn"),
        _v("--translated-port"),
        extension=_FIREWALL_EXT,
    ),
    # ---- Identity, resource groups, deployments ----------------------------------------
    _cmd(
        "identity create",
        _v("--resource-group", "-g", required=True),
        _v("--name", "--resource-name", "-n", required=True),
        _v("--location", "-l"),
        _l("--tags"),
        _l("--resource-restriction"),
        _v("--isolation-scope", choices=("None", "Regional")),
    ),
    _cmd(
        "identity show",
        _v("--resource-group", "-g", required=True),
        _v("--name", "--resource-name", "-n", required=True),
        _IDS,
        read=True,
    ),
    _cmd(
        "group create",
        _v("--name", "--resource-group", "-n", "-g", required=True),
        _v("--location", "-l", required=True),
        _l("--tags", empty=True),
        _v("--managed-by"),
        custom=True,
    ),
    _cmd(
        "deployment group create",
        _v("--resource-group", "-g", required=True),
        _v("--template-file", "-f"),
        _v("--template-uri", "-u"),
        _l("--parameters", "-p"),
        _v("--name", "-n"),
        _v("--mode", choices=("Incremental", "Complete")),
        _b("--rollback-on-error", choices=()),
        _s("--handle-extended-json-format", "-j"),
        _l("--aux-subs"),
        _l("--aux-tenants"),
        _b("--no-prompt", choices=_TRUE_FALSE),
        _s("--confirm-with-what-if", "-c"),
        _v("--what-if-result-format", "-r", choices=("ResourceIdOnly", "FullResourcePayloads")),
        _l(
            "--what-if-exclude-change-types",
            "-x",
            choices=("Create", "Delete", "Ignore", "Deploy", "NoChange", "Modify", "Unsupported"),
        ),
        _v("--template-spec", "-s"),
        _v("--query-string", "-q"),
        _s("--what-if", "-w"),
        _s("--proceed-if-no-change"),
        _v("--validation-level", choices=("Template", "Provider", "ProviderNoRbac")),
        _s("--no-wait"),
        # "incorrect usage: Choose only one of --template-file FILE | --template-uri URI"
        # (none of them is fine with a .bicepparam file in --parameters)
        exclusive=(("--template-file", "--template-uri", "--template-spec"),),
        custom=True,
    ),
)

COMMANDS: dict[tuple[str, ...], CommandSpec] = {spec.path: spec for spec in _TABLE}
_MAX_PATH = max(len(path) for path in COMMANDS)


# --------------------------------------------------------------------------------------------
# Finding a command


def find_command(words: Sequence[str | None]) -> tuple[CommandSpec, int] | None:
    """The longest table command that ``words`` (the argv after ``az``; None for non-literal
    words) starts with, and how many words its path used. None for commands outside the table
    (the linter ignores those silently)."""
    literal: list[str] = []
    for word in words[:_MAX_PATH]:
        if word is None:
            break
        literal.append(word)
    for length in range(len(literal), 0, -1):
        spec = COMMANDS.get(tuple(literal[:length]))
        if spec is not None:
            return spec, length
    return None


# --------------------------------------------------------------------------------------------
# Binding arguments

_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")  # argparse's _negative_number_matcher


@dataclass(frozen=True, slots=True)
class _Option:
    flag: Flag
    option: str  # the option string it resolved to
    explicit: str | None  # the value attached with '=' (or to a short option), if any


@dataclass(frozen=True, slots=True)
class _Ambiguous:
    prefix: str
    candidates: tuple[tuple[str, Flag], ...]  # (option string, its flag), in table order


@dataclass(frozen=True, slots=True)
class _Unknown:
    pass


_VALUE = None  # _resolve() result for a word that is a value, not an option
_UNKNOWN = _Unknown()
_Resolution = _Option | _Ambiguous | _Unknown | None


def _resolve(spec: CommandSpec, text: str) -> _Resolution:
    """What argparse makes of a literal word (``ArgumentParser._parse_optional``)."""
    if not text or text[0] != "-":
        return _VALUE
    flag = spec.flag(text)
    if flag is not None:
        return _Option(flag, text, None)
    if len(text) == 1:
        return _VALUE
    head, sep, explicit = text.partition("=")
    if sep:
        flag = spec.flag(head)
        if flag is not None:
            return _Option(flag, head, explicit)
    if text[1] != "-" and spec.flag("-" + head) is not None:
        # `-location`: argparse would read `-l ocation`, which az then rejects one way or
        # another; the user meant `--location`.
        return _UNKNOWN
    matches: list[_Option] = []
    for option, flag in spec.option_strings():
        if text[1] != "-" and option == text[:2]:
            matches.append(_Option(flag, option, text[2:]))  # `-gMyGroup`
        elif option.startswith(head):
            matches.append(_Option(flag, option, explicit if sep else None))
    if len(matches) == 1:
        return matches[0]
    if matches:
        return _Ambiguous(head, tuple((m.option, m.flag) for m in matches))
    if _NEGATIVE_NUMBER.match(text) or " " in text:
        return _VALUE
    return _UNKNOWN


def _odd_space(text: str | None) -> str | None:
    """The first space character other than a plain space or tab in ``text`` (a no-break space
    pasted from a web page), described for a message; None when there is none."""
    for ch in text or "":
        if ch not in " \t" and unicodedata.category(ch) == "Zs":
            return f"a {unicodedata.name(ch, 'space').lower()} (U+{ord(ch):04X})"
    return None


def _is_value(spec: CommandSpec, text: str | None) -> bool:
    return text is None or _resolve(spec, text) is _VALUE


def _suggest(word: str, candidates: Sequence[str]) -> str | None:
    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return matches[0] if matches else None


def _suggest_flag(spec: CommandSpec, text: str) -> str | None:
    head = "--" + text.partition("=")[0].lstrip("-")
    candidates = [
        option
        for option, flag in spec.option_strings()
        if option.startswith("--") and not flag.hidden
    ]
    return _suggest(head, candidates)


def _choice_error(spec: CommandSpec, flag: Flag, value: str, token: T) -> ArgError[T]:
    allowed = ", ".join(flag.choices)
    if flag.case_sensitive:
        lowered = [c for c in flag.choices if c.lower() == value.lower()]
        if lowered:
            return ArgError(
                "bad-choice",
                token,
                f"'{value}' is not a valid value for '{flag.name}' of '{spec.display}': az "
                f"requires lowercase; did you mean '{lowered[0]}'?",
                lowered[0],
                (flag.name,),
            )
    by_lower = {c.lower(): c for c in flag.choices}
    close = _suggest(value.lower(), list(by_lower))
    suggestion = by_lower[close] if close is not None else None
    message = (
        f"'{value}' is not a valid value for '{flag.name}' of '{spec.display}'. "
        f"Allowed values: {allowed}."
    )
    if suggestion is not None:
        message += f" Did you mean '{suggestion}'?"
    return ArgError("bad-choice", token, message, suggestion, (flag.name,))


def _is_shorthand(text: str) -> bool:
    """Could ``text`` be an aaz object value (``key=value``, ``{...}``, JSON or ``@file``)?"""
    return "=" in text or text.startswith(("{", "@"))


def _object_error(spec: CommandSpec, flag: Flag, value: str, token: T) -> ArgError[T]:
    message = (
        f"'{flag.name}' of '{spec.display}' expects an object (shorthand key=value, JSON or "
        f"@file), not '{value}' (az: dict type value expected)"
    )
    # The classic mix-up: `--next-hop VirtualAppliance` meant `--next-hop-type`.
    for other in spec.flags:
        if other.kind == "value" and other.choices and other.canonical_choice(value):
            message += f"; did you mean '{other.name} {other.canonical_choice(value)}'?"
            return ArgError("bad-value", token, message, other.name, (flag.name,))
    return ArgError("bad-value", token, message, None, (flag.name,))


def bind(spec: CommandSpec, args: Sequence[tuple[str | None, T]]) -> Binding[T]:
    """Parse ``args`` (the words after the command path: literal text or None, and the
    caller's token for each) against ``spec`` the way az does, collecting every problem
    instead of stopping at the first."""
    binding: Binding[T] = Binding(spec)
    errors = binding.errors
    count = len(args)
    index = 0
    end_of_options = False
    # The flag whose value(s) the previous word completed, for the positional hint.
    previous: Bound[T] | None = None

    def skip_values(start: int) -> int:
        while start < count and _is_value(spec, args[start][0]):
            start += 1
        return start

    while index < count:
        text, token = args[index]
        index += 1
        if text is None:
            binding.opaque.append(token)
            previous = None
            continue
        if end_of_options:
            resolution: _Resolution = _VALUE
        elif text == "--":
            end_of_options = True
            continue
        else:
            resolution = _resolve(spec, text)

        if resolution is _VALUE:
            binding.positionals.append(token)
            message = (
                f"unexpected argument '{text}' for '{spec.display}' (az: unrecognized arguments)"
            )
            if previous is not None and previous.flag.kind in ("value", "bool"):
                odd = _odd_space(previous.canonical_values[-1] if previous.canonical_values else None)
                if odd is not None:
                    # a no-break space pasted from a web page: the shell does not split on it, so
                    # the next flag became part of the previous value
                    message += (
                        f"; the value of '{previous.written}' contains {odd}, which the shell does not "
                        "treat as a separator, so what follows it joined that value; type a plain space"
                    )
                else:
                    message += (
                        f"; it follows '{previous.written}', which takes a single value "
                        "(quote values that contain spaces)"
                    )
            errors.append(ArgError("positional", token, message))
            previous = None
            continue
        previous = None

        if isinstance(resolution, _Unknown):
            suggestion = _suggest_flag(spec, text)
            message = f"unknown flag '{text}' for '{spec.display}'"
            if suggestion is not None:
                message += f"; did you mean '{suggestion}'?"
            errors.append(ArgError("unknown-flag", token, message, suggestion))
            index = skip_values(index)
            continue
        if isinstance(resolution, _Ambiguous):
            errors.append(
                ArgError(
                    "ambiguous-flag",
                    token,
                    f"ambiguous flag '{resolution.prefix}' for '{spec.display}': could match "
                    + ", ".join(option for option, _ in resolution.candidates),
                    None,
                    tuple(dict.fromkeys(flag.name for _, flag in resolution.candidates)),
                )
            )
            index = skip_values(index)
            continue

        assert isinstance(resolution, _Option)
        flag = resolution.flag
        if flag.name in _REJECTED:
            errors.append(
                ArgError("unknown-flag", token, f"unknown flag '{text}' for '{spec.display}'")
            )
            index = skip_values(index)
            continue
        values: list[T] = []
        texts: list[str | None] = []
        if flag.kind == "switch":
            if resolution.explicit is not None:
                errors.append(
                    ArgError(
                        "unexpected-value",
                        token,
                        f"'{resolution.option}' of '{spec.display}' takes no value "
                        f"(got '{resolution.explicit}')",
                        None,
                        (flag.name,),
                    )
                )
        elif resolution.explicit is not None:
            # `--flag=value` gives exactly one value, for list flags too (argparse).
            values.append(token)
            texts.append(resolution.explicit)
        elif flag.kind == "list":
            while index < count and _is_value(spec, args[index][0]):
                texts.append(args[index][0])
                values.append(args[index][1])
                index += 1
            if not values and not flag.allow_empty:
                errors.append(
                    ArgError(
                        "missing-value",
                        token,
                        f"missing value for '{resolution.option}' of '{spec.display}' "
                        "(expected at least one argument)",
                        None,
                        (flag.name,),
                    )
                )
        elif index < count and _is_value(spec, args[index][0]):  # value or bool
            texts.append(args[index][0])
            values.append(args[index][1])
            index += 1
        elif flag.kind == "value":
            errors.append(
                ArgError(
                    "missing-value",
                    token,
                    f"missing value for '{resolution.option}' of '{spec.display}' "
                    "(expected one argument)",
                    None,
                    (flag.name,),
                )
            )

        canonical: list[str | None] = []
        for value_text, value_token in zip(texts, values, strict=True):
            if value_text is not None and flag.object_value and not _is_shorthand(value_text):
                errors.append(_object_error(spec, flag, value_text, value_token))
                canonical.append(None)
                continue
            if value_text is None or not flag.choices:
                canonical.append(value_text)
                continue
            choice = flag.canonical_choice(value_text)
            if choice is None:
                errors.append(_choice_error(spec, flag, value_text, value_token))
            canonical.append(choice)

        inline = resolution.explicit is not None and flag.kind != "switch"
        if resolution.explicit is None:
            written = text
        elif text.startswith("--") or "=" in text:
            written = text.partition("=")[0]
        else:
            written = text[:2]  # `-gMyGroup`
        bound = Bound(flag, token, values, canonical, written, inline)
        binding.args[flag.name] = bound
        binding.occurrences.append(bound)
        if values:
            previous = bound

    _check_groups(binding)
    return binding


def _check_groups(binding: Binding[T]) -> None:
    """Required flags, one-of and mutually exclusive groups (after parsing, like az)."""
    spec, args, errors = binding.spec, binding.args, binding.errors
    if "--help" in args:
        return  # az prints help and exits
    # A non-literal word where an option was expected may expand to the missing ones.
    may_hide_flags = bool(binding.opaque)
    ids_given = "--ids" in args

    missing = [
        flag
        for flag in spec.flags
        if flag.required and flag.name not in args and not (ids_given and flag.name in _ID_PARTS)
    ]
    if missing and not may_hide_flags:
        plural = "s" if len(missing) > 1 else ""
        errors.append(
            ArgError(
                "missing-required",
                None,
                f"'{spec.display}' is missing required argument{plural}: "
                + ", ".join(flag.display for flag in missing),
                None,
                tuple(flag.name for flag in missing),
            )
        )

    for group in spec.one_of:
        given = [name for name in group if name in args]
        if len(given) > 1:
            errors.append(_too_many(binding, group, given, "exactly one"))
        elif not given and not may_hide_flags:
            errors.append(
                ArgError(
                    "one-of",
                    None,
                    f"'{spec.display}' needs exactly one of {' | '.join(group)}; none given",
                    None,
                    group,
                )
            )
    for group in spec.exclusive:
        given = [name for name in group if name in args]
        if len(given) > 1:
            errors.append(_too_many(binding, group, given, "at most one"))


def _too_many(
    binding: Binding[T], group: tuple[str, ...], given: list[str], how_many: str
) -> ArgError[T]:
    # Report at whichever of the flags was written last.
    position = {id(bound): i for i, bound in enumerate(binding.occurrences)}
    last = max(given, key=lambda name: position[id(binding.args[name])])
    return ArgError(
        "one-of",
        binding.args[last].flag_token,
        f"'{binding.spec.display}' accepts {how_many} of {' | '.join(group)}; got "
        + " and ".join(given),
        None,
        tuple(given),
    )
