import { createHmac, randomUUID } from 'node:crypto';
import type { Clock } from './clock';
import { sanitize } from './errors';

/**
 * The one module that talks to the notification receiver (docs/operations.md, "Notifications"):
 * CloudEvents 1.0 in structured JSON mode, signed the Standard Webhooks way, retried with backoff.
 */

export const CLOUDEVENT_TYPE_PREFIX = 'com.graph-token-manager.';

export interface CloudEvent<D = Record<string, unknown>> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  subject?: string;
  datacontenttype: 'application/json';
  data: D;
}

export function cloudEvent<D extends Record<string, unknown>>(
  kind: string,
  subject: string,
  time: string,
  data: D,
): CloudEvent<D> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/graph-token-manager',
    type: `${CLOUDEVENT_TYPE_PREFIX}${kind}`,
    time,
    subject,
    datacontenttype: 'application/json',
    data,
  };
}

/**
 * The HMAC key of a signing secret: a Standard Webhooks secret (`whsec_` + base64) is its decoded bytes,
 * any other value its UTF-8 bytes.
 */
export function signingKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/**
 * `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` (Standard Webhooks): the id and the timestamp
 * are signed with the body, so a receiver that checks the timestamp's age and remembers ids rejects
 * replays.
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

export interface DeliveryOptions {
  clock: Clock;
  /** Attempts in all (default 3). */
  attempts?: number;
  /** First backoff; doubled per attempt (default 1 000 ms). */
  baseDelayMs?: number;
  /** Per attempt (default 5 000 ms). */
  timeoutMs?: number;
}

export interface DeliveryResult {
  delivered: boolean;
  attempts: number;
  /** The last HTTP status, `null` when no answer came. */
  status: number | null;
  /** Why the last attempt failed, in words (never the body sent). */
  error?: string;
}

/** 408, 429 and 5xx answers and network errors are retried; any other answer is final. */
const retryable = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/**
 * POSTs a CloudEvent. Every attempt carries the same `webhook-id` (the receiver de-duplicates on it) and
 * a fresh `webhook-timestamp` with its signature.
 */
export async function deliverEvent(
  url: string,
  event: CloudEvent,
  secret: string,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  const attempts = options.attempts ?? 3;
  const base = options.baseDelayMs ?? 1000;
  const body = JSON.stringify(event);
  let last: DeliveryResult = { delivered: false, attempts: 0, status: null };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await options.clock.sleep(base * 2 ** (attempt - 2));
    const timestamp = Math.floor(options.clock.now() / 1000);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/cloudevents+json; charset=utf-8',
          'webhook-id': event.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(secret, event.id, timestamp, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) {
        return { delivered: true, attempts: attempt, status: response.status };
      }
      last = {
        delivered: false,
        attempts: attempt,
        status: response.status,
        error: `HTTP ${response.status}`,
      };
      if (!retryable(response.status)) return last;
    } catch (error) {
      const message = sanitize((error as Error)?.message ?? String(error)).slice(0, 200);
      last = { delivered: false, attempts: attempt, status: null, error: message };
    }
  }
  return last;
}
