import type { CleanupSummary, OperationContext, TokenType } from '../types';
import { TOKEN_TYPES } from '../types';
import { audit } from './audit';
import type { ServiceCore } from './context';
import { deactivate } from './deactivate';
import { summariseClosedDays } from './report';

/**
 * Cleanup (daily and on demand): expired active tokens are deactivated (`expired`), inactive tokens
 * deactivated more than `retentionDays` ago deleted in batch transactions, audit entries past their
 * retention deleted. Returns the counts.
 */
export async function cleanupOldTokens(
  core: ServiceCore,
  options: { tokenType?: TokenType },
  ctx: OperationContext,
): Promise<CleanupSummary> {
  const { store, clock, config } = core;
  const now = clock.now();
  const cutoff = now - config.lifecycle.retentionDays * 86_400_000;
  let deactivated = 0;
  let deleted = 0;
  for (const type of options.tokenType ? [options.tokenType] : TOKEN_TYPES) {
    const toDelete: string[] = [];
    for await (const token of store.scanTokens(type)) {
      if (token.is_active && Date.parse(token.expires_at) <= now) {
        // One summary entry is audited for the whole run, not one per token.
        await deactivate(core, token, 'expired', ctx, { audited: false });
        deactivated++;
      } else if (!token.is_active && token.deactivated_at && Date.parse(token.deactivated_at) < cutoff) {
        toDelete.push(token.id);
      }
    }
    deleted += await store.deleteTokens(type, toDelete);
  }
  // Browser sign-ins started and never finished (docs/delegated.md): not tokens, so not counted.
  if (!options.tokenType || options.tokenType === 'delegated')
    await store.deleteExpiredSignInSessions(new Date(now).toISOString());
  const auditDeleted = await store.deleteAuditBefore(now - config.lifecycle.auditRetentionDays * 86_400_000);
  // The daily run also summarises the days that closed since (docs/operations.md, "Report"), so a
  // report reads one row per past day. A failure here is the report's to retry, not cleanup's.
  await summariseClosedDays(core).catch((error: unknown) =>
    core.logger.log('warn', 'report_summary_failed', { error }),
  );
  core.invalidateViews();
  const summary = { success: true, deactivated, deleted, audit_deleted: auditDeleted };
  await audit(core, ctx, 'cleanup', options.tokenType ?? '*', 'success', JSON.stringify(summary));
  return summary;
}
