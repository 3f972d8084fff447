/** The events routes over real HTTP against the local host process, the sandbox Graph and Azurite. */
import {
  bulkEventSummarySchema,
  eventListSchema,
  groupEventResponseSchema,
  problemSchema,
} from '../../src/http/schemas';
import { request as httpRequest } from 'node:http';
import { call, startStack, type ApiResponse, type Stack } from './harness';

let stack: Stack;
let creator: string;
let admin: string;

beforeAll(async () => {
  stack = await startStack();
  creator = await stack.sandbox.idp.signApiToken({ roles: ['Events.Create'] });
  admin = await stack.sandbox.idp.signApiToken({ roles: ['GraphTokens.Admin'] });
}, 60_000);

afterAll(async () => {
  await stack?.close();
}, 30_000);

function expectProblem(response: ApiResponse, status: number, code: string): void {
  expect({ status: response.status, code: response.json?.code }).toEqual({ status, code });
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(problemSchema.parse(response.json).correlation_id).toBe(response.headers.get('x-correlation-id'));
}

const EVENT = {
  subject: 'Open day',
  start: '2026-12-01T09:00:00+01:00',
  end: '2026-12-01T11:00:00+01:00',
  time_zone: 'Europe/Amsterdam',
  body: '<p>Agenda</p>',
  body_type: 'html',
  location: 'Main hall',
  attendees: ['ana@contoso.example'],
};

describe('events API', () => {
  it('POST /api/events creates once per Idempotency-Key: 201, then the original with 200, 409 for another body', async () => {
    const headers = { 'idempotency-key': 'e2e-key-1' };
    const first = await call(stack, 'POST', '/events', { token: creator, body: EVENT, headers });
    expect(first.status).toBe(201);
    const created = groupEventResponseSchema.parse(first.json);
    expect(created).toMatchObject({
      start: '2026-12-01T08:00:00Z',
      end: '2026-12-01T10:00:00Z',
      time_zone: 'Europe/Amsterdam',
    });
    const again = await call(stack, 'POST', '/events', { token: creator, body: EVENT, headers });
    expect(again.status).toBe(200);
    expect(again.json).toEqual(first.json);
    expect(stack.sandbox.graph.events.filter((e) => e.id === created.id)).toHaveLength(1);
    const reused = await call(stack, 'POST', '/events', {
      token: creator,
      body: { ...EVENT, subject: 'x' },
      headers,
    });
    expectProblem(reused, 409, 'IDEMPOTENCY_KEY_REUSED');
    const badKey = await call(stack, 'POST', '/events', {
      token: creator,
      body: EVENT,
      headers: { 'idempotency-key': 'x'.repeat(201) },
    });
    expectProblem(badKey, 400, 'INVALID_REQUEST');
  });

  it('GET, PATCH, list, cancel (202) and DELETE (204) an event', async () => {
    const created = groupEventResponseSchema.parse(
      (
        await call(stack, 'POST', '/events', {
          token: creator,
          body: { subject: 'Review', start: '2027-01-05T09:00:00Z', end: '2027-01-05T10:00:00Z' },
        })
      ).json,
    );
    const got = await call(stack, 'GET', `/events/${encodeURIComponent(created.id)}`, { token: creator });
    expect(got.status).toBe(200);
    expect(got.json).toEqual(created);

    const patched = await call(stack, 'PATCH', `/events/${encodeURIComponent(created.id)}`, {
      token: creator,
      body: { subject: 'Review (moved)', end: '2027-01-05T11:00:00+01:00', time_zone: 'Europe/Amsterdam' },
    });
    expect(patched.status).toBe(200);
    expect(groupEventResponseSchema.parse(patched.json)).toMatchObject({
      subject: 'Review (moved)',
      start: '2027-01-05T09:00:00Z',
      end: '2027-01-05T10:00:00Z',
      time_zone: 'Europe/Amsterdam',
    });
    const badPatch = await call(stack, 'PATCH', `/events/${encodeURIComponent(created.id)}`, {
      token: creator,
      body: { colour: 'red' },
    });
    expectProblem(badPatch, 400, 'INVALID_REQUEST');

    const list = await call(stack, 'GET', '/events?from=2027-01-05T00:00:00Z&to=2027-01-06T00:00:00Z', {
      token: creator,
    });
    expect(list.status).toBe(200);
    expect(eventListSchema.parse(list.json).items.map((e) => e.id)).toEqual([created.id]);
    expectProblem(
      await call(stack, 'GET', '/events?from=yesterday', { token: creator }),
      400,
      'INVALID_REQUEST',
    );

    const cancelled = await call(stack, 'POST', `/events/${encodeURIComponent(created.id)}/cancel`, {
      token: creator,
      body: { comment: 'Sorry' },
    });
    expect(cancelled.status).toBe(202);
    expect(cancelled.text).toBe('');
    const deleted = await call(stack, 'DELETE', `/events/${encodeURIComponent(created.id)}`, {
      token: creator,
    });
    expect(deleted.status).toBe(204);
    expectProblem(
      await call(stack, 'GET', `/events/${encodeURIComponent(created.id)}`, { token: creator }),
      404,
      'EVENT_NOT_FOUND',
    );

    const foreign = stack.sandbox.graph.seedEvent({
      subject: 'Theirs',
      start: '2027-01-06T09:00:00Z',
      end: '2027-01-06T10:00:00Z',
      organizer: 'someone@contoso.example',
    });
    // A person's own meeting: invisible to a caller who only creates (test/e2e/eventRoles.test.ts has
    // the whole matrix).
    expectProblem(
      await call(stack, 'POST', `/events/${encodeURIComponent(foreign.id)}/cancel`, { token: creator }),
      404,
      'EVENT_NOT_FOUND',
    );
  });

  it('POST /api/events/batch reports every item; one invalid item never loses the others', async () => {
    const events = Array.from({ length: 30 }, (_, i) => ({
      subject: `Batch ${i}`,
      start: `2027-02-01T${String(i % 24).padStart(2, '0')}:00:00Z`,
      end: `2027-02-01T${String(i % 24).padStart(2, '0')}:30:00Z`,
    }));
    const body = {
      events: [...events.slice(0, 10), { subject: 'bad', start: 'soon', end: 'later' }, ...events.slice(10)],
    };
    const response = await call(stack, 'POST', '/events/batch', { token: creator, body });
    expect(response.status).toBe(200);
    const summary = bulkEventSummarySchema.parse(response.json);
    expect(summary).toMatchObject({ created: 30, failed: 1 });
    expect(summary.results[10]).toMatchObject({
      index: 10,
      status: 400,
      problem: { code: 'INVALID_REQUEST' },
    });
    expect(summary.results[10]!.problem!.detail).toContain('events[10].start');
    expect(
      stack.sandbox.graph.events.filter((e) => String(e.body.subject).startsWith('Batch ')),
    ).toHaveLength(30);
    expectProblem(
      await call(stack, 'POST', '/events/batch', {
        token: creator,
        body: { events: Array(1001).fill(events[0]) },
      }),
      400,
      'INVALID_REQUEST',
    );
  });

  it('checks roles, methods and ids like every route', async () => {
    expectProblem(await call(stack, 'GET', '/events', { token: admin }), 403, 'FORBIDDEN');
    expectProblem(await call(stack, 'GET', '/events'), 401, 'UNAUTHORIZED');
    const wrong = await call(stack, 'PUT', '/events/abc', { token: creator });
    expectProblem(wrong, 405, 'METHOD_NOT_ALLOWED');
    expect(wrong.headers.get('allow')).toBe('GET, PATCH, DELETE');
    // Outside Graph's id alphabet: refused before any URL is built.
    const before = stack.sandbox.graph.counts.mailbox_requests;
    expectProblem(await call(stack, 'GET', '/events/a.b', { token: creator }), 400, 'INVALID_REQUEST');
    expectProblem(await call(stack, 'DELETE', '/events/a%20b', { token: creator }), 400, 'INVALID_REQUEST');
    // `..` itself, as a client that does not normalise URLs would send it (literal or percent-encoded):
    // the host resolves the dots (WHATWG URL rules), so no event route is reached at all; the library's
    // own check (test/lib/events/events.test.ts) covers callers that pass `..` as an id.
    for (const [method, path] of [
      ['DELETE', '/events/..'],
      ['DELETE', '/events/%2E%2E'],
      ['POST', '/events/%2e%2e/cancel'],
    ] as const) {
      expect([path, await rawRequest(stack, method, path, creator)]).toEqual([
        path,
        { status: 404, code: 'ROUTE_NOT_FOUND' },
      ]);
    }
    expect(stack.sandbox.graph.counts.mailbox_requests).toBe(before);
  });
});

/** A request with its path exactly as given (fetch would resolve `..` before sending). */
function rawRequest(
  stack: Stack,
  method: string,
  path: string,
  token: string,
): Promise<{ status: number; code: string | undefined }> {
  const url = new URL(stack.api);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: `${url.pathname}${path}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          let code: string | undefined;
          try {
            code = (JSON.parse(text) as { code?: string }).code;
          } catch {
            code = undefined;
          }
          resolve({ status: res.statusCode ?? 0, code });
        });
      },
    );
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}
