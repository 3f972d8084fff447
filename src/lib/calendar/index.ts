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
import { createGroupEvent } from './send/create';

export type { EventAuditEntry, EventDeps, SigningPort, TokenPort } from './deps';
export { allowedCalendars, resolveCalendar, type Calendar } from './calendars';
export { signingFrom } from './continuation';
export { assertEventId, isEventId } from './ids';
export { decideAccess, ownerOf, LIBRARY_OWNER, type AccessVerdict } from './owners';
export { isReplay } from './replay';
export { validateBulk, BATCH_SIZE, type BulkProgress } from './send/batch';
export { isKnownTimeZone } from './time';
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
  constructor(readonly deps: EventDeps) {}

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
