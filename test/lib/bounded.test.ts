/**
 * Bounded admin actions (docs/architecture.md): `refresh_tokens` refreshes each listed id once, and forced refreshes
 * of one type run at most once per 10 s — in one process and across instances sharing the table.
 */
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { FastClock, freshEnv, service } from './helpers';

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

const grants = (): number => sandbox.idp.counts.token;

it('refresh_tokens with one id listed 1 000 times refreshes it once', async () => {
  const clock = new FastClock();
  const svc = service(freshEnv(sandbox), { clock });
  const { token } = await svc.acquireToken();
  clock.advance(11_000);
  sandbox.idp.resetCounts();
  const summary = await svc.refreshTokens({ ids: Array.from({ length: 1000 }, () => token.id) });
  expect(summary).toMatchObject({ success: true, refreshed: 1, failed: 0 });
  expect(summary.results).toHaveLength(1);
  expect(grants()).toBe(1);
  await svc.close();
});

it('1 000 forced calls within 10 s are one grant; the next window gets a new token', async () => {
  const clock = new FastClock();
  const svc = service(freshEnv(sandbox), { clock });
  await svc.acquireToken();
  clock.advance(11_000);
  sandbox.idp.resetCounts();
  const first = await svc.acquireToken({ forceRefresh: true });
  const ids = new Set<string>([first.token.id]);
  for (let i = 0; i < 500; i++) ids.add((await svc.acquireToken({ forceRefresh: true })).token.id);
  const concurrent = await Promise.all(
    Array.from({ length: 500 }, () => svc.getAccessToken(undefined, true)),
  );
  expect(ids.size).toBe(1);
  expect(new Set(concurrent).size).toBe(1);
  expect(grants()).toBe(1);
  clock.advance(9_000);
  expect((await svc.acquireToken({ forceRefresh: true })).token.id).toBe(first.token.id);
  clock.advance(1_500);
  const next = await svc.acquireToken({ forceRefresh: true });
  expect(next.token.id).not.toBe(first.token.id);
  expect(grants()).toBe(2);
  await svc.close();
});

it('the window holds across instances: another instance forced within it shares the new token', async () => {
  const env = freshEnv(sandbox);
  const clock = new FastClock();
  const a = service(env, { clock });
  const b = service(env, { clock });
  await a.acquireToken();
  clock.advance(11_000);
  sandbox.idp.resetCounts();
  const forced = await a.acquireToken({ forceRefresh: true });
  const shared = await b.acquireToken({ forceRefresh: true });
  expect(shared.token).toMatchObject({ id: forced.token.id, source: 'storage' });
  expect(grants()).toBe(1);
  await a.close();
  await b.close();
});

it('an override of a blocked password is not a forced refresh to share: it is sent once more', async () => {
  const clock = new FastClock();
  const svc = service(freshEnv(sandbox), { clock });
  sandbox.idp.injectFault({ kind: 'aadsts', code: 50126, grant: 'password', times: 1 });
  await expect(svc.acquireToken()).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
  await expect(svc.acquireToken({ forceRefresh: true })).rejects.toMatchObject({
    code: 'CREDENTIALS_BLOCKED',
  });
  const retried = await svc.acquireToken({ retryBlockedPassword: true });
  expect(retried.token.source).toBe('ropc');
  expect(sandbox.idp.counts.password).toBe(2);
  await svc.close();
});
