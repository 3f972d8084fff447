/**
 * Writing `events` audit entries. They go to the audit table like token entries, in a partition of
 * their own (`events`), with the same newest-first RowKeys: status's `recent_audit` reads the token
 * partition only, so a bulk import of 1 000 events never pushes token entries out of it.
 */
import type { TableClient } from '@azure/data-tables';
import { randomBytes } from 'node:crypto';
import { iso, type Clock } from '../../clock';
import { toGraphTokenError } from '../../errors';
import type { Logger } from '../../logger';
import type { EventAuditEntry } from './deps';

export const EVENTS_AUDIT_PARTITION = 'events';

export function eventAuditWriter(
  table: TableClient,
  clock: Clock,
  logger: Logger,
): (entry: EventAuditEntry) => Promise<void> {
  return async (entry) => {
    const time = clock.now();
    const rowKey = `${(9_999_999_999_999 - time).toString().padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
    try {
      await table.createEntity({
        partitionKey: EVENTS_AUDIT_PARTITION,
        rowKey,
        kind: entry.kind,
        time: iso(time),
        actor: entry.ctx.actor,
        operation: entry.operation,
        target: entry.target,
        outcome: entry.outcome,
        correlation_id: entry.ctx.correlationId,
        detail: entry.detail ?? '',
        error_code: entry.code ?? '',
      });
    } catch (error) {
      logger.log('warn', 'audit_write_failed', {
        operation: entry.operation,
        code: toGraphTokenError(error).code,
        correlation_id: entry.ctx.correlationId,
      });
    }
  };
}
