import { randomUUID } from 'node:crypto';
import { iso } from '../clock';
import { toGraphTokenError } from '../errors';
import type { AuditColumns, AuditKind } from '../store';
import type { AuditEntry, OperationContext } from '../types';
import type { ServiceCore } from './context';

/** The context of an in-process call that gave none. */
export const libraryContext = (): OperationContext => ({ actor: 'library', correlationId: randomUUID() });

/**
 * Writes an audit entry. An audit write that fails is logged, never fails the operation it describes:
 * the operation already happened.
 */
export async function audit(
  core: ServiceCore,
  ctx: OperationContext,
  operation: string,
  target: string,
  outcome: AuditEntry['outcome'],
  detail: string | null = null,
  errorCode: string | null = null,
  columns?: AuditColumns,
  /** Token operations (status's `recent_audit`) or event operations, kept apart (store/audit.ts). */
  kind: AuditKind = 'tokens',
): Promise<void> {
  try {
    await core.store.writeAudit(
      {
        time: iso(core.clock.now()),
        actor: ctx.actor,
        actor_name: ctx.actorName ?? null,
        operation,
        target,
        outcome,
        correlation_id: ctx.correlationId,
        detail,
        error_code: errorCode,
      },
      columns,
      kind,
    );
  } catch (error) {
    core.logger.log('warn', 'audit_write_failed', {
      operation,
      code: toGraphTokenError(error).code,
      correlation_id: ctx.correlationId,
    });
  }
}

/** A structured log line carrying the operation's actor and correlation id. */
export function log(
  core: ServiceCore,
  level: 'info' | 'warn' | 'error',
  event: string,
  ctx: OperationContext,
  fields: Record<string, unknown>,
): void {
  core.logger.log(level, event, { ...fields, actor: ctx.actor, correlation_id: ctx.correlationId });
}
