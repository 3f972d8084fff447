import { startSandbox, tableConnectionString, TcpProxy, type Sandbox } from '../../src/sandbox';
import { CapturingLogger, FastClock, freshEnv, rawTable, service } from './helpers';

jest.setTimeout(120_000);

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: false });
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => {
  sandbox.idp.clearFaults();
  sandbox.graph.clearFaults();
  sandbox.idp.resetCounts();
});

describe('getting a token', () => {
  it('goes memory → storage → identity provider, and a memory hit does no I/O', async () => {
    const env = freshEnv(sandbox);
    const svc = service(env);
    const first = await svc.acquireToken();
    expect(first.token.source).toBe('ropc');
    expect(sandbox.idp.counts.password).toBe(1);
    const second = await svc.acquireToken();
    expect(second.token.source).toBe('memory');

    // With every outside system failing, the hot path still answers from memory.
    sandbox.idp.injectFault({ kind: 'drop' });
    const before = { ...svc.stats };
    const tokens = new Set<string>();
    for (let i = 0; i < 1000; i++) tokens.add(await svc.getAccessToken());
    expect(tokens.size).toBe(1);
    expect(svc.stats.memory_hits - before.memory_hits).toBe(1000);
    expect(svc.stats.storage_hits).toBe(before.storage_hits);
    expect(sandbox.idp.counts.token).toBe(1);
    await svc.close();
  });

  it('serves a second process from storage with zero identity-provider requests', async () => {
    const env = freshEnv(sandbox);
    const a = service(env);
    const tokenA = await a.getAccessToken();
    const b = service(env);
    sandbox.idp.resetCounts();
    const result = await b.acquireToken();
    expect(result.token.source).toBe('storage');
    expect(await b.getAccessToken()).toBe(tokenA);
    expect(sandbox.idp.counts.token).toBe(0);
    expect(sandbox.idp.counts.discovery).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('refreshes with the refresh token, not the password, and supersedes the old token', async () => {
    const env = freshEnv(sandbox);
    const svc = service(env);
    const first = await svc.acquireToken();
    const forced = await svc.acquireToken({ forceRefresh: true });
    expect(forced.token.source).toBe('refresh');
    expect(forced.token.id).not.toBe(first.token.id);
    expect(sandbox.idp.counts.password).toBe(1);
    expect(sandbox.idp.counts.refresh_token).toBe(1);
    const list = await svc.listTokens();
    const old = list.items.find((t) => t.id === first.token.id)!;
    expect(old).toMatchObject({ is_active: false, deactivation_reason: 'superseded' });
    expect(list.items.filter((t) => t.is_active)).toHaveLength(1);
    await svc.close();
  });

  it('falls back to the password when the refresh token is revoked', async () => {
    const env = freshEnv(sandbox);
    const svc = service(env);
    await svc.acquireToken();
    sandbox.idp.revokeRefreshTokens();
    const forced = await svc.acquireToken({ forceRefresh: true });
    expect(forced.token.source).toBe('ropc');
    expect(sandbox.idp.counts.password).toBe(2);
    await svc.close();
  });

  it('sends one token request and at most one discovery request for 1 000 concurrent cold callers', async () => {
    const env = freshEnv(sandbox);
    const svc = service(env);
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => svc.getAccessToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(sandbox.idp.counts.token).toBe(1);
    expect(sandbox.idp.counts.discovery).toBeLessThanOrEqual(1);
    await svc.close();
  });

  it('aggregates usage in memory: at most one storage write per flush', async () => {
    const env = freshEnv(sandbox, { TOKEN_USAGE_FLUSH_SECONDS: '1' });
    const svc = service(env);
    await svc.getAccessToken();
    for (let i = 0; i < 1000; i++) await svc.getAccessToken();
    expect(svc.stats.usage_writes).toBe(0);
    await svc.flushUsage();
    expect(svc.stats.usage_writes).toBe(1);
    const [token] = (await svc.listTokens()).items;
    expect(token!.usage_count).toBe(1000);
    expect(token!.last_used_at).not.toBeNull();
    await svc.close();
  });
});

describe('the hot path does no I/O', () => {
  it('answers from memory while storage and the identity provider are both unreachable', async () => {
    const azurite = sandbox.azurite!;
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: azurite.port });
    try {
      const env = freshEnv(sandbox, {
        AzureWebJobsStorage: tableConnectionString(`http://127.0.0.1:${proxy.port}/devstoreaccount1`),
      });
      const svc = service(env);
      const token = await svc.getAccessToken();
      await proxy.down();
      sandbox.idp.injectFault({ kind: 'drop' });
      const hitsBefore = svc.stats.memory_hits;
      const started = process.hrtime.bigint();
      // A plain comparison in the loop (a jest matcher per call costs more than the call under test).
      let mismatches = 0;
      for (let i = 0; i < 10_000; i++) if ((await svc.getAccessToken()) !== token) mismatches++;
      expect(mismatches).toBe(0);
      // Every call was a memory-cache hit: none took the path that reads storage (even its fallback).
      expect(svc.stats.memory_hits - hitsBefore).toBe(10_000);
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      // 10 000 calls with no network round trip: far below one storage call each (a loose bound).
      expect(elapsedMs).toBeLessThan(2000);
      expect(sandbox.idp.counts.token).toBe(1);
      await proxy.up();
      await svc.close();
    } finally {
      await proxy.close();
    }
  });
});

describe('fleet coordination and outages', () => {
  it('takes over the lease of a crashed holder once it expires', async () => {
    const env = freshEnv(sandbox);
    const clock = new FastClock();
    const svc = service(env, { clock });
    const table = rawTable(env);
    await table.createTable();
    const lease0 = new Date(clock.now() + 60_000).toISOString();
    await table.createEntity({
      partitionKey: 'ropc',
      rowKey: '~lease',
      holder: 'crashed-instance',
      expires_at: lease0,
    });
    const result = await svc.acquireToken();
    expect(result.token.source).toBe('ropc');
    expect(svc.stats.lease_waits).toBeGreaterThan(0);
    expect(clock.now()).toBeGreaterThanOrEqual(Date.parse(lease0));
    expect(sandbox.idp.counts.token).toBe(1);
    const lease = await table.getEntity<{ holder: string }>('ropc', '~lease');
    expect(lease.holder).toBe('');
    await svc.close();
  });

  it('keeps serving its valid token when storage is down in the refresh window, never past expiry', async () => {
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: sandbox.azurite!.port });
    try {
      const env = freshEnv(sandbox, {
        AzureWebJobsStorage: tableConnectionString(`http://127.0.0.1:${proxy.port}/devstoreaccount1`),
      });
      const clock = new FastClock();
      const svc = service(env, { clock });
      const token = await svc.getAccessToken();
      await proxy.down();
      clock.advance(3400_000);
      expect(await svc.getAccessToken()).toBe(token);
      clock.advance(300_000);
      await expect(svc.getAccessToken()).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      await proxy.up();
      await svc.close();
    } finally {
      await proxy.close();
    }
  });
});

describe('secrets never reach logs, errors or records', () => {
  it('keeps tokens and passwords out of every log line, error, record and audit entry', async () => {
    const env = freshEnv(sandbox);
    const logger = new CapturingLogger();
    const clock = new FastClock();
    const svc = service(env, { logger, clock });
    const tokens = [await svc.getAccessToken()];
    tokens.push((await svc.acquireToken({ forceRefresh: true })) && (await svc.getAccessToken()));
    clock.advance(10_000); // past the forced-refresh window: the next forced call is an exchange
    sandbox.idp.injectFault({ kind: 'aadsts', code: 50126, times: 1 });
    sandbox.idp.revokeRefreshTokens();
    const failure = await svc.acquireToken({ forceRefresh: true }).catch((e: unknown) => e);
    sandbox.graph.injectFault({ kind: 'status', status: 500, path: 'events' });
    const eventFailure = await svc
      .createGroupEvent({ subject: 's', start: '2026-12-01T09:00:00Z', end: '2026-12-01T10:00:00Z' })
      .catch((e: unknown) => e);
    sandbox.graph.clearFaults();
    const status = await svc.getTokenStatus();
    const list = await svc.listTokens();
    const everything = [
      ...logger.lines,
      JSON.stringify(failure),
      String((failure as Error).message),
      JSON.stringify(eventFailure),
      JSON.stringify(status),
      JSON.stringify(list),
    ].join('\n');
    for (const token of tokens) {
      expect(everything).not.toContain(token);
      expect(everything).not.toContain(token.split('.')[2]!);
    }
    expect(everything).not.toContain(sandbox.env.GRAPH_PASSWORD!);
    expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    expect(everything).toContain('INVALID_CREDENTIALS');
    await svc.close();
  });
});

describe('errors', () => {
  it('honours Retry-After on 429 and then succeeds', async () => {
    const env = freshEnv(sandbox);
    const clock = new FastClock();
    const svc = service(env, { clock });
    sandbox.idp.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 7, times: 1 });
    const result = await svc.acquireToken();
    expect(result.token.source).toBe('ropc');
    expect(clock.sleeps).toContain(7000);
    expect(sandbox.idp.counts.password).toBe(2);
    await svc.close();
  });

  it('retries 5xx with backoff and records the error when it persists', async () => {
    const env = freshEnv(sandbox);
    const clock = new FastClock();
    const svc = service(env, { clock });
    sandbox.idp.injectFault({ kind: 'status', status: 503 });
    await expect(svc.acquireToken()).rejects.toMatchObject({ code: 'IDENTITY_PROVIDER_UNAVAILABLE' });
    expect(sandbox.idp.counts.password).toBe(4);
    expect(clock.sleeps.length).toBe(3);
    await svc.close();
  });

  it('keeps serving a still-valid token while the identity provider is down', async () => {
    const env = freshEnv(sandbox);
    const clock = new FastClock();
    const logger = new CapturingLogger();
    const svc = service(env, { clock, logger });
    const token = await svc.getAccessToken();
    // Into the refresh window (token lifetime 3600 s, offset 300 s), but not expired.
    clock.advance(3400_000);
    sandbox.idp.injectFault({ kind: 'drop' });
    expect(await svc.getAccessToken()).toBe(token);
    const [record] = (await svc.listTokens()).items;
    expect(record).toMatchObject({
      is_active: true,
      error_count: 1,
      last_error_code: 'IDENTITY_PROVIDER_UNAVAILABLE',
    });
    expect(record!.last_error_hint).toBeTruthy();
    await svc.close();
  });

  it('keeps serving through a long outage: errors are counted, a still-valid token is not deactivated', async () => {
    const env = freshEnv(sandbox);
    const clock = new FastClock();
    const svc = service(env, { clock });
    const token = await svc.getAccessToken();
    clock.advance(3300_000);
    sandbox.idp.injectFault({ kind: 'status', status: 503 });
    for (let i = 0; i < 5; i++) {
      expect(await svc.getAccessToken()).toBe(token);
      clock.advance(31_000);
    }
    const [record] = (await svc.listTokens()).items;
    expect(record).toMatchObject({ is_active: true, last_error_code: 'IDENTITY_PROVIDER_UNAVAILABLE' });
    expect(record!.error_count).toBeGreaterThanOrEqual(3);
    // Past expiry it is never handed out.
    clock.advance(400_000);
    await expect(svc.getAccessToken()).rejects.toMatchObject({ code: 'IDENTITY_PROVIDER_UNAVAILABLE' });
    sandbox.idp.clearFaults();
    expect(await svc.getAccessToken()).not.toBe(token);
    await svc.close();
  });

  it('deactivates a token after 3 consecutive errors, and a success resets the count', async () => {
    const env = freshEnv(sandbox);
    const clock = new FastClock();
    const svc = service(env, { clock });
    const { token } = await svc.acquireToken();
    expect((await svc.getTokenStatus()).tokens).toMatchObject({ errored: 0, active: 1 });
    // A refusal of the refresh token that is not `invalid_grant`: no password fallback, an error of the token.
    sandbox.idp.injectFault({ kind: 'status', status: 400, grant: 'refresh_token' });
    const one = await svc.refreshTokens({ ids: [token.id] });
    expect(one).toMatchObject({ success: false, failed: 1 });
    expect(one.results[0]!.error!.code).toBe('IDENTITY_PROVIDER_ERROR');
    await svc.refreshTokens({ ids: [token.id] });
    let [record] = (await svc.listTokens()).items;
    expect(record).toMatchObject({ error_count: 2, is_active: true });
    const mid = await svc.getTokenStatus();
    expect(mid.tokens).toMatchObject({ errored: 1, active: 1 });
    expect(mid.current).toMatchObject({
      id: token.id,
      error_count: 2,
      last_error_code: 'IDENTITY_PROVIDER_ERROR',
    });
    await svc.refreshTokens({ ids: [token.id] });
    [record] = (await svc.listTokens()).items;
    expect(record).toMatchObject({ error_count: 3, is_active: false, deactivation_reason: 'errors' });
    const status = await svc.getTokenStatus();
    expect(status.current).toBeNull();
    sandbox.idp.clearFaults();
    const next = await svc.acquireToken();
    expect(next.token.id).not.toBe(token.id);
    await svc.close();
  });
});

describe('lockout protection', () => {
  it('sends a rejected password once, across calls, timer runs and new processes', async () => {
    const env = freshEnv(sandbox, { GRAPH_PASSWORD: 'wrong-password-1' });
    const logger = new CapturingLogger();
    const svc = service(env, { logger });
    await expect(svc.acquireToken()).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(sandbox.idp.counts.password).toBe(1);
    for (let i = 0; i < 5; i++) {
      await expect(svc.getAccessToken()).rejects.toMatchObject({ code: 'CREDENTIALS_BLOCKED' });
      const timer = await svc.refreshTokens({}, { actor: 'timer', correlationId: `t${i}` });
      expect(timer.failed).toBe(1);
    }
    const other = service(env);
    await expect(other.getAccessToken()).rejects.toMatchObject({ code: 'CREDENTIALS_BLOCKED' });
    expect(sandbox.idp.counts.password).toBe(1);
    const status = await other.getTokenStatus();
    expect(status.blocked).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(JSON.stringify(status)).not.toContain('wrong-password-1');

    // A changed password unblocks.
    const fixed = service({ ...env, GRAPH_PASSWORD: sandbox.env.GRAPH_PASSWORD! });
    const ok = await fixed.acquireToken();
    expect(ok.token.source).toBe('ropc');
    expect(sandbox.idp.counts.password).toBe(2);
    expect((await fixed.getTokenStatus()).blocked).toBeNull();
    expect(logger.lines.join('\n')).not.toContain('wrong-password-1');
    await Promise.all([svc.close(), other.close(), fixed.close()]);
  });

  it('forcing never sends a blocked password; only the explicit override does, once per call', async () => {
    const env = freshEnv(sandbox, { GRAPH_PASSWORD: 'wrong-password-2' });
    const svc = service(env);
    await expect(svc.acquireToken()).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await expect(svc.acquireToken({ forceRefresh: true })).rejects.toMatchObject({
      code: 'CREDENTIALS_BLOCKED',
    });
    expect(sandbox.idp.counts.password).toBe(1);
    await expect(svc.acquireToken({ retryBlockedPassword: true })).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    expect(sandbox.idp.counts.password).toBe(2);
    await svc.close();
  });

  it.each([
    [50053, 'ACCOUNT_LOCKED'],
    [50055, 'PASSWORD_EXPIRED'],
    [50057, 'ACCOUNT_DISABLED'],
    [50076, 'MFA_REQUIRED'],
    [65001, 'CONSENT_REQUIRED'],
    [7000218, 'PUBLIC_CLIENT_FLOWS_DISABLED'],
  ])('treats AADSTS%s as a credential error (%s) with a hint, never retried', async (code, expected) => {
    const env = freshEnv(sandbox);
    const svc = service(env);
    sandbox.idp.injectFault({ kind: 'aadsts', code });
    const error = await svc.acquireToken().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: expected });
    expect((error as { hint: string }).hint.length).toBeGreaterThan(20);
    expect(sandbox.idp.counts.password).toBe(1);
    await expect(svc.getAccessToken()).rejects.toMatchObject({ code: 'CREDENTIALS_BLOCKED' });
    expect(sandbox.idp.counts.password).toBe(1);
    await svc.close();
  });
});

describe('storage', () => {
  it('stores no access token, refresh token or password in plaintext', async () => {
    const env = freshEnv(sandbox);
    const svc = service(env);
    const token = await svc.getAccessToken();
    await svc.acquireToken({ forceRefresh: true });
    const raw: string[] = [];
    for await (const e of rawTable(env).listEntities()) raw.push(JSON.stringify(e));
    const text = raw.join('\n');
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.split('.')[1]!);
    expect(text).not.toContain(sandbox.env.GRAPH_PASSWORD!);
    expect(text).not.toMatch(/RefreshToken|refresh_token"|"secret"/);
    expect(text).toMatch(/access_token_enc/);
    await svc.close();
  });

  it('rejects a tampered or row-swapped ciphertext', async () => {
    const env = freshEnv(sandbox);
    const svc = service(env);
    const first = await svc.acquireToken();
    const second = await svc.acquireToken({ forceRefresh: true });
    const expected = await svc.getAccessToken();
    const table = rawTable(env);
    const cipherOf = async (id: string) =>
      (await table.getEntity<{ access_token_enc: string }>('ropc', id)).access_token_enc;
    const store = (value: string) =>
      table.updateEntity({ partitionKey: 'ropc', rowKey: second.token.id, access_token_enc: value }, 'Merge');
    const own = await cipherOf(second.token.id);

    // Row swap: the superseded token's (valid) ciphertext moved into the active row.
    await store(await cipherOf(first.token.id));
    await expect(service(env).getAccessToken()).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });

    // Tampering: one bit of the row's own ciphertext flipped.
    const parts = own.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[3] = body.toString('base64url');
    await store(parts.join('.'));
    await expect(service(env).getAccessToken()).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });

    // Control: the untouched ciphertext decrypts, so the failures above are the integrity check.
    await store(own);
    const reader = service(env);
    expect(await reader.getAccessToken()).toBe(expected);
    await Promise.all([svc.close(), reader.close()]);
  });

  it('refuses to store a token without a data key', async () => {
    const env = freshEnv(sandbox);
    delete env.TOKEN_ENCRYPTION_KEY;
    env.KEY_VAULT_URL = '';
    const svc = service(env);
    await expect(svc.acquireToken()).rejects.toMatchObject({ code: 'ENCRYPTION_KEY_MISSING' });
    await svc.close();
  });
});

describe('cleanup, validate, status, events', () => {
  it('cleans up 10 000 rows with correct counts', async () => {
    const env = freshEnv(sandbox);
    const svc = service(env);
    await svc.acquireToken();
    const table = rawTable(env);
    const now = Date.now();
    const old = new Date(now - 40 * 86_400_000).toISOString();
    const recent = new Date(now - 2 * 86_400_000).toISOString();
    const rows = Array.from({ length: 10_000 }, (_, i) => {
      const kind = i % 10 === 0 ? 'expired' : i % 10 === 1 ? 'recent' : 'old';
      return {
        partitionKey: 'ropc',
        rowKey: `00000000-0000-4000-8000-${i.toString().padStart(12, '0')}`,
        token_type: 'ropc',
        account: 'svc@contoso.example',
        scopes: 'User.Read',
        is_active: kind === 'expired',
        created_at: old,
        updated_at: old,
        expires_at: kind === 'expired' ? old : recent,
        deactivated_at: kind === 'old' ? old : kind === 'recent' ? recent : '',
        deactivation_reason: kind === 'expired' ? '' : 'superseded',
        access_token_enc: 'v1.x.y.z.w',
      };
    });
    for (let i = 0; i < rows.length; i += 100) {
      await table.submitTransaction(rows.slice(i, i + 100).map((r) => ['create', r]));
    }
    const started = Date.now();
    const summary = await svc.cleanupOldTokens();
    expect(summary).toEqual({ success: true, deactivated: 1000, deleted: 8000, audit_deleted: 0 });
    expect(Date.now() - started).toBeLessThan(90_000);
    const status = await svc.getTokenStatus();
    expect(status.tokens).toMatchObject({ total: 2001, active: 1, inactive: 2000, expired: 1000 });
    await svc.close();
  });

  it('validates against /me: valid, invalid on 401, unreachable on network failure', async () => {
    const env = freshEnv(sandbox);
    const svc = service(env);
    await svc.acquireToken();
    expect(await svc.validateTokens()).toMatchObject({ validated: 1, valid: 1, invalid: 0, unreachable: 0 });
    sandbox.graph.injectFault({
      kind: 'status',
      status: 401,
      code: 'InvalidAuthenticationToken',
      path: 'me',
      times: 1,
    });
    const invalid = await svc.validateTokens();
    expect(invalid).toMatchObject({ invalid: 1 });
    expect(invalid.results[0]!.error!.code).toBe('TOKEN_REJECTED');
    sandbox.graph.injectFault({ kind: 'drop', path: 'me', times: 1 });
    expect(await svc.validateTokens()).toMatchObject({ unreachable: 1 });
    let [record] = (await svc.listTokens()).items;
    expect(record!.error_count).toBe(1);
    await svc.validateTokens();
    [record] = (await svc.listTokens()).items;
    expect(record!.error_count).toBe(0);
    await svc.close();
  });

  it('creates a group event, forcing one refresh on 401', async () => {
    const env = freshEnv(sandbox);
    const svc = service(env);
    await svc.acquireToken();
    sandbox.graph.injectFault({
      kind: 'status',
      status: 401,
      code: 'InvalidAuthenticationToken',
      path: 'events',
      times: 1,
    });
    const created = await svc.createGroupEvent({
      subject: 'Open day',
      start: '2026-12-01T09:00:00+01:00',
      end: '2026-12-01T11:00:00+01:00',
      time_zone: 'Europe/Amsterdam',
      attendees: ['ana@contoso.example'],
    });
    expect(created.id).toBeTruthy();
    expect(sandbox.idp.counts.refresh_token).toBe(1);
    const event = sandbox.graph.events.find((e) => e.id === created.id)!;
    // Europe/Amsterdam goes to Graph as its Windows zone (not on Graph's IANA list).
    expect(event.body).toMatchObject({ subject: 'Open day', start: { timeZone: 'W. Europe Standard Time' } });
    sandbox.graph.injectFault({
      kind: 'status',
      status: 403,
      code: 'ErrorAccessDenied',
      path: 'events',
      times: 1,
    });
    await expect(
      svc.createGroupEvent({ subject: 'x', start: '2026-12-01T09:00:00Z', end: '2026-12-01T10:00:00Z' }),
    ).rejects.toMatchObject({ code: 'GRAPH_ACCESS_DENIED' });
    await svc.close();
  });

  it('reports status with configuration, counts, current token and audit', async () => {
    const env = freshEnv(sandbox);
    const svc = service(env);
    await svc.acquireToken({}, { actor: 'user:ana', correlationId: 'corr-1' });
    const status = await svc.getTokenStatus();
    expect(Object.keys(status)).toEqual(
      expect.arrayContaining(['configuration', 'tokens', 'current', 'recent_audit']),
    );
    expect(status.configuration).toMatchObject({ valid: true, password_source: 'environment' });
    expect(status.current!.expires_in_seconds).toBeGreaterThan(3000);
    expect(status.recent_audit[0]).toMatchObject({
      actor: 'user:ana',
      operation: 'acquire',
      outcome: 'success',
      correlation_id: 'corr-1',
    });
    expect(JSON.stringify(status)).not.toMatch(/access_token_enc|msal_cache/);
    await svc.close();
  });
});
