"""Deterministic benchmark corpus: realistic az scripts (bash and PowerShell), ARM templates and
Kubernetes manifests describing hub-and-spoke AKS egress setups.

    python benchmarks/generate.py OUT_DIR --files 1000
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

BASH = """#!/usr/bin/env bash
set -euo pipefail
RG=rg-{n}
LOC={region}
VNET=vnet-{n}
FW=fw-{n}
az group create --name $RG --location $LOC
az network vnet create -g $RG -n $VNET -l $LOC --address-prefixes 10.{a}.0.0/16 \\
  --subnet-name aks-subnet --subnet-prefixes 10.{a}.1.0/24
az network vnet subnet create -g $RG --vnet-name $VNET -n AzureFirewallSubnet --address-prefixes 10.{a}.2.0/26
az network public-ip create -g $RG -n $FW-pip -l $LOC --sku Standard
az network firewall create -g $RG -n $FW -l $LOC --enable-dns-proxy true
az network firewall ip-config create -g $RG -f $FW -n $FW-config --public-ip-address $FW-pip --vnet-name $VNET
FW_PRIVATE_IP=$(az network firewall show -g $RG -n $FW --query "ipConfigurations[0].privateIPAddress" -o tsv)
FW_PUBLIC_IP=$(az network public-ip show -g $RG -n $FW-pip --query ipAddress -o tsv)
az network route-table create -g $RG -n aks-rt -l $LOC
az network route-table route create -g $RG --route-table-name aks-rt -n default-to-fw \\
  --address-prefix 0.0.0.0/0 --next-hop-type VirtualAppliance --next-hop-ip-address $FW_PRIVATE_IP
az network route-table route create -g $RG --route-table-name aks-rt -n fw-internet \\
  --address-prefix $FW_PUBLIC_IP/32 --next-hop-type Internet
az network firewall network-rule create -g $RG -f $FW --collection-name aksfwnr -n apiudp --protocols UDP \\
  --source-addresses '*' --destination-addresses "AzureCloud.$LOC" --destination-ports 1194 --action allow --priority 100
az network firewall network-rule create -g $RG -f $FW --collection-name aksfwnr -n apitcp --protocols TCP \\
  --source-addresses '*' --destination-addresses "AzureCloud.$LOC" --destination-ports 9000
az network firewall application-rule create -g $RG -f $FW --collection-name aksfwar -n fqdn --source-addresses '*' \\
  --protocols 'http=80' 'https=443' --fqdn-tags "AzureKubernetesService" --action allow --priority 100
az network vnet subnet update -g $RG --vnet-name $VNET -n aks-subnet --route-table aks-rt
SUBNET_ID=$(az network vnet subnet show -g $RG --vnet-name $VNET -n aks-subnet --query id -o tsv)
if [ "${{CREATE_CLUSTER:-1}}" = "1" ]; then
  az aks create -g $RG -n aks-{n} -l $LOC --node-count {nodes} --network-plugin azure \\
    --outbound-type userDefinedRouting --vnet-subnet-id $SUBNET_ID \\
    --service-cidr 10.{b}.0.0/16 --dns-service-ip 10.{b}.0.10 --api-server-authorized-ip-ranges $FW_PUBLIC_IP
fi
"""

PWSH = """$RG = "rg-ps-{n}"
$LOC = "{region}"
az group create --name $RG --location $LOC
az network vnet create -g $RG -n vnet-{n} --address-prefixes 10.{a}.0.0/16 `
  --subnet-name nodes --subnet-prefixes 10.{a}.0.0/22
az network public-ip create -g $RG -n natpip-{n} --sku Standard
az network nat gateway create -g $RG -n nat-{n} --public-ip-addresses natpip-{n} --idle-timeout 10
$SUBNET_ID = az network vnet subnet update -g $RG --vnet-name vnet-{n} -n nodes --nat-gateway nat-{n} --query id -o tsv
az aks create -g $RG -n aks-{n} --vnet-subnet-id $SUBNET_ID --outbound-type userAssignedNATGateway `
  --network-plugin azure --network-plugin-mode overlay --pod-cidr 192.168.0.0/16 `
  --enable-cluster-autoscaler --min-count 1 --max-count {nodes}
"""

K8S = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{n}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: web-{n}}}
  template:
    metadata:
      labels: {{app: web-{n}}}
    spec:
      containers:
        - name: web
          image: mcr.microsoft.com/azuredocs/aks-helloworld:v1
---
apiVersion: v1
kind: Service
metadata:
  name: web-{n}
  annotations:
    service.beta.kubernetes.io/azure-load-balancer-internal: "true"
spec:
  type: LoadBalancer
  ports: [{{port: 80}}]
  selector: {{app: web-{n}}}
"""


def arm_template(n: int, rng: random.Random) -> dict:
    a = n % 250
    rules = [{"name": f"r{i}", "protocols": ["TCP"], "sourceAddresses": [f"10.{a}.1.0/24"],
              "destinationAddresses": [f"20.{i % 250}.{rng.randrange(250)}.0/24"], "destinationPorts": [str(443 + i)]}
             for i in range(rng.randrange(5, 25))]
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"location": {"type": "string", "defaultValue": "westeurope"},
                       "prefix": {"type": "string", "defaultValue": f"spoke{n}"}},
        "variables": {"vnetName": "[concat(parameters('prefix'), '-vnet')]",
                      "fwName": "[concat(parameters('prefix'), '-fw')]"},
        "resources": [
            {"type": "Microsoft.Network/routeTables", "apiVersion": "2023-04-01",
             "name": "[concat(parameters('prefix'), '-rt')]", "location": "[parameters('location')]",
             "properties": {"routes": [{"name": "default", "properties": {
                 "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance",
                 "nextHopIpAddress": f"10.{a}.2.4"}}]}},
            {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-04-01",
             "name": "[variables('vnetName')]", "location": "[parameters('location')]",
             "properties": {"addressSpace": {"addressPrefixes": [f"10.{a}.0.0/16"]}, "subnets": [
                 {"name": "aks", "properties": {"addressPrefix": f"10.{a}.1.0/24", "routeTable": {
                     "id": "[resourceId('Microsoft.Network/routeTables', concat(parameters('prefix'), '-rt'))]"}}},
                 {"name": "AzureFirewallSubnet", "properties": {"addressPrefix": f"10.{a}.2.0/26"}}]}},
            {"type": "Microsoft.Network/azureFirewalls", "apiVersion": "2023-04-01",
             "name": "[variables('fwName')]", "location": "[parameters('location')]",
             "properties": {"ipConfigurations": [{"name": "cfg", "properties": {
                 "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', variables('vnetName'), 'AzureFirewallSubnet')]"}}}],
                 "networkRuleCollections": [{"name": "spoke", "properties": {
                     "priority": 200, "action": {"type": "Allow"}, "rules": rules}}]}},
        ],
    }


def generate(out: Path, files: int, seed: int = 7, arm_only: bool = False) -> dict[str, int]:
    """``files`` files under ``out`` (20 team folders): 2/5 ARM templates, 1/5 each bash,
    PowerShell and Kubernetes; or only ARM templates (the subset checkov reads)."""
    rng = random.Random(seed)
    regions = ["westeurope", "eastus", "northeurope", "westus2", "uksouth"]
    out.mkdir(parents=True, exist_ok=True)
    counts = {"bash": 0, "powershell": 0, "arm": 0, "kubernetes": 0}
    for n in range(files):
        params = {"n": n, "region": rng.choice(regions), "a": n % 250, "b": 100 + n % 100,
                  "nodes": rng.randrange(3, 50)}
        kind = ("arm", "arm", "bash", "powershell", "kubernetes")[n % 5] if files > 4 else "bash"
        if arm_only:
            kind = "arm"
        folder = out / f"team{n % 20:02d}"
        folder.mkdir(exist_ok=True)
        if kind == "arm":
            (folder / f"spoke{n}.json").write_text(json.dumps(arm_template(n, rng), indent=2), "utf-8")
        elif kind == "bash":
            (folder / f"deploy{n}.sh").write_text(BASH.format(**params), "utf-8")
        elif kind == "powershell":
            (folder / f"deploy{n}.ps1").write_text(PWSH.format(**params), "utf-8")
        else:
            (folder / f"app{n}.yaml").write_text(K8S.format(**params), "utf-8")
        counts[kind] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--arm-only", action="store_true", help="only ARM templates")
    args = parser.parse_args()
    print(generate(args.out, args.files, args.seed, args.arm_only))


if __name__ == "__main__":
    main()
