/**
 * Never lock the service account (docs/architecture.md, "Lockout rules"), proven against the real MSAL
 * talking to the sandbox identity provider over HTTPS and Azurite: each test counts the password grants
 * the identity provider *received*.
 */
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { CapturingLogger, FastClock, freshEnv, rawTable, service } from './helpers';
import { raceTwoWorkers, runWorker } from './workers';

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
  sandbox.idp.resetCounts();
});

const received = (): number => sandbox.idp.counts.password;

describe('deny by default', () => {
  it.each([50064, 50056, 50144, 53003, 50072, 50074, 50105, 50135, 50142, 99999])(
    'AADSTS%s blocks the credential after one send',
    async (code) => {
      const env = freshEnv(sandbox);
      const svc = service(env);
      sandbox.idp.injectFault({ kind: 'aadsts', code, grant: 'password' });
      const error = (await svc.acquireToken().catch((e: unknown) => e)) as { code: string; hint: string };
      expect(error.code).not.toBe('IDENTITY_PROVIDER_ERROR');
      expect(error.hint.length).toBeGreaterThan(30);
      await expect(svc.getAccessToken()).rejects.toMatchObject({ code: 'CREDENTIALS_BLOCKED' });
      expect(received()).toBe(1);
      await svc.close();
    },
  );

  it.each([
    ['an invalid_grant without a code', { kind: 'oauth', error: 'invalid_grant' }, 'CREDENTIALS_REJECTED'],
    ['a 400 with an HTML body', { kind: 'html', status: 400 }, 'CREDENTIALS_REJECTED'],
    ['a 200 with an empty access token', { kind: 'empty-token' }, 'CREDENTIALS_REJECTED'],
    ['a 200 with expires_in 0', { kind: 'empty-token', variant: 'no-expiry' }, 'CREDENTIALS_REJECTED'],
  ] as const)('%s blocks the credential and stores no token', async (_name, fault, code) => {
    const env = freshEnv(sandbox);
    const svc = service(env);
    sandbox.idp.injectFault({ ...fault, grant: 'password' });
    await expect(svc.acquireToken()).rejects.toMatchObject({ code });
    await expect(svc.getAccessToken()).rejects.toMatchObject({ code: 'CREDENTIALS_BLOCKED' });
    expect((await runWorker(env)).error).toBe('CREDENTIALS_BLOCKED');
    expect(received()).toBe(1);
    expect((await svc.listTokens()).items).toHaveLength(0);
    const summary = await svc.refreshTokens();
    expect(summary).toMatchObject({ success: false, refreshed: 0 });
    await svc.close();
  });

  it('an unknown code across timer runs and a second process: 1 password grant', async () => {
    const env = freshEnv(sandbox);
    sandbox.idp.injectFault({ kind: 'aadsts', code: 50064, grant: 'password' });
    const svc = service(env, { clock: new FastClock() });
    await expect(svc.acquireToken()).rejects.toMatchObject({ code: 'CREDENTIAL_VALIDATION_FAILED' });
    for (let run = 0; run < 4; run++) {
      const summary = await svc.refreshTokens({}, { actor: 'timer', correlationId: `run${run}` });
      expect(summary.results[0]!.error!.code).toBe('CREDENTIALS_BLOCKED');
    }
    const other = await runWorker(env);
    expect(other.error).toBe('CREDENTIALS_BLOCKED');
    expect(received()).toBe(1);
    const status = await svc.getTokenStatus();
    expect(status.blocked).toMatchObject({ code: 'CREDENTIAL_VALIDATION_FAILED', rejections: 1 });
    expect(status.blocked!.description).toMatch(
      /^the local GRAPH_PASSWORD for svc-graph@contoso\.example rejected 1 time/,
    );
    expect(JSON.stringify(status)).not.toMatch(/fingerprint/);
    await svc.close();
  });
});

describe('uncertain attempts', () => {
  it('a grant dropped after it was read is not resent for 300 s, then once more', async () => {
    const env = freshEnv(sandbox);
    const clock = new FastClock();
    const svc = service(env, { clock });
    sandbox.idp.injectFault({ kind: 'drop', grant: 'password', times: 1 });
    await expect(svc.acquireToken()).rejects.toMatchObject({ code: 'IDENTITY_PROVIDER_UNAVAILABLE' });
    expect(received()).toBe(1);
    const sentAt = clock.offset;
    for (const seconds of [1, 60, 200, 290]) {
      clock.offset = sentAt + seconds * 1000;
      const error = (await svc.getAccessToken().catch((e: unknown) => e)) as {
        code: string;
        retryAfterSeconds: number;
      };
      expect(error).toMatchObject({ code: 'IDENTITY_PROVIDER_UNAVAILABLE' });
      expect(error.retryAfterSeconds).toBeGreaterThan(0);
    }
    // A second process sees the same shared state.
    expect((await runWorker(env)).error).toBe('IDENTITY_PROVIDER_UNAVAILABLE');
    expect(received()).toBe(1);
    clock.offset = sentAt + 301_000;
    expect(await svc.getAccessToken()).toMatch(/\S+/);
    expect(received()).toBe(2);
    await svc.close();
  });

  it('the third uncertain attempt in a row blocks the credential', async () => {
    const env = freshEnv(sandbox, { CREDENTIAL_UNCERTAIN_RETRY_SECONDS: '30' });
    const clock = new FastClock();
    const svc = service(env, { clock });
    sandbox.idp.injectFault({ kind: 'drop', grant: 'password' });
    for (let i = 0; i < 3; i++) {
      await expect(svc.acquireToken()).rejects.toMatchObject({ code: 'IDENTITY_PROVIDER_UNAVAILABLE' });
      clock.advance(31_000);
    }
    expect(received()).toBe(3);
    sandbox.idp.clearFaults();
    await expect(svc.acquireToken()).rejects.toMatchObject({ code: 'CREDENTIALS_BLOCKED' });
    expect(received()).toBe(3);
    await svc.close();
  });
});

describe('strict single flight', () => {
  it('a forced, a timer and two normal calls together with a slow provider: 1 password grant', async () => {
    const env = freshEnv(sandbox, { GRAPH_PASSWORD: 'wrong-password-sf' });
    const svc = service(env);
    sandbox.idp.injectFault({ kind: 'delay', ms: 1500, grant: 'password' });
    const results = await Promise.allSettled([
      svc.getAccessToken(),
      svc.acquireToken({ forceRefresh: true }),
      svc.refreshTokens({}, { actor: 'timer', correlationId: 'timer-1' }),
      svc.getAccessToken(),
    ]);
    expect(received()).toBe(1);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: 'INVALID_CREDENTIALS' } });
    expect(results[1]).toMatchObject({ status: 'rejected' });
    await svc.close();
  });

  it('two processes, a 5 s lease and an 8 s provider: 1 password grant', async () => {
    const env = freshEnv(sandbox, { TOKEN_LEASE_SECONDS: '5', GRAPH_PASSWORD: 'wrong-password-lease' });
    sandbox.idp.injectFault({ kind: 'delay', ms: 8000, grant: 'password' });
    const [ra, rb] = await raceTwoWorkers(env);
    expect(received()).toBe(1);
    expect([ra.error, rb.error].sort()).toEqual(['CREDENTIALS_BLOCKED', 'INVALID_CREDENTIALS']);
  });

  it('the same with a good password: one grant, both processes get the same token', async () => {
    const env = freshEnv(sandbox, { TOKEN_LEASE_SECONDS: '5' });
    sandbox.idp.injectFault({ kind: 'delay', ms: 8000, grant: 'password' });
    const [ra, rb] = await raceTwoWorkers(env);
    expect(received()).toBe(1);
    expect(ra.id).toBeDefined();
    expect(rb.id).toBe(ra.id);
  });
});

describe('a holder that cannot renew its lease', () => {
  it('aborts its exchange before the lease lapses; the aborted password grant is uncertain', async () => {
    const env = freshEnv(sandbox, { TOKEN_LEASE_SECONDS: '5' });
    const svc = service(env);
    sandbox.idp.injectFault({ kind: 'delay', ms: 8000, grant: 'password', times: 1 });
    const started = Date.now();
    const attempt = svc.acquireToken().catch((e: unknown) => e);
    // Someone else takes the lease row while the exchange runs: the next renewal fails with 412.
    await new Promise((resolve) => setTimeout(resolve, 700));
    await rawTable(env).upsertEntity(
      {
        partitionKey: 'ropc',
        rowKey: '~lease',
        holder: 'another-flow',
        expires_at: new Date(Date.now() + 60_000).toISOString(),
      },
      'Replace',
    );
    const error = await attempt;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toMatchObject({ code: 'IDENTITY_PROVIDER_UNAVAILABLE' });
    expect(received()).toBe(1);
    // Recorded as uncertain: not sent again within the wait, by this instance or another.
    await rawTable(env).deleteEntity('ropc', '~lease');
    await expect(svc.getAccessToken()).rejects.toMatchObject({ code: 'IDENTITY_PROVIDER_UNAVAILABLE' });
    expect(received()).toBe(1);
    await svc.close();
  });
});

describe('forcing is not an override', () => {
  it('repeated forced calls after a block send nothing more', async () => {
    const env = freshEnv(sandbox, { GRAPH_PASSWORD: 'wrong-password-force' });
    const svc = service(env);
    await expect(svc.acquireToken()).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    for (let i = 0; i < 5; i++) {
      await expect(svc.acquireToken({ forceRefresh: true })).rejects.toMatchObject({
        code: 'CREDENTIALS_BLOCKED',
      });
      await expect(svc.getAccessToken('ropc', true)).rejects.toMatchObject({ code: 'CREDENTIALS_BLOCKED' });
    }
    expect(received()).toBe(1);
    await svc.close();
  });

  it('repeated overrides send 2 more, then none; each is audited', async () => {
    const env = freshEnv(sandbox, { GRAPH_PASSWORD: 'wrong-password-override' });
    const svc = service(env);
    await expect(svc.acquireToken()).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    for (let i = 0; i < 2; i++) {
      await expect(svc.acquireToken({ retryBlockedPassword: true })).rejects.toMatchObject({
        code: 'INVALID_CREDENTIALS',
      });
    }
    expect(received()).toBe(3);
    for (let i = 0; i < 3; i++) {
      const error = await svc.acquireToken({ retryBlockedPassword: true }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'CREDENTIALS_BLOCKED' });
      expect((error as Error).message).toMatch(/never sent again/);
    }
    expect(received()).toBe(3);
    const status = await svc.getTokenStatus();
    expect(status.blocked).toMatchObject({ rejections: 3 });
    expect(status.blocked!.description).toMatch(/rejected 3 times; never sent again/);
    const audit = [];
    for await (const e of rawTable(env, `${env.TOKEN_TABLE_NAME}Audit`).listEntities()) audit.push(e);
    expect(audit.filter((e) => e.operation === 'retry-blocked-password')).toHaveLength(2);
    await svc.close();
  });

  it('a changed username or password is a new credential: 1 new send each', async () => {
    const env = freshEnv(sandbox, { GRAPH_PASSWORD: 'wrong-password-change-1' });
    const first = service(env);
    await expect(first.acquireToken()).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await expect(first.acquireToken()).rejects.toMatchObject({ code: 'CREDENTIALS_BLOCKED' });
    const otherUser = service({ ...env, GRAPH_USERNAME: 'someone-else@contoso.example' });
    await expect(otherUser.acquireToken()).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
    await expect(otherUser.acquireToken()).rejects.toMatchObject({ code: 'CREDENTIALS_BLOCKED' });
    expect(received()).toBe(2);
    const otherPassword = service({ ...env, GRAPH_PASSWORD: 'wrong-password-change-2' });
    await expect(otherPassword.acquireToken()).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await expect(otherPassword.acquireToken()).rejects.toMatchObject({ code: 'CREDENTIALS_BLOCKED' });
    expect(received()).toBe(3);
    // The original credential stays blocked: the state keeps every rejected fingerprint, not one slot.
    await expect(first.acquireToken()).rejects.toMatchObject({ code: 'CREDENTIALS_BLOCKED' });
    expect(received()).toBe(3);
    const fixed = service({ ...env, GRAPH_PASSWORD: sandbox.env.GRAPH_PASSWORD! });
    expect((await fixed.acquireToken()).token.source).toBe('ropc');
    expect((await fixed.getTokenStatus()).blocked).toBeNull();
    await Promise.all([first.close(), otherUser.close(), otherPassword.close(), fixed.close()]);
  });

  it('no password or fingerprint in logs or the state row', async () => {
    const env = freshEnv(sandbox, { GRAPH_PASSWORD: 'wrong-password-secret-xyz' });
    const logger = new CapturingLogger();
    const svc = service(env, { logger });
    await expect(svc.acquireToken()).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    const rows = [];
    for await (const e of rawTable(env).listEntities()) rows.push(e);
    const dump = JSON.stringify(rows) + logger.lines.join('\n');
    expect(dump).not.toContain('wrong-password-secret-xyz');
    expect(dump).toContain('credentials_blocked');
    await svc.close();
  });
});
