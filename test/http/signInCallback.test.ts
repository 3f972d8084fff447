/**
 * The sign-in callback is anonymous (docs/operations.md, "Unauthenticated routes"): an answer with an
 * unknown or missing `state` writes no audit row, and each client address gets at most 10 answers a
 * minute (429 with Retry-After). Real @azure/functions objects, the sandbox and Azurite.
 */
import { HttpRequest, InvocationContext } from '@azure/functions';
import type * as SignInFunction from '../../src/functions/signIn';
import { setTokenService } from '../../src/lib';
import { clientAddress } from '../../src/http/rateLimit';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { CapturingLogger, FastClock, freshEnv, service } from '../lib/helpers';

jest.setTimeout(60_000);

let sandbox: Sandbox;
let signIn: typeof SignInFunction;
let svc: ReturnType<typeof service>;
const logger = new CapturingLogger();
const clock = new FastClock();
let now = Date.UTC(2026, 4, 4, 10, 0, 0);

beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: false });
  svc = service(freshEnv(sandbox, { GRAPH_TOKEN_TYPE: 'delegated' }), { logger, clock });
  setTokenService(svc);
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    signIn = await import('../../src/functions/signIn');
  } finally {
    warn.mockRestore();
  }
  signIn.resetCallbackLimiter(() => now);
});
beforeEach(() => {
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());
afterAll(async () => {
  setTokenService(undefined);
  await svc?.close();
  await sandbox?.close();
});

function callback(query: string, address: string): Promise<{ status?: number; headers?: unknown }> {
  return signIn.signInCallback(
    new HttpRequest({
      method: 'GET',
      url: `http://localhost:7071/api/sign-in/callback${query}`,
      headers: { 'x-forwarded-for': `198.51.100.1, ${address}:51234` },
    }),
    new InvocationContext({ functionName: 'signInCallback' }),
  );
}

const header = (response: { headers?: unknown }, name: string): string | undefined =>
  (response.headers as Record<string, string>)[name];

it('20 anonymous callbacks write nothing, and the 11th of a minute from one address is 429', async () => {
  // One real entry so that "untouched" means something.
  await svc.acquireToken({ tokenType: 'ropc' }).catch(() => undefined);
  const auditBefore = (await svc.getTokenStatus()).recent_audit;
  expect(auditBefore.length).toBeGreaterThan(0);
  const reportBefore = await svc.report();

  const statuses: number[] = [];
  for (let i = 0; i < 20; i++) {
    const query = i % 2 === 0 ? `?state=forged-${i}&code=x` : '?code=x';
    const response = await callback(query, '203.0.113.7');
    statuses.push(response.status ?? 0);
    if (response.status === 303) {
      expect(header(response, 'location')).toBe('/api/admin?sign_in=failed&code=SIGN_IN_STATE_INVALID');
    } else {
      expect(response.status).toBe(429);
      expect(Number(header(response, 'retry-after'))).toBeGreaterThanOrEqual(1);
      expect(header(response, 'content-type')).toBe('application/problem+json');
    }
  }
  expect(statuses.filter((s) => s === 303)).toHaveLength(10);
  expect(statuses.slice(10).every((s) => s === 429)).toBe(true);

  // Another address has its own allowance; the first one again after the minute.
  expect((await callback('?state=x&code=y', '192.0.2.9')).status).toBe(303);
  now += 60_000;
  expect((await callback('?state=x&code=y', '203.0.113.7')).status).toBe(303);

  clock.advance(61_000); // past the status view's cache, so it is read again
  expect((await svc.getTokenStatus()).recent_audit).toEqual(auditBefore);
  const reportAfter = await svc.report();
  expect(reportAfter.audit_entries).toBe(reportBefore.audit_entries);
  expect(reportAfter.errors).toEqual(reportBefore.errors);
  // Logged at debug level only.
  const refused = logger.lines.map((l) => JSON.parse(l) as { level: string; event: string });
  expect(
    refused.filter((l) => l.event === 'sign_in_callback_refused').every((l) => l.level === 'debug'),
  ).toBe(true);
  expect(refused.filter((l) => l.event === 'sign_in_callback_refused')).toHaveLength(12);
});

it('reads the address the platform appended, without its port', () => {
  const headers = (value: string | null): { get(): string | null } => ({ get: () => value });
  expect(clientAddress(headers('203.0.113.7:51234'))).toBe('203.0.113.7');
  expect(clientAddress(headers('10.0.0.1, 203.0.113.7'))).toBe('203.0.113.7');
  expect(clientAddress(headers('[2001:db8::1]:443'))).toBe('2001:db8::1');
  expect(clientAddress(headers('2001:db8::1'))).toBe('2001:db8::1');
  expect(clientAddress(headers(null))).toBe('unknown');
});
