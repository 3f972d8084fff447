/**
 * The sandbox Graph's group calendars: events as Graph stores them, with the behaviour the product
 * depends on (docs/sandbox.md, "Graph"): wall-clock `dateTimeTimeZone` (the instant it understood is
 * kept, so tests compare instants), `transactionId` de-duplication, single-value extended properties
 * and `$filter` on them, PATCH, cancel (organizer only), delete and the calendar view.
 */
import { randomBytes } from 'node:crypto';
import {
  fromGraphDateTime,
  isKnownTimeZone,
  toGraphDateTime,
  wallClock,
} from '../../lib/calendar/time';

export interface SandboxGraphEvent {
  id: string;
  groupId: string;
  /** The create's request body exactly as posted. */
  body: Record<string, unknown>;
  /** The instants Graph understood (UTC ISO), after any PATCH. */
  start: string;
  end: string;
  isAllDay: boolean;
  transactionId: string | null;
  /** Single-value extended properties, id → value. */
  properties: Record<string, string>;
  isCancelled: boolean;
  /** The organizer's address (the creator's `upn`). */
  organizer: string;
  /** The Graph resource as stored (subject, body, location, attendees, original time zones, …). */
  resource: Record<string, unknown>;
}

export class GraphInputError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface ReadTime {
  instant: number;
  timeZone: string;
  wall: string;
}

const WALL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?$/;

function zoneOf(name: string): string {
  return /^(utc|etc\/utc|gmt)$/i.test(name) ? 'UTC' : name;
}

/** A `dateTimeTimeZone` → its instant, refusing what Graph refuses (an offset inside dateTime, unknown zones). */
export function readDateTime(value: unknown, field: string): ReadTime {
  const v = value as { dateTime?: unknown; timeZone?: unknown } | undefined;
  if (!v || typeof v.dateTime !== 'string' || typeof v.timeZone !== 'string' || !v.timeZone) {
    throw new GraphInputError(
      400,
      'ErrorInvalidRequest',
      `Your request can't be completed. ${field} requires dateTime and timeZone.`,
    );
  }
  if (!WALL.test(v.dateTime)) {
    throw new GraphInputError(
      400,
      'ErrorInvalidRequest',
      `Your request can't be completed. The value '${v.dateTime.slice(0, 40)}' of ${field}.dateTime is not a date-time without an offset.`,
    );
  }
  const zone = zoneOf(v.timeZone);
  if (!isKnownTimeZone(zone)) {
    throw new GraphInputError(
      400,
      'TimeZoneNotSupportedException',
      `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${v.timeZone.slice(0, 60)}'.`,
    );
  }
  const wall = v.dateTime.length === 16 ? `${v.dateTime}:00` : v.dateTime.slice(0, 19);
  return { instant: fromGraphDateTime({ dateTime: wall, timeZone: zone }), timeZone: v.timeZone, wall };
}

/** How Graph writes a dateTimeTimeZone in answers: seven-digit fractions, in the zone asked for. */
export function writeDateTime(instant: number, timeZone: string): { dateTime: string; timeZone: string } {
  return { dateTime: `${wallClock(instant, zoneOf(timeZone))}.0000000`, timeZone };
}

export interface CalendarViewPage {
  value: SandboxGraphEvent[];
  next: number | null;
}

export class SandboxCalendar {
  /** Every event, oldest first (deleted ones are removed). */
  readonly events: SandboxGraphEvent[] = [];
  deduplicated = 0;

  find(groupId: string, id: string): SandboxGraphEvent | undefined {
    return this.events.find((e) => e.groupId === groupId && e.id === id);
  }

  /** Creates an event, or returns the existing one for a repeated `transactionId` (`created` false). */
  create(
    groupId: string,
    body: Record<string, unknown>,
    organizer: string,
  ): { event: SandboxGraphEvent; created: boolean } {
    if (typeof body.subject !== 'string' || !body.subject) {
      throw new GraphInputError(
        400,
        'ErrorInvalidRequest',
        "Your request can't be completed. subject is required.",
      );
    }
    const start = readDateTime(body.start, 'start');
    const end = readDateTime(body.end, 'end');
    const isAllDay = body.isAllDay === true;
    checkTimes(start, end, isAllDay);
    const transactionId =
      typeof body.transactionId === 'string' && body.transactionId ? body.transactionId : null;
    if (transactionId) {
      const existing = this.events.find((e) => e.groupId === groupId && e.transactionId === transactionId);
      if (existing) {
        this.deduplicated++;
        return { event: existing, created: false };
      }
    }
    const properties: Record<string, string> = {};
    if (Array.isArray(body.singleValueExtendedProperties)) {
      for (const p of body.singleValueExtendedProperties as Array<{ id?: unknown; value?: unknown }>) {
        if (typeof p.id !== 'string' || typeof p.value !== 'string') {
          throw new GraphInputError(
            400,
            'ErrorInvalidRequest',
            'singleValueExtendedProperties need id and value.',
          );
        }
        properties[p.id] = p.value;
      }
    }
    const event: SandboxGraphEvent = {
      id: `AAMkAG${randomBytes(48).toString('base64url')}=`,
      groupId,
      body,
      start: new Date(start.instant).toISOString(),
      end: new Date(end.instant).toISOString(),
      isAllDay,
      transactionId,
      properties,
      isCancelled: false,
      organizer,
      resource: {
        subject: body.subject,
        body: body.body ?? { contentType: 'text', content: '' },
        location: body.location ?? { displayName: '', locationType: 'default' },
        locations: body.locations ?? [],
        attendees: body.attendees ?? [],
        originalStartTimeZone: start.timeZone,
        originalEndTimeZone: end.timeZone,
      },
    };
    this.events.push(event);
    return { event, created: true };
  }

  /** Seeds an event organized by someone else (to test a cancel by a non-organizer). */
  seed(
    groupId: string,
    fields: { subject: string; start: string; end: string; organizer: string },
  ): SandboxGraphEvent {
    const body = {
      subject: fields.subject,
      start: toGraphDateTime(Date.parse(fields.start), 'UTC'),
      end: toGraphDateTime(Date.parse(fields.end), 'UTC'),
    };
    return this.create(groupId, body, fields.organizer).event;
  }

  patch(event: SandboxGraphEvent, body: Record<string, unknown>): void {
    const isAllDay = typeof body.isAllDay === 'boolean' ? body.isAllDay : event.isAllDay;
    const stored = (instant: string, zone: unknown): ReadTime => {
      const timeZone = String(zone ?? 'UTC');
      const at = Date.parse(instant);
      return { instant: at, timeZone, wall: wallClock(at, zoneOf(timeZone)) };
    };
    const start =
      body.start !== undefined
        ? readDateTime(body.start, 'start')
        : stored(event.start, event.resource.originalStartTimeZone);
    const end =
      body.end !== undefined
        ? readDateTime(body.end, 'end')
        : stored(event.end, event.resource.originalEndTimeZone);
    checkTimes(start, end, isAllDay);
    event.start = new Date(start.instant).toISOString();
    event.end = new Date(end.instant).toISOString();
    event.isAllDay = isAllDay;
    event.resource.originalStartTimeZone = start.timeZone;
    event.resource.originalEndTimeZone = end.timeZone;
    for (const field of ['subject', 'body', 'location', 'attendees'] as const) {
      if (body[field] !== undefined) event.resource[field] = body[field];
    }
  }

  remove(event: SandboxGraphEvent): void {
    const index = this.events.indexOf(event);
    if (index >= 0) this.events.splice(index, 1);
  }

  /** Events whose extended property `id` has `value` (Graph compares values case-insensitively). */
  byProperty(groupId: string, id: string, value: string): SandboxGraphEvent[] {
    return this.events.filter(
      (e) => e.groupId === groupId && e.properties[id]?.toLowerCase() === value.toLowerCase(),
    );
  }

  /** Events overlapping [from, to), by start time, `top` from `skip`. */
  view(groupId: string, from: number, to: number, skip: number, top: number): CalendarViewPage {
    const all = this.events
      .filter((e) => e.groupId === groupId && Date.parse(e.start) < to && Date.parse(e.end) > from)
      .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    return { value: all.slice(skip, skip + top), next: skip + top < all.length ? skip + top : null };
  }
}

function checkTimes(start: ReadTime, end: ReadTime, isAllDay: boolean): void {
  if (isAllDay) {
    const midnight = (w: string): boolean => w.endsWith('T00:00:00');
    if (!midnight(start.wall) || !midnight(end.wall) || start.timeZone !== end.timeZone) {
      throw new GraphInputError(
        400,
        'ErrorInvalidRequest',
        "Your request can't be completed. An all-day event's start and end must be midnight in the same time zone.",
      );
    }
  }
  if (end.instant < start.instant) {
    throw new GraphInputError(
      400,
      'ErrorInvalidRequest',
      "Your request can't be completed. The end is before the start.",
    );
  }
}
