/**
 * The identity client builds one MSAL application per call (no state shared between concurrent calls,
 * no AsyncLocalStorage) and learns the authority's OpenID configuration once, so later calls cost no
 * discovery request.
 */
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { FastClock, freshEnv, service } from './helpers';

jest.setTimeout(60_000);

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: false });
});
afterAll(async () => {
  await sandbox?.close();
});

it('discovers the authority once, however many exchanges follow', async () => {
  const clock = new FastClock();
  const svc = service(freshEnv(sandbox), { clock });
  sandbox.idp.resetCounts();
  await svc.acquireToken();
  for (let i = 0; i < 4; i++) {
    await svc.acquireToken({ forceRefresh: true });
    // Past the forced-refresh window (10 s), so each forced call is an exchange of its own.
    clock.advance(10_000);
  }
  expect(sandbox.idp.counts.password).toBe(1);
  expect(sandbox.idp.counts.refresh_token).toBe(4);
  expect(sandbox.idp.counts.discovery).toBe(1);
  await svc.close();
});

it('two exchanges at the same time in one process each judge their own answer', async () => {
  const env = freshEnv(sandbox);
  const svc = service(env);
  sandbox.idp.resetCounts();
  // The ropc password grant is refused while it runs beside a refresh of an established ropc token of
  // another service on the same process: each call judges its own exchange.
  const good = service(freshEnv(sandbox));
  await good.acquireToken();
  sandbox.idp.injectFault({ kind: 'aadsts', code: 50126, grant: 'password', delayMs: 300, times: 1 });
  const [refused, refreshed] = await Promise.allSettled([
    svc.acquireToken(),
    good.acquireToken({ forceRefresh: true }),
  ]);
  expect(refused).toMatchObject({ status: 'rejected', reason: { code: 'INVALID_CREDENTIALS' } });
  expect(refreshed).toMatchObject({ status: 'fulfilled', value: { token: { source: 'refresh' } } });
  await Promise.all([svc.close(), good.close()]);
});
