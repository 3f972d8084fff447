/**
 * The events room: group calendar events with the managed token (docs/events.md). Depends only on
 * `EventDeps`; the service façade builds one and delegates its event methods here.
 */
export type { EventAuditEntry, EventDeps } from './deps';
export { createGroupEvent, isReplay } from './create';
export { createGroupEvents, validateBulk, BATCH_SIZE, type BulkProgress } from './batch';
export {
  cancelGroupEvent,
  deleteGroupEvent,
  getGroupEvent,
  listGroupEvents,
  updateGroupEvent,
} from './operations';
export {
  groupEventSchema,
  groupEventPatchSchema,
  normalizeEvent,
  assertIdempotencyKey,
  MAX_ATTENDEES,
  MAX_BULK_EVENTS,
} from './validate';
export { isKnownTimeZone } from './time';
