/**
 * Exact times for Graph's `dateTimeTimeZone` (docs/events.md, "Exact times"). Graph takes a *wall-clock*
 * `dateTime` without an offset plus a `timeZone`; callers give instants. These pure functions convert
 * between the two with the platform's Intl time-zone data (ICU), daylight saving included.
 */
import { ERRORS, GraphTokenError } from '../errors';

export interface GraphDateTime {
  dateTime: string;
  timeZone: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** ISO 8601 instant with a mandatory offset (`Z` or `±hh:mm`), seconds and fractions optional. */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A wall-clock time as Graph sends and takes it (`2026-12-01T09:00:00`, optional fraction). */
const WALL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;

function invalid(field: string, message: string): GraphTokenError {
  return new GraphTokenError(ERRORS.INVALID_REQUEST, `${field}: ${message}`);
}

function validCalendarDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/**
 * Milliseconds since the epoch of an ISO 8601 instant that carries an offset. A time without an offset
 * is refused: it would be read in the server's zone, which is never what a caller meant.
 */
export function parseInstant(value: string, field = 'start'): number {
  const m = INSTANT.exec(value);
  if (!m) {
    throw invalid(field, 'must be an ISO 8601 date-time with an offset, e.g. 2026-12-01T09:00:00+01:00');
  }
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as number[];
  if (!validCalendarDate(y!, mo!, d!) || h! > 23 || mi! > 59 || s! > 59)
    throw invalid(field, 'is not a valid date-time');
  const offset = m[8]!.toUpperCase();
  let offsetMinutes = 0;
  if (offset !== 'Z') {
    const oh = Number(offset.slice(1, 3));
    const om = Number(offset.slice(4, 6));
    if (oh > 23 || om > 59) throw invalid(field, 'has an invalid offset');
    offsetMinutes = (offset.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const fraction = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  return Date.UTC(y!, mo! - 1, d!, h, mi, s) + Math.floor(fraction) - offsetMinutes * MINUTE;
}

/** A calendar date `YYYY-MM-DD` as the UTC midnight of that date (a pure date, no zone). */
export function parseDate(value: string, field = 'start'): number {
  const m = DATE.exec(value);
  if (!m || !validCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) {
    throw invalid(field, 'must be a date YYYY-MM-DD when all_day is true');
  }
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      era: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether this runtime's ICU knows the zone (`Europe/Amsterdam`, `UTC`); offsets like `+01:00` are not zones. */
export function isKnownTimeZone(timeZone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(timeZone)) return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock of `instant` in `timeZone`, as milliseconds of a pseudo-UTC date (for arithmetic). */
function wallMs(instant: number, timeZone: string): number {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instant))) parts[p.type] = p.value;
  let year = Number(parts.year);
  if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
  const whole = Date.UTC(
    year,
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return whole + (((instant % 1000) + 1000) % 1000);
}

/** The zone's offset from UTC at `instant`, in milliseconds (east positive). */
export function offsetAt(instant: number, timeZone: string): number {
  return wallMs(instant, timeZone) - instant;
}

function formatWall(pseudoUtc: number): string {
  return new Date(pseudoUtc).toISOString().slice(0, 19);
}

/** `2026-12-01T09:00:00`: the wall-clock time of `instant` in `timeZone` (whole seconds). */
export function wallClock(instant: number, timeZone: string): string {
  return formatWall(wallMs(instant, timeZone));
}

/**
 * Every instant whose wall clock in `timeZone` reads `wall` (`YYYY-MM-DDTHH:mm:ss`): one normally, two in
 * the hour repeated when clocks go back, none in the hour skipped when they go forward.
 */
export function instantsOf(wall: string, timeZone: string): number[] {
  const m = WALL.exec(wall);
  if (!m) throw invalid('dateTime', 'must be a wall-clock time YYYY-MM-DDTHH:mm:ss without an offset');
  const fraction = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  const w =
    Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)) +
    fraction;
  // Offsets lie within ±14 h, and no zone changes its offset twice within a day: the offsets a day
  // either side of the wall time are every offset that can apply to it.
  const candidates = new Set([
    offsetAt(w - 26 * HOUR, timeZone),
    offsetAt(w, timeZone),
    offsetAt(w + 26 * HOUR, timeZone),
  ]);
  const found = new Set<number>();
  for (const offset of candidates) {
    const t = w - offset;
    if (offsetAt(t, timeZone) === offset) found.add(t);
  }
  return [...found].sort((a, b) => a - b);
}

/**
 * Graph's `dateTimeTimeZone` for an instant shown in `timeZone`. When that wall time is ambiguous in the
 * zone (the repeated hour at a DST change), Graph could not tell which instant is meant, so the instant
 * is sent in UTC instead: the event still lands exactly when the caller said.
 */
export function toGraphDateTime(instant: number, timeZone: string): GraphDateTime {
  if (timeZone !== 'UTC') {
    const wall = wallClock(instant, timeZone);
    const instants = instantsOf(wall, timeZone);
    if (instants.length === 1 && instants[0] === instant - (instant % 1000))
      return { dateTime: wall, timeZone };
  }
  return { dateTime: wallClock(instant, 'UTC'), timeZone: 'UTC' };
}

/** An all-day bound: the local midnight of `date` (`YYYY-MM-DD`) in `timeZone`, as Graph's `isAllDay` requires. */
export function allDayGraphDateTime(date: string, timeZone: string, field = 'start'): GraphDateTime {
  parseDate(date, field);
  return { dateTime: `${date}T00:00:00`, timeZone };
}

/**
 * The instant Graph means by a `dateTimeTimeZone` (it answers in UTC unless asked otherwise). An
 * ambiguous wall time resolves to the earlier instant, a skipped one to the instant after the gap.
 */
export function fromGraphDateTime(value: GraphDateTime): number {
  const zone = /^(utc|etc\/utc|gmt|z)$/i.test(value.timeZone) ? 'UTC' : value.timeZone;
  const instants = instantsOf(value.dateTime, zone);
  if (instants.length > 0) return instants[0]!;
  // Skipped: read it with the offset in force before the gap (09:30 in a skipped 09:00-10:00 → 10:30).
  const m = WALL.exec(value.dateTime)!;
  const w = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6] ?? 0),
  );
  return w - offsetAt(w - 26 * HOUR, zone);
}

/** `2026-12-01T08:00:00Z`: how the API shows instants (UTC, whole seconds). */
export function isoInstant(instant: number): string {
  return `${new Date(instant).toISOString().slice(0, 19)}Z`;
}
