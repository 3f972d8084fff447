/**
 * The delegated token type (docs/delegated.md) against the sandbox identity provider in an MFA tenant
 * (every password grant refused), with the real MSAL and Azurite: device code sign-in, the right account
 * only, a new process serving the stored token with no identity-provider request, sign_in_required after
 * revocation (no loop, no password), the daily renewal, CAE claims, and no token in plaintext storage.
 */
import { decodeJwt } from 'jose';
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '../../src/sandbox';
import type { MicrosoftGraphTokenService } from '../../src/lib';
import { CapturingLogger, FastClock, freshEnv, rawTable, service } from './helpers';

jest.setTimeout(60_000);

const ADMIN = 'admin@contoso.example';
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({
    idp: {
      users: [
        { username: SANDBOX_DEFAULTS.username, password: SANDBOX_DEFAULTS.password },
        { username: ADMIN, password: 'Admin-Passw0rd!' },
      ],
      deviceCodeIntervalSeconds: 1,
    },
  });
  sandbox.idp.setMfaRequired(true);
});
afterAll(() => sandbox?.close());
beforeEach(() => {
  sandbox.idp.clearFaults();
  sandbox.idp.setClaimsRequireInteraction(false);
});

function delegatedEnv(): Record<string, string> {
  const { GRAPH_PASSWORD: _password, ...env } = freshEnv(sandbox, { GRAPH_TOKEN_TYPE: 'delegated' });
  return env;
}

/** Signs in with the device code flow, approved as `username` through the sandbox. */
function signIn(svc: MicrosoftGraphTokenService, username: string = SANDBOX_DEFAULTS.username) {
  return svc.signInWithDeviceCode({
    onPrompt: (prompt) => {
      expect(prompt.message).toContain(prompt.userCode);
      sandbox.idp.approveDeviceCode(prompt.userCode, username);
    },
  });
}

async function rows(env: Record<string, string>): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  for await (const e of rawTable(env).listEntities()) out.push(e as Record<string, unknown>);
  return out;
}

describe('delegated token type', () => {
  it('needs no password, refuses before the first sign-in, stores a device code sign-in encrypted', async () => {
    const env = delegatedEnv();
    const logger = new CapturingLogger();
    const svc = service(env, { logger });
    try {
      expect(svc.config.report).toMatchObject({
        valid: true,
        token_type: 'delegated',
        password_source: 'none',
      });
      sandbox.idp.resetCounts();
      await expect(svc.getAccessToken()).rejects.toMatchObject({ code: 'SIGN_IN_REQUIRED' });
      await expect(svc.acquireToken({ forceRefresh: true })).rejects.toMatchObject({
        code: 'SIGN_IN_REQUIRED',
      });
      const timer = await svc.refreshTokens({}, { actor: 'timer', correlationId: 't' });
      expect(timer.results.find((r) => r.token_type === 'ropc')).toMatchObject({ outcome: 'skipped' });
      expect(sandbox.idp.counts).toMatchObject({ token: 0, password: 0 });
      expect((await svc.getTokenStatus()).types.delegated.state).toBe('none');

      const result = await signIn(svc);
      expect(result).toMatchObject({
        success: true,
        account: SANDBOX_DEFAULTS.username,
        token: { token_type: 'delegated', source: 'sign_in' },
      });
      expect(sandbox.idp.counts).toMatchObject({ password: 0, devicecode: 1 });
      const token = await svc.getAccessToken();
      expect(decodeJwt(token)).toMatchObject({
        upn: SANDBOX_DEFAULTS.username,
        amr: ['pwd', 'mfa'],
        xms_cc: ['cp1'],
      });
      const status = await svc.getTokenStatus();
      expect(status.types.delegated).toMatchObject({ state: 'ok', sign_in_required: null });
      expect(status.current?.id).toBe(result.token.id);

      // Nothing secret in plaintext: neither the access token nor the refresh token, in rows or logs.
      const refreshTokens = JSON.stringify(await rows(env));
      expect(refreshTokens).not.toContain(token);
      expect(refreshTokens).not.toMatch(/"secret"|refresh_token":"[^"]/i);
      expect(logger.lines.join('\n')).not.toContain(token);
      expect(refreshTokens).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}\./);
    } finally {
      await svc.close();
    }
  });

  it('refuses anyone but the service account and stores nothing', async () => {
    const env = delegatedEnv();
    const svc = service(env);
    try {
      await expect(signIn(svc, ADMIN)).rejects.toMatchObject({ code: 'SIGN_IN_WRONG_ACCOUNT' });
      expect((await rows(env)).filter((r) => !String(r.rowKey).startsWith('~'))).toEqual([]);
      expect((await svc.getTokenStatus()).types.delegated.state).toBe('none');
    } finally {
      await svc.close();
    }
  });

  it('a new process serves the stored token with 0 identity-provider requests', async () => {
    const env = delegatedEnv();
    const first = service(env);
    const signedIn = await signIn(first);
    await first.close();
    sandbox.idp.resetCounts();
    const second = service(env);
    try {
      const token = await second.getAccessToken();
      expect(decodeJwt(token).upn).toBe(SANDBOX_DEFAULTS.username);
      expect((await second.acquireToken()).token).toMatchObject({ id: signedIn.token.id, source: 'memory' });
      expect(sandbox.idp.counts.token).toBe(0);
      expect(sandbox.idp.counts.discovery).toBe(0);
    } finally {
      await second.close();
    }
  });

  it('revocation → sign_in_required once, for every instance, no loop and no password; a new sign-in clears it', async () => {
    const env = delegatedEnv();
    const logger = new CapturingLogger();
    const clock = new FastClock();
    const svc = service(env, { logger, clock });
    const other = service(env, { clock });
    try {
      await signIn(svc);
      const held = await svc.getAccessToken();
      sandbox.idp.revokeSignInSessions(SANDBOX_DEFAULTS.username);
      sandbox.idp.resetCounts();
      await expect(svc.acquireToken({ forceRefresh: true })).rejects.toMatchObject({
        code: 'SIGN_IN_REQUIRED',
      });
      expect(sandbox.idp.counts).toMatchObject({ refresh_token: 1, password: 0 });
      expect(logger.lines.filter((l) => l.includes('"event":"sign_in_required"'))).toHaveLength(1);

      // Timer runs, forced calls, other instances: nothing more is sent.
      clock.advance(3500_000);
      for (let run = 0; run < 3; run++) {
        const summary = await other.refreshTokens({}, { actor: 'timer', correlationId: `r${run}` });
        expect(summary.results.find((r) => r.token_type === 'delegated')?.error?.code).toBe(
          'SIGN_IN_REQUIRED',
        );
      }
      await expect(other.getAccessToken('delegated', true)).rejects.toMatchObject({
        code: 'SIGN_IN_REQUIRED',
      });
      expect(sandbox.idp.counts).toMatchObject({ refresh_token: 1, password: 0 });
      // A still-valid token keeps being served to non-forced calls (never past its expiry).
      expect(await other.getAccessToken()).toBe(held);
      const status = await other.getTokenStatus();
      expect(status.types.delegated).toMatchObject({
        state: 'sign_in_required',
        sign_in_required: { code: 'SIGN_IN_REQUIRED', upstream_code: 'AADSTS50173' },
      });
      expect((await other.health({ detailed: true })).checks?.sign_in?.status).toBe('degraded');
      clock.advance(200_000);
      await expect(other.getAccessToken()).rejects.toMatchObject({ code: 'SIGN_IN_REQUIRED' });
      expect(logger.lines.filter((l) => l.includes('"event":"sign_in_required"'))).toHaveLength(1);

      await signIn(other);
      expect((await svc.getTokenStatus()).types.delegated.state).toBe('ok');
      expect(sandbox.idp.counts.password).toBe(0);
    } finally {
      await svc.close();
      await other.close();
    }
  });

  it('renews a delegated token older than ~20 h even when it is far from expiry', async () => {
    const env = delegatedEnv();
    const clock = new FastClock();
    const svc = service(env, { clock });
    sandbox.idp.setAccessTokenLifetime(26 * 3600);
    try {
      const signedIn = await signIn(svc);
      const quiet = await svc.refreshTokens(
        { tokenType: 'delegated' },
        { actor: 'timer', correlationId: 'a' },
      );
      expect(quiet.results[0]).toMatchObject({ outcome: 'skipped' });
      clock.advance(20 * 3600_000 + 60_000);
      sandbox.idp.resetCounts();
      const due = await svc.refreshTokens({ tokenType: 'delegated' }, { actor: 'timer', correlationId: 'b' });
      expect(due.results[0]).toMatchObject({ outcome: 'refreshed', source: 'refresh' });
      expect(due.results[0]!.id).not.toBe(signedIn.token.id);
      expect(sandbox.idp.counts).toMatchObject({ refresh_token: 1, password: 0 });
    } finally {
      sandbox.idp.setAccessTokenLifetime(3600);
      await svc.close();
    }
  });

  it('redeems a CAE claims challenge once; when that needs interaction the type needs a sign-in', async () => {
    const env = delegatedEnv();
    const svc = service(env);
    try {
      await signIn(svc);
      const claims = JSON.stringify({ access_token: { nbf: { essential: true, value: '1700000000' } } });
      const token = svc.tokenFunction();
      sandbox.idp.resetCounts();
      const renewed = await token({ force: true, claims });
      expect(decodeJwt(renewed).xms_cc).toEqual(['cp1']);
      expect(sandbox.idp.counts).toMatchObject({ refresh_token: 1, password: 0 });

      sandbox.idp.setClaimsRequireInteraction(true);
      await expect(token({ force: true, claims })).rejects.toMatchObject({ code: 'SIGN_IN_REQUIRED' });
      expect((await svc.getTokenStatus()).types.delegated.state).toBe('sign_in_required');
      expect(sandbox.idp.counts).toMatchObject({ refresh_token: 2, password: 0 });
    } finally {
      await svc.close();
    }
  });

  it('binds a browser sign-in to its cookie, uses a state once, and cleans up abandoned ones', async () => {
    const env = delegatedEnv();
    const clock = new FastClock();
    const svc = service(env, { clock });
    const pending = async (): Promise<string[]> =>
      (await rows(env)).map((r) => String(r.rowKey)).filter((k) => k.startsWith('~signin-'));
    try {
      const started = await svc.startSignIn({ redirectUri: 'http://localhost:7071/api/sign-in/callback' });
      const state = new URL(started.authorize_url).searchParams.get('state')!;
      expect(new URL(started.authorize_url).searchParams.get('code_challenge_method')).toBe('S256');
      expect(JSON.stringify(await rows(env))).not.toContain(started.binding);
      await expect(
        svc.completeSignIn({ state, code: 'x', binding: 'another-browser' }),
      ).rejects.toMatchObject({ code: 'SIGN_IN_STATE_INVALID' });
      // The state was taken by that attempt: a second try with the right cookie is refused as well.
      await expect(svc.completeSignIn({ state, code: 'x', binding: started.binding })).rejects.toMatchObject({
        code: 'SIGN_IN_STATE_INVALID',
      });
      await svc.startSignIn({ redirectUri: 'http://localhost:7071/api/sign-in/callback' });
      expect(await pending()).toHaveLength(1);
      clock.advance(11 * 60_000);
      await svc.cleanupOldTokens();
      expect(await pending()).toEqual([]);
    } finally {
      await svc.close();
    }
  });
});
