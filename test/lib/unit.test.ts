import { ManualClock } from '../../src/lib/clock';
import { loadConfig, SETTINGS } from '../../src/lib/config';
import { decrypt, encrypt, type KeyRing } from '../../src/lib/crypto';
import { aadstsError, ERRORS, GraphTokenError, sanitize } from '../../src/lib/errors';
import { createJsonLogger } from '../../src/lib/logger';
import { parseRetryAfter, withRetry } from '../../src/lib/retry';
import { schedulePeriodSeconds } from '../../src/lib/schedule';

const key = { version: 'v1key', key: Buffer.alloc(32, 7) };
const ring = (...keys: { version: string; key: Buffer }[]): KeyRing => ({
  current: async () => keys[0]!,
  byVersion: async (v) => {
    const k = keys.find((x) => x.version === v);
    if (!k) throw new GraphTokenError(ERRORS.ENCRYPTION_KEY_UNKNOWN, 'unknown');
    return k;
  },
});

describe('configuration', () => {
  it('reports every missing variable by name, never by value', () => {
    const config = loadConfig({ GRAPH_PASSWORD: 'hunter2-secret', TOKEN_ENCRYPTION_KEY: 'short' });
    expect(config.report.valid).toBe(false);
    expect(config.report.missing).toEqual(
      expect.arrayContaining(['GRAPH_CLIENT_ID', 'GRAPH_TENANT', 'GRAPH_USERNAME']),
    );
    expect(config.report.problems.join(' ')).toContain('TOKEN_ENCRYPTION_KEY');
    expect(JSON.stringify(config)).not.toContain('hunter2-secret');
  });

  it('accepts local secrets instead of Key Vault and hides them from serialization', () => {
    const config = loadConfig({
      GRAPH_CLIENT_ID: 'c',
      GRAPH_TENANT: 't',
      GRAPH_USERNAME: 'u@x',
      GRAPH_PASSWORD: 'pw-value-123',
      TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
    });
    expect(config.report).toMatchObject({
      valid: true,
      missing: [],
      problems: [],
      password_source: 'environment',
    });
    expect(config.localSecrets.password).toBe('pw-value-123');
    expect(JSON.stringify(config)).not.toContain('pw-value-123');
    expect(config.lifecycle).toMatchObject({
      refreshOffsetSeconds: 300,
      memoryCacheSeconds: 300,
      maxConsecutiveErrors: 3,
      retentionDays: 30,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('requires API_AUDIENCE and storage in Azure and rejects local-only secrets there', () => {
    const config = loadConfig({
      WEBSITE_SITE_NAME: 'app',
      GRAPH_CLIENT_ID: 'c',
      GRAPH_TENANT: 't',
      GRAPH_USERNAME: 'u',
      GRAPH_PASSWORD: 'p',
      KEY_VAULT_URL: 'https://kv.vault.azure.net',
    });
    expect(config.report.missing).toEqual(expect.arrayContaining(['API_AUDIENCE', 'TOKEN_TABLE_ENDPOINT']));
    expect(config.report.problems.join(' ')).toContain('GRAPH_PASSWORD');
  });

  it('rejects bad numbers, URLs and schedules by variable name', () => {
    const config = loadConfig({
      TOKEN_MAX_CONSECUTIVE_ERRORS: 'x',
      GRAPH_AUTHORITY_HOST: 'http://login.example',
      REFRESH_SCHEDULE: '*/5 * * * *',
    });
    const text = config.report.problems.join('\n');
    expect(text).toContain('TOKEN_MAX_CONSECUTIVE_ERRORS');
    expect(text).toContain('GRAPH_AUTHORITY_HOST');
    expect(text).toContain('REFRESH_SCHEDULE');
  });

  it('lists every §3 variable in SETTINGS', () => {
    const names = SETTINGS.map((s) => s.name);
    for (const n of [
      'GRAPH_CLIENT_ID',
      'GRAPH_TENANT',
      'GRAPH_USERNAME',
      'GRAPH_PASSWORD',
      'KEY_VAULT_URL',
      'GRAPH_PASSWORD_SECRET_NAME',
      'TOKEN_ENCRYPTION_KEY_SECRET_NAME',
      'TOKEN_ENCRYPTION_KEY',
      'GRAPH_GROUP_ID',
      'GRAPH_SCOPES',
      'GRAPH_AUTHORITY_HOST',
      'GRAPH_API_BASE_URL',
      'AzureWebJobsStorage',
      'TOKEN_TABLE_ENDPOINT',
      'TOKEN_TABLE_NAME',
      'API_AUDIENCE',
      'REFRESH_SCHEDULE',
      'CLEANUP_SCHEDULE',
      'VALIDATE_SCHEDULE',
    ]) {
      expect(names).toContain(n);
    }
  });
});

describe('encryption at rest', () => {
  it('round-trips and stores the key version with the ciphertext', async () => {
    const blob = encrypt('secret-token', 'T/ropc/1/access_token', key);
    expect(blob.split('.')[1]).toBe('v1key');
    expect(blob).not.toContain('secret-token');
    await expect(decrypt(blob, 'T/ropc/1/access_token', ring(key))).resolves.toBe('secret-token');
  });

  it('rejects a ciphertext moved to another row or field', async () => {
    const blob = encrypt('secret-token', 'T/ropc/1/access_token', key);
    await expect(decrypt(blob, 'T/ropc/2/access_token', ring(key))).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
    await expect(decrypt(blob, 'T/ropc/1/msal_cache', ring(key))).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
  });

  it('rejects a tampered ciphertext', async () => {
    const blob = encrypt('secret-token', 'aad', key);
    const parts = blob.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[3] = body.toString('base64url');
    await expect(decrypt(parts.join('.'), 'aad', ring(key))).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
  });

  it('decrypts with an older key version after rotation', async () => {
    const old = encrypt('x', 'aad', key);
    const next = { version: 'v2key', key: Buffer.alloc(32, 9) };
    await expect(decrypt(old, 'aad', ring(next, key))).resolves.toBe('x');
    await expect(decrypt(old, 'aad', ring(next))).rejects.toMatchObject({ code: 'ENCRYPTION_KEY_UNKNOWN' });
  });
});

describe('retry', () => {
  const transient = (retryAfterSeconds?: number) =>
    new GraphTokenError(ERRORS.IDENTITY_PROVIDER_THROTTLED, 'throttled', { retryAfterSeconds });

  it('honours Retry-After and retries transient errors only', async () => {
    const clock = new ManualClock(0);
    const sleeps: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw transient(7);
        return 'ok';
      },
      { clock, random: () => 0, onRetry: (_e, _a, d) => sleeps.push(d) },
    );
    expect(result).toBe('ok');
    expect(sleeps).toEqual([7000, 7000]);
  });

  it('never retries a credential error', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw aadstsError('50126', 'bad password');
        },
        { clock: new ManualClock(0) },
      ),
    ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(calls).toBe(1);
  });

  it('backs off exponentially with jitter within a time budget', async () => {
    const clock = new ManualClock(0);
    const sleeps: number[] = [];
    await expect(
      withRetry(async () => Promise.reject(transient()), {
        clock,
        baseDelayMs: 100,
        maxAttempts: 5,
        random: () => 1,
        onRetry: (_e, _a, d) => sleeps.push(d),
      }),
    ).rejects.toBeInstanceOf(GraphTokenError);
    expect(sleeps).toEqual([100, 200, 400, 800]);
    const budget: number[] = [];
    await expect(
      withRetry(async () => Promise.reject(transient(120)), {
        clock,
        maxTotalMs: 60000,
        onRetry: (_e, _a, d) => budget.push(d),
      }),
    ).rejects.toBeInstanceOf(GraphTokenError);
    expect(budget).toEqual([]);
  });

  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('3', 0)).toBe(3);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 0)).toBe(10);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
});

describe('errors and logs', () => {
  it('maps AADSTS codes to stable codes and hints', () => {
    const e = aadstsError('7000218', 'The request body must contain client_assertion');
    expect(e.code).toBe('PUBLIC_CLIENT_FLOWS_DISABLED');
    expect(e.hint).toMatch(/Allow public client flows/);
    expect(aadstsError('50076', 'mfa').category).toBe('credential');
    // Deny by default: an unknown code is still a rejection, never an error worth retrying.
    expect(aadstsError('99999', 'x')).toMatchObject({ code: 'CREDENTIALS_REJECTED', category: 'credential' });
  });

  it('strips tokens from upstream text and secret fields from logs', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    expect(sanitize(`bad ${jwt} password=abc`)).not.toMatch(/eyJ|abc/);
    const lines: string[] = [];
    const logger = createJsonLogger((l) => lines.push(l));
    logger.log('info', 'x', {
      password: 'p@ss',
      refresh_token: 'rt',
      token_id: 'id-1',
      message: `got ${jwt}`,
    });
    expect(lines[0]).not.toMatch(/p@ss|"rt"|eyJ/);
    expect(lines[0]).toContain('id-1');
  });

  it('derives the refresh window from the schedule', () => {
    expect(schedulePeriodSeconds('0 */5 * * * *')).toBe(300);
    expect(schedulePeriodSeconds('*/2 * * * * *')).toBe(2);
    expect(schedulePeriodSeconds('0 30 2 * * *')).toBe(300);
  });
});

describe('local.settings.sample.json', () => {
  it('lists every setting the configuration module reads', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sample = require('../../local.settings.sample.json') as { Values: Record<string, string> };
    for (const s of SETTINGS) expect(Object.keys(sample.Values)).toContain(s.name);
  });
});

describe('AES-GCM', () => {
  const key = { version: 'k1', key: Buffer.alloc(32, 7) };
  const ring = { current: async () => key, byVersion: async () => key };
  it('requires the full 16-byte tag', async () => {
    const blob = encrypt('secret-token', 'T/ropc/id/access_token', key);
    expect(await decrypt(blob, 'T/ropc/id/access_token', ring)).toBe('secret-token');
    const parts = blob.split('.');
    const tag = Buffer.from(parts[4]!, 'base64url');
    for (const length of [4, 8, 12, 15]) {
      const shortened = [...parts.slice(0, 4), tag.subarray(0, length).toString('base64url')].join('.');
      await expect(decrypt(shortened, 'T/ropc/id/access_token', ring)).rejects.toMatchObject({
        code: 'DECRYPTION_FAILED',
      });
    }
  });
});

describe('outbound endpoints in Azure', () => {
  const base = {
    WEBSITE_SITE_NAME: 'app',
    GRAPH_CLIENT_ID: 'c',
    GRAPH_TENANT: 't',
    GRAPH_USERNAME: 'u',
    API_AUDIENCE: 'api://x',
    KEY_VAULT_URL: 'https://kv.vault.azure.net',
    TOKEN_TABLE_ENDPOINT: 'https://acct.table.core.windows.net',
  };
  it('accepts the hosts of the known Azure clouds', () => {
    expect(loadConfig(base).report.problems).toEqual([]);
    expect(
      loadConfig({
        ...base,
        GRAPH_AUTHORITY_HOST: 'https://login.microsoftonline.us',
        GRAPH_API_BASE_URL: 'https://graph.microsoft.us/v1.0',
        KEY_VAULT_URL: 'https://kv.vault.usgovcloudapi.net',
        TOKEN_TABLE_ENDPOINT: 'https://acct.table.core.usgovcloudapi.net',
      }).report.problems,
    ).toEqual([]);
  });
  it.each([
    ['GRAPH_AUTHORITY_HOST', 'https://localhost:7072'],
    ['GRAPH_AUTHORITY_HOST', 'https://login.evil.example'],
    ['GRAPH_API_BASE_URL', 'https://127.0.0.1:8443/v1.0'],
    ['GRAPH_API_BASE_URL', 'https://graph.microsoft.com.evil.example/v1.0'],
    ['KEY_VAULT_URL', 'https://vault.azure.net.evil.example'],
    ['TOKEN_TABLE_ENDPOINT', 'https://[::1]:10002'],
  ])('refuses %s=%s', (name, value) => {
    const problems = loadConfig({ ...base, [name]: value }).report.problems.join('\n');
    expect(problems).toContain(`${name} must be an https endpoint of a known Azure cloud`);
  });
  it('checks the table endpoint of a connection string, and there is no switch that turns this off', () => {
    const { TOKEN_TABLE_ENDPOINT: _omit, ...rest } = base;
    const local = loadConfig({
      ...rest,
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      GRAPH_TOKEN_MANAGER_LOCAL: '1',
    });
    expect(local.inAzure).toBe(true);
    expect(local.report.problems.join('\n')).toContain('TOKEN_TABLE_ENDPOINT must be');
    const real = loadConfig({
      ...rest,
      AzureWebJobsStorage:
        'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net',
    });
    expect(real.report.problems).toEqual([]);
  });
});
