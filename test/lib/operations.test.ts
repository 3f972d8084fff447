/**
 * Operations (docs/operations.md): metrics recorded by real operations through an in-process
 * OpenTelemetry reader, signed CloudEvents to a loopback receiver (one per incident, recovery), and
 * health with its anonymous cache — all against the sandbox and Azurite.
 */
import { TableClient } from '@azure/data-tables';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { metrics } from '@opentelemetry/api';
import { type CollectionResult, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTokenService } from '../../src/lib';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { CapturingLogger, FastClock, freshEnv, service } from './helpers';

jest.setTimeout(60_000);

class TestReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let sandbox: Sandbox;
let receiver: Server;
let received: Received[] = [];
/** Statuses the receiver answers with, in order; 204 once exhausted. */
let answers: number[] = [];
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: false });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = answers.shift() ?? 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
  await sandbox?.close();
});
beforeEach(() => {
  sandbox.idp.clearFaults();
  sandbox.idp.resetCounts();
  received = [];
  answers = [];
});

function notifyEnv(extra: Record<string, string> = {}): Record<string, string> {
  const port = (receiver.address() as AddressInfo).port;
  return freshEnv(sandbox, {
    NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${port}/hooks/graph-tokens`,
    NOTIFY_WEBHOOK_SECRET: SECRET,
    ...extra,
  });
}

/** What a receiver does (docs/operations.md): recompute the signature over id.timestamp.body. */
function verify(r: Received): boolean {
  const id = String(r.headers['webhook-id']);
  const timestamp = String(r.headers['webhook-timestamp']);
  const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${r.body}`).digest();
  return String(r.headers['webhook-signature'])
    .split(' ')
    .some((candidate) => {
      const [version, mac] = candidate.split(',');
      const given = Buffer.from(mac ?? '', 'base64');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

const events = (): { type: string; id: string; data: Record<string, unknown> }[] => {
  const byId = new Map<string, { type: string; id: string; data: Record<string, unknown> }>();
  for (const r of received) {
    const e = JSON.parse(r.body) as { type: string; id: string; data: Record<string, unknown> };
    byId.set(e.id, e);
  }
  return [...byId.values()];
};

const timer = { actor: 'timer', correlationId: 'timer-run' };

describe('metrics', () => {
  afterEach(() => metrics.disable());

  it('records every instrument with its attributes from real operations, whichever started first', async () => {
    const env = freshEnv(sandbox);
    const svc = service(env, { clock: new FastClock() });
    // The exporter starts after the service bound its instruments (to the no-op provider).
    const reader = new TestReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

    await svc.acquireToken();
    await svc.getAccessToken();
    await svc.getAccessToken();
    const other = service(env);
    await other.acquireToken(); // served from storage
    sandbox.idp.injectFault({ kind: 'status', status: 500, grant: 'refresh_token' });
    await expect(svc.acquireToken({ forceRefresh: true })).rejects.toMatchObject({
      code: expect.any(String),
    });
    sandbox.idp.clearFaults();
    await svc.createGroupEvent({
      subject: 'Metrics',
      start: '2026-12-01T09:00:00Z',
      end: '2026-12-01T10:00:00Z',
    });

    const points = flatten(await reader.collect());
    const find = (name: string, attrs: Record<string, unknown>) =>
      points.find((p) => p.name === name && Object.entries(attrs).every(([k, v]) => p.attributes[k] === v));
    expect(find('graph_token.idp_requests', { grant: 'password', outcome: 'success' })?.value).toBe(1);
    expect(
      find('graph_token.idp_requests', { grant: 'refresh_token', outcome: 'failure' })?.value,
    ).toBeGreaterThanOrEqual(1);
    expect(find('graph_token.refresh_duration', { grant: 'password', outcome: 'success' })).toBeDefined();
    expect(
      find('graph_token.refresh_duration', {
        grant: 'refresh_token',
        outcome: 'failure',
        token_type: 'ropc',
      }),
    ).toBeDefined();
    expect(find('graph_token.cache_hits', { layer: 'memory' })?.value).toBeGreaterThanOrEqual(2);
    expect(find('graph_token.cache_hits', { layer: 'storage' })?.value).toBeGreaterThanOrEqual(1);
    const seconds = find('graph_token.seconds_until_expiry', { token_type: 'ropc' })?.value ?? 0;
    expect(seconds).toBeGreaterThan(3000);
    expect(seconds).toBeLessThanOrEqual(3600);
    expect(find('graph_token.consecutive_errors', { token_type: 'ropc' })?.value).toBe(1);
    expect(find('graph_token.lease_waits', {})).toBeDefined();
    expect(find('graph_token.events', { operation: 'create', outcome: 'success' })?.value).toBe(1);
    await Promise.all([svc.close(), other.close()]);
  });
});

function flatten(
  result: CollectionResult,
): { name: string; attributes: Record<string, unknown>; value: number }[] {
  const out: { name: string; attributes: Record<string, unknown>; value: number }[] = [];
  for (const scope of result.resourceMetrics.scopeMetrics) {
    if (scope.scope.name !== 'graph-token-manager') continue;
    for (const metric of scope.metrics) {
      for (const point of metric.dataPoints) {
        const v = point.value as number | { count: number };
        out.push({
          name: metric.descriptor.name,
          attributes: point.attributes,
          value: typeof v === 'number' ? v : v.count,
        });
      }
    }
  }
  return out;
}

describe('notifications', () => {
  it('sends one signed refresh_failed for a failure repeated over 6 timer runs, retried, then one recovered', async () => {
    const clock = new FastClock();
    const logger = new CapturingLogger();
    const env = notifyEnv();
    const svc = service(env, { clock, logger });
    const first = await svc.acquireToken();
    // Into the refresh window (offset 300 s + period 300 s), the token still valid for every run below.
    clock.advance(3600_000 - 590_000);
    sandbox.idp.injectFault({ kind: 'status', status: 503 });
    answers = [503]; // the receiver fails once: the delivery is retried with the same webhook-id
    for (let run = 0; run < 6; run++) {
      const summary = await svc.refreshTokens({}, timer);
      expect(summary.failed).toBe(1);
      clock.advance(30_000);
    }
    expect(events().map((e) => e.type)).toEqual(['com.graph-token-manager.refresh_failed']);
    expect(received).toHaveLength(2);
    expect(received[0]!.headers['webhook-id']).toBe(received[1]!.headers['webhook-id']);
    for (const r of received) {
      expect(verify(r)).toBe(true);
      expect(r.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
      expect(r.body).not.toContain(env.GRAPH_PASSWORD!);
      expect(r.body).not.toMatch(/eyJ[A-Za-z0-9_-]+\./); // no token
    }
    const failed = events()[0]!;
    expect(failed).toMatchObject({
      specversion: '1.0',
      source: '/graph-token-manager',
      subject: 'ropc',
      data: { token_type: 'ropc', token_id: first.token.id, error_count: 3 },
    });
    // A tampered body fails verification.
    expect(verify({ ...received[1]!, body: received[1]!.body.replace('ropc', 'xopc') })).toBe(false);

    sandbox.idp.clearFaults();
    await svc.refreshTokens({}, timer);
    const types = events().map((e) => e.type);
    expect(types).toEqual(['com.graph-token-manager.refresh_failed', 'com.graph-token-manager.recovered']);
    expect(events()[1]!.data).toMatchObject({ resolved: ['refresh_failed'], grant: 'refresh_token' });
    // One more success: nothing is open, nothing is sent.
    await svc.acquireToken({ forceRefresh: true });
    expect(events()).toHaveLength(2);
    const status = await svc.getTokenStatus();
    const notes = status.recent_audit.filter((a) => a.operation === 'notify');
    expect(notes.map((a) => a.outcome)).toEqual(['success', 'success']);
    expect(notes[1]!.detail).toMatch(/attempts=2 status=204/);
    await svc.close();
  });

  it('sends each incident once although two instances reach it together', async () => {
    const env = notifyEnv();
    const a = service(env);
    const b = service(env);
    const { token } = await a.acquireToken();
    for (let i = 0; i < 3; i++) {
      await Promise.all([
        a.handleTokenError(token.id, new Error('boom')),
        b.handleTokenError(token.id, new Error('boom')),
      ]);
    }
    const types = events()
      .map((e) => e.type)
      .sort();
    expect(types).toEqual([
      'com.graph-token-manager.refresh_failed',
      'com.graph-token-manager.token_deactivated',
    ]);
    expect(received.every(verify)).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });

  it('sends credentials_blocked when Entra ID rejects the password, once', async () => {
    const env = notifyEnv();
    const svc = service(env);
    sandbox.idp.injectFault({ kind: 'aadsts', code: 50126, grant: 'password' });
    await expect(svc.acquireToken()).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await expect(svc.acquireToken({ forceRefresh: true })).rejects.toMatchObject({
      code: 'CREDENTIALS_BLOCKED',
    });
    expect(events().map((e) => e.type)).toEqual(['com.graph-token-manager.credentials_blocked']);
    expect(events()[0]!.data).toMatchObject({ code: 'INVALID_CREDENTIALS', hint: expect.any(String) });
    await svc.close();
  });
});

describe('health', () => {
  const request = (headers: Record<string, string> = {}): HttpRequest =>
    new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/health', headers });
  let handler: (r: HttpRequest, c: InvocationContext) => Promise<{ status?: number; body?: unknown }>;

  beforeEach(() => {
    // The pipeline's request summaries go through the context's fallback logger.
    jest.spyOn(console, 'info').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  beforeAll(async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      handler = (await import('../../src/functions/health')).health as typeof handler;
    } finally {
      warn.mockRestore();
    }
  });
  // One service for the function app (the HTTP layer keeps the first one it is given), on a fast clock.
  const clock = new FastClock();
  let svc: ReturnType<typeof service>;
  beforeAll(() => {
    svc = service(freshEnv(sandbox), { clock });
    setTokenService(svc);
  });
  afterAll(async () => {
    setTokenService(undefined);
    await svc.close();
  });

  it('says degraded (200) on a fresh start, ok after a token and a timer run; details only with GraphTokens.Read', async () => {
    const ctx = new InvocationContext({ functionName: 'health' });
    // A fresh start: no token yet (the first call or the timer gets one), the timer not yet due.
    const none = await handler(request(), ctx);
    expect(none.status).toBe(200);
    const summary = JSON.parse(none.body as string) as Record<string, unknown>;
    expect(summary).toEqual({
      status: 'degraded',
      checked_at: expect.any(String),
      failing_checks: ['token.ropc'],
    });

    await svc.acquireToken();
    await svc.recordTimerRun('refresh', 'success');
    // Anonymous: still the cached answer within 10 s.
    expect(JSON.parse((await handler(request(), ctx)).body as string)).toMatchObject({ status: 'degraded' });
    clock.advance(10_001);
    const ok = await handler(request(), ctx);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body as string)).toMatchObject({ status: 'ok', failing_checks: [] });

    const reader = await sandbox.idp.signApiToken({ roles: ['GraphTokens.Read'] });
    const detailed = await handler(request({ authorization: `Bearer ${reader}` }), ctx);
    const report = JSON.parse(detailed.body as string) as { checks: Record<string, { status: string }> };
    expect(Object.keys(report.checks).sort()).toEqual(
      [
        'calendar.default',
        'configuration',
        'credentials.ropc',
        'refresh_timer',
        'sign_in',
        'storage',
        'token.ropc',
      ].sort(),
    );
    expect(report.checks['calendar.default']!.status).toBe('ok');
    // A token without the role is refused rather than silently treated as anonymous.
    const noRole = await sandbox.idp.signApiToken({ roles: [] });
    expect((await handler(request({ authorization: `Bearer ${noRole}` }), ctx)).status).toBe(403);

    // Timer late: degraded (200), with the check named.
    clock.advance(11 * 60_000);
    const late = JSON.parse((await handler(request(), ctx)).body as string) as Record<string, unknown>;
    expect(late).toMatchObject({ status: 'degraded', failing_checks: ['refresh_timer'] });
  });

  it('reads storage once per 10 s for 200 concurrent anonymous requests', async () => {
    clock.advance(10_001); // past the cached answer of the test before
    // The service's own table client: every storage request health makes goes through it.
    const tokens = (svc as unknown as { core: { store: { tokens: TableClient } } }).core.store.tokens;
    const list = jest.spyOn(tokens, 'listEntities');
    const get = jest.spyOn(tokens, 'getEntity');
    try {
      const ctx = new InvocationContext({ functionName: 'health' });
      const answers = await Promise.all(Array.from({ length: 200 }, () => handler(request(), ctx)));
      expect(new Set(answers.map((a) => a.body)).size).toBe(1);
      // One evaluation: one range query of the type's bookkeeping rows (state, incidents, timer runs).
      expect(list.mock.calls.length + get.mock.calls.length).toBe(1);
      await Promise.all(Array.from({ length: 200 }, () => handler(request(), ctx)));
      expect(list.mock.calls.length + get.mock.calls.length).toBe(1);
      clock.advance(10_001);
      await Promise.all(Array.from({ length: 200 }, () => handler(request(), ctx)));
      expect(list.mock.calls.length + get.mock.calls.length).toBe(2);
    } finally {
      list.mockRestore();
      get.mockRestore();
    }
  });
});
