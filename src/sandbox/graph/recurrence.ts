/**
 * Graph's `patternedRecurrence` in the sandbox: validation as the recurrencePattern and recurrenceRange
 * pages describe it, and expansion into occurrence dates (docs/sandbox.md, "Recurring series"). Dates
 * are day numbers (days since 1970-01-01) so the arithmetic never meets a time zone: a series keeps its
 * wall-clock time because occurrences are dates first and are placed in the zone afterwards.
 */
import { resolveGraphZone } from './timeZones';

export const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type DayOfWeek = (typeof DAYS)[number];
const PATTERNS = [
  'daily',
  'weekly',
  'absoluteMonthly',
  'relativeMonthly',
  'absoluteYearly',
  'relativeYearly',
] as const;
const INDEXES = ['first', 'second', 'third', 'fourth', 'last'] as const;
const RANGES = ['endDate', 'noEnd', 'numbered'] as const;

/** The recurrence as Graph stores and echoes it: every property present, unused ones at their defaults. */
export interface Recurrence {
  pattern: {
    type: (typeof PATTERNS)[number];
    interval: number;
    month: number;
    dayOfMonth: number;
    daysOfWeek: DayOfWeek[];
    firstDayOfWeek: DayOfWeek;
    index: (typeof INDEXES)[number];
  };
  range: {
    type: (typeof RANGES)[number];
    startDate: string;
    endDate: string;
    recurrenceTimeZone: string;
    numberOfOccurrences: number;
  };
}

/** A recurrence Graph would refuse; `property` names the offending property. */
export class RecurrenceError extends Error {
  constructor(
    readonly property: string,
    message: string,
  ) {
    super(message);
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function dayNumber(date: string): number | undefined {
  const m = DATE.exec(date);
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(t).toISOString().slice(0, 10) === date ? t / 86_400_000 : undefined;
}

export function dateOf(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

function ymd(day: number): { y: number; m: number } {
  const d = new Date(day * 86_400_000);
  return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1 };
}

function firstOfMonth(y: number, m: number): number {
  return Date.UTC(y, m - 1, 1) / 86_400_000;
}

function daysIn(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function enumValue<T extends string>(value: unknown, allowed: readonly T[], property: string): T {
  const found = allowed.find((a) => typeof value === 'string' && a.toLowerCase() === value.toLowerCase());
  if (!found) throw new RecurrenceError(property, `Requested value '${String(value)}' was not found.`);
  return found;
}

function int(value: unknown, property: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RecurrenceError(property, `${property} must be an integer from ${min} to ${max}.`);
  }
  return value;
}

/**
 * Validates a posted `recurrence` for an event whose start falls on `startDate` (in its start zone).
 * As the recurrencePattern page says, a property a pattern does not use is refused when its value is
 * not a supported one, and the required ones must be there; `range.startDate` must be the start's date.
 */
export function parseRecurrence(
  raw: unknown,
  startDate: string,
  eventZone: string,
  zoneAccepted: (name: string) => boolean = (name) => resolveGraphZone(name) !== undefined,
): Recurrence {
  const r = raw as { pattern?: Record<string, unknown>; range?: Record<string, unknown> } | null;
  if (!r || typeof r !== 'object' || !r.pattern || !r.range) {
    throw new RecurrenceError('recurrence', 'recurrence needs pattern and range.');
  }
  const p = r.pattern;
  const type = enumValue(p.type, PATTERNS, 'recurrence.pattern.type');
  const interval = int(p.interval, 'recurrence.pattern.interval', 1, 99);
  const relative = type === 'relativeMonthly' || type === 'relativeYearly';
  const absolute = type === 'absoluteMonthly' || type === 'absoluteYearly';
  const yearly = type === 'absoluteYearly' || type === 'relativeYearly';
  const days = p.daysOfWeek ?? [];
  if (!Array.isArray(days))
    throw new RecurrenceError('recurrence.pattern.daysOfWeek', 'daysOfWeek must be a list.');
  const daysOfWeek = [...new Set(days.map((d) => enumValue(d, DAYS, 'recurrence.pattern.daysOfWeek')))];
  if ((type === 'weekly' || relative) && daysOfWeek.length === 0) {
    throw new RecurrenceError(
      'recurrence.pattern.daysOfWeek',
      `daysOfWeek is required for a ${type} pattern.`,
    );
  }
  const dayOfMonth = absolute
    ? int(p.dayOfMonth, 'recurrence.pattern.dayOfMonth', 1, 31)
    : p.dayOfMonth === undefined || p.dayOfMonth === 0
      ? 0
      : int(p.dayOfMonth, 'recurrence.pattern.dayOfMonth', 1, 31);
  const month = yearly
    ? int(p.month, 'recurrence.pattern.month', 1, 12)
    : p.month === undefined || p.month === 0
      ? 0
      : int(p.month, 'recurrence.pattern.month', 1, 12);
  const firstDayOfWeek =
    p.firstDayOfWeek === undefined
      ? 'sunday'
      : enumValue(p.firstDayOfWeek, DAYS, 'recurrence.pattern.firstDayOfWeek');
  const index = p.index === undefined ? 'first' : enumValue(p.index, INDEXES, 'recurrence.pattern.index');

  const g = r.range;
  const rangeType = enumValue(g.type, RANGES, 'recurrence.range.type');
  if (typeof g.startDate !== 'string' || dayNumber(g.startDate) === undefined) {
    throw new RecurrenceError('recurrence.range.startDate', 'startDate must be a date YYYY-MM-DD.');
  }
  if (g.startDate !== startDate) {
    throw new RecurrenceError(
      'recurrence.range.startDate',
      `startDate ${g.startDate} must be the same date as the event's start (${startDate}).`,
    );
  }
  let endDate = '0001-01-01';
  if (rangeType === 'endDate') {
    const end = typeof g.endDate === 'string' ? dayNumber(g.endDate) : undefined;
    if (end === undefined)
      throw new RecurrenceError('recurrence.range.endDate', 'endDate must be a date YYYY-MM-DD.');
    if (end < dayNumber(g.startDate)!) {
      throw new RecurrenceError('recurrence.range.endDate', 'endDate is before startDate.');
    }
    endDate = g.endDate as string;
  }
  const numberOfOccurrences =
    rangeType === 'numbered' ? int(g.numberOfOccurrences, 'recurrence.range.numberOfOccurrences', 1, 999) : 0;
  let recurrenceTimeZone = eventZone;
  if (g.recurrenceTimeZone !== undefined && g.recurrenceTimeZone !== null) {
    if (typeof g.recurrenceTimeZone !== 'string' || !zoneAccepted(g.recurrenceTimeZone)) {
      throw new RecurrenceError(
        'recurrence.range.recurrenceTimeZone',
        `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${String(g.recurrenceTimeZone).slice(0, 60)}'.`,
      );
    }
    recurrenceTimeZone = g.recurrenceTimeZone;
  }
  return {
    pattern: { type, interval, month, dayOfMonth, daysOfWeek, firstDayOfWeek, index },
    range: { type: rangeType, startDate: g.startDate, endDate, recurrenceTimeZone, numberOfOccurrences },
  };
}

/** The n-th (or last) day of month y-m whose weekday is in `days`. */
function relativeDay(y: number, m: number, days: DayOfWeek[], index: Recurrence['pattern']['index']): number {
  const first = firstOfMonth(y, m);
  const matching: number[] = [];
  for (let d = 0; d < daysIn(y, m); d++) {
    if (days.includes(DAYS[weekday(first + d)]!)) matching.push(first + d);
  }
  return index === 'last' ? matching.at(-1)! : matching[INDEXES.indexOf(index)]!;
}

/** The candidate dates of period k of the pattern (before the range is applied), ascending. */
function period(rec: Recurrence, start: number, k: number): number[] {
  const p = rec.pattern;
  const { y, m } = ymd(start);
  const clamp = (yy: number, mm: number, day: number): number =>
    firstOfMonth(yy, mm) + Math.min(day, daysIn(yy, mm)) - 1;
  const monthAt = (n: number): { yy: number; mm: number } => {
    const total = y * 12 + (m - 1) + n;
    return { yy: Math.floor(total / 12), mm: (total % 12) + 1 };
  };
  switch (p.type) {
    case 'daily':
      return [start + k * p.interval];
    case 'weekly': {
      const fdw = DAYS.indexOf(p.firstDayOfWeek);
      const weekStart = start - ((weekday(start) - fdw + 7) % 7) + 7 * p.interval * k;
      return Array.from({ length: 7 }, (_, i) => weekStart + i).filter((d) =>
        p.daysOfWeek.includes(DAYS[weekday(d)]!),
      );
    }
    case 'absoluteMonthly': {
      const { yy, mm } = monthAt(k * p.interval);
      return [clamp(yy, mm, p.dayOfMonth)];
    }
    case 'relativeMonthly': {
      const { yy, mm } = monthAt(k * p.interval);
      return [relativeDay(yy, mm, p.daysOfWeek, p.index)];
    }
    case 'absoluteYearly':
      return [clamp(y + k * p.interval, p.month, p.dayOfMonth)];
    case 'relativeYearly':
      return [relativeDay(y + k * p.interval, p.month, p.daysOfWeek, p.index)];
  }
}

/** At most this many occurrences are ever produced for one series and one question. */
export const MAX_OCCURRENCES = 5000;

/**
 * The occurrence dates of the series, ascending, from its start up to `untilDay` (inclusive) — a
 * numbered range counts from the first occurrence whatever the window. A start date that does not fit
 * the pattern is not an occurrence: the series begins at the first date that does (recurrenceRange:
 * "the first occurrence of the meeting may be this date or later").
 */
export function occurrenceDays(rec: Recurrence, untilDay: number): number[] {
  const start = dayNumber(rec.range.startDate)!;
  const last = rec.range.type === 'endDate' ? Math.min(untilDay, dayNumber(rec.range.endDate)!) : untilDay;
  const limit = rec.range.type === 'numbered' ? rec.range.numberOfOccurrences : MAX_OCCURRENCES;
  const out: number[] = [];
  for (let k = 0; k < 100_000 && out.length < limit; k++) {
    const candidates = period(rec, start, k);
    if (candidates[0]! > last && candidates.every((d) => d > last)) break;
    for (const d of candidates) {
      if (d >= start && d <= last && out.length < limit) out.push(d);
    }
  }
  return out;
}
