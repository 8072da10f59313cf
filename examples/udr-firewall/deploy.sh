#!/usr/bin/env bash
# AKS behind Azure Firewall with a user-defined route: the setup of Microsoft's "limit egress
# traffic" tutorial, with four mistakes real scripts make. Run `egresslint scan examples/`.
set -euo pipefail

RG=rg-aks-egress
LOC=westeurope
VNET=aks-vnet
FW=aks-fw

az group create --name $RG --location $LOC
az network vnet create -g $RG -n $VNET -l $LOC --address-prefixes 10.42.0.0/16 \
  --subnet-name aks-subnet --subnet-prefixes 10.42.1.0/24
az network vnet subnet create -g $RG --vnet-name $VNET -n AzureFirewallSubnet --address-prefixes 10.42.2.0/26

az network public-ip create -g $RG -n $FW-pip -l $LOC --sku Standard
az network firewall create -g $RG -n $FW -l $LOC --enable-dns-proxy true
az network firewall ip-config create -g $RG -f $FW -n $FW-config --public-ip-address $FW-pip --vnet-name $VNET

# Mistake 1: the legacy spelling privateIpAddress yields an empty value on the current CLI
FW_PRIVATE_IP=$(az network firewall show -g $RG -n $FW --query "ipConfigurations[0].privateIpAddress" -o tsv)
FW_PUBLIC_IP=$(az network public-ip show -g $RG -n $FW-pip --query ipAddress -o tsv)

az network route-table create -g $RG -n aks-rt -l $LOC
# Mistake 2: the default route points at the firewall's PUBLIC address
az network route-table route create -g $RG --route-table-name aks-rt -n default-to-fw \
  --address-prefix 0.0.0.0/0 --next-hop-type VirtualAppliance --next-hop-ip-address $FW_PUBLIC_IP
az network vnet subnet update -g $RG --vnet-name $VNET -n aks-subnet --route-table aks-rt

# Mistake 3: pasted from a blog, with an en dash
az network firewall network-rule create -g $RG -f $FW --collection-name aksfwnr -n apiudp \
  --protocols UDP --source-addresses '*' --destination-addresses "AzureCloud.$LOC" \
  --destination-ports 1194 –action allow --priority 100

SUBNET_ID=$(az network vnet subnet show -g $RG --vnet-name $VNET -n aks-subnet --query id -o tsv)
# Mistake 4: the service CIDR lies inside the VNet
az aks create -g $RG -n aks-egress -l $LOC --network-plugin azure \
  --outbound-type userDefinedRouting --vnet-subnet-id $SUBNET_ID \
  --service-cidr 10.42.0.0/24 --dns-service-ip 10.42.0.10
