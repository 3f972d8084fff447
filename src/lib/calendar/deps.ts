/**
 * What the calendar room needs from the rest of the service, and nothing more (docs/architecture.md,
 * "The calendar room"): the token only through the narrow `TokenPort`, so the token core never grows
 * with the calendar and the calendar never reaches into the token core's rooms.
 */
import type { Clock } from '../clock';
import type { Config } from '../config';
import type { GraphClient } from '../graph';
import type { Logger } from '../logger';
import type { IdempotencyStore } from '../store/idempotency';
import type { AuditEntry, OperationContext } from '../types';

/** The managed access token, and nothing else of the token service. */
export interface TokenPort {
  /**
   * `force` asks for a new token (after a Graph 401); `claims` carries a continuous access evaluation
   * challenge's claims (decoded JSON) for the identity provider.
   */
  getAccessToken(options: { force?: boolean; claims?: string }): Promise<string>;
}

/** Signs and checks the opaque values the room hands out (continuation tokens, docs/events.md). */
export interface SigningPort {
  /** HMAC-SHA256 of `data` under a key derived from the data key (with its key version). */
  sign(data: string): Promise<string>;
  /** Whether `signature` is `sign(data)` under any known data key version. */
  verify(data: string, signature: string): Promise<boolean>;
}

/**
 * An audit entry of the `events` kind. Event operations are kept apart from token operations (their own
 * partition of the audit table), so a bulk import never pushes token entries out of the status's
 * `recent_audit`.
 */
export interface EventAuditEntry {
  kind: 'events';
  ctx: OperationContext;
  operation: string;
  target: string;
  outcome: AuditEntry['outcome'];
  detail?: string | null;
  code?: string | null;
}

export interface EventDeps {
  readonly config: Pick<Config, 'groupId' | 'eventAttendeeDomains'> & Partial<Pick<Config, 'calendars'>>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly graph: GraphClient;
  readonly tokens: TokenPort;
  readonly signing: SigningPort;
  /** Writes an audit entry; never throws (a failed audit write is logged, not the operation's failure). */
  audit(entry: EventAuditEntry): Promise<void>;
  readonly idempotency: IdempotencyStore;
}
