import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** What a worker process (fixtures/worker.js) printed: the token it got, or the error code. */
export interface WorkerResult {
  id?: string;
  source?: string;
  error?: string;
}

export interface Worker {
  /** Resolves once the module graph has loaded and the process waits on stdin. */
  ready: Promise<void>;
  /** Lets the worker acquire. */
  go: () => void;
  done: Promise<WorkerResult>;
}

/** One service "instance" in its own process, acquiring once when told to (so several start together). */
export function startWorker(env: Record<string, string>): Worker {
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

/** Starts a worker and lets it acquire at once. */
export function runWorker(env: Record<string, string>): Promise<WorkerResult> {
  const worker = startWorker(env);
  worker.go();
  return worker.done;
}

/** Two processes on one table, the second told to go `gapMs` after the first. */
export async function raceTwoWorkers(env: Record<string, string>, gapMs = 300): Promise<WorkerResult[]> {
  const a = startWorker(env);
  const b = startWorker(env);
  await Promise.all([a.ready, b.ready]);
  a.go();
  await new Promise((resolve) => setTimeout(resolve, gapMs));
  b.go();
  return Promise.all([a.done, b.done]);
}
