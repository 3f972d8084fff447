/**
 * Which dates a recurrence falls on, and the instants of its occurrences (docs/calendar-model.md,
 * "Recurrence"). A series is wall-clock: "weekly at 09:00 in Europe/Amsterdam" is 09:00 local on every
 * date, so its instants move by an hour in UTC when the clocks change. Pure.
 */
import { fromGraphDateTime, parseInstant, wallClock } from '../time';
import type { Recurrence } from './recurrence';

/** Days of the week in JavaScript's order (`getUTCDay()`: 0 is Sunday), as Graph spells them. */
export const WEEKDAYS = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const WEEK_INDEXES = ['first', 'second', 'third', 'fourth', 'last'] as const;
export type WeekIndex = (typeof WEEK_INDEXES)[number];

const DAY = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** Days since 1970-01-01 of a valid `YYYY-MM-DD`, or undefined. */
export function dayNumber(date: string): number | undefined {
  const m = DATE.exec(date);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return undefined;
  return Date.UTC(y, mo - 1, d) / DAY;
}

/** `YYYY-MM-DD` of a day number. */
export function dateOf(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}

/** 0 (Sunday) … 6 (Saturday). */
export function weekdayOf(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function dayOf(year: number, month: number, dayOfMonth: number): number {
  return Date.UTC(year, month - 1, dayOfMonth) / DAY;
}

/** Year and month (1–12) of a day number. */
function yearMonth(day: number): [number, number] {
  const date = new Date(day * DAY);
  return [date.getUTCFullYear(), date.getUTCMonth() + 1];
}

/**
 * The day of a month on which a relative pattern falls: the `index`-th day of the month whose weekday
 * is one of `weekdays` (Graph: with several days "the event falls on the first day that satisfies the
 * pattern", so `second` of Thursday and Friday is the month's second Thursday-or-Friday).
 */
function relativeDay(year: number, month: number, weekdays: ReadonlySet<number>, index: WeekIndex): number {
  const matching: number[] = [];
  const first = dayOf(year, month, 1);
  for (let d = first; d < first + daysInMonth(year, month); d++)
    if (weekdays.has(weekdayOf(d))) matching.push(d);
  return index === 'last' ? matching[matching.length - 1]! : matching[WEEK_INDEXES.indexOf(index)]!;
}

/**
 * An absolute day in a month; a day the month does not have (31 in April, 29 February in 2027) falls on
 * its last day, as Outlook's "day 31 of every month" does.
 */
function absoluteDay(year: number, month: number, dayOfMonth: number): number {
  return dayOf(year, month, Math.min(dayOfMonth, daysInMonth(year, month)));
}

/**
 * Every date of the pattern from `startDay` on (the range's end not applied), ascending, without end.
 * Periods count from the one holding `startDay` (its week, from `first_day_of_week`, its month, its
 * year), as Graph counts them from the range's `startDate`.
 */
export function* patternDays(rec: Recurrence, startDay: number): Generator<number> {
  const interval = Math.max(1, rec.interval ?? 1);
  const weekdays = new Set((rec.days_of_week ?? []).map((d) => WEEKDAYS.indexOf(d)));
  const [startYear, startMonth] = yearMonth(startDay);
  switch (rec.pattern) {
    case 'daily':
      for (let d = startDay; ; d += interval) yield d;
    case 'weekly': {
      if (weekdays.size === 0) return;
      const firstDay = WEEKDAYS.indexOf(rec.first_day_of_week ?? 'sunday');
      const weekStart = startDay - ((weekdayOf(startDay) - firstDay + 7) % 7);
      for (let w = weekStart; ; w += 7 * interval) {
        for (let d = w; d < w + 7; d++) if (d >= startDay && weekdays.has(weekdayOf(d))) yield d;
      }
    }
    case 'absolute_monthly':
    case 'relative_monthly':
      if (rec.pattern === 'relative_monthly' && weekdays.size === 0) return;
      for (let n = 0; ; n += interval) {
        const year = startYear + Math.floor((startMonth - 1 + n) / 12);
        const month = ((startMonth - 1 + n) % 12) + 1;
        const d =
          rec.pattern === 'absolute_monthly'
            ? absoluteDay(year, month, rec.day_of_month ?? 1)
            : relativeDay(year, month, weekdays, rec.index ?? 'first');
        if (d >= startDay) yield d;
      }
    case 'absolute_yearly':
    case 'relative_yearly': {
      if (rec.pattern === 'relative_yearly' && weekdays.size === 0) return;
      const month = rec.month ?? startMonth;
      for (let year = startYear; ; year += interval) {
        const d =
          rec.pattern === 'absolute_yearly'
            ? absoluteDay(year, month, rec.day_of_month ?? 1)
            : relativeDay(year, month, weekdays, rec.index ?? 'first');
        if (d >= startDay) yield d;
      }
    }
  }
}

/** The series' dates: the pattern from `startDay`, ended by `until` (inclusive) or after `count`. */
export function* seriesDays(rec: Recurrence, startDay: number): Generator<number> {
  const until = rec.until === undefined ? undefined : dayNumber(rec.until);
  let n = 0;
  for (const d of patternDays(rec, startDay)) {
    if (until !== undefined && d > until) return;
    if (rec.count !== undefined && n >= rec.count) return;
    n++;
    yield d;
  }
}

/** The pattern's first date on or after `startDay`: the start matches the pattern when it is `startDay`. */
export function firstPatternDay(rec: Recurrence, startDay: number): number | undefined {
  // Every pattern has a date within 4 years of any day (29 February at worst), so this ends.
  const next = patternDays(rec, startDay).next();
  return next.done ? undefined : next.value;
}

/** A date and a wall-clock time of day (`09:00` or `09:00:00`) in a zone. */
export interface WallTime {
  date: string;
  time: string;
}

/**
 * An event's start as a wall time in its zone: the series' `startWall` for `expandOccurrences`, and its
 * date is the range's `startDate` for `toGraphRecurrence`. Throws INVALID_REQUEST for a start that is
 * not an instant with an offset (or, all day, a date).
 */
export function localStart(start: string, timeZone: string, allDay = false): WallTime {
  if (allDay) return { date: start.slice(0, 10), time: '00:00:00' };
  const wall = wallClock(parseInstant(start, 'start'), timeZone);
  return { date: wall.slice(0, 10), time: wall.slice(11) };
}

export interface Occurrence {
  /** Start and end instants (ms since the epoch). */
  start: number;
  end: number;
  /** The occurrence's date in the series' zone, `YYYY-MM-DD`. */
  date: string;
}

/** At most this many dates are stepped through for one expansion (a daily series over 500 years). */
const MAX_STEPS = 200_000;

function wallString(pseudoUtcMs: number): string {
  return new Date(pseudoUtcMs).toISOString().slice(0, 19);
}

/**
 * The occurrences of a series that overlap `[fromMs, toMs)`, at most `limit`, in order. Each occurrence
 * starts at `startWall.time` on its date in `timeZone` and lasts `durationMs` of wall-clock time, so a
 * weekly 09:00–10:00 stays 09:00–10:00 local across daylight-saving changes. A wall time a change skips
 * is read with the offset before the gap (02:30 → 03:30), a repeated one as its first instant.
 */
export function expandOccurrences(
  rec: Recurrence,
  startWall: WallTime,
  durationMs: number,
  timeZone: string,
  fromMs: number,
  toMs: number,
  limit: number,
): Occurrence[] {
  const startDay = dayNumber(startWall.date);
  const t = TIME.exec(startWall.time);
  if (startDay === undefined || !t)
    throw new RangeError('startWall must be { date: YYYY-MM-DD, time: HH:mm[:ss] }');
  const timeMs = (Number(t[1]) * 3600 + Number(t[2]) * 60 + Number(t[3] ?? 0)) * 1000;
  const instant = (wall: number): number => fromGraphDateTime({ dateTime: wallString(wall), timeZone });
  const found: Occurrence[] = [];
  let steps = 0;
  for (const d of seriesDays(rec, startDay)) {
    if (found.length >= limit || ++steps > MAX_STEPS) break;
    const wall = d * DAY + timeMs;
    const start = instant(wall);
    if (start >= toMs) break;
    const end = instant(wall + durationMs);
    if (end > fromMs || (durationMs === 0 && start >= fromMs)) found.push({ start, end, date: dateOf(d) });
  }
  return found;
}
