/**
 * The timetable fields of docs/events.md besides recurrence — attendees with a type, categories, reminder, show
 * as, importance, sensitivity, Teams meeting — as schemas and as Graph's event properties both ways
 * (docs/calendar-model.md, "Fields"). Pure.
 */
import { z } from 'zod';

export const MAX_ATTENDEES = 500;
/** Graph documents no limit; a timetable needs a handful, and 25 keeps a bad import from tagging wildly. */
export const MAX_CATEGORIES = 25;
export const MAX_CATEGORY_CHARS = 255;
/** Exchange's own ceiling (MS-OXWSCORE ReminderMinutesBeforeStartType: 0–2 629 800, about five years). */
export const MAX_REMINDER_MINUTES = 2_629_800;

export const ATTENDEE_TYPES = ['required', 'optional', 'resource'] as const;
export type AttendeeType = (typeof ATTENDEE_TYPES)[number];
export const SHOW_AS = ['free', 'tentative', 'busy', 'oof', 'working_elsewhere'] as const;
export type ShowAs = (typeof SHOW_AS)[number];
export const IMPORTANCE = ['low', 'normal', 'high'] as const;
export type Importance = (typeof IMPORTANCE)[number];
export const SENSITIVITY = ['normal', 'personal', 'private', 'confidential'] as const;
export type Sensitivity = (typeof SENSITIVITY)[number];
export const RESPONSES = [
  'none',
  'organizer',
  'accepted',
  'tentatively_accepted',
  'declined',
  'not_responded',
] as const;
export type AttendeeResponse = (typeof RESPONSES)[number];
export const EVENT_TYPES = ['single', 'series_master', 'occurrence', 'exception'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An attendee as normalised: the address lower-cased, the type filled (`required`). */
export interface Attendee {
  email: string;
  name?: string;
  type: AttendeeType;
}

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });

const email = z.email({ error: 'must be an e-mail address' }).max(320);
const attendeeObject = z.strictObject({
  email,
  name: z.string().trim().min(1).max(255).optional(),
  type: oneOf(ATTENDEE_TYPES).optional(),
});

/**
 * The problems of the one form the input has (an address, or an object), rather than zod's "Invalid
 * input" for a union: `type: must be one of required, optional, resource`.
 */
function attendeeError(issue: {
  input?: unknown;
  errors?: { path: PropertyKey[]; message: string }[][];
}): string {
  const isObject = typeof issue.input === 'object' && issue.input !== null && !Array.isArray(issue.input);
  const problems = issue.errors?.[isObject ? 1 : 0] ?? [];
  const text = problems.map((p) => (p.path.length ? `${p.path.map(String).join('.')}: ` : '') + p.message);
  return text.length ? text.join('; ') : 'must be an e-mail address or { email, name?, type? }';
}

/** An address or `{ email, name?, type? }`, normalised to `{ email (lower case), name?, type }`. */
export const attendeeSchema = z
  .union([email, attendeeObject], { error: attendeeError })
  .transform((a): Attendee => {
    if (typeof a === 'string') return { email: a.toLowerCase(), type: 'required' };
    return { email: a.email.toLowerCase(), ...(a.name ? { name: a.name } : {}), type: a.type ?? 'required' };
  });

/** Attendees; an address given twice (in any letter case) is a problem on the second. */
export const attendeesSchema = z
  .array(attendeeSchema)
  .max(MAX_ATTENDEES)
  .superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((a, i) => {
      const first = seen.get(a.email);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [i, 'email'], message: `${a.email} is also attendee ${first}` });
      } else seen.set(a.email, i);
    });
  });

/**
 * Categories: 1–255 characters each, at most 25, none twice (Outlook compares them without case), and
 * no `,` or `;` — Outlook separates category names with them, and the CSV column with `;`.
 */
export const categoriesSchema = z
  .array(
    z
      .string()
      .trim()
      .min(1)
      .max(MAX_CATEGORY_CHARS)
      .refine((c) => !/[,;]/.test(c), 'must not contain , or ;'),
  )
  .max(MAX_CATEGORIES)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((c, i) => {
      if (seen.has(c.toLowerCase()))
        ctx.addIssue({ code: 'custom', path: [i], message: `"${c}" is given twice` });
      seen.add(c.toLowerCase());
    });
  });

/** Minutes before the start; `null` turns the reminder off. */
export const reminderMinutesSchema = z.number().int().min(0).max(MAX_REMINDER_MINUTES).nullable();
export const showAsSchema = oneOf(SHOW_AS);
export const importanceSchema = oneOf(IMPORTANCE);
export const sensitivitySchema = oneOf(SENSITIVITY);
export const onlineMeetingSchema = z
  .boolean()
  .describe('A Teams meeting: its join URL comes back as online_meeting_url.');

/** The timetable fields an event body may carry (all optional; PATCH takes any subset). */
export const timetableFieldsShape = {
  attendees: attendeesSchema.optional(),
  categories: categoriesSchema.optional(),
  reminder_minutes: reminderMinutesSchema.optional(),
  show_as: showAsSchema.optional(),
  importance: importanceSchema.optional(),
  sensitivity: sensitivitySchema.optional(),
  online_meeting: onlineMeetingSchema.optional(),
};

export interface TimetableFields {
  attendees?: Attendee[];
  categories?: string[];
  reminder_minutes?: number | null;
  show_as?: ShowAs;
  importance?: Importance;
  sensitivity?: Sensitivity;
  online_meeting?: boolean;
}

// --- Graph ------------------------------------------------------------------------------------------

const GRAPH_SHOW_AS: Record<ShowAs, string> = {
  free: 'free',
  tentative: 'tentative',
  busy: 'busy',
  oof: 'oof',
  working_elsewhere: 'workingElsewhere',
};
const GRAPH_RESPONSE: Record<AttendeeResponse, string> = {
  none: 'none',
  organizer: 'organizer',
  accepted: 'accepted',
  tentatively_accepted: 'tentativelyAccepted',
  declined: 'declined',
  not_responded: 'notResponded',
};
const GRAPH_EVENT_TYPE: Record<EventType, string> = {
  single: 'singleInstance',
  series_master: 'seriesMaster',
  occurrence: 'occurrence',
  exception: 'exception',
};

/** Graph's spelling → ours, compared without case (Graph's enums are camelCase, docs vary). */
function reverse<T extends string>(
  map: Record<T, string>,
): (graph: string | null | undefined) => T | undefined {
  const back = new Map(
    Object.entries(map).map(([ours, graph]) => [(graph as string).toLowerCase(), ours as T]),
  );
  return (graph) => (graph ? back.get(graph.toLowerCase()) : undefined);
}

export const toGraphShowAs = (value: ShowAs): string => GRAPH_SHOW_AS[value];
/** Graph's `showAs`; `unknown` (and anything else) → undefined. */
export const fromGraphShowAs = reverse(GRAPH_SHOW_AS);
export const toGraphResponse = (value: AttendeeResponse): string => GRAPH_RESPONSE[value];
/** Graph's `status.response` → ours; a missing one is `none`. */
export const fromGraphResponse = (graph: string | null | undefined): AttendeeResponse =>
  reverse(GRAPH_RESPONSE)(graph) ?? 'none';
export const toGraphEventType = (value: EventType): string => GRAPH_EVENT_TYPE[value];
/** Graph's `type` → ours; a missing one is `single`. */
export const fromGraphEventType = (graph: string | null | undefined): EventType =>
  reverse(GRAPH_EVENT_TYPE)(graph) ?? 'single';

export interface GraphAttendee {
  emailAddress: { address: string; name?: string };
  type: AttendeeType;
}

export function toGraphAttendees(attendees: readonly Attendee[]): GraphAttendee[] {
  return attendees.map((a) => ({
    emailAddress: { address: a.email, ...(a.name ? { name: a.name } : {}) },
    type: a.type,
  }));
}

/** What Graph answers for an attendee (loosely typed: Graph fills or omits freely). */
export interface GraphAttendeeRead {
  emailAddress?: { address?: string | null; name?: string | null } | null;
  type?: string | null;
  status?: { response?: string | null; time?: string | null } | null;
}

export interface AttendeeRead {
  email: string;
  name: string | null;
  type: AttendeeType;
  response: AttendeeResponse;
}

/** Graph's attendees as docs/events.md returns them; an entry without an address is left out. */
export function fromGraphAttendees(graph: readonly GraphAttendeeRead[] | null | undefined): AttendeeRead[] {
  return (graph ?? []).flatMap((a) => {
    const address = a.emailAddress?.address;
    if (!address) return [];
    const type = (ATTENDEE_TYPES as readonly string[]).includes(a.type?.toLowerCase() ?? '')
      ? (a.type!.toLowerCase() as AttendeeType)
      : 'required';
    return [
      {
        email: address.toLowerCase(),
        name: a.emailAddress?.name || null,
        type,
        response: fromGraphResponse(a.status?.response),
      },
    ];
  });
}

/**
 * Graph's properties for the timetable fields given (a create body or a PATCH): only those present are
 * written. `online_meeting: true` asks for a Teams meeting (`onlineMeetingProvider: teamsForBusiness`);
 * `reminder_minutes: null` turns the reminder off.
 */
export function toGraphTimetableFields(fields: TimetableFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (fields.attendees !== undefined) out.attendees = toGraphAttendees(fields.attendees);
  if (fields.categories !== undefined) out.categories = [...fields.categories];
  if (fields.reminder_minutes !== undefined) {
    out.isReminderOn = fields.reminder_minutes !== null;
    if (fields.reminder_minutes !== null) out.reminderMinutesBeforeStart = fields.reminder_minutes;
  }
  if (fields.show_as !== undefined) out.showAs = toGraphShowAs(fields.show_as);
  if (fields.importance !== undefined) out.importance = fields.importance;
  if (fields.sensitivity !== undefined) out.sensitivity = fields.sensitivity;
  if (fields.online_meeting !== undefined) {
    out.isOnlineMeeting = fields.online_meeting;
    if (fields.online_meeting) out.onlineMeetingProvider = 'teamsForBusiness';
  }
  return out;
}

/** The part of Graph's event these fields come from. */
export interface GraphTimetableRead {
  attendees?: readonly GraphAttendeeRead[] | null;
  categories?: readonly string[] | null;
  isReminderOn?: boolean | null;
  reminderMinutesBeforeStart?: number | null;
  showAs?: string | null;
  importance?: string | null;
  sensitivity?: string | null;
  isOnlineMeeting?: boolean | null;
  onlineMeeting?: { joinUrl?: string | null } | null;
  type?: string | null;
  seriesMasterId?: string | null;
  isCancelled?: boolean | null;
}

export interface TimetableFieldsRead {
  attendees: AttendeeRead[];
  categories: string[];
  reminder_minutes: number | null;
  show_as: ShowAs | null;
  importance: Importance | null;
  sensitivity: Sensitivity | null;
  online_meeting: boolean;
  online_meeting_url: string | null;
  type: EventType;
  series_id: string | null;
  is_cancelled: boolean;
}

const member = <T extends string>(values: readonly T[], v: string | null | undefined): T | null =>
  values.find((x) => x === v?.toLowerCase()) ?? null;

/** The docs/events.md response fields of Graph's event (those besides subject, times, body and location). */
export function fromGraphTimetableFields(graph: GraphTimetableRead): TimetableFieldsRead {
  return {
    attendees: fromGraphAttendees(graph.attendees),
    categories: [...(graph.categories ?? [])],
    reminder_minutes: graph.isReminderOn === false ? null : (graph.reminderMinutesBeforeStart ?? null),
    show_as: fromGraphShowAs(graph.showAs) ?? null,
    importance: member(IMPORTANCE, graph.importance),
    sensitivity: member(SENSITIVITY, graph.sensitivity),
    online_meeting: graph.isOnlineMeeting === true,
    online_meeting_url: graph.onlineMeeting?.joinUrl ?? null,
    type: fromGraphEventType(graph.type),
    series_id: graph.seriesMasterId ?? null,
    is_cancelled: graph.isCancelled === true,
  };
}
