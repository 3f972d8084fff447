/**
 * Several groups in the sandbox Graph, each its own calendar and mailbox: GET /groups/{id}, unknown
 * groups 404, 4 requests in flight per mailbox, the request budget per mailbox (small numbers through
 * an injected clock) and the request counts per group and method.
 */
import { SandboxGraph, SandboxIdentityProvider } from '../../src/sandbox';
import { client, controlUrl, graphToken } from './graphClient';

const A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const EVENT = {
  subject: 'Meeting',
  start: { dateTime: '2027-05-03T10:00:00', timeZone: 'UTC' },
  end: { dateTime: '2027-05-03T11:00:00', timeZone: 'UTC' },
};

describe('groups and mailbox limits', () => {
  let idp: SandboxIdentityProvider;
  let graph: SandboxGraph;
  let call: ReturnType<typeof client>;
  let now = Date.parse('2027-05-01T00:00:00Z');

  beforeAll(async () => {
    idp = await SandboxIdentityProvider.start();
    graph = await SandboxGraph.start({
      identityProvider: idp,
      groupIds: [A, B],
      groupNames: { [A]: 'Computer Science' },
      mailboxBudget: { requests: 50, windowMs: 600_000 },
      clock: { now: () => now },
    });
    call = client(graph, await graphToken(idp));
  });
  afterAll(async () => {
    await graph.close();
    await idp.close();
  });
  beforeEach(() => {
    graph.resetCounts();
    graph.resetBudget();
    graph.setLatency(0);
  });

  it('knows each group by id, keeps their calendars apart and counts per group and method', async () => {
    expect(graph.groupIds).toEqual([A, B]);
    expect((await call(`/groups/${A}`)).body).toMatchObject({ id: A, displayName: 'Computer Science' });
    expect((await call(`/groups/${B}`)).body.displayName).toBe('Sandbox group 2');
    const unknown = await call(`/groups/cccccccc-cccc-4ccc-8ccc-cccccccccccc/events`);
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'Request_ResourceNotFound']);
    expect((await call(`/groups/cccccccc-cccc-4ccc-8ccc-cccccccccccc`)).status).toBe(404);

    const inA = await call(`/groups/${A}/events`, { method: 'POST', body: EVENT });
    await call(`/groups/${B}/events`, { method: 'POST', body: { ...EVENT, subject: 'Other' } });
    expect((await call(`/groups/${B}/events/${inA.body.id}`)).status).toBe(404);
    const listA = await call(`/groups/${A}/events`);
    expect(listA.body.value.map((e: { subject: string }) => e.subject)).toEqual(['Meeting']);
    await call(`/groups/${A}/events/${inA.body.id}`, { method: 'PATCH', body: { subject: 'Renamed' } });
    await call(`/groups/${A}/events/${inA.body.id}`, { method: 'DELETE' });
    expect(graph.counts).toMatchObject({
      reads: 4,
      writes: 4,
      by_group: {
        [A]: { reads: 2, writes: 3, GET: 2, POST: 1, PATCH: 1, DELETE: 1 },
        [B]: { reads: 2, writes: 1, GET: 2, POST: 1, PATCH: 0, DELETE: 0 },
      },
    });

    // A group added while running (control route).
    const added = await fetch(`${controlUrl(graph)}/groups`, {
      method: 'POST',
      body: JSON.stringify({ id: 'dddddddd-dddd-4ddd-8ddd-dddddddddddd', displayName: 'Physics' }),
    });
    expect(added.status).toBe(201);
    expect((await call('/groups/dddddddd-dddd-4ddd-8ddd-dddddddddddd')).body.displayName).toBe('Physics');
  });

  it('limits each mailbox to 4 requests at once, independently of the other', async () => {
    graph.setLatency(150);
    const answers = await Promise.all([
      ...Array.from({ length: 4 }, () => call(`/groups/${A}/events`)),
      ...Array.from({ length: 4 }, () => call(`/groups/${B}/events`)),
    ]);
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    const five = await Promise.all(Array.from({ length: 5 }, () => call(`/groups/${A}/events`)));
    expect(five.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 429]);
    expect(graph.counts).toMatchObject({ max_in_flight: 4, mailbox_rejected: 1 });
  });

  it('spends a per-mailbox budget of requests per window, then answers 429 with Retry-After until the window moves', async () => {
    for (let i = 0; i < 50; i++) {
      now += 1000;
      expect((await call(`/groups/${A}/events?$top=1`)).status).toBe(200);
    }
    // 50 requests admitted between +1 s and +50 s; the first leaves the 600 s window at +601 s.
    const over = await call(`/groups/${A}/events`);
    expect(over.status).toBe(429);
    expect(over.body.error).toMatchObject({
      code: 'ApplicationThrottled',
      message: expect.stringContaining('limit'),
    });
    expect(over.headers.get('retry-after')).toBe('551');
    expect(graph.budgetUsed(A)).toBe(50);
    // The other mailbox has its own budget; a batch's items count one by one.
    expect((await call(`/groups/${B}/events`)).status).toBe(200);
    const batch = await call('/$batch', {
      method: 'POST',
      body: {
        requests: [
          { id: '1', method: 'GET', url: `/groups/${A}/events` },
          { id: '2', method: 'GET', url: `/groups/${B}/events` },
        ],
      },
    });
    expect(batch.body.responses.map((r: { status: number }) => r.status)).toEqual([429, 200]);
    expect(graph.counts.budget_rejected).toBe(2);

    now += 551_000;
    expect((await call(`/groups/${A}/events`)).status).toBe(200);
    expect((await call(`/groups/${A}/events`)).status).toBe(429);
    // The budget is adjustable while running (control route); Outlook's is 10 000 per 10 minutes.
    const set = await fetch(`${controlUrl(graph)}/budget`, {
      method: 'POST',
      body: JSON.stringify({ requests: 10_000, windowSeconds: 600 }),
    });
    expect(set.status).toBe(204);
    expect((await call(`/groups/${A}/events`)).status).toBe(200);
    graph.setBudget({ requests: 50, windowMs: 600_000 });
  });
});
