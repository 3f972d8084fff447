/**
 * Events by the caller's own id (docs/sync.md, "External ids"): `upsertGroupEvent` creates the event when
 * none of this owner's events in the calendar carries the id, changes only the differing fields when one
 * does, and sends nothing when nothing differs; get, cancel and delete by external id work like their
 * by-id forms. Exactly once: the create key derives from owner, calendar and external id (writes.ts).
 */
import { ERRORS, GraphTokenError, toGraphTokenError } from '../../errors';
import type { GroupEvent, GroupEventInput, OperationContext } from '../../types';
import { resolveCalendar, type Calendar } from '../calendars';
import type { EventDeps } from '../deps';
import { fromGraphEvent } from '../mapping';
import { cancelGroupEvent, deleteGroupEvent, type GroupOption } from '../operations';
import { assertAttendeeDomains, assertMayCreate, ownerOf } from '../owners';
import { normalizeEvent } from '../validate';
import type { MailboxGates } from './mailbox';
import { desiredView, diffViews } from './managed';
import { gatedDeps, readExternal, type ReadEvent } from './reads';
import { assertExternalId } from './request';
import { externalKeyOf } from './stamps';
import { createManaged, updateManaged } from './writes';

/** An event with the caller's id for it. */
export type ManagedEvent = GroupEvent & { external_id: string };

export interface UpsertResult {
  action: 'create' | 'update' | 'unchanged';
  /** The managed fields an update changed. */
  changes?: string[];
  event: ManagedEvent;
}

/** This owner's events carrying `externalId` in the calendar: the live one first, cancelled ones after. */
async function findExternal(
  deps: EventDeps,
  calendar: Calendar,
  owner: string,
  externalId: string,
): Promise<{ live: ReadEvent | undefined; cancelled: number }> {
  const { events } = await readExternal(deps, calendar, externalKeyOf(owner, externalId));
  const mine = events.filter((e) => e.owner === owner).sort((a, b) => (a.id < b.id ? -1 : 1));
  return { live: mine.find((e) => !e.cancelled), cancelled: mine.filter((e) => e.cancelled).length };
}

const withId = (event: GroupEvent, externalId: string): ManagedEvent => ({
  ...event,
  external_id: externalId,
});

export async function upsertGroupEvent(
  deps: EventDeps,
  gates: MailboxGates,
  externalId: string,
  input: GroupEventInput & { external_id?: unknown },
  options: GroupOption,
  ctx: OperationContext,
): Promise<UpsertResult> {
  let target = `external:${String(externalId).slice(0, 128)}`;
  try {
    const calendar = resolveCalendar(deps.config, options.group);
    assertMayCreate(ctx);
    assertExternalId(externalId);
    const { external_id: inBody, ...fields } = input;
    if (inBody !== undefined && inBody !== externalId) {
      throw new GraphTokenError(
        ERRORS.INVALID_REQUEST,
        'external_id: differs from the external id in the path',
      );
    }
    const event = normalizeEvent(fields);
    assertAttendeeDomains(deps.config, event.attendees);
    const owner = ownerOf(ctx);
    const g = gatedDeps(deps, gates.for(calendar.groupId));
    const found = await findExternal(g, calendar, owner, externalId);
    const to = { calendar, owner, externalId };
    let result: UpsertResult;
    if (!found.live) {
      const created = await createManaged(g, to, event, found.cancelled);
      result = { action: 'create', event: withId(created, externalId) };
    } else {
      const changes = diffViews(desiredView(event), found.live.view);
      if (changes.length === 0) {
        result = { action: 'unchanged', event: withId(fromGraphEvent(found.live.raw), externalId) };
      } else {
        const updated = await updateManaged(g, to, found.live.id, event, changes);
        result = { action: 'update', changes, event: withId(updated, externalId) };
      }
    }
    target = result.event.id;
    await deps.audit({
      kind: 'events',
      ctx,
      operation: 'upsert-event',
      target,
      outcome: 'success',
      detail: `${result.action}${result.changes ? ` ${result.changes.join(',')}` : ''}`,
    });
    return result;
  } catch (error) {
    const e = toGraphTokenError(error);
    await deps.audit({
      kind: 'events',
      ctx,
      operation: 'upsert-event',
      target,
      outcome: 'failure',
      detail: e.message,
      code: e.code,
    });
    throw e;
  }
}

/** The id of this caller's event with `externalId` (the live one, else the last cancelled), or 404. */
async function idOf(
  deps: EventDeps,
  gates: MailboxGates,
  externalId: string,
  options: GroupOption,
  ctx: OperationContext,
  liveOnly: boolean,
): Promise<ReadEvent> {
  const calendar = resolveCalendar(deps.config, options.group);
  assertExternalId(externalId);
  const owner = ownerOf(ctx);
  const { events } = await readExternal(
    gatedDeps(deps, gates.for(calendar.groupId)),
    calendar,
    externalKeyOf(owner, externalId),
  );
  const mine = events.filter((e) => e.owner === owner);
  const found = mine.find((e) => !e.cancelled) ?? (liveOnly ? undefined : mine[0]);
  if (!found) {
    throw new GraphTokenError(
      ERRORS.EVENT_NOT_FOUND,
      `No event with external_id '${externalId}' of this caller in the calendar`,
    );
  }
  return found;
}

export async function getGroupEventByExternalId(
  deps: EventDeps,
  gates: MailboxGates,
  externalId: string,
  options: GroupOption,
  ctx: OperationContext,
): Promise<ManagedEvent> {
  const found = await idOf(deps, gates, externalId, options, ctx, false);
  return withId(fromGraphEvent(found.raw), externalId);
}

export async function deleteGroupEventByExternalId(
  deps: EventDeps,
  gates: MailboxGates,
  externalId: string,
  options: GroupOption,
  ctx: OperationContext,
): Promise<void> {
  const found = await idOf(deps, gates, externalId, options, ctx, false);
  await deleteGroupEvent(deps, found.id, options, ctx);
}

export async function cancelGroupEventByExternalId(
  deps: EventDeps,
  gates: MailboxGates,
  externalId: string,
  options: { comment?: string } & GroupOption,
  ctx: OperationContext,
): Promise<void> {
  const found = await idOf(deps, gates, externalId, options, ctx, true);
  await cancelGroupEvent(deps, found.id, options, ctx);
}
