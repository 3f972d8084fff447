import { iso } from '../clock';
import { toGraphTokenError } from '../errors';
import type { Incidents } from '../store';
import type { OperationContext, TokenType } from '../types';
import { cloudEvent, deliverEvent } from '../webhook';
import { audit } from './audit';
import type { ServiceCore } from './context';

/**
 * Notifications (docs/operations.md, "Notifications"): one CloudEvent per incident, not per timer run.
 * An incident is opened in the type's `~notify` row with an ETag-guarded write before anything is sent,
 * so of several instances (or timer runs) that see the same failure exactly one sends it; the first
 * success afterwards closes the incidents it resolves and sends one `recovered`.
 * Notifying never fails the operation it reports: its own failures are logged and audited.
 */
export const INCIDENT_KINDS = [
  'refresh_failed',
  'credentials_blocked',
  'sign_in_required',
  'token_deactivated',
] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

/** What a notification may carry: ids, codes, hints and counts — never a secret or a token. */
export type NotificationData = Record<string, string | number | boolean | null | string[]>;

export async function openIncident(
  core: ServiceCore,
  type: TokenType,
  kind: IncidentKind,
  data: NotificationData,
  ctx: OperationContext,
): Promise<void> {
  const notify = core.config.notify;
  if (!notify) return;
  const at = iso(core.clock.now());
  const event = cloudEvent(kind, type, at, { token_type: type, ...data });
  try {
    const claim = await core.store.updateIncidents(type, (open) =>
      open[kind] ? null : { ...open, [kind]: { opened_at: at, event_id: event.id } },
    );
    if (!claim.changed) return;
  } catch (error) {
    warn(core, kind, type, error, ctx);
    return;
  }
  await send(core, type, event, ctx);
}

/**
 * After a success: closes the open incidents it resolves and sends `recovered` once. A refresh-token
 * success says nothing about a blocked password, so only a password success closes a credential block.
 */
export async function resolveIncidents(
  core: ServiceCore,
  type: TokenType,
  resolves: readonly IncidentKind[],
  data: NotificationData,
  ctx: OperationContext,
): Promise<void> {
  if (!core.config.notify) return;
  const at = iso(core.clock.now());
  let closed: string[] = [];
  let before: Incidents = {};
  try {
    const result = await core.store.updateIncidents(type, (open) => {
      const remaining: Incidents = {};
      closed = [];
      for (const [kind, incident] of Object.entries(open)) {
        if ((resolves as readonly string[]).includes(kind)) closed.push(kind);
        else remaining[kind] = incident;
      }
      return closed.length > 0 ? remaining : null;
    });
    if (!result.changed) return;
    before = result.before;
  } catch (error) {
    warn(core, 'recovered', type, error, ctx);
    return;
  }
  const since = closed.map((k) => before[k]!.opened_at).sort()[0] ?? at;
  const event = cloudEvent('recovered', type, at, {
    token_type: type,
    resolved: closed,
    incident_opened_at: since,
    ...data,
  });
  await send(core, type, event, ctx);
}

async function send(
  core: ServiceCore,
  type: TokenType,
  event: ReturnType<typeof cloudEvent>,
  ctx: OperationContext,
): Promise<void> {
  const kind = event.type.slice(event.type.lastIndexOf('.') + 1);
  let result;
  try {
    const secret = await core.secrets.getWebhookSecret();
    result = await deliverEvent(core.config.notify!.url, event, secret, { clock: core.clock });
  } catch (error) {
    result = { delivered: false, attempts: 0, status: null, error: toGraphTokenError(error).message };
  }
  const detail = `event=${event.id} type=${event.type} attempts=${result.attempts} status=${result.status ?? '-'}`;
  await audit(
    core,
    ctx,
    'notify',
    `${type}/${kind}`,
    result.delivered ? 'success' : 'failure',
    result.delivered ? detail : `${detail}: ${result.error ?? 'not delivered'}`,
    result.delivered ? null : 'NOTIFICATION_FAILED',
  );
  core.logger.log(
    result.delivered ? 'info' : 'warn',
    result.delivered ? 'notification_sent' : 'notification_failed',
    {
      token_type: type,
      type: event.type,
      event_id: event.id,
      attempts: result.attempts,
      status: result.status,
      correlation_id: ctx.correlationId,
    },
  );
}

function warn(core: ServiceCore, kind: string, type: TokenType, error: unknown, ctx: OperationContext): void {
  core.logger.log('warn', 'notification_state_failed', {
    token_type: type,
    kind,
    code: toGraphTokenError(error).code,
    correlation_id: ctx.correlationId,
  });
}
