import { iso } from '../clock';
import type { ReportPeriod } from '../types';

/** The order-dependent figures of the report (validity gaps, periods) and its percentiles: pure. */
const MINUTE = 60_000;

/** The month (or day) a report covers: [from, end), at `now`. */
export interface Window {
  month: string;
  from: number;
  end: number;
  now: number;
  note: string | null;
}

/** A row that opens or closes a period (credential block, sign-in required), kept compactly. */
export interface Mark {
  at: number;
  /** Bits: 1 opens a block, 2 closes a block, 4 opens sign-in required, 8 closes it. */
  flags: number;
  code: string | undefined;
}

export interface PerType {
  /** Validity already settled by a day summary (no later deactivation can cut it). */
  fixed: [number, number][];
  /** Token id → [issued, expires] of the latest successful acquire/refresh that stored it. */
  spans: Map<string, [number, number]>;
  /** Token id → times it was deactivated. */
  deactivations: Map<string, number[]>;
  marks: Mark[];
}

/**
 * When a valid token existed: each successful acquire/refresh starts one, valid until its `expires_at`
 * column (an hour when absent) or until that token is deactivated.
 */
export function validity(of: PerType): [number, number][] {
  const spans: [number, number][] = [...of.fixed];
  for (const [id, [start, expires]] of of.spans) {
    let stop = expires;
    for (const at of of.deactivations.get(id) ?? []) if (at >= start) stop = Math.min(stop, at);
    spans.push([start, stop]);
  }
  return spans.sort((a, b) => a[0] - b[0]);
}

/** The parts of [countFrom, end) that no span covers, in whole minutes. */
export function gaps(type: string, spans: [number, number][], countFrom: number, w: Window): ReportPeriod[] {
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
export function periods(
  type: string,
  marks: Mark[],
  w: Window,
  opens: number,
  closes: number,
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
  for (const mark of marks) {
    if (!open && mark.flags & opens) open = { at: mark.at, code: mark.code };
    else if (open && mark.flags & closes) close(mark.at);
  }
  close(null);
  return out;
}

/** Sorted, overlapping or touching intervals joined. */
export function union(spans: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [start, stop] of [...spans].sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], stop);
    else out.push([start, stop]);
  }
  return out;
}

/**
 * The marks that change something, per rule (opens/closes bit pairs): in time order, the first open
 * after a close and the first close after an open — `periods` ignores every other mark.
 */
export function transitions(marks: Mark[], ...bits: number[]): Mark[] {
  const sorted = [...marks].sort((a, b) => a.at - b.at);
  const out: Mark[] = [];
  for (let r = 0; r < bits.length; r += 2) {
    const [opens, closes] = [bits[r]!, bits[r + 1]!];
    let last: 'open' | 'close' | undefined;
    for (const m of sorted) {
      if (m.flags & opens && last !== 'open') {
        out.push({ at: m.at, flags: opens, code: m.code });
        last = 'open';
      } else if (m.flags & closes && last !== 'close') {
        out.push({ at: m.at, flags: closes, code: undefined });
        last = 'close';
      }
    }
  }
  return out;
}

/** Nearest rank over a sorted histogram of `[value, count]`. */
export function percentile(sorted: [number, number][], total: number, p: number): number | null {
  if (total === 0) return null;
  const rank = Math.min(total, Math.max(1, Math.ceil(p * total)));
  let seen = 0;
  for (const [value, count] of sorted) {
    seen += count;
    if (seen >= rank) return value;
  }
  return sorted[sorted.length - 1]![0];
}

export const sum = (periods: ReportPeriod[]): number => periods.reduce((n, p) => n + p.minutes, 0);
