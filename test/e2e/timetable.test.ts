/**
 * The timetable fields over real HTTP (local host, sandbox Graph, Azurite): a weekly series across a DST
 * change and its occurrences' instants, each pattern's Graph body, one occurrence moved and one
 * cancelled, a Teams meeting, and invalid bodies that send nothing (docs/events.md, docs/events.md).
 */
import { eventListSchema, groupEventResponseSchema } from '../../src/http/schemas';
import { call, startStack, type Stack } from './harness';

jest.setTimeout(120_000);

let stack: Stack;
let ana: string;

beforeAll(async () => {
  stack = await startStack();
  ana = await stack.sandbox.idp.signApiToken({
    roles: ['Events.Create'],
    oid: '22222222-0000-4000-8000-00000000000a',
  });
}, 120_000);

afterAll(async () => {
  await stack?.close();
}, 30_000);

const create = async (body: Record<string, unknown>) => {
  const r = await call(stack, 'POST', '/events', { token: ana, body });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
  return groupEventResponseSchema.parse(r.json);
};
const stored = (id: string) => stack.sandbox.graph.events.find((e) => e.id === id)!;
const occurrencesOf = async (id: string, from: string, to: string) => {
  const r = await call(stack, 'GET', `/events/${encodeURIComponent(id)}/occurrences?from=${from}&to=${to}`, {
    token: ana,
  });
  expect(r.status).toBe(200);
  return eventListSchema.parse(r.json).items;
};

describe('a weekly series across a daylight-saving change', () => {
  it('keeps 09:00 in Amsterdam: 08:00Z before the change, 07:00Z after, sent in wall clock', async () => {
    const series = await create({
      subject: 'CS101 lecture',
      start: '2027-03-15T09:00:00+01:00',
      end: '2027-03-15T10:45:00+01:00',
      time_zone: 'Europe/Amsterdam',
      recurrence: {
        pattern: 'weekly',
        days_of_week: ['monday', 'wednesday'],
        first_day_of_week: 'monday',
        until: '2027-04-07',
      },
      categories: ['CS101'],
      reminder_minutes: 15,
      show_as: 'busy',
    });
    expect(series).toMatchObject({
      type: 'series_master',
      time_zone: 'Europe/Amsterdam',
      recurrence: {
        pattern: 'weekly',
        interval: 1,
        days_of_week: ['monday', 'wednesday'],
        first_day_of_week: 'monday',
        until: '2027-04-07',
      },
      categories: ['CS101'],
      reminder_minutes: 15,
      show_as: 'busy',
    });
    // Sent in the zone's wall clock with the Windows form of the zone, never in UTC.
    expect(stored(series.id).body).toMatchObject({
      start: { dateTime: '2027-03-15T09:00:00', timeZone: 'W. Europe Standard Time' },
      end: { dateTime: '2027-03-15T10:45:00', timeZone: 'W. Europe Standard Time' },
      recurrence: {
        pattern: {
          type: 'weekly',
          interval: 1,
          daysOfWeek: ['monday', 'wednesday'],
          firstDayOfWeek: 'monday',
        },
        range: {
          type: 'endDate',
          startDate: '2027-03-15',
          endDate: '2027-04-07',
          recurrenceTimeZone: 'W. Europe Standard Time',
        },
      },
    });
    const items = await occurrencesOf(series.id, '2027-03-01T00:00:00Z', '2027-05-01T00:00:00Z');
    // Europe's clocks go forward on 28 March 2027.
    expect(items.map((o) => [o.start, o.end])).toEqual([
      ['2027-03-15T08:00:00Z', '2027-03-15T09:45:00Z'],
      ['2027-03-17T08:00:00Z', '2027-03-17T09:45:00Z'],
      ['2027-03-22T08:00:00Z', '2027-03-22T09:45:00Z'],
      ['2027-03-24T08:00:00Z', '2027-03-24T09:45:00Z'],
      ['2027-03-29T07:00:00Z', '2027-03-29T08:45:00Z'],
      ['2027-03-31T07:00:00Z', '2027-03-31T08:45:00Z'],
      ['2027-04-05T07:00:00Z', '2027-04-05T08:45:00Z'],
      ['2027-04-07T07:00:00Z', '2027-04-07T08:45:00Z'],
    ]);
    expect(items.every((o) => o.type === 'occurrence' && o.series_id === series.id)).toBe(true);
  });

  it('moves one occurrence and cancels another; the others keep their times', async () => {
    const series = await create({
      subject: 'Lab',
      start: '2027-10-05T14:00:00+02:00',
      end: '2027-10-05T16:00:00+02:00',
      time_zone: 'Europe/Amsterdam',
      attendees: ['ana@contoso.example', { email: 'bo@contoso.example', name: 'Bo', type: 'optional' }],
      recurrence: { pattern: 'weekly', days_of_week: ['tuesday'], count: 5 },
    });
    expect(series.attendees).toEqual([
      expect.objectContaining({ email: 'ana@contoso.example', type: 'required' }),
      expect.objectContaining({ email: 'bo@contoso.example', name: 'Bo', type: 'optional' }),
    ]);
    const [first, second, third] = await occurrencesOf(
      series.id,
      '2027-10-01T00:00:00Z',
      '2027-11-01T00:00:00Z',
    );
    // Second lab moved one hour later (a change of that occurrence only: an exception of the series).
    const moved = await call(stack, 'PATCH', `/events/${encodeURIComponent(second!.id)}`, {
      token: ana,
      body: { start: '2027-10-12T15:00:00+02:00', end: '2027-10-12T17:00:00+02:00', location: 'Lab 2' },
    });
    expect(moved.status).toBe(200);
    expect(moved.json).toMatchObject({
      type: 'exception',
      series_id: series.id,
      start: '2027-10-12T13:00:00Z',
      location: 'Lab 2',
    });
    // Third lab cancelled on its own; the last one falls after the change to winter time (31 October).
    const cancelled = await call(stack, 'POST', `/events/${encodeURIComponent(third!.id)}/cancel`, {
      token: ana,
      body: { comment: 'Lab closed' },
    });
    expect(cancelled.status).toBe(202);
    const after = await occurrencesOf(series.id, '2027-10-01T00:00:00Z', '2027-11-05T00:00:00Z');
    expect(after.map((o) => [o.start, o.type, o.location])).toEqual([
      [first!.start, 'occurrence', null],
      ['2027-10-12T13:00:00Z', 'exception', 'Lab 2'],
      ['2027-10-26T12:00:00Z', 'occurrence', null],
      ['2027-11-02T13:00:00Z', 'occurrence', null],
    ]);
    expect(first!.start).toBe('2027-10-05T12:00:00Z');
    const patternOnOccurrence = await call(stack, 'PATCH', `/events/${encodeURIComponent(first!.id)}`, {
      token: ana,
      body: { recurrence: { pattern: 'daily' } },
    });
    expect(patternOnOccurrence.status).toBe(400);
    expect(patternOnOccurrence.json.detail).toMatch(/^recurrence: /);
  });
});

describe('every pattern', () => {
  const CASES: Array<[string, Record<string, unknown>, string, Record<string, unknown>]> = [
    [
      'daily, every 2 days, 5 times',
      { pattern: 'daily', interval: 2, count: 5 },
      '2027-09-06',
      { type: 'daily', interval: 2 },
    ],
    [
      'weekly, no end',
      { pattern: 'weekly', days_of_week: ['monday'] },
      '2027-09-06',
      { type: 'weekly', daysOfWeek: ['monday'], firstDayOfWeek: 'sunday' },
    ],
    [
      'absolute monthly on the 6th',
      { pattern: 'absolute_monthly', day_of_month: 6, until: '2027-12-31' },
      '2027-09-06',
      { type: 'absoluteMonthly', dayOfMonth: 6 },
    ],
    [
      'relative monthly, first Monday',
      { pattern: 'relative_monthly', days_of_week: ['monday'], index: 'first', count: 3 },
      '2027-09-06',
      { type: 'relativeMonthly', daysOfWeek: ['monday'], index: 'first' },
    ],
    [
      'absolute yearly, 6 September',
      { pattern: 'absolute_yearly', day_of_month: 6, month: 9, count: 2 },
      '2027-09-06',
      { type: 'absoluteYearly', dayOfMonth: 6, month: 9 },
    ],
    [
      'relative yearly, first Monday of September',
      { pattern: 'relative_yearly', days_of_week: ['monday'], index: 'first', month: 9, count: 2 },
      '2027-09-06',
      { type: 'relativeYearly', daysOfWeek: ['monday'], index: 'first', month: 9 },
    ],
  ];
  it.each(CASES)('%s: its Graph body', async (_name, recurrence, startDate, pattern) => {
    const series = await create({
      subject: `Pattern ${String(recurrence.pattern)}`,
      start: `${startDate}T10:00:00-04:00`,
      end: `${startDate}T11:00:00-04:00`,
      time_zone: 'America/New_York',
      recurrence,
    });
    const sent = stored(series.id).body.recurrence as {
      pattern: Record<string, unknown>;
      range: Record<string, unknown>;
    };
    expect(sent.pattern).toEqual({ interval: 1, ...pattern });
    expect(sent.range).toMatchObject({ startDate, recurrenceTimeZone: 'America/New_York' });
    expect(sent.range.type).toBe(recurrence.count ? 'numbered' : recurrence.until ? 'endDate' : 'noEnd');
    expect(series.recurrence).toMatchObject({ pattern: recurrence.pattern });
  });
});

describe('a Teams meeting and the other fields', () => {
  it('returns the join URL, categories, reminder off, show as, importance, sensitivity and the body', async () => {
    const meeting = await create({
      subject: 'Office hours',
      start: '2027-09-07T13:00:00Z',
      end: '2027-09-07T14:00:00Z',
      online_meeting: true,
      categories: ['CS101', 'Office hours'],
      reminder_minutes: null,
      show_as: 'working_elsewhere',
      importance: 'high',
      sensitivity: 'private',
      body: '<p>Bring questions</p>',
      body_type: 'html',
    });
    expect(meeting).toMatchObject({
      online_meeting_url: expect.stringMatching(/^https:\/\/teams\.microsoft\.com\//),
      categories: ['CS101', 'Office hours'],
      reminder_minutes: null,
      show_as: 'working_elsewhere',
      importance: 'high',
      sensitivity: 'private',
      body_type: 'html',
      body: expect.stringContaining('Bring questions'),
    });
    expect(stored(meeting.id).body).toMatchObject({
      isOnlineMeeting: true,
      onlineMeetingProvider: 'teamsForBusiness',
      isReminderOn: false,
      showAs: 'workingElsewhere',
    });
    const got = await call(stack, 'GET', `/events/${encodeURIComponent(meeting.id)}`, { token: ana });
    expect(got.json).toMatchObject({
      online_meeting_url: meeting.online_meeting_url,
      body_type: 'text',
      body: 'Bring questions',
    });
    // The body as it was written: ask for html.
    const html = await call(stack, 'GET', `/events/${encodeURIComponent(meeting.id)}?body_type=html`, {
      token: ana,
    });
    expect(html.json).toMatchObject({
      body_type: 'html',
      body: expect.stringContaining('<p>Bring questions</p>'),
    });
    const bad = await call(stack, 'GET', `/events/${encodeURIComponent(meeting.id)}?body_type=rtf`, {
      token: ana,
    });
    expect(bad.status).toBe(400);
  });
});

describe('invalid bodies send nothing', () => {
  const BASE = {
    subject: 'x',
    start: '2027-09-06T10:00:00+02:00',
    end: '2027-09-06T11:00:00+02:00',
    time_zone: 'Europe/Amsterdam',
  };
  const CASES: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'a zone Graph has no form of',
      { ...BASE, time_zone: 'Antarctica/Troll', start: '2027-09-06T10:00:00Z', end: '2027-09-06T11:00:00Z' },
      /^body\.time_zone: /,
    ],
    [
      'day_of_month on a weekly pattern',
      { ...BASE, recurrence: { pattern: 'weekly', days_of_week: ['monday'], day_of_month: 3 } },
      /recurrence\.day_of_month: /,
    ],
    [
      'until before the start',
      { ...BASE, recurrence: { pattern: 'daily', until: '2027-09-01' } },
      /recurrence\.until: /,
    ],
    [
      'a start off the pattern',
      { ...BASE, recurrence: { pattern: 'weekly', days_of_week: ['tuesday'] } },
      /^body\.start: /,
    ],
    [
      'a first occurrence in the skipped hour',
      {
        ...BASE,
        start: '2027-03-28T02:30:00+01:00',
        end: '2027-03-28T04:00:00+02:00',
        recurrence: { pattern: 'weekly', days_of_week: ['sunday'] },
      },
      /start: /,
    ],
    [
      'count and until together',
      { ...BASE, recurrence: { pattern: 'daily', count: 3, until: '2027-09-10' } },
      /recurrence/,
    ],
    ['an unknown show_as', { ...BASE, show_as: 'away' }, /^body\.show_as: /],
    ['a reminder of -1', { ...BASE, reminder_minutes: -1 }, /^body\.reminder_minutes: /],
    [
      'an attendee type that is not one',
      { ...BASE, attendees: [{ email: 'a@contoso.example', type: 'cc' }] },
      /^body\.attendees\[0\]/,
    ],
  ];
  it.each(CASES)('%s → 400 naming the field', async (_name, body, field) => {
    const before = { ...stack.sandbox.graph.counts };
    const r = await call(stack, 'POST', '/events', { token: ana, body });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('INVALID_REQUEST');
    expect(r.json.detail).toMatch(field);
    expect(stack.sandbox.graph.counts.mailbox_requests).toBe(before.mailbox_requests);
    expect(stack.sandbox.graph.counts.events).toBe(before.events);
  });
});
