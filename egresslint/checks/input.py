"""EGL0xx: problems with the input itself.

Frontends find these while reading files (they know syntax and the az command table); the
inventory adds what only replay can see. Each rule here reports the diagnostics with its ID,
so ``--select``/``--ignore``, suppressions and baselines treat them like any other finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from egresslint.checks.base import Rule
from egresslint.findings import Finding, Severity
from egresslint.model import Location, Value

if TYPE_CHECKING:
    from egresslint.inventory import Inventory

AZ_FLAGS_DOC = "https://learn.microsoft.com/cli/azure/use-azure-cli-successfully"


class InputRule(Rule):
    """A rule whose findings are produced while reading input."""

    def check(self, inventory: Inventory) -> Iterator[Finding]:
        for finding in inventory.diagnostics:
            if finding.rule_id == self.id:
                yield finding


class ParseError(InputRule):
    id = "EGL001"
    name = "parse-error"
    severity = Severity.ERROR
    summary = "A file that should be scanned cannot be parsed."
    rationale = (
        "A script with an unterminated quote or `$(`, JSON or YAML that does not load, or an ARM "
        "expression that does not parse fails the same way when the tool that consumes it runs. "
        "The finding points where parsing stopped; everything before it is still analysed and "
        "the rest of the scan goes on."
    )
    example = 'az network vnet create -g rg -n "hub-vnet --address-prefixes 10.0.0.0/16'
    fix = 'az network vnet create -g rg -n "hub-vnet" --address-prefixes 10.0.0.0/16'
    sources = ("https://www.gnu.org/software/bash/manual/bash.html#Quoting",)
    tags = ("input",)


class TypographicPunctuation(InputRule):
    id = "EGL002"
    name = "typographic-punctuation"
    severity = Severity.ERROR
    summary = "A flag starts with an en dash, em dash or Unicode minus, or bash sees curly quotes."
    rationale = (
        "Blogs and word processors turn `--` into an en dash and straight quotes into curly ones. "
        "Pasted into a shell, `–outbound-type` reaches az as a positional argument, and in bash "
        "`“Standard”` is passed with the quote characters inside the value. PowerShell treats curly "
        "quotes as quotes but passes dashes through unchanged, so dashes are flagged in both "
        "dialects and quotes only in bash. egresslint still reads the command as it was meant, so "
        "the other rules keep working."
    )
    example = "az aks create -g rg -n aks –outbound-type userDefinedRouting --sku “Standard”"
    fix = 'az aks create -g rg -n aks --outbound-type userDefinedRouting --sku "Standard"'
    sources = ("https://learn.microsoft.com/cli/azure/use-azure-cli-successfully-quoting",)
    tags = ("input", "copy-paste")
    precision = "very-high"


class UnknownAzFlag(InputRule):
    id = "EGL003"
    name = "unknown-az-flag"
    severity = Severity.ERROR
    summary = "A flag (or enum value) that the az command does not accept."
    rationale = (
        "az refuses the whole command when a flag is unknown, ambiguous, or has a value outside "
        "its allowed list, so the resource is never created or changed. Like az, egresslint "
        "accepts unambiguous prefixes of long flags (`--subnet-prefix` for `--subnet-prefixes`) and "
        "enum values in any case. Commands that are not in egresslint's table are not checked."
    )
    example = "az network route-table route create -g rg --route-table-name rt -n default \\\n" \
              "  --address-prefix 0.0.0.0/0 --next-hop-type NVA --next-hop-ip 10.0.1.4"
    fix = "az network route-table route create -g rg --route-table-name rt -n default \\\n" \
          "  --address-prefix 0.0.0.0/0 --next-hop-type VirtualAppliance --next-hop-ip-address 10.0.1.4"
    sources = ("https://learn.microsoft.com/cli/azure/network/route-table/route",)
    tags = ("input", "az-cli")
    precision = "very-high"


class UnresolvedValue(InputRule):
    id = "EGL004"
    name = "unresolved-value"
    severity = Severity.INFO
    summary = "A value a check needed is unknown, so the dependent checks were skipped for it."
    rationale = (
        "Scans are partial: a variable may be set by the pipeline, an ARM parameter may have no "
        "default, a next hop may be a hub appliance in another repository. egresslint never "
        "reports an error on a value it cannot know; it says here which value and which check "
        "was skipped, so you can provide it (config `facts:`) or accept it. Statements the parser "
        "could not understand are reported here too."
    )
    example = "az network route-table route create ... --next-hop-ip-address $HUB_FW_IP   # never set"
    fix = "HUB_FW_IP=10.0.1.4\naz network route-table route create ... --next-hop-ip-address $HUB_FW_IP"
    sources = ("https://learn.microsoft.com/azure/aks/limit-egress-traffic",)
    tags = ("input",)


class MissingRequiredArgument(InputRule):
    id = "EGL005"
    name = "missing-required-argument"
    severity = Severity.ERROR
    summary = "An az command lacks an argument it cannot run without."
    rationale = (
        "Besides arguments az always requires, some are required by context: a route to a "
        "`VirtualAppliance` needs `--next-hop-ip-address`, and the first `az network firewall "
        "network-rule/application-rule create` of a classic collection that does not exist yet "
        "needs `--priority` and `--action` (the azure-firewall extension refuses it otherwise, "
        "so that rule is never created; Microsoft's own AKS walkthrough once had this defect)."
    )
    example = ("az network firewall network-rule create -g rg -f fw --collection-name aksfwnr -n apitcp \\\n"
               "  --protocols TCP --source-addresses '*' --destination-addresses AzureCloud.westeurope "
               "--destination-ports 9000")
    fix = ("az network firewall network-rule create -g rg -f fw --collection-name aksfwnr -n apitcp \\\n"
           "  --protocols TCP --source-addresses '*' --destination-addresses AzureCloud.westeurope "
           "--destination-ports 9000 \\\n  --action allow --priority 100")
    sources = ("https://learn.microsoft.com/azure/aks/limit-egress-traffic",
               "https://github.com/Azure/azure-cli-extensions/issues/2186")
    tags = ("input", "az-cli")


class AzQueryMismatch(InputRule):
    id = "EGL007"
    name = "az-query-mismatch"
    severity = Severity.WARNING
    summary = "A --query names a property the command's output spells differently."
    rationale = (
        "JMESPath is case-sensitive. `az network firewall show --query "
        "\"ipConfigurations[0].privateIpAddress\"` (the spelling of older docs) prints nothing on "
        "the current CLI, which returns `privateIPAddress`; the variable is then empty and the "
        "route that uses it gets no next hop. egresslint still understands the value as meant, so "
        "the routing rules keep working."
    )
    example = ('FW_IP=$(az network firewall show -g rg -n fw '
               '--query "ipConfigurations[0].privateIpAddress" -o tsv)')
    fix = ('FW_IP=$(az network firewall show -g rg -n fw '
           '--query "ipConfigurations[0].privateIPAddress" -o tsv)')
    sources = ("https://learn.microsoft.com/azure/aks/limit-egress-traffic",
               "https://learn.microsoft.com/cli/azure/query-azure-cli")
    tags = ("input", "az-cli")


def unresolved(value: Value | None, what: str, location: Location | None = None, subject: str = "") -> Finding:
    """An EGL004 finding for a check that needed ``value`` (described by ``what``)."""
    where = location or (value.location if value is not None else None)
    assert where is not None, "an unresolved-value finding needs a location"
    shown = value.text if value is not None else "a value"
    if value is not None and value.known is not None and value.known != value.text:
        # a value an expression computed (an ARM parameter's default): say what it came to
        shown = f"{value.known} ({value.text})"
    reason = f" ({value.reason})" if value is not None and value.reason else ""
    return Finding(
        rule_id=UnresolvedValue.id,
        message=f"{what}: {shown} is not known to the scan{reason}; the check was skipped",
        severity=UnresolvedValue.severity,
        location=where,
        subject=subject or f"unresolved:{value.text if value is not None else shown}",
    )


class UnusedSuppression(InputRule):
    id = "EGL006"
    name = "unused-suppression"
    severity = Severity.INFO
    summary = "An inline suppression that matches no finding, or whose until: date has passed."
    rationale = (
        "Suppressions outlive the problems they hid: a route gets fixed, a rule renamed, and the "
        "comment stays, ready to hide the next real finding on that line. An `until:` date makes a "
        "suppression expire; after it the finding shows again and this rule says why. Reported by "
        "the suppression pass that runs after all rules."
    )
    example = ("az network route-table route create -g rg --route-table-name rt -n default \\\n"
               "  --address-prefix 0.0.0.0/0 --next-hop-type Internet  # egresslint: ignore[EGL103]")
    fix = ("# egresslint: ignore[EGL102] reason: migration window  until: 2027-01-31\n"
           "az network route-table route create -g rg --route-table-name rt -n default \\\n"
           "  --address-prefix 0.0.0.0/0 --next-hop-type Internet")
    sources = ("https://docs.astral.sh/ruff/rules/unused-noqa/",)
    tags = ("input", "suppression")


class BrokenLineContinuation(InputRule):
    id = "EGL008"
    name = "broken-line-continuation"
    severity = Severity.ERROR
    summary = "A command meant to continue onto the next line ends: no backslash, or a blank after it."
    rationale = (
        "Long az commands are split over lines with a trailing backslash. When one backslash is "
        "missing, or followed by a blank (then it escapes the blank, not the newline), the command "
        "ends there: az runs without the options below (often `--outbound-type`, `--vnet-subnet-id` "
        "or `--assign-identity`, so the cluster is created with the wrong egress), and the shell "
        "then runs `--option` as a program and fails with \"command not found\". Docs lose "
        "backslashes when code is reformatted, and pasted commands carry them over."
    )
    example = ("az aks create -g rg -n aks --network-plugin azure \\\n"
               "  --vnet-subnet-id $SUBNET_ID\n"
               "  --outbound-type userDefinedRouting")
    fix = ("az aks create -g rg -n aks --network-plugin azure \\\n"
           "  --vnet-subnet-id $SUBNET_ID \\\n"
           "  --outbound-type userDefinedRouting")
    sources = ("https://www.gnu.org/software/bash/manual/bash.html#Escape-Character",
               "https://learn.microsoft.com/cli/azure/use-azure-cli-successfully-tips")
    tags = ("input", "copy-paste")
    precision = "very-high"


RULES = (ParseError, TypographicPunctuation, UnknownAzFlag, UnresolvedValue, MissingRequiredArgument,
         UnusedSuppression, AzQueryMismatch, BrokenLineContinuation)
