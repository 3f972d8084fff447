/**
 * Upsert by external id and sync against the sandbox Graph with the real service (Azurite for the lease
 * and the audit): create / update only the differing fields / unchanged with nothing sent; a sync's
 * plan, its application, drift kept or overwritten, removals, a dry run that only reads, one bad item,
 * an external id of another scope, the lease, and a re-run that converges with no duplicates.
 */
import { startSandbox, type Sandbox } from '../../../src/sandbox';
import type { MicrosoftGraphTokenService } from '../../../src/lib';
import { FastClock, freshEnv, service } from '../helpers';

jest.setTimeout(120_000);

let sandbox: Sandbox;
let svc: MicrosoftGraphTokenService;

beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: false });
  svc = service(freshEnv(sandbox), { clock: new FastClock() });
});
afterAll(async () => {
  await svc?.close();
  await sandbox?.close();
});
beforeEach(() => {
  sandbox.graph.clearFaults();
  sandbox.graph.resetCounts();
  sandbox.graph.setLatency(0);
});

const lesson = (n: number, extra: Record<string, unknown> = {}) => ({
  external_id: `lesson-${n}`,
  subject: `Lesson ${n}`,
  start: `2027-03-${String(n).padStart(2, '0')}T09:00:00+01:00`,
  end: `2027-03-${String(n).padStart(2, '0')}T10:00:00+01:00`,
  time_zone: 'Europe/Berlin', // on Graph's IANA list (the room maps others to Windows zones)
  ...extra,
});
const live = (externalIdPrefix: string) =>
  sandbox.graph.events.filter((e) => !e.isCancelled && JSON.stringify(e).includes(externalIdPrefix));

describe('upsert by external id', () => {
  it('creates, then sends nothing when nothing differs, then changes only the differing fields', async () => {
    const { external_id: _x, ...event } = lesson(1);
    const created = await svc.upsertGroupEvent('up-1', {
      ...event,
      body: '<p>Bring a laptop</p>',
      body_type: 'html',
    });
    expect(created).toMatchObject({ action: 'create', event: { external_id: 'up-1', subject: 'Lesson 1' } });
    sandbox.graph.resetCounts();
    const same = await svc.upsertGroupEvent('up-1', {
      ...event,
      body: '<p>Bring a laptop</p>',
      body_type: 'html',
    });
    expect(same.action).toBe('unchanged');
    expect(same.event.id).toBe(created.event.id);
    expect(sandbox.graph.counts.writes).toBe(0);
    const moved = await svc.upsertGroupEvent('up-1', {
      ...event,
      location: 'Room 2',
      body: 'Bring a laptop',
    });
    expect(moved).toMatchObject({ action: 'update', changes: ['location'] });
    expect(moved.event.id).toBe(created.event.id);
    expect(await svc.getGroupEventByExternalId('up-1')).toMatchObject({
      id: created.event.id,
      location: 'Room 2',
    });
  });

  it('cancel and delete by external id; an upsert after a cancellation creates a new event, once', async () => {
    const { external_id: _x, ...event } = lesson(2);
    const first = await svc.upsertGroupEvent('up-2', event);
    await svc.cancelGroupEventByExternalId('up-2');
    const again = await svc.upsertGroupEvent('up-2', event);
    expect(again.action).toBe('create');
    expect(again.event.id).not.toBe(first.event.id);
    const repeat = await svc.upsertGroupEvent('up-2', event);
    expect([repeat.action, repeat.event.id]).toEqual(['unchanged', again.event.id]);
    await svc.deleteGroupEventByExternalId('up-2');
    await expect(svc.getGroupEventByExternalId('up-2')).resolves.toMatchObject({ id: first.event.id });
    await expect(svc.getGroupEventByExternalId('never')).rejects.toMatchObject({ code: 'EVENT_NOT_FOUND' });
    await expect(svc.upsertGroupEvent('bad\nid', event)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('concurrent upserts of a new external id make one event (the create key derives from it)', async () => {
    const { external_id: _x, ...event } = lesson(3);
    const results = await Promise.all(Array.from({ length: 4 }, () => svc.upsertGroupEvent('up-3', event)));
    expect(new Set(results.map((r) => r.event.id)).size).toBe(1);
    expect(live('up-3')).toHaveLength(1);
  });
});

describe('sync', () => {
  it('plans (dry run reads only), applies, and a re-run changes nothing and writes nothing', async () => {
    const events = [1, 2, 3, 4, 5].map((n) => lesson(n, { external_id: `s1-${n}` }));
    const plan = await svc.syncGroupEvents({ scope: 'cs101', events, dryRun: true });
    expect(plan).toMatchObject({ scope: 'cs101', group: 'default', dry_run: true });
    expect(plan.counts).toEqual({ create: 5, update: 0, unchanged: 0, remove: 0, drifted: 0, failed: 0 });
    expect(sandbox.graph.counts.writes).toBe(0);
    const applied = await svc.syncGroupEvents({ scope: 'cs101', events });
    expect(applied.counts.create).toBe(5);
    expect(applied.results.every((r) => r.id)).toBe(true);
    sandbox.graph.resetCounts();
    const again = await svc.syncGroupEvents({ scope: 'cs101', events });
    expect(again.counts).toEqual({ create: 0, update: 0, unchanged: 5, remove: 0, drifted: 0, failed: 0 });
    expect(sandbox.graph.counts.writes).toBe(0);
    expect(sandbox.graph.counts.reads).toBe(1);
  });

  it('updates only what changed, removes what is gone (cancel, or delete without attendees), keeps other scopes', async () => {
    const events = [1, 2, 3].map((n) =>
      lesson(n, { external_id: `s2-${n}`, ...(n === 3 ? { attendees: ['ana@contoso.example'] } : {}) }),
    );
    await svc.syncGroupEvents({ scope: 'cs102', events });
    await svc.syncGroupEvents({ scope: 'cs103', events: [lesson(9, { external_id: 's3-9' })] });
    sandbox.graph.resetCounts();
    const next = await svc.syncGroupEvents({
      scope: 'cs102',
      events: [{ ...events[0]!, subject: 'Lesson 1 (moved)' }],
    });
    expect(next.results).toEqual([
      { external_id: 's2-1', action: 'update', id: expect.any(String), changes: ['subject'] },
      { external_id: 's2-2', action: 'remove', id: expect.any(String) },
      { external_id: 's2-3', action: 'remove', id: expect.any(String) },
    ]);
    expect(sandbox.graph.counts.writes).toBe(3);
    const s22 = sandbox.graph.events.find((e) => e.id === next.results[1]!.id);
    const s23 = sandbox.graph.events.find((e) => e.id === next.results[2]!.id);
    expect(s22).toBeUndefined(); // no attendees: deleted
    expect(s23?.isCancelled).toBe(true); // attendees: cancelled, they are told
    const other = await svc.syncGroupEvents({ scope: 'cs103', events: [lesson(9, { external_id: 's3-9' })] });
    expect(other.counts.unchanged).toBe(1);
  });

  it('timetable fields round-trip: a weekly series with categories, Teams, reminder and show as re-syncs unchanged', async () => {
    const events = [
      {
        external_id: 'tt-1',
        subject: 'CS101 lecture',
        start: '2027-02-01T09:00:00+01:00',
        end: '2027-02-01T10:30:00+01:00',
        time_zone: 'Europe/Amsterdam',
        recurrence: { pattern: 'weekly', days_of_week: ['monday', 'wednesday'], until: '2027-05-31' },
        categories: ['CS101'],
        online_meeting: true,
        reminder_minutes: 15,
        show_as: 'busy',
        body: '<p>Room <b>A</b></p>',
        body_type: 'html',
        attendees: ['ana@contoso.example', { email: 'bo@contoso.example', type: 'optional' }],
      },
    ] as never;
    const first = await svc.syncGroupEvents({ scope: 'timetable', events });
    expect(first.counts).toMatchObject({ create: 1, failed: 0 });
    sandbox.graph.resetCounts();
    const again = await svc.syncGroupEvents({ scope: 'timetable', events });
    expect(again.counts).toMatchObject({ unchanged: 1, drifted: 0, update: 0 });
    expect(sandbox.graph.counts.writes).toBe(0);
    const changed = [
      { ...(events as Record<string, unknown>[])[0], categories: ['CS101', 'Exam'], reminder_minutes: null },
    ];
    const later = await svc.syncGroupEvents({ scope: 'timetable', events: changed as never });
    expect(later.results[0]).toMatchObject({ action: 'update', changes: ['categories', 'reminder_minutes'] });
    expect(
      (await svc.syncGroupEvents({ scope: 'timetable', events: changed as never })).counts.unchanged,
    ).toBe(1);
  });

  it('drift: a change made in Outlook is kept and reported, or overwritten on request', async () => {
    const events = [lesson(7, { external_id: 'd-7' })];
    const first = await svc.syncGroupEvents({ scope: 'drift', events });
    sandbox.graph.outlook.edit(first.results[0]!.id!, { location: { displayName: 'Moved by Alex' } });
    const kept = await svc.syncGroupEvents({ scope: 'drift', events });
    expect(kept.results[0]).toMatchObject({ action: 'drifted', changes: ['location'] });
    expect((await svc.getGroupEvent(first.results[0]!.id!)).location).toBe('Moved by Alex');
    const overwritten = await svc.syncGroupEvents({ scope: 'drift', events, drift: 'overwrite' });
    expect(overwritten.results[0]).toMatchObject({ action: 'update', changes: ['location'] });
    const settled = await svc.syncGroupEvents({ scope: 'drift', events });
    expect(settled.counts.unchanged).toBe(1);
  });

  it('an event deleted in Outlook is created again', async () => {
    const events = [lesson(8, { external_id: 'gone-8' })];
    const first = await svc.syncGroupEvents({ scope: 'gone', events });
    sandbox.graph.outlook.delete(first.results[0]!.id!);
    const again = await svc.syncGroupEvents({ scope: 'gone', events });
    expect(again.results[0]).toMatchObject({ action: 'create' });
    expect(again.results[0]!.id).not.toBe(first.results[0]!.id);
  });

  it('one bad item is failed and never stops the others; duplicate ids are a 400 naming both', async () => {
    const result = await svc.syncGroupEvents({
      scope: 'bad',
      events: [
        lesson(1, { external_id: 'b-1', end: '2027-03-01T08:00:00+01:00' }),
        lesson(2, { external_id: 'b-2' }),
      ],
    });
    expect(result.results[0]).toMatchObject({ action: 'failed', problem: { code: 'INVALID_REQUEST' } });
    expect(result.results[0]!.problem!.detail).toMatch(/events\[0\]\.end/);
    expect(result.results[1]!.action).toBe('create');
    // Two invalid items without an external id are two failures, not duplicates of each other.
    const missing = await svc.syncGroupEvents({
      scope: 'bad',
      events: [
        lesson(1, { external_id: undefined }),
        lesson(3, { external_id: undefined }),
        lesson(2, { external_id: 'b-2' }),
      ],
    });
    expect(missing.results.map((r) => r.action)).toEqual(['failed', 'failed', 'unchanged']);
    await expect(
      svc.syncGroupEvents({
        scope: 'bad',
        events: [lesson(1, { external_id: 'x' }), lesson(2, { external_id: 'x' })],
      }),
    ).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringMatching(/events\[1\].*events\[0\]/),
    });
  });

  it('an external id already used in another scope is EXTERNAL_ID_IN_OTHER_SCOPE, with no second event', async () => {
    await svc.syncGroupEvents({ scope: 'scope-a', events: [lesson(4, { external_id: 'shared-4' })] });
    const b = await svc.syncGroupEvents({
      scope: 'scope-b',
      events: [lesson(4, { external_id: 'shared-4' })],
    });
    expect(b.results[0]).toMatchObject({ action: 'failed', problem: { code: 'EXTERNAL_ID_IN_OTHER_SCOPE' } });
    expect(live('shared-4')).toHaveLength(1);
  });

  it('a second sync of the same scope while one runs is SYNC_IN_PROGRESS', async () => {
    sandbox.graph.setLatency(50);
    const events = [1, 2, 3, 4, 5, 6].map((n) => lesson(n, { external_id: `c-${n}` }));
    const first = svc.syncGroupEvents({ scope: 'busy', events });
    await new Promise((r) => setTimeout(r, 30));
    await expect(svc.syncGroupEvents({ scope: 'busy', events })).rejects.toMatchObject({
      code: 'SYNC_IN_PROGRESS',
      status: 409,
    });
    // A dry run takes no lease: it plans while the first sync still holds the scope.
    const dry = await svc.syncGroupEvents({ scope: 'busy', events, dryRun: true });
    expect(dry.dry_run).toBe(true);
    expect((await first).counts.create).toBe(6);
    // The scope is free again afterwards.
    expect((await svc.syncGroupEvents({ scope: 'busy', events })).counts.unchanged).toBe(6);
    // The refused sync is in the audit too, as a failure with its code (the admin page's last syncs).
    const refused = (await svc.recentSyncs(20)).filter(
      (s) => s.scope === 'busy' && s.error_code === 'SYNC_IN_PROGRESS',
    );
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ outcome: 'failure', dry_run: false });
  });

  it('keeps at most 4 requests at the mailbox', async () => {
    sandbox.graph.setLatency(20);
    const events = Array.from({ length: 24 }, (_, i) => lesson((i % 28) + 1, { external_id: `m-${i}` }));
    await svc.syncGroupEvents({ scope: 'many', events });
    expect(sandbox.graph.counts.max_in_flight).toBeLessThanOrEqual(4);
    expect(sandbox.graph.counts.mailbox_rejected).toBe(0);
  });
});
