/**
 * NCRONTAB expressions as Azure Functions timers use them: six fields,
 * `{second} {minute} {hour} {day} {month} {day-of-week}`. Each field is `*`, a value, a range `a-b`,
 * a step `*\/n`, `a-b/n` or `a/n`, or a comma-separated list of those; months and days of the week also
 * by three-letter name. Like NCrontab, a time matches when *every* field matches (day of month and
 * day of week are combined with AND, not cron's OR).
 */

export interface CronSchedule {
  readonly expression: string;
  /** The first occurrence strictly after `after`. */
  next(after: Date): Date;
}

export interface CronOptions {
  /** `local` (as Core Tools on a developer machine) or `utc` (as Azure without WEBSITE_TIME_ZONE). */
  timeZone?: 'local' | 'utc';
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  { name: 'day-of-week', min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

export class CronSyntaxError extends Error {
  readonly code = 'CRON_SYNTAX';
  constructor(expression: string, reason: string) {
    super(`Invalid NCRONTAB expression "${expression}": ${reason}`);
    this.name = 'CronSyntaxError';
  }
}

function parseValue(raw: string, field: FieldSpec, expression: string): number {
  const byName = field.names?.indexOf(raw.toUpperCase()) ?? -1;
  const value = byName >= 0 ? byName + field.min : /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < field.min || value > field.max) {
    throw new CronSyntaxError(expression, `${field.name} "${raw}" is not in ${field.min}-${field.max}`);
  }
  return value;
}

function parseField(text: string, field: FieldSpec, expression: string): ReadonlySet<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const [range, stepText, extra] = item.split('/');
    if (range === undefined || range === '' || extra !== undefined) {
      throw new CronSyntaxError(expression, `${field.name} "${item}" is malformed`);
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
        throw new CronSyntaxError(expression, `${field.name} step "${stepText}" must be a positive number`);
      }
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = field.min;
      to = field.max;
    } else if (range.includes('-')) {
      const [a, b, more] = range.split('-');
      if (a === undefined || b === undefined || more !== undefined) {
        throw new CronSyntaxError(expression, `${field.name} range "${range}" is malformed`);
      }
      from = parseValue(a, field, expression);
      to = parseValue(b, field, expression);
      if (to < from) throw new CronSyntaxError(expression, `${field.name} range "${range}" is reversed`);
    } else {
      from = parseValue(range, field, expression);
      to = stepText !== undefined ? field.max : from;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

/** Date parts in the chosen time zone, and a way back to an instant. */
interface Calendar {
  parts(d: Date): {
    year: number;
    month: number;
    day: number;
    hour: number;
    minute: number;
    second: number;
    dow: number;
  };
  make(year: number, month: number, day: number, hour: number, minute: number, second: number): Date;
}

const LOCAL: Calendar = {
  parts: (d) => ({
    year: d.getFullYear(),
    month: d.getMonth() + 1,
    day: d.getDate(),
    hour: d.getHours(),
    minute: d.getMinutes(),
    second: d.getSeconds(),
    dow: d.getDay(),
  }),
  make: (y, mo, d, h, mi, s) => new Date(y, mo - 1, d, h, mi, s, 0),
};

const UTC: Calendar = {
  parts: (d) => ({
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    dow: d.getUTCDay(),
  }),
  make: (y, mo, d, h, mi, s) => new Date(Date.UTC(y, mo - 1, d, h, mi, s, 0)),
};

/** Parses a six-field NCRONTAB expression. @throws CronSyntaxError */
export function parseNcrontab(expression: string, options: CronOptions = {}): CronSchedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new CronSyntaxError(
      expression,
      `expected 6 fields ({second} {minute} {hour} {day} {month} {day-of-week}), got ${fields.length}`,
    );
  }
  const [seconds, minutes, hours, days, months, weekdays] = fields.map((text, i) =>
    parseField(text, FIELDS[i]!, expression),
  ) as [
    ReadonlySet<number>,
    ReadonlySet<number>,
    ReadonlySet<number>,
    ReadonlySet<number>,
    ReadonlySet<number>,
    ReadonlySet<number>,
  ];
  const calendar = options.timeZone === 'utc' ? UTC : LOCAL;

  const next = (after: Date): Date => {
    // Start at the next whole second; skip whole months, days, hours and minutes that cannot match.
    let t = calendar.parts(new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000));
    const limit = t.year + 10;
    for (;;) {
      if (t.year > limit) throw new CronSyntaxError(expression, 'it never matches a date');
      if (!months.has(t.month)) {
        t = calendar.parts(calendar.make(t.year, t.month + 1, 1, 0, 0, 0));
        continue;
      }
      if (!days.has(t.day) || !weekdays.has(t.dow)) {
        t = calendar.parts(calendar.make(t.year, t.month, t.day + 1, 0, 0, 0));
        continue;
      }
      if (!hours.has(t.hour)) {
        t = calendar.parts(calendar.make(t.year, t.month, t.day, t.hour + 1, 0, 0));
        continue;
      }
      if (!minutes.has(t.minute)) {
        t = calendar.parts(calendar.make(t.year, t.month, t.day, t.hour, t.minute + 1, 0));
        continue;
      }
      if (!seconds.has(t.second)) {
        t = calendar.parts(calendar.make(t.year, t.month, t.day, t.hour, t.minute, t.second + 1));
        continue;
      }
      return calendar.make(t.year, t.month, t.day, t.hour, t.minute, t.second);
    }
  };
  return Object.freeze({ expression, next });
}
