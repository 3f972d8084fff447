/**
 * What an event must look like (docs/events.md): one zod schema for the library, the HTTP API (which
 * reuses it, so OpenAPI documents it) and the CLI's import. Pure: no I/O.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ERRORS, GraphTokenError } from '../errors';
import type { GroupEventInput } from '../types';
import {
  timetableFieldsShape,
  type Attendee,
  type Importance,
  type Sensitivity,
  type ShowAs,
} from './model/fields';
import { checkRecurrence, normalizeRecurrence, recurrenceSchema, type Recurrence } from './model/recurrence';
import { isSupportedTimeZone } from './model/timeZones';
import { isKnownTimeZone, parseDate, parseInstant } from './time';

export { MAX_ATTENDEES, MAX_CATEGORIES, MAX_REMINDER_MINUTES } from './model/fields';
export const MAX_BODY_CHARS = 60_000;
export const MAX_BULK_EVENTS = 1000;

const subject = z.string().trim().min(1).max(255);
const when = z
  .string()
  .max(40)
  .describe('ISO 8601 instant with an offset (`Z` or `±hh:mm`); with `all_day`, a date `YYYY-MM-DD`.');
const timeZone = z
  .string()
  .refine(isKnownTimeZone, 'must be an IANA time zone name, e.g. Europe/Amsterdam')
  .refine(
    (zone) => !isKnownTimeZone(zone) || isSupportedTimeZone(zone),
    'has no form Microsoft Graph documents for events (neither on its IANA list nor a Windows zone in CLDR); choose a nearby zone',
  )
  .describe('IANA time zone name the event is shown in (sent to Graph in a form it documents).');
const allDay = z.boolean().describe('All-day event: `start`/`end` are dates, `end` exclusive.');
const body = z.string().max(MAX_BODY_CHARS);
const bodyType = z.enum(['html', 'text'], { error: 'must be html or text' });
const location = z.string().trim().min(1).max(255);

/** Checks `start`/`end` against `all_day` and each other; reports each problem on its field. */
function checkTimes(
  event: { start?: string; end?: string; all_day?: boolean },
  ctx: z.core.$RefinementCtx,
): void {
  const parse = (field: 'start' | 'end'): number | undefined => {
    const value = event[field];
    if (value === undefined) return undefined;
    try {
      return event.all_day ? parseDate(value, field) : parseInstant(value, field);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: (error as Error).message.replace(/^\w+: /, ''),
      });
      return undefined;
    }
  };
  const start = parse('start');
  const end = parse('end');
  if (start !== undefined && end !== undefined && end <= start) {
    ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
  }
}

/** A series' problems with its start (the model's checks): each on the field it names. */
function checkSeries(
  event: {
    start?: string;
    time_zone?: string;
    all_day?: boolean;
    recurrence?: Recurrence | null;
  },
  ctx: z.core.$RefinementCtx,
): void {
  if (!event.recurrence || event.start === undefined || event.time_zone === undefined) return;
  for (const problem of checkRecurrence(event.recurrence, {
    start: event.start,
    time_zone: event.time_zone,
    ...(event.all_day !== undefined ? { all_day: event.all_day } : {}),
  })) {
    ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  }
}

/** Body, location and the timetable fields of the model (attendees normalised to `{ email, name?, type }`). */
const fields = {
  body: body.optional(),
  location: location.optional(),
  ...timetableFieldsShape,
};

/** A new event; defaults applied (`time_zone` UTC, `body_type` text). */
export const groupEventSchema = z
  .strictObject({
    subject,
    start: when,
    end: when,
    time_zone: timeZone.default('UTC'),
    all_day: allDay.optional(),
    body_type: bodyType.default('text'),
    recurrence: recurrenceSchema.optional(),
    ...fields,
  })
  .superRefine((event, ctx) => {
    checkTimes(event, ctx);
    checkSeries(event, ctx);
  });

/**
 * A partial event for `PATCH`; times are checked together with the stored event's. `recurrence` may be
 * changed on a series master only (Graph keeps an occurrence's pattern on its master).
 */
export const groupEventPatchSchema = z
  .strictObject({
    subject: subject.optional(),
    start: when.optional(),
    end: when.optional(),
    time_zone: timeZone.optional(),
    all_day: allDay.optional(),
    body_type: bodyType.optional(),
    recurrence: recurrenceSchema.nullable().optional(),
    ...fields,
  })
  .superRefine(checkTimes);

export type NormalizedAttendee = Attendee;

/** An event with every default applied: what is sent, fingerprinted and compared. */
export interface NormalizedEvent {
  subject: string;
  start: string;
  end: string;
  time_zone: string;
  all_day: boolean;
  body?: string;
  body_type: 'html' | 'text';
  location?: string;
  attendees: NormalizedAttendee[];
  recurrence?: Recurrence;
  online_meeting: boolean;
  categories: string[];
  /** Absent: Graph's default reminder; null: none. */
  reminder_minutes?: number | null;
  show_as?: ShowAs;
  importance?: Importance;
  sensitivity?: Sensitivity;
}

function describe(issues: readonly z.core.$ZodIssue[], where: string): string {
  return issues
    .slice(0, 10)
    .map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      const location = `${where}${path}`.replace(/^\./, '') || 'event';
      if (issue.code === 'unrecognized_keys')
        return `${location}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k.slice(0, 64)}"`).join(', ')}`;
      return `${location}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * Validates and normalizes an event: `INVALID_REQUEST` naming every offending field (`where` prefixes
 * the field names, e.g. `events[3]`).
 */
export function normalizeEvent(input: unknown, where = ''): NormalizedEvent {
  const parsed = groupEventSchema.safeParse(input);
  if (!parsed.success)
    throw new GraphTokenError(ERRORS.INVALID_REQUEST, describe(parsed.error.issues, where));
  const e = parsed.data;
  return {
    subject: e.subject,
    start: e.start,
    end: e.end,
    time_zone: e.time_zone,
    all_day: e.all_day ?? false,
    ...(e.body !== undefined ? { body: e.body } : {}),
    body_type: e.body_type,
    ...(e.location !== undefined ? { location: e.location } : {}),
    attendees: e.attendees ?? [],
    ...(e.recurrence !== undefined ? { recurrence: normalizeRecurrence(e.recurrence) } : {}),
    online_meeting: e.online_meeting ?? false,
    categories: e.categories ?? [],
    ...(e.reminder_minutes !== undefined ? { reminder_minutes: e.reminder_minutes } : {}),
    ...(e.show_as !== undefined ? { show_as: e.show_as } : {}),
    ...(e.importance !== undefined ? { importance: e.importance } : {}),
    ...(e.sensitivity !== undefined ? { sensitivity: e.sensitivity } : {}),
  };
}

/** A patch as the schema leaves it: attendees already normalised (lower-cased, typed). */
export type ParsedPatch = z.output<typeof groupEventPatchSchema>;

export function parsePatch(input: unknown): ParsedPatch {
  const parsed = groupEventPatchSchema.safeParse(input);
  if (!parsed.success) throw new GraphTokenError(ERRORS.INVALID_REQUEST, describe(parsed.error.issues, ''));
  return parsed.data;
}

/**
 * A stable digest of what the event means, after defaults: the same key with the same fingerprint is a
 * repeat, with another fingerprint a reuse (`IDEMPOTENCY_KEY_REUSED`). Instants compare as instants, so
 * `09:00+01:00` and `08:00Z` are the same request.
 */
export function fingerprint(event: NormalizedEvent): string {
  const times = event.all_day
    ? [event.start, event.end]
    : [parseInstant(event.start), parseInstant(event.end, 'end')];
  const canonical = JSON.stringify([
    event.subject,
    times,
    event.time_zone,
    event.all_day,
    event.body ?? null,
    event.body_type,
    event.location ?? null,
    event.attendees.map((a) => [a.email, a.name ?? null, a.type]),
    event.recurrence ?? null,
    event.online_meeting,
    event.categories,
    event.reminder_minutes === undefined ? 'default' : event.reminder_minutes,
    event.show_as ?? null,
    event.importance ?? null,
    event.sensitivity ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('base64url');
}

/** Idempotency keys: 1-200 visible ASCII characters (what an HTTP header can carry unharmed). */
export function assertIdempotencyKey(key: string, field = 'Idempotency-Key'): void {
  if (!/^[\x21-\x7e]{1,200}$/.test(key)) {
    throw new GraphTokenError(
      ERRORS.INVALID_REQUEST,
      `${field}: must be 1-200 visible ASCII characters (a UUID is a good key)`,
    );
  }
}

export type { GroupEventInput };
