/**
 * The calendar room (docs/architecture.md, "The calendar room"; docs/events.md): group calendar events
 * with the managed token. It reaches the token service only through `TokenPort`, and everything it needs
 * arrives in one `EventDeps`; the token service's façade builds a `CalendarService` and delegates its
 * event methods here in one line each.
 */
import type {
  BulkEventInput,
  BulkEventSummary,
  CreatedEvent,
  EventListResult,
  GroupEvent,
  GroupEventInput,
  GroupEventPatch,
  OperationContext,
} from '../types';
import type { EventDeps } from './deps';
import { listEventOccurrences, listGroupEvents } from './list';
import {
  cancelGroupEvent,
  deleteGroupEvent,
  getGroupEvent,
  updateGroupEvent,
  type BodyOption,
  type GroupOption,
} from './operations';
import { createGroupEvents, type BulkProgress } from './send/batch';
import { CalendarProbe, type CalendarInfo } from './calendarProbe';
import { createGroupEvent } from './send/create';
import { syncGroupEvents, type SyncDeps } from './sync';
import type { SyncAnswer, SyncRequest } from './sync/request';
import {
  cancelGroupEventByExternalId,
  deleteGroupEventByExternalId,
  getGroupEventByExternalId,
  upsertGroupEvent,
  type ManagedEvent,
  type UpsertResult,
} from './sync/upsert';

export type { EventAuditEntry, EventDeps, SigningPort, TokenPort } from './deps';
export { allowedCalendars, resolveCalendar, type Calendar } from './calendars';
export { signingFrom } from './continuation';
export { assertEventId, isEventId } from './ids';
export { decideAccess, ownerOf, LIBRARY_OWNER, type AccessVerdict } from './owners';
export { isReplay } from './replay';
export { validateBulk, BATCH_SIZE, type BulkProgress } from './send/batch';
export { isKnownTimeZone } from './time';
export type { SyncDeps } from './sync';
export type { CalendarInfo } from './calendarProbe';
export { MailboxGates } from './sync/mailbox';
export type { SyncAnswer, SyncRequest, SyncEventInput } from './sync/request';
export { MAX_SYNC_BODY_BYTES, MAX_SYNC_EVENTS } from './sync/request';
export type { ManagedEvent, UpsertResult } from './sync/upsert';
export {
  groupEventSchema,
  groupEventPatchSchema,
  normalizeEvent,
  assertIdempotencyKey,
  MAX_ATTENDEES,
  MAX_BULK_EVENTS,
} from './validate';

/** Every operation of the calendar room, for one set of dependencies. */
export class CalendarService {
  constructor(
    readonly deps: EventDeps,
    /** The sync's lease store and the mailbox gates (docs/sync.md); one per process. */
    readonly sync?: SyncDeps,
  ) {
    this.probe = new CalendarProbe(deps);
  }

  /** The allowed calendars, their names and reachability (probed at most every 30 s). */
  readonly probe: CalendarProbe;

  listCalendars(): Promise<CalendarInfo[]> {
    return this.probe.list();
  }

  private syncDeps(): SyncDeps {
    if (!this.sync) throw new Error('CalendarService was built without its sync dependencies');
    return this.sync;
  }

  upsertGroupEvent(
    externalId: string,
    event: GroupEventInput,
    options: GroupOption,
    ctx: OperationContext,
  ): Promise<UpsertResult> {
    return upsertGroupEvent(this.deps, this.syncDeps().gates, externalId, event, options, ctx);
  }

  getGroupEventByExternalId(
    externalId: string,
    options: GroupOption,
    ctx: OperationContext,
  ): Promise<ManagedEvent> {
    return getGroupEventByExternalId(this.deps, this.syncDeps().gates, externalId, options, ctx);
  }

  deleteGroupEventByExternalId(
    externalId: string,
    options: GroupOption,
    ctx: OperationContext,
  ): Promise<void> {
    return deleteGroupEventByExternalId(this.deps, this.syncDeps().gates, externalId, options, ctx);
  }

  cancelGroupEventByExternalId(
    externalId: string,
    options: { comment?: string } & GroupOption,
    ctx: OperationContext,
  ): Promise<void> {
    return cancelGroupEventByExternalId(this.deps, this.syncDeps().gates, externalId, options, ctx);
  }

  syncGroupEvents(request: SyncRequest, ctx: OperationContext): Promise<SyncAnswer> {
    return syncGroupEvents(this.deps, this.syncDeps(), request, ctx);
  }

  createGroupEvent(
    event: GroupEventInput,
    options: { idempotencyKey?: string } & GroupOption,
    ctx: OperationContext,
  ): Promise<CreatedEvent> {
    return createGroupEvent(this.deps, event, options, ctx);
  }

  createGroupEvents(
    items: readonly BulkEventInput[],
    options: { onProgress?: (progress: BulkProgress) => void } & GroupOption,
    ctx: OperationContext,
  ): Promise<BulkEventSummary> {
    return createGroupEvents(this.deps, items, options, ctx);
  }

  getGroupEvent(id: string, options: GroupOption & BodyOption, ctx: OperationContext): Promise<GroupEvent> {
    return getGroupEvent(this.deps, id, options, ctx);
  }

  listGroupEvents(
    options: { from?: string; to?: string; continuationToken?: string } & GroupOption & BodyOption,
    ctx: OperationContext,
  ): Promise<EventListResult> {
    return listGroupEvents(this.deps, options, ctx);
  }

  /** A series' occurrences and exceptions between two instants (Graph's `/instances`). */
  listEventOccurrences(
    id: string,
    options: { from?: string; to?: string; continuationToken?: string } & GroupOption & BodyOption,
    ctx: OperationContext,
  ): Promise<EventListResult> {
    return listEventOccurrences(this.deps, id, options, ctx);
  }

  updateGroupEvent(
    id: string,
    patch: GroupEventPatch,
    options: GroupOption,
    ctx: OperationContext,
  ): Promise<GroupEvent> {
    return updateGroupEvent(this.deps, id, patch, options, ctx);
  }

  cancelGroupEvent(
    id: string,
    options: { comment?: string } & GroupOption,
    ctx: OperationContext,
  ): Promise<void> {
    return cancelGroupEvent(this.deps, id, options, ctx);
  }

  deleteGroupEvent(id: string, options: GroupOption, ctx: OperationContext): Promise<void> {
    return deleteGroupEvent(this.deps, id, options, ctx);
  }

  /** Idempotency keys are remembered 24 h; the daily cleanup removes the older ones. */
  deleteExpiredKeys(): Promise<number> {
    return this.deps.idempotency.deleteExpired();
  }
}
