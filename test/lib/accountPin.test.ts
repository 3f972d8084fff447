/**
 * The service account is pinned by its object id (docs/architecture.md): the first stored token records the
 * account's `oid` in the type's state row; a later token or sign-in for another oid — the same UPN
 * reassigned to someone else — is SIGN_IN_WRONG_ACCOUNT and nothing is stored. The sandbox identity
 * provider gives the same UPN a new oid with `addUser({ ..., oid })`.
 */
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '../../src/sandbox';
import type { MicrosoftGraphTokenService } from '../../src/lib';
import { CapturingLogger, FastClock, freshEnv, rawTable, service } from './helpers';

jest.setTimeout(60_000);

const REASSIGNED_OID = '9d7c1f0e-2b3a-4c5d-8e6f-0a1b2c3d4e5f';
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: false, idp: { deviceCodeIntervalSeconds: 1 } });
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => {
  // The account as the sandbox first knows it (its oid derived from the UPN).
  sandbox.idp.addUser({ username: SANDBOX_DEFAULTS.username, password: SANDBOX_DEFAULTS.password });
  sandbox.idp.clearFaults();
  sandbox.idp.resetCounts();
});

/** The UPN now belongs to another person: a new object id; the old sessions end with the old account. */
function reassignUpn(): void {
  sandbox.idp.addUser({
    username: SANDBOX_DEFAULTS.username,
    password: SANDBOX_DEFAULTS.password,
    oid: REASSIGNED_OID,
  });
  sandbox.idp.revokeRefreshTokens();
}

async function pinnedOid(env: Record<string, string>, type: string): Promise<string | undefined> {
  const row = await rawTable(env).getEntity<{ account_oid?: string }>(type, '~state');
  return row.account_oid;
}

async function tokenRows(env: Record<string, string>, type: string): Promise<number> {
  let n = 0;
  for await (const e of rawTable(env).listEntities({ queryOptions: { filter: `PartitionKey eq '${type}'` } }))
    if (!String(e.rowKey).startsWith('~')) n++;
  return n;
}

it('ropc: the first token pins the oid; a token for the reassigned UPN is refused and not stored', async () => {
  const env = freshEnv(sandbox);
  const svc = service(env, { clock: new FastClock() });
  await svc.acquireToken();
  const pinned = await pinnedOid(env, 'ropc');
  expect(pinned).toMatch(/^[0-9a-f-]{36}$/);
  expect(pinned).not.toBe(REASSIGNED_OID);
  reassignUpn();
  await expect(svc.acquireToken({ forceRefresh: true })).rejects.toMatchObject({
    code: 'SIGN_IN_WRONG_ACCOUNT',
  });
  // The refresh token was revoked, so the password went out once more: accepted, yet nothing stored.
  expect(sandbox.idp.counts.password).toBe(2);
  expect(await tokenRows(env, 'ropc')).toBe(1);
  expect(await pinnedOid(env, 'ropc')).toBe(pinned);
  await svc.close();
});

describe('delegated', () => {
  const delegatedEnv = (): Record<string, string> => {
    const { GRAPH_PASSWORD: _none, ...env } = freshEnv(sandbox, { GRAPH_TOKEN_TYPE: 'delegated' });
    return env;
  };
  const signIn = (svc: MicrosoftGraphTokenService) =>
    svc.signInWithDeviceCode({
      onPrompt: (prompt) => sandbox.idp.approveDeviceCode(prompt.userCode, SANDBOX_DEFAULTS.username),
    });

  it('a sign-in as the reassigned UPN is SIGN_IN_WRONG_ACCOUNT, audited, and nothing is stored', async () => {
    const env = delegatedEnv();
    const svc = service(env, { logger: new CapturingLogger() });
    await expect(signIn(svc)).resolves.toMatchObject({ success: true });
    const pinned = await pinnedOid(env, 'delegated');
    expect(pinned).toMatch(/^[0-9a-f-]{36}$/);
    reassignUpn();
    await expect(signIn(svc)).rejects.toMatchObject({ code: 'SIGN_IN_WRONG_ACCOUNT' });
    expect(await tokenRows(env, 'delegated')).toBe(1);
    expect(await pinnedOid(env, 'delegated')).toBe(pinned);
    const status = await svc.getTokenStatus();
    expect(status.recent_audit[0]).toMatchObject({
      operation: 'sign-in',
      outcome: 'failure',
      error_code: 'SIGN_IN_WRONG_ACCOUNT',
    });
    await svc.close();
  });

  it('a refreshed token for another oid is not stored: the type needs a new sign-in', async () => {
    const env = delegatedEnv();
    const svc = service(env, { logger: new CapturingLogger() });
    await signIn(svc);
    // Reassigned without revoking: the refresh token now yields tokens for the new oid.
    sandbox.idp.addUser({
      username: SANDBOX_DEFAULTS.username,
      password: SANDBOX_DEFAULTS.password,
      oid: REASSIGNED_OID,
    });
    await expect(svc.acquireToken({ tokenType: 'delegated', forceRefresh: true })).rejects.toMatchObject({
      code: 'SIGN_IN_WRONG_ACCOUNT',
    });
    expect(await tokenRows(env, 'delegated')).toBe(1);
    expect((await svc.getTokenStatus()).types.delegated?.state).toBe('sign_in_required');
    await svc.close();
  });
});
