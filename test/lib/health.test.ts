/**
 * Health a platform probe can trust (docs/operations.md, "Health"), with an injected clock: `failing` only
 * for what does not recover by itself; a fresh start is `degraded` and says when the first token comes;
 * a timer that has not had its first period is `ok`.
 */
import { nextOccurrence } from '../../src/lib/schedule';
import { clockTime, tokenCheck, type TokenCheckInput } from '../../src/lib/service/health';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { FastClock, freshEnv, service } from './helpers';

jest.setTimeout(60_000);

describe('next occurrence of a schedule', () => {
  const at = Date.UTC(2026, 4, 4, 10, 2, 30);
  it.each([
    ['0 */5 * * * *', Date.UTC(2026, 4, 4, 10, 5, 0)],
    ['*/30 * * * * *', Date.UTC(2026, 4, 4, 10, 3, 0)],
    ['0 30 2 * * *', Date.UTC(2026, 4, 5, 2, 30, 0)],
    ['0 0 3 * * 1', Date.UTC(2026, 4, 11, 3, 0, 0)],
    ['0 0,30 9-17 * * *', Date.UTC(2026, 4, 4, 10, 30, 0)],
  ])('%s', (schedule, expected) => {
    expect(nextOccurrence(schedule, at)).toBe(expected);
  });
  it('is undefined for what it does not read', () => {
    expect(nextOccurrence('0 0 9 * * MON', at)).toBeUndefined();
    expect(nextOccurrence('0 0 9 * *', at)).toBeUndefined();
    expect(nextOccurrence('0 0 9 31 2 *', at)).toBeUndefined();
  });
});

describe('the token check', () => {
  const now = Date.UTC(2026, 4, 4, 10, 2, 30);
  const base: TokenCheckInput = {
    type: 'ropc',
    expiresAt: NaN,
    now,
    offsetMs: 300_000,
    stuck: undefined,
    refreshRun: undefined,
    nextRefresh: Date.UTC(2026, 4, 4, 10, 5),
  };
  it('no token yet: degraded, saying when the first one comes', () => {
    expect(tokenCheck(base)).toMatchObject({
      status: 'degraded',
      detail: 'no token yet: the first call or the refresh timer at 10:05 UTC acquires one',
    });
  });
  it('no valid token while blocked or a sign-in is required: failing', () => {
    expect(tokenCheck({ ...base, stuck: 'the credential is blocked (CREDENTIALS_REJECTED)' }).status).toBe(
      'failing',
    );
    expect(tokenCheck({ ...base, expiresAt: now - 1, stuck: 'a sign-in is required (X)' }).status).toBe(
      'failing',
    );
    // A valid token is still served while blocked: the credentials check says degraded, not this one.
    expect(tokenCheck({ ...base, expiresAt: now + 3600_000, stuck: 'blocked' }).status).toBe('ok');
  });
  it('an expired token: degraded until a refresh after its expiry fails, then failing', () => {
    const expired = { ...base, expiresAt: now - 60_000 };
    expect(tokenCheck(expired)).toMatchObject({ status: 'degraded' });
    expect(tokenCheck(expired).detail).toMatch(
      /the next call or the refresh timer at 10:05 UTC acquires a new one/,
    );
    const failedBefore = { at: new Date(now - 120_000).toISOString(), outcome: 'failure' as const };
    expect(tokenCheck({ ...expired, refreshRun: failedBefore }).status).toBe('degraded');
    const failedAfter = { at: new Date(now - 30_000).toISOString(), outcome: 'failure' as const };
    expect(tokenCheck({ ...expired, refreshRun: failedAfter }).status).toBe('failing');
  });
  it('a token inside the refresh offset: degraded; past it: ok', () => {
    expect(tokenCheck({ ...base, expiresAt: now + 60_000 }).status).toBe('degraded');
    expect(tokenCheck({ ...base, expiresAt: now + 3600_000 }).status).toBe('ok');
  });
});

describe('the service', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ keyVault: false });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('a fresh start is degraded with the first token time, the timer ok; late after two periods', async () => {
    const clock = new FastClock();
    const svc = service(freshEnv(sandbox), { clock });
    try {
      const next = nextOccurrence('0 */5 * * * *', clock.now())!;
      const fresh = await svc.health({ detailed: true });
      expect(fresh.status).toBe('degraded');
      expect(fresh.failing_checks).toEqual(['token.ropc']);
      expect(fresh.checks!['token.ropc']!.detail).toBe(
        `no token yet: the first call or the refresh timer at ${clockTime(next)} acquires one`,
      );
      expect(fresh.checks!.refresh_timer).toEqual({
        status: 'ok',
        detail: `first run at ${clockTime(next)}`,
      });

      await svc.acquireToken();
      clock.advance(11 * 60_000); // two periods of the 5-minute schedule without a run
      const late = await svc.health({ detailed: true });
      expect(late).toMatchObject({ status: 'degraded', failing_checks: ['refresh_timer'] });
    } finally {
      await svc.close();
    }
  });

  it('failing once no valid token is left and the credential is blocked', async () => {
    const clock = new FastClock();
    const svc = service(freshEnv(sandbox, { GRAPH_PASSWORD: 'not-the-password' }), { clock });
    try {
      await expect(svc.acquireToken()).rejects.toMatchObject({ code: expect.any(String) });
      const report = await svc.health({ detailed: true });
      expect(report.status).toBe('failing');
      expect(report.checks!['token.ropc']).toMatchObject({ status: 'failing' });
      expect(report.checks!['token.ropc']!.detail).toMatch(/credential is blocked/);
      expect(report.checks!['credentials.ropc']!.status).toBe('degraded');
    } finally {
      await svc.close();
    }
  });

  it('an expired token: degraded until the refresh fails after its expiry, then failing', async () => {
    const clock = new FastClock();
    const svc = service(freshEnv(sandbox), { clock });
    try {
      await svc.acquireToken();
      await svc.recordTimerRun('refresh', 'success');
      clock.advance(2 * 3600_000);
      const expired = await svc.health({ detailed: true });
      expect(expired.checks!['token.ropc']).toMatchObject({ status: 'degraded' });
      expect(expired.checks!['token.ropc']!.detail).toMatch(
        /expired at .*: the next call or the refresh timer/,
      );
      await svc.recordTimerRun('refresh', 'failure');
      const failing = await svc.health({ detailed: true });
      expect(failing.status).toBe('failing');
      expect(failing.checks!['token.ropc']!.detail).toMatch(/refresh timer's last run .* failed/);
    } finally {
      await svc.close();
    }
  });
});
