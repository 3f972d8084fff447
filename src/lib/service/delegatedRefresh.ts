import { iso } from '../clock';
import { ERRORS, GraphTokenError, sanitize, toGraphTokenError } from '../errors';
import { withRetry } from '../retry';
import { publicRecord, type SignInState, type TokenEntity } from '../store';
import type { OperationContext } from '../types';
import { audit, log } from './audit';
import type { Obtained, ObtainOptions, ServiceCore } from './context';
import { recordError } from './errorRule';
import { recordRefreshDuration } from './metrics';
import type { FlowLease } from './lease';
import { fromStorage, readMsalCache, stillValid, storeNewToken } from './storedToken';

/**
 * Refresh of the delegated token (docs/delegated.md, "Living on refresh tokens"): a refresh-token grant
 * only — there is no password. When Entra ID refuses the refresh token the type enters
 * `sign_in_required`, stored with the type's `~state` row so every instance sees it; from then on no
 * grant is sent at all until an administrator signs the account in again (no loop, no password).
 * A still-valid token keeps being served to non-forced calls meanwhile, never past its expiry.
 */
export async function refreshDelegated(
  core: ServiceCore,
  current: TokenEntity | null,
  options: ObtainOptions,
  lease: FlowLease,
): Promise<Obtained> {
  const { clock, store } = core;
  const degradeOr = async (error: GraphTokenError): Promise<Obtained> => {
    const latest = current ? await store.getToken('delegated', current.id).catch(() => null) : null;
    if (options.degrade && stillValid(core, latest)) return fromStorage(core, latest, true);
    throw error;
  };

  const state = await store.getState('delegated');
  if (state?.sign_in_required) return degradeOr(signInRequiredError(state.sign_in_required));
  if (!current) {
    throw new GraphTokenError(
      ERRORS.SIGN_IN_REQUIRED,
      'No delegated token yet: the service account has never been signed in',
    );
  }

  const cache = await readMsalCache(core, current);
  const started = clock.now();
  try {
    const result = await withRetry(
      () =>
        core.delegated.refresh(cache, {
          kind: current.client_kind ?? (core.config.clientCredentialSecretName ? 'confidential' : 'public'),
          claims: options.claims,
          signal: lease.signal,
        }),
      {
        clock,
        maxAttempts: 4,
        maxTotalMs: 45000,
        onRetry: (error, attempt, delayMs) =>
          log(core, 'warn', 'identity_retry', options.ctx, {
            token_type: 'delegated',
            code: error.code,
            attempt,
            delay_ms: delayMs,
          }),
      },
    );
    await core.delegated.assertServiceAccount(result);
    const entity = await storeNewToken(core, 'delegated', current, result, {
      clientKind: result.clientKind,
      forced: options.force,
    });
    core.memory.remember(entity, result.accessToken, false);
    core.invalidateViews();
    const duration = clock.now() - started;
    await audit(
      core,
      options.ctx,
      'refresh',
      `delegated/${entity.id}`,
      'success',
      `grant=refresh_token${options.claims ? ' claims=challenge' : ''}`,
      null,
      { grant: 'refresh_token', duration_ms: duration, expires_at: entity.expires_at },
    );
    recordRefreshDuration(duration, {
      grant: 'refresh_token',
      outcome: 'success',
      token_type: 'delegated',
    });
    log(core, 'info', 'token_refreshed', options.ctx, {
      token_id: entity.id,
      token_type: 'delegated',
      grant: 'refresh_token',
      claims: options.claims !== undefined,
      duration_ms: duration,
      outcome: 'success',
    });
    return { accessToken: result.accessToken, record: publicRecord(entity), source: 'refresh' };
  } catch (caught) {
    const error = toGraphTokenError(caught);
    if (error.code === ERRORS.SIGN_IN_REQUIRED.code || error.code === ERRORS.SIGN_IN_WRONG_ACCOUNT.code) {
      await enterSignInRequired(core, error, options.ctx);
    }
    await recordError(core, current, error, options.ctx);
    await audit(
      core,
      options.ctx,
      'refresh',
      `delegated/${current.id}`,
      'failure',
      error.message,
      error.code,
      { grant: 'refresh_token', duration_ms: clock.now() - started },
    );
    const duration = clock.now() - started;
    recordRefreshDuration(duration, {
      outcome: 'failure',
      code: error.code,
      token_type: 'delegated',
    });
    log(core, 'warn', 'token_refresh_failed', options.ctx, {
      token_id: current.id,
      token_type: 'delegated',
      code: error.code,
      duration_ms: duration,
      outcome: 'failure',
    });
    return degradeOr(error);
  }
}

/**
 * Stores `sign_in_required` for the delegated type (once: every instance then sees it) and logs the
 * structured line the alert rule queries (event `sign_in_required`).
 */
export async function enterSignInRequired(
  core: ServiceCore,
  error: GraphTokenError,
  ctx: OperationContext,
): Promise<void> {
  const value: SignInState = {
    code: ERRORS.SIGN_IN_REQUIRED.code,
    reason: sanitize(error.message),
    upstream_code: error.upstreamCode ?? null,
    since: iso(core.clock.now()),
  };
  let entered = false;
  try {
    entered = await core.store.setSignInRequired('delegated', value);
  } catch (writeError) {
    // Not stored: the next attempt refuses again and tries to store it then; nothing is lost but a write.
    core.logger.log('error', 'sign_in_state_write_failed', {
      token_type: 'delegated',
      code: toGraphTokenError(writeError).code,
    });
    entered = true;
  }
  core.invalidateViews();
  if (!entered) return;
  log(core, 'warn', 'sign_in_required', ctx, {
    token_type: 'delegated',
    code: ERRORS.SIGN_IN_REQUIRED.code,
    upstream_code: value.upstream_code,
    reason: value.reason,
    hint: ERRORS.SIGN_IN_REQUIRED.hint,
  });
  await audit(core, ctx, 'sign-in-required', 'delegated', 'failure', value.reason, value.code);
}

export function signInRequiredError(state: SignInState): GraphTokenError {
  return new GraphTokenError(
    ERRORS.SIGN_IN_REQUIRED,
    `The delegated token needs a new sign-in of the service account${state.since ? ` (since ${state.since})` : ''}${state.reason ? `: ${state.reason}` : ''}`,
    { upstreamCode: state.upstream_code ?? undefined },
  );
}
