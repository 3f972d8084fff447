/**
 * The deployment package itself answers requests: the local host serves .deploy's bundle (built here
 * with scripts/package-app.js into a temporary folder), so the lazily loaded chunks — app/service.js
 * (the service core) and app/schemas.js (zod, the schemas, the OpenAPI builder) — are proven to load on
 * the first request as they will in Azure.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireResultSchema, groupEventResponseSchema, problemSchema } from '../../src/http/schemas';
import { call, startStack, type Stack } from './harness';

const ROOT = join(__dirname, '..', '..');
const EVENT = {
  subject: 'From the bundle',
  start: '2026-12-01T09:00:00+01:00',
  end: '2026-12-01T10:00:00+01:00',
};
let stack: Stack;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gtm-deployed-'));
  const out = join(work, 'deploy');
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'package-app.js'), '--out', out], { cwd: ROOT });
  expect(JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')).main).toBe('app/index.js');
  stack = await startStack({ scriptRoot: out });
}, 120_000);

afterAll(async () => {
  await stack?.close();
  if (work) rmSync(work, { recursive: true, force: true });
}, 30_000);

it('serves the API from the bundle: OpenAPI, a 400 from the schemas, acquire and an event', async () => {
  const openapi = await call(stack, 'GET', '/openapi.json');
  expect(openapi.status).toBe(200);
  expect(openapi.json.openapi).toMatch(/^3\.1/);

  const admin = await stack.sandbox.idp.signApiToken({ roles: ['GraphTokens.Admin'] });
  const bad = await call(stack, 'POST', '/graph-tokens/acquire_token', { token: admin, body: { force: 1 } });
  expect(bad.status).toBe(400);
  expect(problemSchema.parse(bad.json).code).toBe('INVALID_REQUEST');

  const acquired = await call(stack, 'POST', '/graph-tokens/acquire_token', { token: admin, body: {} });
  expect(acquired.status).toBe(200);
  expect(acquireResultSchema.parse(acquired.json).token.source).toBe('ropc');

  const creator = await stack.sandbox.idp.signApiToken({ roles: ['Events.Create'] });
  const event = await call(stack, 'POST', '/events', {
    token: creator,
    headers: { 'idempotency-key': 'deployed-1' },
    body: EVENT,
  });
  expect(event.status).toBe(201);
  expect(groupEventResponseSchema.parse(event.json).start).toBe('2026-12-01T08:00:00Z');
  const repeat = await call(stack, 'POST', '/events', {
    token: creator,
    headers: { 'idempotency-key': 'deployed-1' },
    body: EVENT,
  });
  expect(repeat.status).toBe(200);

  const health = await call(stack, 'GET', '/health');
  expect([200, 503]).toContain(health.status);
  expect(health.json.status).toMatch(/^(ok|degraded|failing)$/);
});
