import { iso } from '../clock';
import { ERRORS, errorInfoForCode } from '../errors';
import type { AuditRow } from '../store';
import type { MonthlyReport, ReportError, ReportPeriod, ReportRefreshDay } from '../types';
import {
  gaps,
  percentile,
  periods,
  sum,
  transitions,
  union,
  validity,
  type PerType,
  type Window,
} from './reportPeriods';

export type { Window } from './reportPeriods';

/**
 * The report's figures (docs/operations.md, "Report"), fed one audit row at a time in any order, or one
 * closed day's summary at a time (`DaySummary`, what `exportDay` made of that day's rows).
 */
const TOKEN_OPERATIONS = new Set(['acquire', 'refresh']);

/**
 * What one closed UTC day contributes to a report, stored once by the first report that reads the day
 * (store/audit.ts, `summary` partition), so later reports read one row instead of the day's entries.
 * Exact: counts and the duration histogram merge by addition; validity is kept as settled intervals
 * plus, by token id, the spans that end after the day (a later deactivation may still cut those); the
 * period marks are collapsed to their transitions (repeats change nothing in `periods`).
 */
export interface DaySummary {
  v: 1;
  day: number;
  entries: number;
  first_at: number | null;
  refreshes: [grant: string, outcome: 'success' | 'failure', count: number][];
  durations: [value: number, count: number][];
  errors: ReportError[];
  events: [operation: string, outcome: 'success' | 'failure', count: number][];
  types: Record<
    string,
    {
      token: boolean;
      fixed: [number, number][];
      open: [id: string, start: number, stop: number][];
      /** Deactivations of tokens issued on earlier days. */
      deactivations: [id: string, at: number][];
      marks: [at: number, flags: number, code: string | null][];
    }
  >;
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
  /** Exchange durations (ms) → how many: exact percentiles, and mergeable from day summaries. */
  private readonly durations = new Map<number, number>();
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
      of = { fixed: [], spans: new Map(), deactivations: new Map(), marks: [] };
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
    if (row.duration_ms !== undefined && grant !== 'none') {
      this.durations.set(row.duration_ms, (this.durations.get(row.duration_ms) ?? 0) + 1);
    }
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

  /** This aggregator's rows, all of one closed day [w.from, w.end), as that day's summary. */
  exportDay(): DaySummary {
    const types: DaySummary['types'] = {};
    for (const [type, of] of this.perType) {
      const settled: [number, number][] = [];
      const open: [string, number, number][] = [];
      for (const [id, [start, expires]] of of.spans) {
        let stop = expires;
        for (const at of of.deactivations.get(id) ?? []) if (at >= start) stop = Math.min(stop, at);
        if (stop <= this.w.end) settled.push([start, stop]);
        else open.push([id, start, stop]);
      }
      const deactivations: [string, number][] = [];
      for (const [id, times] of of.deactivations) {
        if (!of.spans.has(id)) for (const at of times) deactivations.push([id, at]);
      }
      types[type] = {
        token: this.tokenTypes.has(type),
        fixed: union([...of.fixed, ...settled]),
        open,
        deactivations,
        marks: transitions(of.marks, 1, 2, 4, 8).map((m) => [m.at, m.flags, m.code ?? null]),
      };
    }
    return {
      v: 1,
      day: this.w.from,
      entries: this.entries,
      first_at: Number.isFinite(this.firstInWindow) ? this.firstInWindow : null,
      refreshes: [...this.days.values()].map((d) => [d.grant, d.outcome, d.count]),
      durations: [...this.durations],
      errors: [...this.errors.values()],
      events: [...this.eventCounts.values()].map((e) => [e.operation, e.outcome, e.count]),
      types,
    };
  }

  /** A closed day's summary: counted when the day is inside the month, else only its validity and marks. */
  merge(summary: DaySummary): void {
    const inside = summary.day >= this.w.from && summary.day < this.w.end;
    if (!inside && summary.entries > 0 && summary.day < this.w.from) this.sawEntryBeforeMonth = true;
    if (inside) {
      this.entries += summary.entries;
      if (summary.first_at !== null) this.firstInWindow = Math.min(this.firstInWindow, summary.first_at);
      const date = iso(summary.day).slice(0, 10);
      for (const [grant, outcome, count] of summary.refreshes) {
        const key = `${date}|${grant}|${outcome}`;
        const day = this.days.get(key) ?? { date, grant, outcome, count: 0 };
        day.count += count;
        this.days.set(key, day);
        this.totals[outcome] += count;
      }
      for (const [value, count] of summary.durations) {
        this.durations.set(value, (this.durations.get(value) ?? 0) + count);
      }
      for (const e of summary.errors) {
        const known = this.errors.get(e.code);
        if (!known) this.errors.set(e.code, { ...e });
        else {
          known.count += e.count;
          if (e.first_seen < known.first_seen) known.first_seen = e.first_seen;
          if (e.last_seen >= known.last_seen) {
            known.last_seen = e.last_seen;
            known.last_message = e.last_message;
          }
        }
      }
      for (const [operation, outcome, count] of summary.events) {
        const key = `${operation}|${outcome}`;
        const entry = this.eventCounts.get(key) ?? { operation, outcome, count: 0 };
        entry.count += count;
        this.eventCounts.set(key, entry);
        this.eventsByOutcome[outcome] += count;
      }
    }
    for (const [type, t] of Object.entries(summary.types)) {
      if (t.token) this.tokenTypes.add(type);
      let of = this.perType.get(type);
      if (!of) {
        of = { fixed: [], spans: new Map(), deactivations: new Map(), marks: [] };
        this.perType.set(type, of);
      }
      of.fixed.push(...t.fixed);
      for (const [id, start, stop] of t.open) {
        const span = of.spans.get(id);
        if (!span || span[0] <= start) of.spans.set(id, [start, stop]);
      }
      for (const [id, at] of t.deactivations) {
        const list = of.deactivations.get(id) ?? [];
        list.push(at);
        of.deactivations.set(id, list);
      }
      for (const [at, flags, code] of t.marks) of.marks.push({ at, flags, code: code ?? undefined });
    }
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
      const of = this.perType.get(type) ?? {
        fixed: [],
        spans: new Map(),
        deactivations: new Map(),
        marks: [],
      };
      noToken.push(...gaps(type, validity(of), countFrom, w));
      of.marks.sort((a, b) => a.at - b.at);
      blocks.push(...periods(type, of.marks, w, 1, 2));
      signIn.push(...periods(type, of.marks, w, 4, 8));
    }
    const durations = [...this.durations].sort((a, b) => a[0] - b[0]);
    const durationCount = durations.reduce((n, [, count]) => n + count, 0);
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
        count: durationCount,
        p50: percentile(durations, durationCount, 0.5),
        p95: percentile(durations, durationCount, 0.95),
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
