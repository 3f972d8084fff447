/**
 * The time zones the sandbox Graph accepts: Windows ids and Graph's documented IANA list, each
 * understood with the right rules; anything else 400 TimeZoneNotSupportedException, as Graph answers.
 */
import { SandboxGraph, SandboxIdentityProvider } from '../../src/sandbox';
import { GRAPH_IANA_ZONES, fromWall, resolveGraphZone, toWall } from '../../src/sandbox/graph/timeZones';
import { WINDOWS_ZONES } from '../../src/sandbox/graph/windowsZones';
import { client, graphToken } from './graphClient';

describe('time zone tables', () => {
  it('maps every Windows id and documented IANA name to a zone the platform knows', () => {
    for (const zone of [...Object.values(WINDOWS_ZONES), ...GRAPH_IANA_ZONES]) {
      expect(() => new Intl.DateTimeFormat('en-US', { timeZone: zone })).not.toThrow();
    }
    expect(resolveGraphZone('W. Europe Standard Time')).toBe('Europe/Berlin');
    expect(resolveGraphZone('pacific standard time')).toBe('America/Los_Angeles');
    expect(resolveGraphZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(resolveGraphZone('UTC')).toBe('UTC');
    // Not Windows ids and not on Graph's list.
    for (const name of [
      'Europe/Amsterdam',
      'Greenwich Mean Time',
      'Antarctica/Troll',
      'CET',
      'Mars/Olympus',
    ]) {
      expect(resolveGraphZone(name)).toBeUndefined();
    }
  });

  it('reads wall clocks with daylight saving: repeated hour → earlier instant, skipped hour → after the gap', () => {
    expect(new Date(fromWall('2027-07-01T09:00:00', 'Europe/Berlin')).toISOString()).toBe(
      '2027-07-01T07:00:00.000Z',
    );
    expect(new Date(fromWall('2027-10-31T02:30:00', 'Europe/Berlin')).toISOString()).toBe(
      '2027-10-31T00:30:00.000Z',
    );
    expect(new Date(fromWall('2027-03-28T02:30:00', 'Europe/Berlin')).toISOString()).toBe(
      '2027-03-28T01:30:00.000Z',
    );
    expect(toWall(Date.parse('2027-03-28T01:30:00Z'), 'Europe/Berlin')).toBe('2027-03-28T03:30:00');
    expect(toWall(Date.parse('2027-01-01T00:00:00Z'), 'Asia/Kathmandu')).toBe('2027-01-01T05:45:00');
  });
});

describe('time zones over HTTP', () => {
  let idp: SandboxIdentityProvider;
  let graph: SandboxGraph;
  let lenient: SandboxGraph;

  beforeAll(async () => {
    idp = await SandboxIdentityProvider.start();
    graph = await SandboxGraph.start({ identityProvider: idp });
    lenient = await SandboxGraph.start({ identityProvider: idp, timeZones: 'any' });
  });
  afterAll(async () => {
    await Promise.all([graph.close(), lenient.close()]);
    await idp.close();
  });

  const event = (timeZone: string, recurrenceTimeZone?: string) => ({
    subject: 'Zoned',
    start: { dateTime: '2027-07-01T09:00:00', timeZone },
    end: { dateTime: '2027-07-01T10:00:00', timeZone },
    ...(recurrenceTimeZone
      ? {
          recurrence: {
            pattern: { type: 'daily', interval: 1 },
            range: { type: 'numbered', startDate: '2027-07-01', numberOfOccurrences: 2, recurrenceTimeZone },
          },
        }
      : {}),
  });

  it('accepts Windows ids and listed IANA names, refuses the rest with TimeZoneNotSupportedException', async () => {
    const call = client(graph, await graphToken(idp));
    const path = `/groups/${graph.groupIds[0]}/events`;
    for (const [zone, instant] of [
      ['W. Europe Standard Time', '2027-07-01T07:00:00.000Z'],
      ['Eastern Standard Time', '2027-07-01T13:00:00.000Z'],
      ['America/New_York', '2027-07-01T13:00:00.000Z'],
      ['India Standard Time', '2027-07-01T03:30:00.000Z'],
      ['UTC', '2027-07-01T09:00:00.000Z'],
    ] as const) {
      const created = await call(path, { method: 'POST', body: event(zone) });
      expect([zone, created.status]).toEqual([zone, 201]);
      expect(created.body.start.timeZone).toBe(zone); // echoed as given
      expect(graph.events.find((e) => e.id === created.body.id)!.start).toBe(instant);
    }
    for (const zone of ['Europe/Amsterdam', 'Greenwich Mean Time', 'Antarctica/Troll']) {
      const refused = await call(path, { method: 'POST', body: event(zone) });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toEqual(
        expect.objectContaining({
          code: 'TimeZoneNotSupportedException',
          message: `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${zone}'.`,
        }),
      );
    }
    const badRecurrenceZone = await call(path, { method: 'POST', body: event('UTC', 'Europe/Amsterdam') });
    expect(badRecurrenceZone.body.error.code).toBe('TimeZoneNotSupportedException');
    expect((await call(path, { method: 'POST', body: event('UTC', 'UTC') })).status).toBe(201);
  });

  it('with timeZones "any" accepts every zone the platform knows (the behaviour before Graph\'s lists)', async () => {
    const call = client(lenient, await graphToken(idp));
    const created = await call(`/groups/${lenient.groupIds[0]}/events`, {
      method: 'POST',
      body: event('Europe/Amsterdam'),
    });
    expect(created.status).toBe(201);
    expect(lenient.events[0]!.start).toBe('2027-07-01T07:00:00.000Z');
    expect(created.body.start).toEqual({
      dateTime: '2027-07-01T09:00:00.0000000',
      timeZone: 'Europe/Amsterdam',
    });
    const series = await call(`/groups/${lenient.groupIds[0]}/events`, {
      method: 'POST',
      body: event('Europe/Amsterdam', 'Europe/Amsterdam'),
      prefer: 'outlook.timezone="Europe/Amsterdam"',
    });
    const instances = await call(
      `/groups/${lenient.groupIds[0]}/events/${series.body.id}/instances?startDateTime=2027-07-01&endDateTime=2027-07-03`,
    );
    expect(instances.body.value.map((v: { start: { dateTime: string } }) => v.start.dateTime)).toEqual([
      '2027-07-01T07:00:00.0000000',
      '2027-07-02T07:00:00.0000000',
    ]);
    // Switched back to Graph's rule while running (control route).
    const control = `${lenient.baseUrl.replace(/\/v1\.0$/, '')}/_sandbox/time-zones`;
    expect((await fetch(control, { method: 'POST', body: JSON.stringify({ policy: 'graph' }) })).status).toBe(
      204,
    );
    expect(await (await fetch(control)).json()).toEqual({ policy: 'graph' });
    const refused = await call(`/groups/${lenient.groupIds[0]}/events`, {
      method: 'POST',
      body: event('Europe/Amsterdam'),
    });
    expect(refused.status).toBe(400);
  });
});
