// Every role assignment of the deployment, in one place, each scoped to the single resource that needs it.
// The function's identity gets data-plane roles only: no Owner/Contributor, no key or management access.
// Role definition ids are built-in (the same in every Azure cloud) and written out literally so the
// compiled template can be checked by test/infra/infra.test.ts.

@description('Name of the function app\'s user-assigned managed identity.')
param identityName string

@description('Storage account holding the host state, the deployment package and the token tables.')
param storageAccountName string

@description('Blob container of the deployment package (Storage Blob Data Owner is scoped to it alone).')
param deploymentContainerName string

@description('Blob containers of the Functions host (Storage Blob Data Contributor is scoped to each).')
param hostContainerNames string[]

@description('Key Vault holding the password and the encryption key.')
param keyVaultName string

@description('Application Insights component the function app publishes telemetry to.')
param applicationInsightsName string

@description('Object id of the user or service principal running the deployment; empty to skip its role.')
param deployerPrincipalId string

@description('Type of the deploying principal.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param deployerPrincipalType string

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: identityName
}

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource deploymentContainer 'containers' existing = {
      name: deploymentContainerName
    }

    resource hostContainers 'containers' existing = [
      for container in hostContainerNames: {
        name: container
      }
    ]
  }
}

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' existing = {
  name: keyVaultName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Assignment names derive from the identity's resource id (known before deployment, so what-if can predict
// them), not from its principal id.

// Storage Table Data Contributor: the token and audit tables.
resource tableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3')
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
    )
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Blob Data Owner on the deployment package container only (not the account): the Flex Consumption
// host reads its package from it with this identity.
resource blobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::blobService::deploymentContainer.id, identity.id, 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b')
  scope: storage::blobService::deploymentContainer
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
    )
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Blob Data Contributor on each host container (azure-webjobs-hosts: blob leases for the timer
// singletons and the timer schedule status; azure-webjobs-secrets: host keys). Contributor, not Owner: the
// host reads and writes blobs and nothing more.
resource blobDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (container, i) in hostContainerNames: {
    name: guid(storage::blobService::hostContainers[i].id, identity.id, 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
    scope: storage::blobService::hostContainers[i]
    properties: {
      roleDefinitionId: subscriptionResourceId(
        'Microsoft.Authorization/roleDefinitions',
        'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
      )
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

// Storage Queue Data Contributor: the Functions host's internal queues.
resource queueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, '974c5e8b-45b9-4653-ba55-5f855dd0fb88')
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
    )
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Key Vault Secrets User: read the password and the encryption key (never write or list keys).
resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, '4633458b-17de-408a-b874-0445c86b69e6')
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      '4633458b-17de-408a-b874-0445c86b69e6'
    )
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Monitoring Metrics Publisher: telemetry with Entra ID auth (App Insights local auth is off).
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, identity.id, '3913510d-42f4-4e42-8a64-420c390055eb')
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      '3913510d-42f4-4e42-8a64-420c390055eb'
    )
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Key Vault Secrets Officer for the deploying principal, on this vault only, so the post-provision hook can
// store the password and the encryption key (it lists and sets secrets; it never reads a value). Skipped
// when deployerPrincipalId is empty (an administrator stores them instead). The secrets do not exist before
// the hook runs, so the role cannot be scoped to them.
resource deployerSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7')
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
    )
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}
