import { statusReportSchema, tokenListSchema } from '../../src/http/schemas';
import { call, eventually, jsonLogs, startStack, type Stack } from './harness';

/**
 * The refresh timer (docs/http.md, "Timers") firing on a short schedule in the local host process: with 12-second
 * tokens, a refresh offset of 5 s and a 2-second period, a token is due ~5 s after it was issued, and the
 * timer must replace it through the refresh token before it expires.
 */

let stack: Stack;
let admin: string;

beforeAll(async () => {
  stack = await startStack({
    idp: { accessTokenLifetimeSeconds: 12 },
    env: { REFRESH_SCHEDULE: '*/2 * * * * *', TOKEN_REFRESH_OFFSET_SECONDS: '5' },
  });
  admin = await stack.sandbox.idp.signApiToken({ roles: ['GraphTokens.Admin'] });
}, 60_000);

afterAll(async () => {
  await stack?.close();
}, 30_000);

it('refreshes a token that is about to expire, audited as the timer', async () => {
  const acquired = await call(stack, 'POST', '/graph-tokens/acquire_token', {
    token: admin,
    body: { force_refresh: true },
  });
  expect(acquired.status).toBe(200);
  const first = acquired.json.token as { id: string; expires_at: string };
  const refreshGrantsBefore = stack.sandbox.idp.counts.refresh_token;

  const replaced = await eventually(
    async () => {
      const list = tokenListSchema.parse((await call(stack, 'GET', '/graph-tokens', { token: admin })).json);
      const old = list.items.find((t) => t.id === first.id);
      const current = list.items.find((t) => t.is_active);
      return old?.deactivation_reason === 'superseded' && current !== undefined
        ? { old, current }
        : undefined;
    },
    15_000,
    'the timer to refresh the token',
  );
  // Replaced before it expired, with a later expiry, through the refresh token (not the password).
  expect(Date.parse(replaced.old.deactivated_at!)).toBeLessThan(Date.parse(first.expires_at));
  expect(Date.parse(replaced.current.expires_at)).toBeGreaterThan(Date.parse(first.expires_at));
  expect(replaced.current.refresh_count).toBeGreaterThanOrEqual(1);
  expect(stack.sandbox.idp.counts.refresh_token).toBeGreaterThan(refreshGrantsBefore);

  const status = statusReportSchema.parse(
    (await call(stack, 'GET', '/graph-tokens/status', { token: admin })).json,
  );
  expect(
    status.recent_audit.some(
      (a) => a.actor === 'timer' && a.operation === 'refresh' && a.outcome === 'success',
    ),
  ).toBe(true);

  const runs = jsonLogs(stack).filter((l) => l.function === 'refreshTimer' && l.event === 'timer.completed');
  expect(runs.length).toBeGreaterThan(0);
  expect(runs.some((r) => typeof r.refreshed === 'number' && r.refreshed >= 1)).toBe(true);
  // Logs never carry a token.
  expect(stack.logs.join('\n')).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./);
}, 30_000);
