/**
 * Occurrence dates against an independent oracle: the generator steps period by period, the oracle tests
 * every day of four years against the pattern's definition. Random recurrences from a fixed seed.
 */
import {
  dateOf,
  dayNumber,
  expandOccurrences,
  seriesDays,
  WEEKDAYS,
} from '../../../../src/lib/calendar/model/occurrences';
import {
  checkRecurrence,
  WEEK_INDEXES,
  type Recurrence,
} from '../../../../src/lib/calendar/model/recurrence';
import { wallClock } from '../../../../src/lib/calendar/time';

/** A small deterministic generator (mulberry32), so a failure can be reproduced. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const parts = (day: number): { y: number; m: number; d: number; wd: number } => {
  const date = new Date(day * 86_400_000);
  return { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate(), wd: date.getUTCDay() };
};
const lastDay = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** Whether `day` is an occurrence, from the definitions (no stepping). */
function oracle(rec: Recurrence, start: number, day: number): boolean {
  const s = parts(start);
  const p = parts(day);
  const interval = rec.interval ?? 1;
  const days = new Set((rec.days_of_week ?? []).map((d) => WEEKDAYS.indexOf(d)));
  const months = (p.y - s.y) * 12 + (p.m - s.m);
  // The n-th (or last) day of p's month whose weekday is in the set, as a day of month.
  const relative = (): boolean => {
    const matching: number[] = [];
    for (let d = 1; d <= lastDay(p.y, p.m); d++) {
      if (days.has(new Date(Date.UTC(p.y, p.m - 1, d)).getUTCDay())) matching.push(d);
    }
    const want = rec.index === 'last' ? matching.at(-1) : matching[WEEK_INDEXES.indexOf(rec.index!)];
    return p.d === want;
  };
  const absolute = (): boolean => p.d === Math.min(rec.day_of_month!, lastDay(p.y, p.m));
  if (day < start) return false;
  switch (rec.pattern) {
    case 'daily':
      return (day - start) % interval === 0;
    case 'weekly': {
      const first = WEEKDAYS.indexOf(rec.first_day_of_week ?? 'sunday');
      const weekStart = start - ((s.wd - first + 7) % 7);
      return days.has(p.wd) && Math.floor((day - weekStart) / 7) % interval === 0;
    }
    case 'absolute_monthly':
      return months % interval === 0 && absolute();
    case 'relative_monthly':
      return months % interval === 0 && relative();
    case 'absolute_yearly':
      return p.m === rec.month && (p.y - s.y) % interval === 0 && absolute();
    case 'relative_yearly':
      return p.m === rec.month && (p.y - s.y) % interval === 0 && relative();
  }
}

function randomRecurrence(next: () => number): Recurrence {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const someDays = (): (typeof WEEKDAYS)[number][] => {
    const days = WEEKDAYS.filter(() => next() < 0.3);
    return days.length ? days : [pick(WEEKDAYS)];
  };
  const interval = 1 + Math.floor(next() * 3);
  switch (
    pick([
      'daily',
      'weekly',
      'absolute_monthly',
      'relative_monthly',
      'absolute_yearly',
      'relative_yearly',
    ] as const)
  ) {
    case 'daily':
      return { pattern: 'daily', interval: interval * 2 - 1 };
    case 'weekly':
      return { pattern: 'weekly', interval, days_of_week: someDays(), first_day_of_week: pick(WEEKDAYS) };
    case 'absolute_monthly':
      return { pattern: 'absolute_monthly', interval, day_of_month: 1 + Math.floor(next() * 31) };
    case 'relative_monthly':
      return { pattern: 'relative_monthly', interval, days_of_week: someDays(), index: pick(WEEK_INDEXES) };
    case 'absolute_yearly': {
      const month = 1 + Math.floor(next() * 12);
      return {
        pattern: 'absolute_yearly',
        interval,
        month,
        day_of_month: 1 + Math.floor(next() * lastDay(2028, month)),
      };
    }
    case 'relative_yearly':
      return {
        pattern: 'relative_yearly',
        interval,
        month: 1 + Math.floor(next() * 12),
        days_of_week: someDays(),
        index: pick(WEEK_INDEXES),
      };
  }
}

describe('seriesDays', () => {
  it('gives exactly the oracle’s days for 150 random recurrences over four years', () => {
    const next = random(16);
    const from = dayNumber('2026-11-01')!;
    for (let n = 0; n < 150; n++) {
      const rec = randomRecurrence(next);
      const start = from + Math.floor(next() * 400);
      const end = start + 4 * 366;
      const generated: string[] = [];
      for (const d of seriesDays(rec, start)) {
        if (d > end) break;
        generated.push(dateOf(d));
      }
      const expected: string[] = [];
      for (let d = start; d <= end; d++) if (oracle(rec, start, d)) expected.push(dateOf(d));
      expect([rec, dateOf(start), generated]).toEqual([rec, dateOf(start), expected]);
      // The start matches the pattern exactly when it is the first of these days.
      const startOk =
        checkRecurrence(rec, { start: dateOf(start), time_zone: 'UTC', all_day: true }).length === 0;
      expect([rec, dateOf(start), startOk]).toEqual([rec, dateOf(start), expected[0] === dateOf(start)]);
    }
  });
});

describe('expandOccurrences across zones', () => {
  it.each(['Europe/Amsterdam', 'America/New_York', 'Australia/Sydney', 'Pacific/Auckland', 'Asia/Tokyo'])(
    'a weekly 09:00 in %s is 09:00 local all year',
    (zone) => {
      const rec: Recurrence = { pattern: 'weekly', days_of_week: ['tuesday', 'thursday'], count: 104 };
      const all = expandOccurrences(
        rec,
        { date: '2027-01-05', time: '09:00' },
        5_400_000,
        zone,
        0,
        Infinity,
        500,
      );
      expect(all).toHaveLength(104);
      expect(new Set(all.map((o) => wallClock(o.start, zone).slice(11)))).toEqual(new Set(['09:00:00']));
      expect(new Set(all.map((o) => wallClock(o.end, zone).slice(11)))).toEqual(new Set(['10:30:00']));
      const utcHours = new Set(all.map((o) => new Date(o.start).getUTCHours()));
      // Zones with daylight saving show two UTC hours over the year; Tokyo has none.
      expect(utcHours.size).toBe(zone === 'Asia/Tokyo' ? 1 : 2);
    },
  );
});
