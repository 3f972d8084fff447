/**
 * docs/clients.md's Python client (standard library only) against the local host: the sandbox Graph,
 * identity provider and Azurite on ephemeral ports, the client run with `python3` as a tracker would.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startStack, type Stack } from './harness';

const ROOT = join(__dirname, '..', '..');
const CLIENT = join(ROOT, 'docs', 'clients', 'tracker_client.py');
const DRIVER = join(__dirname, 'fixtures', 'python_client_check.py');
const run = promisify(execFile);
// What the driver prints: free-form JSON per step, checked field by field below.
type Observed = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

it('docs/clients.md shows tracker_client.py verbatim', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'clients.md'), 'utf8');
  const block = /```python\n([\s\S]*?)```/.exec(doc)?.[1];
  expect(block).toBe(readFileSync(CLIENT, 'utf8'));
});

describe('the Python client against the local host', () => {
  let stack: Stack;
  let token: string;

  beforeAll(async () => {
    stack = await startStack();
    token = await stack.sandbox.idp.signApiToken({ roles: ['Events.Create'] });
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  }, 30_000);

  const python = async (steps: string): Promise<Observed> => {
    const { stdout } = await run('python3', [DRIVER, stack.api, steps], {
      env: { ...process.env, TRACKER_TOKEN: token },
      timeout: 60_000,
    });
    return JSON.parse(stdout) as Observed;
  };

  it('creates once per Idempotency-Key and turns problem details into exceptions', async () => {
    const out = await python('create,problem');
    expect(out.create.again).toBe(out.create.first);
    expect(out.create.start).toBe('2027-02-01T08:00:00Z');
    expect(stack.sandbox.graph.events.filter((e) => e.id === out.create.first)).toHaveLength(1);
    expect(out.reused).toMatchObject({
      class: 'Conflict',
      status: 409,
      code: 'IDEMPOTENCY_KEY_REUSED',
      hint: true,
    });
    expect(out.invalid).toMatchObject({ class: 'InvalidRequest', status: 400, code: 'INVALID_REQUEST' });
    expect(out.invalid.detail).toMatch(/end/);
    expect(out.invalid.correlation_id).toEqual(expect.any(String));
  }, 60_000);

  it('upserts by external id and syncs with a dry run first', async () => {
    const out = await python('upsert,sync');
    expect(out.upsert).toEqual({
      actions: ['create', 'unchanged', 'update'],
      changes: ['location'],
      same_id: true,
      got: 'Room 2',
    });
    const counts = (c: Record<string, number>) => [c.create, c.update, c.unchanged, c.remove];
    expect(out.sync.dry_run).toBe(true);
    expect(counts(out.sync.plan)).toEqual([3, 0, 0, 0]);
    expect(counts(out.sync.applied)).toEqual([3, 0, 0, 0]);
    expect(counts(out.sync.rerun)).toEqual([0, 0, 2, 1]);
  }, 60_000);
});
