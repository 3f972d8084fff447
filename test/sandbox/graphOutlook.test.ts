/**
 * A person acting in Outlook on the sandbox Graph's calendars (the control routes that show drift):
 * edits that bump the changeKey but never touch extended properties, deletes and cancels, a person's
 * own meeting the service account may not cancel.
 */
import { SandboxGraph, SandboxIdentityProvider } from '../../src/sandbox';
import { client, controlUrl, graphToken, type Json } from './graphClient';

const OWNER = 'String {6f1d9a52-7c3e-4b8a-9d2f-3e5b8c1a7d40} Name GraphTokenManagerOwner';
const WRITTEN = 'String {6f1d9a52-7c3e-4b8a-9d2f-3e5b8c1a7d40} Name GraphTokenManagerWritten';

describe('a person in Outlook (control routes)', () => {
  let idp: SandboxIdentityProvider;
  let graph: SandboxGraph;
  let call: ReturnType<typeof client>;
  let events: string;
  let outlook: string;

  beforeAll(async () => {
    idp = await SandboxIdentityProvider.start();
    graph = await SandboxGraph.start({ identityProvider: idp });
    call = client(graph, await graphToken(idp));
    events = `/groups/${graph.groupIds[0]}/events`;
    outlook = `${controlUrl(graph)}/outlook/groups/${graph.groupIds[0]}/events`;
  });
  afterAll(async () => {
    await graph.close();
    await idp.close();
  });

  const expand = `?$expand=${encodeURIComponent(`singleValueExtendedProperties($filter=id eq '${OWNER}' or id eq '${WRITTEN}')`)}`;
  const create = async (): Promise<Json> =>
    (
      await call(`${events}${expand}`, {
        method: 'POST',
        body: {
          subject: 'Managed',
          start: { dateTime: '2027-09-01T09:00:00', timeZone: 'UTC' },
          end: { dateTime: '2027-09-01T10:00:00', timeZone: 'UTC' },
          body: { contentType: 'html', content: '<p>Agenda</p>' },
          singleValueExtendedProperties: [
            { id: OWNER, value: 'tid:oid' },
            { id: WRITTEN, value: 'hash-1' },
          ],
        },
      })
    ).body;
  const person = (path: string, method: string, body?: unknown): Promise<Response> =>
    fetch(`${outlook}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });

  it('edits any field, bumping the changeKey and leaving the extended properties alone', async () => {
    const e = await create();
    const edited = await person(`/${e.id}`, 'PATCH', {
      subject: 'Moved by Alex',
      start: { dateTime: '2027-09-01T11:00:00', timeZone: 'Eastern Standard Time' },
      end: { dateTime: '2027-09-01T12:00:00', timeZone: 'Eastern Standard Time' },
      body: { contentType: 'html', content: '<p>New agenda</p>' },
      location: { displayName: 'Room 7' },
      categories: ['Moved'],
      attendees: [{ emailAddress: { address: 'ana@contoso.example' } }],
    });
    expect(edited.status).toBe(200);
    const read = (
      await call(`/groups/${graph.groupIds[0]}/events/${e.id}${expand}`, {
        prefer: 'outlook.body-content-type="text"',
      })
    ).body;
    expect(read).toMatchObject({
      subject: 'Moved by Alex',
      start: { dateTime: '2027-09-01T15:00:00.0000000', timeZone: 'UTC' },
      body: { contentType: 'text', content: 'New agenda' },
      location: { displayName: 'Room 7' },
      categories: ['Moved'],
      originalStartTimeZone: 'Eastern Standard Time',
      singleValueExtendedProperties: e.singleValueExtendedProperties,
    });
    expect(read.changeKey).not.toBe(e.changeKey);
    expect(read.singleValueExtendedProperties).toEqual([
      { id: OWNER, value: 'tid:oid' },
      { id: WRITTEN, value: 'hash-1' },
    ]);
    // A person cannot set extended properties; the route says so instead of silently dropping them.
    const refused = await person(`/${e.id}`, 'PATCH', {
      singleValueExtendedProperties: [{ id: WRITTEN, value: 'x' }],
    });
    expect(refused.status).toBe(400);
    expect((await person('/AAMkAGunknown=', 'PATCH', { subject: 'x' })).status).toBe(404);
  });

  it('deletes or cancels an event as its organizer would in Outlook', async () => {
    const gone = await create();
    expect((await person(`/${gone.id}`, 'DELETE')).status).toBe(204);
    expect((await call(`${events}/${gone.id}`)).status).toBe(404);
    const cancelled = await create();
    expect((await person(`/${cancelled.id}/cancel`, 'POST')).status).toBe(202);
    const read = (await call(`${events}/${cancelled.id}${expand}`)).body;
    expect(read.isCancelled).toBe(true);
    expect(read.changeKey).not.toBe(cancelled.changeKey);
    expect(read.singleValueExtendedProperties).toHaveLength(2);
  });

  it("creates a person's own meeting: no extended properties, organized by them, not cancellable by the service", async () => {
    const made = await person('', 'POST', {
      subject: 'Team lunch',
      start: { dateTime: '2027-09-02T12:00:00', timeZone: 'W. Europe Standard Time' },
      end: { dateTime: '2027-09-02T13:00:00', timeZone: 'W. Europe Standard Time' },
      organizer: { address: 'kim@contoso.example', name: 'Kim' },
    });
    expect(made.status).toBe(201);
    const meeting = (await made.json()) as Json;
    expect(meeting).toMatchObject({
      subject: 'Team lunch',
      organizer: { emailAddress: { address: 'kim@contoso.example', name: 'Kim' } },
      singleValueExtendedProperties: [],
    });
    const read = (await call(`${events}/${meeting.id}${expand}`)).body;
    expect(read).toMatchObject({ isOrganizer: false, singleValueExtendedProperties: [] });
    const cancel = await call(`${events}/${meeting.id}/cancel`, { method: 'POST', body: {} });
    expect([cancel.status, cancel.body.error.code]).toEqual([400, 'ErrorInvalidRequest']);
    // The default person when none is named.
    const own = graph.outlook.createMeeting({
      subject: 'Dentist',
      start: { dateTime: '2027-09-03T08:00:00', timeZone: 'UTC' },
      end: { dateTime: '2027-09-03T09:00:00', timeZone: 'UTC' },
    });
    expect(own.event).toMatchObject({ organizer: 'alex.person@contoso.example', properties: {} });
  });

  it('edits one occurrence of a series (an exception) and deletes another', async () => {
    const series = (
      await call(events, {
        method: 'POST',
        body: {
          subject: 'Weekly',
          start: { dateTime: '2027-10-04T09:00:00', timeZone: 'UTC' },
          end: { dateTime: '2027-10-04T10:00:00', timeZone: 'UTC' },
          recurrence: {
            pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] },
            range: { type: 'endDate', startDate: '2027-10-04', endDate: '2027-10-25' },
          },
        },
      })
    ).body;
    const window = '?startDateTime=2027-10-01T00:00:00Z&endDateTime=2027-11-01T00:00:00Z';
    const [a, b] = (await call(`${events}/${series.id}/instances${window}`)).body.value as Json[];
    expect((await person(`/${a!.id}`, 'PATCH', { subject: 'Weekly (Alex away)' })).status).toBe(200);
    expect((await person(`/${b!.id}`, 'DELETE')).status).toBe(204);
    const after = (await call(`${events}/${series.id}/instances${window}`)).body.value as Json[];
    expect(after.map((v) => [v.type, v.subject])).toEqual([
      ['exception', 'Weekly (Alex away)'],
      ['occurrence', 'Weekly'],
      ['occurrence', 'Weekly'],
    ]);
  });
});
