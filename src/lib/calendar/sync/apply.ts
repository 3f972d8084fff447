/**
 * Carrying out a sync plan (docs/sync.md): each action through a writer that talks to Graph (create
 * exactly once, PATCH, cancel, delete — every request through the calendar's mailbox gate), several
 * at a time, one result per action in the plan's order. One failing action is `failed` with its problem
 * and never stops the others. The lease is renewed while the work goes on; a lease lost to another sync
 * stops this one before its next write (the other sync converges the scope).
 */
import type { Clock } from '../../clock';
import { GraphTokenError, toGraphTokenError } from '../../errors';
import type { EventProblem } from '../../types';
import { countActions, type PlannedAction, type SyncAction, type SyncCounts } from './plan';

type Of<E, A extends SyncAction> = Extract<PlannedAction<E>, { action: A }>;

/** The writes a plan needs; each returns once Graph has done it (or throws). */
export interface SyncWriter<E> {
  create(action: Of<E, 'create'>): Promise<{ id: string }>;
  update(action: Of<E, 'update'>): Promise<void>;
  /** Rewrites only the `Written` stamp of an event equal to the input (see `restamp` in the plan). */
  restamp(action: Of<E, 'unchanged'>): Promise<void>;
  remove(action: Of<E, 'remove'>): Promise<void>;
}

/** One line of the answer (docs/sync.md): per input event and per removed event. */
export interface SyncResultItem {
  external_id: string;
  action: SyncAction;
  id?: string;
  changes?: string[];
  problem?: EventProblem;
}

export interface SyncProgress {
  done: number;
  total: number;
}

export interface ApplyOptions {
  clock: Clock;
  /** Actions worked on at once; the mailbox gate keeps Graph at its own limit whatever this is. */
  parallel?: number;
  onProgress?: (progress: SyncProgress) => void;
  /** Renews the sync lease; called at least every `renewEveryMs`. */
  renew?: () => Promise<void>;
  renewEveryMs?: number;
}

export function problemOf(error: unknown): EventProblem {
  const e = toGraphTokenError(error);
  return { status: e.status, code: e.code, detail: e.message, hint: e.hint };
}

/** The answer of a dry run: what the plan would do, as results. */
export function planResults(actions: readonly PlannedAction<unknown>[]): SyncResultItem[] {
  return actions.map(resultOf);
}

function resultOf(action: PlannedAction<unknown>): SyncResultItem {
  switch (action.action) {
    case 'create':
      return { external_id: action.external_id, action: 'create' };
    case 'update':
    case 'drifted':
      return {
        external_id: action.external_id,
        action: action.action,
        id: action.id,
        changes: action.changes,
      };
    case 'unchanged':
    case 'remove':
      return { external_id: action.external_id, action: action.action, id: action.id };
    case 'failed':
      return { external_id: action.external_id, action: 'failed', problem: action.problem };
  }
}

export async function applyPlan<E>(
  actions: readonly PlannedAction<E>[],
  writer: SyncWriter<E>,
  options: ApplyOptions,
): Promise<{ results: SyncResultItem[]; counts: SyncCounts }> {
  const results: SyncResultItem[] = actions.map(resultOf);
  const work = actions
    .map((action, position) => ({ action, position }))
    .filter(({ action }) => action.action !== 'failed' && action.action !== 'drifted')
    .filter(({ action }) => action.action !== 'unchanged' || action.restamp);
  const progress: SyncProgress = { done: 0, total: work.length };
  const renewEvery = options.renewEveryMs ?? 30_000;
  let lastRenewal = options.clock.now();
  let renewing: Promise<void> | undefined;
  let lost: GraphTokenError | undefined;

  const keepLease = async (): Promise<void> => {
    if (!options.renew || options.clock.now() - lastRenewal < renewEvery) return;
    renewing ??= options
      .renew()
      .then(() => void (lastRenewal = options.clock.now()))
      .catch((error: unknown) => void (lost = toGraphTokenError(error)))
      .finally(() => (renewing = undefined));
    await renewing;
  };

  const run = async (action: PlannedAction<E>, position: number): Promise<void> => {
    try {
      await keepLease();
      if (lost) throw lost;
      switch (action.action) {
        case 'create': {
          const { id } = await writer.create(action);
          results[position] = { ...results[position]!, id };
          break;
        }
        case 'update':
          await writer.update(action);
          break;
        case 'unchanged':
          await writer.restamp(action);
          break;
        case 'remove':
          await writer.remove(action);
          break;
        default:
          break;
      }
    } catch (error) {
      results[position] = { external_id: action.external_id, action: 'failed', problem: problemOf(error) };
    }
    progress.done += 1;
    options.onProgress?.({ ...progress });
  };

  let next = 0;
  const parallel = Math.max(1, options.parallel ?? 8);
  await Promise.all(
    Array.from({ length: Math.min(parallel, work.length) }, async () => {
      while (next < work.length) {
        const item = work[next++]!;
        await run(item.action, item.position);
      }
    }),
  );
  return { results, counts: countActions(results) };
}
