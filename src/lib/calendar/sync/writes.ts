/**
 * The writes of upsert and sync (docs/sync.md): create exactly once with every stamp in the create body,
 * PATCH only the fields that differ with the new `Written` stamp in the same body, cancel or delete.
 * `deps` is already gated (reads.ts), so every request here keeps the mailbox's limits.
 */
import { createHash } from 'node:crypto';
import type { GroupEvent } from '../../types';
import { callRepeatable, eventError } from '../call';
import type { Calendar } from '../calendars';
import type { EventDeps } from '../deps';
import { eventPath } from '../ids';
import { fromGraphEvent, readQuery, toGraphPatch, UTC_PREFERENCE } from '../mapping';
import { createOnce } from '../send/create';
import type { NormalizedEvent } from '../validate';
import { desiredView, writtenStamp, type ManagedField } from './managed';
import { externalKeyOf, stampItems, type SyncStamps } from './stamps';

export interface ManagedTarget {
  calendar: Calendar;
  owner: string;
  externalId: string;
  /** The `Scope` stamp's value (upserts outside a sync carry none). */
  scopeKey?: string;
}

/**
 * The create key of an external id: derived from owner, calendar and external id, so a retry, a re-run
 * after a crash or a second instance sends the same `transactionId` and finds the same key stamp. The
 * generation counts this id's cancelled events: re-creating after a cancellation is a new create.
 */
export function externalCreateKey(target: ManagedTarget, generation: number): string {
  const h = createHash('sha256')
    .update(`${target.owner}\n${target.calendar.groupId}\nexternal\n${target.externalId}\n${generation}`)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function stampsFor(target: ManagedTarget, event: NormalizedEvent): SyncStamps {
  return {
    externalKey: externalKeyOf(target.owner, target.externalId),
    externalId: target.externalId,
    ...(target.scopeKey !== undefined ? { scope: target.scopeKey } : {}),
    written: writtenStamp(desiredView(event)),
  };
}

export function createManaged(
  deps: EventDeps,
  target: ManagedTarget,
  event: NormalizedEvent,
  generation: number,
): Promise<GroupEvent> {
  return createOnce(deps, target.calendar, event, externalCreateKey(target, generation), target.owner, {
    stamps: stampItems(stampsFor(target, event)),
  });
}

const TIME_FIELDS: readonly ManagedField[] = ['start', 'end', 'time_zone', 'all_day'];

async function patch(
  deps: EventDeps,
  calendar: Calendar,
  id: string,
  body: Record<string, unknown>,
): Promise<GroupEvent> {
  const path = `${eventPath(calendar, id)}?${new URLSearchParams(readQuery()).toString().replace(/\+/g, '%20')}`;
  const { response } = await callRepeatable(deps, (token) =>
    deps.graph.request('PATCH', path, token, { body, headers: UTC_PREFERENCE }),
  );
  if (response.status !== 200) throw eventError(response, 'update');
  return fromGraphEvent(response.body);
}

/** Sends only `changes` (times together when any of them changed) and the new stamps, in one PATCH. */
export function updateManaged(
  deps: EventDeps,
  target: ManagedTarget,
  id: string,
  event: NormalizedEvent,
  changes: readonly string[],
): Promise<GroupEvent> {
  const has = (field: ManagedField): boolean => changes.includes(field);
  const fields = toGraphPatch(
    {
      ...(has('subject') ? { subject: event.subject } : {}),
      ...(has('body') ? { body: event.body ?? '', body_type: event.body_type } : {}),
      ...(has('location') ? { location: event.location ?? '' } : {}),
      ...(has('attendees') ? { attendees: event.attendees } : {}),
      ...(has('recurrence') ? { recurrence: event.recurrence ?? null } : {}),
      ...(has('categories') ? { categories: event.categories } : {}),
      ...(has('online_meeting') ? { online_meeting: event.online_meeting } : {}),
      ...(has('reminder_minutes') ? { reminder_minutes: event.reminder_minutes } : {}),
      ...(has('show_as') ? { show_as: event.show_as } : {}),
      ...(has('importance') ? { importance: event.importance } : {}),
      ...(has('sensitivity') ? { sensitivity: event.sensitivity } : {}),
      ...(has('time_zone') ? { time_zone: event.time_zone } : {}),
    },
    // A recurrence is anchored on the start: its change sends the times with it.
    TIME_FIELDS.some(has) || has('recurrence') ? event : undefined,
    event.recurrence !== undefined,
  );
  // The room's own stamps of the change (the zone) and ours go in the same body.
  const own = Array.isArray(fields.singleValueExtendedProperties) ? fields.singleValueExtendedProperties : [];
  return patch(deps, target.calendar, id, {
    ...fields,
    singleValueExtendedProperties: [...own, ...stampItems(stampsFor(target, event))],
  });
}

/** Rewrites the stamps alone (an event equal to the input whose `Written` stamp is stale). */
export async function restampManaged(
  deps: EventDeps,
  target: ManagedTarget,
  id: string,
  event: NormalizedEvent,
): Promise<void> {
  await patch(deps, target.calendar, id, {
    singleValueExtendedProperties: stampItems(stampsFor(target, event)),
  });
}

/** Cancels (attendees are notified) or deletes; a retry that finds the event gone is done. */
export async function removeManaged(
  deps: EventDeps,
  calendar: Calendar,
  id: string,
  how: 'cancel' | 'delete',
  comment?: string,
): Promise<void> {
  const path = how === 'cancel' ? `${eventPath(calendar, id)}/cancel` : eventPath(calendar, id);
  const { response, ambiguous } = await callRepeatable(deps, (token) =>
    how === 'cancel'
      ? deps.graph.request('POST', path, token, { body: comment ? { comment } : {} })
      : deps.graph.request('DELETE', path, token),
  );
  if ([200, 202, 204].includes(response.status)) return;
  if (ambiguous && response.status === 404) return;
  throw eventError(response, how);
}
