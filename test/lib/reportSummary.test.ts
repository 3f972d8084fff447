/**
 * Day summaries of the report (docs/operations.md, "Report"): a month summarised day by day and merged
 * gives exactly the figures of the same month read entry by entry — counts, percentiles, errors, minutes
 * without a token (with tokens that cross midnight and are deactivated the next day), blocks and
 * sign-in periods — and a summary survives JSON (it is stored as text).
 */
import type { AuditRow } from '../../src/lib/store';
import { analyse, monthRange } from '../../src/lib/service/report';
import { ReportAggregator, type DaySummary } from '../../src/lib/service/reportAggregator';

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);
let seq = 0;
const row = (time: number, fields: Partial<AuditRow>): AuditRow => ({
  id: String(seq++),
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

function month(): { rows: AuditRow[]; events: AuditRow[] } {
  const rows: AuditRow[] = [];
  const events: AuditRow[] = [];
  // The day before the month: a token valid into it.
  rows.push(
    row(T0 - 30 * MIN, {
      target: 'ropc/pre',
      grant: 'refresh_token',
      expires_at: new Date(T0 + 30 * MIN).toISOString(),
    }),
  );
  for (let day = 0; day < 12; day++) {
    const base = T0 + day * DAY;
    // A token every 50 minutes valid 60, with a gap on day 3, and a token across midnight on day 5
    // deactivated on day 6.
    for (let m = 0; m < 24 * 60; m += 50) {
      if (day === 3 && m > 600 && m < 900) continue;
      const at = base + m * MIN;
      rows.push(
        row(at, {
          target: `ropc/d${day}m${m}`,
          grant: m % 200 === 0 ? 'password' : 'refresh_token',
          duration_ms: (m % 97) + day,
          expires_at: new Date(at + 60 * MIN).toISOString(),
        }),
      );
    }
    if (day === 5) {
      rows.push(
        row(base + 23 * 60 * MIN + 50 * MIN, {
          target: 'ropc/night',
          grant: 'refresh_token',
          expires_at: new Date(base + DAY + 180 * MIN).toISOString(),
        }),
      );
    }
    if (day === 6) rows.push(row(base + 20 * MIN, { operation: 'deactivate', target: 'ropc/night' }));
    if (day === 7) {
      rows.push(
        row(base + 9 * 60 * MIN + 5 * MIN, {
          outcome: 'failure',
          grant: 'password',
          error_code: 'INVALID_CREDENTIALS',
          detail: 'rejected',
          target: 'ropc',
        }),
      );
      rows.push(
        row(base + 10 * 60 * MIN + 5 * MIN, {
          outcome: 'failure',
          error_code: 'CREDENTIALS_BLOCKED',
          detail: 'blocked',
          target: 'ropc',
        }),
      );
    }
    if (day === 9)
      rows.push(
        row(base + 60 * MIN, {
          outcome: 'failure',
          operation: 'sign-in',
          error_code: 'SIGN_IN_REQUIRED',
          target: 'ropc',
        }),
      );
    events.push(row(base + 5 * MIN, { operation: 'create-event', target: 'g/e', partition: 'events' }));
    events.push(
      row(base + 6 * MIN, {
        operation: 'update-event',
        outcome: 'failure',
        target: 'g/e',
        partition: 'events',
      }),
    );
  }
  return { rows, events };
}

it('merging day summaries gives the figures of reading every entry', () => {
  const { rows, events } = month();
  const range = monthRange('2026-11', T0);
  const w = {
    month: '2026-11',
    from: range.from,
    end: T0 + 12 * DAY + 3 * 3600_000,
    now: T0 + 12 * DAY + 3 * 3600_000,
    note: null,
  };
  const direct = analyse([...rows].reverse(), events, w);

  const merged = new ReportAggregator(w);
  for (let day = T0 - DAY; day < T0 + 12 * DAY; day += DAY) {
    const one = new ReportAggregator({ ...w, from: day, end: day + DAY });
    for (const r of rows) if (Date.parse(r.time) >= day && Date.parse(r.time) < day + DAY) one.add(r);
    if (day >= T0)
      for (const e of events)
        if (Date.parse(e.time) >= day && Date.parse(e.time) < day + DAY) one.addEvent(e);
    merged.merge(JSON.parse(JSON.stringify(one.exportDay())) as DaySummary);
  }
  // Today (day 12) is not summarised: its entries go straight in.
  const result = merged.result();
  expect(result).toEqual(direct);
  expect(direct.no_valid_token.periods.length).toBeGreaterThan(1);
  expect(direct.credential_blocks).toHaveLength(2);
  expect(direct.sign_in_required).toHaveLength(1);
  expect(direct.errors.map((e) => e.code).sort()).toEqual([
    'CREDENTIALS_BLOCKED',
    'INVALID_CREDENTIALS',
    'SIGN_IN_REQUIRED',
  ]);
});

it('a summary keeps only what later days can change: settled intervals, open spans, transitions', () => {
  const { rows } = month();
  const day = T0 + 5 * DAY;
  const one = new ReportAggregator({
    month: '2026-11',
    from: day,
    end: day + DAY,
    now: day + 2 * DAY,
    note: null,
  });
  for (const r of rows) if (Date.parse(r.time) >= day && Date.parse(r.time) < day + DAY) one.add(r);
  const summary = one.exportDay();
  const ropc = summary.types.ropc!;
  expect(ropc.fixed.length).toBeLessThanOrEqual(2);
  expect(ropc.open.map(([id]) => id).sort()).toEqual(
    ['d5m1400', 'night'].map((x) => (x === 'night' ? 'night' : x)).sort(),
  );
  expect(ropc.marks.length).toBeLessThanOrEqual(2);
});
