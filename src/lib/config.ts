import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ERRORS, GraphTokenError } from './errors';
import { parseCalendarList, type CalendarEntry } from './calendar/calendarList';
import { isTokenType, TOKEN_TYPES, type ConfigurationReport, type TokenType } from './types';

/**
 * Every setting the service reads (README, "Configuration"). This list is the single source of truth: configuration
 * parsing, `local.settings.sample.json`, the README table and the Bicep drift test all derive from it.
 *
 * `required`:
 * - `always`: the service cannot get a token without it;
 * - `azure`: required when running in Azure (the Functions host sets `WEBSITE_SITE_NAME`);
 * - `events`: needed only by `createGroupEvent`;
 * - `optional`: has a default or is one of several alternatives.
 */
export interface SettingSpec {
  name: string;
  required: 'always' | 'azure' | 'events' | 'optional';
  /** The value is a secret: never printed, never set by infrastructure templates. */
  secret: boolean;
  /** Only meant for local development (Azure reads these from Key Vault instead). */
  localOnly: boolean;
  default?: string;
  description: string;
}

export const DEFAULT_SCOPES =
  'https://graph.microsoft.com/Group.ReadWrite.All https://graph.microsoft.com/User.Read';

export const SETTINGS: readonly SettingSpec[] = Object.freeze([
  s('GRAPH_CLIENT_ID', 'always', 'App registration (public client) used for ROPC'),
  s('GRAPH_TENANT', 'always', 'Tenant id or domain'),
  s('GRAPH_USERNAME', 'always', 'Service account UPN'),
  s(
    'GRAPH_TOKEN_TYPE',
    'optional',
    'The token type getGraphAccessToken() and events use: ropc or delegated',
    {
      default: 'ropc',
    },
  ),
  s(
    'GRAPH_CLIENT_CREDENTIAL_SECRET_NAME',
    'optional',
    'Key Vault secret (PEM certificate with its key, or a client secret) that makes the delegated sign-in a confidential client',
  ),
  s('GRAPH_PASSWORD', 'optional', 'Service account password (local development only)', {
    secret: true,
    localOnly: true,
  }),
  s('KEY_VAULT_URL', 'azure', 'Vault holding the password and the encryption key'),
  s('GRAPH_PASSWORD_SECRET_NAME', 'optional', 'Key Vault secret name of the password', {
    default: 'graph-password',
  }),
  s(
    'TOKEN_ENCRYPTION_KEY_SECRET_NAME',
    'optional',
    'Key Vault secret holding the 256-bit data key (base64)',
    {
      default: 'token-encryption-key',
    },
  ),
  s('TOKEN_ENCRYPTION_KEY', 'optional', 'The data key itself, base64 (local development only)', {
    secret: true,
    localOnly: true,
  }),
  s('GRAPH_GROUP_ID', 'events', 'The Microsoft 365 group whose calendar receives events'),
  s(
    'GRAPH_GROUP_IDS',
    'optional',
    'Several allowed calendars: alias=groupId,… (alias [a-z0-9-]{1,32}; a bare group id is its own alias; the first is the default)',
  ),
  s(
    'EVENT_ATTENDEE_DOMAINS',
    'optional',
    'Comma-separated e-mail domains event attendees may have (default: any)',
  ),
  s('GRAPH_SCOPES', 'optional', 'Delegated scopes, space separated', { default: DEFAULT_SCOPES }),
  s('GRAPH_AUTHORITY_HOST', 'optional', 'Entra ID host (national clouds)', {
    default: 'https://login.microsoftonline.com',
  }),
  s('GRAPH_API_BASE_URL', 'optional', 'Graph base URL (national clouds)', {
    default: 'https://graph.microsoft.com/v1.0',
  }),
  s('AzureWebJobsStorage', 'optional', 'Storage connection string', {
    default: 'UseDevelopmentStorage=true',
  }),
  s(
    'TOKEN_TABLE_ENDPOINT',
    'azure',
    'Table endpoint used with managed identity (instead of a connection string)',
  ),
  s('TOKEN_TABLE_NAME', 'optional', 'Token table name (the audit table is <name>Audit)', {
    default: 'GraphTokens',
  }),
  s('API_AUDIENCE', 'azure', 'Audience that caller tokens must carry'),
  s(
    'ADMIN_CLIENT_ID',
    'optional',
    'SPA app registration the admin page signs in with (Entra ID, auth code + PKCE)',
  ),
  s('AZURE_CLIENT_ID', 'optional', 'Client id of the user-assigned managed identity'),
  s('REFRESH_SCHEDULE', 'optional', 'NCRONTAB schedule of the refresh timer', { default: '0 */5 * * * *' }),
  s('CLEANUP_SCHEDULE', 'optional', 'NCRONTAB schedule of the cleanup timer', { default: '0 30 2 * * *' }),
  s('VALIDATE_SCHEDULE', 'optional', 'NCRONTAB schedule of the validate timer', { default: '0 0 3 * * 1' }),
  s('TOKEN_REFRESH_OFFSET_SECONDS', 'optional', 'Refresh this long before expiry', { default: '300' }),
  s('TOKEN_MEMORY_CACHE_SECONDS', 'optional', 'Memory cache lifetime', { default: '300' }),
  s('TOKEN_MAX_CONSECUTIVE_ERRORS', 'optional', 'Consecutive errors that deactivate a token', {
    default: '3',
  }),
  s('TOKEN_RETENTION_DAYS', 'optional', 'Inactive tokens are deleted after this many days', {
    default: '30',
  }),
  s('AUDIT_RETENTION_DAYS', 'optional', 'Audit entries are deleted after this many days', { default: '90' }),
  s('TOKEN_USAGE_FLUSH_SECONDS', 'optional', 'Usage counters are written at most this often', {
    default: '5',
  }),
  s('TOKEN_LEASE_SECONDS', 'optional', 'Refresh lease lifetime (a crashed holder is taken over after it)', {
    default: '60',
  }),
  s('SECRET_CACHE_SECONDS', 'optional', 'Key Vault secrets are cached this long (at most 300)', {
    default: '300',
  }),
  s(
    'CREDENTIAL_UNCERTAIN_RETRY_SECONDS',
    'optional',
    'After a password grant that got no answer, the password is not sent again for this long (at least 30)',
    { default: '300' },
  ),
  s('NOTIFY_WEBHOOK_URL', 'optional', 'Receiver of the CloudEvents notifications (docs/operations.md)'),
  s(
    'NOTIFY_WEBHOOK_SECRET_NAME',
    'optional',
    'Key Vault secret holding the key that signs the notifications (required with NOTIFY_WEBHOOK_URL)',
  ),
  s('NOTIFY_WEBHOOK_SECRET', 'optional', 'The notification signing key itself (local development only)', {
    secret: true,
    localOnly: true,
  }),
]);

function s(
  name: string,
  required: SettingSpec['required'],
  description: string,
  extra: Partial<Pick<SettingSpec, 'secret' | 'localOnly' | 'default'>> = {},
): SettingSpec {
  return Object.freeze({
    name,
    required,
    description,
    secret: extra.secret ?? false,
    localOnly: extra.localOnly ?? false,
    ...(extra.default !== undefined ? { default: extra.default } : {}),
  });
}

export type StorageSettings =
  { kind: 'connectionString'; connectionString: string } | { kind: 'endpoint'; endpoint: string };

export interface LifecycleSettings {
  refreshOffsetSeconds: number;
  memoryCacheSeconds: number;
  maxConsecutiveErrors: number;
  retentionDays: number;
  auditRetentionDays: number;
  usageFlushSeconds: number;
  leaseSeconds: number;
  secretCacheSeconds: number;
  uncertainRetrySeconds: number;
}

/** Local-development secrets. Kept off the enumerable surface so the config can be logged safely. */
export interface LocalSecrets {
  password?: string;
  encryptionKey?: Buffer;
  webhookSecret?: string;
}

/** Where notifications go and how their signing key is found. */
export interface NotifySettings {
  readonly url: string;
  /** Key Vault secret name (Azure); `undefined` with a local `NOTIFY_WEBHOOK_SECRET`. */
  readonly secretName: string | undefined;
}

export interface Config {
  readonly clientId: string;
  readonly tenant: string;
  readonly username: string;
  /** `GRAPH_TOKEN_TYPE`. */
  readonly tokenType: TokenType;
  /** `GRAPH_CLIENT_CREDENTIAL_SECRET_NAME`: set → the delegated sign-in redeems as a confidential client. */
  readonly clientCredentialSecretName: string | undefined;
  readonly keyVaultUrl: string | undefined;
  readonly passwordSecretName: string;
  readonly encryptionKeySecretName: string;
  readonly groupId: string | undefined;
  /** The allowed calendars (`GRAPH_GROUP_IDS`, or `GRAPH_GROUP_ID` as `default`); the first is the default. */
  readonly calendars: readonly CalendarEntry[];
  /** `EVENT_ATTENDEE_DOMAINS`, lower case; empty: any domain (docs/events.md, "Ownership and roles"). */
  readonly eventAttendeeDomains: readonly string[];
  readonly scopes: readonly string[];
  readonly authorityHost: string;
  readonly graphBaseUrl: string;
  readonly storage: StorageSettings;
  readonly tableName: string;
  readonly auditTableName: string;
  /**
   * The audiences caller tokens may carry (`API_AUDIENCE`, comma or space separated, e.g. the Application
   * ID URI and the client id). Empty when unset.
   */
  readonly apiAudiences: readonly string[];
  /** The first of `apiAudiences` (the Application ID URI): the admin page's scope and dev tokens' `aud`. */
  readonly apiAudience: string | undefined;
  readonly managedIdentityClientId: string | undefined;
  readonly adminClientId: string | undefined;
  /** CloudEvents notifications, when `NOTIFY_WEBHOOK_URL` is set. */
  readonly notify: NotifySettings | undefined;
  /** `APPLICATIONINSIGHTS_CONNECTION_STRING` (a platform setting): metrics are exported when it is set. */
  readonly telemetryConnectionString: string | undefined;
  readonly schedules: { readonly refresh: string; readonly cleanup: string; readonly validate: string };
  readonly lifecycle: Readonly<LifecycleSettings>;
  /** Running in Azure: `WEBSITE_SITE_NAME` or `WEBSITE_INSTANCE_ID` is set (docs/operations.md, "Fail closed"). */
  readonly inAzure: boolean;
  /**
   * In Azure with an invalid configuration: nothing may be sent to an identity provider, Key Vault or
   * Graph, every route but health answers 503 and timers do nothing (`assertConfigurationUsable`).
   */
  readonly failClosed: boolean;
  /** The identity provider is on this machine (the local sandbox): dev tokens are allowed. */
  readonly isSandbox: boolean;
  readonly report: ConfigurationReport;
  /** Non-enumerable. */
  readonly localSecrets: LocalSecrets;
}

export type Environment = Readonly<Record<string, string | undefined>>;

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,56}$/;

/**
 * Parses the environment once into a frozen, typed object. Never throws: every problem is collected in
 * `report` by variable name (never by value), so `status` can show them all at once.
 */
export function loadConfig(env: Environment = process.env): Config {
  const missing: string[] = [];
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const def = (name: string): string => SETTINGS.find((x) => x.name === name)?.default ?? '';
  // "In Azure" is the platform's own variables (App Service sets both); there is deliberately no switch
  // that turns the Azure checks off (docs/operations.md, "Fail closed in Azure").
  const inAzure = get('WEBSITE_SITE_NAME') !== undefined || get('WEBSITE_INSTANCE_ID') !== undefined;

  const required = (name: string): string => {
    const v = get(name);
    if (v === undefined) missing.push(name);
    return v ?? '';
  };
  const url = (name: string, value: string, httpsOnly: boolean): string => {
    try {
      const u = new URL(value);
      if (u.protocol !== 'https:' && (httpsOnly || !isLoopback(u.hostname))) {
        problems.push(`${name} must be an https URL`);
      }
      return value.replace(/\/+$/, '');
    } catch {
      problems.push(`${name} is not a valid URL`);
      return value;
    }
  };
  const int = (name: string, min: number, max: number): number => {
    const raw = get(name) ?? def(name);
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}`);
      return Number(def(name));
    }
    return n;
  };

  const clientId = required('GRAPH_CLIENT_ID');
  const tenant = required('GRAPH_TENANT');
  const username = required('GRAPH_USERNAME');
  const password = get('GRAPH_PASSWORD');
  const rawType = get('GRAPH_TOKEN_TYPE') ?? def('GRAPH_TOKEN_TYPE');
  let tokenType: TokenType = 'ropc';
  if (isTokenType(rawType)) tokenType = rawType;
  else problems.push(`GRAPH_TOKEN_TYPE must be one of: ${TOKEN_TYPES.join(', ')}`);
  const clientCredentialSecretName = get('GRAPH_CLIENT_CREDENTIAL_SECRET_NAME');
  const rawKey = get('TOKEN_ENCRYPTION_KEY');
  let encryptionKey: Buffer | undefined;
  if (rawKey !== undefined) {
    const buf = Buffer.from(rawKey, 'base64');
    if (buf.length !== 32 || buf.toString('base64').replace(/=+$/, '') !== rawKey.replace(/=+$/, '')) {
      problems.push('TOKEN_ENCRYPTION_KEY must be a base64-encoded 256-bit (32-byte) key');
    } else {
      encryptionKey = buf;
    }
  }
  let keyVaultUrl = get('KEY_VAULT_URL');
  if (keyVaultUrl !== undefined) keyVaultUrl = url('KEY_VAULT_URL', keyVaultUrl, true);
  // A delegated deployment holds no password: locally the data key alone is enough.
  else if ((tokenType === 'ropc' && password === undefined) || rawKey === undefined)
    missing.push('KEY_VAULT_URL');
  if (clientCredentialSecretName !== undefined && keyVaultUrl === undefined) {
    problems.push(
      'GRAPH_CLIENT_CREDENTIAL_SECRET_NAME needs KEY_VAULT_URL (the credential lives in Key Vault)',
    );
  }
  if (inAzure) {
    if (password !== undefined)
      problems.push('GRAPH_PASSWORD is for local development only; keep the password in Key Vault');
    if (rawKey !== undefined) {
      problems.push('TOKEN_ENCRYPTION_KEY is for local development only; keep the key in Key Vault');
    }
  }

  const authorityHost = url(
    'GRAPH_AUTHORITY_HOST',
    get('GRAPH_AUTHORITY_HOST') ?? def('GRAPH_AUTHORITY_HOST'),
    true,
  );
  const graphBaseUrl = url(
    'GRAPH_API_BASE_URL',
    get('GRAPH_API_BASE_URL') ?? def('GRAPH_API_BASE_URL'),
    false,
  );
  const scopes = (get('GRAPH_SCOPES') ?? DEFAULT_SCOPES).split(/[\s,]+/).filter(Boolean);

  const connectionString = get('AzureWebJobsStorage');
  const tableEndpoint = get('TOKEN_TABLE_ENDPOINT');
  let storage: StorageSettings;
  if (tableEndpoint !== undefined) {
    storage = { kind: 'endpoint', endpoint: url('TOKEN_TABLE_ENDPOINT', tableEndpoint, false) };
  } else if (connectionString !== undefined) {
    storage = { kind: 'connectionString', connectionString };
  } else {
    if (inAzure) missing.push('TOKEN_TABLE_ENDPOINT');
    storage = { kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' };
  }
  const tableName = get('TOKEN_TABLE_NAME') ?? def('TOKEN_TABLE_NAME');
  if (!TABLE_NAME.test(tableName) || tableName.length > 58) {
    problems.push('TOKEN_TABLE_NAME must be 3-58 letters or digits, starting with a letter');
  }
  const apiAudiences = parseAudiences(get('API_AUDIENCE'));
  if (inAzure && apiAudiences.length === 0) missing.push('API_AUDIENCE');

  const lifecycle: LifecycleSettings = Object.freeze({
    refreshOffsetSeconds: int('TOKEN_REFRESH_OFFSET_SECONDS', 0, 3000),
    memoryCacheSeconds: int('TOKEN_MEMORY_CACHE_SECONDS', 0, 3600),
    maxConsecutiveErrors: int('TOKEN_MAX_CONSECUTIVE_ERRORS', 1, 100),
    retentionDays: int('TOKEN_RETENTION_DAYS', 1, 3650),
    auditRetentionDays: int('AUDIT_RETENTION_DAYS', 1, 3650),
    usageFlushSeconds: int('TOKEN_USAGE_FLUSH_SECONDS', 1, 300),
    leaseSeconds: int('TOKEN_LEASE_SECONDS', 5, 600),
    secretCacheSeconds: int('SECRET_CACHE_SECONDS', 0, 300),
    uncertainRetrySeconds: int('CREDENTIAL_UNCERTAIN_RETRY_SECONDS', 30, 86_400),
  });

  const webhookSecret = get('NOTIFY_WEBHOOK_SECRET');
  const webhookUrl = get('NOTIFY_WEBHOOK_URL');
  const webhookSecretName = get('NOTIFY_WEBHOOK_SECRET_NAME');
  let notify: NotifySettings | undefined;
  if (webhookUrl !== undefined) {
    notify = Object.freeze({
      url: url('NOTIFY_WEBHOOK_URL', webhookUrl, inAzure),
      secretName: webhookSecretName,
    });
    if (webhookSecretName === undefined && webhookSecret === undefined) {
      problems.push(
        'NOTIFY_WEBHOOK_SECRET_NAME must be set with NOTIFY_WEBHOOK_URL (notifications are signed)',
      );
    } else if (webhookSecretName !== undefined && keyVaultUrl === undefined) {
      problems.push('NOTIFY_WEBHOOK_SECRET_NAME needs KEY_VAULT_URL');
    }
  }
  if (inAzure && webhookSecret !== undefined) {
    problems.push('NOTIFY_WEBHOOK_SECRET is for local development only; keep the key in Key Vault');
  }

  const schedule = (name: string): string => {
    const v = get(name) ?? def(name);
    if (v.split(/\s+/).length !== 6) problems.push(`${name} must be an NCRONTAB expression with 6 fields`);
    return v;
  };

  if (inAzure) {
    problems.push(
      ...azureEndpointProblems({
        authorityHost,
        graphBaseUrl,
        keyVaultUrl,
        tableEndpoint:
          storage.kind === 'endpoint' ? storage.endpoint : tableEndpointOf(storage.connectionString),
      }),
    );
  }

  const calendarList = parseCalendarList(get('GRAPH_GROUP_IDS'), get('GRAPH_GROUP_ID'));
  problems.push(...calendarList.problems);

  const schedules = Object.freeze({
    refresh: schedule('REFRESH_SCHEDULE'),
    cleanup: schedule('CLEANUP_SCHEDULE'),
    validate: schedule('VALIDATE_SCHEDULE'),
  });

  let isSandbox = false;
  try {
    isSandbox = isLoopback(new URL(authorityHost).hostname);
  } catch {
    isSandbox = false;
  }

  const report: ConfigurationReport = Object.freeze({
    valid: missing.length === 0 && problems.length === 0,
    missing: Object.freeze([...missing]) as string[],
    problems: Object.freeze([...problems]) as string[],
    password_source:
      tokenType === 'delegated'
        ? 'none'
        : keyVaultUrl !== undefined
          ? 'key_vault'
          : password !== undefined
            ? 'environment'
            : 'none',
    token_type: tokenType,
  });

  const config = {
    clientId,
    tenant,
    username,
    tokenType,
    clientCredentialSecretName,
    keyVaultUrl,
    passwordSecretName: get('GRAPH_PASSWORD_SECRET_NAME') ?? def('GRAPH_PASSWORD_SECRET_NAME'),
    encryptionKeySecretName:
      get('TOKEN_ENCRYPTION_KEY_SECRET_NAME') ?? def('TOKEN_ENCRYPTION_KEY_SECRET_NAME'),
    groupId: get('GRAPH_GROUP_ID') ?? calendarList.calendars[0]?.groupId,
    calendars: calendarList.calendars,
    eventAttendeeDomains: Object.freeze(
      (get('EVENT_ATTENDEE_DOMAINS') ?? '')
        .split(',')
        .map((d) => d.trim().toLowerCase().replace(/^@/, ''))
        .filter((d) => d !== ''),
    ),
    scopes: Object.freeze(scopes),
    authorityHost,
    graphBaseUrl,
    storage: Object.freeze(storage),
    tableName,
    auditTableName: `${tableName}Audit`,
    apiAudiences,
    apiAudience: apiAudiences[0],
    managedIdentityClientId: get('AZURE_CLIENT_ID'),
    adminClientId: get('ADMIN_CLIENT_ID'),
    notify,
    telemetryConnectionString: get('APPLICATIONINSIGHTS_CONNECTION_STRING'),
    schedules,
    lifecycle,
    inAzure,
    failClosed: inAzure && !report.valid,
    isSandbox,
    report,
  } as Omit<Config, 'localSecrets'>;
  Object.defineProperty(config, 'localSecrets', {
    value: Object.freeze({ password, encryptionKey, webhookSecret }),
    enumerable: false,
  });
  return Object.freeze(config) as Config;
}

/**
 * The variables an invalid configuration names: the missing ones, then those its problems start with
 * (every problem is phrased "<VARIABLE> must …"), without duplicates and never with a value.
 */
export function invalidVariables(report: ConfigurationReport): string[] {
  const named = report.problems.map((p) => /^[A-Za-z_][A-Za-z0-9_]*/.exec(p)?.[0]).filter(Boolean);
  return [...new Set([...report.missing, ...(named as string[])])];
}

/**
 * Fail closed (docs/operations.md, "Fail closed in Azure"): in Azure an invalid configuration is enforced,
 * not only reported — this throws `CONFIGURATION_INVALID` (503) naming the variables, before anything
 * could reach an identity provider, Key Vault or Graph. Elsewhere (a laptop, CI) it never throws: the
 * CLI's `status` and the health page report the problems instead.
 */
export function assertConfigurationUsable(config: Pick<Config, 'failClosed' | 'report'>): void {
  if (!config.failClosed) return;
  throw new GraphTokenError(
    ERRORS.CONFIGURATION_INVALID,
    `The configuration is invalid in Azure (${invalidVariables(config.report).join(', ')}): nothing is sent to the identity provider, Key Vault or Graph until it is fixed`,
  );
}

/** `API_AUDIENCE`: one or more audiences separated by commas or white space, kept verbatim. */
export function parseAudiences(value: string | undefined): readonly string[] {
  const audiences = (value ?? '').split(/[,\s]+/).filter(Boolean);
  return Object.freeze([...new Set(audiences)]);
}

/**
 * The hosts of the known Azure clouds (public, US Government, China) for each outbound endpoint. In Azure
 * nothing else is accepted — in particular no loopback or private host a setting could point the
 * service at to collect the password or tokens.
 */
export const AZURE_CLOUD_HOSTS = Object.freeze({
  GRAPH_AUTHORITY_HOST: [
    'login.microsoftonline.com',
    'login.microsoftonline.us',
    'login.partner.microsoftonline.cn',
    'login.chinacloudapi.cn',
  ],
  GRAPH_API_BASE_URL: [
    'graph.microsoft.com',
    'graph.microsoft.us',
    'dod-graph.microsoft.us',
    'microsoftgraph.chinacloudapi.cn',
  ],
  KEY_VAULT_URL: ['.vault.azure.net', '.vault.usgovcloudapi.net', '.vault.azure.cn'],
  TOKEN_TABLE_ENDPOINT: [
    '.table.core.windows.net',
    '.table.core.usgovcloudapi.net',
    '.table.core.chinacloudapi.cn',
  ],
} as const);

function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const h = host.toLowerCase();
  return allowed.some((a) => (a.startsWith('.') ? h.endsWith(a) && h.length > a.length : h === a));
}

/** The table endpoint a connection string names (explicitly, or from its account and suffix). */
export function tableEndpointOf(connectionString: string): string | undefined {
  if (/^UseDevelopmentStorage=true;?$/i.test(connectionString.trim())) return 'http://127.0.0.1:10002';
  const part = (name: string): string | undefined =>
    new RegExp(`(?:^|;)\\s*${name}=([^;]+)`, 'i').exec(connectionString)?.[1]?.trim();
  const explicit = part('TableEndpoint');
  if (explicit) return explicit;
  const account = part('AccountName');
  if (!account) return undefined;
  return `https://${account}.table.${part('EndpointSuffix') ?? 'core.windows.net'}`;
}

/** Problems of outbound endpoints in Azure: https, a known Azure cloud host, never loopback. */
export function azureEndpointProblems(endpoints: {
  authorityHost: string;
  graphBaseUrl: string;
  keyVaultUrl: string | undefined;
  tableEndpoint: string | undefined;
}): string[] {
  const problems: string[] = [];
  const check = (name: keyof typeof AZURE_CLOUD_HOSTS, value: string | undefined): void => {
    if (value === undefined) return;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return; // reported as "not a valid URL" already
    }
    if (
      url.protocol !== 'https:' ||
      isLoopback(url.hostname) ||
      !hostAllowed(url.hostname, AZURE_CLOUD_HOSTS[name])
    ) {
      problems.push(
        `${name} must be an https endpoint of a known Azure cloud in Azure (${AZURE_CLOUD_HOSTS[name].join(', ')})`,
      );
    }
  };
  check('GRAPH_AUTHORITY_HOST', endpoints.authorityHost);
  check('GRAPH_API_BASE_URL', endpoints.graphBaseUrl);
  check('KEY_VAULT_URL', endpoints.keyVaultUrl);
  check('TOKEN_TABLE_ENDPOINT', endpoints.tableEndpoint);
  return problems;
}

export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** `local.settings.json` as Core Tools reads it: `Values` (strings; numbers and booleans as text) and `Host.LocalHttpPort`. */
export interface LocalSettings {
  values: Record<string, string>;
  localHttpPort: number | undefined;
}

export function readLocalSettings(file: string): LocalSettings {
  if (!existsSync(file)) return { values: {}, localHttpPort: undefined };
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as {
    Values?: Record<string, unknown>;
    Host?: { LocalHttpPort?: unknown };
  };
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed.Values ?? {})) {
    if (typeof value === 'string') values[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') values[key] = String(value);
  }
  const port = parsed.Host?.LocalHttpPort;
  return { values, localHttpPort: typeof port === 'number' ? port : undefined };
}

/**
 * The Azure Functions convention for local runs: `local.settings.json` → `Values`, with real environment
 * variables taking precedence (as Core Tools does). Returns a new object; `process.env` is not modified.
 */
export function readLocalEnvironment(
  dir: string = process.cwd(),
  env: Environment = process.env,
): Environment {
  const values: Record<string, string> = { ...readLocalSettings(join(dir, 'local.settings.json')).values };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) values[k] = v;
  return Object.freeze(values);
}

/**
 * Where the local sandbox keeps its state (certificate, signing key): `GRAPH_SANDBOX_DIR` (relative to
 * `cwd` when relative), else `.sandbox/` in `cwd`.
 */
export function sandboxDirectory(env: Environment = process.env, cwd: string = process.cwd()): string {
  const dir = env.GRAPH_SANDBOX_DIR?.trim();
  if (!dir) return join(cwd, '.sandbox');
  return isAbsolute(dir) ? dir : join(cwd, dir);
}

/** `PORT`, the port a local host listens on; `undefined` when unset. @throws Error when it is not a port number. */
export function portSetting(env: Environment = process.env): number | undefined {
  const raw = env.PORT?.trim();
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535)
    throw new Error(`PORT must be a port number (0 picks a free one), got "${raw}"`);
  return port;
}
