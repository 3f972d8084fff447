// Storage account used by the Functions host (AzureWebJobsStorage), the Flex Consumption deployment package
// and the token tables. Shared keys are disabled, so every client authenticates with Entra ID.

@description('Name of the storage account (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags applied to the account.')
param tags object

@description('Blob container that holds the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Name of the token table; the audit table is this name followed by "Audit".')
param tokenTableName string

@description('Blob containers the Functions host uses (locks, timer status, host keys), created here so that its role can be scoped to them.')
param hostContainerNames string[]

@description('Resource id of the only subnet allowed to reach the account; empty leaves the account reachable from any network (access still needs RBAC).')
param allowedSubnetId string

@description('Public IP addresses or CIDR ranges also allowed when allowedSubnetId is set (for example an operator workstation).')
param allowedIpAddresses string[]

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Service endpoints and IP rules act on the public endpoint, so it stays enabled; with a subnet the
    // firewall denies every other network. Without one the account is reachable from any network, and
    // access is still only granted through RBAC.
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
              action: 'Allow'
            }
          ]
          ipRules: map(allowedIpAddresses, ip => { value: ip, action: 'Allow' })
        }
    encryption: {
      keySource: 'Microsoft.Storage'
      services: {
        blob: {
          enabled: true
        }
        table: {
          enabled: true
        }
        queue: {
          enabled: true
        }
      }
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }

    resource hostContainers 'containers' = [
      for container in hostContainerNames: {
        name: container
        properties: {
          publicAccess: 'None'
        }
      }
    ]
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource tokenTable 'tables' = {
      name: tokenTableName
    }

    resource auditTable 'tables' = {
      name: '${tokenTableName}Audit'
    }
  }
}

output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output tableEndpoint string = 'https://${storage.name}.table.${environment().suffixes.storage}'
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
