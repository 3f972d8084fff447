// Key Vault for the service-account password and the token encryption key. Access is RBAC only (no access
// policies); soft delete and purge protection keep a deleted key recoverable, because tokens encrypted with
// it cannot be read without it.

@description('Name of the vault (3-24 characters).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags applied to the vault.')
param tags object

@description('Days a deleted vault or secret can be recovered.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int

@description('Resource id of the only subnet allowed to reach the vault; empty leaves it reachable from any network (access still needs RBAC).')
param allowedSubnetId string

@description('Public IP addresses or CIDR ranges also allowed when allowedSubnetId is set (the post-provision step runs from one).')
param allowedIpAddresses string[]

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    // As for storage: the firewall (service endpoint + IP rules) acts on the public endpoint.
    publicNetworkAccess: 'Enabled'
    networkAcls: empty(allowedSubnetId)
      ? {
          defaultAction: 'Allow'
          bypass: 'AzureServices'
        }
      : {
          defaultAction: 'Deny'
          bypass: 'AzureServices'
          virtualNetworkRules: [
            {
              id: allowedSubnetId
              ignoreMissingVnetServiceEndpoint: false
            }
          ]
          ipRules: map(allowedIpAddresses, ip => { value: ip })
        }
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
