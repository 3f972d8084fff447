import { ensureSandboxCertificate } from '../../src/sandbox';
import { call, eventually, jsonLogs, startStack, type Stack } from './harness';

/**
 * Fail closed in Azure (docs/operations.md): the local host serving the function app with
 * WEBSITE_SITE_NAME set and sandbox endpoints (loopback authority, Key Vault and table endpoints). Every
 * route but health answers 503 CONFIGURATION_INVALID naming the variables, health is `failing`, the
 * refresh timer says once that it does nothing, and the identity provider and Key Vault stand-ins
 * receive not one request.
 */

let stack: Stack;
const idpRequests: string[] = [];
let admin: string;

beforeAll(async () => {
  stack = await startStack({
    keyVault: true,
    idp: {
      certificate: ensureSandboxCertificate(),
      onRequest: (entry) => idpRequests.push(`${entry.method} ${entry.path}`),
    },
    env: { WEBSITE_SITE_NAME: 'gtm-fail-closed', REFRESH_SCHEDULE: '* * * * * *' },
  });
  // Signed locally with the provider's key: no request reaches it.
  admin = await stack.sandbox.idp.signApiToken({ roles: ['GraphTokens.Admin', 'Events.Manage'] });
}, 60_000);

afterAll(async () => {
  await stack?.close();
}, 30_000);

function expectConfigurationInvalid(response: Awaited<ReturnType<typeof call>>): void {
  expect(response.status).toBe(503);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.json.code).toBe('CONFIGURATION_INVALID');
  expect(response.json.correlation_id).toBe(response.headers.get('x-correlation-id'));
  // Names the variables, never their values.
  for (const name of ['GRAPH_AUTHORITY_HOST', 'KEY_VAULT_URL', 'TOKEN_TABLE_ENDPOINT']) {
    expect(response.json.detail).toContain(name);
  }
  expect(response.json.detail).not.toContain('localhost');
}

it('answers 503 CONFIGURATION_INVALID everywhere but health, sends nothing, and the timer idles', async () => {
  expectConfigurationInvalid(await call(stack, 'GET', '/graph-tokens/status', { token: admin }));
  expectConfigurationInvalid(await call(stack, 'GET', '/graph-tokens/status'));
  expectConfigurationInvalid(
    await call(stack, 'POST', '/graph-tokens/acquire_token', { token: admin, body: { force_refresh: true } }),
  );
  expectConfigurationInvalid(await call(stack, 'GET', '/events', { token: admin }));
  expectConfigurationInvalid(
    await call(stack, 'POST', '/events', {
      token: admin,
      body: { subject: 'x', start: '2030-01-01T10:00:00Z', end: '2030-01-01T11:00:00Z' },
    }),
  );
  expectConfigurationInvalid(await call(stack, 'POST', '/sign-in/start', { token: admin }));
  expectConfigurationInvalid(await call(stack, 'GET', '/sign-in/callback?state=abc&code=def'));

  for (const token of [undefined, admin]) {
    const health = await call(stack, 'GET', '/health', token === undefined ? {} : { token });
    expect(health.status).toBe(503);
    expect(health.json).toMatchObject({ status: 'failing', failing_checks: ['configuration'] });
    expect(health.json.checks).toBeUndefined();
  }

  // The refresh timer fires every second: it says it is disabled (once per process: test/http/failClosed
  // counts the runs) and does nothing else.
  await eventually(
    async () =>
      jsonLogs(stack).some((l) => l.event === 'timer.disabled' && l.job === 'refresh') ? true : undefined,
    10_000,
    'the refresh timer to run',
  );
  const logs = jsonLogs(stack);
  expect(logs.filter((l) => l.event === 'timer.disabled' && l.job === 'refresh')).toHaveLength(1);
  expect(logs.filter((l) => l.event === 'timer.completed' || l.event === 'timer.failed')).toHaveLength(0);

  expect(idpRequests).toEqual([]);
  expect(stack.sandbox.idp.counts.token).toBe(0);
  const vault = stack.sandbox.keyVault!.counts;
  expect(vault.get + vault.set + vault.challenges + vault.unauthorized).toBe(0);
}, 40_000);
