/**
 * Writing `events` audit entries: the audit table's `events` partition (store/audit.ts), so status's
 * `recent_audit`, which reads the token partition, keeps showing token operations during a bulk import.
 */
import { iso, type Clock } from '../../clock';
import { toGraphTokenError } from '../../errors';
import type { Logger } from '../../logger';
import type { TokenStore } from '../../store';
import type { EventAuditEntry } from './deps';

export function eventAuditWriter(
  store: TokenStore,
  clock: Clock,
  logger: Logger,
): (entry: EventAuditEntry) => Promise<void> {
  return async (entry) => {
    try {
      await store.writeAudit(
        {
          time: iso(clock.now()),
          actor: entry.ctx.actor,
          operation: entry.operation,
          target: entry.target,
          outcome: entry.outcome,
          correlation_id: entry.ctx.correlationId,
          detail: entry.detail ?? null,
          error_code: entry.code ?? null,
        },
        undefined,
        'events',
      );
    } catch (error) {
      logger.log('warn', 'audit_write_failed', {
        operation: entry.operation,
        code: toGraphTokenError(error).code,
        correlation_id: entry.ctx.correlationId,
      });
    }
  };
}
