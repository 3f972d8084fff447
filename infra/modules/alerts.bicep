// Azure Monitor alerts: one action group (an e-mail receiver, optionally a webhook) and five log search
// alert rules on the Log Analytics workspace that holds the Application Insights tables (AppMetrics,
// AppTraces, AppRequests) and the Key Vault audit log (AZKVAuditLogs). docs/infra.md, "Alert rules", lists
// each rule with its query, threshold and window, and what the operator does when it fires.

@description('Azure region of the alert rules (the action group is global).')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the action group.')
param actionGroupName string

@description('Prefix of the alert rule names.')
param namePrefix string

@description('Log Analytics workspace the rules query.')
param logAnalyticsName string

@description('E-mail address that receives every alert.')
param alertEmail string

@description('Webhook that also receives every alert (common alert schema); empty for none.')
@secure()
param alertWebhookUrl string

@description('Key Vault holding the password and the encryption key.')
param keyVaultName string

@description('Names of the Key Vault secrets only the app may read: the password and the encryption key.')
param protectedSecretNames string[]

@description('Object (principal) id of the function app\'s managed identity, the one identity allowed to read them.')
param appPrincipalId string

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' existing = {
  name: logAnalyticsName
}

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' existing = {
  name: keyVaultName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'graphtokens'
    enabled: true
    emailReceivers: [
      {
        name: 'operator-email'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
    webhookReceivers: empty(alertWebhookUrl)
      ? []
      : [
          {
            name: 'operator-webhook'
            serviceUri: alertWebhookUrl
            useCommonAlertSchema: true
          }
        ]
  }
}

// KQL of each rule. The window (windowSize) bounds TimeGenerated unless the rule overrides the query time
// range; the threshold is in the rule's criteria unless noted.
var secretList = join(map(protectedSecretNames, secret => '\'${secret}\''), ', ')
var queries = {
  // One row per token type whose active token expires in less than 600 s. The gauge is exported about once a
  // minute by every running instance; the newest point of each instance is aged to now and the best
  // instance counts. A type that reported in the last day but not in the last 15 minutes (no active token,
  // or no instance reporting) yields a row too, and so does "no point at all in a day".
  tokenExpiry: '''
let thresholdSeconds = 600;
let recent = 15m;
let points = AppMetrics
    | where Name == 'graph_token.seconds_until_expiry'
    | extend TokenType = tostring(Properties.token_type);
let latest = points
    | where TimeGenerated > ago(recent)
    | summarize arg_max(TimeGenerated, Sum, ItemCount) by TokenType, AppRoleInstance
    | extend Remaining = Sum / iff(ItemCount > 0, ItemCount, 1) - datetime_diff('second', now(), TimeGenerated)
    | summarize SecondsUntilExpiry = max(Remaining) by TokenType;
points
| distinct TokenType
| join kind=leftouter latest on TokenType
| project TokenType, SecondsUntilExpiry
| union (print TokenType = '(no token reported)', SecondsUntilExpiry = real(null) | where toscalar(points | count) == 0)
| where isnull(SecondsUntilExpiry) or SecondsUntilExpiry < thresholdSeconds
'''
  // The service's structured log line (one JSON object per event) as written by the Functions logger.
  // Sampled traces stand for ItemCount events each.
  refreshFailures: '''
AppTraces
| where Message contains '"event":"token_refresh_failed"'
| summarize Failures = sum(ItemCount)
'''
  credentialBlock: '''
AppTraces
| where Message contains '"event":"credentials_blocked"' or Message contains '"event":"sign_in_required"'
| extend Event = extract('"event":"([a-z_]+)"', 1, Message)
| summarize Events = sum(ItemCount) by Event
'''
  // HTTP requests only (timer invocations have no URL); fewer than 20 requests in the window never alert.
  serverErrors: '''
AppRequests
| where isnotempty(Url)
| summarize Requests = sum(ItemCount), Failed = sumif(ItemCount, toint(ResultCode) >= 500)
| where Requests >= 20
| extend FailedPercent = 100.0 * Failed / Requests
'''
  // Successful and refused reads alike; an unauthenticated request (the SDK's 401 challenge) names no caller
  // and reads nothing. Older log records carry the object id under the long claim name.
  foreignSecretRead: $'''
AZKVAuditLogs
| where _ResourceId =~ '${vault.id}'
| where OperationName == 'SecretGet'
| extend SecretName = tostring(split(coalesce(Id, RequestUri), '/')[4])
| where SecretName in~ (${secretList})
| extend CallerObjectId = coalesce(tostring(Identity.claim.oid), tostring(Identity.claim['http://schemas.microsoft.com/identity/claims/objectidentifier']))
| where isnotempty(CallerObjectId) and CallerObjectId != '${appPrincipalId}'
| summarize Reads = count() by SecretName, CallerObjectId, CallerIpAddress
'''
}

var rules = [
  {
    key: 'token-expiry'
    displayName: 'Graph token: active token expires in less than 10 minutes (or none is reported)'
    description: 'graph_token.seconds_until_expiry below 600 for a token type, or absent. Check GET /api/graph-tokens/status and the refresh timer.'
    severity: 1
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    // The query compares the last 15 minutes with the token types seen in the last day.
    overrideQueryTimeRange: 'P1D'
    query: queries.tokenExpiry
    timeAggregation: 'Count'
    metricMeasureColumn: null
    operator: 'GreaterThan'
    threshold: 0
    dimensions: [
      {
        name: 'TokenType'
        operator: 'Include'
        values: [
          '*'
        ]
      }
    ]
  }
  {
    key: 'refresh-failures'
    displayName: 'Graph token: 3 or more failed refreshes in 15 minutes'
    description: 'token_refresh_failed log events. Read the error codes in the audit log or the report.'
    severity: 2
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    overrideQueryTimeRange: null
    query: queries.refreshFailures
    timeAggregation: 'Total'
    metricMeasureColumn: 'Failures'
    operator: 'GreaterThanOrEqual'
    threshold: 3
    dimensions: []
  }
  {
    key: 'credential-block'
    displayName: 'Graph token: credential block or sign-in required'
    description: 'credentials_blocked or sign_in_required log events. The service account needs an administrator.'
    severity: 1
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    overrideQueryTimeRange: null
    query: queries.credentialBlock
    timeAggregation: 'Total'
    metricMeasureColumn: 'Events'
    operator: 'GreaterThan'
    threshold: 0
    dimensions: [
      {
        name: 'Event'
        operator: 'Include'
        values: [
          '*'
        ]
      }
    ]
  }
  {
    key: 'server-errors'
    displayName: 'Graph token: more than 5 % of HTTP requests failed with 5xx in 15 minutes'
    description: 'AppRequests with resultCode >= 500, at least 20 requests. Look at the failing operations in Application Insights.'
    severity: 2
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    overrideQueryTimeRange: null
    query: queries.serverErrors
    timeAggregation: 'Maximum'
    metricMeasureColumn: 'FailedPercent'
    operator: 'GreaterThan'
    threshold: 5
    dimensions: []
  }
  {
    key: 'foreign-secret-read'
    displayName: 'Graph token: password or key secret read by an identity other than the app'
    description: 'Key Vault SecretGet on the protected secrets by another caller. Confirm who it was; rotate if unexplained.'
    severity: 1
    evaluationFrequency: 'PT5M'
    // Key Vault logs can take several minutes to arrive: a wider window does not miss late records, and the
    // stateful rule notifies once per incident.
    windowSize: 'PT15M'
    overrideQueryTimeRange: null
    query: queries.foreignSecretRead
    timeAggregation: 'Count'
    metricMeasureColumn: null
    operator: 'GreaterThan'
    threshold: 0
    dimensions: [
      {
        name: 'CallerObjectId'
        operator: 'Include'
        values: [
          '*'
        ]
      }
    ]
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: '${namePrefix}-${rule.key}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        workspace.id
      ]
      evaluationFrequency: rule.evaluationFrequency
      windowSize: rule.windowSize
      overrideQueryTimeRange: rule.overrideQueryTimeRange
      // A fresh workspace may not know AZKVAuditLogs or the App* tables until the first record arrives.
      skipQueryValidation: true
      // Stateful: one notification when the condition starts and one when it resolves.
      autoMitigate: true
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: rule.timeAggregation
            metricMeasureColumn: rule.metricMeasureColumn
            operator: rule.operator
            threshold: rule.threshold
            dimensions: rule.dimensions
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroups: [
          actionGroup.id
        ]
        customProperties: {
          runbook: 'docs/infra.md#alert-rules'
        }
      }
    }
  }
]

output actionGroupName string = actionGroup.name
