/**
 * The fields the service manages on an event, in one canonical form, so that what the service wrote and
 * what Graph reads back hash equal unless someone changed the event in Outlook (docs/sync.md drift; the
 * `Written` stamp holds `managedFieldsHash`). Graph's own normalisations — HTML-wrapped bodies, filled
 * defaults, attendee names looked up in the directory, the zone's Windows name — do not count. Pure.
 */
import { createHash } from 'node:crypto';
import { fromGraphDateTime, isoInstant, parseInstant } from '../time';
import {
  fromGraphAttendees,
  fromGraphTimetableFields,
  type AttendeeType,
  type GraphTimetableRead,
  type ShowAs,
} from './fields';
import {
  fromGraphRecurrence,
  normalizeRecurrence,
  type GraphRecurrenceRead,
  type Recurrence,
} from './recurrence';
import { ianaFromGraph } from './timeZones';

/**
 * What the service writes when the caller leaves a managed field out, so the read back of an event
 * created without them is known: Outlook's default reminder (15 minutes) and show as (busy), no Teams
 * meeting. The create body must carry them (`managedCreateDefaults`), or a mailbox's own defaults would
 * read back as drift.
 */
export const MANAGED_DEFAULTS = { reminder_minutes: 15, show_as: 'busy', online_meeting: false } as const;

/** An event in the docs/events.md shape — the caller's input or the service's response — as far as drift sees it. */
export interface ManagedEventFields {
  subject?: string | null;
  start: string;
  end: string;
  time_zone?: string | null;
  all_day?: boolean | null;
  body?: string | null;
  body_type?: string | null;
  location?: string | null;
  attendees?: readonly (string | { email: string; type?: AttendeeType | null })[] | null;
  recurrence?: Recurrence | null;
  categories?: readonly string[] | null;
  /** Left out: `MANAGED_DEFAULTS`; `null`: reminder off. */
  reminder_minutes?: number | null;
  /** Left out: `MANAGED_DEFAULTS`; `null`: Graph's `unknown`. */
  show_as?: ShowAs | null;
  online_meeting?: boolean | null;
  /** A response carries the join URL instead of the flag. */
  online_meeting_url?: string | null;
}

export interface CanonicalManagedFields {
  subject: string;
  start: string;
  end: string;
  time_zone: string;
  all_day: boolean;
  body: string;
  location: string;
  attendees: string[];
  recurrence: Recurrence | null;
  categories: string[];
  reminder_minutes: number | null;
  show_as: ShowAs | null;
  online_meeting: boolean;
}

export type ManagedField = keyof CanonicalManagedFields;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/**
 * A body as plain text with whitespace collapsed. HTML loses its head, styles, scripts, comments and
 * tags (Graph wraps an HTML body in `<html><head><meta …><style>…</style></head><body>…`), and its
 * character references are decoded; text is only collapsed (a `<` in text is text).
 */
export function bodyText(body: string | null | undefined, bodyType: string | null | undefined): string {
  let text = body ?? '';
  if (bodyType?.toLowerCase() === 'html') {
    text = text
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<(head|style|script)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<[^>]*>/g, ' ')
      .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
        if (ref[0] !== '#') return ENTITIES[ref.toLowerCase()] ?? whole;
        const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : Number(ref.slice(1));
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      });
  }
  return text.replace(/\s+/g, ' ').trim();
}

function canonicalTime(value: string, allDay: boolean): string {
  if (allDay) return value.slice(0, 10);
  try {
    return isoInstant(parseInstant(value));
  } catch {
    return value; // not an instant: compared as written, so it still differs from any other value
  }
}

/** The canonical managed fields of an event (defaults filled, sets sorted, body as text). */
export function canonicalManagedFields(event: ManagedEventFields): CanonicalManagedFields {
  const allDay = event.all_day === true;
  const attendees = new Set(
    (event.attendees ?? []).map((a) =>
      typeof a === 'string'
        ? `${a.toLowerCase()} required`
        : `${a.email.toLowerCase()} ${a.type ?? 'required'}`,
    ),
  );
  return {
    subject: (event.subject ?? '').trim(),
    start: canonicalTime(event.start, allDay),
    end: canonicalTime(event.end, allDay),
    time_zone: event.time_zone || 'UTC',
    all_day: allDay,
    body: bodyText(event.body, event.body_type),
    location: (event.location ?? '').trim(),
    attendees: [...attendees].sort(),
    recurrence: event.recurrence ? normalizeRecurrence(event.recurrence) : null,
    categories: [...new Set((event.categories ?? []).map((c) => c.trim()))].sort(),
    reminder_minutes:
      event.reminder_minutes === undefined ? MANAGED_DEFAULTS.reminder_minutes : event.reminder_minutes,
    show_as: event.show_as === undefined ? MANAGED_DEFAULTS.show_as : event.show_as,
    online_meeting:
      event.online_meeting === undefined || event.online_meeting === null
        ? Boolean(event.online_meeting_url)
        : event.online_meeting,
  };
}

/** sha256 (base64url) of the canonical managed fields: the `Written` stamp, compared on read. */
export function managedFieldsHash(event: ManagedEventFields): string {
  return createHash('sha256')
    .update(JSON.stringify(canonicalManagedFields(event)))
    .digest('base64url');
}

/** The managed fields (docs/events.md names) in which two events differ, in a fixed order; empty when equal. */
export function diffManagedFields(a: ManagedEventFields, b: ManagedEventFields): ManagedField[] {
  const ca = canonicalManagedFields(a);
  const cb = canonicalManagedFields(b);
  return (Object.keys(ca) as ManagedField[]).filter((k) => JSON.stringify(ca[k]) !== JSON.stringify(cb[k]));
}

/**
 * The timetable properties a create body carries for managed fields the caller left out, so Graph
 * stores `MANAGED_DEFAULTS` rather than the mailbox's defaults. Merge under the caller's own fields.
 */
export function managedCreateDefaults(
  event: Pick<ManagedEventFields, 'reminder_minutes' | 'show_as' | 'online_meeting'>,
): Record<string, unknown> {
  return {
    ...(event.reminder_minutes === undefined
      ? { isReminderOn: true, reminderMinutesBeforeStart: MANAGED_DEFAULTS.reminder_minutes }
      : {}),
    ...(event.show_as === undefined ? { showAs: MANAGED_DEFAULTS.show_as } : {}),
    ...(event.online_meeting === undefined ? { isOnlineMeeting: MANAGED_DEFAULTS.online_meeting } : {}),
  };
}

/** Graph's event as read (with `Prefer: outlook.timezone="UTC"`), as far as drift needs it. */
export interface GraphManagedRead extends GraphTimetableRead {
  subject?: string | null;
  start?: { dateTime: string; timeZone: string } | null;
  end?: { dateTime: string; timeZone: string } | null;
  isAllDay?: boolean | null;
  originalStartTimeZone?: string | null;
  body?: { contentType?: string | null; content?: string | null } | null;
  location?: { displayName?: string | null } | null;
  recurrence?: GraphRecurrenceRead | null;
}

/**
 * Graph's read of an event in the docs/events.md shape drift compares. `timeZone` is the zone the event was
 * written in (stored beside it), so Graph answering with its Windows name reads as the same zone. An
 * all-day event's dates are the dates of its bounds (Graph keeps them at midnight; under
 * `outlook.timezone` they come back at midnight of the zone asked for).
 */
export function managedFieldsFromGraph(graph: GraphManagedRead, timeZone?: string): ManagedEventFields {
  const allDay = graph.isAllDay === true;
  const time = (t: { dateTime: string; timeZone: string } | null | undefined): string => {
    if (!t) return '';
    return allDay ? t.dateTime.slice(0, 10) : isoInstant(fromGraphDateTime(t));
  };
  const fields = fromGraphTimetableFields(graph);
  const original = graph.originalStartTimeZone ?? '';
  return {
    subject: graph.subject ?? '',
    start: time(graph.start),
    end: time(graph.end),
    time_zone: ianaFromGraph(original, timeZone) ?? (original || timeZone || 'UTC'),
    all_day: allDay,
    body: graph.body?.content ?? '',
    body_type: graph.body?.contentType ?? 'text',
    location: graph.location?.displayName ?? '',
    attendees: fromGraphAttendees(graph.attendees),
    recurrence: fromGraphRecurrence(graph.recurrence) ?? null,
    categories: fields.categories,
    reminder_minutes: fields.reminder_minutes,
    show_as: fields.show_as,
    online_meeting: fields.online_meeting,
  };
}
