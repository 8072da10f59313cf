"""EGL407/EGL409: cluster network profile and deprecated settings."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterator
from typing import TYPE_CHECKING

from egresslint import net
from egresslint.checks.base import Rule, setter, spelled
from egresslint.findings import Finding, Related, Severity
from egresslint.model import (
    Cluster,
    KubernetesObject,
    KubernetesService,
    LoadBalancer,
    Location,
    PublicIp,
    Subnet,
    Value,
    VirtualNetwork,
)

if TYPE_CHECKING:
    from egresslint.inventory import Inventory

KUBENET_DOC = "https://learn.microsoft.com/azure/aks/configure-kubenet"
OVERLAY_DOC = "https://learn.microsoft.com/azure/aks/concepts-network-azure-cni-overlay"
IP_PLANNING = "https://learn.microsoft.com/azure/aks/concepts-network-ip-address-planning"
DEFAULT_SERVICE_CIDR = "10.0.0.0/16"
DEFAULT_POD_CIDR = "10.244.0.0/16"
RESERVED = ("169.254.0.0/16", "172.30.0.0/16", "172.31.0.0/16", "192.0.2.0/24")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _loc(value: Value | None, fallback: Location) -> Location:
    return value.location if value is not None and value.location is not None else fallback


def _networks(values: list[Value]) -> list[tuple[Value, Network]]:
    out = []
    for v in values:
        n = net.parse_network(v.known) if v.known else None
        if n is not None:
            out.append((v, n))
    return out


def uses_pod_cidr(cluster: Cluster) -> bool | None:
    """Pod CIDRs apply to kubenet and Azure CNI Overlay only (None: unknown plugin)."""
    plugin = (cluster.network_plugin.known if cluster.network_plugin else "azure") or None
    mode = cluster.network_plugin_mode.known if cluster.network_plugin_mode else None
    if plugin is None or (cluster.network_plugin_mode is not None and mode is None):
        return None
    plugin = plugin.lower()
    if plugin == "kubenet":
        return True
    if plugin == "azure":
        return (mode or "").lower() == "overlay"
    return False


class ClusterCidrOverlap(Rule):
    id = "EGL407"
    name = "cluster-cidr-overlap"
    severity = Severity.ERROR
    summary = "Service or pod CIDR overlaps the network, is too large, or the DNS service IP is misplaced."
    rationale = (
        "The Kubernetes service range is virtual: addresses in it never leave the node. If it overlaps the "
        "cluster's VNet, a subnet, the pod range or a peered/on-premises range, traffic to those real hosts "
        "is captured by kube-proxy, and AKS rejects the cluster outright. The service range must be smaller "
        "than /12; the DNS service IP must lie inside it and not be its network address, its first host "
        "(.1, used by kubernetes.default) or its broadcast address. Pod ranges (kubenet and CNI Overlay) "
        "must not overlap any subnet or the service range. AKS reserves 169.254.0.0/16, 172.30.0.0/16, "
        "172.31.0.0/16 and 192.0.2.0/24. When no service CIDR is given, AKS uses 10.0.0.0/16."
    )
    example = ("az network vnet create -g rg -n vnet --address-prefixes 10.1.0.0/16\n"
               "az aks create -g rg -n aks --vnet-subnet-id $SUBNET_ID --service-cidr 10.1.0.0/24 "
               "--dns-service-ip 10.1.0.10")
    fix = "az aks create -g rg -n aks --vnet-subnet-id $SUBNET_ID --service-cidr 10.2.0.0/24 --dns-service-ip 10.2.0.10"
    sources = (KUBENET_DOC, OVERLAY_DOC, IP_PLANNING)
    applies_to = ("cluster", "vnet", "subnet")
    tags = ("cluster", "addressing")

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for cluster in inv.all(Cluster):
            if not cluster.declared:
                continue
            yield from self._cluster(inv, cluster)

    def _cluster(self, inv: Inventory, cluster: Cluster) -> Iterator[Finding]:
        subnets: list[Subnet] = []
        vnets: list[VirtualNetwork] = []
        for subnet, _pools in inv.node_subnets(cluster):
            if subnet is None:
                continue
            vnet = inv.vnet_of(subnet)
            if vnet is not None and vnet not in vnets:
                vnets.append(vnet)
        for vnet in vnets:
            subnets.extend(s for s in inv.children(vnet, Subnet) if s not in subnets)
        byo = inv.byo_subnet(cluster)
        service = _networks(cluster.service_cidrs)
        if not cluster.service_cidrs and byo:
            service = [(Value.literal(DEFAULT_SERVICE_CIDR, cluster.location), net.parse_network(DEFAULT_SERVICE_CIDR))]
        pods: list[tuple[Value, Network]] = []
        if uses_pod_cidr(cluster):
            pods = _networks(cluster.pod_cidrs)
        defaulted = not cluster.service_cidrs
        name = cluster.name
        peered = [(Value.literal(str(p)), n) for p in _fact_ranges(inv) if (n := net.parse_network(p))]

        for value, svc in service:
            label = f"service CIDR {svc}" + (" (the default, as no service CIDR is given)" if defaulted else "")
            where = _loc(value, cluster.location)
            subject = f"{cluster.ref}:service:{svc}"
            if (svc.version == 4 and svc.prefixlen <= 12) or (svc.version == 6 and svc.prefixlen < 108):
                yield self.finding(f"{label} of cluster '{name}' is too large: it must be smaller than "
                                   f"{'/12' if svc.version == 4 else '/108'}", where, subject=subject + ":size")
            vnet_hit = next(((vnet, pv, pn) for vnet in vnets for pv, pn in _networks(vnet.address_prefixes)
                             if net.overlaps(svc, pn)), None)
            if vnet_hit is not None:  # the VNet covers its subnets: one finding says it all
                vnet, pv, pn = vnet_hit
                yield self.finding(
                    f"{label} of cluster '{name}' overlaps address space {pn} of VNet '{vnet.name}': "
                    f"AKS rejects it and Services would shadow real hosts; pick a range outside the VNet",
                    where, [Related(_loc(pv, vnet.location), f"VNet '{vnet.name}' address space")],
                    subject=f"{subject}:vnet:{pn}")
            else:
                for subnet in subnets:
                    for pv, pn in _networks(subnet.address_prefixes):
                        if net.overlaps(svc, pn):
                            yield self.finding(
                                f"{label} of cluster '{name}' overlaps subnet '{subnet.name}' ({pn})",
                                where, [Related(_loc(pv, subnet.location), f"subnet '{subnet.name}'")],
                                subject=f"{subject}:subnet:{subnet.ref}")
            for pv, pn in pods:
                if net.overlaps(svc, pn):
                    yield self.finding(f"{label} of cluster '{name}' overlaps its pod CIDR {pn}", where,
                                       [Related(_loc(pv, cluster.location), "pod CIDR")], subject=f"{subject}:pod")
            yield from self._reserved(svc, "service CIDR", name, where, subject)
            yield from self._peered(svc, "service CIDR", name, where, subject, peered)
            yield from self._dns(cluster, svc, defaulted)

        for value, pod in pods:
            where = _loc(value, cluster.location)
            subject = f"{cluster.ref}:pod:{pod}"
            for subnet in subnets:
                for pv, pn in _networks(subnet.address_prefixes):
                    if net.overlaps(pod, pn):
                        yield self.finding(
                            f"pod CIDR {pod} of cluster '{name}' overlaps subnet '{subnet.name}' ({pn}); "
                            f"pick a range outside the VNet", where,
                            [Related(_loc(pv, subnet.location), f"subnet '{subnet.name}'")],
                            subject=f"{subject}:subnet:{subnet.ref}")
            yield from self._reserved(pod, "pod CIDR", name, where, subject)
            yield from self._peered(pod, "pod CIDR", name, where, subject, peered)

        for vnet in vnets:
            for pv, pn in _networks(vnet.address_prefixes):
                yield from self._reserved(pn, f"address space of VNet '{vnet.name}' (used by cluster '{name}')",
                                          None, _loc(pv, vnet.location), f"{vnet.ref}:{pn}")

    def _reserved(self, network: Network, what: str, cluster: str | None, where: Location,
                  subject: str) -> Iterator[Finding]:
        for reserved in _reserved_overlapping(network):
            owner = f" of cluster '{cluster}'" if cluster else ""
            yield self.finding(f"{what} {network}{owner} overlaps {reserved}, which AKS reserves", where,
                               subject=f"{subject}:reserved:{reserved}")

    def _peered(self, network: Network, what: str, cluster: str, where: Location, subject: str,
                peered: list[tuple[Value, Network]]) -> Iterator[Finding]:
        for _v, other in peered:
            if net.overlaps(network, other):
                yield self.finding(f"{what} {network} of cluster '{cluster}' overlaps {other}, a peered or "
                                   f"on-premises range (config facts)", where, subject=f"{subject}:peer:{other}")

    def _dns(self, cluster: Cluster, svc: Network, defaulted: bool) -> Iterator[Finding]:
        dns = cluster.dns_service_ip
        if dns is None or dns.known is None:
            return
        address = net.parse_ip(dns.known)
        if address is None or address.version != svc.version:
            return
        where = _loc(dns, cluster.location)
        subject = f"{cluster.ref}:dns"
        if address not in svc:
            yield self.finding(f"DNS service IP {address} of cluster '{cluster.name}' is outside its service CIDR "
                               f"{svc}{' (default)' if defaulted else ''}: it must lie inside it (use {svc[10]})",
                               where, subject=subject)
        elif address in (svc.network_address, svc.network_address + 1, svc.broadcast_address):
            role = ("network address" if address == svc.network_address else
                    "broadcast address" if address == svc.broadcast_address else
                    "first address, used by kubernetes.default")
            yield self.finding(f"DNS service IP {address} of cluster '{cluster.name}' is the {role} of service "
                               f"CIDR {svc}; use {svc[10]}", where, subject=subject)


@functools.cache
def _reserved_networks() -> tuple[Network, ...]:
    """:data:`RESERVED` parsed once (every network of every cluster is tested against them)."""
    return tuple(ipaddress.ip_network(text) for text in RESERVED)


@functools.lru_cache(maxsize=4096)
def _reserved_overlapping(network: Network) -> tuple[Network, ...]:
    """The reserved ranges ``network`` overlaps, in :data:`RESERVED` order (memoised: clusters
    of a large project repeat the same ranges, the defaults above all)."""
    return tuple(r for r in _reserved_networks() if network.version == r.version and net.overlaps(network, r))


def _fact_ranges(inv: Inventory) -> list[str]:
    facts = inv.facts.get("config") or {}
    ranges = facts.get("peered-ranges") or facts.get("onprem-ranges") or []
    return [str(r) for r in ranges] if isinstance(ranges, list) else []


class DeprecatedSetting(Rule):
    id = "EGL409"
    name = "deprecated-setting"
    severity = Severity.WARNING
    summary = "A setting that current tools ignore or reject."
    rationale = (
        "`--docker-bridge-address` is deprecated and hidden in the az CLI and its value is discarded; "
        "`extensions/v1beta1` workloads are no longer served by Kubernetes; `spec.loadBalancerIP` is "
        "deprecated upstream and AKS asks for the `service.beta.kubernetes.io/azure-load-balancer-ipv4` "
        "annotation; Basic SKU public IPs and load balancers are retired. Configuration that relies on them "
        "silently does nothing or breaks on the next upgrade."
    )
    example = "az aks create -g rg -n aks --docker-bridge-address 172.17.0.1/16"
    fix = "az aks create -g rg -n aks   # no docker bridge setting: containerd has none"
    sources = (KUBENET_DOC, "https://learn.microsoft.com/azure/aks/static-ip",
               "https://learn.microsoft.com/azure/aks/load-balancer-standard")
    applies_to = ("cluster", "k8s_object", "k8s_service", "public_ip", "load_balancer")
    tags = ("deprecated",)

    def check(self, inv: Inventory) -> Iterator[Finding]:
        for cluster in inv.all(Cluster):
            if cluster.docker_bridge_address is not None:
                setting = spelled(setter(cluster, "docker_bridge_address"), "--docker-bridge-address",
                                  "networkProfile.dockerBridgeCidr")
                yield self.finding(
                    f"the docker bridge address of cluster '{cluster.name}' ({setting}) is deprecated and "
                    f"ignored (the value is discarded; AKS nodes use containerd); remove it",
                    _loc(cluster.docker_bridge_address, cluster.location), subject=f"{cluster.ref}:docker-bridge")
            sku = cluster.load_balancer_sku
            if sku is not None and (sku.known or "").lower() == "basic":
                setting = spelled(setter(cluster, "load_balancer_sku"), "--load-balancer-sku standard",
                                  "networkProfile.loadBalancerSku standard")
                yield self.finding(f"cluster '{cluster.name}' uses a Basic load balancer, retired for AKS; use "
                                   f"{setting}", _loc(sku, cluster.location), subject=f"{cluster.ref}:basic-lb")
        for kind in (KubernetesObject, KubernetesService):
            for obj in inv.all(kind):
                api = obj.api_version
                if api is not None and (api.known or "").lower().startswith("extensions/v1beta1"):
                    # a k8s_object is named "Kind/name" (Kubernetes names never contain "/")
                    yield self.finding(
                        f"{obj.object_kind.known if obj.object_kind else 'object'} '{obj.name.rsplit('/', 1)[-1]}' "
                        f"uses apiVersion "
                        f"extensions/v1beta1, which Kubernetes no longer serves; use apps/v1 (workloads) or "
                        f"networking.k8s.io/v1 (Ingress)", _loc(api, obj.location), subject=f"{obj.ref}:api")
        for svc in inv.all(KubernetesService):
            if svc.load_balancer_ip is not None:
                yield self.finding(
                    f"Service '{svc.name}' sets spec.loadBalancerIP, deprecated upstream; use the annotation "
                    f"service.beta.kubernetes.io/azure-load-balancer-ipv4",
                    _loc(svc.load_balancer_ip, svc.location), subject=f"{svc.ref}:lbip")
        for res in (*inv.all(PublicIp), *inv.all(LoadBalancer)):
            sku = getattr(res, "sku", None)
            if res.declared and sku is not None and (sku.known or "").lower() == "basic":
                yield self.finding(f"{res.title()} uses the Basic SKU, which is retired; use Standard",
                                   _loc(sku, res.location), subject=f"{res.ref}:basic")


RULES = (ClusterCidrOverlap, DeprecatedSetting)
