// Diagnostic settings: every resource that holds or serves a secret or a token sends its logs to the Log
// Analytics workspace. Key Vault AuditEvent goes to the resource-specific table AZKVAuditLogs (the alert on
// secret reads queries it), Storage table and blob read/write/delete go to StorageTableLogs and
// StorageBlobLogs, and the function app's FunctionAppLogs to FunctionAppLogs. See docs/infra.md.

@description('Log Analytics workspace that receives the logs.')
param logAnalyticsName string

@description('Key Vault whose AuditEvent log is sent.')
param keyVaultName string

@description('Storage account whose table and blob services send StorageRead, StorageWrite and StorageDelete.')
param storageAccountName string

@description('Function app whose FunctionAppLogs are sent.')
param functionAppName string

var storageCategories = [
  'StorageRead'
  'StorageWrite'
  'StorageDelete'
]

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' existing = {
  name: logAnalyticsName
}

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' existing = {
  name: keyVaultName
}

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName

  resource tableService 'tableServices' existing = {
    name: 'default'
  }

  resource blobService 'blobServices' existing = {
    name: 'default'
  }
}

resource site 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
}

resource vaultDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: vault
  properties: {
    workspaceId: workspace.id
    // Resource-specific table AZKVAuditLogs (typed columns) instead of AzureDiagnostics.
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        category: 'AuditEvent'
        enabled: true
      }
    ]
  }
}

resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: storage::tableService
  properties: {
    workspaceId: workspace.id
    logs: map(storageCategories, category => { category: category, enabled: true })
  }
}

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: storage::blobService
  properties: {
    workspaceId: workspace.id
    logs: map(storageCategories, category => { category: category, enabled: true })
  }
}

resource siteDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: site
  properties: {
    workspaceId: workspace.id
    logs: [
      {
        category: 'FunctionAppLogs'
        enabled: true
      }
    ]
  }
}
