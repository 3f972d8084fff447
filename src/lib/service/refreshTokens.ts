import { ERRORS, GraphTokenError, summarize } from '../errors';
import { schedulePeriodSeconds } from '../schedule';
import type { OperationContext, RefreshResult, RefreshSummary, TokenType } from '../types';
import { TOKEN_TYPES } from '../types';
import { obtain } from './acquire';
import type { ServiceCore } from './context';
import { notFound } from './notFound';

/**
 * A delegated token is renewed at least this often even when unused, so Entra ID's inactivity expiry of
 * refresh tokens never hits (docs/delegated.md).
 */
export const DELEGATED_RENEW_MS = 20 * 3600_000;

/**
 * Refresh (timer and administrators): by ids, or every type whose active token expires before the next
 * timer run; a type without an active token is acquired when the configuration is valid.
 */
export async function refreshTokens(
  core: ServiceCore,
  options: { tokenType?: TokenType; ids?: string[] },
  ctx: OperationContext,
): Promise<RefreshSummary> {
  const results: RefreshResult[] = [];
  if (options.ids) {
    // Each id once: a list repeating an id 1 000 times is one refresh, not 1 000 grants.
    for (const id of new Set(options.ids)) {
      const token = await core.store.findToken(id);
      if (!token || (options.tokenType && token.token_type !== options.tokenType)) {
        results.push({
          id,
          token_type: options.tokenType ?? core.config.tokenType,
          outcome: 'failed',
          error: summarize(notFound(id)),
        });
      } else if (!token.is_active) {
        results.push({ id, token_type: token.token_type, outcome: 'skipped' });
      } else {
        results.push(await refreshOne(core, token.token_type, id, ctx, true));
      }
    }
  } else {
    const { lifecycle, schedules } = core.config;
    const window = (lifecycle.refreshOffsetSeconds + schedulePeriodSeconds(schedules.refresh)) * 1000;
    for (const type of options.tokenType ? [options.tokenType] : TOKEN_TYPES) {
      const active = await core.store.getActive(type);
      const now = core.clock.now();
      if (active) {
        const lastRenewed = Date.parse(active.last_refreshed_at ?? active.created_at);
        const due =
          Date.parse(active.expires_at) - now <= window ||
          (type === 'delegated' && now - lastRenewed >= DELEGATED_RENEW_MS);
        if (due) results.push(await refreshOne(core, type, active.id, ctx, true));
        else
          results.push({
            id: active.id,
            token_type: type,
            outcome: 'skipped',
            expires_at: active.expires_at,
          });
      } else if (type === 'delegated') {
        // Nothing to refresh without a sign-in, and nothing to try: an administrator must sign in.
        const wanted = options.tokenType === type || core.config.tokenType === type;
        results.push({
          id: null,
          token_type: type,
          outcome: 'skipped',
          ...(wanted
            ? {
                error: summarize(
                  new GraphTokenError(
                    ERRORS.SIGN_IN_REQUIRED,
                    'No delegated token: sign the service account in',
                  ),
                ),
              }
            : {}),
        });
      } else if (core.config.report.valid && (options.tokenType === type || core.config.tokenType === type)) {
        // Only the configured type is acquired unasked: a delegated deployment never sends a password.
        results.push(await refreshOne(core, type, null, ctx, false));
      } else {
        results.push({ id: null, token_type: type, outcome: 'skipped' });
      }
    }
  }
  const refreshed = results.filter((r) => r.outcome === 'refreshed').length;
  const failed = results.filter((r) => r.outcome === 'failed').length;
  return { success: failed === 0, refreshed, failed, results };
}

async function refreshOne(
  core: ServiceCore,
  type: TokenType,
  id: string | null,
  ctx: OperationContext,
  force: boolean,
): Promise<RefreshResult> {
  try {
    const obtained = await obtain(core, type, { force, overrideBlock: false, degrade: false, ctx });
    return {
      id: obtained.record.id,
      token_type: type,
      outcome: 'refreshed',
      source: obtained.source,
      expires_at: obtained.record.expires_at,
    };
  } catch (error) {
    return { id, token_type: type, outcome: 'failed', error: summarize(error) };
  }
}
