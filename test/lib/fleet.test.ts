import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { freshEnv } from './helpers';

jest.setTimeout(120_000);

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: false });
});
afterAll(async () => {
  await sandbox?.close();
});

interface WorkerResult {
  id?: string;
  source?: string;
  error?: string;
}

function startWorker(env: Record<string, string>): {
  ready: Promise<void>;
  go: () => void;
  done: Promise<WorkerResult>;
} {
  const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'worker.js')], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<WorkerResult>((resolve) =>
    child.on('exit', () => resolve(JSON.parse(out.trim().split('\n').pop() || '{}') as WorkerResult)),
  );
  // The module graph is loaded once the process is idle on stdin: give it a moment to get there.
  const ready = new Promise<void>((resolve) => setTimeout(resolve, 1500));
  return { ready, go: () => child.stdin.end('go\n'), done };
}

it('8 processes sharing one table send exactly one token request in total', async () => {
  const env = freshEnv(sandbox);
  sandbox.idp.resetCounts();
  const workers = Array.from({ length: 8 }, () => startWorker(env));
  await Promise.all(workers.map((w) => w.ready));
  workers.forEach((w) => w.go());
  const results = await Promise.all(workers.map((w) => w.done));
  expect(results.every((r) => r.id !== undefined)).toBe(true);
  expect(new Set(results.map((r) => r.id)).size).toBe(1);
  expect(sandbox.idp.counts.token).toBe(1);
  expect(results.filter((r) => r.source === 'ropc')).toHaveLength(1);
});
