/**
 * `syncGroupEvents` (docs/sync.md): the calendar follows the caller's records for one scope. Validate
 * every item (a bad one is `failed`, the others go on), take the scope's lease, read the scope (one
 * paged `$filter`), plan (plan.ts, pure), and apply the plan through the mailbox gate. A dry run reads
 * and plans and sends nothing. The sync is audited once, with its scope, counts and actor.
 */
import { toGraphTokenError } from '../../errors';
import type { OperationContext } from '../../types';
import { resolveCalendar, type Calendar } from '../calendars';
import type { EventDeps } from '../deps';
import { assertAttendeeDomains, assertMayCreate, ownerOf } from '../owners';
import { normalizeEvent, type NormalizedEvent } from '../validate';
import type { SyncLeaseStore } from '../../store/syncLease';
import { applyPlan, planResults, problemOf, type SyncResultItem } from './apply';
import type { MailboxGates } from './mailbox';
import { desiredView, diffViews } from './managed';
import { countActions, otherScopeProblem, planSync, type CurrentItem, type DesiredItem } from './plan';
import { gatedDeps, readEvent, readScope, type ReadEvent } from './reads';
import { assertExternalId, assertSyncRequest, type SyncAnswer, type SyncRequest } from './request';
import { scopeKeyOf } from './stamps';
import { createManaged, removeManaged, restampManaged, updateManaged, type ManagedTarget } from './writes';
import { callRepeatable } from '../call';
import { eventPath } from '../ids';
import { readQuery, UTC_PREFERENCE } from '../mapping';

/** What the sync needs beyond the calendar room's dependencies. */
export interface SyncDeps {
  leases: SyncLeaseStore;
  gates: MailboxGates;
}

/** Validates each item on its own: a bad item becomes a `failed` result, never a failed request. */
export function desiredItems(
  deps: Pick<EventDeps, 'config'>,
  events: readonly unknown[],
): DesiredItem<NormalizedEvent>[] {
  const items = events.map((raw, index): DesiredItem<NormalizedEvent> => {
    const where = `events[${index}]`;
    const input =
      raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
    const shown = typeof input.external_id === 'string' ? input.external_id.slice(0, 128) : '';
    try {
      const external_id = assertExternalId(input.external_id, `${where}.external_id`);
      const { external_id: _id, ...event } = input;
      const normalized = normalizeEvent(event, where);
      assertAttendeeDomains(deps.config, normalized.attendees, where);
      return { external_id, event: normalized };
    } catch (error) {
      return {
        external_id: shown,
        event: undefined as unknown as NormalizedEvent,
        problem: problemOf(error),
      };
    }
  });
  return items;
}

function currentItems(events: readonly ReadEvent[], owner: string): CurrentItem<ReadEvent>[] {
  return events
    .filter((e) => e.owner === owner && e.externalId !== undefined)
    .map((e) => ({
      id: e.id,
      external_id: e.externalId!,
      written: e.written,
      hash: e.hash,
      cancelled: e.cancelled,
      has_attendees: e.hasAttendees,
      event: e,
    }));
}

export async function syncGroupEvents(
  deps: EventDeps,
  sync: SyncDeps,
  request: SyncRequest,
  ctx: OperationContext,
): Promise<SyncAnswer> {
  const dryRun = request.dryRun === true;
  let group: string | undefined = request.group;
  let lease: Awaited<ReturnType<SyncDeps['leases']['acquire']>> | undefined;
  // Every failure, the early ones too (a refused request, SYNC_IN_PROGRESS), is one audited sync entry.
  try {
    assertSyncRequest(request);
    const calendar = resolveCalendar(deps.config, request.group);
    group = calendar.alias;
    assertMayCreate(ctx);
    const desired = desiredItems(deps, request.events);
    const owner = ownerOf(ctx);
    const scopeKey = scopeKeyOf(owner, request.scope);
    if (!dryRun) {
      lease = await sync.leases.acquire({ owner, groupId: calendar.groupId, scope: request.scope });
    }
    const g = gatedDeps(deps, sync.gates.for(calendar.groupId));
    const { events } = await readScope(g, calendar, scopeKey);
    const current = currentItems(events, owner);
    const plan = planSync<NormalizedEvent, ReadEvent>({
      desired,
      current,
      remove: request.remove,
      drift: request.drift,
      diff: (d, c) => diffViews(desiredView(d), c.view),
    });
    let results: SyncResultItem[];
    if (dryRun) {
      results = planResults(plan.actions);
    } else {
      const target = (externalId: string): ManagedTarget => ({ calendar, owner, externalId, scopeKey });
      const generation = (externalId: string): number =>
        current.filter((c) => c.cancelled && c.external_id === externalId).length;
      const applied = await applyPlan(
        plan.actions,
        {
          create: (a) => createManaged(g, target(a.external_id), a.event, generation(a.external_id)),
          update: async (a) => void (await updateManaged(g, target(a.external_id), a.id, a.event, a.changes)),
          restamp: async (a) => {
            const item = desired[a.index]!;
            await restampManaged(g, target(a.external_id), a.id, item.event);
          },
          remove: (a) => removeManaged(g, calendar, a.id, a.how),
        },
        {
          clock: deps.clock,
          onProgress: request.onProgress,
          renew: lease?.renew,
          renewEveryMs: lease ? (sync.leases.seconds * 1000) / 3 : undefined,
        },
      );
      results = await checkCreatedInScope(g, calendar, scopeKey, applied.results);
    }
    const answer: SyncAnswer = {
      scope: request.scope,
      group: calendar.alias,
      dry_run: dryRun,
      counts: countActions(results),
      results,
    };
    await auditSync(deps, ctx, answer);
    return answer;
  } catch (error) {
    const e = toGraphTokenError(error);
    await deps.audit({
      kind: 'events',
      ctx,
      operation: 'sync-events',
      target: `scope:${request.scope}`,
      outcome: 'failure',
      detail: JSON.stringify({
        scope: request.scope,
        group: group ?? null,
        dry_run: dryRun,
      }),
      code: e.code,
    });
    throw e;
  } finally {
    await lease?.release();
  }
}

/**
 * An external id already used in another scope of this owner has the same create key, so Graph's
 * `transactionId` de-duplication answers the create with that other event instead of making a second
 * one. Such a "created" event is not in this scope: one re-read of the scope finds them, and each is
 * confirmed by its own stamps before it is reported as `EXTERNAL_ID_IN_OTHER_SCOPE`.
 */
async function checkCreatedInScope(
  deps: EventDeps,
  calendar: Calendar,
  scopeKey: string,
  results: SyncResultItem[],
): Promise<SyncResultItem[]> {
  const created = results.filter((r) => r.action === 'create' && r.id);
  if (created.length === 0) return results;
  const { events } = await readScope(deps, calendar, scopeKey);
  const inScope = new Set(events.map((e) => e.id));
  const suspects = created.filter((r) => !inScope.has(r.id!));
  for (const r of suspects) {
    const path = `${eventPath(calendar, r.id!)}?${new URLSearchParams(readQuery()).toString().replace(/\+/g, '%20')}`;
    const { response } = await callRepeatable(deps, (token) =>
      deps.graph.request('GET', path, token, { headers: UTC_PREFERENCE }),
    );
    if (response.status === 200 && readEvent(response.body).scope !== scopeKey) {
      const index = results.indexOf(r);
      results[index] = {
        external_id: r.external_id,
        action: 'failed',
        problem: otherScopeProblem(r.external_id),
      };
    }
  }
  return results;
}

async function auditSync(deps: EventDeps, ctx: OperationContext, answer: SyncAnswer): Promise<void> {
  await deps.audit({
    kind: 'events',
    ctx,
    operation: 'sync-events',
    target: `scope:${answer.scope}`,
    outcome: 'success',
    // The admin page's "Last syncs" reads this (src/admin/page/lastSyncs.ts).
    detail: JSON.stringify({
      scope: answer.scope,
      group: answer.group,
      dry_run: answer.dry_run,
      counts: answer.counts,
    }),
  });
}
