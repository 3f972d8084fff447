/** External ids and sync over real HTTP against the local host process, the sandbox Graph and Azurite. */
import { problemSchema, syncAnswerSchema, upsertResultSchema } from '../../src/http/schemas';
import { call, startStack, type Stack } from './harness';

let stack: Stack;
let creator: string;
let reader: string;

beforeAll(async () => {
  stack = await startStack();
  creator = await stack.sandbox.idp.signApiToken({ roles: ['Events.Create'] });
  reader = await stack.sandbox.idp.signApiToken({
    roles: ['Events.Read'],
    oid: '99999999-9999-4999-8999-999999999999',
  });
}, 60_000);

afterAll(async () => {
  await stack?.close();
}, 30_000);

const EVENT = { subject: 'Seminar', start: '2027-05-03T09:00:00Z', end: '2027-05-03T10:00:00Z' };
const path = (id: string): string => `/events/by-external-id/${encodeURIComponent(id)}`;

it('PUT by external id: 201 create, 200 unchanged, 200 update with the changed fields; GET, cancel, DELETE', async () => {
  const first = await call(stack, 'PUT', path('sem/1 #a'), { token: creator, body: EVENT });
  expect(first.status).toBe(201);
  const created = upsertResultSchema.parse(first.json);
  expect(created).toMatchObject({ action: 'create', event: { external_id: 'sem/1 #a' } });
  const same = await call(stack, 'PUT', path('sem/1 #a'), { token: creator, body: EVENT });
  expect([same.status, same.json.action]).toEqual([200, 'unchanged']);
  const moved = await call(stack, 'PUT', path('sem/1 #a'), {
    token: creator,
    body: { ...EVENT, subject: 'Seminar (room 2)' },
  });
  expect([moved.status, moved.json.action, moved.json.changes]).toEqual([200, 'update', ['subject']]);
  const got = await call(stack, 'GET', path('sem/1 #a'), { token: creator });
  expect([got.status, got.json.id, got.json.subject]).toEqual([200, created.event.id, 'Seminar (room 2)']);
  // External ids are per owner: another caller has no event with this id.
  expect((await call(stack, 'GET', path('sem/1 #a'), { token: reader })).status).toBe(404);
  expect((await call(stack, 'POST', `${path('sem/1 #a')}/cancel`, { token: creator, body: {} })).status).toBe(
    202,
  );
  expect((await call(stack, 'DELETE', path('sem/1 #a'), { token: creator })).status).toBe(204);
  const bad = await call(stack, 'PUT', path('x'.repeat(129)), { token: creator, body: EVENT });
  expect([bad.status, problemSchema.parse(bad.json).code]).toEqual([400, 'INVALID_REQUEST']);
  expect((await call(stack, 'PUT', path('ro'), { token: reader, body: EVENT })).status).toBe(403);
});

it('POST /api/events/sync: a dry run, the apply, a no-op re-run; bodies past 64 KiB are fine here only', async () => {
  const events = Array.from({ length: 300 }, (_, i) => ({
    ...EVENT,
    external_id: `big-${i}`,
    subject: `Seminar ${i}`,
    body: 'x'.repeat(400), // ~130 KiB in all: over the API's 64 KiB, under this route's 8 MiB
  }));
  const dry = await call(stack, 'POST', '/events/sync', {
    token: creator,
    body: { scope: 'e2e', events, dry_run: true },
  });
  expect(dry.status).toBe(200);
  expect(syncAnswerSchema.parse(dry.json).counts.create).toBe(300);
  const applied = await call(stack, 'POST', '/events/sync', {
    token: creator,
    body: { scope: 'e2e', events },
  });
  expect(applied.json.counts).toEqual({
    create: 300,
    update: 0,
    unchanged: 0,
    remove: 0,
    drifted: 0,
    failed: 0,
  });
  const again = await call(stack, 'POST', '/events/sync', {
    token: creator,
    body: { scope: 'e2e', events: events.slice(0, 299), remove: 'delete' },
  });
  expect(again.json.counts).toMatchObject({ unchanged: 299, remove: 1 });
  // The same size on a route that keeps 64 KiB is a 413.
  const big = await call(stack, 'POST', '/events', { token: creator, body: { events } });
  expect(big.status).toBe(413);
  const bad = await call(stack, 'POST', '/events/sync', {
    token: creator,
    body: { scope: 'no spaces', events: [] },
  });
  expect([bad.status, bad.json.code, bad.json.detail]).toEqual([
    400,
    'INVALID_REQUEST',
    expect.stringMatching(/^scope: /),
  ]);
}, 60_000);

it('GET /api/calendars lists the allowed calendars; ?group= outside them is 400 GROUP_NOT_ALLOWED', async () => {
  const list = await call(stack, 'GET', '/calendars', { token: reader });
  expect(list.status).toBe(200);
  expect(list.json.items).toEqual([
    expect.objectContaining({
      alias: 'default',
      default: true,
      reachable: true,
      display_name: expect.any(String),
    }),
  ]);
  const refused = await call(stack, 'PUT', `${path('g-1')}?group=elsewhere`, { token: creator, body: EVENT });
  expect([refused.status, refused.json.code]).toEqual([400, 'GROUP_NOT_ALLOWED']);
  const sync = await call(stack, 'POST', '/events/sync?group=elsewhere', {
    token: creator,
    body: { scope: 's', events: [] },
  });
  expect([sync.status, sync.json.code]).toEqual([400, 'GROUP_NOT_ALLOWED']);
});

it('the last syncs come from the audit (scope, calendar, counts, when, who) for the admin page', async () => {
  const admin = await stack.sandbox.idp.signApiToken({
    roles: ['GraphTokens.Read'],
    upn: 'ops@contoso.example',
  });
  const syncs = await call(stack, 'GET', '/graph-tokens/syncs', { token: admin });
  expect(syncs.status).toBe(200);
  const applied = syncs.json.items.find(
    (s: { scope: string; dry_run: boolean }) => s.scope === 'e2e' && !s.dry_run,
  );
  expect(applied).toMatchObject({
    group: 'default',
    outcome: 'success',
    counts: expect.objectContaining({ unchanged: 299, remove: 1 }),
    actor: expect.stringMatching(/:/),
  });
  expect(new Date(syncs.json.items[0].time).getTime()).toBeGreaterThan(Date.now() - 600_000);
  expect((await call(stack, 'GET', '/graph-tokens/syncs', { token: creator })).status).toBe(403);
});
