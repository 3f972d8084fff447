import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { TokenServiceApi } from '../lib/api';
import { type Config, type Environment, loadConfig, readLocalEnvironment } from '../lib/config';
import { ERRORS } from '../lib/errors';
import { createJsonLogger, type Logger, silentLogger } from '../lib/logger';
import type { OperationContext } from '../lib/types';
import {
  CliError,
  describeFailure,
  EXIT,
  type ExitCode,
  formatFailure,
  problemJson,
  usageError,
} from './failure';
import { type ProgressStream, withProgress } from './progress';

export interface OutputStream {
  write(text: string): unknown;
}

/** Everything the CLI touches outside itself, so tests can run it in-process. */
export interface CliDeps {
  stdout: OutputStream;
  stderr: ProgressStream;
  /** The process environment; `local.settings.json` in `cwd` fills what it does not set. */
  env: Environment;
  cwd: string;
  now: () => number;
  createService: (options: { env: Environment; config: Config; logger: Logger }) => TokenServiceApi;
  /**
   * Where `dev-token` gets its tokens: the local sandbox's issuer, loaded on demand by the executable
   * (`bin/graph-tokens.js`), since the CLI itself never imports the development folders. Absent when the
   * sandbox is not part of this installation.
   */
  devTokens?: () => Promise<DevTokenIssuer>;
}

/** What `dev-token` asks of the sandbox (`src/sandbox/devToken.ts` provides it). */
export interface DevTokenIssuer {
  issueDevToken(
    config: Config,
    env: Environment,
    cwd: string,
    request: {
      roles: readonly string[];
      expiresInSeconds: number;
      audience?: string;
      upn?: string;
      oid?: string;
      app?: string;
    },
    now?: number,
  ): Promise<{
    access_token: string;
    expires_in: number;
    roles: string[];
    audience: string;
    upn: string;
  }>;
}

/** A refusal of the issuer (`DEV_TOKEN_REFUSED`, `DEV_TOKEN_UNAVAILABLE`): its code and hint. */
export function isDevTokenRefusal(error: unknown): error is Error & { code: string; hint: string } {
  return (
    error instanceof Error &&
    error.name === 'DevTokenError' &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { hint?: unknown }).hint === 'string'
  );
}

/** Options every command accepts. */
export interface CommonOptions {
  json?: boolean;
  verbose?: boolean;
}

/**
 * The environment the functions would see here: real variables first, then `local.settings.json`
 * `Values` (the Core Tools convention). This is how the CLI in a second terminal shares `npm start`'s
 * storage, key and identity provider.
 */
export function loadEnvironment(deps: Pick<CliDeps, 'env' | 'cwd'>): Environment {
  try {
    return readLocalEnvironment(deps.cwd, deps.env);
  } catch {
    throw usageError(
      `local.settings.json in ${deps.cwd} is not valid JSON`,
      'Fix the file (it must be {"Values": {...}}) or remove it and set the variables in the environment.',
      'CONFIGURATION_INVALID',
    );
  }
}

export function configurationError(config: Config): CliError {
  const parts: string[] = [];
  if (config.report.missing.length > 0) parts.push(`missing ${config.report.missing.join(', ')}`);
  parts.push(...config.report.problems);
  return new CliError(
    `configuration is invalid: ${parts.join('; ')}`,
    EXIT.usage,
    ERRORS.CONFIGURATION_INVALID.code,
    'Set the variables named here in the environment or in local.settings.json (Values) in the current ' +
      'directory, as for the functions. `npm start` writes a complete local.settings.json for the sandbox.',
  );
}

export interface ServiceCommand<T> {
  /** Shown with a spinner on a terminal while the command runs; `''`: the command draws its own progress. */
  progress: string;
  run: (service: TokenServiceApi, ctx: OperationContext) => Promise<T>;
  render: (result: T, now: number) => string;
  /** Exit code for a result that came back (default: 1 when `success === false`). */
  exitCode?: (result: T, config: Config) => ExitCode;
  /** `status` runs with an invalid configuration too: reporting it is its job. */
  allowInvalidConfig?: boolean;
}

/**
 * Runs one service operation in-process: configuration check, service, progress, output, exit code.
 * The service is always closed (it flushes usage counters) before the exit code is returned.
 */
export async function runServiceCommand<T>(
  deps: CliDeps,
  options: CommonOptions,
  command: ServiceCommand<T>,
): Promise<ExitCode> {
  const ctx: OperationContext = { actor: cliActor(), correlationId: randomUUID() };
  try {
    const env = loadEnvironment(deps);
    const config = loadConfig(env);
    if (!config.report.valid && !command.allowInvalidConfig) throw configurationError(config);
    const logger = options.verbose
      ? createJsonLogger((line) => deps.stderr.write(`${line}\n`), 'debug')
      : silentLogger;
    let result: T;
    try {
      const service = deps.createService({ env, config, logger });
      try {
        result =
          command.progress === ''
            ? await command.run(service, ctx)
            : await withProgress(deps.stderr, command.progress, () => command.run(service, ctx));
      } finally {
        await service.close();
      }
    } catch (error) {
      // With a broken configuration the service's own error (storage unreachable...) hides the cause.
      if (!config.report.valid) throw configurationError(config);
      throw error;
    }
    print(deps, options, result, command.render);
    // `status` reports an invalid configuration in its output; stderr still names what to fix.
    if (!config.report.valid) deps.stderr.write(formatFailure(describeFailure(configurationError(config))));
    return command.exitCode
      ? command.exitCode(result, config)
      : (result as { success?: boolean }).success === false
        ? EXIT.failed
        : EXIT.ok;
  } catch (error) {
    return reportFailure(deps, options, error, ctx.correlationId);
  }
}

/**
 * The audit actor of a CLI command: `cli:<operating-system user>@<host>`, so an entry says who ran it
 * where (the CLI has no caller token). Names are reduced to safe characters.
 */
export function cliActor(): string {
  const safe = (text: string): string => text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || 'unknown';
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the user stays unknown.
  }
  return `cli:${safe(user)}@${safe(hostname())}`;
}

export function print<T>(
  deps: Pick<CliDeps, 'stdout' | 'now'>,
  options: CommonOptions,
  result: T,
  render: (result: T, now: number) => string,
): void {
  deps.stdout.write(
    options.json ? `${JSON.stringify(result, null, 2)}\n` : `${render(result, deps.now())}\n`,
  );
}

/** `error:`/`code:`/`hint:` on stderr; with `--json` also the problem object on stdout. */
export function reportFailure(
  deps: Pick<CliDeps, 'stdout' | 'stderr'>,
  options: CommonOptions,
  error: unknown,
  correlationId: string = randomUUID(),
): ExitCode {
  const report = describeFailure(error);
  deps.stderr.write(formatFailure(report, report.exitCode === EXIT.failed ? correlationId : undefined));
  if (options.json) deps.stdout.write(`${JSON.stringify(problemJson(report, correlationId), null, 2)}\n`);
  return report.exitCode;
}
