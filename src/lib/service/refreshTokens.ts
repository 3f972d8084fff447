import { summarize } from '../errors';
import { schedulePeriodSeconds } from '../schedule';
import type { OperationContext, RefreshResult, RefreshSummary, TokenType } from '../types';
import { TOKEN_TYPES } from '../types';
import { obtain } from './acquire';
import type { ServiceCore } from './context';
import { notFound } from './notFound';

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
    for (const id of options.ids) {
      const token = await core.store.findToken(id);
      if (!token || (options.tokenType && token.token_type !== options.tokenType)) {
        results.push({
          id,
          token_type: options.tokenType ?? 'ropc',
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
      if (active) {
        if (Date.parse(active.expires_at) - core.clock.now() <= window)
          results.push(await refreshOne(core, type, active.id, ctx, true));
        else
          results.push({
            id: active.id,
            token_type: type,
            outcome: 'skipped',
            expires_at: active.expires_at,
          });
      } else if (core.config.report.valid) {
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
