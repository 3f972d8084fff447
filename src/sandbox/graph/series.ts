/**
 * Events as Graph shows them (docs/sandbox.md, "Recurring series"): a stored single event or series
 * master, and the occurrences and exceptions a master expands into. Occurrences are not stored: they
 * are computed from the pattern in the series' wall-clock zone, so a weekly 09:00 Europe/Berlin series
 * stays at 09:00 local across daylight saving. An exception is an occurrence with its own values.
 */
import type { EventFields } from './eventFields';
import { dateOf, dayNumber, occurrenceDays, type Recurrence } from './recurrence';
import { fromWall, rulesOf, toWall } from './timeZones';

export type EventType = 'singleInstance' | 'seriesMaster' | 'occurrence' | 'exception';

/** What an exception changes of its occurrence. */
export interface OccurrenceOverride {
  start: string;
  end: string;
  startZone: string;
  endZone: string;
  fields: Partial<EventFields>;
  properties?: Record<string, string>;
  changeKey: string;
  lastModifiedDateTime: string;
}

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
  /** The organizer's address (the creator's `upn`, or the person of a person's own meeting). */
  organizer: string;
  organizerName: string | null;
  type: 'singleInstance' | 'seriesMaster';
  /** The writable fields as stored (subject, body, attendees, categories, …). */
  fields: EventFields;
  /** The zones as given (Windows or IANA names), echoed as originalStart/EndTimeZone. */
  startZone: string;
  endZone: string;
  recurrence: Recurrence | null;
  /** Exceptions by their occurrence's original date (YYYY-MM-DD, series zone). */
  exceptions: Record<string, OccurrenceOverride>;
  /** Occurrences deleted or cancelled on their own (original dates). */
  removedOccurrences: string[];
  changeKey: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
}

/** One event as answered: a stored event, or an occurrence / exception of a stored series. */
export interface EventView {
  id: string;
  type: EventType;
  event: SandboxGraphEvent;
  /** The occurrence's original date, for occurrences and exceptions. */
  date: string | null;
  originalStart: string | null;
  start: string;
  end: string;
  startZone: string;
  endZone: string;
  fields: EventFields;
  properties: Record<string, string>;
  changeKey: string;
  lastModifiedDateTime: string;
}

const OCCURRENCE_ID = /^(AAMkAG[A-Za-z0-9_-]{64})AQ(\d{4})(\d{2})(\d{2})=$/;

export function occurrenceId(masterId: string, date: string): string {
  return `${masterId.slice(0, -1)}AQ${date.replace(/-/g, '')}=`;
}

/** The master id and original date an occurrence id stands for. */
export function parseOccurrenceId(id: string): { masterId: string; date: string } | undefined {
  const m = OCCURRENCE_ID.exec(id);
  return m ? { masterId: `${m[1]}=`, date: `${m[2]}-${m[3]}-${m[4]}` } : undefined;
}

export function zoneOf(name: string): string {
  return rulesOf(name);
}

export function viewOf(event: SandboxGraphEvent): EventView {
  return {
    id: event.id,
    type: event.type,
    event,
    date: null,
    originalStart: null,
    start: event.start,
    end: event.end,
    startZone: event.startZone,
    endZone: event.endZone,
    fields: event.fields,
    properties: event.properties,
    changeKey: event.changeKey,
    lastModifiedDateTime: event.lastModifiedDateTime,
  };
}

/** Where the occurrence on `date` starts and ends, by the master's wall clock. */
function occurrenceTimes(master: SandboxGraphEvent, day: number): { start: number; end: number } {
  const sz = zoneOf(master.startZone);
  const ez = zoneOf(master.endZone);
  const startWall = toWall(Date.parse(master.start), sz);
  const endWall = toWall(Date.parse(master.end), ez);
  const span = dayNumber(endWall.slice(0, 10))! - dayNumber(startWall.slice(0, 10))!;
  return {
    start: fromWall(`${dateOf(day)}${startWall.slice(10)}`, sz),
    end: fromWall(`${dateOf(day + span)}${endWall.slice(10)}`, ez),
  };
}

export function occurrenceView(master: SandboxGraphEvent, day: number): EventView {
  const date = dateOf(day);
  const times = occurrenceTimes(master, day);
  const override = master.exceptions[date];
  const base = {
    id: occurrenceId(master.id, date),
    event: master,
    date,
    originalStart: new Date(times.start).toISOString(),
  };
  if (!override) {
    return {
      ...base,
      type: 'occurrence',
      start: new Date(times.start).toISOString(),
      end: new Date(times.end).toISOString(),
      startZone: master.startZone,
      endZone: master.endZone,
      fields: master.fields,
      properties: master.properties,
      changeKey: master.changeKey,
      lastModifiedDateTime: master.lastModifiedDateTime,
    };
  }
  return {
    ...base,
    type: 'exception',
    start: override.start,
    end: override.end,
    startZone: override.startZone,
    endZone: override.endZone,
    fields: { ...master.fields, ...override.fields },
    properties: override.properties ?? master.properties,
    changeKey: override.changeKey,
    lastModifiedDateTime: override.lastModifiedDateTime,
  };
}

/** The series' occurrence days up to `untilDay`, deleted and cancelled ones left out. */
export function liveDays(master: SandboxGraphEvent, untilDay: number): number[] {
  if (!master.recurrence) return [];
  const removed = new Set(master.removedOccurrences);
  return occurrenceDays(master.recurrence, untilDay).filter((d) => !removed.has(dateOf(d)));
}

/** The occurrence or exception with this id, if the series has it. */
export function findOccurrence(master: SandboxGraphEvent, date: string): EventView | undefined {
  const day = dayNumber(date);
  if (day === undefined || !master.recurrence) return undefined;
  return liveDays(master, day).includes(day) ? occurrenceView(master, day) : undefined;
}

/** Occurrences and exceptions of a series overlapping [from, to), by start. */
export function instancesOf(master: SandboxGraphEvent, from: number, to: number): EventView[] {
  // Two days of slack: the window is in instants, the days are the series zone's.
  const untilDay = Math.floor(to / 86_400_000) + 2;
  const days = liveDays(master, untilDay);
  // An exception moved into the window from an original date after it (never past its neighbour).
  for (const [date, o] of Object.entries(master.exceptions)) {
    const day = dayNumber(date)!;
    if (day > untilDay && Date.parse(o.start) < to) days.push(day);
  }
  return days
    .map((d) => occurrenceView(master, d))
    .filter((v) => Date.parse(v.start) < to && Date.parse(v.end) > from)
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
}

/**
 * Outlook keeps an exception between its neighbours: moving an occurrence onto or past the day of the
 * previous or next occurrence is refused (400 ErrorOccurrenceCrossingBoundary, documented on update
 * event). Returns whether `newStart` keeps the occurrence of `date` in its place.
 */
export function staysBetweenNeighbours(master: SandboxGraphEvent, date: string, newStart: number): boolean {
  const day = dayNumber(date)!;
  const all = occurrenceDays(master.recurrence!, day + 3660);
  const i = all.indexOf(day);
  const newDay = dayNumber(toWall(newStart, zoneOf(master.startZone)).slice(0, 10))!;
  const previous = i > 0 ? all[i - 1] : undefined;
  const next = all[i + 1];
  return (previous === undefined || newDay > previous) && (next === undefined || newDay < next);
}
