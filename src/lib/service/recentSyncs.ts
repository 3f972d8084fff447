/**
 * The last syncs (docs/sync.md, "Audit"), for the admin page: read from the audit's events partition,
 * newest first, where each sync writes one `sync-events` entry with its scope, calendar and counts.
 */
import { recentAuditOperation } from '../store/audit';
import type { SyncCounts } from '../calendar/sync/plan';
import type { ServiceCore } from './context';

export interface SyncAuditEntry {
  time: string;
  actor: string;
  actor_name: string | null;
  scope: string;
  group: string;
  dry_run: boolean;
  outcome: 'success' | 'failure';
  error_code: string | null;
  counts: SyncCounts | null;
}

const WINDOW_DAYS = 30;

export async function recentSyncs(core: ServiceCore, limit = 10): Promise<SyncAuditEntry[]> {
  const now = core.clock.now();
  const found: SyncAuditEntry[] = [];
  const rows = await recentAuditOperation(core.store.audit, 'events', 'sync-events', now, {
    days: WINDOW_DAYS,
    limit,
  });
  for (const row of rows) {
    let detail: { scope?: unknown; group?: unknown; dry_run?: unknown; counts?: unknown } = {};
    try {
      detail = JSON.parse(row.detail ?? '{}') as typeof detail;
    } catch {
      // An entry written by another version: shown with what the row itself says.
    }
    found.push({
      time: row.time,
      actor: row.actor,
      actor_name: row.actor_name ?? null,
      scope: typeof detail.scope === 'string' ? detail.scope : row.target.replace(/^scope:/, ''),
      group: typeof detail.group === 'string' ? detail.group : '',
      dry_run: detail.dry_run === true,
      outcome: row.outcome,
      error_code: row.error_code,
      counts:
        detail.counts && typeof detail.counts === 'object'
          ? (detail.counts as SyncAuditEntry['counts'])
          : null,
    });
  }
  return found;
}
