import type { InvocationContext } from '@azure/functions';
import { GraphTokenError } from '../lib/errors';
import { redact } from '../lib/logger';

export type LogLevel = 'info' | 'warn' | 'error';

/**
 * One JSON object per event through the invocation's logger (so the Functions host correlates it with
 * the invocation). Fields pass through the service's redaction: no secret or token is ever written.
 */
export function logEvent(
  context: InvocationContext,
  level: LogLevel,
  event: string,
  fields: Record<string, unknown> = {},
): void {
  const line = JSON.stringify({ event, function: context.functionName, ...redact(fields) });
  if (level === 'error') context.error(line);
  else if (level === 'warn') context.warn(line);
  else context.info(line);
}

/** What a log may say about an error: its name and code, and for our own errors the (sanitized) message. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      error_name: error.name,
      ...(typeof code === 'string' ? { error_code: code } : {}),
      error_message: error.message,
      // Our own errors are expected outcomes; a stack only helps with the unexpected ones.
      ...(error.stack !== undefined && !(error instanceof GraphTokenError)
        ? { error_stack: error.stack.split('\n').slice(1, 6).join(' | ') }
        : {}),
    };
  }
  return { error_name: typeof error };
}
