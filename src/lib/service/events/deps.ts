/**
 * What the events room needs from the rest of the service, and nothing more: the façade builds one
 * `EventDeps` and delegates each event method here (docs/events.md).
 */
import type { Clock } from '../../clock';
import type { Config } from '../../config';
import type { GraphClient } from '../../graph';
import type { Logger } from '../../logger';
import type { IdempotencyStore } from '../../store/idempotency';
import type { AuditEntry, OperationContext } from '../../types';

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
  readonly config: Pick<Config, 'groupId'>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly graph: GraphClient;
  /**
   * The managed access token. `force` asks for a new one (after a Graph 401); `claims` carries a
   * continuous access evaluation challenge's claims (decoded JSON) for the identity provider.
   */
  token(options: { force?: boolean; claims?: string }): Promise<string>;
  /** Writes an audit entry; never throws (a failed audit write is logged, not the operation's failure). */
  audit(entry: EventAuditEntry): Promise<void>;
  readonly idempotency: IdempotencyStore;
}
