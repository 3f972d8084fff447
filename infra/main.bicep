// Graph Token Manager: entry point for `azd up` and `az deployment sub create`. Creates (or reuses) the
// resource group and deploys resources.bicep into it. See docs/infra.md.
targetScope = 'subscription'

@description('Name of the environment (azd: AZURE_ENV_NAME); part of every resource name.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Azure region of every resource (Flex Consumption must be available there).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Resource group to create or reuse; default rg-<environmentName>.')
param resourceGroupName string = ''

@description('Object id of the deploying user or service principal (azd: AZURE_PRINCIPAL_ID); it gets Key Vault Secrets Officer on the vault so the post-provision step can store the secrets. Empty: no role (an administrator stores them).')
param deployerPrincipalId string = ''

@description('Type of deployerPrincipalId: User, ServicePrincipal or Group; empty means User.')
param deployerPrincipalType string = ''

@description('App registration (public client, "Allow public client flows") used for ROPC.')
@minLength(1)
param graphClientId string

@description('Tenant id or verified domain of the service account; empty means the deployment\'s tenant.')
param graphTenant string = ''

@description('Service account UPN.')
@minLength(1)
param graphUsername string

@description('Microsoft 365 group whose calendar receives events; empty if events are not used.')
param graphGroupId string = ''

@description('Several allowed calendars, `alias=groupId,…` (alias [a-z0-9-]{1,32}; a bare group id is its own alias); the first is the default. Empty: graphGroupId alone, alias default.')
param graphGroupIds string = ''

@description('Entra ID authority host (national clouds); empty means the login endpoint of the deployment\'s cloud.')
param graphAuthorityHost string = ''

@description('Microsoft Graph base URL (national clouds); empty means https://graph.microsoft.com/v1.0.')
param graphApiBaseUrl string = ''

@description('Delegated scopes, space separated; empty means Group.ReadWrite.All and User.Read on Graph.')
param graphScopes string = ''

@description('Audience caller tokens must carry: the Application ID URI (or client id) of the API app registration.')
@minLength(1)
param apiAudience string

@description('Client id of the SPA app registration for the admin page; empty to leave admin sign-in unconfigured.')
param adminClientId string = ''

@description('Token table name (the audit table is <name>Audit); empty means GraphTokens.')
param tokenTableName string = ''

@description('Token type the service uses: ropc (password, default when empty) or delegated (an administrator signs the service account in; for tenants that require MFA).')
@allowed([
  ''
  'ropc'
  'delegated'
])
param graphTokenType string = ''

@description('Key Vault secret (PEM certificate with key, or client secret) that makes the delegated sign-in a confidential client; empty for a public client.')
param graphClientCredentialSecretName string = ''

@description('https URL that receives the signed CloudEvents notifications; empty for none.')
param notifyWebhookUrl string = ''

@description('Key Vault secret holding the notification signing key; required when notifyWebhookUrl is set.')
param notifyWebhookSecretName string = ''

@description('NCRONTAB schedule of the refresh timer; empty means every 5 minutes.')
param refreshSchedule string = ''

@description('NCRONTAB schedule of the cleanup timer; empty means daily at 02:30 UTC.')
param cleanupSchedule string = ''

@description('NCRONTAB schedule of the validate timer; empty means Mondays at 03:00 UTC.')
param validateSchedule string = ''

@description('Node.js major version of the Functions runtime.')
@allowed([
  '20'
  '22'
])
param nodeVersion string = '22'

@description('Upper bound on Flex Consumption instances.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Always-ready instances for HTTP functions; 0 scales to zero (billed only per execution).')
@minValue(0)
param alwaysReadyInstances int = 0

@description('Days a deleted vault or secret can be recovered.')
@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteRetentionInDays int = 90

@description('Days Log Analytics keeps data.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Daily Log Analytics ingestion cap in GB; -1 means no cap.')
param logDailyQuotaGb int = -1

@description('E-mail address of the operator who receives every alert (action group e-mail receiver).')
@minLength(3)
param alertEmail string

@description('Webhook that also receives every alert in the common alert schema (for example a chat or ticketing integration); empty for none.')
@secure()
param alertWebhookUrl string = ''

@description('Restrict the storage account and the vault to the app\'s subnet: creates a virtual network with a subnet delegated to Flex Consumption, integrates the app, and sets both firewalls to deny every other network (Azure services bypass).')
param restrictNetwork bool = false

@description('With restrictNetwork: public IP addresses or CIDR ranges, comma or space separated, also let through both firewalls (the machine that runs the post-provision step or the CLI); empty for none.')
param allowedIpAddresses string = ''

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: {
    'azd-env-name': environmentName
  }
}

module resources 'resources.bicep' = {
  name: 'graph-token-manager'
  scope: rg
  params: {
    environmentName: environmentName
    location: location
    deployerPrincipalId: deployerPrincipalId
    deployerPrincipalType: deployerPrincipalType
    graphClientId: graphClientId
    graphTenant: graphTenant
    graphUsername: graphUsername
    graphGroupId: graphGroupId
    graphGroupIds: graphGroupIds
    graphAuthorityHost: graphAuthorityHost
    graphApiBaseUrl: graphApiBaseUrl
    graphScopes: graphScopes
    apiAudience: apiAudience
    adminClientId: adminClientId
    tokenTableName: tokenTableName
    graphTokenType: graphTokenType
    graphClientCredentialSecretName: graphClientCredentialSecretName
    notifyWebhookUrl: notifyWebhookUrl
    notifyWebhookSecretName: notifyWebhookSecretName
    refreshSchedule: refreshSchedule
    cleanupSchedule: cleanupSchedule
    validateSchedule: validateSchedule
    nodeVersion: nodeVersion
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    alwaysReadyInstances: alwaysReadyInstances
    keyVaultSoftDeleteRetentionInDays: keyVaultSoftDeleteRetentionInDays
    logRetentionInDays: logRetentionInDays
    logDailyQuotaGb: logDailyQuotaGb
    alertEmail: alertEmail
    alertWebhookUrl: alertWebhookUrl
    restrictNetwork: restrictNetwork
    allowedIpAddresses: allowedIpAddresses
  }
}

// Outputs land in the azd environment (.azure/<env>/.env) and so reach the post-provision hook.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = resources.outputs.functionAppName
output SERVICE_API_NAME string = resources.outputs.functionAppName
output SERVICE_API_URI string = resources.outputs.functionAppUri
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = resources.outputs.identityClientId
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = resources.outputs.identityPrincipalId
output KEY_VAULT_NAME string = resources.outputs.keyVaultName
output KEY_VAULT_URL string = resources.outputs.keyVaultUri
output AZURE_STORAGE_ACCOUNT_NAME string = resources.outputs.storageAccountName
output TOKEN_TABLE_ENDPOINT string = resources.outputs.tableEndpoint
output TOKEN_TABLE_NAME string = resources.outputs.tokenTableName
output APPLICATIONINSIGHTS_NAME string = resources.outputs.applicationInsightsName
output GRAPH_CLIENT_ID string = graphClientId
output API_AUDIENCE string = apiAudience
