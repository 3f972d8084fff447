/**
 * Group events against the sandbox Graph with the real service: exact instants, exactly once (a lost
 * response, an idempotency key from a second instance), update/cancel/delete, the CAE challenge, and a
 * bulk of 1 000 at the mailbox limit.
 */
import { odata } from '@azure/data-tables';
import { startSandbox, type Sandbox } from '../../../src/sandbox';
import { CAE_CLAIMS } from '../../../src/sandbox/graph/faults';
import { CapturingLogger, FastClock, freshEnv, rawTable, service } from '../helpers';

jest.setTimeout(120_000);

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: false });
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => {
  sandbox.idp.clearFaults();
  sandbox.graph.clearFaults();
  sandbox.graph.resetCounts();
  sandbox.graph.setLatency(0);
  sandbox.idp.resetCounts();
});

const EVENT = {
  subject: 'Open day',
  start: '2026-12-01T09:00:00+01:00',
  end: '2026-12-01T11:00:00+01:00',
  time_zone: 'Europe/Amsterdam',
  attendees: ['Ana@contoso.example'],
};

describe('exact times', () => {
  it('sends wall-clock times in the zone and lands at the instant given', async () => {
    const svc = service(freshEnv(sandbox));
    const created = await svc.createGroupEvent(EVENT);
    expect(created).toMatchObject({
      subject: 'Open day',
      start: '2026-12-01T08:00:00Z',
      end: '2026-12-01T10:00:00Z',
      time_zone: 'Europe/Amsterdam',
      all_day: false,
      attendees: [
        expect.objectContaining({ email: 'ana@contoso.example', type: 'required', response: 'none' }),
      ],
      type: 'single',
      recurrence: null,
      is_cancelled: false,
    });
    const stored = sandbox.graph.events.find((e) => e.id === created.id)!;
    // Europe/Amsterdam is not on Graph's IANA list: its Windows zone goes out, the IANA name comes back.
    expect(stored.body.start).toEqual({
      dateTime: '2026-12-01T09:00:00',
      timeZone: 'W. Europe Standard Time',
    });
    expect(stored.start).toBe('2026-12-01T08:00:00.000Z');
    await svc.close();
  });

  it('sends an instant in the repeated DST hour in UTC, and all-day events as local midnights', async () => {
    const svc = service(freshEnv(sandbox));
    const repeated = await svc.createGroupEvent({
      subject: 'Night shift',
      start: '2026-10-25T02:30:00+01:00', // the second 02:30 in Amsterdam
      end: '2026-10-25T04:00:00+01:00',
      time_zone: 'Europe/Amsterdam',
    });
    const stored = sandbox.graph.events.find((e) => e.id === repeated.id)!;
    expect(stored.body.start).toEqual({ dateTime: '2026-10-25T01:30:00', timeZone: 'UTC' });
    expect(stored.start).toBe('2026-10-25T01:30:00.000Z');
    expect(repeated.start).toBe('2026-10-25T01:30:00Z');

    const allDay = await svc.createGroupEvent({
      subject: 'Holiday',
      start: '2026-12-24',
      end: '2026-12-27',
      all_day: true,
      time_zone: 'Europe/Amsterdam',
    });
    expect(allDay).toMatchObject({
      all_day: true,
      start: '2026-12-23T23:00:00Z',
      end: '2026-12-26T23:00:00Z',
    });
    const day = sandbox.graph.events.find((e) => e.id === allDay.id)!;
    expect(day.body).toMatchObject({
      isAllDay: true,
      start: { dateTime: '2026-12-24T00:00:00', timeZone: 'W. Europe Standard Time' },
    });
    await expect(svc.createGroupEvent({ ...EVENT, time_zone: 'Mars/Olympus' })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringContaining('time_zone'),
    });
    await expect(svc.createGroupEvent({ ...EVENT, end: EVENT.start })).rejects.toMatchObject({
      message: 'end: must be after start',
    });
    await expect(svc.createGroupEvent({ ...EVENT, start: '2026-12-01T09:00:00' })).rejects.toMatchObject({
      message: expect.stringMatching(/^start: must be an ISO 8601 date-time with an offset/),
    });
    await svc.close();
  });
});

describe('exactly once', () => {
  it('a response lost after Graph committed yields exactly one event (looked up by its key)', async () => {
    const svc = service(freshEnv(sandbox), { clock: new FastClock() });
    const before = sandbox.graph.events.length;
    sandbox.graph.injectFault({ kind: 'commit-drop', path: 'events', times: 1 });
    const created = await svc.createGroupEvent({ ...EVENT, subject: 'Lost answer' });
    expect(sandbox.graph.events.length - before).toBe(1);
    expect(sandbox.graph.events.filter((e) => e.body.subject === 'Lost answer')).toHaveLength(1);
    expect(created.id).toBe(sandbox.graph.events.at(-1)!.id);
    // One create sent; the second request was the lookup, not a second create.
    expect(sandbox.graph.counts.events).toBe(1);
    expect(sandbox.graph.counts.mailbox_requests).toBe(2);
    await svc.close();
  });

  it('a 429 (refused before it ran) is retried with the same transactionId, no lookup', async () => {
    const svc = service(freshEnv(sandbox), { clock: new FastClock() });
    sandbox.graph.injectFault({
      kind: 'status',
      status: 429,
      retryAfterSeconds: 1,
      path: 'events',
      times: 1,
    });
    const throttled = await svc.createGroupEvent({ ...EVENT, subject: 'Throttled' });
    expect(sandbox.graph.events.filter((e) => e.body.subject === 'Throttled')).toHaveLength(1);
    expect(sandbox.graph.events.find((e) => e.id === throttled.id)!.transactionId).toMatch(/^[0-9a-f-]{36}$/);
    await svc.close();
  });

  it('an idempotency key reused from a second instance returns the original; another body is refused', async () => {
    const env = freshEnv(sandbox);
    const ctx = { actor: 'oid:caller-1', correlationId: 'c1' };
    const first = service(env);
    const created = await first.createGroupEvent(EVENT, { idempotencyKey: 'order-42' }, ctx);
    await first.close();
    // Another instance (a new process would be the same: the key lives in Table Storage).
    const second = service(env);
    const again = await second.createGroupEvent(
      { ...EVENT, start: '2026-12-01T08:00:00Z', end: '2026-12-01T10:00:00Z', body_type: 'text' },
      { idempotencyKey: 'order-42' },
      ctx,
    );
    expect(again).toEqual(created);
    expect(sandbox.graph.events.filter((e) => e.id === created.id)).toHaveLength(1);
    await expect(
      second.createGroupEvent({ ...EVENT, subject: 'Other' }, { idempotencyKey: 'order-42' }, ctx),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 409 });
    // Keys are per caller: another caller's same key is a new event.
    const other = await second.createGroupEvent(
      EVENT,
      { idempotencyKey: 'order-42' },
      { actor: 'oid:caller-2', correlationId: 'c2' },
    );
    expect(other.id).not.toBe(created.id);
    await second.close();
  });

  it('the daily cleanup forgets keys older than 24 h, and only those', async () => {
    const env = freshEnv(sandbox);
    const clock = new FastClock();
    const svc = service(env, { clock });
    const ctx = { actor: 'oid:caller-3', correlationId: 'c3' };
    const old = await svc.createGroupEvent(EVENT, { idempotencyKey: 'old-key' }, ctx);
    clock.advance(23 * 3600_000);
    const recent = await svc.createGroupEvent(EVENT, { idempotencyKey: 'recent-key' }, ctx);
    clock.advance(2 * 3600_000);
    await svc.cleanupOldTokens();
    const rows = [];
    for await (const e of rawTable(env, `${env.TOKEN_TABLE_NAME}Event`).listEntities()) rows.push(e);
    expect(rows).toHaveLength(1);
    // The recent key still answers its event from the table.
    const repeat = await svc.createGroupEvent(EVENT, { idempotencyKey: 'recent-key' }, ctx);
    expect(repeat.id).toBe(recent.id);
    expect(old.id).not.toBe(recent.id);
    await svc.close();
  });
});

describe('update, cancel, delete, list', () => {
  it('reads, patches, lists by calendar view, cancels and deletes', async () => {
    const svc = service(freshEnv(sandbox));
    const created = await svc.createGroupEvent({
      ...EVENT,
      subject: 'Lifecycle',
      start: '2031-03-01T09:00:00Z',
      end: '2031-03-01T10:00:00Z',
    });
    expect(await svc.getGroupEvent(created.id)).toEqual(created);
    const moved = await svc.updateGroupEvent(created.id, {
      start: '2031-03-01T10:15:00+01:00',
      subject: 'Moved',
    });
    expect(moved).toMatchObject({
      subject: 'Moved',
      start: '2031-03-01T09:15:00Z',
      end: '2031-03-01T10:00:00Z',
    });
    await expect(svc.updateGroupEvent(created.id, { end: '2031-03-01T09:00:00Z' })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: 'end: must be after start',
    });
    const extended = await svc.updateGroupEvent(created.id, { end: '2031-03-01T12:00:00Z' });
    expect(extended).toMatchObject({ start: '2031-03-01T09:15:00Z', end: '2031-03-01T12:00:00Z' });

    for (let i = 0; i < 3; i++) {
      await svc.createGroupEvent({
        ...EVENT,
        subject: `Page ${i}`,
        start: `2031-03-0${i + 2}T09:00:00Z`,
        end: `2031-03-0${i + 2}T10:00:00Z`,
      });
    }
    const seen: string[] = [];
    let page = await svc.listGroupEvents({ from: '2031-03-01T00:00:00Z', to: '2031-03-10T00:00:00Z' });
    for (;;) {
      seen.push(...page.items.map((e) => e.subject));
      if (!page.continuation_token) break;
      page = await svc.listGroupEvents({ continuationToken: page.continuation_token });
    }
    expect(seen).toEqual(['Moved', 'Page 0', 'Page 1', 'Page 2']);
    // The old unsigned form (a Graph path), and a signed token with its path changed: both refused.
    await expect(
      svc.listGroupEvents({ continuationToken: Buffer.from('/me').toString('base64url') }),
    ).rejects.toMatchObject({ code: 'INVALID_CONTINUATION_TOKEN', status: 400 });

    await svc.cancelGroupEvent(created.id, { comment: 'Sorry' });
    expect((await svc.getGroupEvent(created.id)).is_cancelled).toBe(true);
    await svc.deleteGroupEvent(created.id);
    await expect(svc.getGroupEvent(created.id)).rejects.toMatchObject({
      code: 'EVENT_NOT_FOUND',
      status: 404,
    });
    await expect(svc.deleteGroupEvent(created.id)).rejects.toMatchObject({ code: 'EVENT_NOT_FOUND' });
    // `..` would address the group itself (DELETE /groups/{id}/): refused before any URL is built.
    const sent = sandbox.graph.counts.mailbox_requests;
    for (const id of ['..', '.', 'a/../..']) {
      await expect(svc.deleteGroupEvent(id)).rejects.toMatchObject({ code: 'INVALID_REQUEST', status: 400 });
      await expect(svc.cancelGroupEvent(id)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    }
    expect(sandbox.graph.counts.mailbox_requests).toBe(sent);

    const foreign = sandbox.graph.seedEvent({
      subject: 'Not ours',
      start: '2031-03-05T09:00:00Z',
      end: '2031-03-05T10:00:00Z',
      organizer: 'someone@contoso.example',
    });
    // A person's own meeting: the service did not create it, so no caller changes it through the API.
    await expect(svc.cancelGroupEvent(foreign.id)).rejects.toMatchObject({
      code: 'EVENT_NOT_MANAGED',
      status: 403,
    });
    expect((await svc.getGroupEvent(foreign.id)).subject).toBe('Not ours');
    await svc.close();
  });

  it('audits event operations in their own partition, so recent_audit keeps token entries', async () => {
    const env = freshEnv(sandbox);
    const svc = service(env);
    await svc.acquireToken({}, { actor: 'user:ana', correlationId: 'corr-a' });
    const created = await svc.createGroupEvent(
      EVENT,
      {},
      {
        actor: 'tid-1:oid-ana',
        actorName: 'ana@contoso.example',
        roles: ['Events.Create'],
        correlationId: 'corr-e',
      },
    );
    const status = await svc.getTokenStatus();
    expect(status.recent_audit.map((a) => a.operation)).not.toContain('create-event');
    const rows = [];
    for await (const row of rawTable(env, `${env.TOKEN_TABLE_NAME}Audit`).listEntities({
      // One partition per kind and UTC day: `events-<d>` (docs/architecture.md, "Table layout").
      queryOptions: { filter: odata`PartitionKey ge 'events-' and PartitionKey lt 'events.'` },
    }))
      rows.push(row);
    expect(rows).toEqual([
      expect.objectContaining({
        kind: 'events',
        operation: 'create-event',
        target: created.id,
        outcome: 'success',
        actor: 'tid-1:oid-ana',
        actor_name: 'ana@contoso.example',
      }),
    ]);
    await svc.close();
  });
});

describe('401s', () => {
  it('a CAE claims challenge forces one refresh and one retry', async () => {
    const svc = service(freshEnv(sandbox), { logger: new CapturingLogger() });
    await svc.acquireToken();
    sandbox.idp.resetCounts();
    sandbox.graph.injectFault({ kind: 'claims', path: 'events' });
    expect(CAE_CLAIMS.length).toBeGreaterThan(10);
    const created = await svc.createGroupEvent({ ...EVENT, subject: 'After challenge' });
    expect(created.id).toBeTruthy();
    expect(sandbox.idp.counts.refresh_token).toBe(1);
    expect(sandbox.graph.events.filter((e) => e.body.subject === 'After challenge')).toHaveLength(1);
    await svc.close();
  });
});

describe('bulk', () => {
  it('creates 1 000 events through $batch at the mailbox limit: none lost, none twice, one bad item reported', async () => {
    const svc = service(freshEnv(sandbox));
    const events = Array.from({ length: 1000 }, (_, i) => ({
      subject: `Bulk ${i}`,
      start: new Date(Date.UTC(2032, 0, 1, 9) + i * 3_600_000).toISOString(),
      end: new Date(Date.UTC(2032, 0, 1, 10) + i * 3_600_000).toISOString(),
      time_zone: 'Europe/Amsterdam',
    }));
    events[500] = { ...events[500]!, end: events[500]!.start }; // invalid: end not after start
    const progress: number[] = [];
    // One lost batch answer on the way: its items are looked up, never sent twice.
    sandbox.graph.injectFault({ kind: 'commit-drop', path: 'batch', times: 1 });
    const summary = await svc.createGroupEvents(events, { onProgress: (p) => progress.push(p.done) });
    expect(summary.created).toBe(999);
    expect(summary.failed).toBe(1);
    expect(summary.results[500]).toMatchObject({
      index: 500,
      status: 400,
      problem: { code: 'INVALID_REQUEST', detail: 'events[500].end: must be after start' },
    });
    const bulk = sandbox.graph.events.filter((e) => String(e.body.subject).startsWith('Bulk '));
    expect(bulk).toHaveLength(999);
    expect(new Set(bulk.map((e) => e.body.subject)).size).toBe(999);
    expect(summary.results.every((r, i) => r.index === i)).toBe(true);
    expect(new Set(summary.results.filter((r) => r.id).map((r) => r.id)).size).toBe(999);
    expect(sandbox.graph.counts.max_in_flight).toBeLessThanOrEqual(4);
    expect(sandbox.graph.counts.mailbox_rejected).toBe(0);
    expect(progress.at(-1)).toBe(1000);
    await svc.close();
  });

  it('honours per-item 429 Retry-After and keys per item', async () => {
    const svc = service(freshEnv(sandbox), { clock: new FastClock() });
    sandbox.graph.injectFault({
      kind: 'status',
      status: 429,
      retryAfterSeconds: 2,
      path: 'events',
      times: 3,
    });
    const items = Array.from({ length: 5 }, (_, i) => ({
      subject: `Keyed ${i}`,
      start: '2033-01-01T09:00:00Z',
      end: '2033-01-01T10:00:00Z',
      idempotency_key: `k-${i}`,
    }));
    const first = await svc.createGroupEvents(items);
    expect(first).toMatchObject({ created: 5, failed: 0 });
    expect(first.results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    const again = await svc.createGroupEvents(items);
    expect(again.results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(again.results.map((r) => r.id)).toEqual(first.results.map((r) => r.id));
    expect(sandbox.graph.events.filter((e) => String(e.body.subject).startsWith('Keyed '))).toHaveLength(5);
    await svc.close();
  });
});
