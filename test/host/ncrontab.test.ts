import { CronSyntaxError, parseNcrontab } from '../../src/host/ncrontab';

const utc = (iso: string): Date => new Date(iso);
const next = (expression: string, after: string): string =>
  parseNcrontab(expression, { timeZone: 'utc' }).next(utc(after)).toISOString();

describe('NCRONTAB', () => {
  it.each([
    ['*/2 * * * * *', '2026-01-01T00:00:00.500Z', '2026-01-01T00:00:02.000Z'],
    ['*/2 * * * * *', '2026-01-01T00:00:01.000Z', '2026-01-01T00:00:02.000Z'],
    ['0 */5 * * * *', '2026-01-01T10:02:03Z', '2026-01-01T10:05:00.000Z'],
    ['0 */5 * * * *', '2026-01-01T10:05:00Z', '2026-01-01T10:10:00.000Z'],
    ['0 30 2 * * *', '2026-01-01T10:00:00Z', '2026-01-02T02:30:00.000Z'],
    // 2026-01-05 is a Monday.
    ['0 0 3 * * 1', '2026-01-01T00:00:00Z', '2026-01-05T03:00:00.000Z'],
    ['0 0 3 * * Mon', '2026-01-05T03:00:00Z', '2026-01-12T03:00:00.000Z'],
    ['0 0 0 1 Jan,Jul *', '2026-02-01T00:00:00Z', '2026-07-01T00:00:00.000Z'],
    ['5-10/5 0 0 * * *', '2026-01-01T00:00:05Z', '2026-01-01T00:00:10.000Z'],
    ['10/20 * * * * *', '2026-01-01T00:00:31Z', '2026-01-01T00:00:50.000Z'],
    ['0 0 12 29 2 *', '2026-03-01T00:00:00Z', '2028-02-29T12:00:00.000Z'],
    // Day of month AND day of week, as NCrontab: the 13th that is a Friday (2026-02-13).
    ['0 0 0 13 * 5', '2026-01-01T00:00:00Z', '2026-02-13T00:00:00.000Z'],
  ])('%s after %s is %s', (expression, after, expected) => {
    expect(next(expression, after)).toBe(expected);
  });

  it('uses local time by default, as Core Tools on a developer machine', () => {
    const schedule = parseNcrontab('0 30 2 * * *');
    const result = schedule.next(new Date(2026, 0, 1, 10, 0, 0));
    expect([result.getHours(), result.getMinutes(), result.getDate()]).toEqual([2, 30, 2]);
  });

  it.each([
    ['* * * * *', /6 fields/],
    ['60 * * * * *', /second "60"/],
    ['* * 24 * * *', /hour "24"/],
    ['* * * 0 * *', /day "0"/],
    ['* * * * 13 *', /month "13"/],
    ['* * * * * 7', /day-of-week "7"/],
    ['*/0 * * * * *', /step/],
    ['5-1 * * * * *', /reversed/],
    ['a * * * * *', /second "a"/],
    ['1,,2 * * * * *', /malformed/],
  ])('rejects %s', (expression, message) => {
    expect(() => parseNcrontab(expression)).toThrow(CronSyntaxError);
    expect(() => parseNcrontab(expression)).toThrow(message);
  });

  it('reports an expression that never matches', () => {
    expect(() => parseNcrontab('0 0 0 31 2 *', { timeZone: 'utc' }).next(new Date(0))).toThrow(
      /never matches/,
    );
  });
});
