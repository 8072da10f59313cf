"""EGL1xx: routing. Decisions are made on the computed egress path of each cluster's node
subnet (longest-prefix match over its route table and Azure's system routes), never on flags
alone. What the scan cannot know is EGL004 (info), never an error."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from egresslint import net
from egresslint.checks.base import Rule, setter, spelled
from egresslint.checks.input import unresolved
from egresslint.findings import Finding, Related, Severity
from egresslint.inventory import FIREWALL_MANAGEMENT_SUBNET, FIREWALL_SUBNET, EgressPath
from egresslint.model import (
    Cluster,
    Firewall,
    FirewallIpConfig,
    Location,
    NatRule,
    PublicIp,
    Route,
    RouteTable,
    RuleCollection,
    Subnet,
    Value,
    VirtualNetwork,
)

if TYPE_CHECKING:
    from egresslint.inventory import Inventory

UDR = "userDefinedRouting"
LIMIT_EGRESS = "https://learn.microsoft.com/azure/aks/limit-egress-traffic"
EGRESS_UDR = "https://learn.microsoft.com/azure/aks/egress-udr"
UDR_OVERVIEW = "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview"
FIREWALL_FAQ = "https://learn.microsoft.com/azure/firewall/firewall-faq"
INTEGRATE_LB = "https://learn.microsoft.com/azure/firewall/integrate-lb"
# route tables AKS creates and manages itself (kubenet): never flagged
_AKS_MANAGED_TABLE = re.compile(r"^aks-agentpool-\d+-routetable$", re.IGNORECASE)


def _loc(value: Value | None, fallback: Location) -> Location:
    return value.location if value is not None and value.location is not None else fallback


def _udr_paths(inv: Inventory) -> Iterator[tuple[Cluster, EgressPath]]:
    for cluster in inv.all(Cluster):
        if inv.outbound_type(cluster) == UDR:
            for path in inv.egress_paths(cluster):
                yield cluster, path


def _cluster_related(cluster: Cluster) -> list[Related]:
    loc = _loc(cluster.outbound_type, cluster.location)
    return [Related(loc, f"cluster '{cluster.name}' (outbound type {cluster.outbound_type.known if cluster.outbound_type else 'loadBalancer'})")]


class UdrDefaultRouteMissing(Rule):
    id = "EGL101"
    name = "udr-default-route-missing"
    severity = Severity.ERROR
    summary = "A userDefinedRouting cluster's node subnet has no route table, or no route for 0.0.0.0/0."
    rationale = (
        "With outbound type `userDefinedRouting` AKS creates no egress path of its own: the node subnet "
        "must already carry a route table whose 0.0.0.0/0 route leads to an appliance (Azure Firewall "
        "or another NVA). AKS validates this at creation and rejects the cluster "
        "(RouteTableMissingDefaultRouteError); a default route learned through BGP/vWAN does not count."
    )
    example = ("az network route-table create -g rg -n aks-rt\n"
               "az network vnet subnet update -g rg --vnet-name vnet -n aks --route-table aks-rt\n"
               "az aks create -g rg -n aks --outbound-type userDefinedRouting --vnet-subnet-id $SUBNET_ID")
    fix = ("az network route-table route create -g rg --route-table-name aks-rt -n default-to-fw \\\n"
           "  --address-prefix 0.0.0.0/0 --next-hop-type VirtualAppliance --next-hop-ip-address $FW_PRIVATE_IP")
    sources = (EGRESS_UDR, LIMIT_EGRESS)
    applies_to = ("cluster", "subnet", "route_table", "route")
    tags = ("routing", "udr")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for cluster, path in _udr_paths(inv):
            subnet, route = path.subnet, path.route
            if subnet is None:
                continue  # managed VNet or a subnet outside the scan: EGL401 / unknown
            if route is None or not route.certain:
                value = subnet.route_table_value
                yield unresolved(value, f"route table of subnet '{subnet.name}' (for cluster '{cluster.name}')",
                                 _loc(value, subnet.location), subject=f"EGL101:{subnet.ref}")
                continue
            if route.route is not None:
                continue
            table = route.route_table
            if table is None:
                message = (f"subnet '{subnet.name}' of userDefinedRouting cluster '{cluster.name}' has no route "
                           f"table: AKS rejects the cluster; attach a route table with a 0.0.0.0/0 route to "
                           f"the firewall's private IP")
                where = subnet.location if subnet.declared else cluster.location
            else:
                message = (f"route table '{table.name}' on subnet '{subnet.name}' of userDefinedRouting cluster "
                           f"'{cluster.name}' has no route for 0.0.0.0/0: AKS rejects the cluster; add "
                           f"0.0.0.0/0 -> VirtualAppliance (the firewall's private IP)")
                where = table.location if table.declared else cluster.location
            yield self.finding(message, where, _cluster_related(cluster) + inv.related(subnet, "node subnet"),
                               subject=f"{cluster.ref}:{subnet.ref}")


class DefaultRouteNextHop(Rule):
    id = "EGL102"
    name = "default-route-next-hop"
    severity = Severity.ERROR
    summary = "The 0.0.0.0/0 route of a cluster's node subnet has a next hop that is attributably wrong."
    rationale = (
        "The default route must lead to the appliance's private address. Pointing it at `Internet` on a "
        "userDefinedRouting cluster is rejected by AKS (RouteTableInvalidNextHop); pointing it at the "
        "firewall's public IP (a mixed-up variable) or at another address of AzureFirewallSubnet sends "
        "traffic nowhere; an address in a subnet with no appliance black-holes egress. A next hop outside "
        "everything scanned (a hub in another repository) is reported as unknown (EGL004), never as an error."
    )
    example = ("FW_IP=$(az network public-ip show -g rg -n fw-pip --query ipAddress -o tsv)\n"
               "az network route-table route create -g rg --route-table-name aks-rt -n default \\\n"
               "  --address-prefix 0.0.0.0/0 --next-hop-type VirtualAppliance --next-hop-ip-address $FW_IP")
    fix = ("FW_IP=$(az network firewall show -g rg -n fw --query \"ipConfigurations[0].privateIPAddress\" -o tsv)\n"
           "az network route-table route create -g rg --route-table-name aks-rt -n default \\\n"
           "  --address-prefix 0.0.0.0/0 --next-hop-type VirtualAppliance --next-hop-ip-address $FW_IP")
    sources = (LIMIT_EGRESS, EGRESS_UDR, UDR_OVERVIEW)
    applies_to = ("cluster", "route", "firewall", "public_ip", "subnet")
    tags = ("routing", "udr", "firewall")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for cluster in inv.all(Cluster):
            outbound = inv.outbound_type(cluster)
            for path in inv.egress_paths(cluster):
                yield from self._path(inv, cluster, outbound, path)

    def _path(self, inv: Inventory, cluster: Cluster, outbound: str, path: EgressPath) -> Iterator[Finding]:
        eff = path.route
        if eff is None or eff.route is None or path.subnet is None:
            return
        route = eff.route
        table = eff.route_table
        where_type = _loc(route.next_hop_type, route.location)
        where_ip = _loc(route.next_hop_ip, route.location)
        on = f"route '{route.name}' on route table '{table.name if table else '?'}'"
        related = _cluster_related(cluster) + inv.related(path.subnet, "node subnet")
        subject = f"{route.ref}"
        hop_type = eff.next_hop_type
        if hop_type is None:
            if route.next_hop_type is not None:
                yield unresolved(route.next_hop_type, f"next-hop type of {on}", where_type, subject)
            return
        if outbound == UDR and hop_type == "Internet":
            yield self.finding(
                f"{on} sends 0.0.0.0/0 to Internet on userDefinedRouting cluster '{cluster.name}': AKS "
                f"rejects it (RouteTableInvalidNextHop); send it to the firewall's private IP with "
                f"--next-hop-type VirtualAppliance", where_type, related, subject)
            return
        if outbound == UDR and hop_type not in ("VirtualAppliance", "VirtualNetworkGateway"):
            yield self.finding(
                f"{on} sends 0.0.0.0/0 to next-hop type {hop_type} on userDefinedRouting cluster "
                f"'{cluster.name}': only VirtualAppliance or VirtualNetworkGateway are allowed, egress is "
                f"broken", where_type, related, subject)
            return
        if hop_type != "VirtualAppliance":
            return
        hop = path.hop
        ip = eff.next_hop_ip
        if hop is None or ip is None:
            return
        shown = ip.describe()
        if hop.relation == "public" and hop.firewall is not None:
            fw = hop.firewall
            yield self.finding(
                f"{on} sends 0.0.0.0/0 to {shown}, the public IP of firewall '{fw.name}'; use its private "
                f"IP (ipConfigurations[0].privateIPAddress)", where_ip,
                related + inv.related(fw, f"firewall '{fw.name}'") + inv.related(hop.public_ip, "its public IP"),
                subject)
        elif hop.relation == "firewall-subnet":
            owner = hop.firewall
            private = inv.firewall_private_ip(owner).describe() if owner is not None else "the firewall's private IP"
            yield self.finding(
                f"{on} sends 0.0.0.0/0 to {shown}, an address of AzureFirewallSubnet that is not the "
                f"firewall's private IP ({private}); egress is dropped", where_ip,
                related + inv.related(hop.subnet, "AzureFirewallSubnet") + inv.related(owner, "firewall"),
                subject)
        elif hop.relation == "subnet" and hop.subnet is path.subnet:
            yield self.finding(
                f"{on} sends 0.0.0.0/0 to {shown}, inside node subnet '{path.subnet.name}' itself: the "
                f"appliance must not sit in the subnet it routes for (routing loop)", where_ip, related, subject)
        elif hop.relation in ("unknown", "outside", "subnet"):
            what = {"unknown": "next hop", "outside": "next hop (not in any scanned network)",
                    "subnet": f"appliance at the next hop (none described in subnet "
                              f"'{hop.subnet.name if hop.subnet else '?'}')"}[hop.relation]
            yield unresolved(ip, f"{what} of {on}", where_ip, subject)


class FirewallPublicIpRouteMissing(Rule):
    id = "EGL103"
    name = "firewall-public-ip-route-missing"
    severity = Severity.WARNING
    summary = "A default route to a firewall that DNATs to a public load balancer lacks '<firewall public IP>/32 -> Internet'."
    rationale = (
        "When the firewall translates inbound traffic (DNAT) to a public load balancer IP, replies from "
        "the nodes follow the subnet's default route to the firewall's private IP instead of returning the "
        "way they came; the stateful firewall drops them (asymmetric routing). A host route for the "
        "firewall's public IP with next hop Internet fixes that. DNAT to an internal load balancer, or no "
        "DNAT at all, needs no such route."
    )
    example = ("az network firewall nat-rule create ... --destination-addresses $FW_PUBLIC_IP \\\n"
               "  --translated-address 20.1.2.3 --translated-port 80\n"
               "# route table has only 0.0.0.0/0 -> $FW_PRIVATE_IP")
    fix = ("az network route-table route create -g rg --route-table-name aks-rt -n fw-internet \\\n"
           "  --address-prefix $FW_PUBLIC_IP/32 --next-hop-type Internet")
    sources = (INTEGRATE_LB, LIMIT_EGRESS)
    applies_to = ("route_table", "route", "firewall", "nat_rule")
    tags = ("routing", "asymmetric-routing", "firewall")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for table in inv.all(RouteTable):
            for route in inv.routes(table):
                prefix = inv.resolve(route.address_prefix)
                if prefix is None or prefix.known is None:
                    continue
                net_ = net.parse_network(prefix.known)
                if net_ is None or net_.prefixlen != 0 or net_.version != 4:
                    continue
                if route.next_hop_type is None or route.next_hop_type.known != "VirtualAppliance":
                    continue
                hop = inv.hop_target(route.next_hop_ip)
                if hop.relation != "private" or hop.firewall is None:
                    continue
                yield from self._table(inv, table, route, hop.firewall)

    def _table(self, inv: Inventory, table: RouteTable, default: Route, fw: Firewall) -> Iterator[Finding]:
        public_dnat = []
        for rule in _nat_rules(inv, fw):
            target = inv.resolve(rule.translated_address)
            if target is None:
                continue
            if target.known is None:
                yield unresolved(target, f"translated address of DNAT rule '{rule.name}' (public or internal "
                                 f"load balancer?)", _loc(target, rule.location), f"EGL103:{rule.ref}")
                continue
            address = net.parse_ip(target.known)
            if address is not None and address.is_global:
                public_dnat.append(rule)
        if not public_dnat:
            return
        pips = inv.firewall_public_ips(fw)
        for route in inv.routes(table):
            hop_type = route.next_hop_type.known if route.next_hop_type else None
            if hop_type != "Internet":
                continue
            if any(_is_host_route_for(inv, route.address_prefix, ref, pip) for ref, pip in pips):
                return
        names = ", ".join(f"'{r.name}'" for r in public_dnat)
        yield self.finding(
            f"route table '{table.name}' sends 0.0.0.0/0 to firewall '{fw.name}', which DNATs to a public load "
            f"balancer ({names}), but has no '<firewall public IP>/32 -> Internet' route: replies are routed "
            f"asymmetrically through the firewall and dropped; add that host route",
            table.location if table.declared else default.location,
            inv.related(fw, f"firewall '{fw.name}'") + [Related(r.location, f"DNAT rule '{r.name}'") for r in public_dnat],
            subject=f"{table.ref}")


def _nat_rules(inv: Inventory, fw: Firewall) -> list[NatRule]:
    collections = inv.children(fw, RuleCollection)
    if fw.policy is not None:
        from egresslint.model import RuleCollectionGroup

        for group in inv.children(fw.policy, RuleCollectionGroup):
            collections.extend(inv.children(group, RuleCollection))
    return [rule for c in collections for rule in inv.children(c, NatRule)]


def _is_host_route_for(inv: Inventory, prefix: Value | None, pip_ref: object, pip: PublicIp | None) -> bool:
    if prefix is None:
        return False
    if prefix.symbol is not None:
        sym = prefix.symbol
        target = inv.get(sym.ref)
        return (sym.query.lower() == "ipaddress" and sym.suffix in ("", "/32")
                and (target is pip or sym.ref == pip_ref))
    known = (inv.resolve(prefix) or prefix).known
    if known is None or pip is None or pip.ip_address is None or pip.ip_address.known is None:
        return False
    return known in (pip.ip_address.known, f"{pip.ip_address.known}/32")


class RouteTableUnassociated(Rule):
    id = "EGL104"
    name = "route-table-unassociated"
    severity = Severity.WARNING
    summary = "A route table with routes is never associated with any subnet."
    rationale = (
        "Routes only take effect on the subnets a table is associated with. A table that is created and "
        "filled but never attached (a forgotten `az network vnet subnet update --route-table`) means the "
        "traffic it was meant to steer, typically egress to the firewall, still leaves directly to the "
        "Internet: the firewall is silently bypassed."
    )
    example = ("az network route-table create -g rg -n aks-rt\n"
               "az network route-table route create -g rg --route-table-name aks-rt -n default \\\n"
               "  --address-prefix 0.0.0.0/0 --next-hop-type VirtualAppliance --next-hop-ip-address 10.0.1.4")
    fix = "az network vnet subnet update -g rg --vnet-name vnet -n aks-subnet --route-table aks-rt"
    sources = (LIMIT_EGRESS, UDR_OVERVIEW)
    applies_to = ("route_table", "subnet")
    tags = ("routing",)

    def check(self, inv: Inventory) -> Iterator[Finding]:
        subnets = inv.all(Subnet)
        # an association through a value the scan cannot resolve could be any table
        if any(s.route_table is None and s.route_table_value is not None for s in subnets):
            return
        used = {id(inv.get(s.route_table)) for s in subnets if s.route_table is not None}
        for table in inv.all(RouteTable):
            if not table.declared or id(table) in used or _AKS_MANAGED_TABLE.match(table.name):
                continue
            routes = inv.routes(table)
            if not routes:
                continue
            how = spelled(setter(table), f"az network vnet subnet update --route-table {table.name}",
                          "set routeTable.id on the subnets it serves")
            yield self.finding(
                f"route table '{table.name}' has {len(routes)} route(s) but is never associated with a subnet "
                f"in the scanned files: its routes take no effect; associate it ({how})",
                table.location, [Related(r.location, f"route '{r.name}'") for r in routes[:3]],
                subject=f"{table.ref}")


class FirewallSubnetInvalid(Rule):
    id = "EGL105"
    name = "firewall-subnet-invalid"
    severity = Severity.ERROR
    summary = "An Azure Firewall is not in a subnet named AzureFirewallSubnet of at least /26."
    rationale = (
        "Azure Firewall deploys only into a dedicated subnet named exactly `AzureFirewallSubnet`, at least "
        "/26 (its management NIC likewise needs `AzureFirewallManagementSubnet`, at least /26). "
        "`az network firewall create/ip-config create --vnet-name V` always uses V's AzureFirewallSubnet, "
        "so a VNet without one fails the deployment."
    )
    example = ("az network vnet subnet create -g rg --vnet-name vnet -n fw-subnet --address-prefixes 10.1.2.0/24\n"
               "az network firewall create -g rg -n fw --vnet-name vnet --public-ip fw-pip")
    fix = ("az network vnet subnet create -g rg --vnet-name vnet -n AzureFirewallSubnet \\\n"
           "  --address-prefixes 10.1.2.0/26")
    sources = (FIREWALL_FAQ, LIMIT_EGRESS)
    applies_to = ("firewall", "subnet", "vnet")
    tags = ("firewall", "routing")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for fw in inv.all(Firewall):
            if not fw.declared:
                continue
            configs: list[tuple[FirewallIpConfig, str]] = [(c, FIREWALL_SUBNET) for c in fw.ip_configs if c.subnet]
            if fw.management_ip_config is not None and fw.management_ip_config.subnet is not None:
                configs.append((fw.management_ip_config, FIREWALL_MANAGEMENT_SUBNET))
            for cfg, required in configs:
                yield from self._config(inv, fw, cfg, required)

    def _config(self, inv: Inventory, fw: Firewall, cfg: FirewallIpConfig, required: str) -> Iterator[Finding]:
        assert cfg.subnet is not None
        proper = "AzureFirewallSubnet" if required == FIREWALL_SUBNET else "AzureFirewallManagementSubnet"
        subject = f"{fw.ref}:{cfg.subnet}"
        if cfg.subnet.name != required:
            if cfg.subnet.name.startswith("$") or cfg.subnet.name.startswith("<"):
                return
            yield self.finding(
                f"firewall '{fw.name}' uses subnet '{cfg.subnet.label}'; Azure Firewall requires a subnet named "
                f"exactly {proper}", _loc(cfg.subnet_value, cfg.location),
                inv.related(inv.get(cfg.subnet), "the subnet"), subject)
            return
        subnet = inv.typed(cfg.subnet, Subnet)
        if subnet is None:
            vnet = inv.typed(cfg.subnet.parent, VirtualNetwork)
            if vnet is None or not vnet.declared:
                return  # the VNet is described elsewhere
            unknown = [s for s in inv.children(vnet, Subnet) if s.ref.placeholder]
            if unknown:  # `--name $FW_SUBNET_NAME` may well be AzureFirewallSubnet
                name = unknown[0].name
                yield unresolved(Value.unknown(name), f"whether subnet '{name}' of VNet '{vnet.name}' is {proper} "
                                 f"(firewall '{fw.name}' needs one)", unknown[0].location, subject)
                return
            others = ", ".join(f"'{s.name}'" for s in inv.children(vnet, Subnet)) or "none"
            where = _loc(fw.vnet_hint_value or cfg.subnet_value, cfg.location)
            yield self.finding(
                f"firewall '{fw.name}' is placed in VNet '{vnet.name}', which has no subnet named {proper} "
                f"(its subnets: {others}); the deployment fails: create {proper} (at least /26) in "
                f"'{vnet.name}'", where, [Related(vnet.location, f"VNet '{vnet.name}'")], subject)
            return
        for prefix in subnet.address_prefixes:
            network = net.parse_network(prefix.known) if prefix.known else None
            if network is not None and network.version == 4 and network.prefixlen > 26:
                yield self.finding(
                    f"{proper} of firewall '{fw.name}' is {network}, smaller than the /26 Azure Firewall needs",
                    _loc(prefix, subnet.location), inv.related(fw, f"firewall '{fw.name}'"), subject)


class FirewallSubnetDefaultRoute(Rule):
    id = "EGL106"
    name = "firewall-subnet-default-route"
    severity = Severity.ERROR
    summary = "AzureFirewallSubnet's route table sends 0.0.0.0/0 somewhere other than Internet."
    rationale = (
        "The firewall itself must reach the Internet directly. A route table on AzureFirewallSubnet whose "
        "default route points to an appliance or gateway (often the same table as the AKS subnet's, "
        "attached by mistake) makes the platform reject it "
        "(AzureFirewallSubnetRouteTableMustHaveDefaultRouteToInternet) or loops traffic. Forced tunnelling, "
        "with a management IP configuration, is the documented exception."
    )
    example = "az network vnet subnet update -g rg --vnet-name vnet -n AzureFirewallSubnet --route-table aks-rt"
    fix = ("# keep AzureFirewallSubnet without the AKS route table, or give it its own table with\n"
           "az network route-table route create -g rg --route-table-name fw-rt -n internet \\\n"
           "  --address-prefix 0.0.0.0/0 --next-hop-type Internet")
    sources = (FIREWALL_FAQ, "https://learn.microsoft.com/azure/firewall/forced-tunneling")
    applies_to = ("subnet", "route_table", "firewall")
    tags = ("firewall", "routing")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for subnet in inv.all(Subnet):
            if subnet.ref.name != FIREWALL_SUBNET or inv.route_table_of(subnet) is None:
                continue
            eff = inv.effective_route(subnet)
            if eff.route is None or eff.next_hop_type in (None, "Internet"):
                continue
            firewalls = [fw for fw in inv.all(Firewall) if inv.firewall_subnet(fw) is subnet]
            if any(fw.management_ip_config is not None for fw in firewalls):
                continue  # forced tunnelling
            table = eff.route_table
            yield self.finding(
                f"route '{eff.route.name}' on route table '{table.name if table else '?'}', attached to "
                f"AzureFirewallSubnet, sends 0.0.0.0/0 to {eff.next_hop_type}: the firewall must reach the "
                f"Internet directly (next hop Internet) unless forced tunnelling is configured",
                _loc(eff.route.next_hop_type, eff.route.location),
                inv.related(subnet, "AzureFirewallSubnet") + [Related(f.location, f"firewall '{f.name}'")
                                                               for f in firewalls if f.declared],
                subject=f"{subnet.ref}")


class RouteAfterCluster(Rule):
    id = "EGL107"
    name = "route-after-cluster"
    severity = Severity.ERROR
    summary = "A userDefinedRouting cluster is created before its subnet has a 0.0.0.0/0 route."
    rationale = (
        "AKS validates the node subnet's route table when the cluster is created. A script that creates "
        "the cluster first and the route table, its default route or the association afterwards fails at "
        "`az aks create` even though the final state would be correct."
    )
    example = ("az aks create -g rg -n aks --outbound-type userDefinedRouting --vnet-subnet-id $SUBNET_ID\n"
               "az network vnet subnet update -g rg --vnet-name vnet -n aks --route-table aks-rt")
    fix = ("az network vnet subnet update -g rg --vnet-name vnet -n aks --route-table aks-rt\n"
           "az aks create -g rg -n aks --outbound-type userDefinedRouting --vnet-subnet-id $SUBNET_ID")
    sources = (EGRESS_UDR, "https://github.com/Azure/AKS/issues/1842")
    applies_to = ("cluster", "subnet", "route_table", "route")
    tags = ("routing", "udr", "ordering")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for cluster, path in _udr_paths(inv):
            snap = cluster.egress_at_creation
            created_by = next((op for op in cluster.history if op.action == "create"), None)
            if snap is None or created_by is None or not created_by.command.startswith("az "):
                continue  # declarative inputs have no order
            eff = path.route
            if path.subnet is None or eff is None or not eff.certain or eff.route is None:
                continue  # nothing (or nothing known) later either: EGL101's business
            if eff.next_hop_type == "Internet":
                continue
            if snap.default_route is not None and snap.route_table is not None:
                continue
            missing = "route table" if snap.route_table is None else "0.0.0.0/0 route"
            later = [Related(eff.route.location, f"route '{eff.route.name}' (created later)")]
            for op in path.subnet.history:
                if "route_table" in op.changes and op.seq > created_by.seq and op.location.file == created_by.location.file:
                    later.append(Related(op.location, "route table associated later"))
            yield self.finding(
                f"cluster '{cluster.name}' (userDefinedRouting) is created while its subnet "
                f"'{path.subnet.name}' has no {missing} yet; the route "
                f"comes later in the script and AKS rejects the creation: move `az aks create` after the route "
                f"table, its default route and the association",
                created_by.location, later, subject=f"{cluster.ref}")


class UdrOnLoadBalancerCluster(Rule):
    id = "EGL108"
    name = "udr-on-loadbalancer-cluster"
    severity = Severity.WARNING
    summary = "A loadBalancer or NAT gateway cluster's node subnet sends 0.0.0.0/0 to an appliance."
    rationale = (
        "With outbound type `loadBalancer` (the default) AKS expects egress through its load balancer. If "
        "the node subnet's default route points to a firewall, egress silently leaves through the "
        "firewall instead, the load balancer's public IP is not the egress IP, and replies to inbound "
        "traffic through the public load balancer return asymmetrically and are dropped. Declare the "
        "intent with `--outbound-type userDefinedRouting`."
    )
    example = ("az aks create -g rg -n aks --vnet-subnet-id $SUBNET_ID   # default outbound type loadBalancer\n"
               "az network vnet subnet update -g rg --vnet-name vnet -n aks --route-table to-firewall")
    fix = "az aks create -g rg -n aks --vnet-subnet-id $SUBNET_ID --outbound-type userDefinedRouting"
    sources = (EGRESS_UDR, "https://learn.microsoft.com/azure/aks/egress-outboundtype")
    applies_to = ("cluster", "route")
    tags = ("routing", "asymmetric-routing")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for cluster in inv.all(Cluster):
            outbound = inv.outbound_type(cluster)
            if outbound not in ("loadBalancer", "managedNATGateway", "userAssignedNATGateway"):
                continue
            for path in inv.egress_paths(cluster):
                eff = path.route
                if eff is None or eff.route is None or eff.next_hop_type != "VirtualAppliance":
                    continue
                via = f" (firewall '{path.firewall.name}')" if path.firewall is not None else ""
                hop = eff.next_hop_ip.describe() if eff.next_hop_ip is not None else "an appliance"
                where = _loc(cluster.outbound_type, cluster.location)
                yield self.finding(
                    f"cluster '{cluster.name}' has outbound type {outbound}, but its node subnet "
                    f"'{path.subnet.name if path.subnet else '?'}' sends 0.0.0.0/0 to {hop}{via} via route "
                    f"'{eff.route.name}': egress bypasses the {'load balancer' if outbound == 'loadBalancer' else 'NAT gateway'} "
                    f"and inbound replies route asymmetrically; use --outbound-type userDefinedRouting",
                    where, [Related(eff.route.location, f"route '{eff.route.name}'")]
                    + inv.related(path.firewall, "firewall"), subject=f"{cluster.ref}:{eff.route.ref}")


RULES = (UdrDefaultRouteMissing, DefaultRouteNextHop, FirewallPublicIpRouteMissing, RouteTableUnassociated,
         FirewallSubnetInvalid, FirewallSubnetDefaultRoute, RouteAfterCluster, UdrOnLoadBalancerCluster)
