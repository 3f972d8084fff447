// Everything Graph Token Manager needs inside one resource group. main.bicep (subscription scope, used by
// `azd up`) creates the group and calls this file; deploy this file directly with
// `az deployment group create` into a group that already exists. Keep the parameter defaults in step with
// main.bicep (the infrastructure test compares them).

@description('Name of the environment; part of every resource name and the azd-env-name tag.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Azure region of every resource (Flex Consumption must be available there).')
param location string = resourceGroup().location

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

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = {
  'azd-env-name': environmentName
}
var deploymentContainerName = 'app-package'
// The Functions host's own containers: azure-webjobs-hosts (blob leases of the timer singletons, timer
// status) and azure-webjobs-secrets (host keys). Created by the template so their role can be scoped to them.
var hostContainerNames = [
  'azure-webjobs-hosts'
  'azure-webjobs-secrets'
]
// The Key Vault secrets only the app may read: the code's default names (docs/infra.md, "Alert rules").
var protectedSecretNames = [
  'graph-password'
  'token-encryption-key'
]
var subnetName = 'app'
var allowedIps = filter(split(replace(allowedIpAddresses, ' ', ','), ','), ip => !empty(ip))

// An empty setting parameter means "the code's default" (README, "Configuration"), so azd can pass unset environment
// variables straight through. The defaults are resolved here so the app settings show the values in use.
var loginEndpoint = environment().authentication.loginEndpoint
var settings = {
  graphTenant: empty(graphTenant) ? tenant().tenantId : graphTenant
  graphAuthorityHost: !empty(graphAuthorityHost)
    ? graphAuthorityHost
    : (endsWith(loginEndpoint, '/') ? take(loginEndpoint, length(loginEndpoint) - 1) : loginEndpoint)
  graphApiBaseUrl: empty(graphApiBaseUrl) ? 'https://graph.microsoft.com/v1.0' : graphApiBaseUrl
  graphScopes: empty(graphScopes)
    ? 'https://graph.microsoft.com/Group.ReadWrite.All https://graph.microsoft.com/User.Read'
    : graphScopes
  tokenTableName: empty(tokenTableName) ? 'GraphTokens' : tokenTableName
  graphTokenType: empty(graphTokenType) ? 'ropc' : graphTokenType
  refreshSchedule: empty(refreshSchedule) ? '0 */5 * * * *' : refreshSchedule
  cleanupSchedule: empty(cleanupSchedule) ? '0 30 2 * * *' : cleanupSchedule
  validateSchedule: empty(validateSchedule) ? '0 0 3 * * 1' : validateSchedule
  deployerPrincipalType: empty(deployerPrincipalType) ? 'User' : deployerPrincipalType
}

// Names are computed here, not read from module outputs, so what-if can predict every resource id.
var names = {
  identity: 'id-${resourceToken}'
  logAnalytics: 'log-${resourceToken}'
  applicationInsights: 'appi-${resourceToken}'
  storage: 'st${resourceToken}'
  keyVault: 'kv-${resourceToken}'
  plan: 'plan-${resourceToken}'
  functionApp: 'func-${resourceToken}'
  vnet: 'vnet-${resourceToken}'
  actionGroup: 'ag-${resourceToken}'
  alertPrefix: 'alert-${resourceToken}'
}
// Computed, not read from the network module, so that what-if can predict it; empty without restriction.
var allowedSubnetId = restrictNetwork
  ? resourceId('Microsoft.Network/virtualNetworks/subnets', names.vnet, subnetName)
  : ''

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: tags
    retentionInDays: logRetentionInDays
    dailyQuotaGb: logDailyQuotaGb
  }
}

module network 'modules/network.bicep' = if (restrictNetwork) {
  name: 'network'
  params: {
    name: names.vnet
    location: location
    tags: tags
    subnetName: subnetName
    addressPrefix: '10.0.0.0/16'
    subnetPrefix: '10.0.0.0/24'
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  // The firewall rule needs the subnet and its service endpoint.
  dependsOn: [
    network
  ]
  params: {
    name: names.storage
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    tokenTableName: settings.tokenTableName
    hostContainerNames: hostContainerNames
    allowedSubnetId: allowedSubnetId
    allowedIpAddresses: allowedIps
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  dependsOn: [
    network
  ]
  params: {
    name: names.keyVault
    location: location
    tags: tags
    softDeleteRetentionInDays: keyVaultSoftDeleteRetentionInDays
    allowedSubnetId: allowedSubnetId
    allowedIpAddresses: allowedIps
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  dependsOn: [
    identity
    storage
    keyVault
    monitoring
  ]
  params: {
    identityName: names.identity
    storageAccountName: names.storage
    deploymentContainerName: deploymentContainerName
    hostContainerNames: hostContainerNames
    keyVaultName: names.keyVault
    applicationInsightsName: names.applicationInsights
    deployerPrincipalId: deployerPrincipalId
    deployerPrincipalType: settings.deployerPrincipalType
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  // The host reads its deployment package and storage with the identity on first start: grant roles first.
  dependsOn: [
    roles
    monitoring
  ]
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: names.storage
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    tableEndpoint: storage.outputs.tableEndpoint
    tokenTableName: settings.tokenTableName
    keyVaultUri: keyVault.outputs.uri
    applicationInsightsName: names.applicationInsights
    nodeVersion: nodeVersion
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    alwaysReadyInstances: alwaysReadyInstances
    graphClientId: graphClientId
    graphTenant: settings.graphTenant
    graphUsername: graphUsername
    graphGroupId: graphGroupId
    graphGroupIds: graphGroupIds
    graphAuthorityHost: settings.graphAuthorityHost
    graphApiBaseUrl: settings.graphApiBaseUrl
    graphScopes: settings.graphScopes
    apiAudience: apiAudience
    adminClientId: adminClientId
    graphTokenType: settings.graphTokenType
    graphClientCredentialSecretName: graphClientCredentialSecretName
    notifyWebhookUrl: notifyWebhookUrl
    notifyWebhookSecretName: notifyWebhookSecretName
    refreshSchedule: settings.refreshSchedule
    cleanupSchedule: settings.cleanupSchedule
    validateSchedule: settings.validateSchedule
    subnetId: allowedSubnetId
  }
}

module diagnostics 'modules/diagnostics.bicep' = {
  name: 'diagnostics'
  dependsOn: [
    monitoring
    storage
    keyVault
    functionApp
  ]
  params: {
    logAnalyticsName: names.logAnalytics
    keyVaultName: names.keyVault
    storageAccountName: names.storage
    functionAppName: names.functionApp
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  dependsOn: [
    monitoring
    keyVault
  ]
  params: {
    location: location
    tags: tags
    actionGroupName: names.actionGroup
    namePrefix: names.alertPrefix
    logAnalyticsName: names.logAnalytics
    alertEmail: alertEmail
    alertWebhookUrl: alertWebhookUrl
    keyVaultName: names.keyVault
    protectedSecretNames: protectedSecretNames
    appPrincipalId: identity.outputs.principalId
  }
}

output functionAppName string = functionApp.outputs.name
output functionAppUri string = functionApp.outputs.uri
output identityClientId string = identity.outputs.clientId
output identityPrincipalId string = identity.outputs.principalId
output keyVaultName string = keyVault.outputs.name
output keyVaultUri string = keyVault.outputs.uri
output storageAccountName string = storage.outputs.name
output tableEndpoint string = storage.outputs.tableEndpoint
output tokenTableName string = settings.tokenTableName
output applicationInsightsName string = monitoring.outputs.applicationInsightsName
