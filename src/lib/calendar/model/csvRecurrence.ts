/**
 * The compact `recurrence` column of the events CSV (docs/sync.md): `weekly;interval=1;days=mon,wed;until=2027-05-31`.
 * One cell, so a spreadsheet can hold a timetable. Pure; errors name the part that is wrong.
 */
import { ERRORS, GraphTokenError } from '../../errors';
import {
  normalizeRecurrence,
  RECURRENCE_PATTERNS,
  recurrenceSchema,
  WEEK_INDEXES,
  WEEKDAYS,
  type Recurrence,
  type RecurrencePattern,
  type Weekday,
} from './recurrence';

/** Compact key → the docs/events.md field; the long names are accepted too. */
const KEYS: Record<string, keyof Recurrence> = {
  interval: 'interval',
  days: 'days_of_week',
  days_of_week: 'days_of_week',
  first_day: 'first_day_of_week',
  first_day_of_week: 'first_day_of_week',
  day: 'day_of_month',
  day_of_month: 'day_of_month',
  month: 'month',
  index: 'index',
  until: 'until',
  count: 'count',
};
/** The docs/events.md field → the key `formatCompactRecurrence` writes. */
const SHORT: Partial<Record<keyof Recurrence, string>> = {
  days_of_week: 'days',
  first_day_of_week: 'first_day',
  day_of_month: 'day',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function invalid(message: string): GraphTokenError {
  return new GraphTokenError(ERRORS.INVALID_REQUEST, `recurrence: ${message}`);
}

function weekdayOf(value: string, part: string): Weekday {
  const v = value.trim().toLowerCase();
  const day = WEEKDAYS.find((d) => d === v || (v.length >= 2 && d.startsWith(v) && v.length <= 3));
  if (!day) throw invalid(`part "${part}": "${value}" is not a day (sun, mon, tue, wed, thu, fri, sat)`);
  return day;
}

function integer(value: string, part: string): number {
  if (!/^\d{1,4}$/.test(value)) throw invalid(`part "${part}": "${value}" is not a whole number`);
  return Number(value);
}

function monthOf(value: string, part: string): number {
  const name = MONTHS.indexOf(value.slice(0, 3).toLowerCase());
  if (name >= 0 && /^[a-z]+$/i.test(value)) return name + 1;
  return integer(value, part);
}

/**
 * The recurrence of a compact cell; undefined for an empty cell. Throws `INVALID_REQUEST` naming the
 * part: an unknown pattern or key, a key given twice, a value that does not parse, or a field the
 * pattern does not take (the checks of `recurrenceSchema`).
 *
 * @example parseCompactRecurrence('weekly;days=mon,wed;until=2027-05-31')
 *   // { pattern: 'weekly', days_of_week: ['monday', 'wednesday'], until: '2027-05-31' }
 */
export function parseCompactRecurrence(cell: string): Recurrence | undefined {
  const parts = cell
    .split(';')
    .map((p) => p.trim())
    .filter((p, i, all) => p !== '' || i < all.length - 1);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === '')) return undefined;
  const [head, ...rest] = parts;
  const pattern = head!.toLowerCase().replace(/-/g, '_');
  if (!(RECURRENCE_PATTERNS as readonly string[]).includes(pattern)) {
    throw invalid(`"${head}" is not a pattern (${RECURRENCE_PATTERNS.join(', ')}); it comes first`);
  }
  const rec: Record<string, unknown> = { pattern: pattern as RecurrencePattern };
  const partOf: Partial<Record<keyof Recurrence, string>> = {};
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw invalid(`part "${part}" must be key=value`);
    const key = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    const field = KEYS[key];
    if (!field) throw invalid(`part "${part}": unknown key "${key}" (${Object.keys(KEYS).join(', ')})`);
    if (field in rec) throw invalid(`part "${part}": ${field} is given twice`);
    if (value === '') throw invalid(`part "${part}" has no value`);
    partOf[field] = part;
    switch (field) {
      case 'days_of_week':
        rec[field] = value.split(',').map((d) => weekdayOf(d, part));
        break;
      case 'first_day_of_week':
        rec[field] = weekdayOf(value, part);
        break;
      case 'index':
        if (!(WEEK_INDEXES as readonly string[]).includes(value.toLowerCase())) {
          throw invalid(`part "${part}": "${value}" is not an index (${WEEK_INDEXES.join(', ')})`);
        }
        rec[field] = value.toLowerCase();
        break;
      case 'month':
        rec[field] = monthOf(value, part);
        break;
      case 'until':
        rec[field] = value;
        break;
      default:
        rec[field] = integer(value, part);
    }
  }
  const parsed = recurrenceSchema.safeParse(rec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path[0] as keyof Recurrence | undefined;
    const where =
      field === undefined ? '' : partOf[field] ? `part "${partOf[field]}"` : (SHORT[field] ?? field);
    throw invalid(`${where ? `${where}: ` : ''}${issue.message}`);
  }
  return parsed.data;
}

/**
 * The compact cell of a recurrence (normalised: `interval` always, days in week order, a weekly
 * pattern's `first_day` only when not sunday), so `parseCompactRecurrence` reads it back equal.
 */
export function formatCompactRecurrence(rec: Recurrence): string {
  const r = normalizeRecurrence(rec);
  const parts: string[] = [r.pattern, `interval=${r.interval ?? 1}`];
  const day = (d: Weekday): string => d.slice(0, 3);
  if (r.days_of_week) parts.push(`${SHORT.days_of_week}=${r.days_of_week.map(day).join(',')}`);
  if (r.first_day_of_week && r.first_day_of_week !== 'sunday') {
    parts.push(`${SHORT.first_day_of_week}=${day(r.first_day_of_week)}`);
  }
  if (r.day_of_month !== undefined) parts.push(`${SHORT.day_of_month}=${r.day_of_month}`);
  if (r.month !== undefined) parts.push(`month=${r.month}`);
  if (r.index !== undefined) parts.push(`index=${r.index}`);
  if (r.until !== undefined) parts.push(`until=${r.until}`);
  if (r.count !== undefined) parts.push(`count=${r.count}`);
  return parts.join(';');
}
