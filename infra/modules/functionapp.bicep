// Flex Consumption plan and the function app. Every setting the code reads in Azure (README, "Configuration") is wired here,
// as a literal name, so the infrastructure test can compare this list with src/lib/config.ts. Secrets are
// never app settings: the app reads the password and the encryption key from Key Vault with its identity.

@description('Name of the function app.')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region.')
param location string

@description('Tags applied to the plan and the app.')
param tags object

@description('Resource id of the user-assigned managed identity the app runs as.')
param identityId string

@description('Client id of that identity (for DefaultAzureCredential and the Functions host).')
param identityClientId string

@description('Storage account used by the host (AzureWebJobsStorage) and the token tables.')
param storageAccountName string

@description('URL of the blob container that holds the deployment package.')
param deploymentContainerUrl string

@description('Table endpoint of the storage account, used with the managed identity.')
param tableEndpoint string

@description('Name of the token table.')
param tokenTableName string

@description('Key Vault URI (https://<name>.vault.azure.net/).')
param keyVaultUri string

@description('Application Insights component that receives telemetry.')
param applicationInsightsName string

@description('Node.js major version of the Functions runtime.')
@allowed([
  '20'
  '22'
])
param nodeVersion string

@description('Upper bound on the number of instances Flex Consumption scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('Always-ready instances for the HTTP functions (0 = scale to zero; more are billed while idle).')
@minValue(0)
param alwaysReadyInstances int

@description('App registration (public client) used for ROPC.')
param graphClientId string

@description('Tenant id or domain.')
param graphTenant string

@description('Service account UPN.')
param graphUsername string

@description('Microsoft 365 group whose calendar receives events (empty disables createGroupEvent).')
param graphGroupId string

@description('Several allowed calendars, `alias=groupId,…`; empty: graphGroupId alone.')
param graphGroupIds string

@description('Entra ID authority host.')
param graphAuthorityHost string

@description('Microsoft Graph base URL.')
param graphApiBaseUrl string

@description('Delegated scopes, space separated.')
param graphScopes string

@description('Audience that caller tokens must carry (Application ID URI or client id of the API app registration).')
param apiAudience string

@description('Client id of the SPA app registration the admin page signs in with (empty: admin sign-in off).')
param adminClientId string

@description('Token type the service uses (ropc or delegated).')
param graphTokenType string

@description('Key Vault secret of the delegated sign-in client credential (empty: public client).')
param graphClientCredentialSecretName string

@description('Receiver of the signed CloudEvents notifications (empty: none).')
param notifyWebhookUrl string

@description('Key Vault secret holding the notification signing key.')
param notifyWebhookSecretName string

@description('NCRONTAB schedule of the refresh timer.')
param refreshSchedule string

@description('NCRONTAB schedule of the cleanup timer.')
param cleanupSchedule string

@description('NCRONTAB schedule of the validate timer.')
param validateSchedule string

@description('Subnet (delegated to Microsoft.App/environments) the app integrates into; empty for no virtual network.')
param subnetId string

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    publicNetworkAccess: 'Enabled'
    // Outbound traffic (storage, Key Vault, Entra ID, Graph) leaves through this subnet when it is set.
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        // Host storage with the managed identity (no connection string, no shared key).
        { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        // Telemetry with Entra ID auth: App Insights has local auth disabled.
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: applicationInsights.properties.ConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${identityClientId}' }
        // The identity DefaultAzureCredential picks for Key Vault and Table Storage.
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'KEY_VAULT_URL', value: keyVaultUri }
        { name: 'TOKEN_TABLE_ENDPOINT', value: tableEndpoint }
        { name: 'TOKEN_TABLE_NAME', value: tokenTableName }
        { name: 'GRAPH_CLIENT_ID', value: graphClientId }
        { name: 'GRAPH_TENANT', value: graphTenant }
        { name: 'GRAPH_USERNAME', value: graphUsername }
        { name: 'GRAPH_GROUP_ID', value: graphGroupId }
        { name: 'GRAPH_GROUP_IDS', value: graphGroupIds }
        { name: 'GRAPH_AUTHORITY_HOST', value: graphAuthorityHost }
        { name: 'GRAPH_API_BASE_URL', value: graphApiBaseUrl }
        { name: 'GRAPH_SCOPES', value: graphScopes }
        { name: 'API_AUDIENCE', value: apiAudience }
        { name: 'ADMIN_CLIENT_ID', value: adminClientId }
        { name: 'GRAPH_TOKEN_TYPE', value: graphTokenType }
        { name: 'GRAPH_CLIENT_CREDENTIAL_SECRET_NAME', value: graphClientCredentialSecretName }
        { name: 'NOTIFY_WEBHOOK_URL', value: notifyWebhookUrl }
        { name: 'NOTIFY_WEBHOOK_SECRET_NAME', value: notifyWebhookSecretName }
        { name: 'REFRESH_SCHEDULE', value: refreshSchedule }
        { name: 'CLEANUP_SCHEDULE', value: cleanupSchedule }
        { name: 'VALIDATE_SCHEDULE', value: validateSchedule }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: alwaysReadyInstances > 0 ? [{ name: 'http', instanceCount: alwaysReadyInstances }] : []
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }

  // azd deploys with Entra ID (OneDeploy); FTP and SCM basic-auth publishing are not needed.
  resource ftpPublishing 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: {
      allow: false
    }
  }

  resource scmPublishing 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
  }
}

output name string = site.name
output uri string = 'https://${site.properties.defaultHostName}'
