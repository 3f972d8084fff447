/**
 * What a sync must do (docs/sync.md): the desired set of one owner's events in one scope against what
 * the scope holds now → one action per input event and per event to remove. Pure: no I/O, no clock.
 *
 * The shape follows declarative tools: Terraform's plan (`+` create, `~` update naming the changed
 * attributes, `-` destroy) compares the configuration with what exists; vdirsyncer keeps a status of
 * what it last wrote and compares *both* sides with it, so a change made on the other side is a
 * conflict resolved by a policy, never a guess. Here the status travels with each event: the `Written`
 * stamp is the hash of the managed fields the service last wrote, so "changed in Outlook since" is
 * `hash(current) ≠ Written`, and `drift` is the policy (keep the person's change, or overwrite it).
 */
import { ERRORS, GraphTokenError } from '../../errors';
import type { EventProblem } from '../../types';

/** What happens to events of the scope that the input no longer lists. */
export type RemovePolicy = 'cancel' | 'delete' | 'keep';
/** What happens to an event changed outside the service since it last wrote it. */
export type DriftPolicy = 'keep' | 'overwrite';

export const REMOVE_POLICIES: readonly RemovePolicy[] = ['cancel', 'delete', 'keep'];
export const DRIFT_POLICIES: readonly DriftPolicy[] = ['keep', 'overwrite'];

/** One input event, already validated: `problem` set when it is not a valid event. */
export interface DesiredItem<E> {
  external_id: string;
  event: E;
  problem?: EventProblem;
}

/** One event that the scope's read returned, with its stamps. */
export interface CurrentItem<C> {
  id: string;
  external_id: string;
  /** The `Written` stamp: hash of the managed fields the service last wrote; undefined if absent. */
  written: string | undefined;
  /** The managed-fields hash of the event as Graph returns it now (same canonical form). */
  hash: string;
  cancelled: boolean;
  has_attendees: boolean;
  event: C;
}

export interface PlanInput<E, C> {
  desired: readonly DesiredItem<E>[];
  current: readonly CurrentItem<C>[];
  remove?: RemovePolicy;
  drift?: DriftPolicy;
  /** The managed fields whose values differ between the desired and the current event. */
  diff: (desired: E, current: C) => string[];
}

export type PlannedAction<E> =
  | { action: 'create'; index: number; external_id: string; event: E }
  | {
      action: 'update';
      index: number;
      external_id: string;
      id: string;
      changes: string[];
      event: E;
      /** The event had drifted and `drift: overwrite` writes it back. */
      overwrites_drift: boolean;
    }
  | {
      action: 'unchanged';
      index: number;
      external_id: string;
      id: string;
      /** Equal to the input but not to what the service last wrote: only the `Written` stamp is stale. */
      restamp: boolean;
    }
  | {
      action: 'remove';
      external_id: string;
      id: string;
      how: 'cancel' | 'delete';
      /** A second copy of an external id in the scope (never left behind, whatever `remove` says). */
      duplicate: boolean;
    }
  | { action: 'drifted'; index?: number; external_id: string; id: string; changes: string[] }
  | { action: 'failed'; index: number; external_id: string; problem: EventProblem };

export type SyncAction = PlannedAction<unknown>['action'];

export interface SyncCounts {
  create: number;
  update: number;
  unchanged: number;
  remove: number;
  drifted: number;
  failed: number;
}

export interface SyncPlan<E> {
  actions: PlannedAction<E>[];
  counts: SyncCounts;
}

export const emptyCounts = (): SyncCounts => ({
  create: 0,
  update: 0,
  unchanged: 0,
  remove: 0,
  drifted: 0,
  failed: 0,
});

/** The counts of a list of actions (also of the results after apply, where some may have failed). */
export function countActions(actions: readonly { action: SyncAction }[]): SyncCounts {
  const counts = emptyCounts();
  for (const a of actions) counts[a.action] += 1;
  return counts;
}

/** Problem of an item whose external id lives in another scope of the same owner and calendar. */
export function otherScopeProblem(externalId: string): EventProblem {
  const info = ERRORS.EXTERNAL_ID_IN_OTHER_SCOPE;
  return {
    status: info.status,
    code: info.code,
    detail: `external_id '${externalId}' belongs to another scope of this caller in this calendar`,
    hint: info.hint,
  };
}

/** 400 naming both positions when two input events carry the same external id. */
export function assertUniqueExternalIds(items: readonly { external_id: string; problem?: unknown }[]): void {
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    // An invalid item is already `failed` on its own (its id may be missing or malformed): not a duplicate.
    if (item.problem) return;
    const first = seen.get(item.external_id);
    if (first !== undefined) {
      throw new GraphTokenError(
        ERRORS.INVALID_REQUEST,
        `events[${index}].external_id: duplicates events[${first}].external_id ('${item.external_id}'); each external_id may appear once per sync`,
      );
    }
    seen.set(item.external_id, index);
  });
}

/** A drifted event: the service wrote something, and what Graph holds now is not it. */
const hasDrifted = (item: CurrentItem<unknown>): boolean => item.written !== item.hash;

/** How to take an event away: `cancel` notifies attendees, so one without any is simply deleted. */
function removal(policy: 'cancel' | 'delete', item: CurrentItem<unknown>): 'cancel' | 'delete' {
  return policy === 'cancel' && item.has_attendees ? 'cancel' : 'delete';
}

/**
 * Live (not cancelled) events by external id. When a scope holds two live copies of one id — which the
 * exactly-once create should never produce, but a person may copy an event in Outlook, extended
 * properties included — the first by id is the one kept and the others are planned for removal.
 */
function liveByExternalId<C>(current: readonly CurrentItem<C>[]): {
  live: Map<string, CurrentItem<C>>;
  extra: CurrentItem<C>[];
} {
  const live = new Map<string, CurrentItem<C>>();
  const extra: CurrentItem<C>[] = [];
  const sorted = current.filter((c) => !c.cancelled).sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const item of sorted) {
    if (live.has(item.external_id)) extra.push(item);
    else live.set(item.external_id, item);
  }
  return { live, extra };
}

/** The plan: one action per input event (in input order), then removals (by external id). */
export function planSync<E, C>(input: PlanInput<E, C>): SyncPlan<E> {
  const removePolicy = input.remove ?? 'cancel';
  const driftPolicy = input.drift ?? 'keep';
  assertUniqueExternalIds(input.desired);
  const { live, extra } = liveByExternalId(input.current);
  const actions: PlannedAction<E>[] = [];

  input.desired.forEach((item, index) => {
    const { external_id } = item;
    if (item.problem) {
      actions.push({ action: 'failed', index, external_id, problem: item.problem });
      return;
    }
    const current = live.get(external_id);
    if (!current) {
      // Missing, or deleted/cancelled outside the service: created (again). An id this owner already
      // uses in another scope is found when the create answers with that scope's event (index.ts).
      actions.push({ action: 'create', index, external_id, event: item.event });
      return;
    }
    const changes = input.diff(item.event, current.event);
    const drifted = hasDrifted(current);
    if (changes.length === 0) {
      actions.push({ action: 'unchanged', index, external_id, id: current.id, restamp: drifted });
    } else if (drifted && driftPolicy === 'keep') {
      actions.push({ action: 'drifted', index, external_id, id: current.id, changes });
    } else {
      actions.push({
        action: 'update',
        index,
        external_id,
        id: current.id,
        changes,
        event: item.event,
        overwrites_drift: drifted,
      });
    }
  });

  const wanted = new Set(input.desired.map((d) => d.external_id));
  const absent = [...live.values()]
    .filter((c) => !wanted.has(c.external_id))
    .sort((a, b) => (a.external_id < b.external_id ? -1 : a.external_id > b.external_id ? 1 : 0));
  for (const current of absent) {
    if (removePolicy === 'keep') continue;
    if (hasDrifted(current) && driftPolicy === 'keep') {
      // A person changed it after the service wrote it: their change wins over the removal too.
      actions.push({ action: 'drifted', external_id: current.external_id, id: current.id, changes: [] });
    } else {
      actions.push({
        action: 'remove',
        external_id: current.external_id,
        id: current.id,
        how: removal(removePolicy, current),
        duplicate: false,
      });
    }
  }
  for (const copy of extra) {
    // A second copy is removed even with `remove: keep`; cancelling notifies its attendees once more,
    // which is why a copy without attendees is deleted instead.
    const how = removePolicy === 'delete' ? 'delete' : removal('cancel', copy);
    actions.push({ action: 'remove', external_id: copy.external_id, id: copy.id, how, duplicate: true });
  }
  return { actions, counts: countActions(actions) };
}
