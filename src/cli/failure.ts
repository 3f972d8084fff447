import { STATUS_CODES } from 'node:http';
import { problemType } from '../http/problem';
import { GraphTokenError, sanitize } from '../lib/errors';
import { terminalSafe } from '../lib/format';

/** The CLI's exit codes (docs/cli.md). */
export const EXIT = Object.freeze({
  /** The command did what was asked. */
  ok: 0,
  /** The operation ran and failed (identity provider refused, a token is invalid, storage down...). */
  failed: 1,
  /** The command line or the configuration is wrong; nothing was attempted. */
  usage: 2,
});

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * A failure the CLI reports itself (bad argument, missing variable, sandbox-only command). The message
 * names the argument or variable; never a value that could be a secret.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly code: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string, hint: string, code = 'INVALID_ARGUMENT'): CliError {
  return new CliError(message, EXIT.usage, code, hint);
}

/** What the CLI prints for any failure: the same fields as the HTTP API's problem details. */
export interface FailureReport {
  exitCode: ExitCode;
  code: string;
  message: string;
  hint: string;
  status: number;
}

/**
 * Maps anything thrown to what the operator sees. Configuration errors exit 2, everything else 1.
 * Unknown errors are reported by their class only: their message may carry a stack or a secret.
 */
export function describeFailure(error: unknown): FailureReport {
  if (error instanceof CliError) {
    return {
      exitCode: error.exitCode,
      code: error.code,
      message: error.message,
      hint: error.hint,
      status: error.exitCode === EXIT.usage ? 400 : 500,
    };
  }
  if (error instanceof GraphTokenError) {
    // Bad input (an event, an id, a calendar, a continuation token) is a usage error: exit 2.
    const usage =
      error.category === 'configuration' ||
      ['INVALID_REQUEST', 'GROUP_NOT_ALLOWED', 'INVALID_CONTINUATION_TOKEN'].includes(error.code);
    return {
      exitCode: usage ? EXIT.usage : EXIT.failed,
      code: error.code,
      message: sanitize(error.message),
      hint: error.hint,
      status: error.status,
    };
  }
  const name = error instanceof Error ? error.name : typeof error;
  return {
    exitCode: EXIT.failed,
    code: 'INTERNAL',
    message: `unexpected ${name}`,
    hint: 'Run again with --verbose to see the service log on stderr; report it with the correlation id.',
    status: 500,
  };
}

/** `error:`/`code:`/`hint:` lines for stderr. */
export function formatFailure(report: FailureReport, correlationId?: string): string {
  const lines = [
    `error: ${terminalSafe(report.message)}`,
    `code: ${terminalSafe(report.code)}`,
    `hint: ${terminalSafe(report.hint)}`,
  ];
  if (correlationId) lines.push(`correlation id: ${correlationId}`);
  return `${lines.join('\n')}\n`;
}

/** RFC 9457 problem details, as the HTTP API returns them, for `--json`. */
export function problemJson(report: FailureReport, correlationId: string): Record<string, unknown> {
  return {
    type: problemType(report.code),
    title: STATUS_CODES[report.status] ?? 'Error',
    status: report.status,
    detail: report.message,
    code: report.code,
    hint: report.hint,
    correlation_id: correlationId,
  };
}
