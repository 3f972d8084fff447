/** Recurrence: the six patterns' Graph bodies, contradictory fields, the start, DST and occurrences. */
import { expandOccurrences, localStart } from '../../../../src/lib/calendar/model/occurrences';
import {
  checkRecurrence,
  fromGraphRecurrence,
  normalizeRecurrence,
  recurrenceSchema,
  toGraphRecurrence,
  type Recurrence,
} from '../../../../src/lib/calendar/model/recurrence';
import { wallClock } from '../../../../src/lib/calendar/time';

const AMS = 'Europe/Amsterdam';
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000', '');

/** What Graph answers for a series: every property filled, defaults for those the type does not use. */
function graphRead(body: ReturnType<typeof toGraphRecurrence>): unknown {
  return {
    pattern: {
      dayOfMonth: 0,
      month: 0,
      firstDayOfWeek: 'sunday',
      index: 'first',
      daysOfWeek: [],
      ...body.pattern,
    },
    range: { endDate: '0001-01-01', numberOfOccurrences: 0, ...body.range },
  };
}

describe('toGraphRecurrence', () => {
  const cases: [Recurrence, Record<string, unknown>][] = [
    [
      { pattern: 'daily', interval: 2, count: 10 },
      { type: 'daily', interval: 2 },
    ],
    [
      {
        pattern: 'weekly',
        days_of_week: ['wednesday', 'monday'],
        first_day_of_week: 'monday',
        until: '2027-05-31',
      },
      { type: 'weekly', interval: 1, daysOfWeek: ['monday', 'wednesday'], firstDayOfWeek: 'monday' },
    ],
    [
      { pattern: 'absolute_monthly', interval: 3, day_of_month: 15 },
      { type: 'absoluteMonthly', interval: 3, dayOfMonth: 15 },
    ],
    [
      { pattern: 'relative_monthly', days_of_week: ['tuesday'], index: 'second' },
      { type: 'relativeMonthly', interval: 1, daysOfWeek: ['tuesday'], index: 'second' },
    ],
    [
      { pattern: 'absolute_yearly', day_of_month: 15, month: 3 },
      { type: 'absoluteYearly', interval: 1, dayOfMonth: 15, month: 3 },
    ],
    [
      {
        pattern: 'relative_yearly',
        interval: 2,
        days_of_week: ['thursday', 'friday'],
        index: 'last',
        month: 11,
      },
      { type: 'relativeYearly', interval: 2, daysOfWeek: ['thursday', 'friday'], month: 11, index: 'last' },
    ],
  ];

  it.each(cases)('%j → only the properties its type takes', (rec, pattern) => {
    expect(recurrenceSchema.safeParse(rec).success).toBe(true);
    const body = toGraphRecurrence(rec, '2027-02-01', 'W. Europe Standard Time');
    expect(body.pattern).toEqual(pattern);
    expect(Object.keys(body.pattern).sort()).toEqual(Object.keys(pattern).sort());
  });

  it('ends on a date, after a count, or never; the range in the event’s zone', () => {
    const base = { startDate: '2027-02-01', recurrenceTimeZone: 'W. Europe Standard Time' };
    const range = (rec: Recurrence): unknown =>
      toGraphRecurrence(rec, '2027-02-01', 'W. Europe Standard Time').range;
    expect(range({ pattern: 'daily', until: '2027-05-31' })).toEqual({
      type: 'endDate',
      ...base,
      endDate: '2027-05-31',
    });
    expect(range({ pattern: 'daily', count: 14 })).toEqual({
      type: 'numbered',
      ...base,
      numberOfOccurrences: 14,
    });
    expect(range({ pattern: 'daily' })).toEqual({ type: 'noEnd', ...base });
  });

  it.each(cases)('%j reads back from Graph equal to the normalised input', (rec) => {
    const read = graphRead(toGraphRecurrence(rec, '2027-02-01', 'UTC'));
    expect(fromGraphRecurrence(read as never)).toEqual(normalizeRecurrence(rec));
  });

  it('reads Graph’s spellings loosely and nothing it does not know', () => {
    const read = {
      pattern: { type: 'Weekly', interval: 1, daysOfWeek: ['Monday'] },
      range: { type: 'EndDate', endDate: '2027-05-31' },
    };
    expect(fromGraphRecurrence(read)).toEqual({
      pattern: 'weekly',
      interval: 1,
      days_of_week: ['monday'],
      first_day_of_week: 'sunday',
      until: '2027-05-31',
    });
    expect(fromGraphRecurrence({ pattern: { type: 'hourly', interval: 1 } })).toBeUndefined();
    expect(fromGraphRecurrence(null)).toBeUndefined();
  });
});

describe('contradictory and misplaced fields', () => {
  const start = { start: '2027-02-01T09:00:00+01:00', time_zone: AMS };
  const paths = (rec: Recurrence): string[] => checkRecurrence(rec, start).map((p) => p.path.join('.'));

  it('names each misplaced field', () => {
    expect(paths({ pattern: 'weekly', days_of_week: ['monday'], day_of_month: 1 })).toEqual([
      'recurrence.day_of_month',
    ]);
    expect(paths({ pattern: 'daily', days_of_week: ['monday'] })).toEqual(['recurrence.days_of_week']);
    expect(paths({ pattern: 'absolute_monthly', day_of_month: 1, days_of_week: ['monday'] })).toEqual([
      'recurrence.days_of_week',
    ]);
    expect(paths({ pattern: 'absolute_monthly', day_of_month: 1, month: 2 })).toEqual(['recurrence.month']);
    expect(paths({ pattern: 'absolute_yearly', day_of_month: 1, month: 2, index: 'first' })).toEqual([
      'recurrence.index',
    ]);
    expect(paths({ pattern: 'daily', first_day_of_week: 'monday' })).toEqual([
      'recurrence.first_day_of_week',
    ]);
  });

  it('names each missing field', () => {
    expect(paths({ pattern: 'weekly' })).toEqual(['recurrence.days_of_week']);
    expect(paths({ pattern: 'absolute_monthly' })).toEqual(['recurrence.day_of_month']);
    expect(paths({ pattern: 'absolute_yearly', day_of_month: 1 })).toEqual(['recurrence.month']);
    expect(paths({ pattern: 'relative_monthly', days_of_week: ['monday'] })).toEqual(['recurrence.index']);
    expect(paths({ pattern: 'relative_yearly', index: 'first', month: 2 })).toEqual([
      'recurrence.days_of_week',
    ]);
  });

  it('refuses until with count, a day twice and a day the month never has', () => {
    expect(paths({ pattern: 'daily', until: '2027-03-01', count: 3 })).toEqual(['recurrence.count']);
    expect(paths({ pattern: 'weekly', days_of_week: ['monday', 'monday'] })).toEqual([
      'recurrence.days_of_week',
    ]);
    const feb30 = checkRecurrence({ pattern: 'absolute_yearly', day_of_month: 30, month: 2 }, start);
    expect(feb30).toEqual([{ path: ['recurrence', 'day_of_month'], message: 'February has no day 30' }]);
  });

  it('refuses until before the start date', () => {
    expect(checkRecurrence({ pattern: 'daily', until: '2027-01-31' }, start)).toEqual([
      { path: ['recurrence', 'until'], message: 'is before the start date 2027-02-01' },
    ]);
    expect(checkRecurrence({ pattern: 'daily', until: '2027-02-01' }, start)).toEqual([]);
  });

  it('reports the same problems through the schema, on the recurrence’s own paths', () => {
    const result = recurrenceSchema.safeParse({
      pattern: 'weekly',
      days_of_week: ['monday'],
      day_of_month: 3,
    });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toEqual(['day_of_month']);
    expect(recurrenceSchema.safeParse({ pattern: 'weekly', days_of_week: ['funday'] }).success).toBe(false);
    expect(recurrenceSchema.safeParse({ pattern: 'daily', count: 1000 }).success).toBe(false);
    expect(recurrenceSchema.safeParse({ pattern: 'daily', interval: 0 }).success).toBe(false);
    expect(recurrenceSchema.safeParse({ pattern: 'daily', until: '2027-02-30' }).success).toBe(false);
    expect(recurrenceSchema.safeParse({ pattern: 'daily', extra: 1 }).success).toBe(false);
  });
});

describe('the start is the first occurrence', () => {
  it('refuses a start whose local date is not on the pattern, and says which date would be', () => {
    const problems = checkRecurrence(
      { pattern: 'weekly', days_of_week: ['monday', 'wednesday'] },
      { start: '2027-02-02T09:00:00+01:00', time_zone: AMS },
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toEqual(['start']);
    expect(problems[0]!.message).toMatch(/2027-02-02 \(a tuesday in Europe\/Amsterdam\).*2027-02-03/);
  });

  it('reads the date in time_zone, not in UTC', () => {
    // 23:30 UTC on Sunday is 00:30 on Monday in Amsterdam.
    const rec: Recurrence = { pattern: 'weekly', days_of_week: ['monday'] };
    expect(checkRecurrence(rec, { start: '2027-01-31T23:30:00Z', time_zone: AMS })).toEqual([]);
    expect(checkRecurrence(rec, { start: '2027-01-31T23:30:00Z', time_zone: 'UTC' })[0]!.path).toEqual([
      'start',
    ]);
  });

  it('checks each pattern’s date', () => {
    const ok = (rec: Recurrence, start: string): boolean =>
      checkRecurrence(rec, { start, time_zone: 'UTC', all_day: true }).length === 0;
    expect(ok({ pattern: 'absolute_monthly', day_of_month: 15 }, '2027-02-15')).toBe(true);
    expect(ok({ pattern: 'absolute_monthly', day_of_month: 15 }, '2027-02-14')).toBe(false);
    expect(
      ok({ pattern: 'relative_monthly', days_of_week: ['tuesday'], index: 'second' }, '2027-01-12'),
    ).toBe(true);
    expect(
      ok({ pattern: 'relative_monthly', days_of_week: ['tuesday'], index: 'second' }, '2027-01-05'),
    ).toBe(false);
    expect(ok({ pattern: 'relative_monthly', days_of_week: ['friday'], index: 'last' }, '2027-01-29')).toBe(
      true,
    );
    expect(ok({ pattern: 'absolute_yearly', day_of_month: 15, month: 3 }, '2027-03-15')).toBe(true);
    expect(ok({ pattern: 'absolute_yearly', day_of_month: 15, month: 3 }, '2027-04-15')).toBe(false);
    expect(
      ok({ pattern: 'relative_yearly', days_of_week: ['monday'], index: 'first', month: 2 }, '2027-02-01'),
    ).toBe(true);
    expect(ok({ pattern: 'daily', interval: 3 }, '2027-02-14')).toBe(true);
  });
});

describe('daylight saving', () => {
  it('refuses a first occurrence at a wall time the spring change skips', () => {
    // 2027-03-28 is the last Sunday of March: Amsterdam goes from 02:00 to 03:00.
    const rec: Recurrence = { pattern: 'weekly', days_of_week: ['sunday'] };
    const problems = checkRecurrence(rec, { start: '2027-03-28T02:30:00+01:00', time_zone: AMS });
    expect(problems).toEqual([
      {
        path: ['start'],
        message: expect.stringMatching(/^02:30 on 2027-03-28 does not exist in Europe\/Amsterdam/),
      },
    ]);
    expect(checkRecurrence(rec, { start: '2027-03-28T03:30:00+02:00', time_zone: AMS })).toEqual([]);
  });

  it('refuses a first occurrence at a wall time the autumn change repeats', () => {
    const rec: Recurrence = { pattern: 'weekly', days_of_week: ['sunday'] };
    for (const start of ['2027-10-31T02:30:00+02:00', '2027-10-31T02:30:00+01:00']) {
      expect(checkRecurrence(rec, { start, time_zone: AMS })).toEqual([
        {
          path: ['start'],
          message: expect.stringMatching(/^02:30 on 2027-10-31 occurs twice in Europe\/Amsterdam/),
        },
      ]);
    }
  });

  it('keeps a weekly 09:00 at 09:00 local across both changes; its UTC instants move by an hour', () => {
    const rec: Recurrence = { pattern: 'weekly', days_of_week: ['monday'], until: '2027-11-08' };
    const all = expandOccurrences(
      rec,
      { date: '2027-03-15', time: '09:00' },
      3_600_000,
      AMS,
      0,
      Infinity,
      100,
    );
    expect(all).toHaveLength(35);
    for (const o of all) expect(wallClock(o.start, AMS).slice(11)).toBe('09:00:00');
    for (const o of all) expect(wallClock(o.end, AMS).slice(11)).toBe('10:00:00');
    const starts = all.map((o) => iso(o.start));
    expect(starts.slice(0, 3)).toEqual([
      '2027-03-15T08:00:00Z',
      '2027-03-22T08:00:00Z',
      '2027-03-29T07:00:00Z',
    ]);
    expect(starts.slice(-3)).toEqual([
      '2027-10-25T07:00:00Z',
      '2027-11-01T08:00:00Z',
      '2027-11-08T08:00:00Z',
    ]);
  });
});

describe('expandOccurrences', () => {
  const day = (d: string): number => Date.parse(`${d}T00:00:00Z`);
  const dates = (rec: Recurrence, start: string, from = 0, to = Infinity, limit = 50): string[] =>
    expandOccurrences(rec, { date: start, time: '10:00' }, 3_600_000, 'UTC', from, to, limit).map(
      (o) => o.date,
    );

  it('counts, ends on until inclusive, and stops at the limit and the window', () => {
    expect(dates({ pattern: 'daily', interval: 2, count: 3 }, '2027-01-01')).toEqual([
      '2027-01-01',
      '2027-01-03',
      '2027-01-05',
    ]);
    expect(dates({ pattern: 'daily', until: '2027-01-03' }, '2027-01-01')).toEqual([
      '2027-01-01',
      '2027-01-02',
      '2027-01-03',
    ]);
    expect(dates({ pattern: 'daily' }, '2027-01-01', 0, Infinity, 2)).toEqual(['2027-01-01', '2027-01-02']);
    expect(dates({ pattern: 'daily' }, '2027-01-01', day('2030-06-01'), day('2030-06-03'))).toEqual([
      '2030-06-01',
      '2030-06-02',
    ]);
    // An occurrence that started before the window and is still running overlaps it.
    expect(
      dates({ pattern: 'daily' }, '2027-01-01', day('2027-01-05') + 10.5 * 3_600_000, day('2027-01-06')),
    ).toEqual(['2027-01-05']);
  });

  it('counts weeks from first_day_of_week', () => {
    const rec: Recurrence = { pattern: 'weekly', interval: 2, days_of_week: ['sunday', 'monday'], count: 4 };
    // Start Monday 2027-02-01. Weeks from Sunday: that week's Sunday is before the start.
    expect(dates(rec, '2027-02-01')).toEqual(['2027-02-01', '2027-02-14', '2027-02-15', '2027-02-28']);
    // Weeks from Monday: the Sunday six days later is in the start's week.
    expect(dates({ ...rec, first_day_of_week: 'monday' }, '2027-02-01')).toEqual([
      '2027-02-01',
      '2027-02-07',
      '2027-02-15',
      '2027-02-21',
    ]);
  });

  it('places monthly and yearly patterns', () => {
    expect(
      dates(
        { pattern: 'relative_monthly', days_of_week: ['tuesday'], index: 'second', count: 3 },
        '2027-01-12',
      ),
    ).toEqual(['2027-01-12', '2027-02-09', '2027-03-09']);
    expect(
      dates({ pattern: 'relative_monthly', days_of_week: ['friday'], index: 'last', count: 2 }, '2027-01-29'),
    ).toEqual(['2027-01-29', '2027-02-26']);
    // The 31st falls on the last day of a shorter month.
    expect(dates({ pattern: 'absolute_monthly', day_of_month: 31, count: 3 }, '2027-01-31')).toEqual([
      '2027-01-31',
      '2027-02-28',
      '2027-03-31',
    ]);
    expect(dates({ pattern: 'absolute_yearly', day_of_month: 29, month: 2, count: 2 }, '2028-02-29')).toEqual(
      ['2028-02-29', '2029-02-28'],
    );
    // Second weekday-or-weekend… here: the first Saturday or Sunday of November, every 2 years.
    expect(
      dates(
        {
          pattern: 'relative_yearly',
          interval: 2,
          days_of_week: ['saturday', 'sunday'],
          index: 'first',
          month: 11,
          count: 2,
        },
        '2027-11-06',
      ),
    ).toEqual(['2027-11-06', '2029-11-03']);
  });

  it('takes the start’s wall time in the zone', () => {
    expect(localStart('2027-02-01T09:00:00+01:00', AMS)).toEqual({ date: '2027-02-01', time: '09:00:00' });
    expect(localStart('2027-01-31T23:30:00Z', AMS)).toEqual({ date: '2027-02-01', time: '00:30:00' });
    expect(localStart('2027-02-01', AMS, true)).toEqual({ date: '2027-02-01', time: '00:00:00' });
    expect(() => localStart('2027-02-01T09:00:00', AMS)).toThrow(/^start: /);
  });

  it('refuses a malformed wall start', () => {
    expect(() =>
      expandOccurrences({ pattern: 'daily' }, { date: '2027-02-30', time: '09:00' }, 0, 'UTC', 0, 1, 1),
    ).toThrow(RangeError);
  });
});
