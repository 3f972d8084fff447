/**
 * Delegated sign-in against the sandbox identity provider with the real MSAL: the device code flow
 * approved through the control route, the authorization code flow with PKCE through the sandbox sign-in
 * page (its form posted with fetch), refresh after revocation or inactivity expiry, CAE claims and the
 * confidential client. Needs NODE_EXTRA_CA_CERTS (run through scripts/with-sandbox-ca.js).
 */
import {
  ConfidentialClientApplication,
  CryptoProvider,
  PublicClientApplication,
  type AuthenticationResult,
  type Configuration,
} from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { SANDBOX_DEFAULTS, SandboxIdentityProvider } from '../../src/sandbox';

const SCOPES = ['https://graph.microsoft.com/.default'];
const ADMIN = 'admin@contoso.example';
const REDIRECT_URI = 'http://localhost:7071/api/sign-in/callback';

class TestClock {
  offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
}

function msalConfig(idp: SandboxIdentityProvider, extra: Partial<Configuration['auth']> = {}): Configuration {
  return {
    auth: {
      clientId: idp.clientId,
      authority: `${idp.authorityHost}/${idp.tenant}`,
      knownAuthorities: [new URL(idp.authorityHost).host],
      ...extra,
    },
  };
}

/** Opens the authorization URL, signs in on the sandbox page as `username`, returns the redirect's URL. */
async function signInOnPage(authUrl: string, username: string, action = 'sign_in'): Promise<URL> {
  const page = await fetch(authUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  const requestId = /name="request" value="([^"]+)"/.exec(html)?.[1];
  const formAction = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  expect(requestId && formAction).toBeTruthy();
  expect(html).toContain(username.split('@')[0]);
  const redirect = await fetch(new URL(formAction!, authUrl), {
    method: 'POST',
    body: new URLSearchParams({ request: requestId!, username, action }),
    redirect: 'manual',
  });
  expect(redirect.status).toBe(302);
  return new URL(redirect.headers.get('location')!);
}

function tokenRequest(idp: SandboxIdentityProvider, form: Record<string, string>): Promise<Response> {
  return fetch(`${idp.authorityHost}/${idp.tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams(form),
  });
}

async function errorOf(response: Response): Promise<{ status: number; error: string; codes?: number[] }> {
  const body = (await response.json()) as { error: string; error_codes?: number[] };
  return { status: response.status, error: body.error, codes: body.error_codes };
}

describe('SandboxIdentityProvider delegated sign-in', () => {
  let idp: SandboxIdentityProvider;
  const clock = new TestClock();
  const control = (route: string, body?: unknown): Promise<Response> =>
    fetch(`${idp.authorityHost}/_sandbox/${route}`, {
      method: 'POST',
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    idp = await SandboxIdentityProvider.start({
      users: [
        { username: SANDBOX_DEFAULTS.username, password: SANDBOX_DEFAULTS.password },
        { username: ADMIN, password: 'Admin-Passw0rd!' },
      ],
      deviceCodeIntervalSeconds: 1,
      clock,
    });
  });
  afterAll(() => idp.close());
  beforeEach(() => {
    idp.clearFaults();
    idp.resetCounts();
    idp.setClaimsRequireInteraction(false);
  });

  it('runs MSAL’s device code flow, approved as any user through the control route', async () => {
    const pca = new PublicClientApplication(msalConfig(idp));
    let message = '';
    const result = await pca.acquireTokenByDeviceCode({
      scopes: SCOPES,
      deviceCodeCallback: (response) => {
        message = response.message;
        expect(response).toMatchObject({
          expiresIn: 900,
          interval: 1,
          verificationUri: `${idp.authorityHost}/devicelogin`,
        });
        void control('device/approve', { user_code: response.userCode, username: ADMIN });
      },
    });
    expect(message).toMatch(
      /^To sign in, use a web browser to open the page https:\/\/localhost:\d+\/devicelogin and enter the code [A-Z0-9]{9} to authenticate\.$/,
    );
    expect(result?.account).toMatchObject({ username: ADMIN, tenantId: idp.tenant });
    expect(decodeJwt(result!.accessToken)).toMatchObject({
      upn: ADMIN,
      amr: ['pwd', 'mfa'],
      tid: idp.tenant,
    });
    expect(idp.counts).toMatchObject({ devicecode: 1, sign_in: 1, password: 0 });
    expect(idp.counts.device_code).toBeGreaterThanOrEqual(1);
    // MSAL cached a refresh token: a forced silent call redeems it.
    await pca.acquireTokenSilent({ account: result!.account!, scopes: SCOPES, forceRefresh: true });
    expect(idp.counts.refresh_token).toBe(1);
  });

  it('answers device-code polls as Entra does: pending, declined, expired, unknown', async () => {
    const start = async (): Promise<{ device_code: string; user_code: string }> => {
      const response = await fetch(`${idp.authorityHost}/${idp.tenant}/oauth2/v2.0/devicecode`, {
        method: 'POST',
        body: new URLSearchParams({ client_id: idp.clientId, scope: 'User.Read offline_access' }),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as { device_code: string; user_code: string };
    };
    const poll = (deviceCode: string): Promise<Response> =>
      tokenRequest(idp, {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        client_id: idp.clientId,
        device_code: deviceCode,
      });

    const pending = await start();
    expect(await errorOf(await poll(pending.device_code))).toEqual({
      status: 400,
      error: 'authorization_pending',
      codes: [70016],
    });
    const listed = (await (await fetch(`${idp.authorityHost}/_sandbox/device`)).json()) as {
      device_codes: Array<Record<string, unknown>>;
    };
    expect(listed.device_codes).toContainEqual(
      expect.objectContaining({ user_code: pending.user_code, status: 'pending' }),
    );
    expect(JSON.stringify(listed)).not.toContain(pending.device_code);
    clock.offset += 901_000;
    expect(await errorOf(await poll(pending.device_code))).toMatchObject({
      error: 'expired_token',
      codes: [70020],
    });
    clock.offset = 0;

    const declined = await start();
    expect((await control('device/decline', { user_code: declined.user_code })).status).toBe(204);
    expect((await control('device/approve', { user_code: declined.user_code, username: ADMIN })).status).toBe(
      409,
    );
    expect(await errorOf(await poll(declined.device_code))).toMatchObject({
      error: 'authorization_declined',
    });
    expect(await errorOf(await poll('not-a-device-code'))).toMatchObject({ error: 'bad_verification_code' });

    const approved = await start();
    const ghost = await control('device/approve', { user_code: approved.user_code, username: 'ghost@x' });
    expect(ghost.status).toBe(404);
    expect(((await ghost.json()) as { error: { code: string } }).error.code).toBe('UnknownUser');
    expect((await control('device/approve', { user_code: 'NOPE', username: ADMIN })).status).toBe(404);
    idp.approveDeviceCode(approved.user_code.toLowerCase(), SANDBOX_DEFAULTS.username);
    const tokens = (await (await poll(approved.device_code)).json()) as Record<string, string>;
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'User.Read offline_access' });
    expect(tokens.refresh_token).toBeTruthy();
    expect(JSON.parse(Buffer.from(tokens.client_info, 'base64url').toString())).toEqual({
      uid: expect.any(String),
      utid: idp.tenant,
    });
    expect(await errorOf(await poll(approved.device_code))).toMatchObject({ error: 'bad_verification_code' });

    const expiring = await start();
    expect((await control('device/expire', { user_code: expiring.user_code })).status).toBe(204);
    expect(await errorOf(await poll(expiring.device_code))).toMatchObject({ error: 'expired_token' });
  });

  it('runs MSAL’s authorization code flow with PKCE through the sign-in page, nonce echoed', async () => {
    const pca = new PublicClientApplication(msalConfig(idp));
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const authUrl = await pca.getAuthCodeUrl({
      scopes: SCOPES,
      redirectUri: REDIRECT_URI,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      state: 'state-123',
      nonce: 'nonce-456',
      loginHint: SANDBOX_DEFAULTS.username,
    });
    const redirect = await signInOnPage(authUrl, SANDBOX_DEFAULTS.username);
    expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT_URI);
    expect(redirect.searchParams.get('state')).toBe('state-123');
    const code = redirect.searchParams.get('code')!;
    const result: AuthenticationResult = await pca.acquireTokenByCode(
      {
        code,
        scopes: SCOPES,
        redirectUri: REDIRECT_URI,
        codeVerifier: verifier,
        nonce: 'nonce-456',
        state: 'state-123',
      },
      { code, state: redirect.searchParams.get('state')! },
    );
    expect(result.account?.username).toBe(SANDBOX_DEFAULTS.username);
    expect(result.idTokenClaims).toMatchObject({
      nonce: 'nonce-456',
      preferred_username: SANDBOX_DEFAULTS.username,
      tid: idp.tenant,
      oid: expect.any(String),
    });
    expect(idp.counts).toMatchObject({ authorize: 1, sign_in: 1, authorization_code: 1 });

    // The code is spent: a second redemption is AADSTS54005.
    const again = await tokenRequest(idp, {
      grant_type: 'authorization_code',
      client_id: idp.clientId,
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    });
    expect(await errorOf(again)).toMatchObject({ error: 'invalid_grant', codes: [54005] });

    // Revoking the user's sessions makes the refresh token fail with AADSTS50173.
    expect((await control('revoke-sign-in-sessions', { username: SANDBOX_DEFAULTS.username })).status).toBe(
      204,
    );
    await expect(
      pca.acquireTokenSilent({ account: result.account!, scopes: SCOPES, forceRefresh: true }),
    ).rejects.toMatchObject({
      errorCode: 'invalid_grant',
      errorNo: 50173,
      errorMessage: expect.stringContaining('TokensValidFrom'),
    });
  });

  it('checks the redirect URI and the PKCE verifier at redemption, and errors at the authorize endpoint', async () => {
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const authorize = (params: Record<string, string>): string =>
      `${idp.authorityHost}/${idp.tenant}/oauth2/v2.0/authorize?${new URLSearchParams({
        client_id: idp.clientId,
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        scope: 'openid offline_access User.Read',
        state: 's1',
        ...params,
      }).toString()}`;
    const codeFor = async (): Promise<string> =>
      (
        await signInOnPage(authorize({ code_challenge: challenge, code_challenge_method: 'S256' }), ADMIN)
      ).searchParams.get('code')!;
    const redeem = (code: string, extra: Record<string, string>): Promise<Response> =>
      tokenRequest(idp, { grant_type: 'authorization_code', client_id: idp.clientId, code, ...extra });

    expect(
      await errorOf(
        await redeem(await codeFor(), { redirect_uri: 'http://localhost:9/other', code_verifier: verifier }),
      ),
    ).toMatchObject({ error: 'invalid_grant', codes: [70000] });
    expect(
      await errorOf(
        await redeem(await codeFor(), { redirect_uri: REDIRECT_URI, code_verifier: `${verifier}x` }),
      ),
    ).toMatchObject({ error: 'invalid_grant', codes: [501481] });
    expect(await errorOf(await redeem(await codeFor(), { redirect_uri: REDIRECT_URI }))).toMatchObject({
      codes: [501481],
    });
    const good = await redeem(await codeFor(), { redirect_uri: REDIRECT_URI, code_verifier: verifier });
    expect(good.status).toBe(200);
    expect(decodeJwt(((await good.json()) as { id_token: string }).id_token).nonce).toBeUndefined();

    // Untrusted client or redirect URI: an error page, never a redirect.
    const foreign = await fetch(authorize({ redirect_uri: 'https://evil.example/cb' }), {
      redirect: 'manual',
    });
    expect(foreign.status).toBe(400);
    expect(await foreign.text()).toContain('AADSTS50011');
    const unknownClient = await fetch(authorize({ client_id: 'nope' }));
    expect(await unknownClient.text()).toContain('AADSTS700016');
    // Trusted redirect URI: errors go back to it, with the state.
    const silent = await fetch(authorize({ prompt: 'none' }), { redirect: 'manual' });
    const silentTarget = new URL(silent.headers.get('location')!);
    expect(silentTarget.searchParams.get('error')).toBe('login_required');
    expect(silentTarget.searchParams.get('state')).toBe('s1');
    const cancelled = await signInOnPage(authorize({}), ADMIN, 'cancel');
    expect(cancelled.searchParams.get('error')).toBe('access_denied');
    expect(cancelled.searchParams.get('error_description')).toMatch(/^AADSTS65004: /);
    const wrongType = await fetch(authorize({ response_type: 'token' }), { redirect: 'manual' });
    expect(new URL(wrongType.headers.get('location')!).searchParams.get('error')).toBe(
      'unsupported_response_type',
    );
  });

  it('expires refresh tokens for inactivity (AADSTS700082, bad_token) and honours CAE claims', async () => {
    const pca = new PublicClientApplication(msalConfig(idp, { clientCapabilities: ['cp1'] }));
    let userCode = '';
    const result = await pca.acquireTokenByDeviceCode({
      scopes: SCOPES,
      deviceCodeCallback: (response) => {
        userCode = response.userCode;
        idp.approveDeviceCode(response.userCode, SANDBOX_DEFAULTS.username);
      },
    });
    expect(userCode).toBeTruthy();
    expect(decodeJwt(result!.accessToken).xms_cc).toEqual(['cp1']);
    const account = result!.account!;
    const challenge = JSON.stringify({ access_token: { nbf: { essential: true, value: '1700000000' } } });

    // A claims challenge is accepted (the client's cp1 capability merged into it)...
    const withClaims = await pca.acquireTokenSilent({ account, scopes: SCOPES, claims: challenge });
    expect(decodeJwt(withClaims.accessToken).xms_cc).toEqual(['cp1']);
    // ...or needs interaction when the tenant says so.
    expect((await control('claims-challenge', { interactionRequired: true })).status).toBe(204);
    await expect(
      pca.acquireTokenSilent({ account, scopes: SCOPES, claims: challenge }),
    ).rejects.toMatchObject({
      name: 'InteractionRequiredAuthError',
      errorCode: 'interaction_required',
      errorNo: 50076,
    });
    // Only the capability, no challenge: still fine.
    await expect(
      pca.acquireTokenSilent({ account, scopes: SCOPES, forceRefresh: true }),
    ).resolves.toBeTruthy();

    expect((await control('expire-refresh-tokens', { username: SANDBOX_DEFAULTS.username })).status).toBe(
      204,
    );
    await expect(
      pca.acquireTokenSilent({ account, scopes: SCOPES, forceRefresh: true }),
    ).rejects.toMatchObject({
      name: 'InteractionRequiredAuthError',
      subError: 'bad_token',
      errorNo: 700082,
    });
  });

  it('serves a verification page for people, and control routes for users and switches', async () => {
    const started = (await (
      await fetch(`${idp.authorityHost}/${idp.tenant}/oauth2/v2.0/devicecode`, {
        method: 'POST',
        body: new URLSearchParams({ client_id: idp.clientId, scope: 'User.Read' }),
      })
    ).json()) as { user_code: string; verification_uri: string };
    const page = await fetch(started.verification_uri);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('name="user_code"');
    const approve = (userCode: string): Promise<Response> =>
      fetch(started.verification_uri, {
        method: 'POST',
        body: new URLSearchParams({ user_code: userCode, username: ADMIN, action: 'approve' }),
      });
    expect((await approve('WRONGCODE')).status).toBe(400);
    const done = await approve(started.user_code);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain(`Signed in as ${ADMIN}`);

    expect((await control('users', { username: 'new@contoso.example', password: 'x' })).status).toBe(204);
    const users = (await (await fetch(`${idp.authorityHost}/_sandbox/users`)).json()) as {
      users: Array<{ username: string }>;
    };
    expect(users.users.map((user) => user.username)).toContain('new@contoso.example');
    expect((await control('revoke-sign-in-sessions', { username: 'ghost@x' })).status).toBe(404);
    const switches = (await (await fetch(`${idp.authorityHost}/_sandbox/switches`)).json()) as Record<
      string,
      unknown
    >;
    expect(switches).toEqual({
      mfaRequired: false,
      claimsRequireInteraction: false,
      accessTokenLifetimeSeconds: 3600,
    });
  });

  it('redeems as a confidential client with the configured secret', async () => {
    const confidential = await SandboxIdentityProvider.start({ clientSecret: 'sandbox-app-secret' });
    try {
      const cca = new ConfidentialClientApplication(
        msalConfig(confidential, { clientSecret: 'sandbox-app-secret' }),
      );
      const authUrl = await cca.getAuthCodeUrl({ scopes: SCOPES, redirectUri: REDIRECT_URI });
      const code = (await signInOnPage(authUrl, SANDBOX_DEFAULTS.username)).searchParams.get('code')!;
      const result = await cca.acquireTokenByCode({ code, scopes: SCOPES, redirectUri: REDIRECT_URI });
      expect(decodeJwt(result.accessToken)).toMatchObject({ appidacr: '1', upn: SANDBOX_DEFAULTS.username });
      await expect(
        cca.acquireTokenSilent({ account: result.account!, scopes: SCOPES, forceRefresh: true }),
      ).resolves.toBeTruthy();

      // The refresh token of a confidential client needs the secret; a wrong secret is AADSTS7000215.
      const rawCode = (
        await signInOnPage(
          await cca.getAuthCodeUrl({ scopes: [...SCOPES, 'offline_access'], redirectUri: REDIRECT_URI }),
          SANDBOX_DEFAULTS.username,
        )
      ).searchParams.get('code')!;
      const redeemed = (await (
        await tokenRequest(confidential, {
          grant_type: 'authorization_code',
          client_id: confidential.clientId,
          client_secret: 'sandbox-app-secret',
          code: rawCode,
          redirect_uri: REDIRECT_URI,
          scope: 'User.Read offline_access',
        })
      ).json()) as { refresh_token: string };
      const refresh = (form: Record<string, string>): Promise<Response> =>
        tokenRequest(confidential, {
          grant_type: 'refresh_token',
          client_id: confidential.clientId,
          refresh_token: redeemed.refresh_token,
          ...form,
        });
      expect(await errorOf(await refresh({}))).toEqual({
        status: 401,
        error: 'invalid_client',
        codes: [7000218],
      });
      expect(await errorOf(await refresh({ client_secret: 'wrong' }))).toMatchObject({
        status: 401,
        codes: [7000215],
      });
      expect((await refresh({ client_secret: 'sandbox-app-secret' })).status).toBe(200);
    } finally {
      await confidential.close();
    }
  });
});
