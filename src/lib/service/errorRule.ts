import { iso } from '../clock';
import type { GraphTokenError } from '../errors';
import type { TokenEntity } from '../store';
import type { OperationContext } from '../types';
import type { ServiceCore } from './context';
import { deactivate } from './deactivate';
import { noteConsecutiveErrors } from './metrics';
import { openIncident } from './notify';

/**
 * Should this error, the `errorCount`-th in a row, take the token out of service? At the limit, yes —
 * except for an outage (network, 5xx, 429) while the token is still valid: it says nothing against the
 * token, so callers keep being served through the outage and it only deactivates once expired.
 */
export function shouldDeactivate(input: {
  isActive: boolean;
  errorCount: number;
  maxConsecutiveErrors: number;
  transient: boolean;
  stillValid: boolean;
}): boolean {
  if (!input.isActive || input.errorCount < input.maxConsecutiveErrors) return false;
  return !(input.transient && input.stillValid);
}

/** Counts a consecutive error on a token; at the limit the token is deactivated (`errors`). */
export async function recordError(
  core: ServiceCore,
  token: TokenEntity,
  error: GraphTokenError,
  ctx: OperationContext,
): Promise<void> {
  const latest = (await core.store.getToken(token.token_type, token.id)) ?? token;
  const now = core.clock.now();
  const errorCount = latest.error_count + 1;
  const fields = {
    error_count: errorCount,
    last_error: error.message,
    last_error_code: error.code,
    last_error_hint: error.hint,
    last_error_at: iso(now),
  };
  const stillValid = latest.is_active && Date.parse(latest.expires_at) > now;
  const limitReached = shouldDeactivate({
    isActive: latest.is_active,
    errorCount,
    maxConsecutiveErrors: core.config.lifecycle.maxConsecutiveErrors,
    transient: error.category === 'transient' || error.category === 'uncertain',
    stillValid,
  });
  noteConsecutiveErrors(core, token.token_type, errorCount);
  if (errorCount >= core.config.lifecycle.maxConsecutiveErrors) {
    await openIncident(
      core,
      token.token_type,
      'refresh_failed',
      {
        token_id: token.id,
        code: error.code,
        hint: error.hint,
        message: error.message,
        error_count: errorCount,
      },
      ctx,
    );
  }
  if (limitReached) {
    await deactivate(core, token, 'errors', ctx, {
      extra: fields,
      detail: `reason=errors after ${errorCount} consecutive errors`,
    });
    return;
  }
  await core.store.updateToken(token.token_type, token.id, { ...fields, updated_at: iso(now) });
  core.invalidateViews();
  core.memory.patchRecord(token.token_type, token.id, {
    error_count: errorCount,
    last_error: error.message,
    last_error_code: error.code,
  });
}

/** A success resets the consecutive-error count. */
export async function resetErrors(core: ServiceCore, token: TokenEntity): Promise<void> {
  noteConsecutiveErrors(core, token.token_type, 0);
  if (token.error_count === 0) return;
  await core.store.updateToken(token.token_type, token.id, {
    error_count: 0,
    updated_at: iso(core.clock.now()),
  });
  core.invalidateViews();
}
