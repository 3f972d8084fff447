/**
 * Infrastructure checks (docs/infra.md): compiles infra/main.bicep with the repository's Bicep CLI
 * (scripts/bicep.sh, which also lints with zero warnings allowed) and asserts the security properties and
 * the app settings on the compiled ARM JSON. The list of settings comes from src/lib/config.ts, so code and
 * infrastructure cannot drift apart. Also runs scripts/postprovision.sh against a stand-in `az` to check
 * that secrets never reach a command line.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SETTINGS } from '../../src/lib/config';
import { evaluate } from './armExpression';

const ROOT = join(__dirname, '..', '..');

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Resource {
  type: string;
  name: string;
  /** The template (main or a module) that declares the resource. */
  template: JsonObject;
  /** The module deployment that holds the template; undefined for main.bicep itself. */
  deployment: string | undefined;
  body: JsonObject;
}

const ROLES = {
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
} as const;
const KEY_VAULT_SECRETS_OFFICER = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7';
const STORAGE_BLOB_DATA_CONTRIBUTOR = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe';
/** Owner, Contributor, User Access Administrator, RBAC Administrator, Storage Account Contributor, Key Vault Administrator. */
const BROAD_ROLES = [
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  'b24988ac-6180-42a0-ab88-20f7382dd24c',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
  '17d1049b-9a84-46fb-8f53-869881c3d3ab',
  '00482a5a-887f-4fb3-b363-3b7fe8e74483',
];
const HOST_CONTAINERS = ['azure-webjobs-hosts', 'azure-webjobs-secrets'];
const PROTECTED_SECRETS = ['graph-password', 'token-encryption-key'];

/** Settings the platform needs that are not §3 settings of the code. */
const PLATFORM_SETTINGS = [
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
];

/** A required setting may be met by another one: the table endpoint with identity replaces a connection string. */
const ALTERNATIVES: Record<string, string[]> = { AzureWebJobsStorage: ['TOKEN_TABLE_ENDPOINT'] };

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function at(value: Json | undefined, path: string): Json | undefined {
  let current = value;
  for (const key of path.split('.')) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function asArray(value: Json | undefined): Json[] {
  if (Array.isArray(value)) return value;
  if (isObject(value)) return Object.values(value); // symbolic-name templates keep resources in an object
  return [];
}

/** Every resource of the template, module deployments included (child `resources` arrays flattened). */
function collect(template: JsonObject, deployment: string | undefined, out: Resource[] = []): Resource[] {
  const visit = (value: Json): void => {
    // `existing` references only appear in symbolic-name templates; they are not deployed.
    if (!isObject(value) || typeof value.type !== 'string' || value.existing === true) return;
    const name = typeof value.name === 'string' ? value.name : '';
    out.push({ type: value.type, name, template, deployment, body: value });
    asArray(value.resources).forEach(visit);
    const nested = at(value, 'properties.template');
    if (value.type === 'Microsoft.Resources/deployments' && isObject(nested)) collect(nested, name, out);
  };
  asArray(template.resources).forEach(visit);
  return out;
}

function main(): { template: JsonObject; resources: Resource[] } {
  const template = compiled();
  return { template, resources: collect(template, undefined) };
}

let compiledTemplate: JsonObject | undefined;
function compiled(): JsonObject {
  if (compiledTemplate === undefined) throw new Error('the Bicep was not compiled (see the beforeAll error)');
  return compiledTemplate;
}

function ofType(resources: Resource[], type: string): Resource[] {
  return resources.filter((r) => r.type.toLowerCase() === type.toLowerCase());
}

function single(resources: Resource[], type: string): Resource {
  const found = ofType(resources, type);
  expect(found.map((r) => r.type)).toEqual([type]);
  return found[0];
}

/** A template parameter reference such as "[parameters('nodeVersion')]", or undefined for anything else. */
function parameterName(value: Json | undefined): string | undefined {
  return typeof value === 'string' ? /^\[parameters\('([^']+)'\)\]$/.exec(value)?.[1] : undefined;
}

let workDir = '';

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'gtm-infra-'));
  const out = join(workDir, 'main.json');
  const run = spawnSync('bash', [join(ROOT, 'scripts', 'bicep.sh'), 'build', out], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.error !== undefined || run.status !== 0) {
    throw new Error(
      `scripts/bicep.sh build failed (exit ${String(run.status)}${run.error ? `, ${run.error.message}` : ''}). ` +
        'It needs `bicep` on PATH or `dotnet` to restore Azure.Bicep.CommandLine.linux-x64 from NuGet.\n' +
        `${run.stderr}`,
    );
  }
  compiledTemplate = JSON.parse(readFileSync(out, 'utf8')) as JsonObject;
}, 120_000);

afterAll(() => {
  if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
});

describe('storage account', () => {
  it('accepts only Entra ID over TLS 1.2+ HTTPS and never public blobs', () => {
    const { resources } = main();
    const storage = single(resources, 'Microsoft.Storage/storageAccounts');
    expect(at(storage.body, 'properties.allowSharedKeyAccess')).toBe(false);
    expect(at(storage.body, 'properties.minimumTlsVersion')).toBe('TLS1_2');
    expect(at(storage.body, 'properties.allowBlobPublicAccess')).toBe(false);
    expect(at(storage.body, 'properties.supportsHttpsTrafficOnly')).toBe(true);
    for (const container of ofType(resources, 'Microsoft.Storage/storageAccounts/blobServices/containers')) {
      expect(at(container.body, 'properties.publicAccess') ?? 'None').toBe('None');
    }
  });

  it('creates the token table and its audit table in a table service', () => {
    const { resources } = main();
    single(resources, 'Microsoft.Storage/storageAccounts/tableServices');
    const tables = ofType(resources, 'Microsoft.Storage/storageAccounts/tableServices/tables').map(
      (t) => t.name,
    );
    expect(tables).toHaveLength(2);
    expect(tables.filter((name) => name.includes("parameters('tokenTableName')"))).toHaveLength(2);
    expect(tables.filter((name) => name.includes('Audit'))).toHaveLength(1);
  });
});

describe('function app', () => {
  it('runs on Flex Consumption (FC1) with Node.js 20 or newer', () => {
    const { resources } = main();
    const plan = single(resources, 'Microsoft.Web/serverfarms');
    expect(at(plan.body, 'sku.name')).toBe('FC1');
    expect(at(plan.body, 'sku.tier')).toBe('FlexConsumption');
    expect(at(plan.body, 'properties.reserved')).toBe(true);

    const site = single(resources, 'Microsoft.Web/sites');
    expect(at(site.body, 'kind')).toBe('functionapp,linux');
    expect(at(site.body, 'properties.functionAppConfig.runtime.name')).toBe('node');
    const version = at(site.body, 'properties.functionAppConfig.runtime.version');
    const param = parameterName(version);
    // A literal version, or a parameter that can only take versions >= 20.
    const possible =
      param === undefined ? [version] : asArray(at(site.template, `parameters.${param}.allowedValues`));
    expect(possible.length).toBeGreaterThan(0);
    for (const v of possible) expect(Number.parseInt(String(v), 10)).toBeGreaterThanOrEqual(20);
  });

  it('is HTTPS only with TLS 1.2, FTP off and basic-auth publishing off', () => {
    const { resources } = main();
    const site = single(resources, 'Microsoft.Web/sites');
    expect(at(site.body, 'properties.httpsOnly')).toBe(true);
    expect(at(site.body, 'properties.siteConfig.minTlsVersion')).toBe('1.2');
    expect(at(site.body, 'properties.siteConfig.ftpsState')).toBe('Disabled');
    const policies = ofType(resources, 'Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    const allowed = Object.fromEntries(
      policies.map((p) => [/'(ftp|scm)'\)\]$/.exec(p.name)?.[1] ?? p.name, at(p.body, 'properties.allow')]),
    );
    expect(allowed).toEqual({ ftp: false, scm: false });
  });

  it('runs as the user-assigned identity and reads its deployment package with it', () => {
    const { resources } = main();
    const site = single(resources, 'Microsoft.Web/sites');
    expect(at(site.body, 'identity.type')).toBe('UserAssigned');
    const identities = at(site.body, 'identity.userAssignedIdentities');
    expect(isObject(identities) && Object.keys(identities)).toHaveLength(1);
    const identityId = isObject(identities) ? Object.keys(identities)[0] : '';
    const storage = at(site.body, 'properties.functionAppConfig.deployment.storage');
    expect(at(storage, 'type')).toBe('blobContainer');
    expect(at(storage, 'authentication.type')).toBe('UserAssignedIdentity');
    const referenced = (value: Json | undefined): string[] =>
      [...String(value).matchAll(/parameters\('([^']+)'\)/g)].map((m) => m[1]);
    expect(referenced(identityId)).toHaveLength(1);
    expect(referenced(at(storage, 'authentication.userAssignedIdentityResourceId'))).toEqual(
      referenced(identityId),
    );
    single(resources, 'Microsoft.ManagedIdentity/userAssignedIdentities');
  });
});

describe('Key Vault, Application Insights', () => {
  it('Key Vault uses RBAC, soft delete and purge protection', () => {
    const vault = single(main().resources, 'Microsoft.KeyVault/vaults');
    expect(at(vault.body, 'properties.enableRbacAuthorization')).toBe(true);
    expect(at(vault.body, 'properties.enableSoftDelete')).toBe(true);
    expect(at(vault.body, 'properties.enablePurgeProtection')).toBe(true);
    expect(at(vault.body, 'properties.softDeleteRetentionInDays')).toBeDefined();
    expect(at(vault.body, 'properties.accessPolicies')).toBeUndefined();
  });

  it('Application Insights is workspace-based with local auth off', () => {
    const { resources } = main();
    const insights = single(resources, 'Microsoft.Insights/components');
    expect(at(insights.body, 'properties.DisableLocalAuth')).toBe(true);
    expect(String(at(insights.body, 'properties.WorkspaceResourceId'))).toContain(
      'Microsoft.OperationalInsights/workspaces',
    );
    single(resources, 'Microsoft.OperationalInsights/workspaces');
  });
});

describe('role assignments', () => {
  const assignments = (): Resource[] => ofType(main().resources, 'Microsoft.Authorization/roleAssignments');
  const roleOf = (r: Resource): string => String(at(r.body, 'properties.roleDefinitionId'));
  /** The principal is the managed identity: by resource id, or by symbolic name in a 2.0 template. */
  const toIdentity = (r: Resource): boolean => {
    const principal = String(at(r.body, 'properties.principalId'));
    const symbol = /^\[reference\('([^']+)'\)\.principalId\]$/.exec(principal)?.[1];
    const type = symbol === undefined ? undefined : at(r.template, `resources.${symbol}.type`);
    return (
      principal.includes('Microsoft.ManagedIdentity/userAssignedIdentities') ||
      type === 'Microsoft.ManagedIdentity/userAssignedIdentities'
    );
  };

  it('live in one module', () => {
    expect(new Set(assignments().map((r) => r.deployment)).size).toBe(1);
  });

  it.each([
    [
      'Storage Table Data Contributor',
      ROLES.storageTableDataContributor,
      'Microsoft.Storage/storageAccounts',
    ],
    [
      'Storage Blob Data Owner',
      ROLES.storageBlobDataOwner,
      'Microsoft.Storage/storageAccounts/blobServices/containers',
    ],
    [
      'Storage Queue Data Contributor',
      ROLES.storageQueueDataContributor,
      'Microsoft.Storage/storageAccounts',
    ],
    ['Key Vault Secrets User', ROLES.keyVaultSecretsUser, 'Microsoft.KeyVault/vaults'],
    ['Monitoring Metrics Publisher', ROLES.monitoringMetricsPublisher, 'Microsoft.Insights/components'],
  ])('grant %s to the managed identity on its resource only', (_name, roleId, scopeType) => {
    const matching = assignments().filter((r) => roleOf(r).includes(roleId));
    expect(matching).toHaveLength(1);
    const [assignment] = matching;
    expect(toIdentity(assignment)).toBe(true);
    expect(at(assignment.body, 'properties.principalType')).toBe('ServicePrincipal');
    expect(at(assignment.body, 'condition')).toBeUndefined();
    expect(String(at(assignment.body, 'scope'))).toContain(`'${scopeType}'`);
  });

  it('grant Blob Data Owner on the deployment container only, the one the app is deployed from', () => {
    const [owner] = assignments().filter((r) => roleOf(r).includes(ROLES.storageBlobDataOwner));
    const scope = String(at(owner.body, 'scope'));
    expect(scope).toContain("parameters('deploymentContainerName')");
    expect(scope).not.toMatch(/^\[resourceId\('Microsoft\.Storage\/storageAccounts', [^,]+\)\]$/);
    // The container is the storage module's deployment container, and the app's deployment storage.
    const { resources } = main();
    const rolesModule = resources.find(
      (r) => r.type === 'Microsoft.Resources/deployments' && r.name === 'roles',
    );
    const storageModule = resources.find(
      (r) => r.type === 'Microsoft.Resources/deployments' && r.name === 'storage',
    );
    const passed = (m: Resource | undefined) =>
      at(m?.body, 'properties.parameters.deploymentContainerName.value');
    expect(passed(rolesModule)).toBe("[variables('deploymentContainerName')]");
    expect(passed(storageModule)).toBe(passed(rolesModule));
    expect(
      String(at(storageModule?.body, 'properties.template.outputs.deploymentContainerUrl.value')),
    ).toContain("parameters('deploymentContainerName')");
  });

  it("grant Blob Data Contributor on the host's own containers, which the storage module creates", () => {
    const { resources } = main();
    const contributor = assignments().filter((r) => roleOf(r).includes(STORAGE_BLOB_DATA_CONTRIBUTOR));
    expect(contributor).toHaveLength(1); // one copy loop
    const [loop] = contributor;
    expect(toIdentity(loop)).toBe(true);
    expect(String(at(loop.body, 'copy.count'))).toBe("[length(parameters('hostContainerNames'))]");
    expect(String(at(loop.body, 'scope'))).toMatch(
      /^\[resourceId\('Microsoft\.Storage\/storageAccounts\/blobServices\/containers', .*parameters\('hostContainerNames'\)\[copyIndex\(\)\]\)\]$/,
    );
    const inner = resources.find(
      (r) => r.type === 'Microsoft.Resources/deployments' && r.deployment === undefined,
    );
    const variables = at(inner?.body, 'properties.template.variables') as JsonObject;
    expect(evaluate(variables.hostContainerNames, { parameters: {}, variables })).toEqual(HOST_CONTAINERS);
    for (const name of ['roles', 'storage']) {
      const module = resources.find((r) => r.type === 'Microsoft.Resources/deployments' && r.name === name);
      expect([name, at(module?.body, 'properties.parameters.hostContainerNames.value')]).toEqual([
        name,
        "[variables('hostContainerNames')]",
      ]);
    }
    const created = ofType(resources, 'Microsoft.Storage/storageAccounts/blobServices/containers');
    expect(created.map((c) => at(c.body, 'copy.count')).filter(Boolean)).toEqual([
      "[length(parameters('hostContainerNames'))]",
    ]);
  });

  it('grant no broad role, and nothing at resource-group or subscription scope', () => {
    for (const r of assignments()) {
      expect(BROAD_ROLES.some((id) => roleOf(r).includes(id))).toBe(false);
      expect(String(at(r.body, 'scope'))).toMatch(/^\[resourceId\('Microsoft\.[A-Za-z]+\/[A-Za-z]+/);
    }
    // Only the table and queue roles remain account-wide (the host's queues and the two tables).
    const accountWide = assignments().filter((r) =>
      /^\[resourceId\('Microsoft\.Storage\/storageAccounts', [^,]+\)\]$/.test(String(at(r.body, 'scope'))),
    );
    const ids = accountWide.map((r) => Object.values(ROLES).find((id) => roleOf(r).includes(id)));
    expect(ids.sort()).toEqual([ROLES.storageTableDataContributor, ROLES.storageQueueDataContributor].sort());
  });

  it('grant the identity nothing else, and the deployer only Key Vault Secrets Officer, optionally', () => {
    const allowed = [...(Object.values(ROLES) as string[]), STORAGE_BLOB_DATA_CONTRIBUTOR];
    for (const r of assignments().filter(toIdentity)) {
      expect(allowed.some((id) => roleOf(r).includes(id))).toBe(true);
    }
    const others = assignments().filter((r) => !toIdentity(r));
    expect(others).toHaveLength(1);
    expect(roleOf(others[0])).toContain(KEY_VAULT_SECRETS_OFFICER);
    expect(String(at(others[0].body, 'condition'))).toBe("[not(empty(parameters('deployerPrincipalId')))]");
    expect(String(at(others[0].body, 'scope'))).toMatch(
      /^\[resourceId\('Microsoft\.KeyVault\/vaults', [^,]+\)\]$/,
    );
    // main.bicep passes the deployer through and defaults it to nobody.
    expect(at(compiled(), 'parameters.deployerPrincipalId.defaultValue')).toBe('');
  });
});

/** The template of a module deployment (by deployment name) and the parameters resources.bicep passes it. */
function moduleOf(name: string): { template: JsonObject; passed: JsonObject } {
  const module = main().resources.find(
    (r) => r.type === 'Microsoft.Resources/deployments' && r.name === name,
  );
  const template = at(module?.body, 'properties.template');
  const passed = at(module?.body, 'properties.parameters');
  if (!isObject(template) || !isObject(passed)) throw new Error(`no module deployment '${name}'`);
  return { template, passed };
}

/** The variables of resources.bicep (the inner template), evaluated with the given parameter values. */
function innerVariables(): JsonObject {
  const inner = main().resources.find(
    (r) => r.type === 'Microsoft.Resources/deployments' && r.deployment === undefined,
  );
  const variables = at(inner?.body, 'properties.template.variables');
  if (!isObject(variables)) throw new Error('resources.bicep has no variables');
  return variables;
}

function innerValue(expression: Json, parameters: Record<string, unknown>): unknown {
  return evaluate(expression, { parameters, variables: innerVariables() });
}

describe('alert rules', () => {
  const APP_PRINCIPAL = '0a0a0a0a-1111-2222-3333-444444444444';
  const moduleParameters = () => ({
    location: 'westeurope',
    tags: {},
    actionGroupName: 'ag-test',
    namePrefix: 'alert-test',
    logAnalyticsName: 'log-test',
    alertEmail: 'ops@contoso.example',
    alertWebhookUrl: '',
    keyVaultName: 'kv-test',
    protectedSecretNames: innerValue(`[variables('protectedSecretNames')]`, {}),
    appPrincipalId: APP_PRINCIPAL,
  });

  interface Rule {
    name: string;
    properties: JsonObject;
    query: string;
    criterion: JsonObject;
  }

  /** Every scheduledQueryRule of the alerts module, its copy loop expanded and its expressions evaluated. */
  function rules(parameters: Record<string, unknown> = moduleParameters()): Rule[] {
    const { template } = moduleOf('alerts');
    const variables = at(template, 'variables') as JsonObject;
    const declared = collect(template, 'alerts').filter(
      (r) => r.type === 'Microsoft.Insights/scheduledQueryRules',
    );
    const out: Rule[] = [];
    for (const rule of declared) {
      const count = evaluate(at(rule.body, 'copy.count') ?? 1, { parameters, variables }) as number;
      for (let i = 0; i < count; i += 1) {
        const context = { parameters, variables, copyIndex: i };
        const properties = evaluate(at(rule.body, 'properties') ?? null, context) as JsonObject;
        const [criterion] = asArray(at(properties, 'criteria.allOf')) as JsonObject[];
        out.push({
          name: String(evaluate(rule.body.name, context)),
          properties,
          query: String(criterion.query),
          criterion,
        });
      }
    }
    return out;
  }

  const byKey = (key: string): Rule => {
    const found = rules().filter((r) => r.name === `alert-test-${key}`);
    expect(found.map((r) => r.name)).toEqual([`alert-test-${key}`]);
    return found[0];
  };

  it('are five log search rules on the workspace, each notifying the action group', () => {
    const all = rules();
    expect(all.map((r) => r.name).sort()).toEqual(
      ['credential-block', 'foreign-secret-read', 'refresh-failures', 'server-errors', 'token-expiry']
        .map((k) => `alert-test-${k}`)
        .sort(),
    );
    const workspace =
      '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log-test';
    const group = '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Insights/actionGroups/ag-test';
    for (const rule of all) {
      expect([rule.name, at(rule.properties, 'scopes')]).toEqual([rule.name, [workspace]]);
      expect([rule.name, at(rule.properties, 'actions.actionGroups')]).toEqual([rule.name, [group]]);
      expect([rule.name, at(rule.properties, 'enabled')]).toEqual([rule.name, true]);
      expect([rule.name, at(rule.properties, 'autoMitigate')]).toEqual([rule.name, true]);
      expect([rule.name, at(rule.criterion, 'failingPeriods')]).toEqual([
        rule.name,
        { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
      ]);
    }
    // The rules use the GA API version the repository's Bicep knows.
    const { template } = moduleOf('alerts');
    const types = collect(template, 'alerts').filter(
      (r) => r.type === 'Microsoft.Insights/scheduledQueryRules',
    );
    expect(types.map((r) => r.body.apiVersion)).toEqual(['2023-12-01']);
  });

  it('token expiry: seconds_until_expiry below 600 per token type, or absent', () => {
    const rule = byKey('token-expiry');
    expect(rule.query).toMatch(/^let thresholdSeconds = 600;$/m);
    expect(rule.query).toContain('AppMetrics');
    expect(rule.query).toContain("where Name == 'graph_token.seconds_until_expiry'");
    expect(rule.query).toContain('tostring(Properties.token_type)');
    expect(rule.query).toContain('SecondsUntilExpiry < thresholdSeconds');
    // Absent: a type seen in the last day without a recent point, or no point at all.
    expect(rule.query).toContain('join kind=leftouter latest on TokenType');
    expect(rule.query).toContain('isnull(SecondsUntilExpiry)');
    expect(rule.query).toContain('toscalar(points | count) == 0');
    expect(rule.criterion).toMatchObject({ timeAggregation: 'Count', operator: 'GreaterThan', threshold: 0 });
    expect(at(rule.criterion, 'dimensions')).toEqual([
      { name: 'TokenType', operator: 'Include', values: ['*'] },
    ]);
    expect(rule.properties).toMatchObject({
      evaluationFrequency: 'PT5M',
      windowSize: 'PT15M',
      overrideQueryTimeRange: 'P1D',
      severity: 1,
    });
  });

  it('refresh failures: 3 or more token_refresh_failed log events in 15 minutes', () => {
    const rule = byKey('refresh-failures');
    expect(rule.query).toMatch(/^AppTraces$/m);
    expect(rule.query).toContain(`Message contains '"event":"token_refresh_failed"'`);
    expect(rule.query).toContain('Failures = sum(ItemCount)');
    expect(rule.criterion).toMatchObject({
      metricMeasureColumn: 'Failures',
      timeAggregation: 'Total',
      operator: 'GreaterThanOrEqual',
      threshold: 3,
    });
    expect(rule.properties).toMatchObject({ evaluationFrequency: 'PT5M', windowSize: 'PT15M' });
    expect(at(rule.properties, 'overrideQueryTimeRange')).toBeNull();
  });

  it('credential block: any credentials_blocked or sign_in_required event in 5 minutes', () => {
    const rule = byKey('credential-block');
    expect(rule.query).toMatch(/^AppTraces$/m);
    expect(rule.query).toContain(`Message contains '"event":"credentials_blocked"'`);
    expect(rule.query).toContain(`Message contains '"event":"sign_in_required"'`);
    expect(rule.criterion).toMatchObject({
      metricMeasureColumn: 'Events',
      timeAggregation: 'Total',
      operator: 'GreaterThan',
      threshold: 0,
    });
    expect(at(rule.criterion, 'dimensions')).toEqual([{ name: 'Event', operator: 'Include', values: ['*'] }]);
    expect(rule.properties).toMatchObject({ evaluationFrequency: 'PT5M', windowSize: 'PT5M', severity: 1 });
  });

  it('5xx rate: more than 5 % of at least 20 HTTP requests in 15 minutes', () => {
    const rule = byKey('server-errors');
    expect(rule.query).toMatch(/^AppRequests$/m);
    expect(rule.query).toContain('sumif(ItemCount, toint(ResultCode) >= 500)');
    expect(rule.query).toContain('where Requests >= 20');
    expect(rule.query).toContain('FailedPercent = 100.0 * Failed / Requests');
    expect(rule.criterion).toMatchObject({
      metricMeasureColumn: 'FailedPercent',
      operator: 'GreaterThan',
      threshold: 5,
    });
    expect(rule.properties).toMatchObject({ evaluationFrequency: 'PT5M', windowSize: 'PT15M' });
  });

  it("foreign secret read: SecretGet on the two secrets by anyone but the app's identity", () => {
    const rule = byKey('foreign-secret-read');
    expect(rule.query).toMatch(/^AZKVAuditLogs$/m);
    expect(rule.query).toContain(
      "where _ResourceId =~ '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-test'",
    );
    expect(rule.query).toContain("where OperationName == 'SecretGet'");
    expect(rule.query).toContain("where SecretName in~ ('graph-password', 'token-encryption-key')");
    expect(rule.query).toContain(`CallerObjectId != '${APP_PRINCIPAL}'`);
    expect(rule.query).toContain('Identity.claim.oid');
    expect(rule.criterion).toMatchObject({ timeAggregation: 'Count', operator: 'GreaterThan', threshold: 0 });
    expect(rule.properties).toMatchObject({ evaluationFrequency: 'PT5M', windowSize: 'PT15M', severity: 1 });
    // The secret names are the ones the code reads by default, and the principal is the app's identity.
    expect(PROTECTED_SECRETS).toEqual(
      ['GRAPH_PASSWORD_SECRET_NAME', 'TOKEN_ENCRYPTION_KEY_SECRET_NAME'].map(
        (n) => SETTINGS.find((s) => s.name === n)?.default,
      ),
    );
    expect(innerValue(`[variables('protectedSecretNames')]`, {})).toEqual(PROTECTED_SECRETS);
    expect(String(at(moduleOf('alerts').passed, 'appPrincipalId.value'))).toMatch(
      /reference\(resourceId\('Microsoft\.Resources\/deployments', 'identity'\).*\.outputs\.principalId\.value/,
    );
  });

  it('notify the alertEmail address, and a webhook only when one is given', () => {
    const { template } = moduleOf('alerts');
    const variables = at(template, 'variables') as JsonObject;
    const group = single(collect(template, 'alerts'), 'Microsoft.Insights/actionGroups');
    const props = (webhook: string) =>
      evaluate(at(group.body, 'properties') ?? null, {
        parameters: { ...moduleParameters(), alertWebhookUrl: webhook },
        variables,
      });
    expect(at(props('') as Json, 'emailReceivers')).toEqual([
      { name: 'operator-email', emailAddress: 'ops@contoso.example', useCommonAlertSchema: true },
    ]);
    expect(at(props('') as Json, 'webhookReceivers')).toEqual([]);
    expect(at(props('https://hooks.example/alerts') as Json, 'webhookReceivers')).toEqual([
      { name: 'operator-webhook', serviceUri: 'https://hooks.example/alerts', useCommonAlertSchema: true },
    ]);
    expect(at(template, 'parameters.alertWebhookUrl.type')).toBe('securestring');
    // main.bicep requires the e-mail address and passes both through.
    expect(at(compiled(), 'parameters.alertEmail.defaultValue')).toBeUndefined();
    expect(at(compiled(), 'parameters.alertWebhookUrl.defaultValue')).toBe('');
    expect(at(moduleOf('alerts').passed, 'alertEmail.value')).toBe("[parameters('alertEmail')]");
  });
});

describe('diagnostic settings', () => {
  function settings(): { scope: string; properties: JsonObject }[] {
    const { template } = moduleOf('diagnostics');
    const parameters = {
      logAnalyticsName: 'log-test',
      keyVaultName: 'kv-test',
      storageAccountName: 'sttest',
      functionAppName: 'func-test',
    };
    const variables = (at(template, 'variables') ?? {}) as JsonObject;
    return collect(template, 'diagnostics')
      .filter((r) => r.type === 'Microsoft.Insights/diagnosticSettings')
      .map((r) => ({
        scope: String(evaluate(r.body.scope, { parameters, variables })),
        properties: evaluate(r.body.properties, { parameters, variables }) as JsonObject,
      }));
  }
  const base = '/subscriptions/sub/resourceGroups/rg/providers/';
  const categories = (p: JsonObject) =>
    asArray(at(p, 'logs')).map((l) => [at(l, 'category'), at(l, 'enabled')]);

  it('send Key Vault AuditEvent, storage table/blob read/write/delete and FunctionAppLogs to the workspace', () => {
    const all = settings();
    const storage = [
      ['StorageRead', true],
      ['StorageWrite', true],
      ['StorageDelete', true],
    ];
    expect(Object.fromEntries(all.map((s) => [s.scope, categories(s.properties)]))).toEqual({
      [`${base}Microsoft.KeyVault/vaults/kv-test`]: [['AuditEvent', true]],
      [`${base}Microsoft.Storage/storageAccounts/sttest/tableServices/default`]: storage,
      [`${base}Microsoft.Storage/storageAccounts/sttest/blobServices/default`]: storage,
      [`${base}Microsoft.Web/sites/func-test`]: [['FunctionAppLogs', true]],
    });
    for (const s of all) {
      expect([s.scope, at(s.properties, 'workspaceId')]).toEqual([
        s.scope,
        `${base}Microsoft.OperationalInsights/workspaces/log-test`,
      ]);
    }
  });

  it('write Key Vault audit events to AZKVAuditLogs (resource-specific), which the alert queries', () => {
    const vault = settings().find((s) => s.scope.includes('Microsoft.KeyVault/vaults'));
    expect(at(vault?.properties, 'logAnalyticsDestinationType')).toBe('Dedicated');
  });

  it('target the resources this deployment creates', () => {
    const { passed } = moduleOf('diagnostics');
    expect(Object.fromEntries(Object.entries(passed).map(([k, v]) => [k, at(v, 'value')]))).toEqual({
      logAnalyticsName: "[variables('names').logAnalytics]",
      keyVaultName: "[variables('names').keyVault]",
      storageAccountName: "[variables('names').storage]",
      functionAppName: "[variables('names').functionApp]",
    });
  });
});

describe('network restriction', () => {
  const IPS = '203.0.113.7, 198.51.100.0/24';

  /** Properties of each module's resource with restrictNetwork off or on, as Azure would receive them. */
  function deployed(restrictNetwork: boolean) {
    const params = { restrictNetwork, allowedIpAddresses: restrictNetwork ? IPS : '' };
    const subnetId = innerValue(`[variables('allowedSubnetId')]`, params);
    const allowedIps = innerValue(`[variables('allowedIps')]`, params);
    const inModule = (name: string, type: string, path: string, parameters: Record<string, unknown>) => {
      const { template } = moduleOf(name);
      const resource = single(collect(template, name), type);
      return evaluate(at(resource.body, path) ?? null, {
        parameters,
        variables: (at(template, 'variables') ?? {}) as JsonObject,
      });
    };
    const network = main().resources.find(
      (r) => r.type === 'Microsoft.Resources/deployments' && r.name === 'network',
    );
    return {
      networkDeployed: innerValue(at(network?.body, 'condition') ?? true, params),
      subnetId,
      storageAcls: inModule('storage', 'Microsoft.Storage/storageAccounts', 'properties.networkAcls', {
        allowedSubnetId: subnetId,
        allowedIpAddresses: allowedIps,
      }),
      vaultAcls: inModule('keyvault', 'Microsoft.KeyVault/vaults', 'properties.networkAcls', {
        allowedSubnetId: subnetId,
        allowedIpAddresses: allowedIps,
      }),
      appSubnet: inModule('functionapp', 'Microsoft.Web/sites', 'properties.virtualNetworkSubnetId', {
        subnetId,
      }),
    };
  }

  it('is off by default: no network, both firewalls allow, no VNet integration', () => {
    expect(at(compiled(), 'parameters.restrictNetwork.defaultValue')).toBe(false);
    const off = deployed(false);
    expect(off.networkDeployed).toBe(false);
    expect(off.subnetId).toBe('');
    expect(off.storageAcls).toEqual({ defaultAction: 'Allow', bypass: 'AzureServices' });
    expect(off.vaultAcls).toEqual({ defaultAction: 'Allow', bypass: 'AzureServices' });
    expect(off.appSubnet).toBeNull();
  });

  it("when set, storage and vault admit only the app's subnet (+ listed IPs, Azure services)", () => {
    const on = deployed(true);
    expect(on.networkDeployed).toBe(true);
    expect(String(on.subnetId)).toMatch(
      /\/providers\/Microsoft\.Network\/virtualNetworks\/vnet-[a-z0-9]+\/subnets\/app$/,
    );
    expect(on.storageAcls).toEqual({
      defaultAction: 'Deny',
      bypass: 'AzureServices',
      virtualNetworkRules: [{ id: on.subnetId, action: 'Allow' }],
      ipRules: [
        { value: '203.0.113.7', action: 'Allow' },
        { value: '198.51.100.0/24', action: 'Allow' },
      ],
    });
    expect(on.vaultAcls).toEqual({
      defaultAction: 'Deny',
      bypass: 'AzureServices',
      virtualNetworkRules: [{ id: on.subnetId, ignoreMissingVnetServiceEndpoint: false }],
      ipRules: [{ value: '203.0.113.7' }, { value: '198.51.100.0/24' }],
    });
    expect(on.appSubnet).toBe(on.subnetId);
  });

  it('creates a subnet delegated to Flex Consumption with Storage and Key Vault service endpoints', () => {
    const { template, passed } = moduleOf('network');
    const vnet = single(collect(template, 'network'), 'Microsoft.Network/virtualNetworks');
    const parameters = Object.fromEntries(
      Object.entries(passed).map(([k, v]) => [
        k,
        innerValue(at(v, 'value') ?? null, {
          restrictNetwork: true,
          location: 'westeurope',
          environmentName: 'test',
        }),
      ]),
    );
    const subnets = evaluate(at(vnet.body, 'properties.subnets') ?? null, { parameters, variables: {} });
    expect(subnets).toEqual([
      {
        name: 'app',
        properties: {
          addressPrefix: '10.0.0.0/24',
          defaultOutboundAccess: true,
          delegations: [
            { name: 'flex-consumption', properties: { serviceName: 'Microsoft.App/environments' } },
          ],
          serviceEndpoints: [{ service: 'Microsoft.Storage' }, { service: 'Microsoft.KeyVault' }],
        },
      },
    ]);
    // The subnet id the firewalls allow is this subnet of this network.
    expect(String(innerValue(`[variables('allowedSubnetId')]`, { restrictNetwork: true }))).toBe(
      `/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/${String(parameters.name)}/subnets/app`,
    );
    // Storage and the vault wait for the subnet's service endpoints.
    for (const name of ['storage', 'keyvault']) {
      const module = main().resources.find(
        (r) => r.type === 'Microsoft.Resources/deployments' && r.name === name,
      );
      expect([name, at(module?.body, 'dependsOn')]).toEqual([
        name,
        expect.arrayContaining(["[resourceId('Microsoft.Resources/deployments', 'network')]"]),
      ]);
    }
  });
});

describe('app settings', () => {
  /** name -> value of every app setting the template sets (siteConfig.appSettings or config/appsettings). */
  function appSettings(): Map<string, Json> {
    const { resources } = main();
    const settings = new Map<string, Json>();
    const site = single(resources, 'Microsoft.Web/sites');
    for (const item of asArray(at(site.body, 'properties.siteConfig.appSettings'))) {
      if (isObject(item) && typeof item.name === 'string') settings.set(item.name, item.value ?? null);
    }
    for (const config of ofType(resources, 'Microsoft.Web/sites/config')) {
      const props = at(config.body, 'properties');
      if (/appsettings/i.test(config.name) && isObject(props)) {
        for (const [name, value] of Object.entries(props)) settings.set(name, value);
      }
    }
    return settings;
  }

  it('wire every setting the code requires in Azure (derived from src/lib/config.ts)', () => {
    const names = [...appSettings().keys()];
    const required = SETTINGS.filter((s) => ['always', 'azure', 'events'].includes(s.required));
    expect(required.length).toBeGreaterThan(0);
    const missing = required
      .filter((s) => !names.includes(s.name))
      .filter((s) => !(ALTERNATIVES[s.name] ?? []).some((alt) => names.includes(alt)))
      .map((s) => s.name);
    expect(missing).toEqual([]);
  });

  it('never set a secret or a local-only setting', () => {
    const names = [...appSettings().keys()];
    const forbidden = SETTINGS.filter((s) => s.secret || s.localOnly).map((s) => s.name);
    expect(forbidden).toEqual(expect.arrayContaining(['GRAPH_PASSWORD', 'TOKEN_ENCRYPTION_KEY']));
    expect(names.filter((n) => forbidden.includes(n))).toEqual([]);
    // No connection string with a key either: storage is reached with the managed identity.
    expect(names).not.toContain('AzureWebJobsStorage');
    for (const value of appSettings().values()) {
      expect(String(value)).not.toMatch(
        /AccountKey=|SharedAccessSignature=|InstrumentationKey=[0-9a-f-]{36}/i,
      );
    }
  });

  it('wire the §3 settings, the identity and telemetry the way Flex Consumption expects', () => {
    const settings = appSettings();
    const expected = [
      ...PLATFORM_SETTINGS,
      'AZURE_CLIENT_ID',
      'KEY_VAULT_URL',
      'TOKEN_TABLE_ENDPOINT',
      'TOKEN_TABLE_NAME',
      'GRAPH_CLIENT_ID',
      'GRAPH_TENANT',
      'GRAPH_USERNAME',
      'GRAPH_GROUP_ID',
      'GRAPH_GROUP_IDS',
      'GRAPH_AUTHORITY_HOST',
      'GRAPH_API_BASE_URL',
      'GRAPH_SCOPES',
      'API_AUDIENCE',
      'ADMIN_CLIENT_ID',
      'GRAPH_TOKEN_TYPE',
      'GRAPH_CLIENT_CREDENTIAL_SECRET_NAME',
      'NOTIFY_WEBHOOK_URL',
      'NOTIFY_WEBHOOK_SECRET_NAME',
      'REFRESH_SCHEDULE',
      'CLEANUP_SCHEDULE',
      'VALIDATE_SCHEDULE',
    ];
    expect([...settings.keys()].sort()).toEqual([...expected].sort());
    // Every name is either a setting the code knows or a platform setting (catches typos).
    const known = new Set([...SETTINGS.map((s) => s.name), ...PLATFORM_SETTINGS]);
    expect([...settings.keys()].filter((n) => !known.has(n))).toEqual([]);
    expect(settings.get('AzureWebJobsStorage__credential')).toBe('managedidentity');
    expect(String(settings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING'))).toMatch(
      /Authorization=AAD;ClientId=/,
    );
    // TOKEN_TABLE_ENDPOINT is the storage module's https://<account>.table.<cloud suffix> output.
    const { resources } = main();
    const site = single(resources, 'Microsoft.Web/sites');
    const param = parameterName(settings.get('TOKEN_TABLE_ENDPOINT'));
    const siteModule = resources.find(
      (r) => r.type === 'Microsoft.Resources/deployments' && r.name === site.deployment,
    );
    expect(String(at(siteModule?.body, `properties.parameters.${param}.value`))).toMatch(
      /'storage'.*\.outputs\.tableEndpoint\.value/,
    );
    const storageModule = resources.find(
      (r) => r.type === 'Microsoft.Resources/deployments' && r.name === 'storage',
    );
    expect(String(at(storageModule?.body, 'properties.template.outputs.tableEndpoint.value'))).toMatch(
      /^\[format\('https:\/\/\{0\}\.table\.\{1\}', .*environment\(\)\.suffixes\.storage\)\]$/,
    );
    // Flex Consumption rejects these; the runtime comes from functionAppConfig.
    expect(settings.has('FUNCTIONS_WORKER_RUNTIME')).toBe(false);
    expect(settings.has('FUNCTIONS_EXTENSION_VERSION')).toBe(false);
  });
});

describe('parameters and outputs', () => {
  it('main.bicep and resources.bicep agree on every shared parameter', () => {
    const { template, resources } = main();
    const inner = resources.find(
      (r) => r.type === 'Microsoft.Resources/deployments' && r.deployment === undefined,
    );
    const innerTemplate = at(inner?.body, 'properties.template');
    const outerParams = at(template, 'parameters');
    const innerParams = at(innerTemplate, 'parameters');
    if (!isObject(outerParams) || !isObject(innerParams)) throw new Error('no parameters in the templates');
    const passed = at(inner?.body, 'properties.parameters');
    for (const [name, spec] of Object.entries(innerParams)) {
      if (name === 'location') continue; // main passes it; resources.bicep defaults to the group's location
      expect([name, at(spec, 'defaultValue')]).toEqual([name, at(outerParams[name], 'defaultValue')]);
      expect([name, at(spec, 'allowedValues')]).toEqual([name, at(outerParams[name], 'allowedValues')]);
      expect([name, at(passed, `${name}.value`)]).toEqual([name, `[parameters('${name}')]`]);
    }
  });

  it('resolve an empty setting parameter to the same default as the code', () => {
    const { resources } = main();
    const inner = resources.find(
      (r) => r.type === 'Microsoft.Resources/deployments' && r.deployment === undefined,
    );
    const resolved = JSON.stringify(at(inner?.body, 'properties.template.variables.settings') ?? null);
    const names = [
      'GRAPH_API_BASE_URL',
      'GRAPH_SCOPES',
      'TOKEN_TABLE_NAME',
      'REFRESH_SCHEDULE',
      'CLEANUP_SCHEDULE',
      'VALIDATE_SCHEDULE',
    ];
    for (const name of names) {
      const setting = SETTINGS.find((s) => s.name === name);
      expect([name, setting?.default !== undefined && resolved.includes(`'${setting.default}'`)]).toEqual([
        name,
        true,
      ]);
    }
  });

  it('main.parameters.json maps azd environment variables, with no secret and no literal value', () => {
    const file = JSON.parse(readFileSync(join(ROOT, 'infra', 'main.parameters.json'), 'utf8')) as JsonObject;
    const params = at(file, 'parameters');
    if (!isObject(params)) throw new Error('main.parameters.json has no parameters');
    const declared = at(compiled(), 'parameters');
    for (const [name, entry] of Object.entries(params)) {
      expect(isObject(declared) && name in declared).toBe(true);
      // ${NAME}, or ${NAME=default} for a boolean that must not be an empty string.
      expect([name, at(entry, 'value')]).toEqual([
        name,
        expect.stringMatching(/^\$\{[A-Z][A-Z0-9_]*(=(true|false))?\}$/),
      ]);
    }
    const text = JSON.stringify(file);
    expect(text).not.toMatch(/GRAPH_PASSWORD|TOKEN_ENCRYPTION_KEY/);
    // Every required parameter gets a value from the environment.
    if (isObject(declared)) {
      const required = Object.entries(declared).filter(([, spec]) => at(spec, 'defaultValue') === undefined);
      expect(required.map(([name]) => name).filter((name) => !(name in params))).toEqual([]);
    }
  });

  it('exposes the outputs azd and the post-provision hook use', () => {
    const outputs = at(compiled(), 'outputs');
    expect(Object.keys(isObject(outputs) ? outputs : {})).toEqual(
      expect.arrayContaining([
        'AZURE_FUNCTION_APP_NAME',
        'AZURE_RESOURCE_GROUP',
        'KEY_VAULT_NAME',
        'KEY_VAULT_URL',
        'TOKEN_TABLE_ENDPOINT',
        'SERVICE_API_URI',
      ]),
    );
  });

  it('azure.yaml deploys the api service as a function app and runs the post-provision hook', () => {
    const yaml = readFileSync(join(ROOT, 'azure.yaml'), 'utf8');
    expect(yaml).toMatch(/^services:\n {2}api:\n(?: {4}.*\n|\s*#.*\n)*? {4}host: function$/m);
    expect(yaml).toMatch(/^ {4}language: (ts|js)$/m);
    expect(yaml).toMatch(/^ {2}postprovision:\n(?: {4,}.*\n)*? {6}run: .*scripts\/postprovision\.sh/m);
  });
});

describe('scripts/postprovision.sh', () => {
  /** A stand-in `az` that keeps secrets in a folder and logs every command line it receives. */
  function fakeAz(dir: string): { env: NodeJS.ProcessEnv; vault: string; log: string } {
    const bin = join(dir, 'bin');
    const vault = join(dir, 'vault');
    const log = join(dir, 'az-args.log');
    mkdirSync(bin);
    mkdirSync(vault);
    mkdirSync(join(dir, 'tmp'));
    writeFileSync(
      join(bin, 'az'),
      [
        '#!/usr/bin/env bash',
        `printf '%s\\n' "$*" >> '${log}'`,
        'arg() { local want=$1; shift; while (($#)); do [[ $1 == "$want" ]] && { echo "$2"; return; }; shift; done; }',
        `case "$1 $2 $3" in`,
        '  "account show "*) exit 0 ;;',
        '  "keyvault secret list")',
        '    [[ -n ${FAKE_AZ_FIREWALL:-} ]] && { echo "ERROR: (Forbidden) Client address is not authorized and caller is not a trusted service. Code: Forbidden Inner error: {\\"code\\":\\"ForbiddenByFirewall\\"}" >&2; exit 1; }',
        `    n=$(arg --query "$@" | sed -E "s/^\\[\\?name=='([^']+)'\\]\\.name$/\\1/"); [[ -f '${vault}'/$n ]] && echo "$n"; exit 0 ;;`,
        '  "keyvault secret show-deleted") exit 3 ;;',
        `  "keyvault secret set") cp "$(arg --file "$@")" '${vault}'/"$(arg --name "$@")" ;;`,
        '  *) echo "unexpected: $*" >&2; exit 9 ;;',
        'esac',
      ].join('\n'),
    );
    chmodSync(join(bin, 'az'), 0o755);
    const env: NodeJS.ProcessEnv = {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      HOME: dir,
      TMPDIR: join(dir, 'tmp'),
      KEY_VAULT_NAME: 'kv-test',
    };
    return { env, vault, log };
  }

  const run = (env: NodeJS.ProcessEnv) =>
    spawnSync('bash', [join(ROOT, 'scripts', 'postprovision.sh')], { env, encoding: 'utf8', input: '' });

  it('passes bash -n', () => {
    for (const script of ['postprovision.sh', 'bicep.sh']) {
      const check = spawnSync('bash', ['-n', join(ROOT, 'scripts', script)], { encoding: 'utf8' });
      expect([script, check.status, check.stderr]).toEqual([script, 0, '']);
    }
  });

  it('stores the password and a new 256-bit key without putting either on a command line or in its output', () => {
    const dir = join(workDir, 'postprovision');
    mkdirSync(dir);
    const { env, vault, log } = fakeAz(dir);
    const password = 'Corr3ct horse; battery $staple';
    const first = run({
      ...env,
      GRAPH_PASSWORD: password,
      GRAPH_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
    });
    expect([first.status, first.stderr]).toEqual([0, '']);
    expect(readFileSync(join(vault, 'graph-password'), 'utf8')).toBe(password);
    const key = readFileSync(join(vault, 'token-encryption-key'), 'utf8');
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    const args = readFileSync(log, 'utf8');
    for (const secret of [password, key]) {
      expect(args).not.toContain(secret);
      expect(first.stdout).not.toContain(secret);
    }
    expect(args).toMatch(/secret set .*--file .*--output none/);
    // Existence is checked by listing, never by reading a value (that would raise the secret-read alert).
    expect(args).toMatch(/secret list /);
    expect(args).not.toMatch(/secret show(?!-deleted)/);
    // The manual steps are printed.
    expect(first.stdout).toMatch(/Allow public client flows/);
    expect(first.stdout).toMatch(
      /GraphTokens\.Read.*GraphTokens\.Admin.*Events\.Read.*Events\.Create.*Events\.Manage/s,
    );
    expect(first.stdout).toContain('11111111-2222-3333-4444-555555555555');

    // A second run keeps the key (replacing it would orphan every stored token) and the password.
    const second = run(env);
    expect(second.status).toBe(0);
    expect(readFileSync(join(vault, 'token-encryption-key'), 'utf8')).toBe(key);
    expect(readFileSync(join(vault, 'graph-password'), 'utf8')).toBe(password);
    expect(second.stdout).toMatch(/kept the existing encryption key/);
    // No temporary copy of a secret is left behind.
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  });

  it('stops at once, naming ALLOWED_IP_ADDRESSES, when the vault firewall refuses this machine', () => {
    const dir = join(workDir, 'postprovision-firewall');
    mkdirSync(dir);
    const { env } = fakeAz(dir);
    const started = Date.now();
    const result = run({ ...env, GRAPH_PASSWORD: 'irrelevant', FAKE_AZ_FIREWALL: '1' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('ALLOWED_IP_ADDRESSES');
    expect(result.stderr).not.toContain('waiting for the Key Vault role assignment');
    expect(result.stdout + result.stderr).not.toContain('irrelevant');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
