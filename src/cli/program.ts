import { Command, CommanderError } from 'commander';
import { registerServiceCommands } from './commands';
import type { CliDeps } from './context';
import { registerDevTokenCommand } from './dev-token-command';
import { registerSignInCommand } from './sign-in-command';
import { registerEventsCommands } from './events-command';
import { registerReportCommand } from './report-command';
import { EXIT, type ExitCode } from './failure';
import { PACKAGE_VERSION } from '../lib/version';

export function buildProgram(deps: CliDeps, done: (code: ExitCode) => void): Command {
  const program = new Command('graph-tokens')
    .description(
      'Manage the delegated Microsoft Graph token of graph-token-manager, in-process, with the same ' +
        'configuration as the functions (environment, then local.settings.json Values in the current directory).',
    )
    .version(PACKAGE_VERSION, '-V, --version')
    .configureOutput({
      writeOut: (text) => deps.stdout.write(text),
      writeErr: (text) => deps.stderr.write(text),
    })
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit codes: 0 success, 1 the operation failed, 2 usage or configuration error.
Every command accepts --json (the HTTP API's JSON) and --help.

Examples:
  graph-tokens status
  graph-tokens acquire --force
  graph-tokens acquire --retry-blocked-password   (once more, after fixing a rejected password)
  graph-tokens sign-in --device-code              (GRAPH_TOKEN_TYPE=delegated)
  graph-tokens list --json
  graph-tokens events import events.csv --dry-run
  graph-tokens report --month 2026-12
  graph-tokens dev-token --role GraphTokens.Admin`,
    );
  registerServiceCommands(program, deps, done);
  registerSignInCommand(program, deps, done);
  registerEventsCommands(program, deps, done);
  registerReportCommand(program, deps, done);
  registerDevTokenCommand(program, deps, done);
  return program;
}

/**
 * Runs the CLI and resolves with its exit code; never throws, never prints a stack trace.
 * `argv` is the user's arguments (without `node` and the script).
 */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  const program = buildProgram(deps, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; anything commander rejects (unknown option, bad choice, missing
      // argument, no command at all) is a usage error. Commander has already printed `error: ...`.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    deps.stderr.write('error: unexpected failure in the command line parser\n');
    return EXIT.failed;
  }
}
