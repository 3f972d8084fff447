/**
 * The managed fields of an event (docs/sync.md, "Drift"): what a sync compares and what the `Written`
 * stamp hashes. The same canonical form is computed from the caller's event (before writing it) and
 * from Graph's answer (when reading it back), so Graph's own normalisations — an HTML document wrapped
 * around a body, another offset for the same instant, attendee addresses in another case, a recurrence
 * with its defaults spelled out — never count as a change, and a person's edit in Outlook always does.
 * Pure.
 *
 * Fields the caller leaves to Graph's defaults (reminder, show as, importance, sensitivity when absent)
 * are not managed for that event: the `Written` stamp names the fields it covers (`mask:hash`), so the
 * current event is hashed over exactly those fields.
 */
import { createHash } from 'node:crypto';
import type { Recurrence } from '../model/recurrence';
import { fromGraphEvent, storedTimes } from '../mapping';
import { isoInstant, parseDate, parseInstant } from '../time';
import type { NormalizedEvent } from '../validate';

export const MANAGED_FIELDS = [
  'subject',
  'start',
  'end',
  'time_zone',
  'all_day',
  'body',
  'location',
  'attendees',
  'recurrence',
  'categories',
  'online_meeting',
  'reminder_minutes',
  'show_as',
  'importance',
  'sensitivity',
] as const;
export type ManagedField = (typeof MANAGED_FIELDS)[number];
/** Canonical values; a field absent from a desired view is left to Graph (not managed). */
export type ManagedView = Partial<Record<ManagedField, string>>;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/**
 * A body as plain text with whitespace collapsed. HTML loses its head, styles, scripts, comments and
 * tags (Graph wraps an HTML body in `<html><head><meta …><style>…</style></head><body>…`), and its
 * character references, named and numeric, are decoded; text is only collapsed (a `<` in text is text).
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

/** A recurrence with its defaults spelled out and its lists sorted. */
export function recurrenceText(rec: Recurrence | null | undefined): string {
  if (!rec) return '';
  const days = rec.days_of_week ? [...rec.days_of_week].sort().join(',') : '';
  return JSON.stringify([
    rec.pattern,
    rec.interval ?? 1,
    days,
    rec.pattern === 'weekly' ? (rec.first_day_of_week ?? 'sunday') : '',
    rec.day_of_month ?? '',
    rec.month ?? '',
    rec.index ?? '',
    rec.until ?? '',
    rec.count ?? '',
  ]);
}

const list = (items: readonly string[]): string => [...items].sort().join(';');

function times(all_day: boolean, start: string, end: string): { start: string; end: string } {
  return all_day
    ? {
        start: isoInstant(parseDate(start, 'start')).slice(0, 10),
        end: isoInstant(parseDate(end, 'end')).slice(0, 10),
      }
    : { start: isoInstant(parseInstant(start, 'start')), end: isoInstant(parseInstant(end, 'end')) };
}

/** The caller's event in canonical form; fields it leaves to Graph are absent. */
export function desiredView(event: NormalizedEvent): ManagedView {
  return {
    subject: event.subject.trim(),
    ...times(event.all_day, event.start, event.end),
    time_zone: event.time_zone,
    all_day: String(event.all_day),
    body: bodyText(event.body, event.body_type),
    location: event.location?.trim() ?? '',
    attendees: list(event.attendees.map((a) => `${a.email.toLowerCase()}:${a.type}`)),
    recurrence: recurrenceText(event.recurrence),
    categories: list(event.categories),
    online_meeting: String(event.online_meeting),
    ...(event.reminder_minutes !== undefined ? { reminder_minutes: String(event.reminder_minutes) } : {}),
    ...(event.show_as !== undefined ? { show_as: event.show_as } : {}),
    ...(event.importance !== undefined ? { importance: event.importance } : {}),
    ...(event.sensitivity !== undefined ? { sensitivity: event.sensitivity } : {}),
  };
}

/** Graph's event (read with `body` and the timetable fields) in canonical form, every field. */
export function currentView(raw: Record<string, unknown>): Required<ManagedView> {
  const event = fromGraphEvent(raw);
  const stored = event.all_day && event.start && event.end ? storedTimes(event) : event;
  return {
    subject: event.subject.trim(),
    start: stored.start,
    end: stored.end,
    time_zone: event.time_zone,
    all_day: String(event.all_day),
    body: bodyText(event.body, event.body_type),
    location: event.location?.trim() ?? '',
    attendees: list(event.attendees.map((a) => `${a.email.toLowerCase()}:${a.type}`)),
    recurrence: recurrenceText(event.recurrence),
    categories: list(event.categories),
    online_meeting: String(raw.isOnlineMeeting === true),
    reminder_minutes: String(event.reminder_minutes),
    show_as: event.show_as ?? '',
    importance: event.importance ?? '',
    sensitivity: event.sensitivity ?? '',
  };
}

/** The `Written` stamp of a view: the fields it covers (by position) and their hash. */
export function writtenStamp(view: ManagedView): string {
  const fields = MANAGED_FIELDS.filter((f) => view[f] !== undefined);
  const mask = fields.map((f) => MANAGED_FIELDS.indexOf(f).toString(36)).join('');
  const hash = createHash('sha256')
    .update(JSON.stringify(fields.map((f) => view[f])))
    .digest('base64url');
  return `${mask}:${hash}`;
}

/** The fields a `Written` stamp covers (every field when the stamp is absent or unreadable). */
export function fieldsOf(written: string | undefined): ManagedField[] {
  const mask = written?.split(':')[0];
  if (!mask || !/^[0-9a-z]+$/.test(mask)) return [...MANAGED_FIELDS];
  return [...mask]
    .map((c) => MANAGED_FIELDS[parseInt(c, 36)])
    .filter((f): f is ManagedField => f !== undefined);
}

/** The current event's stamp over the fields `written` covers: equal to `written` unless it drifted. */
export function currentStamp(current: Required<ManagedView>, written: string | undefined): string {
  const fields = new Set(fieldsOf(written));
  const view: ManagedView = {};
  for (const f of MANAGED_FIELDS) if (fields.has(f)) view[f] = current[f];
  return writtenStamp(view);
}

/** The managed fields the caller gave whose canonical values differ, in a fixed order. */
export function diffViews(desired: ManagedView, current: Required<ManagedView>): ManagedField[] {
  return MANAGED_FIELDS.filter((f) => desired[f] !== undefined && desired[f] !== current[f]);
}
