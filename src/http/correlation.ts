import { randomUUID } from 'node:crypto';

export const CORRELATION_HEADER = 'x-correlation-id';

const VALID = /^[A-Za-z0-9._-]{1,64}$/;

/** The caller's `x-correlation-id` when it is safe to echo (≤ 64 chars of `[A-Za-z0-9._-]`), else a new one. */
export function correlationIdOf(headers: { get(name: string): string | null }): string {
  const supplied = headers.get(CORRELATION_HEADER)?.trim();
  return supplied !== undefined && VALID.test(supplied) ? supplied : randomUUID();
}
