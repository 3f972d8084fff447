import { SignJWT, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import {
  acquireResultSchema,
  cleanupSummarySchema,
  createdEventSchema,
  healthReportSchema,
  problemSchema,
  refreshSummarySchema,
  statusReportSchema,
  tokenListSchema,
  tokenRecordSchema,
  validateSummarySchema,
} from '../../src/http/schemas';
import { call, jsonLogs, postChunked, startStack, type ApiResponse, type Stack } from './harness';

/**
 * The HTTP API over real HTTP against the local host process, with the sandbox identity provider,
 * sandbox Graph and Azurite behind it (docs/http.md; loopback only).
 */

let stack: Stack;
let admin: string;
let reader: string;
let eventsCreator: string;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

beforeAll(async () => {
  stack = await startStack();
  admin = await stack.sandbox.idp.signApiToken({ roles: ['GraphTokens.Admin'] });
  reader = await stack.sandbox.idp.signApiToken({ roles: ['GraphTokens.Read'] });
  eventsCreator = await stack.sandbox.idp.signApiToken({ roles: ['Events.Create'] });
}, 60_000);

afterAll(async () => {
  const took = await stack?.close();
  // docs/http.md: Ctrl-C stops the local run within 10 s.
  expect(took).toBeLessThan(10_000);
}, 30_000);

/** Every problem answer has the same shape, the problem content type, and the header's correlation id. */
function expectProblem(response: ApiResponse, status: number, code?: string): void {
  expect({ status: response.status, body: response.text.slice(0, 300) }).toEqual({
    status,
    body: expect.any(String),
  });
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const problem = problemSchema.parse(response.json);
  expect(problem.status).toBe(status);
  expect(problem.correlation_id).toBe(response.headers.get('x-correlation-id'));
  expect(response.text).not.toMatch(/\bat .+\.js:\d+/); // never a stack trace
  if (code !== undefined) expect(problem.code).toBe(code);
}

describe('success paths', () => {
  let tokenId: string;

  it('GET /api/health is anonymous: status and the names of the checks that are not ok', async () => {
    // A fresh start, no token yet and no timer run: degraded (200, a probe keeps the instance), with the
    // checks that are not ok named and nothing else; probes' requests are counted, not logged one by one.
    const response = await call(stack, 'GET', '/health');
    expect(response.status).toBe(200);
    const health = healthReportSchema.parse(response.json);
    expect(health).toEqual({
      status: 'degraded',
      checked_at: expect.any(String),
      failing_checks: ['token.ropc'],
    });
    for (let i = 0; i < 20; i++) expect((await call(stack, 'GET', '/health')).status).toBe(200);
    const lines = jsonLogs(stack).filter((l) => l.function === 'health');
    expect(lines.filter((l) => l.event === 'http.request')).toHaveLength(0);
    expect(lines.filter((l) => l.event === 'http.requests').length).toBeLessThanOrEqual(2);
  });

  it('GET /api/openapi.json is the OpenAPI 3.1 document of the routes', async () => {
    const response = await call(stack, 'GET', '/openapi.json');
    expect(response.status).toBe(200);
    expect(response.json.openapi).toBe('3.1.0');
    expect(Object.keys(response.json.paths)).toEqual(
      expect.arrayContaining([
        '/graph-tokens/status',
        '/graph-tokens',
        '/graph-tokens/acquire_token',
        '/graph-tokens/refresh_tokens',
        '/graph-tokens/cleanup_tokens',
        '/graph-tokens/validate_tokens',
        '/graph-tokens/{id}/deactivate',
        '/events',
        '/health',
        '/openapi.json',
      ]),
    );
  });

  it('POST /api/graph-tokens/acquire_token gets a token from the identity provider, then from memory', async () => {
    const first = await call(stack, 'POST', '/graph-tokens/acquire_token', { token: admin, body: {} });
    expect(first.status).toBe(200);
    const acquired = acquireResultSchema.parse(first.json);
    expect(acquired.token.source).toBe('ropc');
    tokenId = acquired.token.id;
    // An empty body without a content type means {}.
    const second = await call(stack, 'POST', '/graph-tokens/acquire_token', { token: admin });
    expect(acquireResultSchema.parse(second.json).token).toMatchObject({ id: tokenId, source: 'memory' });
  });

  it('GET /api/graph-tokens/status reports the current token (Read role)', async () => {
    const response = await call(stack, 'GET', '/graph-tokens/status', { token: reader });
    expect(response.status).toBe(200);
    const status = statusReportSchema.parse(response.json);
    expect(status.configuration.valid).toBe(true);
    expect(status.current?.id).toBe(tokenId);
    expect(
      status.recent_audit.some(
        // The immutable identity is the actor; the UPN is shown beside it.
        (a) =>
          a.operation === 'acquire' &&
          /^[^:]+:[^:]+$/.test(a.actor) &&
          a.actor_name === 'developer@contoso.example',
      ),
    ).toBe(true);
  });

  it('GET /api/graph-tokens lists public fields only', async () => {
    const response = await call(stack, 'GET', '/graph-tokens?token_type=ropc&limit=10', { token: reader });
    expect(response.status).toBe(200);
    const list = tokenListSchema.parse(response.json); // strict: an access token field would fail this
    expect(list.items.map((t) => t.id)).toContain(tokenId);
    expect(response.text).not.toMatch(/eyJ[A-Za-z0-9_-]+\./);
  });

  it('POST /api/graph-tokens/refresh_tokens refreshes with the refresh token', async () => {
    const before = stack.sandbox.idp.counts.refresh_token;
    const response = await call(stack, 'POST', '/graph-tokens/refresh_tokens', {
      token: admin,
      body: { ids: [tokenId] },
    });
    expect(response.status).toBe(200);
    const summary = refreshSummarySchema.parse(response.json);
    expect(summary).toMatchObject({ success: true, refreshed: 1, failed: 0 });
    expect(summary.results[0]?.source).toBe('refresh');
    expect(stack.sandbox.idp.counts.refresh_token).toBe(before + 1);
    tokenId = summary.results[0]!.id!;
    const noop = await call(stack, 'POST', '/graph-tokens/refresh_tokens', {
      token: admin,
      body: { ids: [] },
    });
    expect(refreshSummarySchema.parse(noop.json)).toMatchObject({ refreshed: 0, failed: 0, results: [] });
  });

  it('POST /api/graph-tokens/validate_tokens checks the token against Graph', async () => {
    const response = await call(stack, 'POST', '/graph-tokens/validate_tokens', { token: admin, body: {} });
    expect(response.status).toBe(200);
    expect(validateSummarySchema.parse(response.json)).toMatchObject({ success: true, valid: 1, invalid: 0 });
  });

  it('POST /api/graph-tokens/cleanup_tokens answers with counts', async () => {
    const response = await call(stack, 'POST', '/graph-tokens/cleanup_tokens', {
      token: admin,
      body: { token_type: 'ropc' },
    });
    expect(response.status).toBe(200);
    expect(cleanupSummarySchema.parse(response.json).success).toBe(true);
  });

  it('POST /api/graph-tokens/{id}/deactivate deactivates one token; an unknown id is 404', async () => {
    const response = await call(stack, 'POST', `/graph-tokens/${tokenId}/deactivate`, {
      token: admin,
      body: { reason: 'end-to-end test' },
    });
    expect(response.status).toBe(200);
    expect(tokenRecordSchema.parse(response.json)).toMatchObject({
      id: tokenId,
      is_active: false,
      deactivation_reason: 'manual',
    });
    const unknown = await call(stack, 'POST', '/graph-tokens/no-such-token/deactivate', { token: admin });
    expectProblem(unknown, 404, 'TOKEN_NOT_FOUND');
    // Leave an active token for the tests below.
    const again = await call(stack, 'POST', '/graph-tokens/acquire_token', { token: admin });
    expect(again.status).toBe(200);
  });

  it('POST /api/events creates an event in the group calendar (Events.Create role)', async () => {
    const event = {
      subject: 'Open day',
      start: '2026-12-01T09:00:00+01:00',
      end: '2026-12-01T11:00:00+01:00',
      time_zone: 'Europe/Amsterdam',
      body: '<p>Agenda</p>',
      body_type: 'html',
      location: 'Main hall',
      attendees: ['ana@contoso.example'],
    };
    const response = await call(stack, 'POST', '/events', { token: eventsCreator, body: event });
    expect(response.status).toBe(201);
    const created = createdEventSchema.parse(response.json);
    const stored = stack.sandbox.graph.events.find((e) => e.id === created.id);
    expect(stored?.body).toMatchObject({ subject: 'Open day' });
    expect(JSON.stringify(stored?.body)).toContain('ana@contoso.example');
  });
});

describe('caller authentication', () => {
  const statusPath = '/graph-tokens/status';

  async function expect401(response: ApiResponse): Promise<void> {
    expectProblem(response, 401, 'UNAUTHORIZED');
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
  }

  it('answers 401 without a token', async () => {
    await expect401(await call(stack, 'GET', statusPath));
  });

  it('answers 401 for an expired token', async () => {
    const token = await stack.sandbox.idp.signApiToken({
      roles: ['GraphTokens.Admin'],
      expiresInSeconds: -300,
    });
    await expect401(await call(stack, 'GET', statusPath, { token }));
  });

  it('answers 401 for a token for another audience', async () => {
    const token = await stack.sandbox.idp.signApiToken({
      roles: ['GraphTokens.Admin'],
      audience: 'api://another-api',
    });
    await expect401(await call(stack, 'GET', statusPath, { token }));
  });

  it('answers 401 for a token from another issuer', async () => {
    const token = await stack.sandbox.idp.signApiToken({
      roles: ['GraphTokens.Admin'],
      extra: { iss: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0' },
    });
    await expect401(await call(stack, 'GET', statusPath, { token }));
  });

  it('answers 401 for alg: none', async () => {
    const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const token = `${enc({ alg: 'none', typ: 'JWT' })}.${enc({
      iss: stack.sandbox.idp.issuer,
      aud: stack.sandbox.idp.apiAudience,
      exp: now + 600,
      roles: ['GraphTokens.Admin'],
    })}.`;
    await expect401(await call(stack, 'GET', statusPath, { token }));
  });

  it('answers 401 for a token signed by another key (even under the real key id)', async () => {
    const realKid = decodeProtectedHeader(admin).kid!;
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    expect((await exportJWK(publicKey)).kty).toBe('RSA');
    for (const kid of [realKid, 'another-key']) {
      const token = await new SignJWT({ roles: ['GraphTokens.Admin'], upn: 'mallory@contoso.example' })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer(stack.sandbox.idp.issuer)
        .setAudience(stack.sandbox.idp.apiAudience)
        .setExpirationTime('10m')
        .sign(privateKey);
      await expect401(await call(stack, 'GET', statusPath, { token }));
    }
  });

  it('refuses a token in the query string', async () => {
    await expect401(await call(stack, 'GET', `${statusPath}?access_token=${admin}`));
  });

  it('accepts the scheme name in any case', async () => {
    const response = await call(stack, 'GET', statusPath, { headers: { authorization: `bEaReR ${reader}` } });
    expect(response.status).toBe(200);
  });

  it('answers 403 without the role (Admin implies Read, not Events.Create)', async () => {
    expectProblem(
      await call(stack, 'POST', '/graph-tokens/acquire_token', { token: reader }),
      403,
      'FORBIDDEN',
    );
    expectProblem(await call(stack, 'GET', statusPath, { token: eventsCreator }), 403, 'FORBIDDEN');
    const event = { subject: 'x', start: '2026-12-01T09:00:00Z', end: '2026-12-01T10:00:00Z' };
    expectProblem(await call(stack, 'POST', '/events', { token: admin, body: event }), 403, 'FORBIDDEN');
    expect((await call(stack, 'GET', statusPath, { token: admin })).status).toBe(200);
  });
});

describe('bad requests are 4xx problems, never 500', () => {
  const json = { 'content-type': 'application/json' };
  const event = { subject: 'Open day', start: '2026-12-01T09:00:00+01:00', end: '2026-12-01T11:00:00+01:00' };
  const big = JSON.stringify({ reason: 'x'.repeat(70 * 1024) });

  type Options = {
    token?: 'admin' | 'events' | 'none';
    body?: unknown;
    raw?: string;
    headers?: Record<string, string>;
  };
  type Case = [name: string, method: string, path: string, status: number, options: Options, code?: string];
  const cases: Case[] = [
    [
      'unknown field',
      'POST',
      '/graph-tokens/acquire_token',
      400,
      { body: { force: true } },
      'INVALID_REQUEST',
    ],
    ['wrong type', 'POST', '/graph-tokens/acquire_token', 400, { body: { force_refresh: 'yes' } }],
    ['wrong type of ids', 'POST', '/graph-tokens/refresh_tokens', 400, { body: { ids: 'abc' } }],
    ['non-JSON', 'POST', '/graph-tokens/acquire_token', 400, { raw: '{"force_refresh":', headers: json }],
    ['JSON null', 'POST', '/graph-tokens/acquire_token', 400, { raw: 'null', headers: json }],
    ['JSON array', 'POST', '/graph-tokens/acquire_token', 400, { raw: '[]', headers: json }],
    ['JSON string', 'POST', '/graph-tokens/cleanup_tokens', 400, { raw: '"x"', headers: json }],
    ['JSON number', 'POST', '/graph-tokens/validate_tokens', 400, { raw: '42', headers: json }],
    [
      'unknown token_type',
      'POST',
      '/graph-tokens/refresh_tokens',
      400,
      { body: { token_type: 'device_code' } },
    ],
    ['unknown token_type in the query', 'GET', '/graph-tokens?token_type=nope', 400, {}],
    ['unknown query parameter', 'GET', '/graph-tokens/status?verbose=1', 400, {}],
    ['bad limit', 'GET', '/graph-tokens?limit=0', 400, {}],
    [
      'text/plain',
      'POST',
      '/graph-tokens/acquire_token',
      415,
      { raw: '{}', headers: { 'content-type': 'text/plain' } },
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a body without a content type',
      'POST',
      '/graph-tokens/cleanup_tokens',
      415,
      { raw: '{}', headers: { 'content-type': '' } },
    ],
    [
      'charset parameter allowed',
      'POST',
      '/graph-tokens/cleanup_tokens',
      200,
      { raw: '{}', headers: { 'content-type': 'application/json; charset=utf-8' } },
    ],
    [
      'over 64 KiB',
      'POST',
      '/graph-tokens/acquire_token',
      413,
      { raw: big, headers: json },
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'over 64 KiB and not JSON (413 before 415)',
      'POST',
      '/graph-tokens/acquire_token',
      413,
      { raw: big, headers: { 'content-type': 'text/plain' } },
    ],
    [
      'not JSON and the wrong type (415 before 400)',
      'POST',
      '/graph-tokens/acquire_token',
      415,
      { raw: 'nope', headers: { 'content-type': 'text/plain' } },
    ],
    ['wrong method', 'GET', '/graph-tokens/acquire_token', 405, {}, 'METHOD_NOT_ALLOWED'],
    ['wrong method, no token (405 before 401)', 'DELETE', '/graph-tokens/status', 405, { token: 'none' }],
    [
      'too large, no token (401 before 413)',
      'POST',
      '/graph-tokens/acquire_token',
      401,
      { token: 'none', raw: big, headers: json },
    ],
    [
      'too large, wrong role (403 before 413)',
      'POST',
      '/graph-tokens/acquire_token',
      403,
      { token: 'events', raw: big, headers: json },
    ],
    ['unknown route', 'GET', '/graph-tokens/abc', 404, {}, 'ROUTE_NOT_FOUND'],
    ['unknown route, no token', 'POST', '/nothing/here', 404, { token: 'none' }],
    ['malformed token id', 'POST', '/graph-tokens/a%20b/deactivate', 400, { body: {} }],
    [
      'event without subject',
      'POST',
      '/events',
      400,
      { token: 'events', body: { ...event, subject: undefined } },
    ],
    ['event with an empty body', 'POST', '/events', 400, { token: 'events' }],
    [
      'event without offset',
      'POST',
      '/events',
      400,
      { token: 'events', body: { ...event, start: '2026-12-01T09:00:00' } },
    ],
    [
      'event on an impossible date',
      'POST',
      '/events',
      400,
      { token: 'events', body: { ...event, start: '2026-02-30T09:00:00Z' } },
    ],
    [
      'event ending before it starts',
      'POST',
      '/events',
      400,
      { token: 'events', body: { ...event, end: '2026-12-01T08:00:00+01:00' } },
    ],
    [
      'event in an unknown time zone',
      'POST',
      '/events',
      400,
      { token: 'events', body: { ...event, time_zone: 'Europe/Atlantis' } },
    ],
    [
      'event with a bad attendee',
      'POST',
      '/events',
      400,
      { token: 'events', body: { ...event, attendees: ['nobody'] } },
    ],
    [
      'event with a bad body_type',
      'POST',
      '/events',
      400,
      { token: 'events', body: { ...event, body_type: 'rtf' } },
    ],
  ];

  // A rest parameter: jest passes `done` to a test function whose arity exceeds a row's length.
  it.each(cases)('%s: %s %s → %i', async (...row: Case) => {
    const [, method, path, status, options, code] = row;
    const token = options.token === 'none' ? undefined : options.token === 'events' ? eventsCreator : admin;
    const response = await call(stack, method, path, {
      ...(token !== undefined ? { token } : {}),
      ...(options.body !== undefined ? { body: options.body } : {}),
      ...(options.raw !== undefined ? { rawBody: options.raw } : {}),
      ...(options.headers !== undefined ? { headers: options.headers } : {}),
    });
    if (status < 400) {
      expect(response.status).toBe(status);
      return;
    }
    expectProblem(response, status, code);
    if (status === 405) expect(response.headers.get('allow')).toMatch(/^(GET|POST)$/);
  });

  it('counts a chunked body (no Content-Length) against the 64 KiB limit', async () => {
    const response = await postChunked(stack, '/graph-tokens/acquire_token', 100 * 1024, {
      authorization: `Bearer ${admin}`,
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
    });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 405 with Allow on the deactivate route too', async () => {
    const response = await call(stack, 'GET', '/graph-tokens/some-id/deactivate', { token: admin });
    expectProblem(response, 405);
    expect(response.headers.get('allow')).toBe('POST');
  });
});

describe('routing and correlation', () => {
  it.each([
    ['GET', '/health/'],
    ['GET', '/openapi.json/'],
    ['GET', '/graph-tokens/status/'],
    ['GET', '/graph-tokens/'],
    ['POST', '/graph-tokens/acquire_token/'],
    ['POST', '/graph-tokens/cleanup_tokens/'],
  ])('answers %s %s with a trailing slash', async (method, path) => {
    const response = await call(stack, method, path, { token: admin });
    expect(response.status).toBe(200);
  });

  it('echoes a valid caller correlation id, on success and on errors', async () => {
    for (const [path, token] of [
      ['/health', undefined],
      ['/graph-tokens/status', admin],
      ['/graph-tokens/status', undefined],
      ['/no/such/route', undefined],
    ] as const) {
      const response = await call(stack, 'GET', path, {
        ...(token ? { token } : {}),
        headers: { 'x-correlation-id': 'req-42_A.b' },
      });
      expect(response.headers.get('x-correlation-id')).toBe('req-42_A.b');
      if (response.headers.get('content-type') === 'application/problem+json')
        expect(response.json.correlation_id).toBe('req-42_A.b');
    }
  });

  it('generates a correlation id when the caller gives none or an unsafe one', async () => {
    for (const supplied of [undefined, 'x'.repeat(65), 'has space', 'semi;colon']) {
      const response = await call(stack, 'GET', '/health', {
        ...(supplied !== undefined ? { headers: { 'x-correlation-id': supplied } } : {}),
      });
      expect(response.headers.get('x-correlation-id')).toMatch(UUID);
    }
  });

  it('passes the correlation id to the audit trail', async () => {
    await call(stack, 'POST', '/graph-tokens/cleanup_tokens', {
      token: admin,
      headers: { 'x-correlation-id': 'cleanup-e2e-1' },
    });
    const status = statusPathJson(await call(stack, 'GET', '/graph-tokens/status', { token: admin }));
    expect(
      status.recent_audit.some((a) => a.correlation_id === 'cleanup-e2e-1' && a.operation === 'cleanup'),
    ).toBe(true);
  });
});

function statusPathJson(response: ApiResponse) {
  expect(response.status).toBe(200);
  return statusReportSchema.parse(response.json);
}

describe('storage outage', () => {
  it('reports degraded health while storage is down and ok after it returns, with no token lost', async () => {
    const before = statusPathJson(await call(stack, 'GET', '/graph-tokens/status', { token: admin }));
    expect(before.current).not.toBeNull();

    await stack.storage.down();
    try {
      // A reader gets a fresh evaluation with every check (anonymous callers get a 10 s cache).
      const down = await call(stack, 'GET', '/health', { token: reader });
      expect(down.status).toBe(503);
      const health = healthReportSchema.parse(down.json);
      expect(health.status).toBe('failing');
      expect(health.checks?.storage?.status).toBe('failing');
      // Storage-backed routes answer with a problem, not a crash.
      const list = await call(stack, 'GET', '/graph-tokens', { token: admin });
      expect(list.status).toBeGreaterThanOrEqual(500);
      expect(list.status).not.toBe(500);
      expectProblem(list, list.status);
    } finally {
      await stack.storage.up();
    }

    const up = await call(stack, 'GET', '/health', { token: reader });
    expect(healthReportSchema.parse(up.json).checks?.storage?.status).toBe('ok');
    const after = statusPathJson(await call(stack, 'GET', '/graph-tokens/status', { token: admin }));
    expect(after.current?.id).toBe(before.current?.id);
    expect(after.tokens.total).toBe(before.tokens.total);
  });
});
