/**
 * `graph-tokens`: the seed's management commands (docs/cli.md), run in-process against the same configuration
 * as the functions. `bin/graph-tokens.js` loads this file.
 */
import { createTokenService } from '../lib';
import type { CliDeps } from './context';
import { runCli } from './program';

export { runCli } from './program';
export type { CliDeps } from './context';

/** The real process; `extra` adds what only the executable wires in (the sandbox's dev-token issuer). */
export function processDeps(extra: Pick<CliDeps, 'devTokens'> = {}): CliDeps {
  return {
    ...extra,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now(),
    createService: ({ env, config, logger }) => createTokenService({ env, config, logger }),
  };
}

/**
 * Runs the CLI with the process's arguments and exits with its code. The exit is explicit because an
 * SDK's keep-alive socket must not keep a finished command waiting; stdout is drained first.
 */
export async function main(
  argv: readonly string[] = process.argv.slice(2),
  extra: Pick<CliDeps, 'devTokens'> = {},
): Promise<void> {
  // `graph-tokens list | head -1`: a closed pipe ends the command quietly, not with a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
  });
  const code = await runCli(argv, processDeps(extra));
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
