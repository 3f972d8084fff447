/**
 * The admin page function with a real tenant configured: Entra ID sign-in configuration, a policy that
 * lets MSAL reach the authority, and no dev sign-in at all (404, not 403): the dev sign-in is the local
 * host's (test/host/devSignIn.test.ts), never a function.
 */
import { HttpRequest, InvocationContext } from '@azure/functions';
import type * as AdminFunction from '../../src/functions/admin';
import { createTokenService, loadConfig, setTokenService } from '../../src/lib';

const ENTRA = {
  GRAPH_CLIENT_ID: '22222222-2222-4222-8222-222222222222',
  GRAPH_TENANT: 'contoso.onmicrosoft.com',
  GRAPH_USERNAME: 'svc-graph@contoso.example',
  KEY_VAULT_URL: 'https://contoso-kv.vault.azure.net',
  API_AUDIENCE: 'api://graph-token-manager',
  ADMIN_CLIENT_ID: '33333333-3333-4333-8333-333333333333',
};

function request(method: string, path: string, body?: string): HttpRequest {
  return new HttpRequest({
    method,
    url: `http://localhost:7071/api/admin/${path}`,
    params: path === '' ? {} : { path },
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : { string: body },
  });
}

const context = (): InvocationContext => new InvocationContext({ functionName: 'admin' });

let adminPage: typeof AdminFunction.adminPage;
let admin: typeof AdminFunction;
let contentSecurityPolicy: typeof AdminFunction.contentSecurityPolicy;
let pageConfiguration: typeof AdminFunction.pageConfiguration;

beforeAll(async () => {
  // Outside the Functions worker, @azure/functions warns that it skips each registration: expected here.
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    admin = await import('../../src/functions/admin');
    ({ adminPage, contentSecurityPolicy, pageConfiguration } = admin);
  } finally {
    warn.mockRestore();
  }
});

describe('with a real tenant', () => {
  beforeAll(() => {
    setTokenService(createTokenService({ env: ENTRA }));
  });

  test('config.json asks for Entra ID sign-in with the admin app and the API scope', async () => {
    const response = await adminPage(request('GET', 'config.json'), context());
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body as string)).toEqual({
      mode: 'entra',
      authority: 'https://login.microsoftonline.com/contoso.onmicrosoft.com',
      clientId: ENTRA.ADMIN_CLIENT_ID,
      scopes: ['api://graph-token-manager/.default'],
    });
  });

  test('the policy lets the page reach the authority and nothing else', () => {
    const csp = contentSecurityPolicy(loadConfig(ENTRA));
    expect(csp).toContain("connect-src 'self' https://login.microsoftonline.com;");
    expect(csp).toContain('frame-src https://login.microsoftonline.com;');
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toMatch(/unsafe/);
  });

  test('there is no dev sign-in: 404 problem details, and no handler for it in the function', async () => {
    expect(Object.keys(admin)).not.toContain('devSignIn');
    const get = await adminPage(request('GET', 'dev-sign-in'), context());
    expect(get.status).toBe(404);
    const problem = JSON.parse(get.body as string) as { code: string; correlation_id: string };
    expect(problem.code).toBe('ROUTE_NOT_FOUND');
    expect(problem.correlation_id).toBeTruthy();
  });

  test('unknown files are 404 and a missing build says how to build', async () => {
    expect((await adminPage(request('GET', 'secrets.json'), context())).status).toBe(404);
  });
});

describe('page configuration', () => {
  test('a loopback authority inside Azure is never treated as the sandbox', () => {
    const config = loadConfig({
      ...ENTRA,
      GRAPH_AUTHORITY_HOST: 'https://localhost:7072',
      WEBSITE_SITE_NAME: 'x',
    });
    expect(config.isSandbox).toBe(true);
    expect(pageConfiguration(config).mode).toBe('entra');
  });

  test('no API_AUDIENCE means no scopes (the page reports it instead of asking for a wrong one)', () => {
    const { API_AUDIENCE: _omit, ...rest } = ENTRA;
    expect(pageConfiguration(loadConfig(rest)).scopes).toEqual([]);
  });
});
