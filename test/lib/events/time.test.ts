/** Exact times: instants ↔ Graph's wall-clock dateTimeTimeZone, across zones and DST changes. */
import {
  allDayGraphDateTime,
  fromGraphDateTime,
  instantsOf,
  isKnownTimeZone,
  isoInstant,
  parseDate,
  parseInstant,
  toGraphDateTime,
  wallClock,
} from '../../../src/lib/calendar/time';

describe('parseInstant', () => {
  it('reads offsets and Z, fractions, and refuses times without an offset', () => {
    expect(parseInstant('2026-12-01T09:00:00+01:00')).toBe(Date.parse('2026-12-01T08:00:00Z'));
    expect(parseInstant('2026-12-01T09:00Z')).toBe(Date.parse('2026-12-01T09:00:00Z'));
    expect(parseInstant('2026-12-01T09:00:00.250-05:30')).toBe(Date.parse('2026-12-01T14:30:00.250Z'));
    expect(() => parseInstant('2026-12-01T09:00:00', 'end')).toThrow(
      /^end: must be an ISO 8601 date-time with an offset/,
    );
    expect(() => parseInstant('2026-02-30T09:00:00Z')).toThrow(/start: is not a valid date-time/);
    expect(() => parseInstant('2026-12-01T24:00:00Z')).toThrow(/not a valid/);
    expect(() => parseDate('2026-13-01', 'end')).toThrow(/^end: must be a date/);
  });
});

describe('toGraphDateTime', () => {
  it('converts an instant to the wall clock of the zone, summer and winter', () => {
    expect(toGraphDateTime(Date.parse('2026-12-01T08:00:00Z'), 'Europe/Amsterdam')).toEqual({
      dateTime: '2026-12-01T09:00:00',
      timeZone: 'Europe/Amsterdam',
    });
    expect(toGraphDateTime(Date.parse('2026-07-01T08:00:00Z'), 'Europe/Amsterdam')).toEqual({
      dateTime: '2026-07-01T10:00:00',
      timeZone: 'Europe/Amsterdam',
    });
    expect(toGraphDateTime(Date.parse('2026-07-01T08:00:00Z'), 'America/New_York').dateTime).toBe(
      '2026-07-01T04:00:00',
    );
    expect(toGraphDateTime(Date.parse('2026-07-01T08:00:00Z'), 'Asia/Kolkata').dateTime).toBe(
      '2026-07-01T13:30:00',
    );
    expect(toGraphDateTime(Date.parse('2026-07-01T08:00:00Z'), 'Pacific/Chatham').dateTime).toBe(
      '2026-07-01T20:45:00',
    );
    expect(toGraphDateTime(Date.parse('2026-07-01T08:00:00Z'), 'UTC')).toEqual({
      dateTime: '2026-07-01T08:00:00',
      timeZone: 'UTC',
    });
  });

  it('sends an instant in the repeated hour (clocks go back) in UTC, so it stays exact', () => {
    // Europe/Amsterdam, 25 Oct 2026: 03:00 CEST → 02:00 CET; 02:30 happens twice.
    const first = Date.parse('2026-10-25T00:30:00Z'); // 02:30 CEST
    const second = Date.parse('2026-10-25T01:30:00Z'); // 02:30 CET
    expect(wallClock(first, 'Europe/Amsterdam')).toBe('2026-10-25T02:30:00');
    expect(wallClock(second, 'Europe/Amsterdam')).toBe('2026-10-25T02:30:00');
    expect(instantsOf('2026-10-25T02:30:00', 'Europe/Amsterdam')).toEqual([first, second]);
    expect(toGraphDateTime(first, 'Europe/Amsterdam')).toEqual({
      dateTime: '2026-10-25T00:30:00',
      timeZone: 'UTC',
    });
    expect(toGraphDateTime(second, 'Europe/Amsterdam')).toEqual({
      dateTime: '2026-10-25T01:30:00',
      timeZone: 'UTC',
    });
    // Just outside the repeated hour the zone is kept.
    expect(toGraphDateTime(Date.parse('2026-10-25T02:00:00Z'), 'Europe/Amsterdam')).toEqual({
      dateTime: '2026-10-25T03:00:00',
      timeZone: 'Europe/Amsterdam',
    });
  });

  it('knows the hour skipped when clocks go forward', () => {
    // America/New_York, 8 Mar 2026: 02:00 EST → 03:00 EDT; 02:30 never happens.
    expect(instantsOf('2026-03-08T02:30:00', 'America/New_York')).toEqual([]);
    expect(instantsOf('2026-03-08T03:30:00', 'America/New_York')).toEqual([
      Date.parse('2026-03-08T07:30:00Z'),
    ]);
    // An instant right after the change maps to the new offset and back, unambiguously.
    const after = Date.parse('2026-03-08T07:00:00Z');
    expect(toGraphDateTime(after, 'America/New_York')).toEqual({
      dateTime: '2026-03-08T03:00:00',
      timeZone: 'America/New_York',
    });
    // Graph's reading of a skipped wall time (never sent by us) moves past the gap.
    expect(
      isoInstant(fromGraphDateTime({ dateTime: '2026-03-08T02:30:00', timeZone: 'America/New_York' })),
    ).toBe('2026-03-08T07:30:00Z');
  });

  it('round-trips instants across a year of DST changes in several zones (every 6 h, and every 15 min on change days)', () => {
    for (const zone of [
      'Europe/Amsterdam',
      'America/New_York',
      'Australia/Sydney',
      'Asia/Tokyo',
      'America/Santiago',
    ]) {
      const start = Date.parse('2026-01-01T00:00:00Z');
      for (let t = start; t < start + 366 * 86_400_000; t += 6 * 3_600_000) {
        expect(fromGraphDateTime(toGraphDateTime(t, zone))).toBe(t);
      }
    }
    for (const [zone, day] of [
      ['Europe/Amsterdam', '2026-03-29'],
      ['Europe/Amsterdam', '2026-10-25'],
      ['America/New_York', '2026-03-08'],
      ['America/New_York', '2026-11-01'],
      ['Australia/Sydney', '2026-04-05'],
    ] as const) {
      const from = Date.parse(`${day}T00:00:00Z`) - 86_400_000;
      for (let t = from; t < from + 3 * 86_400_000; t += 15 * 60_000) {
        expect(fromGraphDateTime(toGraphDateTime(t, zone))).toBe(t);
      }
    }
  });
});

describe('all-day and reading back', () => {
  it('uses local midnights for all-day events', () => {
    expect(allDayGraphDateTime('2026-12-01', 'Europe/Amsterdam')).toEqual({
      dateTime: '2026-12-01T00:00:00',
      timeZone: 'Europe/Amsterdam',
    });
    expect(() => allDayGraphDateTime('2026-12-01T00:00:00Z', 'UTC', 'end')).toThrow(/^end: must be a date/);
  });

  it("reads Graph's UTC answers (seven-digit fractions) and zoned ones as instants", () => {
    expect(isoInstant(fromGraphDateTime({ dateTime: '2026-12-01T08:00:00.0000000', timeZone: 'UTC' }))).toBe(
      '2026-12-01T08:00:00Z',
    );
    expect(
      isoInstant(fromGraphDateTime({ dateTime: '2026-12-01T09:00:00', timeZone: 'Europe/Amsterdam' })),
    ).toBe('2026-12-01T08:00:00Z');
  });

  it('tells IANA zones from offsets and unknown names', () => {
    expect(isKnownTimeZone('Europe/Amsterdam')).toBe(true);
    expect(isKnownTimeZone('UTC')).toBe(true);
    expect(isKnownTimeZone('Europe/Atlantis')).toBe(false);
    expect(isKnownTimeZone('+01:00')).toBe(false);
  });
});
