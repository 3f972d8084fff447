/**
 * A sync killed mid-way (SIGKILL of its process, as a crashed Functions worker) and run again with the
 * same input converges: every event once, none twice. The dead worker's lease is taken over once it
 * expires (the re-run's clock is moved past it, nothing sleeps).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../../src/sandbox';
import { FastClock, freshEnv, service } from '../helpers';

jest.setTimeout(120_000);

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: false });
});
afterAll(async () => {
  await sandbox?.close();
});

const events = Array.from({ length: 40 }, (_, i) => ({
  external_id: `crash-${i}`,
  subject: `Lecture ${i}`,
  start: `2027-04-${String((i % 28) + 1).padStart(2, '0')}T09:00:00Z`,
  end: `2027-04-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z`,
}));

it('SIGKILL mid-sync, then the same sync again: 40 events, 0 duplicates', async () => {
  const env = freshEnv(sandbox);
  sandbox.graph.setLatency(40);
  const child = spawn(process.execPath, [join(__dirname, '..', 'fixtures', 'sync-worker.js')], {
    env: { ...process.env, ...env, SYNC_REQUEST: JSON.stringify({ scope: 'crash', events }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // Kill it once some of the creates are done and others are on their way.
      if (/progress 1[0-9]\b/.test(out)) resolve();
    });
    child.on('exit', () => reject(new Error(`the worker ended before it was killed:\n${out}`)));
  });
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  const half = sandbox.graph.events.filter(
    (e) => e.properties && JSON.stringify(e.properties).includes('crash-'),
  );
  expect(half.length).toBeGreaterThan(0);
  expect(half.length).toBeLessThan(40);

  sandbox.graph.setLatency(0);
  const clock = new FastClock();
  const svc = service(env, { clock });
  try {
    // The dead worker still holds the scope's lease...
    await expect(svc.syncGroupEvents({ scope: 'crash', events })).rejects.toMatchObject({
      code: 'SYNC_IN_PROGRESS',
    });
    // ...until it expires (2 minutes without a renewal).
    clock.advance(130_000);
    const rerun = await svc.syncGroupEvents({ scope: 'crash', events });
    expect(rerun.counts.failed).toBe(0);
    expect(rerun.counts.create + rerun.counts.unchanged).toBe(40);
    const all = sandbox.graph.events.filter((e) => JSON.stringify(e.properties).includes('crash-'));
    const ids = all.map((e) => Object.values(e.properties).find((v) => v.startsWith('crash-')));
    expect(new Set(ids).size).toBe(40);
    expect(all).toHaveLength(40);
    const again = await svc.syncGroupEvents({ scope: 'crash', events });
    expect(again.counts.unchanged).toBe(40);
  } finally {
    await svc.close();
  }
});
