/**
 * Cold start of the deployed app: what the Functions worker `require`s at start-up, i.e. the entry point
 * of the deployment package (.deploy/app/index.js, built by scripts/package-app.js), loaded in fresh Node
 * processes by dist/bench/loadEntry.js. Reported beside `node -e ""` measured in the same run, and beside
 * the compiled, unbundled registrations (dist/functions/*.js) for comparison.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { EntryLoad } from './loadEntry';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

export const DEPLOYED_ENTRY = join(ROOT, '.deploy', 'app', 'index.js');

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export interface ColdLoad {
  /** `require` of the entry files, median ms. */
  requireMs: number;
  /** Whole process, spawn to exit, median ms. */
  wallMs: number;
  rssMiB: number;
  modules: number;
}

async function timed(args: string[]): Promise<{ wallMs: number; stdout: string }> {
  const started = process.hrtime.bigint();
  const { stdout } = await run(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '' } });
  return { wallMs: Number(process.hrtime.bigint() - started) / 1e6, stdout };
}

/** Median over `runs` fresh processes, one after another (no overlap, so they do not compete). */
export async function coldLoad(entries: string[], runs = 7): Promise<ColdLoad> {
  const samples: (EntryLoad & { wallMs: number })[] = [];
  for (let i = 0; i < runs; i++) {
    const { wallMs, stdout } = await timed([join(__dirname, 'loadEntry.js'), ...entries]);
    samples.push({ ...(JSON.parse(stdout.trim().split('\n').pop()!) as EntryLoad), wallMs });
  }
  return {
    requireMs: median(samples.map((s) => s.requireMs)),
    wallMs: median(samples.map((s) => s.wallMs)),
    rssMiB: median(samples.map((s) => s.rssMiB)),
    modules: median(samples.map((s) => s.modules)),
  };
}

/** `node -e ""`: the floor of a fresh process (wall time, RSS). */
export async function bareNode(runs = 7): Promise<{ wallMs: number; rssMiB: number }> {
  const samples: { wallMs: number; rssMiB: number }[] = [];
  for (let i = 0; i < runs; i++) {
    samples.push({ wallMs: (await timed(['-e', ''])).wallMs, rssMiB: 0 });
    const { stdout } = await timed(['-e', 'process.stdout.write(String(process.memoryUsage().rss))']);
    samples[i]!.rssMiB = Number(stdout) / 2 ** 20;
  }
  return { wallMs: median(samples.map((s) => s.wallMs)), rssMiB: median(samples.map((s) => s.rssMiB)) };
}

const f = (n: number, digits = 0): string => n.toFixed(digits);

/** The bench row: deployed entry point against `node -e ""` and the unbundled registrations. */
export async function coldStartRow(): Promise<[string, string, string, string, string]> {
  if (!existsSync(DEPLOYED_ENTRY)) throw new Error('.deploy/ is missing: run `npm run package` first');
  const compiledDir = join(ROOT, 'dist', 'functions');
  const compiled = readdirSync(compiledDir)
    .filter((n) => n.endsWith('.js') && n !== 'index.js')
    .map((n) => join(compiledDir, n));
  const base = await bareNode();
  const deployed = await coldLoad([DEPLOYED_ENTRY]);
  const unbundled = await coldLoad(compiled);
  return [
    'cold load of the deployed entry point (median of 7 processes)',
    `${f(deployed.requireMs)} ms require, ${f(deployed.rssMiB, 1)} MiB, ${deployed.modules} module(s); process ${f(deployed.wallMs)} ms`,
    '-',
    '-',
    `node -e "": ${f(base.wallMs)} ms, ${f(base.rssMiB, 1)} MiB; dist/functions/*.js: ${f(unbundled.requireMs)} ms, ` +
      `${f(unbundled.rssMiB, 1)} MiB, ${unbundled.modules} modules (target ≤ 120 ms, ≤ 60 MiB)`,
  ];
}
