import { iso } from '../clock';
import type { TokenEntity } from '../store';
import type { DeactivationReason, OperationContext } from '../types';
import { audit } from './audit';
import type { ServiceCore } from './context';
import { openIncident } from './notify';

/**
 * Takes a token out of service: the row is marked inactive with its reason, the active pointer is
 * cleared, the memory cache forgets it, and the change is audited. The one deactivation sequence, used by
 * the error rule, cleanup and the manual action. `extra` fields are written in the same update.
 */
export async function deactivate(
  core: ServiceCore,
  token: Pick<TokenEntity, 'token_type' | 'id'>,
  reason: Exclude<DeactivationReason, 'superseded'>,
  ctx: OperationContext,
  options: { detail?: string; extra?: Partial<TokenEntity>; audited?: boolean } = {},
): Promise<void> {
  const nowIso = iso(core.clock.now());
  await core.store.updateToken(token.token_type, token.id, {
    ...options.extra,
    is_active: false,
    deactivated_at: nowIso,
    deactivation_reason: reason,
    updated_at: nowIso,
  });
  await core.store.clearActive(token.token_type, token.id);
  core.memory.forget(token.token_type, token.id);
  core.invalidateViews();
  // An operator's own deactivation is no incident; errors and expiry are.
  if (reason !== 'manual') {
    await openIncident(core, token.token_type, 'token_deactivated', { token_id: token.id, reason }, ctx);
  }
  if (options.audited !== false) {
    await audit(
      core,
      ctx,
      'deactivate',
      `${token.token_type}/${token.id}`,
      'success',
      options.detail ?? `reason=${reason}`,
    );
  }
}
