/**
 * The writable fields of Graph's event resource as the sandbox stores them (docs/sandbox.md, "Event
 * fields"): defaults as Graph fills them in, enum checks with Graph's deserialisation error, attendees
 * with a type and a response status, HTML bodies wrapped in a document as Exchange stores them, and
 * the Teams join URL an online meeting gets.
 */
import { createHash } from 'node:crypto';

export class GraphInputError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const SHOW_AS = ['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown'] as const;
export const IMPORTANCE = ['low', 'normal', 'high'] as const;
export const SENSITIVITY = ['normal', 'personal', 'private', 'confidential'] as const;
export const ATTENDEE_TYPES = ['required', 'optional', 'resource'] as const;
export const RESPONSES = [
  'none',
  'organizer',
  'tentativelyAccepted',
  'accepted',
  'declined',
  'notResponded',
] as const;
const PROVIDERS = ['unknown', 'teamsForBusiness', 'skypeForBusiness', 'skypeForConsumer'] as const;
export const NEVER = '0001-01-01T00:00:00Z';

export interface Attendee {
  emailAddress: { name: string; address: string };
  type: (typeof ATTENDEE_TYPES)[number];
  status: { response: (typeof RESPONSES)[number]; time: string };
}

/** The fields a write may change, as stored (dates and recurrence are kept apart). */
export interface EventFields {
  subject: string;
  body: { contentType: 'html' | 'text'; content: string };
  location: Record<string, unknown>;
  locations: Record<string, unknown>[];
  attendees: Attendee[];
  categories: string[];
  isReminderOn: boolean;
  reminderMinutesBeforeStart: number;
  showAs: (typeof SHOW_AS)[number];
  importance: (typeof IMPORTANCE)[number];
  sensitivity: (typeof SENSITIVITY)[number];
  isOnlineMeeting: boolean;
  onlineMeetingProvider: (typeof PROVIDERS)[number];
  onlineMeeting: { joinUrl: string } | null;
  responseRequested: boolean;
  allowNewTimeProposals: boolean;
  hideAttendees: boolean;
}

export const FIELD_NAMES: ReadonlyArray<keyof EventFields> = [
  'subject',
  'body',
  'location',
  'locations',
  'attendees',
  'categories',
  'isReminderOn',
  'reminderMinutesBeforeStart',
  'showAs',
  'importance',
  'sensitivity',
  'isOnlineMeeting',
  'onlineMeetingProvider',
  'onlineMeeting',
  'responseRequested',
  'allowNewTimeProposals',
  'hideAttendees',
];

export function defaultFields(): EventFields {
  return {
    subject: '',
    body: { contentType: 'text', content: '' },
    location: {
      displayName: '',
      locationType: 'default',
      uniqueIdType: 'unknown',
      address: {},
      coordinates: {},
    },
    locations: [],
    attendees: [],
    categories: [],
    isReminderOn: true,
    reminderMinutesBeforeStart: 15,
    showAs: 'busy',
    importance: 'normal',
    sensitivity: 'normal',
    isOnlineMeeting: false,
    onlineMeetingProvider: 'unknown',
    onlineMeeting: null,
    responseRequested: true,
    allowNewTimeProposals: true,
    hideAttendees: false,
  };
}

/** Graph's answer to a value its OData reader cannot take (an unknown enum member, a wrong type). */
function unreadable(value: unknown): GraphInputError {
  return new GraphInputError(
    400,
    'RequestBodyRead',
    `Requested value '${String(value).slice(0, 60)}' was not found.`,
  );
}

function member<T extends string>(value: unknown, allowed: readonly T[]): T {
  const found = allowed.find((a) => typeof value === 'string' && a.toLowerCase() === value.toLowerCase());
  if (!found) throw unreadable(value);
  return found;
}

function bool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') {
    throw new GraphInputError(
      400,
      'RequestBodyRead',
      `Cannot convert the literal '${String(value)}' of ${field} to Edm.Boolean.`,
    );
  }
  return value;
}

const HTML_HEAD =
  '<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n</head>\r\n<body>\r\n';
const HTML_TAIL = '\r\n</body>\r\n</html>\r\n';

/** Exchange stores an HTML body as a whole document: a fragment is wrapped, a document kept. */
export function wrapHtml(content: string): string {
  return /<html[\s>]/i.test(content) ? content : `${HTML_HEAD}${content}${HTML_TAIL}`;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** The text Graph gives for an HTML body when asked for text: tags gone, line breaks kept, entities decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<head[\s\S]*?<\/head>/gi, '')
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, '')
    .replace(/\r?\n/g, ' ')
    .replace(/<br\s*\/?>/gi, '\r\n')
    .replace(/<\/(p|div|li|h[1-6]|tr)>/gi, '\r\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#\d+|#x[0-9a-f]+|\w+);/gi, (all, e: string) =>
      e.startsWith('#x') || e.startsWith('#X')
        ? String.fromCodePoint(parseInt(e.slice(2), 16))
        : e.startsWith('#')
          ? String.fromCodePoint(Number(e.slice(1)))
          : (ENTITIES[e.toLowerCase()] ?? all),
    )
    .replace(/[ \t]*\r\n[ \t]*/g, '\r\n')
    .replace(/^\s+|\s+$/g, '');
}

/** The HTML Graph gives for a text body: escaped, line breaks as `<br>`, in a document. */
export function textToHtml(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return wrapHtml(`<div>${escaped.replace(/\r?\n/g, '<br>\r\n')}</div>`);
}

/** A Teams join URL in Teams' shape, derived from the event id so that it is stable and unique. */
export function teamsJoinUrl(eventId: string, tenant: string, organizerOid: string): string {
  const meeting = createHash('sha256').update(eventId).digest('base64url').slice(0, 43);
  const context = encodeURIComponent(JSON.stringify({ Tid: tenant, Oid: organizerOid }));
  return `https://teams.microsoft.com/l/meetup-join/19%3ameeting_${meeting}%40thread.v2/0?context=${context}`;
}

function attendees(value: unknown, previous: Attendee[]): Attendee[] {
  if (!Array.isArray(value)) throw unreadable(value);
  return value.map((raw: unknown) => {
    const a = raw as {
      emailAddress?: { address?: unknown; name?: unknown };
      type?: unknown;
      status?: unknown;
    };
    const address = a?.emailAddress?.address;
    if (typeof address !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(address)) {
      throw new GraphInputError(400, 'ErrorInvalidRecipients', "At least one recipient isn't valid.");
    }
    const known = previous.find((p) => p.emailAddress.address.toLowerCase() === address.toLowerCase());
    return {
      emailAddress: {
        name: typeof a.emailAddress?.name === 'string' ? a.emailAddress.name : address,
        address,
      },
      type: a.type === undefined ? 'required' : member(a.type, ATTENDEE_TYPES),
      // A response belongs to the attendee, not to the writer: it survives a PATCH of the list.
      status: known?.status ?? { response: 'none', time: NEVER },
    };
  });
}

/**
 * Applies the fields present in `body` to `fields` (a create starts from the defaults). Read-only
 * fields are ignored as Graph ignores them; once online, a meeting stays online (Graph: "Subsequently
 * Outlook ignores any further changes to isOnlineMeeting").
 */
export function applyFields(fields: EventFields, body: Record<string, unknown>, joinUrl: () => string): void {
  if (body.subject !== undefined) {
    if (typeof body.subject !== 'string') throw unreadable(body.subject);
    fields.subject = body.subject;
  }
  if (body.body !== undefined && body.body !== null) {
    const b = body.body as { contentType?: unknown; content?: unknown };
    const contentType =
      b.contentType === undefined ? 'text' : member(b.contentType, ['text', 'html'] as const);
    const content = typeof b.content === 'string' ? b.content : '';
    fields.body = { contentType, content: contentType === 'html' ? wrapHtml(content) : content };
  }
  if (body.location !== undefined) {
    const l = (body.location ?? {}) as Record<string, unknown>;
    fields.location = { displayName: '', locationType: 'default', uniqueIdType: 'unknown', ...l };
    const name = String(fields.location.displayName ?? '');
    fields.locations = name ? [{ displayName: name, locationType: 'default', uniqueIdType: 'unknown' }] : [];
  }
  if (Array.isArray(body.locations) && body.location === undefined) {
    fields.locations = body.locations as Record<string, unknown>[];
  }
  if (body.attendees !== undefined) fields.attendees = attendees(body.attendees ?? [], fields.attendees);
  if (body.categories !== undefined) {
    if (!Array.isArray(body.categories) || body.categories.some((c) => typeof c !== 'string')) {
      throw unreadable(body.categories);
    }
    fields.categories = [...(body.categories as string[])];
  }
  if (body.isReminderOn !== undefined) fields.isReminderOn = bool(body.isReminderOn, 'isReminderOn');
  if (body.reminderMinutesBeforeStart !== undefined) {
    const m = body.reminderMinutesBeforeStart;
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 0) throw unreadable(m);
    fields.reminderMinutesBeforeStart = m;
  }
  if (body.showAs !== undefined) fields.showAs = member(body.showAs, SHOW_AS);
  if (body.importance !== undefined) fields.importance = member(body.importance, IMPORTANCE);
  if (body.sensitivity !== undefined) fields.sensitivity = member(body.sensitivity, SENSITIVITY);
  for (const flag of ['responseRequested', 'allowNewTimeProposals', 'hideAttendees'] as const) {
    if (body[flag] !== undefined) fields[flag] = bool(body[flag], flag);
  }
  const provider =
    body.onlineMeetingProvider === undefined ? undefined : member(body.onlineMeetingProvider, PROVIDERS);
  const online =
    body.isOnlineMeeting === undefined ? undefined : bool(body.isOnlineMeeting, 'isOnlineMeeting');
  if (fields.onlineMeeting) return;
  if (provider) fields.onlineMeetingProvider = provider;
  if (online !== undefined) fields.isOnlineMeeting = online;
  if (fields.isOnlineMeeting || (provider && provider !== 'unknown' && online !== false)) {
    // A work account's default online meeting provider is Teams.
    if (fields.onlineMeetingProvider === 'unknown') fields.onlineMeetingProvider = 'teamsForBusiness';
    fields.isOnlineMeeting = true;
    fields.onlineMeeting = { joinUrl: joinUrl() };
  }
}
