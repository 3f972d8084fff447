import { sanitize } from './errors';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One JSON object per event (docs/operations.md): operation, token id, outcome, duration, correlation id. */
export interface Logger {
  log(level: LogLevel, event: string, fields?: Record<string, unknown>): void;
}

/** Field names whose values are never written, whatever they contain. */
const SECRET_FIELD =
  /(password|secret|assertion|refresh_?token|access_?token|^token$|authorization|ciphertext|cache)/i;
const SAFE_FIELD = /^(token_id|token_type|tokens|token_count)$/;

/** Copies `fields`, replacing secret-named fields and token-shaped strings. */
export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_FIELD.test(key) && !SAFE_FIELD.test(key)) out[key] = '[redacted]';
    else if (typeof value === 'string') out[key] = sanitize(value);
    else if (value instanceof Error) out[key] = sanitize(value.message);
    else out[key] = value;
  }
  return out;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createJsonLogger(
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  minLevel: LogLevel = 'info',
): Logger {
  return {
    log(level, event, fields = {}) {
      if (ORDER[level] < ORDER[minLevel]) return;
      write(JSON.stringify({ time: new Date().toISOString(), level, event, ...redact(fields) }));
    },
  };
}

export const silentLogger: Logger = { log: () => undefined };
