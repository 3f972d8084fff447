/**
 * The docs/events.md `recurrence` of an event: its schema, the problems of a recurrence with its event's start,
 * and Graph's `patternedRecurrence` both ways (docs/calendar-model.md, "Recurrence"). Pure.
 */
import { z } from 'zod';
import { instantsOf, parseInstant, wallClock } from '../time';
import {
  dateOf,
  dayNumber,
  firstPatternDay,
  WEEK_INDEXES,
  WEEKDAYS,
  type WeekIndex,
  type Weekday,
} from './occurrences';

export { WEEK_INDEXES, WEEKDAYS, type WeekIndex, type Weekday } from './occurrences';

export const RECURRENCE_PATTERNS = [
  'daily',
  'weekly',
  'absolute_monthly',
  'relative_monthly',
  'absolute_yearly',
  'relative_yearly',
] as const;
export type RecurrencePattern = (typeof RECURRENCE_PATTERNS)[number];

/** Outlook offers at most 999 occurrences for a numbered series; the interval has the same ceiling here. */
export const MAX_RECURRENCE_COUNT = 999;
export const MAX_RECURRENCE_INTERVAL = 999;

export interface Recurrence {
  pattern: RecurrencePattern;
  interval?: number;
  days_of_week?: Weekday[];
  first_day_of_week?: Weekday;
  day_of_month?: number;
  month?: number;
  index?: WeekIndex;
  until?: string;
  count?: number;
}

/** A problem with one field; `path` from the event (`['recurrence', 'day_of_month']`, `['start']`). */
export interface RecurrenceProblem {
  path: string[];
  message: string;
}

/** Which fields each pattern takes; a field given on another pattern is misplaced. */
const FIELDS: Record<
  'days_of_week' | 'first_day_of_week' | 'day_of_month' | 'month' | 'index',
  {
    patterns: readonly RecurrencePattern[];
    required: readonly RecurrencePattern[];
  }
> = {
  days_of_week: {
    patterns: ['weekly', 'relative_monthly', 'relative_yearly'],
    required: ['weekly', 'relative_monthly', 'relative_yearly'],
  },
  first_day_of_week: { patterns: ['weekly'], required: [] },
  day_of_month: {
    patterns: ['absolute_monthly', 'absolute_yearly'],
    required: ['absolute_monthly', 'absolute_yearly'],
  },
  month: {
    patterns: ['absolute_yearly', 'relative_yearly'],
    required: ['absolute_yearly', 'relative_yearly'],
  },
  // Graph defaults a relative pattern's index to `first`; it is required here so "the Tuesday of every
  // month" is never a silent guess.
  index: {
    patterns: ['relative_monthly', 'relative_yearly'],
    required: ['relative_monthly', 'relative_yearly'],
  },
};

const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** The problems of a recurrence on its own: misplaced, missing and contradictory fields. */
export function recurrenceFieldProblems(rec: Recurrence): RecurrenceProblem[] {
  const problems: RecurrenceProblem[] = [];
  const add = (field: string, message: string): void => void problems.push({ path: [field], message });
  for (const [field, rule] of Object.entries(FIELDS)) {
    const given = rec[field as keyof typeof FIELDS] !== undefined;
    if (given && !rule.patterns.includes(rec.pattern)) {
      add(field, `does not apply to a ${rec.pattern} pattern (only ${rule.patterns.join(', ')})`);
    } else if (!given && rule.required.includes(rec.pattern)) {
      add(field, `is required for a ${rec.pattern} pattern`);
    }
  }
  if (rec.days_of_week && new Set(rec.days_of_week).size !== rec.days_of_week.length) {
    add('days_of_week', 'names a day twice');
  }
  if (rec.pattern === 'absolute_yearly' && rec.month !== undefined && rec.day_of_month !== undefined) {
    if (rec.day_of_month > MONTH_DAYS[rec.month - 1]!) {
      add('day_of_month', `${MONTH_NAMES[rec.month - 1]} has no day ${rec.day_of_month}`);
    }
  }
  if (rec.until !== undefined && rec.count !== undefined) {
    add('count', 'cannot be given with until: a series ends on a date, after a count, or never');
  }
  return problems;
}

const weekday = z.enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(', ')}` });

/** The recurrence input; defaults are not applied (see `normalizeRecurrence`), so a PATCH can merge it. */
export const recurrenceSchema = z
  .strictObject({
    pattern: z.enum(RECURRENCE_PATTERNS, { error: `must be one of ${RECURRENCE_PATTERNS.join(', ')}` }),
    interval: z.number().int().min(1).max(MAX_RECURRENCE_INTERVAL).optional(),
    days_of_week: z.array(weekday).min(1).max(7).optional(),
    first_day_of_week: weekday.optional().describe('Weekly patterns only; default sunday.'),
    day_of_month: z.number().int().min(1).max(31).optional(),
    month: z.number().int().min(1).max(12).optional(),
    index: z.enum(WEEK_INDEXES, { error: `must be one of ${WEEK_INDEXES.join(', ')}` }).optional(),
    until: z
      .string()
      .refine((v) => dayNumber(v) !== undefined, 'must be a date YYYY-MM-DD')
      .optional()
      .describe('The last date (in time_zone) an occurrence may start on.'),
    count: z.number().int().min(1).max(MAX_RECURRENCE_COUNT).optional(),
  })
  .superRefine((rec, ctx) => {
    for (const p of recurrenceFieldProblems(rec))
      ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  });

/**
 * The one form of a recurrence that compares and hashes equal for the caller's input and Graph's read
 * back: defaults filled (`interval` 1, a weekly pattern's `first_day_of_week` sunday), days in week
 * order, fields of other patterns left out, keys in a fixed order.
 */
export function normalizeRecurrence(rec: Recurrence): Recurrence {
  const takes = (field: keyof typeof FIELDS): boolean => FIELDS[field].patterns.includes(rec.pattern);
  const out: Recurrence = { pattern: rec.pattern, interval: rec.interval ?? 1 };
  if (takes('days_of_week') && rec.days_of_week) {
    out.days_of_week = WEEKDAYS.filter((d) => rec.days_of_week!.includes(d));
  }
  if (takes('first_day_of_week')) out.first_day_of_week = rec.first_day_of_week ?? 'sunday';
  if (takes('day_of_month') && rec.day_of_month !== undefined) out.day_of_month = rec.day_of_month;
  if (takes('month') && rec.month !== undefined) out.month = rec.month;
  if (takes('index') && rec.index !== undefined) out.index = rec.index;
  if (rec.until !== undefined) out.until = rec.until;
  else if (rec.count !== undefined) out.count = rec.count;
  return out;
}

const LOCAL = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Every problem of a recurrence with its event: the field problems above (only those, when there are
 * any), then `until` before the start date, a start whose date is not an occurrence of the pattern (the
 * start *is* the first occurrence), and a start whose wall time in `time_zone` a daylight-saving change
 * skips or repeats. `start` is the event's start as given: an instant with an offset, or with `all_day`
 * a date. Start problems are on `['start']`, the others on `['recurrence', field]`.
 */
export function checkRecurrence(
  rec: Recurrence,
  event: { start: string; time_zone: string; all_day?: boolean },
): RecurrenceProblem[] {
  const fieldProblems = recurrenceFieldProblems(rec);
  if (fieldProblems.length > 0) return fieldProblems.map((p) => ({ ...p, path: ['recurrence', ...p.path] }));
  const problems: RecurrenceProblem[] = [];
  let startDate: string;
  if (event.all_day) {
    if (dayNumber(event.start) === undefined) return []; // the event's own schema reports the start
    startDate = event.start;
  } else {
    const local = LOCAL.exec(event.start);
    let instant: number;
    try {
      instant = parseInstant(event.start, 'start');
    } catch {
      return []; // reported by the event's own schema
    }
    const wall = wallClock(instant, event.time_zone);
    startDate = wall.slice(0, 10);
    const [date, time] = [startDate, wall.slice(11, 16)];
    if (instantsOf(wall, event.time_zone).length > 1) {
      problems.push({
        path: ['start'],
        message: `${time} on ${date} occurs twice in ${event.time_zone} (the clocks go back); a series needs a first occurrence whose wall time occurs once`,
      });
    } else if (local && local[4]!.toUpperCase() !== 'Z') {
      // The caller wrote a local time with one of the zone's offsets that the zone never shows that
      // day: the wall time they meant is skipped by the change (02:30 on the spring change).
      const written = `${local[1]}T${local[2]}:${local[3] ?? '00'}`;
      if (written !== wall && instantsOf(written, event.time_zone).length === 0) {
        problems.push({
          path: ['start'],
          message: `${local[2]} on ${local[1]} does not exist in ${event.time_zone} (the clocks go forward); give a wall time that exists`,
        });
      }
    }
  }
  const startDay = dayNumber(startDate)!;
  const first = firstPatternDay(rec, startDay);
  if (first !== startDay) {
    const weekdayName = WEEKDAYS[new Date(`${startDate}T00:00:00Z`).getUTCDay()];
    problems.push({
      path: ['start'],
      message:
        `${startDate} (a ${weekdayName} in ${event.time_zone}) is not a date of the ${rec.pattern} pattern; ` +
        `the start is the first occurrence` +
        (first === undefined ? '' : `, which would be ${dateOf(first)}`),
    });
  }
  if (rec.until !== undefined && rec.until < startDate) {
    problems.push({ path: ['recurrence', 'until'], message: `is before the start date ${startDate}` });
  }
  return problems;
}

// --- Graph's patternedRecurrence -------------------------------------------------------------------

export type GraphPatternType =
  'daily' | 'weekly' | 'absoluteMonthly' | 'relativeMonthly' | 'absoluteYearly' | 'relativeYearly';

export interface GraphRecurrencePattern {
  type: GraphPatternType;
  interval: number;
  daysOfWeek?: Weekday[];
  firstDayOfWeek?: Weekday;
  dayOfMonth?: number;
  month?: number;
  index?: WeekIndex;
}

export interface GraphRecurrenceRange {
  type: 'endDate' | 'numbered' | 'noEnd';
  startDate: string;
  endDate?: string;
  numberOfOccurrences?: number;
  recurrenceTimeZone?: string;
}

export interface GraphPatternedRecurrence {
  pattern: GraphRecurrencePattern;
  range: GraphRecurrenceRange;
}

const GRAPH_TYPE: Record<RecurrencePattern, GraphPatternType> = {
  daily: 'daily',
  weekly: 'weekly',
  absolute_monthly: 'absoluteMonthly',
  relative_monthly: 'relativeMonthly',
  absolute_yearly: 'absoluteYearly',
  relative_yearly: 'relativeYearly',
};
const PATTERN_OF = new Map(Object.entries(GRAPH_TYPE).map(([ours, graph]) => [graph.toLowerCase(), ours]));

/**
 * Graph's `patternedRecurrence` for a checked recurrence. Only the properties the pattern type takes
 * are sent (Graph: "include only the properties that you need"); `startDate` is the first occurrence's
 * date in the event's zone (Graph: the same as the event's start), and `recurrenceTimeZone` the zone in
 * the form sent as the event's `timeZone` (`graphTimeZone`).
 */
export function toGraphRecurrence(
  rec: Recurrence,
  startLocalDate: string,
  graphTimeZoneName: string,
): GraphPatternedRecurrence {
  const r = normalizeRecurrence(rec);
  const pattern: GraphRecurrencePattern = { type: GRAPH_TYPE[r.pattern], interval: r.interval ?? 1 };
  if (r.days_of_week) pattern.daysOfWeek = r.days_of_week;
  if (r.first_day_of_week) pattern.firstDayOfWeek = r.first_day_of_week;
  if (r.day_of_month !== undefined) pattern.dayOfMonth = r.day_of_month;
  if (r.month !== undefined) pattern.month = r.month;
  if (r.index !== undefined) pattern.index = r.index;
  const base = { startDate: startLocalDate, recurrenceTimeZone: graphTimeZoneName };
  const range: GraphRecurrenceRange =
    r.until !== undefined
      ? { type: 'endDate', ...base, endDate: r.until }
      : r.count !== undefined
        ? { type: 'numbered', ...base, numberOfOccurrences: r.count }
        : { type: 'noEnd', ...base };
  return { pattern, range };
}

/** What Graph may answer for a recurrence: loosely typed, since it fills every property. */
export interface GraphRecurrenceRead {
  pattern?: {
    type?: string | null;
    interval?: number | null;
    daysOfWeek?: readonly string[] | null;
    firstDayOfWeek?: string | null;
    dayOfMonth?: number | null;
    month?: number | null;
    index?: string | null;
  } | null;
  range?: { type?: string | null; endDate?: string | null; numberOfOccurrences?: number | null } | null;
}

const isWeekday = (d: string): d is Weekday => (WEEKDAYS as readonly string[]).includes(d);

/**
 * The docs/events.md recurrence of Graph's answer, normalised as `normalizeRecurrence` does, so a round trip
 * compares equal. Graph fills the properties a type does not use (`dayOfMonth: 0`, `index: "first"`,
 * `firstDayOfWeek: "sunday"`); they are dropped. A relative pattern without an index reads as Graph's
 * default, `first`. Undefined for no recurrence or a type this service does not know.
 */
export function fromGraphRecurrence(graph: GraphRecurrenceRead | null | undefined): Recurrence | undefined {
  const type = graph?.pattern?.type;
  const pattern = type ? (PATTERN_OF.get(type.toLowerCase()) as RecurrencePattern | undefined) : undefined;
  if (!graph?.pattern || !pattern) return undefined;
  const p = graph.pattern;
  const rec: Recurrence = { pattern, interval: p.interval && p.interval > 0 ? p.interval : 1 };
  const days = (p.daysOfWeek ?? []).map((d) => d.toLowerCase()).filter(isWeekday);
  if (days.length > 0) rec.days_of_week = days;
  const firstDay = p.firstDayOfWeek?.toLowerCase();
  if (firstDay && isWeekday(firstDay)) rec.first_day_of_week = firstDay;
  if (p.dayOfMonth) rec.day_of_month = p.dayOfMonth;
  if (p.month) rec.month = p.month;
  const index = p.index?.toLowerCase();
  rec.index = index && (WEEK_INDEXES as readonly string[]).includes(index) ? (index as WeekIndex) : 'first';
  const range = graph.range;
  const rangeType = range?.type?.toLowerCase();
  if (rangeType === 'enddate' && range?.endDate) rec.until = range.endDate.slice(0, 10);
  else if (rangeType === 'numbered' && range?.numberOfOccurrences) rec.count = range.numberOfOccurrences;
  return normalizeRecurrence(rec);
}
