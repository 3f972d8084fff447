/**
 * The managed fields of an event (docs/sync.md, "Drift"): what a sync compares and what the `Written`
 * stamp hashes. The same canonical form is computed from the caller's event (before writing it) and
 * from Graph's answer (when reading it back), so Graph's own normalisations — an HTML document wrapped
 * around a body, an offset written as another offset of the same instant, attendee addresses in another
 * case — never count as a change, and a person's edit in Outlook always does. Pure.
 *
 * (The model room's `managedFieldsHash`/`diffManagedFields` will cover the timetable fields; until the
 * calendar room maps them, these are the fields it maps: subject, times, zone, all day, body, location,
 * attendees.)
 */
import { createHash } from 'node:crypto';
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
] as const;
export type ManagedField = (typeof MANAGED_FIELDS)[number];
export type ManagedView = Record<ManagedField, string>;

const ENTITIES: Record<string, string> = {
  nbsp: ' ',
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  '#39': "'",
};

/** A body as its words: tags dropped, entities decoded, whitespace collapsed (HTML and text alike). */
export function bodyText(content: string | undefined, type: string | undefined): string {
  if (!content) return '';
  let text = content;
  if ((type ?? 'text').toLowerCase() === 'html') {
    text = text
      .replace(/<(head|style|script)[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<[^>]*>/g, ' ')
      .replace(
        /&(nbsp|amp|lt|gt|quot|apos|#39);/gi,
        (_, name: string) => ENTITIES[name.toLowerCase()] ?? ' ',
      );
  }
  return text.replace(/\s+/g, ' ').trim();
}

const times = (all_day: boolean, start: string, end: string): { start: string; end: string } =>
  all_day
    ? {
        start: isoInstant(parseDate(start, 'start')).slice(0, 10),
        end: isoInstant(parseDate(end, 'end')).slice(0, 10),
      }
    : { start: isoInstant(parseInstant(start, 'start')), end: isoInstant(parseInstant(end, 'end')) };

/** The caller's event in canonical form. */
export function desiredView(event: NormalizedEvent): ManagedView {
  return {
    subject: event.subject.trim(),
    ...times(event.all_day, event.start, event.end),
    time_zone: event.time_zone,
    all_day: String(event.all_day),
    body: bodyText(event.body, event.body_type),
    location: event.location?.trim() ?? '',
    attendees: [...event.attendees]
      .map((a) => a.toLowerCase())
      .sort()
      .join(';'),
  };
}

/** Graph's event (read with `body`) in canonical form. */
export function currentView(raw: Record<string, unknown>): ManagedView {
  const event = fromGraphEvent(raw);
  const stored = event.start && event.end ? storedTimes(event) : { start: '', end: '' };
  const body = raw.body as { content?: unknown; contentType?: unknown } | undefined;
  return {
    subject: event.subject.trim(),
    start: event.all_day ? stored.start : event.start,
    end: event.all_day ? stored.end : event.end,
    time_zone: event.time_zone,
    all_day: String(event.all_day),
    body: bodyText(
      typeof body?.content === 'string' ? body.content : undefined,
      typeof body?.contentType === 'string' ? body.contentType : undefined,
    ),
    location: event.location?.trim() ?? '',
    attendees: event.attendees
      .map((a) => a.toLowerCase())
      .sort()
      .join(';'),
  };
}

/** The `Written` stamp's value: a hash of the canonical managed fields. */
export function managedHash(view: ManagedView): string {
  return createHash('sha256')
    .update(JSON.stringify(MANAGED_FIELDS.map((f) => view[f])))
    .digest('base64url');
}

/** The managed fields whose canonical values differ, in a fixed order. */
export function diffViews(desired: ManagedView, current: ManagedView): ManagedField[] {
  return MANAGED_FIELDS.filter((f) => desired[f] !== current[f]);
}
