import type { Clock } from './clock';
import { GraphTokenError } from './errors';

export interface RetryOptions {
  clock: Clock;
  /** Attempts in all, the first included. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Total time budget; a Retry-After beyond it ends the retries instead of sleeping past it. */
  maxTotalMs?: number;
  random?: () => number;
  onRetry?: (error: GraphTokenError, attempt: number, delayMs: number) => void;
}

/**
 * Retries transient failures (network, 5xx, 429) with exponential backoff and full jitter, honouring
 * `Retry-After`. Credential errors are never retried: each retry would count towards Entra ID smart
 * lockout.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { clock } = options;
  const maxAttempts = options.maxAttempts ?? 4;
  const base = options.baseDelayMs ?? 400;
  const cap = options.maxDelayMs ?? 8000;
  const budget = options.maxTotalMs ?? 30000;
  const random = options.random ?? Math.random;
  const started = clock.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!(error instanceof GraphTokenError) || error.category !== 'transient' || attempt >= maxAttempts)
        throw error;
      const backoff = Math.min(cap, base * 2 ** (attempt - 1));
      const jittered = Math.round(backoff / 2 + random() * (backoff / 2));
      const delay =
        error.retryAfterSeconds !== undefined ? Math.max(error.retryAfterSeconds * 1000, jittered) : jittered;
      if (clock.now() - started + delay > budget) throw error;
      options.onRetry?.(error, attempt, delay);
      await clock.sleep(delay);
    }
  }
}

/** Parses a `Retry-After` header: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 3600);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.min(3600, Math.ceil((date - now) / 1000)));
}
