/**
 * Faults and switches of the sandbox identity provider that the lockout rules depend on: any AADSTS code
 * in Entra's body shape, an `invalid_grant` without a code, an HTML 400, a drop after the body was read
 * (counted as received), slow answers, and the "MFA tenant". Over real HTTPS, with real MSAL where it
 * matters. Needs NODE_EXTRA_CA_CERTS (run through scripts/with-sandbox-ca.js).
 */
import { PublicClientApplication } from '@azure/msal-node';
import { SANDBOX_DEFAULTS, SandboxIdentityProvider } from '../../src/sandbox';

const SCOPES = ['https://graph.microsoft.com/.default', 'offline_access'];

function msalFor(idp: SandboxIdentityProvider): PublicClientApplication {
  return new PublicClientApplication({
    auth: {
      clientId: idp.clientId,
      authority: `${idp.authorityHost}/${idp.tenant}`,
      knownAuthorities: [new URL(idp.authorityHost).host],
    },
  });
}

function passwordGrant(idp: SandboxIdentityProvider, username: string = SANDBOX_DEFAULTS.username) {
  return fetch(`${idp.authorityHost}/${idp.tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'client-request-id': 'corr-1234' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: idp.clientId,
      username,
      password: SANDBOX_DEFAULTS.password,
      scope: SCOPES.join(' '),
    }),
  });
}

describe('SandboxIdentityProvider faults', () => {
  let idp: SandboxIdentityProvider;
  const control = (route: string, body?: unknown): Promise<Response> =>
    fetch(`${idp.authorityHost}/_sandbox/${route}`, {
      method: 'POST',
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    idp = await SandboxIdentityProvider.start({
      users: [
        { username: SANDBOX_DEFAULTS.username, password: SANDBOX_DEFAULTS.password },
        { username: 'other@contoso.example', password: SANDBOX_DEFAULTS.password },
      ],
    });
  });
  afterAll(() => idp.close());
  beforeEach(() => {
    idp.clearFaults();
    idp.resetCounts();
    idp.setMfaRequired(false);
  });

  it.each([
    [50064, 'invalid_grant', undefined],
    [50056, 'invalid_grant', undefined],
    [50144, 'invalid_grant', undefined],
    [53003, 'invalid_grant', undefined],
    [50072, 'invalid_grant', 'basic_action'],
    [50074, 'invalid_grant', 'basic_action'],
    [50105, 'invalid_grant', undefined],
    [50135, 'invalid_grant', undefined],
    [50142, 'invalid_grant', 'user_password_expired'],
    [99999, 'invalid_grant', undefined], // a code the sandbox does not know still has Entra's shape
  ])('answers AADSTS%d in Entra’s body shape', async (code, error, suberror) => {
    idp.injectFault({ kind: 'aadsts', code, grant: 'password', times: 1 });
    const response = await passwordGrant(idp);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      error,
      error_description: expect.stringMatching(
        new RegExp(
          `^AADSTS${code}: .+\\r\\nTrace ID: [0-9a-f-]{36}\\r\\nCorrelation ID: corr-1234\\r\\nTimestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`,
          's',
        ),
      ),
      error_codes: [code],
      timestamp: expect.stringMatching(/Z$/),
      trace_id: expect.any(String),
      correlation_id: 'corr-1234',
      error_uri: `${idp.authorityHost}/error?code=${code}`,
      ...(suberror ? { suberror } : {}),
    });
    expect(idp.counts.password).toBe(1);
  });

  it('lets MSAL see an injected code as a server error with its number', async () => {
    idp.injectFault({ kind: 'aadsts', code: 53003, grant: 'password', times: 1 });
    await expect(
      msalFor(idp).acquireTokenByUsernamePassword({
        scopes: SCOPES,
        username: SANDBOX_DEFAULTS.username,
        password: SANDBOX_DEFAULTS.password,
      }),
    ).rejects.toMatchObject({ errorCode: 'invalid_grant', errorNo: 53003 });
  });

  it('answers invalid_grant without any AADSTS code, and an HTML 400', async () => {
    idp.injectFault({ kind: 'oauth', error: 'invalid_grant', grant: 'password', times: 1 });
    const bare = await passwordGrant(idp);
    expect(bare.status).toBe(400);
    const body = (await bare.json()) as Record<string, unknown>;
    expect(body).toEqual({
      error: 'invalid_grant',
      timestamp: expect.any(String),
      trace_id: expect.any(String),
      correlation_id: 'corr-1234',
    });

    await control('faults', { kind: 'html', grant: 'password', times: 1 });
    const html = await passwordGrant(idp);
    expect(html.status).toBe(400);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await html.text()).toMatch(/^<!DOCTYPE html>/);
    expect(idp.counts.password).toBe(2);
  });

  it('drops after reading the whole body, counting the password grant as received per user', async () => {
    idp.injectFault({ kind: 'drop', grant: 'password', times: 2 });
    await expect(passwordGrant(idp)).rejects.toThrow();
    await expect(passwordGrant(idp, 'Other@contoso.example')).rejects.toThrow();
    expect(idp.counts).toMatchObject({
      token: 2,
      password: 2,
      password_by_user: { 'svc-graph@contoso.example': 1, 'other@contoso.example': 1 },
    });
    const counts = (await (await fetch(`${idp.authorityHost}/_sandbox/counts`)).json()) as {
      password_by_user: Record<string, number>;
    };
    expect(counts.password_by_user['other@contoso.example']).toBe(1);
    expect((await passwordGrant(idp)).status).toBe(200); // exhausted
  });

  it('answers slowly: a delay, or any fault after delayMs', async () => {
    idp.injectFault({ kind: 'delay', ms: 250, grant: 'password', times: 1 });
    let started = Date.now();
    expect((await passwordGrant(idp)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);

    idp.injectFault({ kind: 'aadsts', code: 50126, delayMs: 250, times: 1 });
    started = Date.now();
    const slowError = await passwordGrant(idp);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(((await slowError.json()) as { error_codes: number[] }).error_codes).toEqual([50126]);
    expect(() => idp.injectFault({ kind: 'drop', delayMs: -1 } as never)).toThrow(/delayMs/);
  });

  it('is an MFA tenant on request: right passwords get AADSTS50076, wrong ones still AADSTS50126', async () => {
    expect((await control('mfa', { required: true })).status).toBe(204);
    const mfa = await passwordGrant(idp);
    const body = (await mfa.json()) as Record<string, unknown>;
    expect(mfa.status).toBe(400);
    expect(body).toMatchObject({ error: 'invalid_grant', error_codes: [50076], suberror: 'basic_action' });
    await expect(
      msalFor(idp).acquireTokenByUsernamePassword({
        scopes: SCOPES,
        username: SANDBOX_DEFAULTS.username,
        password: SANDBOX_DEFAULTS.password,
      }),
    ).rejects.toMatchObject({
      name: 'InteractionRequiredAuthError',
      subError: 'basic_action',
      errorNo: 50076,
    });
    await expect(
      msalFor(idp).acquireTokenByUsernamePassword({
        scopes: SCOPES,
        username: SANDBOX_DEFAULTS.username,
        password: 'wrong',
      }),
    ).rejects.toMatchObject({ errorNo: 50126 });
    expect(idp.switches().mfaRequired).toBe(true);
    expect((await control('mfa', { required: 'yes' })).status).toBe(400);
    await control('mfa', { required: false });
    expect((await passwordGrant(idp)).status).toBe(200);
  });
});
