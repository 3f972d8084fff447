import { ERRORS, GraphTokenError } from '../errors';
import type { AuditRow } from '../store';
import type { MonthlyReport } from '../types';
import type { ServiceCore } from './context';
import { ReportAggregator, type DaySummary, type Window } from './reportAggregator';

/**
 * The monthly error analysis (the seed's maintenance task; docs/operations.md, "Report"), computed from
 * the audit table alone: the month's UTC days plus the day before it (so a token issued just before the
 * month started counts as valid), each a RowKey range of its day partition. Entries are aggregated as
 * the pages arrive (`ReportAggregator`), in whatever order, and each closed day is summarised once (one
 * stored row), so a month of 100 000 entries is read in full only by its first report; later ones read
 * a summary per day and today's entries.
 *
 * "Minutes with no valid token" count from the month's start when the deployment already existed (an
 * audit entry older than the month), else from its first audit entry in the month: a service first
 * started on the 7th was not "without a token" from the 1st.
 */
const DAY_MS = 86_400_000;
const LOOKBACK_MS = DAY_MS;
/** A day is summarised once it ended this long ago (an entry of a slow or skewed writer still counts). */
const SETTLE_MS = 3600_000;
/** Days read side by side. */
const PARALLEL_DAYS = 4;
const DAYS_ONLY = { days: true, legacy: false };
const LEGACY_ONLY = { days: false, legacy: true };

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
  const window: Window = {
    month: range.month,
    from: range.from,
    end,
    now,
    note:
      range.from < retentionStart
        ? `Audit entries older than ${core.config.lifecycle.auditRetentionDays} days are deleted by cleanup: this month is incomplete`
        : null,
  };
  const aggregator = new ReportAggregator(window);
  if (end > range.from) {
    const first = range.from - LOOKBACK_MS;
    const summaries = await core.store.readAuditSummaries(first, end);
    const days: number[] = [];
    for (let day = first; day < end; day += DAY_MS) days.push(day);
    let next = 0;
    await Promise.all([
      ...Array.from({ length: Math.min(PARALLEL_DAYS, days.length) }, async () => {
        while (next < days.length) await readDay(core, aggregator, days[next++]!, summaries, window);
      }),
      // Entries of the single-partition layout (before day partitions): read as they are, never summarised.
      core.store.forEachAudit(first, end, 'tokens', (row) => aggregator.add(row), LEGACY_ONLY),
      core.store.forEachAudit(range.from, end, 'events', (row) => aggregator.addEvent(row), LEGACY_ONLY),
    ]);
    // No entry in the day before the month: one point query says whether the deployment is older still.
    if (!aggregator.sawEntryBeforeMonth) {
      aggregator.deployedBeforeMonth = await core.store.auditExistsBefore(first);
    }
  }
  return aggregator.result();
}

/**
 * Stores the summary of every closed day of the current month that has none (and, in a month's first
 * days, of the month before): what the daily cleanup calls, so reports never read past days entry by
 * entry. Building the report does exactly that; its figures are not needed here.
 */
export async function summariseClosedDays(core: ServiceCore): Promise<void> {
  const now = core.clock.now();
  const current = monthRange(undefined, now);
  if (now - current.from < 2 * DAY_MS) {
    await buildReport(core, new Date(current.from - 1).toISOString().slice(0, 7));
  }
  await buildReport(core, current.month);
}

/**
 * One UTC day of the report: its stored summary when there is one; else, once the day is closed (ended
 * more than `SETTLE_MS` ago, so no entry can still arrive), its entries summarised, stored and merged;
 * else (today) its entries straight into the report. The day before the month only lends its tokens.
 */
async function readDay(
  core: ServiceCore,
  aggregator: ReportAggregator,
  day: number,
  summaries: Map<number, unknown>,
  w: Window,
): Promise<void> {
  const dayEnd = day + DAY_MS;
  const stored = summaries.get(day) as DaySummary | undefined;
  if (stored?.v === 1 && stored.day === day) return aggregator.merge(stored);
  const events = day >= w.from;
  if (dayEnd <= w.end && dayEnd + SETTLE_MS <= w.now) {
    const one = new ReportAggregator({ month: w.month, from: day, end: dayEnd, now: w.now, note: null });
    await Promise.all([
      core.store.forEachAudit(day, dayEnd, 'tokens', (row) => one.add(row), DAYS_ONLY),
      events
        ? core.store.forEachAudit(day, dayEnd, 'events', (row) => one.addEvent(row), DAYS_ONLY)
        : undefined,
    ]);
    const summary = one.exportDay();
    // Stored when worth it: never the lookback day (summarised without its events, so not the whole
    // day), an empty day, or a day cleanup is about to delete.
    const empty = summary.entries === 0 && Object.keys(summary.types).length === 0;
    const retained = day >= w.now - core.config.lifecycle.auditRetentionDays * DAY_MS;
    if (events && !empty && retained) {
      await core.store.writeAuditSummary(day, summary).catch((error: unknown) => {
        core.logger.log('warn', 'report_summary_not_stored', { day: new Date(day).toISOString(), error });
      });
    }
    return aggregator.merge(summary);
  }
  const to = Math.min(dayEnd, w.end);
  await Promise.all([
    core.store.forEachAudit(day, to, 'tokens', (row) => aggregator.add(row), DAYS_ONLY),
    events
      ? core.store.forEachAudit(day, to, 'events', (row) => aggregator.addEvent(row), DAYS_ONLY)
      : undefined,
  ]);
}

/** Pure: the figures of a month from its audit rows (any order). Exported for unit tests. */
export function analyse(rows: AuditRow[], eventRows: AuditRow[], w: Window): MonthlyReport {
  const aggregator = new ReportAggregator(w);
  for (const row of rows) aggregator.add(row);
  for (const row of eventRows) aggregator.addEvent(row);
  return aggregator.result();
}
