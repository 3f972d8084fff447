import { iso } from '../clock';
import { ERRORS, errorInfoForCode, GraphTokenError } from '../errors';
import type { AuditRow } from '../store';
import type { MonthlyReport, ReportError, ReportPeriod, ReportRefreshDay } from '../types';
import type { ServiceCore } from './context';

/**
 * The monthly error analysis (the seed's maintenance task; docs/operations.md, "Report"), computed from
 * the audit table alone: the month is one RowKey range of each audit partition (RowKeys are inverted
 * times), plus the day before it, so a token issued just before the month started counts as valid.
 * Entries are aggregated as the pages arrive (`ReportAggregator`), in whatever order: a month of 100 000
 * entries costs its transfer and a few compact arrays, never 100 000 objects held at once.
 *
 * "Minutes with no valid token" count from the month's start when the deployment already existed (an
 * audit entry older than the month), else from its first audit entry in the month: a service first
 * started on the 7th was not "without a token" from the 1st.
 */
const LOOKBACK_MS = 24 * 3600_000;
const MINUTE = 60_000;
const TOKEN_OPERATIONS = new Set(['acquire', 'refresh']);

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
  const retentionStart = now - core.config.lifecycle.auditRetentionDays * 86_400_000;
  const aggregator = new ReportAggregator({
    month: range.month,
    from: range.from,
    end,
    now,
    note:
      range.from < retentionStart
        ? `Audit entries older than ${core.config.lifecycle.auditRetentionDays} days are deleted by cleanup: this month is incomplete`
        : null,
  });
  if (end > range.from) {
    await Promise.all([
      core.store.forEachAudit(range.from - LOOKBACK_MS, end, 'tokens', (row) => aggregator.add(row)),
      core.store.forEachAudit(range.from, end, 'events', (row) => aggregator.addEvent(row)),
    ]);
    // No entry in the day before the month: one point query says whether the deployment is older still.
    if (!aggregator.sawEntryBeforeMonth) {
      aggregator.deployedBeforeMonth = await core.store.auditExistsBefore(range.from - LOOKBACK_MS);
    }
  }
  return aggregator.result();
}

interface Window {
  month: string;
  from: number;
  end: number;
  now: number;
  note: string | null;
}

/** Pure: the figures of a month from its audit rows (any order). Exported for unit tests. */
export function analyse(rows: AuditRow[], eventRows: AuditRow[], w: Window): MonthlyReport {
  const aggregator = new ReportAggregator(w);
  for (const row of rows) aggregator.add(row);
  for (const row of eventRows) aggregator.addEvent(row);
  return aggregator.result();
}

/** A row that opens or closes a period (credential block, sign-in required), kept compactly. */
interface Mark {
  at: number;
  /** Bits: 1 opens a block, 2 closes a block, 4 opens sign-in required, 8 closes it. */
  flags: number;
  code: string | undefined;
}

interface PerType {
  /** Token id → [issued, expires] of the latest successful acquire/refresh that stored it. */
  spans: Map<string, [number, number]>;
  /** Token id → times it was deactivated. */
  deactivations: Map<string, number[]>;
  marks: Mark[];
}

/**
 * The report's figures, fed one audit row at a time in any order (the table yields newest first; tests
 * pass oldest first). Counts are kept as they come; what depends on order (validity spans, block and
 * sign-in periods) keeps one small record per relevant row and is ordered once, in `result`.
 */
export class ReportAggregator {
  /** A token-partition row older than the month was seen (the lookback day). */
  sawEntryBeforeMonth = false;
  /** Set by the caller when an entry older than everything it read exists. */
  deployedBeforeMonth = false;
  private firstInWindow = Infinity;
  private entries = 0;
  private readonly days = new Map<string, ReportRefreshDay>();
  private readonly totals = { success: 0, failure: 0 };
  private readonly durations: number[] = [];
  private readonly errors = new Map<string, ReportError>();
  private readonly eventCounts = new Map<
    string,
    { operation: string; outcome: 'success' | 'failure'; count: number }
  >();
  private readonly eventsByOutcome = { success: 0, failure: 0 };
  private readonly perType = new Map<string, PerType>();
  /** Types that had a token operation (the ones the validity and periods are reported for). */
  private readonly tokenTypes = new Set<string>();

  constructor(private readonly w: Window) {}

  /** A row of the token partition (`audit`). */
  add(row: AuditRow): void {
    const at = Date.parse(row.time);
    const token = TOKEN_OPERATIONS.has(row.operation);
    if (at < this.w.from) this.sawEntryBeforeMonth = true;
    if (at >= this.w.from && at < this.w.end) {
      this.entries++;
      this.firstInWindow = Math.min(this.firstInWindow, at);
      if (token) this.countExchange(row);
      if (row.outcome === 'failure' && row.error_code) this.countError(row);
      // Event entries written to the token partition before events had a partition of their own.
      if (row.operation === 'create-event') this.countEvent(row);
    }
    const slash = row.target.indexOf('/');
    const type = slash < 0 ? row.target : row.target.slice(0, slash);
    const id = slash < 0 ? '' : row.target.slice(slash + 1);
    if (token) this.tokenTypes.add(type);
    const flags =
      (token &&
      row.outcome === 'failure' &&
      ((row.grant === 'password' && errorInfoForCode(row.error_code ?? '')?.category === 'credential') ||
        row.error_code === ERRORS.CREDENTIALS_BLOCKED.code)
        ? 1
        : 0) |
      (token && row.outcome === 'success' && row.grant === 'password' ? 2 : 0) |
      (row.outcome === 'failure' && row.error_code === 'SIGN_IN_REQUIRED' ? 4 : 0) |
      (token && row.outcome === 'success' ? 8 : 0);
    const validity = id !== '' && row.outcome === 'success' && (token || row.operation === 'deactivate');
    if (flags === 0 && !validity) return;
    let of = this.perType.get(type);
    if (!of) {
      of = { spans: new Map(), deactivations: new Map(), marks: [] };
      this.perType.set(type, of);
    }
    if (flags !== 0) of.marks.push({ at, flags, code: row.error_code ?? undefined });
    if (validity && token) {
      // Each success stores a new token (id); valid until its expiry (an hour when not recorded).
      const span = of.spans.get(id);
      if (!span || span[0] <= at) {
        of.spans.set(id, [at, row.expires_at ? Date.parse(row.expires_at) : at + 3600_000]);
      }
    } else if (validity) {
      const list = of.deactivations.get(id) ?? [];
      list.push(at);
      of.deactivations.set(id, list);
    }
  }

  /** A row of the events partition. */
  addEvent(row: AuditRow): void {
    const at = Date.parse(row.time);
    if (at < this.w.from || at >= this.w.end) return;
    this.entries++;
    this.firstInWindow = Math.min(this.firstInWindow, at);
    this.countEvent(row);
  }

  private countExchange(row: AuditRow): void {
    const grant = row.grant ?? grantFromDetail(row.detail) ?? 'none';
    const date = row.time.slice(0, 10);
    const key = `${date}|${grant}|${row.outcome}`;
    const day = this.days.get(key) ?? { date, grant, outcome: row.outcome, count: 0 };
    day.count++;
    this.days.set(key, day);
    this.totals[row.outcome]++;
    if (row.duration_ms !== undefined && grant !== 'none') this.durations.push(row.duration_ms);
  }

  private countError(row: AuditRow): void {
    const code = row.error_code!;
    const e = this.errors.get(code);
    if (!e) {
      this.errors.set(code, {
        code,
        count: 1,
        first_seen: row.time,
        last_seen: row.time,
        hint: errorInfoForCode(code)?.hint ?? null,
        last_message: row.detail,
      });
      return;
    }
    e.count++;
    if (row.time < e.first_seen) e.first_seen = row.time;
    if (row.time >= e.last_seen) {
      e.last_seen = row.time;
      e.last_message = row.detail;
    }
  }

  private countEvent(row: AuditRow): void {
    const key = `${row.operation}|${row.outcome}`;
    const entry = this.eventCounts.get(key) ?? { operation: row.operation, outcome: row.outcome, count: 0 };
    entry.count++;
    this.eventCounts.set(key, entry);
    this.eventsByOutcome[row.outcome]++;
  }

  result(): MonthlyReport {
    const w = this.w;
    // The deployment's first record: the month's start if it existed before, else its first entry.
    const countFrom =
      this.sawEntryBeforeMonth || this.deployedBeforeMonth ? w.from : Math.min(this.firstInWindow, w.end);
    const types = this.tokenTypes.size > 0 ? [...this.tokenTypes] : ['ropc'];
    const noToken: ReportPeriod[] = [];
    const blocks: ReportPeriod[] = [];
    const signIn: ReportPeriod[] = [];
    for (const type of types) {
      const of = this.perType.get(type) ?? { spans: new Map(), deactivations: new Map(), marks: [] };
      noToken.push(...gaps(type, validity(of), countFrom, w));
      of.marks.sort((a, b) => a.at - b.at);
      blocks.push(...periods(type, of.marks, w, 1, 2));
      signIn.push(...periods(type, of.marks, w, 4, 8));
    }
    this.durations.sort((a, b) => a - b);
    return {
      month: w.month,
      from: iso(w.from),
      to: iso(Math.max(w.from, w.end)),
      generated_at: iso(w.now),
      audit_entries: this.entries,
      note: w.note,
      refreshes: [...this.days.values()].sort(
        (a, b) =>
          a.date.localeCompare(b.date) ||
          a.grant.localeCompare(b.grant) ||
          a.outcome.localeCompare(b.outcome),
      ),
      refresh_totals: { ...this.totals },
      errors: [...this.errors.values()].sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
      no_valid_token: { minutes: sum(noToken), periods: noToken },
      credential_blocks: blocks,
      sign_in_required: signIn,
      refresh_duration_ms: {
        count: this.durations.length,
        p50: percentile(this.durations, 0.5),
        p95: percentile(this.durations, 0.95),
      },
      events: [...this.eventCounts.values()].sort(
        (a, b) => a.operation.localeCompare(b.operation) || a.outcome.localeCompare(b.outcome),
      ),
      events_by_outcome: { ...this.eventsByOutcome },
    };
  }
}

/** `grant=password` in the detail of entries written before the grant had a column of its own. */
function grantFromDetail(detail: string | null): string | undefined {
  return /\bgrant=([a-z_]+)/.exec(detail ?? '')?.[1];
}

/**
 * When a valid token existed: each successful acquire/refresh starts one, valid until its `expires_at`
 * column (an hour when absent) or until that token is deactivated.
 */
function validity(of: PerType): [number, number][] {
  const spans: [number, number][] = [];
  for (const [id, [start, expires]] of of.spans) {
    let stop = expires;
    for (const at of of.deactivations.get(id) ?? []) if (at >= start) stop = Math.min(stop, at);
    spans.push([start, stop]);
  }
  return spans.sort((a, b) => a[0] - b[0]);
}

/** The parts of [countFrom, end) that no span covers, in whole minutes. */
function gaps(type: string, spans: [number, number][], countFrom: number, w: Window): ReportPeriod[] {
  const out: ReportPeriod[] = [];
  let cursor = countFrom;
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

/** Periods between an opening mark and the next closing one (ordered marks), clipped to the month. */
function periods(type: string, marks: Mark[], w: Window, opens: number, closes: number): ReportPeriod[] {
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
  for (const mark of marks) {
    if (!open && mark.flags & opens) open = { at: mark.at, code: mark.code };
    else if (open && mark.flags & closes) close(mark.at);
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
