/**
 * The event fields of the sandbox Graph: Teams join URLs, categories, reminder, show as, importance,
 * sensitivity, attendees with type and response, bodies in the format `Prefer` asks for (HTML stored
 * as a document), the event type and time zones as given, and a changeKey that changes on every write.
 */
import { SandboxGraph, SandboxIdentityProvider } from '../../src/sandbox';
import { htmlToText } from '../../src/sandbox/graph/eventFields';
import { client, controlUrl, graphToken, type Json } from './graphClient';

describe('event fields', () => {
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

  const BASE = {
    subject: 'Exam board',
    start: { dateTime: '2027-02-01T13:00:00', timeZone: 'Romance Standard Time' },
    end: { dateTime: '2027-02-01T14:00:00', timeZone: 'Romance Standard Time' },
  };

  it('gives a Teams meeting a stable join URL and keeps the timetable fields', async () => {
    const created = await call(events, {
      method: 'POST',
      body: {
        ...BASE,
        isOnlineMeeting: true,
        onlineMeetingProvider: 'teamsForBusiness',
        categories: ['CS101', 'Exams'],
        isReminderOn: true,
        reminderMinutesBeforeStart: 30,
        showAs: 'tentative',
        importance: 'high',
        sensitivity: 'private',
        attendees: [
          { emailAddress: { address: 'ana@contoso.example', name: 'Ana' } },
          { emailAddress: { address: 'room1@contoso.example' }, type: 'resource' },
          { emailAddress: { address: 'bo@contoso.example' }, type: 'optional' },
        ],
      },
    });
    expect(created.status).toBe(201);
    const e = created.body;
    expect(e).toMatchObject({
      type: 'singleInstance',
      isOnlineMeeting: true,
      onlineMeetingProvider: 'teamsForBusiness',
      categories: ['CS101', 'Exams'],
      isReminderOn: true,
      reminderMinutesBeforeStart: 30,
      showAs: 'tentative',
      importance: 'high',
      sensitivity: 'private',
      originalStartTimeZone: 'Romance Standard Time',
      organizer: { emailAddress: { address: 'svc-graph@contoso.example' } },
      attendees: [
        {
          type: 'required',
          emailAddress: { address: 'ana@contoso.example', name: 'Ana' },
          status: { response: 'none', time: '0001-01-01T00:00:00Z' },
        },
        { type: 'resource', status: { response: 'none' } },
        { type: 'optional', status: { response: 'none' } },
      ],
    });
    expect(e.onlineMeeting.joinUrl).toMatch(
      /^https:\/\/teams\.microsoft\.com\/l\/meetup-join\/19%3ameeting_[\w-]+%40thread\.v2\/0\?context=/,
    );
    const again = await call(`${events}/${e.id}`);
    expect(again.body.onlineMeeting.joinUrl).toBe(e.onlineMeeting.joinUrl);
    // Once online, a meeting stays online (Graph ignores isOnlineMeeting: false later).
    const off = await call(`${events}/${e.id}`, { method: 'PATCH', body: { isOnlineMeeting: false } });
    expect(off.body).toMatchObject({
      isOnlineMeeting: true,
      onlineMeeting: { joinUrl: e.onlineMeeting.joinUrl },
    });
    const other = await call(events, { method: 'POST', body: { ...BASE, isOnlineMeeting: true } });
    expect(other.body.onlineMeetingProvider).toBe('teamsForBusiness');
    expect(other.body.onlineMeeting.joinUrl).not.toBe(e.onlineMeeting.joinUrl);
    const plain = await call(events, { method: 'POST', body: BASE });
    expect(plain.body).toMatchObject({
      isOnlineMeeting: false,
      onlineMeeting: null,
      categories: [],
      isReminderOn: true,
      reminderMinutesBeforeStart: 15,
      showAs: 'busy',
      importance: 'normal',
      sensitivity: 'normal',
    });

    for (const bad of [
      { showAs: 'away' },
      { importance: 'urgent' },
      { sensitivity: 'secret' },
      { attendees: [{ emailAddress: { address: 'x@y' }, type: 'cc' }] },
    ]) {
      const refused = await call(events, { method: 'POST', body: { ...BASE, ...bad } });
      expect([refused.status, refused.body.error.code]).toEqual([400, 'RequestBodyRead']);
    }
  });

  it('records attendee responses through the control route; a PATCH of the list keeps them', async () => {
    const e = (
      await call(events, {
        method: 'POST',
        body: {
          ...BASE,
          attendees: [
            { emailAddress: { address: 'ana@contoso.example' } },
            { emailAddress: { address: 'bo@contoso.example' } },
          ],
        },
      })
    ).body;
    const answered = await fetch(
      `${controlUrl(graph)}/outlook/groups/${graph.groupIds[0]}/events/${e.id}/response`,
      {
        method: 'POST',
        body: JSON.stringify({ address: 'ANA@contoso.example', response: 'accepted' }),
      },
    );
    expect(answered.status).toBe(204);
    const read = (await call(`${events}/${e.id}`)).body;
    expect(read.attendees[0].status.response).toBe('accepted');
    expect(read.attendees[0].status.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(read.attendees[1].status.response).toBe('none');
    expect(read.changeKey).not.toBe(e.changeKey);
    const patched = await call(`${events}/${e.id}`, {
      method: 'PATCH',
      body: {
        attendees: [
          { emailAddress: { address: 'ana@contoso.example' }, type: 'optional' },
          { emailAddress: { address: 'cy@contoso.example' } },
        ],
      },
    });
    expect(
      patched.body.attendees.map((a: Json) => [a.emailAddress.address, a.type, a.status.response]),
    ).toEqual([
      ['ana@contoso.example', 'optional', 'accepted'],
      ['cy@contoso.example', 'required', 'none'],
    ]);
    graph.outlook.respond(e.id, 'cy@contoso.example', 'declined');
    expect((await call(`${events}/${e.id}`)).body.attendees[1].status.response).toBe('declined');
    const unknown = await fetch(
      `${controlUrl(graph)}/outlook/groups/${graph.groupIds[0]}/events/${e.id}/response`,
      {
        method: 'POST',
        body: JSON.stringify({ address: 'zed@contoso.example', response: 'accepted' }),
      },
    );
    expect(unknown.status).toBe(404);
  });

  it('stores HTML bodies as a document and answers in the format Prefer asks for', async () => {
    const e = (
      await call(events, {
        method: 'POST',
        body: {
          ...BASE,
          body: { contentType: 'html', content: '<p>Agenda &amp; notes</p><p>Room <b>2</b><br>Floor 1</p>' },
        },
      })
    ).body;
    // Without the header, Graph answers HTML; Exchange keeps an HTML body as a whole document.
    expect(e.body.contentType).toBe('html');
    expect(e.body.content).toMatch(
      /^<html>\r\n<head>[\s\S]*<body>\r\n<p>Agenda &amp; notes<\/p>[\s\S]*<\/body>\r\n<\/html>\r\n$/,
    );
    expect(e.bodyPreview).toBe('Agenda & notes\r\nRoom 2\r\nFloor 1');

    const text = await call(`${events}/${e.id}`, { prefer: 'outlook.body-content-type="text"' });
    expect(text.body.body).toEqual({ contentType: 'text', content: 'Agenda & notes\r\nRoom 2\r\nFloor 1' });
    expect(text.headers.get('preference-applied')).toBe('outlook.body-content-type="text"');

    // Several preferences in one header, comma-separated (as the service sends them).
    const both = await call(`${events}/${e.id}`, {
      prefer: 'outlook.timezone="Pacific Standard Time", outlook.body-content-type="text"',
    });
    expect(both.body.start).toEqual({
      dateTime: '2027-02-01T04:00:00.0000000',
      timeZone: 'Pacific Standard Time',
    });
    expect(both.body.body.contentType).toBe('text');
    expect(both.headers.get('preference-applied')).toBe(
      'outlook.timezone="Pacific Standard Time", outlook.body-content-type="text"',
    );
    const utc = await call(`${events}/${e.id}`);
    expect(utc.body.start).toEqual({ dateTime: '2027-02-01T12:00:00.0000000', timeZone: 'UTC' });
    expect(utc.headers.get('preference-applied')).toBeNull();

    // A text body asked for as HTML is converted (escaped, line breaks as <br>).
    const t = (
      await call(events, {
        method: 'POST',
        body: { ...BASE, body: { contentType: 'text', content: 'a < b\nc' } },
        prefer: 'outlook.body-content-type="text"',
      })
    ).body;
    expect(t.body).toEqual({ contentType: 'text', content: 'a < b\nc' });
    const asHtml = await call(`${events}/${t.id}`, { prefer: 'outlook.body-content-type="html"' });
    expect(asHtml.body.body.content).toContain('a &lt; b<br>');
    expect(htmlToText(asHtml.body.body.content)).toBe('a < b\r\nc');
  });

  it('changes the changeKey on every write, never on a read', async () => {
    const e = (await call(events, { method: 'POST', body: BASE })).body;
    expect(e['@odata.etag']).toBe(`W/"${e.changeKey}"`);
    const read = (await call(`${events}/${e.id}`)).body;
    expect(read.changeKey).toBe(e.changeKey);
    const first = (await call(`${events}/${e.id}`, { method: 'PATCH', body: { categories: ['A'] } })).body;
    const second = (await call(`${events}/${e.id}`, { method: 'PATCH', body: { categories: ['A'] } })).body;
    expect(new Set([e.changeKey, first.changeKey, second.changeKey]).size).toBe(3);
    expect(first.categories).toEqual(['A']);
    expect((await call(`${events}/${e.id}?$select=subject,changeKey`)).body).toEqual({
      '@odata.context': expect.any(String),
      '@odata.etag': `W/"${second.changeKey}"`,
      id: e.id,
      subject: 'Exam board',
      changeKey: second.changeKey,
    });
  });
});
