/** The compact recurrence column of the events CSV: parse, format, round trip, errors naming the part. */
import {
  formatCompactRecurrence,
  parseCompactRecurrence,
} from '../../../../src/lib/calendar/model/csvRecurrence';
import { normalizeRecurrence, type Recurrence } from '../../../../src/lib/calendar/model/recurrence';

describe('parseCompactRecurrence', () => {
  it('reads the example of docs/sync.md', () => {
    expect(parseCompactRecurrence('weekly;interval=1;days=mon,wed;until=2027-05-31')).toEqual({
      pattern: 'weekly',
      interval: 1,
      days_of_week: ['monday', 'wednesday'],
      until: '2027-05-31',
    });
  });

  it('takes long keys, full day and month names, any case and spacing', () => {
    expect(
      parseCompactRecurrence(
        ' Relative_Yearly ; days_of_week = Thursday,FRI ; index=Last ; month=nov ; count=3 ;',
      ),
    ).toEqual({
      pattern: 'relative_yearly',
      days_of_week: ['thursday', 'friday'],
      index: 'last',
      month: 11,
      count: 3,
    });
    expect(parseCompactRecurrence('absolute_monthly;day=15;interval=3')).toEqual({
      pattern: 'absolute_monthly',
      day_of_month: 15,
      interval: 3,
    });
  });

  it('reads an empty cell as no recurrence', () => {
    expect(parseCompactRecurrence('')).toBeUndefined();
    expect(parseCompactRecurrence('   ')).toBeUndefined();
  });

  it.each([
    ['hourly;interval=1', /^recurrence: "hourly" is not a pattern/],
    ['weekly;days=mon,xyz', /^recurrence: part "days=mon,xyz": "xyz" is not a day/],
    ['weekly;days=mon;colour=red', /^recurrence: part "colour=red": unknown key "colour"/],
    ['weekly;days=mon;days=tue', /^recurrence: part "days=tue": days_of_week is given twice/],
    ['weekly;days', /^recurrence: part "days" must be key=value/],
    ['daily;interval=two', /^recurrence: part "interval=two": "two" is not a whole number/],
    ['daily;interval=0', /^recurrence: part "interval=0": /],
    ['weekly;days=mon;day=3', /^recurrence: part "day=3": does not apply to a weekly pattern/],
    ['weekly;interval=2', /^recurrence: days: is required for a weekly pattern/],
    ['daily;until=2027-02-30', /^recurrence: part "until=2027-02-30": must be a date YYYY-MM-DD/],
    ['daily;until=2027-05-31;count=3', /^recurrence: part "count=3": cannot be given with until/],
    ['relative_monthly;days=tue;index=fifth', /^recurrence: part "index=fifth": "fifth" is not an index/],
  ])('%s → an error naming the part', (cell, message) => {
    expect(() => parseCompactRecurrence(cell)).toThrow(
      expect.objectContaining({ code: 'INVALID_REQUEST', message: expect.stringMatching(message) }),
    );
  });
});

describe('formatCompactRecurrence', () => {
  const cases: Recurrence[] = [
    { pattern: 'daily', interval: 2, count: 10 },
    { pattern: 'weekly', days_of_week: ['wednesday', 'monday'], until: '2027-05-31' },
    { pattern: 'weekly', interval: 2, days_of_week: ['friday'], first_day_of_week: 'monday' },
    { pattern: 'absolute_monthly', interval: 3, day_of_month: 15 },
    { pattern: 'relative_monthly', days_of_week: ['tuesday'], index: 'second', count: 12 },
    { pattern: 'absolute_yearly', day_of_month: 29, month: 2 },
    {
      pattern: 'relative_yearly',
      interval: 2,
      days_of_week: ['thursday', 'friday'],
      index: 'last',
      month: 11,
    },
  ];

  it('writes the example of docs/sync.md', () => {
    expect(
      formatCompactRecurrence({
        pattern: 'weekly',
        days_of_week: ['wednesday', 'monday'],
        until: '2027-05-31',
      }),
    ).toBe('weekly;interval=1;days=mon,wed;until=2027-05-31');
    expect(formatCompactRecurrence(cases[2]!)).toBe('weekly;interval=2;days=fri;first_day=mon');
  });

  it.each(cases)('%j round-trips', (rec) => {
    const cell = formatCompactRecurrence(rec);
    expect(normalizeRecurrence(parseCompactRecurrence(cell)!)).toEqual(normalizeRecurrence(rec));
    expect(formatCompactRecurrence(parseCompactRecurrence(cell)!)).toBe(cell);
  });
});
