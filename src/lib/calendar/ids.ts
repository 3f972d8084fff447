/**
 * Event ids are untrusted input that ends up in a Graph URL (docs/architecture.md): checked against Graph's id
 * alphabet before any URL is built, so `..` or `a/../../x` can never address the group itself
 * (`DELETE /groups/{gid}/` would delete the group where the account owns it). Pure.
 */
import { ERRORS, GraphTokenError } from '../errors';
import { eventsPath, type Calendar } from './calendars';

/** Graph's event ids are base64 (standard or URL-safe): letters, digits, `-_=+/`, at most 512. */
const EVENT_ID = /^[A-Za-z0-9\-_=+/]{1,512}$/;

/** Whether `id` may be an event id (never dots, never empty, never longer than 512). */
export function isEventId(id: unknown): id is string {
  return typeof id === 'string' && EVENT_ID.test(id);
}

/** @throws `INVALID_REQUEST` naming `field` when `id` is not in Graph's id alphabet. */
export function assertEventId(id: unknown, field = 'id'): asserts id is string {
  if (!isEventId(id)) {
    throw new GraphTokenError(
      ERRORS.INVALID_REQUEST,
      `${field}: must be an event id as returned by the API (letters, digits, -_=+/; at most 512)`,
    );
  }
}

/** The event's Graph path; a `/` inside the id is percent-encoded, so it stays one path segment. */
export function eventPath(calendar: Calendar, id: string): string {
  assertEventId(id);
  return `${eventsPath(calendar)}/${encodeURIComponent(id)}`;
}
