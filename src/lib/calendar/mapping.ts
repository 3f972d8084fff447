/**
 * The service's event ↔ Graph's event resource. Pure functions (docs/events.md).
 */
import type { GroupEvent } from '../types';
import {
  allDayGraphDateTime,
  fromGraphDateTime,
  isoInstant,
  parseInstant,
  toGraphDateTime,
  type GraphDateTime,
} from './time';
import type { NormalizedEvent } from './validate';

/**
 * The stamps: single-value extended properties (MAPI named string properties in this product's own
 * property set) written in the create body itself, so no crash can leave an event without them.
 * - `CreateKey`: each create's key. Graph documents `transactionId` as its de-duplication of client
 *   retries but not what a repeat returns, so after an ambiguous failure the service looks the key up by
 *   this property before it sends anything again.
 * - `Owner`: who the event belongs to (`tid:oid`, or `library`); none → not created by the service.
 */
const PROPERTY_SET = '{6f1d9a52-7c3e-4b8a-9d2f-3e5b8c1a7d40}';
export const stampId = (name: string): string => `String ${PROPERTY_SET} Name GraphTokenManager${name}`;
export const CREATE_KEY_PROPERTY_ID = stampId('CreateKey');
export const OWNER_PROPERTY_ID = stampId('Owner');

/** The stamps every read expands (others may be added by the sync room). */
export const STAMP_IDS: readonly string[] = [
  CREATE_KEY_PROPERTY_ID,
  OWNER_PROPERTY_ID,
  // The sync room's stamps (sync/stamps.ts), so every read returns an event's external id and scope.
  ...['ExternalKey', 'ExternalId', 'Scope', 'Written'].map(stampId),
];

/** Every read asks for instants in UTC (the service answers with `Z` instants). */
export const UTC_PREFERENCE = { prefer: 'outlook.timezone="UTC"' };

/** `$select` for every read, so only the needed fields come back. */
export const EVENT_SELECT =
  'id,webLink,subject,start,end,originalStartTimeZone,isAllDay,location,attendees,isCancelled,type,seriesMasterId';

/** `$expand` of every read: the stamps, and nothing else of the event's extended properties. */
export const STAMP_EXPAND = `singleValueExtendedProperties($filter=${STAMP_IDS.map((id) => `id eq '${id}'`).join(' or ')})`;

/** The query of a read of one event or a list: `$select` and the stamps. */
export function readQuery(): Record<string, string> {
  return { $select: EVENT_SELECT, $expand: STAMP_EXPAND };
}

/** The `$filter` that finds the event created with `key` (Graph's syntax for extended properties). */
export function createKeyFilter(key: string): string {
  return `singleValueExtendedProperties/Any(ep: ep/id eq '${CREATE_KEY_PROPERTY_ID}' and ep/value eq '${key.replace(/'/g, "''")}')`;
}

/** The stamps of a Graph event as read with `STAMP_EXPAND` (property ids compare case-insensitively). */
export function stampsOf(body: Record<string, unknown>): { owner?: string; createKey?: string } {
  const props = Array.isArray(body.singleValueExtendedProperties)
    ? (body.singleValueExtendedProperties as Array<{ id?: unknown; value?: unknown }>)
    : [];
  const value = (id: string): string | undefined => {
    const found = props.find((p) => typeof p.id === 'string' && p.id.toLowerCase() === id.toLowerCase());
    return typeof found?.value === 'string' ? found.value : undefined;
  };
  const owner = value(OWNER_PROPERTY_ID);
  const createKey = value(CREATE_KEY_PROPERTY_ID);
  return { ...(owner !== undefined ? { owner } : {}), ...(createKey !== undefined ? { createKey } : {}) };
}

function graphTimes(event: Pick<NormalizedEvent, 'start' | 'end' | 'time_zone' | 'all_day'>): {
  start: GraphDateTime;
  end: GraphDateTime;
} {
  if (event.all_day) {
    return {
      start: allDayGraphDateTime(event.start, event.time_zone, 'start'),
      end: allDayGraphDateTime(event.end, event.time_zone, 'end'),
    };
  }
  return {
    start: toGraphDateTime(parseInstant(event.start, 'start'), event.time_zone),
    end: toGraphDateTime(parseInstant(event.end, 'end'), event.time_zone),
  };
}

const attendeesOf = (addresses: string[]): unknown[] =>
  addresses.map((address) => ({ emailAddress: { address }, type: 'required' }));

/** The create body: wall-clock times, `transactionId` and the key property (both `key`), the owner. */
export function toGraphEvent(
  event: NormalizedEvent,
  key: string,
  owner: string,
  /** More stamps written in the same body (the sync room's external id, scope and `Written`). */
  stamps: ReadonlyArray<{ id: string; value: string }> = [],
): Record<string, unknown> {
  return {
    subject: event.subject,
    ...graphTimes(event),
    isAllDay: event.all_day,
    ...(event.body !== undefined ? { body: { contentType: event.body_type, content: event.body } } : {}),
    ...(event.location !== undefined ? { location: { displayName: event.location } } : {}),
    ...(event.attendees.length ? { attendees: attendeesOf(event.attendees) } : {}),
    transactionId: key,
    singleValueExtendedProperties: [
      { id: CREATE_KEY_PROPERTY_ID, value: key },
      { id: OWNER_PROPERTY_ID, value: owner },
      ...stamps,
    ],
  };
}

/** A `PATCH` body for the fields given; times only when the merged event's times are given. */
export function toGraphPatch(
  patch: Partial<NormalizedEvent>,
  times: Pick<NormalizedEvent, 'start' | 'end' | 'time_zone' | 'all_day'> | undefined,
): Record<string, unknown> {
  return {
    ...(patch.subject !== undefined ? { subject: patch.subject } : {}),
    ...(times ? { ...graphTimes(times), isAllDay: times.all_day } : {}),
    ...(patch.body !== undefined
      ? { body: { contentType: patch.body_type ?? 'text', content: patch.body } }
      : {}),
    ...(patch.location !== undefined ? { location: { displayName: patch.location } } : {}),
    ...(patch.attendees !== undefined ? { attendees: attendeesOf(patch.attendees) } : {}),
  };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Graph's event → the service's event: instants in UTC `Z`, the zone it is shown in. */
export function fromGraphEvent(body: Record<string, unknown>): GroupEvent {
  const start = body.start as GraphDateTime | undefined;
  const end = body.end as GraphDateTime | undefined;
  const instant = (v: GraphDateTime | undefined): string => {
    if (!v?.dateTime || !v.timeZone) return '';
    try {
      return isoInstant(fromGraphDateTime(v));
    } catch {
      return '';
    }
  };
  const location = str((body.location as { displayName?: unknown } | undefined)?.displayName);
  const attendees = Array.isArray(body.attendees)
    ? (body.attendees as Array<{ emailAddress?: { address?: unknown } }>)
        .map((a) => str(a.emailAddress?.address))
        .filter((a): a is string => a !== undefined)
    : [];
  return {
    id: String(body.id ?? ''),
    web_link: str(body.webLink) ?? null,
    subject: str(body.subject) ?? '',
    start: instant(start),
    end: instant(end),
    time_zone: str(body.originalStartTimeZone) ?? start?.timeZone ?? 'UTC',
    all_day: body.isAllDay === true,
    location: location ? location : null,
    attendees,
    is_cancelled: body.isCancelled === true,
  };
}

/** The stored event's times in the caller's terms, to merge a `PATCH` with. */
export function storedTimes(
  event: GroupEvent,
): Pick<NormalizedEvent, 'start' | 'end' | 'time_zone' | 'all_day'> {
  if (!event.all_day)
    return { start: event.start, end: event.end, time_zone: event.time_zone, all_day: false };
  const date = (iso: string): string => {
    // The local date of the stored midnight in the event's zone.
    const wall = toGraphDateTime(Date.parse(iso), event.time_zone);
    return wall.timeZone === 'UTC' ? iso.slice(0, 10) : wall.dateTime.slice(0, 10);
  };
  return { start: date(event.start), end: date(event.end), time_zone: event.time_zone, all_day: true };
}
