/**
 * The sandbox Graph's group calendars: events as Graph stores them, with the behaviour the product
 * depends on (docs/sandbox.md, "Graph"): wall-clock `dateTimeTimeZone` in Graph's supported zones (the
 * instant it understood is kept, so tests compare instants), `transactionId` de-duplication,
 * single-value extended properties, recurring series with occurrences and exceptions, PATCH, cancel,
 * delete and the calendar view.
 */
import { randomBytes } from 'node:crypto';
import {
  FIELD_NAMES,
  GraphInputError,
  applyFields,
  defaultFields,
  teamsJoinUrl,
  type EventFields,
} from './eventFields';
import { RecurrenceError, parseRecurrence } from './recurrence';
import {
  findOccurrence,
  instancesOf,
  parseOccurrenceId,
  staysBetweenNeighbours,
  viewOf,
  zoneOf,
  type EventView,
  type SandboxGraphEvent,
} from './series';
import { fromWall, platformZone, resolveGraphZone, toWall } from './timeZones';

export { GraphInputError } from './eventFields';
export type { EventView, SandboxGraphEvent } from './series';

/** `graph`: Windows ids and Graph's documented IANA names only (default); `any`: any zone Intl knows. */
export type ZonePolicy = 'graph' | 'any';

/** Who writes: the service (with its token's tenant and oid, for Teams URLs) or a person in Outlook. */
export interface Writer {
  address: string;
  name?: string | null;
  tenant?: string;
  oid?: string;
  /** A person in Outlook: may not touch extended properties; may cancel any event. */
  person?: boolean;
}

interface ReadTime {
  instant: number;
  timeZone: string;
  wall: string;
}

const WALL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?$/;
const invalid = (message: string): GraphInputError =>
  new GraphInputError(400, 'ErrorInvalidRequest', `Your request can't be completed. ${message}`);

export class SandboxCalendar {
  /** Every stored event (single events and series masters), oldest first; deleted ones are removed. */
  readonly events: SandboxGraphEvent[] = [];
  deduplicated = 0;

  constructor(
    /** Which `timeZone` values are accepted; changeable while running (`setTimeZonePolicy`). */
    public zones: ZonePolicy = 'graph',
    private readonly now: () => number = Date.now,
  ) {}

  /** A `dateTimeTimeZone` → its instant, refusing what Graph refuses (an offset inside dateTime, unknown zones). */
  readDateTime(value: unknown, field: string): ReadTime {
    const v = value as { dateTime?: unknown; timeZone?: unknown } | undefined;
    if (!v || typeof v.dateTime !== 'string' || typeof v.timeZone !== 'string' || !v.timeZone) {
      throw invalid(`${field} requires dateTime and timeZone.`);
    }
    if (!WALL.test(v.dateTime)) {
      throw invalid(
        `The value '${v.dateTime.slice(0, 40)}' of ${field}.dateTime is not a date-time without an offset.`,
      );
    }
    const zone = this.zone(v.timeZone);
    const wall = v.dateTime.length === 16 ? `${v.dateTime}:00` : v.dateTime.slice(0, 19);
    return { instant: fromWall(wall, zone), timeZone: v.timeZone, wall };
  }

  /** The IANA zone of a Graph `timeZone`, or Graph's 400 TimeZoneNotSupportedException. */
  zone(name: string): string {
    const zone = resolveGraphZone(name) ?? (this.zones === 'any' ? platformZone(name) : undefined);
    if (!zone) {
      throw new GraphInputError(
        400,
        'TimeZoneNotSupportedException',
        `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${name.slice(0, 60)}'.`,
      );
    }
    return zone;
  }

  /** A stored event, or an occurrence / exception of a stored series, by id. */
  find(groupId: string, id: string): EventView | undefined {
    const event = this.events.find((e) => e.groupId === groupId && e.id === id);
    if (event) return viewOf(event);
    const occ = parseOccurrenceId(id);
    const master = occ && this.events.find((e) => e.groupId === groupId && e.id === occ.masterId);
    return master ? findOccurrence(master, occ!.date) : undefined;
  }

  /** Creates an event, or returns the existing one for a repeated `transactionId` (`created` false). */
  create(
    groupId: string,
    body: Record<string, unknown>,
    writer: Writer,
  ): { event: SandboxGraphEvent; created: boolean } {
    if (typeof body.subject !== 'string' || !body.subject) throw invalid('subject is required.');
    const start = this.readDateTime(body.start, 'start');
    const end = this.readDateTime(body.end, 'end');
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
    if (writer.person && body.singleValueExtendedProperties !== undefined) {
      throw invalid('a person in Outlook does not set extended properties.');
    }
    const id = `AAMkAG${randomBytes(48).toString('base64url')}=`;
    const fields = defaultFields();
    applyFields(fields, body, () => teamsJoinUrl(id, writer.tenant ?? '', writer.oid ?? ''));
    const stamp = new Date(this.now()).toISOString();
    const event: SandboxGraphEvent = {
      id,
      groupId,
      body,
      start: new Date(start.instant).toISOString(),
      end: new Date(end.instant).toISOString(),
      isAllDay,
      transactionId,
      properties: readProperties(body.singleValueExtendedProperties, {}),
      isCancelled: false,
      organizer: writer.address,
      organizerName: writer.name ?? null,
      type: 'singleInstance',
      fields,
      startZone: start.timeZone,
      endZone: end.timeZone,
      recurrence: null,
      exceptions: {},
      removedOccurrences: [],
      changeKey: newChangeKey(),
      createdDateTime: stamp,
      lastModifiedDateTime: stamp,
    };
    if (body.recurrence !== undefined && body.recurrence !== null) {
      event.recurrence = this.recurrence(body.recurrence, start);
      event.type = 'seriesMaster';
    }
    this.events.push(event);
    return { event, created: true };
  }

  /** Applies a PATCH to a stored event or to one occurrence (which becomes an exception). */
  patch(view: EventView, body: Record<string, unknown>, writer: Writer): EventView {
    if (writer.person && body.singleValueExtendedProperties !== undefined) {
      throw invalid('a person in Outlook does not change extended properties.');
    }
    const event = view.event;
    const stamp = new Date(this.now()).toISOString();
    const joinUrl = (): string => teamsJoinUrl(view.id, writer.tenant ?? '', writer.oid ?? '');
    if (view.date === null) {
      const isAllDay = typeof body.isAllDay === 'boolean' ? body.isAllDay : event.isAllDay;
      const start =
        body.start !== undefined
          ? this.readDateTime(body.start, 'start')
          : stored(event.start, event.startZone);
      const end =
        body.end !== undefined ? this.readDateTime(body.end, 'end') : stored(event.end, event.endZone);
      checkTimes(start, end, isAllDay);
      let recurrence = event.recurrence;
      if (body.recurrence === null) recurrence = null;
      else if (body.recurrence !== undefined) recurrence = this.recurrence(body.recurrence, start);
      else if (recurrence && body.start !== undefined)
        recurrence = this.recurrence(moveRange(recurrence, start), start);
      const fields = structuredClone(event.fields);
      applyFields(fields, body, joinUrl);
      const seriesChanged =
        JSON.stringify(recurrence) !== JSON.stringify(event.recurrence) ||
        start.instant !== Date.parse(event.start) ||
        end.instant !== Date.parse(event.end);
      Object.assign(event, {
        start: new Date(start.instant).toISOString(),
        end: new Date(end.instant).toISOString(),
        isAllDay,
        startZone: start.timeZone,
        endZone: end.timeZone,
        recurrence,
        type: recurrence ? 'seriesMaster' : 'singleInstance',
        fields,
        properties: readProperties(body.singleValueExtendedProperties, event.properties),
        changeKey: newChangeKey(),
        lastModifiedDateTime: stamp,
      });
      // Outlook drops a series' exceptions when its pattern or time changes (documented choice).
      if (seriesChanged) {
        event.exceptions = {};
        event.removedOccurrences = [];
      }
      return viewOf(event);
    }
    if (body.recurrence !== undefined) throw invalid('an occurrence has no recurrence of its own.');
    const start =
      body.start !== undefined ? this.readDateTime(body.start, 'start') : stored(view.start, view.startZone);
    const end = body.end !== undefined ? this.readDateTime(body.end, 'end') : stored(view.end, view.endZone);
    checkTimes(start, end, event.isAllDay);
    if (!staysBetweenNeighbours(event, view.date, start.instant)) {
      throw new GraphInputError(
        400,
        'ErrorOccurrenceCrossingBoundary',
        'An occurrence cannot be moved to or beyond the day of an adjacent occurrence.',
      );
    }
    const merged = structuredClone(view.fields);
    applyFields(merged, body, joinUrl);
    // What differs from the master is the exception's own (earlier overrides are in view.fields already).
    const own: Partial<EventFields> = {};
    for (const name of FIELD_NAMES) {
      if (JSON.stringify(merged[name]) !== JSON.stringify(event.fields[name])) {
        (own as Record<string, unknown>)[name] = merged[name];
      }
    }
    event.exceptions[view.date] = {
      start: new Date(start.instant).toISOString(),
      end: new Date(end.instant).toISOString(),
      startZone: start.timeZone,
      endZone: end.timeZone,
      fields: own,
      properties:
        body.singleValueExtendedProperties !== undefined
          ? readProperties(body.singleValueExtendedProperties, view.properties)
          : event.exceptions[view.date]?.properties,
      changeKey: newChangeKey(),
      lastModifiedDateTime: stamp,
    };
    return this.find(event.groupId, view.id)!;
  }

  /** Deletes an event, a whole series, or one occurrence of it. */
  remove(view: EventView): void {
    if (view.date !== null) {
      delete view.event.exceptions[view.date];
      view.event.removedOccurrences.push(view.date);
      view.event.changeKey = newChangeKey();
      return;
    }
    const index = this.events.indexOf(view.event);
    if (index >= 0) this.events.splice(index, 1);
  }

  /** Cancels: a single event or series stays, marked cancelled; a cancelled occurrence leaves the series. */
  cancel(view: EventView): void {
    if (view.date !== null) return this.remove(view);
    view.event.isCancelled = true;
    view.event.changeKey = newChangeKey();
    view.event.lastModifiedDateTime = new Date(this.now()).toISOString();
  }

  /** An attendee's answer, as it reaches the organizer's copy of the event. */
  respond(
    view: EventView,
    address: string,
    response: EventFields['attendees'][number]['status']['response'],
  ): boolean {
    const attendees = structuredClone(view.fields.attendees);
    const attendee = attendees.find((a) => a.emailAddress.address.toLowerCase() === address.toLowerCase());
    if (!attendee) return false;
    attendee.status = { response, time: new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z') };
    if (view.date === null) {
      view.event.fields.attendees = attendees;
      view.event.changeKey = newChangeKey();
    } else {
      this.patch(view, {}, { address: view.event.organizer });
      view.event.exceptions[view.date]!.fields.attendees = attendees;
    }
    return true;
  }

  /** Stored events of a group (single events and series masters, as `GET /events` lists them). */
  list(groupId: string): SandboxGraphEvent[] {
    return this.events.filter((e) => e.groupId === groupId);
  }

  /** Single events, occurrences and exceptions overlapping [from, to), by start (the calendar view). */
  view(groupId: string, from: number, to: number): EventView[] {
    const out: EventView[] = [];
    for (const e of this.list(groupId)) {
      if (e.recurrence) out.push(...instancesOf(e, from, to));
      else if (Date.parse(e.start) < to && Date.parse(e.end) > from) out.push(viewOf(e));
    }
    return out.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  }

  private recurrence(raw: unknown, start: ReadTime): SandboxGraphEvent['recurrence'] {
    try {
      return parseRecurrence(raw, start.wall.slice(0, 10), start.timeZone, (name) => {
        try {
          return Boolean(this.zone(name));
        } catch {
          return false;
        }
      });
    } catch (error) {
      if (error instanceof RecurrenceError) {
        const code = error.message.startsWith('A valid TimeZone')
          ? 'TimeZoneNotSupportedException'
          : 'ErrorPropertyValidationFailure';
        throw new GraphInputError(400, code, `${error.message} (${error.property})`);
      }
      throw error;
    }
  }
}

function stored(instant: string, zoneName: string): ReadTime {
  const at = Date.parse(instant);
  return { instant: at, timeZone: zoneName, wall: toWall(at, zoneOf(zoneName)) };
}

/** A series whose start moved keeps its pattern; its range starts on the new date. */
function moveRange(rec: NonNullable<SandboxGraphEvent['recurrence']>, start: ReadTime): unknown {
  return { pattern: rec.pattern, range: { ...rec.range, startDate: start.wall.slice(0, 10) } };
}

function newChangeKey(): string {
  return randomBytes(16).toString('base64');
}

function readProperties(value: unknown, previous: Record<string, string>): Record<string, string> {
  if (value === undefined) return previous;
  if (!Array.isArray(value)) throw invalid('singleValueExtendedProperties must be a list.');
  const out = { ...previous };
  for (const p of value as Array<{ id?: unknown; value?: unknown }>) {
    if (typeof p?.id !== 'string' || typeof p.value !== 'string') {
      throw new GraphInputError(
        400,
        'ErrorInvalidRequest',
        'singleValueExtendedProperties need id and value.',
      );
    }
    out[p.id] = p.value;
  }
  return out;
}

function checkTimes(start: ReadTime, end: ReadTime, isAllDay: boolean): void {
  if (isAllDay) {
    const midnight = (w: string): boolean => w.endsWith('T00:00:00');
    if (!midnight(start.wall) || !midnight(end.wall) || start.timeZone !== end.timeZone) {
      throw invalid("An all-day event's start and end must be midnight in the same time zone.");
    }
  }
  if (end.instant < start.instant) throw invalid('The end is before the start.');
}
