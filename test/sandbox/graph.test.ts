/** The Graph stand-in accepts only tokens the sandbox identity provider issued for Graph, unexpired. */
import { SignJWT, decodeProtectedHeader, generateKeyPair } from 'jose';
import { SANDBOX_DEFAULTS, SandboxGraph, SandboxIdentityProvider } from '../../src/sandbox';
import { graphToken } from './graphClient';

const EVENT = {
  subject: 'Open day',
  start: { dateTime: '2026-12-01T09:00:00', timeZone: 'Europe/Berlin' },
  end: { dateTime: '2026-12-01T11:00:00', timeZone: 'Europe/Berlin' },
  body: { contentType: 'html', content: '<p>Agenda</p>' },
};

describe('SandboxGraph', () => {
  let idp: SandboxIdentityProvider;
  let graph: SandboxGraph;

  beforeAll(async () => {
    idp = await SandboxIdentityProvider.start();
    graph = await SandboxGraph.start({ identityProvider: idp });
  });
  afterAll(async () => {
    await graph.close();
    await idp.close();
  });
  beforeEach(() => {
    graph.clearFaults();
    graph.resetCounts();
  });

  const call = (path: string, token: string | undefined, init: RequestInit = {}): Promise<Response> =>
    fetch(`${graph.baseUrl}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });

  it('answers /me and creates group events with a token from the identity provider', async () => {
    expect(graph.baseUrl).toMatch(/^https:\/\/localhost:\d+\/v1\.0$/);
    const token = await graphToken(idp);
    const me = await call('/me', token);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ userPrincipalName: SANDBOX_DEFAULTS.username });

    const created = await call(`/groups/${graph.groupIds[0]}/events`, token, {
      method: 'POST',
      body: JSON.stringify(EVENT),
    });
    expect(created.status).toBe(201);
    const event = (await created.json()) as Record<string, unknown>;
    // Graph answers a create in the zone it was given, with seven-digit fractions.
    expect(event).toMatchObject({
      subject: 'Open day',
      start: { dateTime: '2026-12-01T09:00:00.0000000', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-12-01T11:00:00.0000000', timeZone: 'Europe/Berlin' },
    });
    expect(event.webLink).toMatch(/^https:\/\//);
    expect(graph.events).toHaveLength(1);
    expect(graph.events[0]).toMatchObject({ id: event.id, groupId: graph.groupIds[0], body: EVENT });
    expect(graph.counts).toMatchObject({ me: 1, events: 1, unauthorized: 0 });
  });

  it('rejects missing, forged and expired tokens with InvalidAuthenticationToken', async () => {
    // Same header and claims as a real token, but signed by another key.
    const { privateKey } = await generateKeyPair('RS256');
    const { kid } = decodeProtectedHeader(await graphToken(idp));
    const forged = await new SignJWT({ aud: 'https://graph.microsoft.com', scp: 'User.Read', upn: 'x' })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(idp.issuer)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
    const expired = await idp.signApiToken({
      audience: 'https://graph.microsoft.com',
      expiresInSeconds: -60,
      extra: { scp: 'User.Read' },
    });
    for (const token of [undefined, forged, expired, 'not-a-jwt']) {
      const response = await call('/me', token);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        'InvalidAuthenticationToken',
      );
    }
    expect(await idp.verifyAccessToken(forged)).toBeNull();
    expect(await idp.verifyAccessToken(expired)).toBeNull();
    expect(graph.counts.unauthorized).toBe(4);
  });

  it('answers 404 for an unknown group, 400 for an incomplete event, 403 without Group.ReadWrite.All', async () => {
    const token = await graphToken(idp);
    const unknown = await call('/groups/00000000-0000-4000-8000-000000000000/events', token, {
      method: 'POST',
      body: JSON.stringify(EVENT),
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe(
      'Request_ResourceNotFound',
    );

    const incomplete = await call(`/groups/${graph.groupIds[0]}/events`, token, {
      method: 'POST',
      body: JSON.stringify({ subject: 'No times' }),
    });
    expect(incomplete.status).toBe(400);
    expect(((await incomplete.json()) as { error: { code: string } }).error.code).toBe('ErrorInvalidRequest');

    const readOnly = await graphToken(idp, 'https://graph.microsoft.com/User.Read');
    const denied = await call(`/groups/${graph.groupIds[0]}/events`, readOnly, {
      method: 'POST',
      body: JSON.stringify(EVENT),
    });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('ErrorAccessDenied');
  });

  it('injects faults per path and through the control endpoints', async () => {
    const token = await graphToken(idp);
    graph.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 2, path: 'events', times: 1 });
    const me = await call('/me', token);
    expect(me.status).toBe(200);
    const throttled = await call(`/groups/${graph.groupIds[0]}/events`, token, {
      method: 'POST',
      body: JSON.stringify(EVENT),
    });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2');
    expect(((await throttled.json()) as { error: { code: string } }).error.code).toBe('TooManyRequests');

    const control = `${graph.baseUrl.replace(/\/v1\.0$/, '')}/_sandbox`;
    const posted = await fetch(`${control}/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'status', status: 403, code: 'ErrorAccessDenied', path: 'me', times: 1 }),
    });
    expect(posted.status).toBe(201);
    const denied = await call('/me', token);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('ErrorAccessDenied');
    graph.injectFault({ kind: 'drop', path: 'me', times: 1 });
    await expect(call('/me', token)).rejects.toThrow();
    const counts = (await (await fetch(`${control}/counts`)).json()) as { me: number; events: number };
    expect(counts).toMatchObject({ me: 3, events: 1 });
    const events = (await (await fetch(`${control}/events`)).json()) as { events: unknown[] };
    expect(Array.isArray(events.events)).toBe(true);
  });

  it('takes wall-clock times only, keeps the instant it understood, and de-duplicates by transactionId', async () => {
    const token = await graphToken(idp);
    const path = `/groups/${graph.groupIds[0]}/events`;
    const withOffset = await call(path, token, {
      method: 'POST',
      body: JSON.stringify({ ...EVENT, start: { dateTime: '2026-12-01T09:00:00+01:00', timeZone: 'UTC' } }),
    });
    expect(withOffset.status).toBe(400);
    const badZone = await call(path, token, {
      method: 'POST',
      body: JSON.stringify({
        ...EVENT,
        start: { dateTime: '2026-12-01T09:00:00', timeZone: 'Mars/Olympus' },
      }),
    });
    expect(((await badZone.json()) as { error: { code: string } }).error.code).toBe(
      'TimeZoneNotSupportedException',
    );
    const body = JSON.stringify({ ...EVENT, transactionId: 'tx-1' });
    const first = (await (await call(path, token, { method: 'POST', body })).json()) as { id: string };
    const repeat = await call(path, token, { method: 'POST', body });
    expect(repeat.status).toBe(201);
    expect(((await repeat.json()) as { id: string }).id).toBe(first.id);
    expect(graph.events.filter((e) => e.transactionId === 'tx-1')).toHaveLength(1);
    expect(graph.events.find((e) => e.id === first.id)!.start).toBe('2026-12-01T08:00:00.000Z');
    expect(graph.counts.deduplicated).toBe(1);
  });

  it('runs at most 4 requests per mailbox: a 5th gets 429 MailboxConcurrency; a batch stays within the limit', async () => {
    const token = await graphToken(idp);
    const path = `/groups/${graph.groupIds[0]}/events`;
    graph.setLatency(200);
    try {
      const answers = await Promise.all(Array.from({ length: 5 }, () => call(path, token)));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
      const throttled = answers.find((a) => a.status === 429)!;
      expect(throttled.headers.get('retry-after')).toBe('1');
      expect(await throttled.text()).toContain('MailboxConcurrency');
      expect(graph.counts).toMatchObject({ max_in_flight: 4, mailbox_rejected: 1 });
      graph.resetCounts();
      const requests = Array.from({ length: 20 }, (_, i) => ({
        id: String(i),
        method: 'POST',
        url: path,
        body: { ...EVENT, subject: `Batched ${i}` },
        headers: { 'content-type': 'application/json' },
      }));
      const batch = await call('/$batch', token, { method: 'POST', body: JSON.stringify({ requests }) });
      const responses = ((await batch.json()) as { responses: { id: string; status: number }[] }).responses;
      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
      expect(graph.counts).toMatchObject({ batches: 1, max_in_flight: 4, mailbox_rejected: 0 });
      const tooMany = await call('/$batch', token, {
        method: 'POST',
        body: JSON.stringify({ requests: [...requests, { ...requests[0], id: '20' }] }),
      });
      expect(tooMany.status).toBe(400);
    } finally {
      graph.setLatency(0);
    }
  });
});
