/**
 * Recurring series in the sandbox Graph: the six patterns and three ranges, expansion in the series'
 * wall-clock zone across daylight saving, /instances and the calendar view with paging, and one
 * occurrence changed (an exception), moved, deleted or cancelled on its own.
 */
import { SandboxGraph, SandboxIdentityProvider } from '../../src/sandbox';
import { RecurrenceError, dateOf, occurrenceDays, parseRecurrence } from '../../src/sandbox/graph/recurrence';
import { client, graphToken, type Json } from './graphClient';

const days = (
  pattern: Json,
  range: Json,
  start = range.startDate as string,
  until = '2031-01-01',
): string[] =>
  occurrenceDays(parseRecurrence({ pattern, range }, start, 'UTC'), Date.parse(until) / 86_400_000).map(
    dateOf,
  );

describe('recurrence patterns (Graph recurrencePattern / recurrenceRange)', () => {
  it('expands all six pattern types with their ranges', () => {
    expect(
      days(
        { type: 'daily', interval: 2 },
        { type: 'numbered', startDate: '2027-01-04', numberOfOccurrences: 3 },
      ),
    ).toEqual(['2027-01-04', '2027-01-06', '2027-01-08']);
    // Every other week on Monday and Wednesday, weeks starting Monday, until a date (inclusive).
    expect(
      days(
        { type: 'weekly', interval: 2, daysOfWeek: ['monday', 'wednesday'], firstDayOfWeek: 'monday' },
        { type: 'endDate', startDate: '2027-01-06', endDate: '2027-01-25' },
      ),
    ).toEqual(['2027-01-06', '2027-01-18', '2027-01-20']);
    // The 31st of every month: months without one get their last day (sandbox choice, documented).
    expect(
      days(
        { type: 'absoluteMonthly', interval: 1, dayOfMonth: 31 },
        { type: 'numbered', startDate: '2027-01-31', numberOfOccurrences: 4 },
      ),
    ).toEqual(['2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30']);
    expect(
      days(
        { type: 'relativeMonthly', interval: 1, daysOfWeek: ['thursday'], index: 'second' },
        { type: 'numbered', startDate: '2027-01-14', numberOfOccurrences: 3 },
      ),
    ).toEqual(['2027-01-14', '2027-02-11', '2027-03-11']);
    expect(
      days(
        { type: 'relativeMonthly', interval: 3, daysOfWeek: ['friday'], index: 'last' },
        { type: 'numbered', startDate: '2027-01-29', numberOfOccurrences: 3 },
      ),
    ).toEqual(['2027-01-29', '2027-04-30', '2027-07-30']);
    // "The first day that satisfies the pattern" when daysOfWeek has several days.
    expect(
      days(
        { type: 'relativeMonthly', interval: 1, daysOfWeek: ['thursday', 'friday'], index: 'first' },
        { type: 'numbered', startDate: '2027-01-01', numberOfOccurrences: 2 },
      ),
    ).toEqual(['2027-01-01', '2027-02-04']);
    expect(
      days(
        { type: 'absoluteYearly', interval: 1, month: 2, dayOfMonth: 29 },
        { type: 'numbered', startDate: '2028-02-29', numberOfOccurrences: 2 },
      ),
    ).toEqual(['2028-02-29', '2029-02-28']);
    expect(
      days(
        { type: 'relativeYearly', interval: 2, month: 9, daysOfWeek: ['monday'], index: 'first' },
        { type: 'noEnd', startDate: '2027-09-06' },
        '2027-09-06',
        '2031-12-31',
      ),
    ).toEqual(['2027-09-06', '2029-09-03', '2031-09-01']);
  });

  it('starts at the first date that fits when the start does not, and refuses what Graph documents as invalid', () => {
    // "The first occurrence of the meeting may be this date or later, depending on the recurrence pattern."
    expect(
      days(
        { type: 'weekly', interval: 1, daysOfWeek: ['friday'] },
        { type: 'numbered', startDate: '2027-01-04', numberOfOccurrences: 2 },
      ),
    ).toEqual(['2027-01-08', '2027-01-15']);
    const bad = (pattern: Json, range: Json, start = '2027-01-04'): string => {
      try {
        parseRecurrence({ pattern, range }, start, 'UTC');
      } catch (error) {
        return (error as RecurrenceError).property;
      }
      return 'accepted';
    };
    const numbered = { type: 'numbered', startDate: '2027-01-04', numberOfOccurrences: 2 };
    expect(bad({ type: 'weekly', interval: 1 }, numbered)).toBe('recurrence.pattern.daysOfWeek');
    expect(bad({ type: 'absoluteMonthly', interval: 1 }, numbered)).toBe('recurrence.pattern.dayOfMonth');
    expect(bad({ type: 'absoluteYearly', interval: 1, dayOfMonth: 4 }, numbered)).toBe(
      'recurrence.pattern.month',
    );
    expect(bad({ type: 'hourly', interval: 1 }, numbered)).toBe('recurrence.pattern.type');
    expect(bad({ type: 'daily', interval: 0 }, numbered)).toBe('recurrence.pattern.interval');
    expect(bad({ type: 'daily', interval: 1, index: 'fifth' }, numbered)).toBe('recurrence.pattern.index');
    expect(bad({ type: 'daily', interval: 1 }, { ...numbered, numberOfOccurrences: 0 })).toBe(
      'recurrence.range.numberOfOccurrences',
    );
    expect(bad({ type: 'daily', interval: 1 }, { type: 'endDate', startDate: '2027-01-04' })).toBe(
      'recurrence.range.endDate',
    );
    expect(
      bad(
        { type: 'daily', interval: 1 },
        { type: 'endDate', startDate: '2027-01-04', endDate: '2027-01-01' },
      ),
    ).toBe('recurrence.range.endDate');
    // "Must be the same value as the start property of the recurring event."
    expect(bad({ type: 'daily', interval: 1 }, { ...numbered, startDate: '2027-01-05' })).toBe(
      'recurrence.range.startDate',
    );
    expect(bad({ type: 'daily', interval: 1 }, { ...numbered, recurrenceTimeZone: 'Europe/Amsterdam' })).toBe(
      'recurrence.range.recurrenceTimeZone',
    );
    expect(
      bad({ type: 'daily', interval: 1 }, { ...numbered, recurrenceTimeZone: 'W. Europe Standard Time' }),
    ).toBe('accepted');
  });
});

describe('recurring series over HTTP', () => {
  let idp: SandboxIdentityProvider;
  let graph: SandboxGraph;
  let call: ReturnType<typeof client>;
  let events: string;

  beforeAll(async () => {
    idp = await SandboxIdentityProvider.start();
    graph = await SandboxGraph.start({ identityProvider: idp });
    call = client(graph, await graphToken(idp));
    events = `/groups/${graph.groupIds[0]}/events`;
  });
  afterAll(async () => {
    await graph.close();
    await idp.close();
  });

  /** Weekly on Monday 09:00–10:30 Berlin time, 4 times, across the 2027-03-28 change to summer time. */
  const LECTURE = {
    subject: 'Lecture',
    start: { dateTime: '2027-03-15T09:00:00', timeZone: 'W. Europe Standard Time' },
    end: { dateTime: '2027-03-15T10:30:00', timeZone: 'W. Europe Standard Time' },
    recurrence: {
      pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] },
      range: { type: 'numbered', startDate: '2027-03-15', numberOfOccurrences: 4 },
    },
  };
  const window = '?startDateTime=2027-03-01T00:00:00Z&endDateTime=2027-05-01T00:00:00Z';

  it('stores a seriesMaster and expands it in its wall-clock zone across daylight saving', async () => {
    const created = await call(events, { method: 'POST', body: LECTURE });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      type: 'seriesMaster',
      seriesMasterId: null,
      start: { dateTime: '2027-03-15T09:00:00.0000000', timeZone: 'W. Europe Standard Time' },
      recurrence: {
        pattern: {
          type: 'weekly',
          interval: 1,
          daysOfWeek: ['monday'],
          firstDayOfWeek: 'sunday',
          index: 'first',
          dayOfMonth: 0,
          month: 0,
        },
        range: {
          type: 'numbered',
          startDate: '2027-03-15',
          endDate: '0001-01-01',
          numberOfOccurrences: 4,
          recurrenceTimeZone: 'W. Europe Standard Time',
        },
      },
    });
    const master = created.body.id as string;
    expect(graph.events.filter((e) => e.id === master)).toHaveLength(1); // occurrences are not stored

    const instances = await call(`${events}/${master}/instances${window}`);
    expect(instances.status).toBe(200);
    const value = instances.body.value as Json[];
    // 09:00 local stays 09:00 local: 08:00Z in winter, 07:00Z in summer.
    expect(value.map((v) => v.start.dateTime)).toEqual([
      '2027-03-15T08:00:00.0000000',
      '2027-03-22T08:00:00.0000000',
      '2027-03-29T07:00:00.0000000',
      '2027-04-05T07:00:00.0000000',
    ]);
    expect(value.map((v) => v.end.dateTime)[2]).toBe('2027-03-29T08:30:00.0000000');
    expect(new Set(value.map((v) => v.id)).size).toBe(4);
    for (const v of value)
      expect(v).toMatchObject({
        type: 'occurrence',
        seriesMasterId: master,
        subject: 'Lecture',
        recurrence: null,
      });
    expect(value[2]!.originalStart).toBe('2027-03-29T07:00:00Z');

    // In the series' own zone, Prefer: outlook.timezone shows the wall clock unchanged.
    const local = await call(`${events}/${master}/instances${window}`, {
      prefer: 'outlook.timezone="Europe/Berlin"',
    });
    expect((local.body.value as Json[]).map((v) => v.start.dateTime.slice(11, 16))).toEqual([
      '09:00',
      '09:00',
      '09:00',
      '09:00',
    ]);

    // One occurrence by its id; the calendar view expands the series too (the master is not listed).
    const one = await call(`${events}/${value[1]!.id}`);
    expect(one.body).toMatchObject({ id: value[1]!.id, type: 'occurrence', seriesMasterId: master });
    const view = await call(`/groups/${graph.groupIds[0]}/calendarView${window}`);
    expect((view.body.value as Json[]).filter((v) => v.seriesMasterId === master)).toHaveLength(4);
    expect((view.body.value as Json[]).some((v) => v.id === master)).toBe(false);
    // The events list shows the master, not the occurrences.
    const list = await call(`${events}?$top=100`);
    expect(
      (list.body.value as Json[]).filter((v) => v.id === master || v.seriesMasterId === master),
    ).toHaveLength(1);
  });

  it('keeps a change of one occurrence as an exception, moves it within its neighbours, deletes or cancels it alone', async () => {
    const master = (await call(events, { method: 'POST', body: { ...LECTURE, subject: 'Seminar' } })).body
      .id as string;
    const list = async (): Promise<Json[]> =>
      (await call(`${events}/${master}/instances${window}`)).body.value as Json[];
    const [first, second, third, fourth] = await list();

    const moved = await call(`${events}/${second!.id}`, {
      method: 'PATCH',
      body: {
        subject: 'Seminar (room change)',
        start: { dateTime: '2027-03-23T14:00:00', timeZone: 'Europe/Berlin' },
        end: { dateTime: '2027-03-23T15:30:00', timeZone: 'Europe/Berlin' },
      },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({
      id: second!.id,
      type: 'exception',
      seriesMasterId: master,
      subject: 'Seminar (room change)',
    });
    expect(moved.body.start.dateTime).toBe('2027-03-23T13:00:00.0000000');
    expect(moved.body.originalStart).toBe('2027-03-22T08:00:00Z');

    // Onto the next occurrence's day: Outlook's ErrorOccurrenceCrossingBoundary.
    const crossing = await call(`${events}/${first!.id}`, {
      method: 'PATCH',
      body: {
        start: { dateTime: '2027-03-22T09:00:00', timeZone: 'Europe/Berlin' },
        end: { dateTime: '2027-03-22T10:00:00', timeZone: 'Europe/Berlin' },
      },
    });
    expect(crossing.status).toBe(400);
    expect(crossing.body.error.code).toBe('ErrorOccurrenceCrossingBoundary');

    expect((await call(`${events}/${third!.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(
      (await call(`${events}/${fourth!.id}/cancel`, { method: 'POST', body: { comment: 'Ill' } })).status,
    ).toBe(202);
    const after = await list();
    expect(after.map((v) => [v.type, v.subject])).toEqual([
      ['occurrence', 'Seminar'],
      ['exception', 'Seminar (room change)'],
    ]);
    expect((await call(`${events}/${third!.id}`)).status).toBe(404);

    // A change of the master's subject reaches the occurrences; the exception keeps its own subject.
    const renamed = await call(`${events}/${master}`, { method: 'PATCH', body: { subject: 'Seminar II' } });
    expect(renamed.body.type).toBe('seriesMaster');
    expect((await list()).map((v) => v.subject)).toEqual(['Seminar II', 'Seminar (room change)']);
    // Deleting the master deletes the series.
    expect((await call(`${events}/${master}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`${events}/${second!.id}`)).status).toBe(404);
  });

  it('pages instances with @odata.nextLink, needs a window, and refuses an unsupported zone before storing', async () => {
    const daily = await call(events, {
      method: 'POST',
      body: {
        subject: 'Stand-up',
        start: { dateTime: '2027-06-01T09:00:00', timeZone: 'Europe/London' },
        end: { dateTime: '2027-06-01T09:15:00', timeZone: 'Europe/London' },
        recurrence: {
          pattern: { type: 'daily', interval: 1 },
          range: { type: 'noEnd', startDate: '2027-06-01' },
        },
      },
    });
    const path = `${events}/${daily.body.id}/instances?startDateTime=2027-06-01T00:00:00Z&endDateTime=2027-06-06T00:00:00Z&$top=2`;
    const seen: string[] = [];
    let next: string | undefined = path;
    while (next) {
      const page = await call(next);
      seen.push(...(page.body.value as Json[]).map((v) => v.start.dateTime.slice(0, 10)));
      next = page.body['@odata.nextLink'] as string | undefined;
    }
    expect(seen).toEqual(['2027-06-01', '2027-06-02', '2027-06-03', '2027-06-04', '2027-06-05']);
    expect((await call(`${events}/${daily.body.id}/instances`)).body.error.code).toBe(
      'ErrorInvalidParameter',
    );

    const before = graph.events.length;
    const amsterdam = await call(events, {
      method: 'POST',
      body: {
        ...LECTURE,
        start: { ...LECTURE.start, timeZone: 'Europe/Amsterdam' },
        end: { ...LECTURE.end, timeZone: 'Europe/Amsterdam' },
      },
    });
    expect(amsterdam.status).toBe(400);
    expect(amsterdam.body.error.code).toBe('TimeZoneNotSupportedException');
    const badPattern = await call(events, {
      method: 'POST',
      body: { ...LECTURE, recurrence: { ...LECTURE.recurrence, pattern: { type: 'weekly', interval: 1 } } },
    });
    expect(badPattern.status).toBe(400);
    expect(badPattern.body.error).toMatchObject({
      code: 'ErrorPropertyValidationFailure',
      message: expect.stringContaining('daysOfWeek'),
    });
    expect(graph.events.length).toBe(before);
  });
});
