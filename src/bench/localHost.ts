/**
 * The local Functions host as a process (as `npm start` runs it), and the status-under-load measurement
 * the bench takes against it: one copy for every row that needs them.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface RunningHost {
  url: string;
  stop: () => Promise<void>;
}

/** Starts `dist/host/main.js` on a free port with `env`; resolves once it listens. */
export async function startHost(env: Record<string, string>): Promise<RunningHost> {
  const root = join(__dirname, '..');
  const child = spawn(
    process.execPath,
    [join(root, 'host', 'main.js'), '--script-root', join(root, 'app'), '--port', '0', '--settings', 'none'],
    { cwd: join(root, '..'), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`local host exited with ${code}`)));
  });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGINT');
    });
  return { url, stop };
}

/**
 * `GET /graph-tokens/status` from 50 concurrent clients, 3 000 requests after a warm-up (steady state,
 * as a long-running host is: the first call loads the counts with one scan, the next few hundred let
 * the JIT settle). Returns the p50 and p99 latencies in ms.
 */
export async function statusLatency(hostUrl: string, token: string): Promise<{ p50: number; p99: number }> {
  const get = async (): Promise<number> => {
    const t = process.hrtime.bigint();
    const response = await fetch(`${hostUrl}/graph-tokens/status`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (response.status !== 200) throw new Error(`status answered ${response.status}`);
    await response.arrayBuffer();
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  for (let i = 0; i < 10; i++) await Promise.all(Array.from({ length: 50 }, () => get()));
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next++ < 3000) latencies.push(await get());
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    p50: latencies[Math.floor(latencies.length / 2)]!,
    p99: latencies[Math.floor(latencies.length * 0.99)]!,
  };
}
