import { iso } from '../clock';
import { ERRORS, errorInfoForCode, GraphTokenError } from '../errors';
import type { AuditRow } from '../store';
import type { MonthlyReport, ReportError, ReportPeriod, ReportRefreshDay } from '../types';
import type { ServiceCore } from './context';

/**
 * The monthly error analysis (the seed's maintenance task; docs/operations.md, "Report"), computed from
 * the audit table alone: the month is one RowKey range of each audit partition (RowKeys are inverted
 * times), plus the day before it, so a token issued just before the month started counts as valid.
 */
const LOOKBACK_MS = 24 * 3600_000;
const MINUTE = 60_000;
const TOKEN_OPERATIONS = new Set(['acquire', 'refresh']);
const EVENT_PARTITION = 'events';

export function monthRange(
  month: string | undefined,
  now: number,
): { month: string; from: number; to: number } {
  const text = month ?? new Date(now).toISOString().slice(0, 7);
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(text);
  if (!match) {
    throw new GraphTokenError(ERRORS.INVALID_REQUEST, 'month must be YYYY-MM, e.g. 2026-05');
  }
  const year = Number(match[1]);
  const index = Number(match[2]) - 1;
  return { month: text, from: Date.UTC(year, index, 1), to: Date.UTC(year, index + 1, 1) };
}

export async function buildReport(core: ServiceCore, month?: string): Promise<MonthlyReport> {
  const now = core.clock.now();
  const range = monthRange(month, now);
  const end = Math.min(range.to, now);
  const rows: AuditRow[] = [];
  const events: AuditRow[] = [];
  if (end > range.from) {
    for await (const row of core.store.auditBetween(range.from - LOOKBACK_MS, end)) rows.push(row);
    for await (const row of core.store.auditBetween(range.from, end, EVENT_PARTITION)) events.push(row);
  }
  // Oldest first from here on.
  rows.reverse();
  events.reverse();
  const retentionStart = now - core.config.lifecycle.auditRetentionDays * 86_400_000;
  return analyse(rows, events, {
    month: range.month,
    from: range.from,
    end,
    now,
    note:
      range.from < retentionStart
        ? `Audit entries older than ${core.config.lifecycle.auditRetentionDays} days are deleted by cleanup: this month is incomplete`
        : null,
  });
}

interface Window {
  month: string;
  from: number;
  end: number;
  now: number;
  note: string | null;
}

/** Pure: the figures of a month from its audit rows (oldest first). Exported for unit tests. */
export function analyse(rows: AuditRow[], eventRows: AuditRow[], w: Window): MonthlyReport {
  const t = (row: AuditRow): number => Date.parse(row.time);
  const inMonth = rows.filter((r) => t(r) >= w.from && t(r) < w.end);
  const typeOf = (row: AuditRow): string => row.target.split('/')[0] ?? '';

  const days = new Map<string, ReportRefreshDay>();
  const totals = { success: 0, failure: 0 };
  const durations: number[] = [];
  const errors = new Map<string, ReportError>();
  for (const row of inMonth) {
    if (TOKEN_OPERATIONS.has(row.operation)) {
      const grant = row.grant ?? grantFromDetail(row.detail) ?? 'none';
      const date = row.time.slice(0, 10);
      const key = `${date}|${grant}|${row.outcome}`;
      const day = days.get(key) ?? { date, grant, outcome: row.outcome, count: 0 };
      day.count++;
      days.set(key, day);
      totals[row.outcome]++;
      if (row.duration_ms !== undefined && grant !== 'none') durations.push(row.duration_ms);
    }
    if (row.outcome === 'failure' && row.error_code) {
      const e = errors.get(row.error_code) ?? {
        code: row.error_code,
        count: 0,
        first_seen: row.time,
        last_seen: row.time,
        hint: errorInfoForCode(row.error_code)?.hint ?? null,
        last_message: null,
      };
      e.count++;
      e.last_seen = row.time;
      e.last_message = row.detail;
      errors.set(row.error_code, e);
    }
  }

  const eventCounts = new Map<string, { operation: string; outcome: 'success' | 'failure'; count: number }>();
  const eventsByOutcome = { success: 0, failure: 0 };
  const eventSources = [
    ...inMonth.filter((r) => r.operation === 'create-event'),
    ...eventRows.filter((r) => t(r) >= w.from && t(r) < w.end),
  ];
  for (const row of eventSources) {
    const key = `${row.operation}|${row.outcome}`;
    const entry = eventCounts.get(key) ?? { operation: row.operation, outcome: row.outcome, count: 0 };
    entry.count++;
    eventCounts.set(key, entry);
    eventsByOutcome[row.outcome]++;
  }

  const types = new Set(rows.filter((r) => TOKEN_OPERATIONS.has(r.operation)).map(typeOf));
  if (types.size === 0) types.add('ropc');
  const noToken: ReportPeriod[] = [];
  const blocks: ReportPeriod[] = [];
  const signIn: ReportPeriod[] = [];
  for (const type of types) {
    const ofType = rows.filter((r) => typeOf(r) === type);
    noToken.push(...gaps(type, validity(ofType), w));
    blocks.push(
      ...periods(type, ofType, w, {
        opens: (r) =>
          TOKEN_OPERATIONS.has(r.operation) &&
          r.outcome === 'failure' &&
          ((r.grant === 'password' && errorInfoForCode(r.error_code ?? '')?.category === 'credential') ||
            r.error_code === ERRORS.CREDENTIALS_BLOCKED.code),
        closes: (r) => TOKEN_OPERATIONS.has(r.operation) && r.outcome === 'success' && r.grant === 'password',
      }),
    );
    signIn.push(
      ...periods(type, ofType, w, {
        opens: (r) => r.outcome === 'failure' && r.error_code === 'SIGN_IN_REQUIRED',
        closes: (r) => TOKEN_OPERATIONS.has(r.operation) && r.outcome === 'success',
      }),
    );
  }

  durations.sort((a, b) => a - b);
  return {
    month: w.month,
    from: iso(w.from),
    to: iso(Math.max(w.from, w.end)),
    generated_at: iso(w.now),
    audit_entries: inMonth.length + eventRows.length,
    note: w.note,
    refreshes: [...days.values()].sort(
      (a, b) =>
        a.date.localeCompare(b.date) || a.grant.localeCompare(b.grant) || a.outcome.localeCompare(b.outcome),
    ),
    refresh_totals: totals,
    errors: [...errors.values()].sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
    no_valid_token: { minutes: sum(noToken), periods: noToken },
    credential_blocks: blocks,
    sign_in_required: signIn,
    refresh_duration_ms: {
      count: durations.length,
      p50: percentile(durations, 0.5),
      p95: percentile(durations, 0.95),
    },
    events: [...eventCounts.values()].sort(
      (a, b) => a.operation.localeCompare(b.operation) || a.outcome.localeCompare(b.outcome),
    ),
    events_by_outcome: eventsByOutcome,
  };
}

/** `grant=password` in the detail of entries written before the grant had a column of its own. */
function grantFromDetail(detail: string | null): string | undefined {
  return /\bgrant=([a-z_]+)/.exec(detail ?? '')?.[1];
}

/**
 * When a valid token existed: each successful acquire/refresh starts one, valid until its `expires_at`
 * column (an hour when absent) or until that token is deactivated.
 */
function validity(rows: AuditRow[]): [number, number][] {
  const spans = new Map<string, [number, number]>();
  for (const row of rows) {
    const id = row.target.split('/')[1];
    if (!id) continue;
    const at = Date.parse(row.time);
    if (TOKEN_OPERATIONS.has(row.operation) && row.outcome === 'success') {
      const expires = row.expires_at ? Date.parse(row.expires_at) : at + 3600_000;
      spans.set(id, [at, expires]);
    } else if (row.operation === 'deactivate' && row.outcome === 'success') {
      const span = spans.get(id);
      if (span) span[1] = Math.min(span[1], at);
    }
  }
  return [...spans.values()].sort((a, b) => a[0] - b[0]);
}

/** The parts of [from, end) that no span covers, in whole minutes. */
function gaps(type: string, spans: [number, number][], w: Window): ReportPeriod[] {
  const out: ReportPeriod[] = [];
  let cursor = w.from;
  const push = (a: number, b: number): void => {
    const minutes = Math.floor((b - a) / MINUTE);
    if (minutes > 0) out.push({ token_type: type, from: iso(a), to: b >= w.now ? null : iso(b), minutes });
  };
  for (const [start, stop] of spans) {
    if (stop <= cursor) continue;
    if (start > cursor) push(cursor, Math.min(start, w.end));
    cursor = Math.max(cursor, stop);
    if (cursor >= w.end) break;
  }
  if (cursor < w.end) push(cursor, w.end);
  return out;
}

/** Periods between an opening entry and the next closing one, clipped to the month. */
function periods(
  type: string,
  rows: AuditRow[],
  w: Window,
  rule: { opens: (r: AuditRow) => boolean; closes: (r: AuditRow) => boolean },
): ReportPeriod[] {
  const out: ReportPeriod[] = [];
  let open: { at: number; code: string | undefined } | undefined;
  const close = (at: number | null): void => {
    if (!open) return;
    const from = Math.max(open.at, w.from);
    const to = at === null ? w.end : Math.min(at, w.end);
    if (to > w.from) {
      out.push({
        token_type: type,
        from: iso(from),
        to: at === null ? null : iso(to),
        minutes: Math.floor((to - from) / MINUTE),
        ...(open.code ? { code: open.code } : {}),
      });
    }
    open = undefined;
  };
  for (const row of rows) {
    const at = Date.parse(row.time);
    if (!open && rule.opens(row)) open = { at, code: row.error_code ?? undefined };
    else if (open && rule.closes(row)) close(at);
  }
  close(null);
  return out;
}

/** Nearest rank. */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

const sum = (periods: ReportPeriod[]): number => periods.reduce((n, p) => n + p.minutes, 0);
