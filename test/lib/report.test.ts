/**
 * The monthly report (docs/operations.md, "Report"): a month of real operations on the injected clock,
 * read back through the library, the HTTP route and the CLI; plus the pure analysis on a synthetic
 * month (percentiles, gaps, periods).
 */
import { HttpRequest, InvocationContext } from '@azure/functions';
import { setTokenService } from '../../src/lib';
import type { AuditRow } from '../../src/lib/store';
import { analyse, monthRange } from '../../src/lib/service/report';
import { monthlyReportSchema } from '../../src/http/schemas';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { runCli, tempDir } from '../cli/helpers';
import { FastClock, freshEnv, service } from './helpers';

jest.setTimeout(60_000);

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: false });
});
afterAll(async () => {
  setTokenService(undefined);
  await sandbox?.close();
});

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 1); // 2026-11-01T00:00Z
const at = (day: number, hour = 0, minute = 0): number =>
  T0 + (day - 1) * 86_400_000 + hour * 3600_000 + minute * MIN;

describe('a month of operations', () => {
  it('counts refreshes per day, errors with hints, blocks, minutes without a token and events', async () => {
    const clock = new FastClock();
    const to = (time: number): void => clock.advance(time - clock.now());
    const env = freshEnv(sandbox);
    const svc = service(env, { clock });
    const timer = { actor: 'timer', correlationId: 'report-test' };

    to(at(1));
    await svc.acquireToken(); // password, valid until 01:00
    to(at(1, 0, 55));
    await svc.refreshTokens({}, timer); // refresh token, valid until 01:55
    to(at(3, 10));
    sandbox.idp.revokeRefreshTokens();
    sandbox.idp.injectFault({ kind: 'aadsts', code: 50126, grant: 'password' });
    await expect(svc.acquireToken()).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    to(at(4, 10));
    await expect(svc.acquireToken()).rejects.toMatchObject({ code: 'CREDENTIALS_BLOCKED' });
    to(at(5, 10));
    sandbox.idp.clearFaults();
    await svc.acquireToken({ retryBlockedPassword: true }); // valid until 11:00
    to(at(5, 10, 5));
    await svc.createGroupEvent({
      subject: 'Report',
      start: '2026-12-01T09:00:00Z',
      end: '2026-12-01T10:00:00Z',
    });
    to(at(6));

    const report = monthlyReportSchema.parse(await svc.report('2026-11'));
    expect(report).toMatchObject({ month: '2026-11', from: '2026-11-01T00:00:00.000Z', note: null });
    expect(report.refreshes).toEqual([
      { date: '2026-11-01', grant: 'password', outcome: 'success', count: 1 },
      { date: '2026-11-01', grant: 'refresh_token', outcome: 'success', count: 1 },
      { date: '2026-11-03', grant: 'password', outcome: 'failure', count: 1 },
      { date: '2026-11-04', grant: 'refresh_token', outcome: 'failure', count: 1 },
      { date: '2026-11-05', grant: 'password', outcome: 'success', count: 1 },
    ]);
    expect(report.refresh_totals).toEqual({ success: 3, failure: 2 });
    expect(report.errors.map((e) => [e.code, e.count, e.first_seen.slice(0, 16)])).toEqual([
      ['CREDENTIALS_BLOCKED', 1, '2026-11-04T10:00'],
      ['INVALID_CREDENTIALS', 1, '2026-11-03T10:00'],
    ]);
    expect(report.errors.every((e) => (e.hint ?? '').length > 20)).toBe(true);
    // The clock moves on in real time between the jumps (and the suite may run slowly on a loaded
    // machine): figures to within a few minutes of periods that last hours or days.
    const near = (value: number, expected: number): void =>
      expect(Math.abs(value - expected)).toBeLessThanOrEqual(3);
    expect(report.credential_blocks).toHaveLength(1);
    const block = report.credential_blocks[0]!;
    expect([block.token_type, block.code, block.from.slice(0, 16), block.to?.slice(0, 16)]).toEqual([
      'ropc',
      'INVALID_CREDENTIALS',
      '2026-11-03T10:00',
      '2026-11-05T10:00',
    ]);
    near(block.minutes, 2 * 24 * 60);
    expect(report.sign_in_required).toEqual([]);
    // 01:55 on day 1 to 10:00 on day 5, and 11:00 on day 5 until now (day 6, still open).
    const first = (4 * 24 + 10) * 60 - 115;
    const second = 13 * 60;
    expect(report.no_valid_token.periods.map((p) => p.to === null)).toEqual([false, true]);
    near(report.no_valid_token.periods[0]!.minutes, first);
    near(report.no_valid_token.periods[1]!.minutes, second);
    near(report.no_valid_token.minutes, first + second);
    expect(report.refresh_duration_ms.count).toBe(5);
    expect(report.refresh_duration_ms.p95).toBeGreaterThanOrEqual(report.refresh_duration_ms.p50!);
    expect(report.events).toEqual([{ operation: 'create-event', outcome: 'success', count: 1 }]);
    expect(report.events_by_outcome).toEqual({ success: 1, failure: 0 });

    // The same figures over HTTP (GraphTokens.Read), and a bad month is a 400 naming the field.
    setTokenService(svc);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const info = jest.spyOn(console, 'info').mockImplementation(() => undefined);
    try {
      const { tokenReport } = await import('../../src/functions/tokenReport');
      const reader = await sandbox.idp.signApiToken({ roles: ['GraphTokens.Read'] });
      const get = (query: string) =>
        tokenReport(
          new HttpRequest({
            method: 'GET',
            url: `http://localhost:7071/api/graph-tokens/report${query}`,
            headers: { authorization: `Bearer ${reader}` },
          }),
          new InvocationContext({ functionName: 'tokenReport' }),
        );
      const ok = await get('?month=2026-11');
      expect(ok.status).toBe(200);
      expect(monthlyReportSchema.parse(JSON.parse(ok.body as string)).refreshes).toEqual(report.refreshes);
      const bad = await get('?month=2026-13');
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body as string).detail).toMatch(/query\.month/);
    } finally {
      warn.mockRestore();
      info.mockRestore();
    }
    await svc.close();
  });
});

describe('the CLI', () => {
  it('names the operating-system user and host as the actor, and prints the report as text, JSON and markdown', async () => {
    const env = freshEnv(sandbox);
    const cwd = tempDir();
    const acquire = await runCli(['acquire'], { env, cwd });
    expect(acquire.code).toBe(0);
    const status = JSON.parse((await runCli(['status', '--json'], { env, cwd })).stdout) as {
      recent_audit: { actor: string; operation: string }[];
    };
    expect(status.recent_audit.find((a) => a.operation === 'acquire')?.actor).toMatch(
      /^cli:[A-Za-z0-9._-]+@[A-Za-z0-9._-]+$/,
    );

    const month = new Date().toISOString().slice(0, 7);
    // JSON is --json, as on every command; --format chooses a human layout only.
    const json = await runCli(['report', '--month', month, '--json'], { env, cwd });
    expect(json.code).toBe(0);
    const report = monthlyReportSchema.parse(JSON.parse(json.stdout));
    expect(report.refresh_totals.success).toBe(1);
    const formatJson = await runCli(['report', '--format', 'json'], { env, cwd });
    expect(formatJson.code).toBe(2);
    expect(formatJson.stderr).toMatch(/--json/);
    const markdown = await runCli(['report', '--month', month, '--format', 'markdown'], { env, cwd });
    expect(markdown.stdout).toContain(`# Graph token report ${month}`);
    expect(markdown.stdout).toContain('| date | password success |');
    const text = await runCli(['report'], { env, cwd });
    expect(text.stdout).toMatch(/Refreshes\s+1 succeeded · 0 failed/);
    expect(text.stdout).toMatch(/\(1 exchange\)/);
    // Started a moment ago: not "without a token" since the month began.
    expect(text.stdout).toMatch(/No valid token\s+0 min/);
    const bad = await runCli(['report', '--month', '2026-1'], { env, cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--month/);
  });
});

describe('the analysis', () => {
  const row = (time: number, fields: Partial<AuditRow>): AuditRow => ({
    id: String(time),
    time: new Date(time).toISOString(),
    actor: 'timer',
    operation: 'refresh',
    target: 'ropc/t',
    outcome: 'success',
    correlation_id: 'c',
    detail: null,
    error_code: null,
    partition: 'audit',
    ...fields,
  });

  it('computes p50/p95 by nearest rank and joins overlapping token lifetimes', () => {
    const rows: AuditRow[] = [];
    // A token every 50 minutes for 30 days, each valid 60 minutes: never a gap.
    for (let i = 0; i * 50 * MIN < 30 * 86_400_000; i++) {
      const time = T0 + i * 50 * MIN;
      rows.push(
        row(time, {
          target: `ropc/t${i}`,
          grant: 'refresh_token',
          duration_ms: i < 800 ? (i % 100) + 1 : 50,
          expires_at: new Date(time + 60 * MIN).toISOString(),
        }),
      );
    }
    const range = monthRange('2026-11', T0);
    const report = analyse(rows, [], {
      month: '2026-11',
      from: range.from,
      end: range.to,
      now: range.to + 1,
      note: null,
    });
    expect(report.refresh_totals.success).toBe(rows.length);
    expect(report.no_valid_token.minutes).toBe(0);
    expect(report.refresh_duration_ms.p50).toBe(50);
    expect(report.refresh_duration_ms.p95).toBe(95);
    expect(report.refreshes.filter((d) => d.date === '2026-11-02')[0]?.count).toBe(29);
    expect(() => monthRange('2026-00', T0)).toThrow(/YYYY-MM/);
  });
});

describe('minutes without a valid token after a start in the middle of the month', () => {
  const row = (time: number, fields: Partial<AuditRow>): AuditRow => ({
    id: String(time),
    time: new Date(time).toISOString(),
    actor: 'timer',
    operation: 'acquire',
    target: 'ropc/t',
    outcome: 'success',
    correlation_id: 'c',
    detail: null,
    error_code: null,
    partition: 'audit',
    ...fields,
  });
  const range = monthRange('2026-11', T0);
  const w = { month: '2026-11', from: range.from, end: at(8), now: at(8), note: null };

  it("count from the deployment's first record, not from the month's start", () => {
    // First started on the 7th at 10:00; the password failed, then a token at 10:30 valid for an hour.
    const rows = [
      row(at(7, 10), { outcome: 'failure', error_code: 'IDENTITY_PROVIDER_UNAVAILABLE', target: 'ropc' }),
      row(at(7, 10, 30), {
        target: 'ropc/a',
        grant: 'password',
        expires_at: new Date(at(7, 11, 30)).toISOString(),
      }),
    ];
    const report = analyse(rows, [], w);
    expect(report.no_valid_token.periods.map((p) => [p.from, p.minutes])).toEqual([
      [new Date(at(7, 10)).toISOString(), 30],
      [new Date(at(7, 11, 30)).toISOString(), (24 - 11) * 60 - 30],
    ]);
    // Any order gives the same figures (the table yields newest first).
    expect(analyse([...rows].reverse(), [], w)).toEqual(report);
  });

  it("count from the month's start when the deployment is older (an entry before the month)", () => {
    const rows = [
      row(T0 - 3600_000, {
        target: 'ropc/old',
        grant: 'refresh_token',
        expires_at: new Date(T0).toISOString(),
      }),
      row(at(7, 10, 30), {
        target: 'ropc/a',
        grant: 'password',
        expires_at: new Date(at(7, 11, 30)).toISOString(),
      }),
    ];
    expect(analyse(rows, [], w).no_valid_token.periods[0]).toMatchObject({
      from: new Date(T0).toISOString(),
      minutes: (6 * 24 + 10) * 60 + 30,
    });
  });

  it('through the service: a first start on the 7th, and a deployment older than the month', async () => {
    const clock = new FastClock();
    const to = (time: number): void => clock.advance(time - clock.now());
    const env = freshEnv(sandbox);
    const svc = service(env, { clock });
    try {
      to(at(7, 10));
      await svc.acquireToken();
      to(at(7, 10, 5));
      expect((await svc.report('2026-11')).no_valid_token.minutes).toBe(0);
      // The token expires at 11:00: from then on the minutes count, not before 10:00.
      to(at(7, 12));
      const later = await svc.report('2026-11');
      expect(later.no_valid_token.periods).toHaveLength(1);
      expect(Math.abs(later.no_valid_token.minutes - 60)).toBeLessThanOrEqual(2);
      // The next month: the deployment existed before it, so its first day counts from 00:00.
      to(Date.UTC(2026, 11, 3));
      const december = await svc.report('2026-12');
      expect(december.no_valid_token.periods[0]?.from).toBe('2026-12-01T00:00:00.000Z');
    } finally {
      await svc.close();
    }
  });
});
