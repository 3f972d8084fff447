import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'graph-tokens.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/graph-tokens.js ...args` as a separate process with exactly `env` (plus PATH/HOME), the
 * way an operator runs it. Needs the build (`dist/`).
 */
export function runCli(
  args: string[],
  options: { env: Record<string, string>; cwd: string },
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: options.cwd,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
        timeout: 45_000,
        maxBuffer: 4 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`graph-tokens ${args.join(' ')} did not run: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** An empty working directory: no local.settings.json unless a test writes one. */
export function tempDir(prefix = 'graph-tokens-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** What the CLI must never print: a stack frame. */
export const STACK_FRAME = /^\s+at .+\(.+:\d+:\d+\)$/m;
