// Optional network restriction (parameter restrictNetwork): a virtual network with one subnet that the Flex
// Consumption app integrates into. The subnet is delegated to Microsoft.App/environments (what Flex
// Consumption requires) and has service endpoints for Storage and Key Vault, so the storage account and the
// vault can deny every other network and still admit the app. See docs/infra.md, "Network restriction".

@description('Name of the virtual network.')
param name string

@description('Azure region.')
param location string

@description('Tags applied to the network.')
param tags object

@description('Name of the subnet the function app integrates into.')
param subnetName string

@description('Address space of the virtual network.')
param addressPrefix string

@description('Address range of the app subnet (Flex Consumption needs at least a /28; a /24 leaves room to scale).')
param subnetPrefix string

resource vnet 'Microsoft.Network/virtualNetworks@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: subnetName
        properties: {
          addressPrefix: subnetPrefix
          // The app calls Entra ID and Microsoft Graph on the internet. New subnets may default to no
          // outbound access; keep it explicit (a NAT gateway is the alternative, see docs/infra.md).
          defaultOutboundAccess: true
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
          serviceEndpoints: [
            {
              service: 'Microsoft.Storage'
            }
            {
              service: 'Microsoft.KeyVault'
            }
          ]
        }
      }
    ]
  }
}

output name string = vnet.name
