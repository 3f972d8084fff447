/**
 * The service's event ↔ Graph's event resource (docs/events.md). Pure functions.
 *
 * Time zones go to Graph in a form it documents (`model/timeZones.ts`: the IANA name where Graph lists
 * it, else CLDR's Windows zone). A single event keeps its exact instant (its wall time in the zone, or
 * UTC when that wall time is ambiguous or skipped); a series is always sent in its zone's wall clock, so
 * "weekly at 09:00" stays 09:00 across daylight-saving changes.
 */
import { ERRORS, GraphTokenError } from '../errors';
import type { GroupEvent } from '../types';
import { fromGraphTimetableFields, toGraphTimetableFields, type GraphTimetableRead } from './model/fields';
import { fromGraphRecurrence, toGraphRecurrence, type GraphRecurrenceRead } from './model/recurrence';
import { graphTimeZone, ianaFromGraph } from './model/timeZones';
import {
  allDayGraphDateTime,
  fromGraphDateTime,
  isoInstant,
  parseInstant,
  toGraphDateTime,
  wallClock,
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
 * - `TimeZone`: the caller's IANA zone, so reads echo it even when Graph holds a Windows zone.
 * - `ExternalId`: the caller's external id (written by calendar sync), returned as `external_id`.
 */
const PROPERTY_SET = '{6f1d9a52-7c3e-4b8a-9d2f-3e5b8c1a7d40}';
export const stampId = (name: string): string => `String ${PROPERTY_SET} Name GraphTokenManager${name}`;
export const CREATE_KEY_PROPERTY_ID = stampId('CreateKey');
export const OWNER_PROPERTY_ID = stampId('Owner');
export const TIME_ZONE_PROPERTY_ID = stampId('TimeZone');
export const EXTERNAL_ID_PROPERTY_ID = stampId('ExternalId');

/** The stamps every read expands. */
export const STAMP_IDS: readonly string[] = [
  CREATE_KEY_PROPERTY_ID,
  OWNER_PROPERTY_ID,
  TIME_ZONE_PROPERTY_ID,
  EXTERNAL_ID_PROPERTY_ID,
  // The sync room's other stamps (sync/stamps.ts), so every read returns an event's scope and `Written`.
  ...['ExternalKey', 'Scope', 'Written'].map(stampId),
];

/** `$select` for every read, so only the needed fields come back. */
export const EVENT_SELECT = [
  'id',
  'webLink',
  'subject',
  'body',
  'start',
  'end',
  'originalStartTimeZone',
  'isAllDay',
  'location',
  'attendees',
  'isCancelled',
  'type',
  'seriesMasterId',
  'recurrence',
  'isOnlineMeeting',
  'onlineMeeting',
  'categories',
  'isReminderOn',
  'reminderMinutesBeforeStart',
  'showAs',
  'importance',
  'sensitivity',
].join(',');

/** `$expand` of every read: the stamps, and nothing else of the event's extended properties. */
export const STAMP_EXPAND = `singleValueExtendedProperties($filter=${STAMP_IDS.map((id) => `id eq '${id}'`).join(' or ')})`;

/** The query of a read of one event or a list: `$select` and the stamps. */
export function readQuery(): Record<string, string> {
  return { $select: EVENT_SELECT, $expand: STAMP_EXPAND };
}

/**
 * The one `Prefer` header of every request (comma-joined, as Graph allows): instants in UTC, and the
 * body as `text` (the default body type) or `html`.
 */
export function preferHeader(bodyType: 'html' | 'text' = 'text'): { prefer: string } {
  return { prefer: `outlook.timezone="UTC", outlook.body-content-type="${bodyType}"` };
}

/** Every read asks for instants in UTC and text bodies unless it says otherwise. */
export const UTC_PREFERENCE = preferHeader();

/** `$filter` on one stamp's value (Graph's syntax for extended properties). */
export function stampFilter(id: string, value: string): string {
  return `singleValueExtendedProperties/Any(ep: ep/id eq '${id}' and ep/value eq '${value.replace(/'/g, "''")}')`;
}

/** The `$filter` that finds the event created with `key`. */
export const createKeyFilter = (key: string): string => stampFilter(CREATE_KEY_PROPERTY_ID, key);

export interface Stamps {
  owner?: string;
  createKey?: string;
  timeZone?: string;
  externalId?: string;
}

/** The stamps of a Graph event as read with `STAMP_EXPAND` (property ids compare case-insensitively). */
export function stampsOf(body: Record<string, unknown>): Stamps {
  const props = Array.isArray(body.singleValueExtendedProperties)
    ? (body.singleValueExtendedProperties as Array<{ id?: unknown; value?: unknown }>)
    : [];
  const stamps: Stamps = {};
  const names: Array<[keyof Stamps, string]> = [
    ['owner', OWNER_PROPERTY_ID],
    ['createKey', CREATE_KEY_PROPERTY_ID],
    ['timeZone', TIME_ZONE_PROPERTY_ID],
    ['externalId', EXTERNAL_ID_PROPERTY_ID],
  ];
  for (const [name, id] of names) {
    const found = props.find((p) => typeof p.id === 'string' && p.id.toLowerCase() === id.toLowerCase());
    if (typeof found?.value === 'string') stamps[name] = found.value;
  }
  return stamps;
}

/** The zone Graph is sent for `timeZone`; a zone Graph documents no form of is a 400 naming the field. */
export function graphZone(timeZone: string, field = 'time_zone'): string {
  const zone = graphTimeZone(timeZone);
  if (zone === undefined) {
    throw new GraphTokenError(
      ERRORS.INVALID_REQUEST,
      `${field}: ${timeZone} has no form Microsoft Graph documents for events; choose a nearby zone`,
    );
  }
  return zone;
}

type Times = Pick<NormalizedEvent, 'start' | 'end' | 'time_zone' | 'all_day'>;

/**
 * Graph's `start`/`end`. `series`: wall clock in the zone (never converted to UTC); otherwise the exact
 * instant (ambiguous or skipped wall time → UTC).
 */
export function graphTimes(event: Times, series: boolean): { start: GraphDateTime; end: GraphDateTime } {
  const zone = graphZone(event.time_zone);
  if (event.all_day) {
    return {
      start: { ...allDayGraphDateTime(event.start, event.time_zone, 'start'), timeZone: zone },
      end: { ...allDayGraphDateTime(event.end, event.time_zone, 'end'), timeZone: zone },
    };
  }
  const one = (value: string, field: 'start' | 'end'): GraphDateTime => {
    const instant = parseInstant(value, field);
    if (series) return { dateTime: wallClock(instant, event.time_zone), timeZone: zone };
    const sent = toGraphDateTime(instant, event.time_zone);
    return sent.timeZone === 'UTC' ? sent : { dateTime: sent.dateTime, timeZone: zone };
  };
  return { start: one(event.start, 'start'), end: one(event.end, 'end') };
}

/** The series' first date in its zone: the recurrence range's `startDate`. */
export function startDateOf(event: Times): string {
  return event.all_day
    ? event.start
    : wallClock(parseInstant(event.start, 'start'), event.time_zone).slice(0, 10);
}

/** The timetable fields given in `e` (create: all with defaults; patch: only those present). */
function timetableFields(e: Omit<Partial<NormalizedEvent>, 'recurrence'>): Record<string, unknown> {
  return toGraphTimetableFields({
    ...(e.attendees !== undefined ? { attendees: e.attendees } : {}),
    ...(e.categories !== undefined ? { categories: e.categories } : {}),
    ...(e.reminder_minutes !== undefined ? { reminder_minutes: e.reminder_minutes } : {}),
    ...(e.show_as !== undefined ? { show_as: e.show_as } : {}),
    ...(e.importance !== undefined ? { importance: e.importance } : {}),
    ...(e.sensitivity !== undefined ? { sensitivity: e.sensitivity } : {}),
    ...(e.online_meeting !== undefined ? { online_meeting: e.online_meeting } : {}),
  });
}

/** The create body: times, recurrence, `transactionId` and the stamps (key, owner, zone). */
export function toGraphEvent(
  event: NormalizedEvent,
  key: string,
  owner: string,
  /** More stamps written in the same body (the sync room's external id, scope and `Written`). */
  stamps: ReadonlyArray<{ id: string; value: string }> = [],
): Record<string, unknown> {
  const series = event.recurrence !== undefined;
  return {
    subject: event.subject,
    ...graphTimes(event, series),
    isAllDay: event.all_day,
    ...(series
      ? { recurrence: toGraphRecurrence(event.recurrence!, startDateOf(event), graphZone(event.time_zone)) }
      : {}),
    ...(event.body !== undefined ? { body: { contentType: event.body_type, content: event.body } } : {}),
    ...(event.location !== undefined ? { location: { displayName: event.location } } : {}),
    ...timetableFields({
      ...event,
      // Only what the caller asked for: Graph's defaults stay Graph's.
      attendees: event.attendees.length ? event.attendees : undefined,
      categories: event.categories.length ? event.categories : undefined,
      online_meeting: event.online_meeting || undefined,
    }),
    transactionId: key,
    singleValueExtendedProperties: [
      { id: CREATE_KEY_PROPERTY_ID, value: key },
      { id: OWNER_PROPERTY_ID, value: owner },
      { id: TIME_ZONE_PROPERTY_ID, value: event.time_zone },
      ...stamps,
    ],
  };
}

/**
 * A `PATCH` body for the fields given. `times` (the merged times) when any time field or the recurrence
 * changes; `series` whether the event is (or becomes) a series.
 */
export function toGraphPatch(
  patch: Partial<Omit<NormalizedEvent, 'recurrence'>> & { recurrence?: NormalizedEvent['recurrence'] | null },
  times: Times | undefined,
  series: boolean,
): Record<string, unknown> {
  return {
    ...(patch.subject !== undefined ? { subject: patch.subject } : {}),
    ...(times ? { ...graphTimes(times, series), isAllDay: times.all_day } : {}),
    ...(patch.recurrence === null ? { recurrence: null } : {}),
    ...(patch.recurrence && times
      ? { recurrence: toGraphRecurrence(patch.recurrence, startDateOf(times), graphZone(times.time_zone)) }
      : {}),
    ...(patch.body !== undefined
      ? { body: { contentType: patch.body_type ?? 'text', content: patch.body } }
      : {}),
    ...(patch.location !== undefined ? { location: { displayName: patch.location } } : {}),
    ...timetableFields(patch),
    ...(times && patch.time_zone !== undefined
      ? { singleValueExtendedProperties: [{ id: TIME_ZONE_PROPERTY_ID, value: times.time_zone }] }
      : {}),
  };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Graph's event → the service's event (docs/events.md): instants in UTC `Z`, the caller's IANA zone. */
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
  const stamps = stampsOf(body);
  const fields = fromGraphTimetableFields(body as GraphTimetableRead);
  const graphStartZone = str(body.originalStartTimeZone) ?? start?.timeZone ?? 'UTC';
  const location = str((body.location as { displayName?: unknown } | undefined)?.displayName);
  const content = body.body as { contentType?: unknown; content?: unknown } | undefined;
  const bodyType = str(content?.contentType)?.toLowerCase() === 'html' ? 'html' : 'text';
  return {
    id: String(body.id ?? ''),
    external_id: stamps.externalId ?? null,
    web_link: str(body.webLink) ?? null,
    subject: str(body.subject) ?? '',
    body: str(content?.content) ?? null,
    body_type: bodyType,
    start: instant(start),
    end: instant(end),
    time_zone: stamps.timeZone ?? ianaFromGraph(graphStartZone) ?? 'UTC',
    all_day: body.isAllDay === true,
    location: location ? location : null,
    attendees: fields.attendees,
    type: fields.type,
    series_id: fields.series_id,
    recurrence: fromGraphRecurrence(body.recurrence as GraphRecurrenceRead | null | undefined) ?? null,
    online_meeting_url: fields.online_meeting_url,
    categories: fields.categories,
    reminder_minutes: fields.reminder_minutes,
    show_as: fields.show_as,
    importance: fields.importance,
    sensitivity: fields.sensitivity,
    is_cancelled: fields.is_cancelled,
  };
}

/**
 * The event a create answered with. A create's answer carries no extended properties, so the caller's
 * own zone (what the `TimeZone` stamp holds) is put back here.
 */
export function createdEvent(
  body: Record<string, unknown>,
  event: Pick<NormalizedEvent, 'time_zone'>,
): GroupEvent {
  const created = fromGraphEvent(body);
  return stampsOf(body).timeZone !== undefined ? created : { ...created, time_zone: event.time_zone };
}

/** The stored event's times in the caller's terms, to merge a `PATCH` with. */
export function storedTimes(event: GroupEvent): Times {
  if (!event.all_day)
    return { start: event.start, end: event.end, time_zone: event.time_zone, all_day: false };
  const date = (iso: string): string => {
    // The local date of the stored midnight in the event's zone.
    const wall = toGraphDateTime(Date.parse(iso), event.time_zone);
    return wall.timeZone === 'UTC' ? iso.slice(0, 10) : wall.dateTime.slice(0, 10);
  };
  return { start: date(event.start), end: date(event.end), time_zone: event.time_zone, all_day: true };
}
