/**
 * Every role against every event route (docs/http.md route table, docs/events.md), over real HTTP against the local host,
 * the sandbox Graph and Azurite: two owners (users Ana and Bo), an application caller, a reader, a
 * reader who also creates, a manager and a token administrator, on Ana's event and on a person's own
 * meeting created directly in the sandbox Graph (no stamps). The matrix below is the contract; the test
 * fills in what each call answered and compares the whole table at once.
 */
import { eventListSchema, groupEventResponseSchema } from '../../src/http/schemas';
import { call, startStack, type Stack } from './harness';

jest.setTimeout(120_000);

let stack: Stack;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};

const OWNER_ID = 'String {6f1d9a52-7c3e-4b8a-9d2f-3e5b8c1a7d40} Name GraphTokenManagerOwner';
const APP_CLIENT = '0a1b2c3d-1111-4222-8333-444455556666';
const APP_SP = 'a5a5a5a5-1111-4222-8333-444455556666';

const CALLERS = {
  ana: { roles: ['Events.Create'], oid: '11111111-0000-4000-8000-00000000000a', upn: 'ana@contoso.example' },
  bo: { roles: ['Events.Create'], oid: '11111111-0000-4000-8000-00000000000b', upn: 'bo@contoso.example' },
  app: {
    roles: ['Events.Create'],
    oid: APP_SP,
    appid: APP_CLIENT,
    extra: { idtyp: 'app', upn: undefined, preferred_username: undefined, scp: undefined },
  },
  reader: {
    roles: ['Events.Read'],
    oid: '11111111-0000-4000-8000-00000000000c',
    upn: 'rita@contoso.example',
  },
  carol: {
    roles: ['Events.Read', 'Events.Create'],
    oid: '11111111-0000-4000-8000-00000000000d',
    upn: 'carol@contoso.example',
  },
  manager: {
    roles: ['Events.Manage'],
    oid: '11111111-0000-4000-8000-00000000000e',
    upn: 'max@contoso.example',
  },
  admin: {
    roles: ['GraphTokens.Admin'],
    oid: '11111111-0000-4000-8000-00000000000f',
    upn: 'ada@contoso.example',
  },
} as const;
type Caller = keyof typeof CALLERS;
const NAMES = Object.keys(CALLERS) as Caller[];

const event = (subject: string, day: number) => ({
  subject,
  start: `2030-05-${String(day).padStart(2, '0')}T09:00:00Z`,
  end: `2030-05-${String(day).padStart(2, '0')}T10:00:00Z`,
});
const SERIES = {
  subject: 'Ana weekly',
  start: '2030-06-03T09:00:00+02:00',
  end: '2030-06-03T10:00:00+02:00',
  time_zone: 'Europe/Amsterdam',
  recurrence: { pattern: 'weekly', days_of_week: ['monday'], count: 3 },
};

/** What a call answered: the status, and the code of a problem. */
const outcome = (r: { status: number; json?: { code?: string } }): string =>
  r.status < 300 ? String(r.status) : `${r.status} ${r.json?.code ?? ''}`.trim();

beforeAll(async () => {
  stack = await startStack({ env: { EVENT_ATTENDEE_DOMAINS: 'contoso.example' } });
  for (const name of NAMES)
    tokens[name] = await stack.sandbox.idp.signApiToken({
      ...CALLERS[name],
      roles: [...CALLERS[name].roles],
    });
  const ana = await call(stack, 'POST', '/events', { token: tokens.ana, body: event('Ana', 1) });
  ids.ana = groupEventResponseSchema.parse(ana.json).id;
  const series = await call(stack, 'POST', '/events', { token: tokens.ana, body: SERIES });
  expect(series.status).toBe(201);
  ids.series = groupEventResponseSchema.parse(series.json).id;
  ids.person = stack.sandbox.graph.seedEvent({
    ...event('Person', 2),
    organizer: 'someone@contoso.example',
  }).id;
}, 120_000);

afterAll(async () => {
  await stack?.close();
}, 30_000);

describe('roles and owners', () => {
  it('stamps the owner as tid:oid, for users and for applications (their service principal)', async () => {
    const created = await call(stack, 'POST', '/events', { token: tokens.app, body: event('App', 3) });
    expect(created.status).toBe(201);
    const tid = JSON.parse(Buffer.from(tokens.app!.split('.')[1]!, 'base64url').toString()).tid as string;
    const stored = stack.sandbox.graph.events.find((e) => e.id === created.json.id)!;
    expect(stored.properties[OWNER_ID]).toBe(`${tid}:${APP_SP}`);
    expect(stack.sandbox.graph.events.find((e) => e.id === ids.ana)!.properties[OWNER_ID]).toBe(
      `${tid}:${CALLERS.ana.oid}`,
    );
  });

  it('answers every role on every route as the route table of docs/http.md says', async () => {
    const ROUTES = ['create', 'batch', 'list', 'get', 'occurrences', 'update', 'cancel', 'delete'] as const;
    type Route = (typeof ROUTES)[number];
    const run = async (who: Caller, route: Route, target: 'ana' | 'person'): Promise<string> => {
      const token = tokens[who]!;
      // Changes get an event of their own each, so one caller's success never hides the next one's answer.
      let id = target === 'person' ? ids.person! : ids.ana!;
      if (target === 'ana' && ['update', 'cancel', 'delete'].includes(route)) {
        const fresh = await call(stack, 'POST', '/events', {
          token: tokens.ana,
          body: event(`Ana ${who} ${route}`, 4),
        });
        id = fresh.json.id;
      }
      const path = `/events/${encodeURIComponent(id)}`;
      switch (route) {
        case 'create':
          return outcome(await call(stack, 'POST', '/events', { token, body: event(`By ${who}`, 5) }));
        case 'batch':
          return outcome(
            await call(stack, 'POST', '/events/batch', {
              token,
              body: { events: [event(`Batch ${who}`, 6)] },
            }),
          );
        case 'list': {
          const r = await call(stack, 'GET', '/events?from=2030-05-01T00:00:00Z&to=2030-05-03T00:00:00Z', {
            token,
          });
          if (r.status !== 200) return outcome(r);
          const seen = eventListSchema
            .parse(r.json)
            .items.map((e) => e.subject)
            .sort();
          return `200 [${seen.join(',')}]`;
        }
        case 'get':
          return outcome(await call(stack, 'GET', path, { token }));
        case 'occurrences': {
          const series = target === 'person' ? path : `/events/${encodeURIComponent(ids.series!)}`;
          return outcome(
            await call(
              stack,
              'GET',
              `${series}/occurrences?from=2030-06-01T00:00:00Z&to=2030-07-01T00:00:00Z`,
              {
                token,
              },
            ),
          );
        }
        case 'update':
          return outcome(await call(stack, 'PATCH', path, { token, body: { subject: `Changed by ${who}` } }));
        case 'cancel':
          return outcome(await call(stack, 'POST', `${path}/cancel`, { token, body: {} }));
        case 'delete':
          return outcome(await call(stack, 'DELETE', path, { token }));
      }
    };
    const F = '403 FORBIDDEN';
    const NF = '404 EVENT_NOT_FOUND';
    const OWN = '200 [Ana]';
    const ALL = '200 [Ana,Person]';
    // Ana's event (and her series for occurrences).
    const expectedAna: Record<Caller, Record<Route, string>> = {
      ana: {
        create: '201',
        batch: '200',
        list: OWN,
        get: '200',
        occurrences: '200',
        update: '200',
        cancel: '202',
        delete: '204',
      },
      bo: {
        create: '201',
        batch: '200',
        list: '200 []',
        get: NF,
        occurrences: NF,
        update: NF,
        cancel: NF,
        delete: NF,
      },
      app: {
        create: '201',
        batch: '200',
        list: '200 []',
        get: NF,
        occurrences: NF,
        update: NF,
        cancel: NF,
        delete: NF,
      },
      reader: {
        create: F,
        batch: F,
        list: ALL,
        get: '200',
        occurrences: '200',
        update: F,
        cancel: F,
        delete: F,
      },
      carol: {
        create: '201',
        batch: '200',
        list: ALL,
        get: '200',
        occurrences: '200',
        update: '403 EVENT_NOT_OWNER',
        cancel: '403 EVENT_NOT_OWNER',
        delete: '403 EVENT_NOT_OWNER',
      },
      manager: {
        create: F,
        batch: F,
        list: ALL,
        get: '200',
        occurrences: '200',
        update: '200',
        cancel: '202',
        delete: '204',
      },
      admin: { create: F, batch: F, list: F, get: F, occurrences: F, update: F, cancel: F, delete: F },
    };
    const NM = '403 EVENT_NOT_MANAGED';
    // A person's own meeting (no stamps): nobody changes it; who cannot read it does not learn it exists.
    const expectedPerson: Record<Caller, Partial<Record<Route, string>>> = {
      ana: { get: NF, update: NF, cancel: NF, delete: NF },
      bo: { get: NF, update: NF, cancel: NF, delete: NF },
      app: { get: NF, update: NF, cancel: NF, delete: NF },
      reader: { get: '200', occurrences: '400 INVALID_REQUEST', update: F, cancel: F, delete: F },
      carol: { get: '200', update: NM, cancel: NM, delete: NM },
      manager: { get: '200', update: NM, cancel: NM, delete: NM },
      admin: { get: F, update: F, cancel: F, delete: F },
    };
    const actualAna = {} as Record<Caller, Record<Route, string>>;
    const actualPerson = {} as Record<Caller, Partial<Record<Route, string>>>;
    // Lists first, while the calendar holds exactly Ana's and the person's events on those days.
    for (const who of NAMES) {
      actualAna[who] = {} as Record<Route, string>;
      actualAna[who].list = await run(who, 'list', 'ana');
    }
    for (const who of NAMES) {
      for (const route of ROUTES.filter((r) => r !== 'list'))
        actualAna[who][route] = await run(who, route, 'ana');
      actualPerson[who] = {};
      for (const route of Object.keys(expectedPerson[who]) as Route[]) {
        actualPerson[who][route] = await run(who, route, 'person');
      }
    }
    expect(actualAna).toEqual(expectedAna);
    expect(actualPerson).toEqual(expectedPerson);
    // The series' occurrences in the calendar view: its owner sees them, another creator does not.
    const june = '/events?from=2030-06-01T00:00:00Z&to=2030-06-30T00:00:00Z';
    const anaJune = eventListSchema.parse((await call(stack, 'GET', june, { token: tokens.ana })).json);
    expect(anaJune.items.map((e) => [e.subject, e.type])).toEqual([
      ['Ana weekly', 'occurrence'],
      ['Ana weekly', 'occurrence'],
      ['Ana weekly', 'occurrence'],
    ]);
    const boJune = eventListSchema.parse((await call(stack, 'GET', june, { token: tokens.bo })).json);
    expect(boJune.items).toEqual([]);
    // The person's meeting is untouched.
    const person = stack.sandbox.graph.events.find((e) => e.id === ids.person)!;
    expect(person.isCancelled).toBe(false);
    expect(person.fields.subject).toBe('Person');
  });

  it('refuses an attendee outside EVENT_ATTENDEE_DOMAINS, naming it, with nothing sent', async () => {
    const before = stack.sandbox.graph.counts.mailbox_requests;
    const r = await call(stack, 'POST', '/events', {
      token: tokens.ana,
      body: {
        ...event('Mass mail', 7),
        attendees: ['ana@contoso.example', { email: 'victim@elsewhere.example' }],
      },
    });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('INVALID_REQUEST');
    expect(r.json.detail).toMatch(/^attendees\[1\]: victim@elsewhere\.example is not in an allowed domain/);
    const patch = await call(stack, 'PATCH', `/events/${encodeURIComponent(ids.ana!)}`, {
      token: tokens.ana,
      body: { attendees: ['x@elsewhere.example'] },
    });
    expect(patch.status).toBe(400);
    expect(stack.sandbox.graph.counts.mailbox_requests).toBe(before);
  });

  it('a continuation token of one caller is refused for another (400 INVALID_CONTINUATION_TOKEN)', async () => {
    for (let i = 0; i < 55; i++) {
      await call(stack, 'POST', '/events', {
        token: tokens.carol,
        body: { subject: `Page ${i}`, start: '2030-08-01T09:00:00Z', end: '2030-08-01T10:00:00Z' },
      });
    }
    const q = '/events?from=2030-08-01T00:00:00Z&to=2030-08-02T00:00:00Z';
    const first = await call(stack, 'GET', q, { token: tokens.carol });
    const token = eventListSchema.parse(first.json).continuation_token!;
    expect(token).toBeTruthy();
    const next = await call(stack, 'GET', `/events?continuation_token=${encodeURIComponent(token)}`, {
      token: tokens.carol,
    });
    expect(next.status).toBe(200);
    expect(first.json.items.length + next.json.items.length).toBe(55);
    const stolen = await call(stack, 'GET', `/events?continuation_token=${encodeURIComponent(token)}`, {
      token: tokens.reader,
    });
    expect(outcome(stolen)).toBe('400 INVALID_CONTINUATION_TOKEN');
    const tampered = `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`;
    const bad = await call(stack, 'GET', `/events?continuation_token=${encodeURIComponent(tampered)}`, {
      token: tokens.carol,
    });
    expect(outcome(bad)).toBe('400 INVALID_CONTINUATION_TOKEN');
  });
});
