/**
 * The delegated sign-in as a confidential client (docs/delegated.md): with
 * GRAPH_CLIENT_CREDENTIAL_SECRET_NAME set, the client secret is read from Key Vault (the real
 * SecretClient against the stand-in), the browser sign-in is redeemed with it, and so is every refresh;
 * a wrong secret is CLIENT_CREDENTIAL_REJECTED, never a password and never "sign in again".
 */
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '../../src/sandbox';
import { FastClock, freshEnv, service, vaultCredential } from './helpers';

jest.setTimeout(60_000);

const SECRET_NAME = 'graph-client-credential';
const APP_SECRET = 'sandbox-app-secret-value-1';
const REDIRECT = 'http://localhost:7071/api/sign-in/callback';
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: true, idp: { clientSecret: APP_SECRET } });
  sandbox.idp.setMfaRequired(true);
  sandbox.keyVault!.setSecret(SECRET_NAME, APP_SECRET);
});
afterAll(() => sandbox?.close());

/** Walks the sandbox sign-in page as `username` and returns the redirect's `state` and `code`. */
async function signInAt(authorizeUrl: string, username: string): Promise<{ state: string; code: string }> {
  const html = await (await fetch(authorizeUrl)).text();
  const requestId = /name="request" value="([^"]+)"/.exec(html)![1]!;
  const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!;
  const answer = await fetch(new URL(action.replace(/&amp;/g, '&'), authorizeUrl), {
    method: 'POST',
    body: new URLSearchParams({ request: requestId, username, action: 'sign_in' }),
    redirect: 'manual',
  });
  const location = new URL(answer.headers.get('location')!);
  expect(location.origin + location.pathname).toBe(REDIRECT);
  return { state: location.searchParams.get('state')!, code: location.searchParams.get('code')! };
}

it('redeems and refreshes with the client secret from Key Vault; a wrong secret is CLIENT_CREDENTIAL_REJECTED', async () => {
  const { GRAPH_PASSWORD: _none, ...env } = freshEnv(sandbox, {
    GRAPH_TOKEN_TYPE: 'delegated',
    GRAPH_CLIENT_CREDENTIAL_SECRET_NAME: SECRET_NAME,
  });
  const svc = service(env, { credential: vaultCredential(sandbox) });
  sandbox.idp.resetCounts();
  const started = await svc.startSignIn({ redirectUri: REDIRECT });
  const { state, code } = await signInAt(started.authorize_url, SANDBOX_DEFAULTS.username);
  const result = await svc.completeSignIn({ state, code, binding: started.binding });
  expect(result).toMatchObject({ success: true, account: SANDBOX_DEFAULTS.username });
  expect(sandbox.idp.counts).toMatchObject({ authorization_code: 1, password: 0 });

  // Refreshes go with the same secret (a confidential refresh token needs it).
  const refreshed = await svc.acquireToken({ tokenType: 'delegated', forceRefresh: true });
  expect(refreshed.token.source).toBe('refresh');
  expect(sandbox.idp.counts.refresh_token).toBe(1);

  // A rotated but wrong secret: the app's credential is refused, which is not the account's fault.
  sandbox.keyVault!.setSecret(SECRET_NAME, 'not-the-app-secret');
  // Another instance, past the forced-refresh window (10 s) of the refresh above.
  const later = new FastClock();
  later.advance(10_000);
  const other = service(env, { credential: vaultCredential(sandbox), clock: later });
  await expect(other.acquireToken({ tokenType: 'delegated', forceRefresh: true })).rejects.toMatchObject({
    code: 'CLIENT_CREDENTIAL_REJECTED',
  });
  const status = await other.getTokenStatus();
  expect(status.types.delegated?.state).not.toBe('sign_in_required');
  expect(sandbox.idp.counts.password).toBe(0);
  sandbox.keyVault!.setSecret(SECRET_NAME, APP_SECRET);
  await Promise.all([svc.close(), other.close()]);
});
