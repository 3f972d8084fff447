import { startSandbox, type Sandbox } from '../../src/sandbox';
import { CapturingLogger, FastClock, freshEnv, rawTable, service, vaultCredential } from './helpers';

jest.setTimeout(120_000);

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: true });
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => {
  sandbox.idp.clearFaults();
  sandbox.idp.resetCounts();
});

const correctPassword = () => sandbox.env.GRAPH_PASSWORD ?? 'Sandbox-Passw0rd!';

describe('secrets from Key Vault', () => {
  it('reads the password and the data key through SecretClient, cached', async () => {
    const env = freshEnv(sandbox);
    const svc = service(env, { credential: vaultCredential(sandbox) });
    sandbox.keyVault!.resetCounts();
    const { token } = await svc.acquireToken();
    const again = await svc.refreshTokens({ ids: [token.id] });
    await svc.refreshTokens({ ids: [again.results[0]!.id!] });
    expect((await svc.getTokenStatus()).configuration.password_source).toBe('key_vault');
    // password + key once each; the cache serves the rest.
    expect(svc.keyVaultReads).toBeLessThanOrEqual(2);
    await svc.close();
  });

  it('blocks a rejected password version until a new secret version is stored', async () => {
    const vault = sandbox.keyVault!;
    vault.setSecret('graph-password', 'definitely-wrong-1');
    const env = freshEnv(sandbox);
    const logger = new CapturingLogger();
    const clock = new FastClock();
    const svc = service(env, { credential: vaultCredential(sandbox), logger, clock });
    await expect(svc.acquireToken()).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    for (let i = 0; i < 3; i++) {
      await expect(svc.getAccessToken()).rejects.toMatchObject({ code: 'CREDENTIALS_BLOCKED' });
      await svc.refreshTokens({}, { actor: 'timer', correlationId: `t${i}` });
    }
    const other = service(env, { credential: vaultCredential(sandbox) });
    await expect(other.getAccessToken()).rejects.toMatchObject({ code: 'CREDENTIALS_BLOCKED' });
    expect(sandbox.idp.counts.password).toBe(1);

    vault.setSecret('graph-password', correctPassword());
    // The new version is picked up once the secret cache (SECRET_CACHE_SECONDS, 5 min) expires.
    clock.advance(301_000);
    const result = await svc.acquireToken();
    expect(result.token.source).toBe('ropc');
    expect(sandbox.idp.counts.password).toBe(2);
    expect(logger.lines.join('\n')).not.toContain('definitely-wrong-1');
    await Promise.all([svc.close(), other.close()]);
  });

  it('re-encrypts every token under a new key version with rotate-key', async () => {
    const vault = sandbox.keyVault!;
    vault.setSecret('graph-password', correctPassword());
    const env = freshEnv(sandbox);
    const svc = service(env, { credential: vaultCredential(sandbox) });
    const first = await svc.getAccessToken();
    await svc.acquireToken({ forceRefresh: true });
    const table = rawTable(env);
    const before = new Set<string>();
    for await (const e of table.listEntities<{ key_version?: string }>())
      if (e.key_version) before.add(e.key_version);
    expect(before.size).toBe(1);
    const newVersion = vault.setSecret('token-encryption-key', Buffer.alloc(32, 42).toString('base64'));
    const summary = await svc.rotateKey({ actor: 'cli', correlationId: 'rot-1' });
    expect(summary).toMatchObject({ success: true, key_version: newVersion, rotated: 2 });
    for await (const e of table.listEntities<{ key_version?: string; access_token_enc?: string }>()) {
      if (e.access_token_enc) {
        expect(e.key_version).toBe(newVersion);
        expect(e.access_token_enc.split('.')[1]).toBe(newVersion);
      }
    }
    const reader = service(env, { credential: vaultCredential(sandbox) });
    expect(await reader.getAccessToken()).not.toBe(first);
    await Promise.all([svc.close(), reader.close()]);
  });
});
