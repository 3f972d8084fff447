/**
 * Several calendars (GRAPH_GROUP_IDS) with the real service against the sandbox Graph: `group` on every
 * operation, GROUP_NOT_ALLOWED before any request, listCalendars, the calendar.<alias> health checks,
 * and two calendars' syncs side by side, each within its own mailbox's limit.
 */
import { startSandbox, type Sandbox } from '../../../src/sandbox';
import { FastClock, freshEnv, service } from '../helpers';

jest.setTimeout(120_000);

const MATHS = '44444444-4444-4444-8444-444444444444';
const PHYSICS = '55555555-5555-4555-8555-555555555555';
const UNREACHABLE = '66666666-6666-4666-8666-666666666666';
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: false });
  sandbox.graph.addGroup(MATHS, 'Mathematics');
  sandbox.graph.addGroup(PHYSICS, 'Physics');
});
afterAll(async () => {
  await sandbox?.close();
});

const events = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    external_id: `${prefix}-${i}`,
    subject: `${prefix} ${i}`,
    start: `2027-06-${String((i % 28) + 1).padStart(2, '0')}T09:00:00Z`,
    end: `2027-06-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z`,
  }));

it('routes every operation to the calendar named by alias or id, and refuses any other before sending', async () => {
  const svc = service(
    freshEnv(sandbox, { GRAPH_GROUP_ID: '', GRAPH_GROUP_IDS: `maths=${MATHS},physics=${PHYSICS}` }),
    {
      clock: new FastClock(),
    },
  );
  try {
    const { external_id: _x, ...first } = events('m', 1)[0]!;
    const inMaths = await svc.createGroupEvent(first); // the default: the first listed
    expect(sandbox.graph.events.find((e) => e.id === inMaths.id)!.groupId).toBe(MATHS);
    const upsert = await svc.upsertGroupEvent(
      'p-1',
      { subject: 'Optics', start: '2027-06-01T09:00:00Z', end: '2027-06-01T10:00:00Z' },
      { group: 'physics' },
    );
    expect(sandbox.graph.events.find((e) => e.id === upsert.event.id)!.groupId).toBe(PHYSICS);
    expect((await svc.getGroupEventByExternalId('p-1', { group: PHYSICS.toUpperCase() })).id).toBe(
      upsert.event.id,
    );
    // External ids are per calendar: p-1 is unknown in maths.
    await expect(svc.getGroupEventByExternalId('p-1', { group: 'maths' })).rejects.toMatchObject({
      code: 'EVENT_NOT_FOUND',
    });
    sandbox.graph.resetCounts();
    for (const call of [
      () => svc.syncGroupEvents({ scope: 's', events: [], group: 'chemistry' }),
      () =>
        svc.upsertGroupEvent(
          'x',
          { subject: 'x', start: '2027-06-01T09:00:00Z', end: '2027-06-01T10:00:00Z' },
          { group: UNREACHABLE },
        ),
      () => svc.listGroupEvents({ group: 'default' }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'GROUP_NOT_ALLOWED', status: 400 });
    }
    expect(sandbox.graph.counts.mailbox_requests).toBe(0);
  } finally {
    await svc.close();
  }
});

it('lists the calendars and checks each in health', async () => {
  const env = freshEnv(sandbox, { GRAPH_GROUP_ID: '', GRAPH_GROUP_IDS: `maths=${MATHS},${UNREACHABLE}` });
  const svc = service(env, { clock: new FastClock() });
  try {
    expect(await svc.listCalendars()).toEqual([
      { alias: 'maths', group_id: MATHS, default: true, display_name: 'Mathematics', reachable: true },
      { alias: UNREACHABLE, group_id: UNREACHABLE, default: false, display_name: null, reachable: false },
    ]);
    await svc.acquireToken();
    const health = await svc.health({ detailed: true });
    expect(health.checks?.['calendar.maths']).toEqual({ status: 'ok' });
    expect(health.checks?.[`calendar.${UNREACHABLE}`]).toMatchObject({
      status: 'failing',
      hint: expect.stringMatching(/GRAPH_GROUP_IDS/),
    });
    expect(health.failing_checks).toContain(`calendar.${UNREACHABLE}`);
  } finally {
    await svc.close();
  }
});

it('two calendars sync side by side, each at most 4 requests at its mailbox', async () => {
  const env = freshEnv(sandbox, { GRAPH_GROUP_ID: '', GRAPH_GROUP_IDS: `maths=${MATHS},physics=${PHYSICS}` });
  const svc = service(env, { clock: new FastClock() });
  sandbox.graph.setLatency(25);
  try {
    sandbox.graph.resetCounts();
    const started = Date.now();
    const [a, b] = await Promise.all([
      svc.syncGroupEvents({ scope: 'side', events: events('ma', 40), group: 'maths' }),
      svc.syncGroupEvents({ scope: 'side', events: events('ph', 40), group: 'physics' }),
    ]);
    const took = Date.now() - started;
    expect([a.counts.create, b.counts.create]).toEqual([40, 40]);
    expect(sandbox.graph.counts.mailbox_rejected).toBe(0);
    // 40 creates + reads per calendar at 4 in flight and 25 ms each: one calendar alone needs ~250 ms;
    // the two together finish well before twice that would be if they shared one limit.
    expect(sandbox.graph.counts.max_in_flight).toBeLessThanOrEqual(4);
    expect(took).toBeLessThan(2 * 40 * 25); // far under the 2 s a serial run would take
  } finally {
    sandbox.graph.setLatency(0);
    await svc.close();
  }
});
