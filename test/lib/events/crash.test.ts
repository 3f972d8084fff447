/**
 * Crash-safe creates (docs/architecture.md): a real worker process is SIGKILLed while the sandbox Graph holds its
 * create (or its `$batch`); a new process repeats the call with the same idempotency keys. Whatever
 * moment the kill hit, the calendar ends with every event exactly once, and every event the repeat
 * acknowledges exists.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../../src/sandbox';
import { freshEnv } from '../helpers';

jest.setTimeout(120_000);

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: false });
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => {
  sandbox.graph.clearFaults();
  sandbox.graph.resetCounts();
});

interface Run {
  child: ChildProcess;
  done: Promise<Record<string, unknown>>;
}

function runWorker(env: Record<string, string>, job: unknown): Run {
  const child = spawn(process.execPath, [join(__dirname, '..', 'fixtures', 'eventWorker.js')], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<Record<string, unknown>>((resolve) =>
    child.on('exit', () =>
      resolve(JSON.parse(out.trim().split('\n').pop() || '{}') as Record<string, unknown>),
    ),
  );
  child.stdin!.end(JSON.stringify(job));
  return { child, done };
}

/** Waits (polling the sandbox, never a fixed sleep) until `condition` holds. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const kill = async (run: Run): Promise<void> => {
  run.child.kill('SIGKILL');
  await run.done;
};

const event = (subject: string, i = 0) => ({
  subject,
  start: new Date(Date.UTC(2034, 0, 1, 9) + i * 3_600_000).toISOString(),
  end: new Date(Date.UTC(2034, 0, 1, 10) + i * 3_600_000).toISOString(),
  time_zone: 'Europe/Amsterdam',
});
const named = (prefix: string) =>
  sandbox.graph.events.filter((e) => String(e.body.subject).startsWith(prefix));

describe('a worker killed in the middle of a create', () => {
  it('killed while Graph holds the POST, restarted at once: one event', async () => {
    const env = freshEnv(sandbox);
    const job = { kind: 'one', key: 'crash-one', events: [event('Crash one')] };
    sandbox.graph.injectFault({ kind: 'delay', ms: 1500, path: 'events', times: 1 });
    const first = runWorker(env, job);
    await until(() => sandbox.graph.counts.events >= 1, 'the create to reach Graph');
    const heldUntil = Date.now() + 1500;
    await kill(first);
    // The new process starts while Graph still holds the first POST.
    const second = await runWorker(env, job).done;
    expect(second.error).toBeUndefined();
    // Whatever Graph does with the held POST of a dead client (commit it, or drop it), wait it out.
    await until(() => Date.now() > heldUntil + 200, 'the held create to finish');
    expect(named('Crash one')).toHaveLength(1);
    expect(named('Crash one')[0]!.id).toBe(second.id);
  });

  it('killed after Graph committed but before the answer was recorded: the repeat finds it', async () => {
    const env = freshEnv(sandbox);
    const job = { kind: 'one', key: 'crash-two', events: [event('Crash two')] };
    // The POST commits and its answer is lost; the lookup that follows is held: the process dies with
    // Graph's event made and its idempotency key still pending.
    sandbox.graph.injectFault({ kind: 'commit-drop', path: 'events', times: 1 });
    sandbox.graph.injectFault({ kind: 'delay', ms: 3000, path: 'events', times: 1 });
    const first = runWorker(env, job);
    await until(() => named('Crash two').length === 1 && sandbox.graph.counts.events >= 1, 'the commit');
    await until(() => sandbox.graph.counts.mailbox_requests >= 2, 'the lookup to be held');
    await kill(first);
    sandbox.graph.clearFaults();
    const second = await runWorker(env, job).done;
    expect(second.error).toBeUndefined();
    expect(named('Crash two')).toHaveLength(1);
    expect(second.id).toBe(named('Crash two')[0]!.id);
  });
});

describe('a worker killed in the middle of a bulk create', () => {
  it('killed while Graph holds the second $batch: every event exactly once after the repeat', async () => {
    const env = freshEnv(sandbox);
    const events = Array.from({ length: 45 }, (_, i) => ({
      ...event(`Crash bulk ${String(i).padStart(2, '0')}`, i),
      idempotency_key: `bulk-${i}`,
    }));
    const job = { kind: 'bulk', events };
    // Every batch is held 1.5 s: the first completes, the second is in Graph's hands when the kill comes.
    sandbox.graph.injectFault({ kind: 'delay', ms: 1500, path: 'batch', times: 2 });
    const first = runWorker(env, job);
    await until(() => sandbox.graph.counts.batches >= 2, 'the second batch to reach Graph');
    const heldUntil = Date.now() + 1500;
    await kill(first);
    const second = (await runWorker(env, job).done) as {
      created: number;
      failed: number;
      results: Array<{ status: number; id?: string }>;
    };
    expect(second).toMatchObject({ created: 45, failed: 0 });
    // The killed process's batch is still in Graph's hands for up to 1.5 s: wait it out, then count.
    await until(() => Date.now() > heldUntil + 200 && named('Crash bulk').length >= 45, 'the held batch');
    const made = named('Crash bulk');
    expect(made).toHaveLength(45);
    expect(new Set(made.map((e) => e.body.subject)).size).toBe(45);
    // Every acknowledged id is an event in the calendar, each item its own.
    const ids = new Set(made.map((e) => e.id));
    expect(second.results.every((r) => r.id !== undefined && ids.has(r.id))).toBe(true);
    expect(new Set(second.results.map((r) => r.id)).size).toBe(45);
    // The first batch's items were answered from the idempotency table or found by their keys.
    expect(second.results.slice(0, 20).every((r) => r.status === 200)).toBe(true);
  });
});
