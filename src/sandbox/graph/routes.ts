/**
 * The sandbox Graph's calendar routes: one request, already admitted to its mailbox, answered as Graph
 * answers it (docs/sandbox.md, "Graph").
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { writeDateTime, type SandboxCalendar, type SandboxGraphEvent } from './calendar';

export interface CalendarContext {
  calendar: SandboxCalendar;
  baseUrl: string;
  groupIds: readonly string[];
}

/** The delegated permission Graph requires to write group events; reads also accept Group.Read.All. */
const WRITE_SCOPE = 'Group.ReadWrite.All';
const READ_SCOPES = ['Group.Read.All', WRITE_SCOPE];

export interface Op {
  method: string;
  /** Path below `/v1.0`, without the query. */
  route: string;
  query: URLSearchParams;
  body: unknown;
  headers: Record<string, string>;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Claims = Record<string, unknown>;

const FILTER =
  /^singleValueExtendedProperties\/any\(\s*(\w+)\s*:\s*\1\/id eq '((?:[^']|'')*)' and \1\/value eq '((?:[^']|'')*)'\s*\)$/i;

export function errorReply(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Reply {
  return {
    status,
    headers,
    body: {
      error: {
        code,
        message,
        innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': randomUUID() },
      },
    },
  };
}

/** One calendar request (already admitted to the mailbox). */
export function executeCalendar(cal: CalendarContext, op: Op, claims: Claims): Reply {
  const [, groupId, collection, id, action] = op.route.split('/') as [
    string,
    string,
    string,
    string?,
    string?,
  ];
  if (!cal.groupIds.includes(groupId)) {
    return errorReply(
      404,
      'Request_ResourceNotFound',
      `Resource '${groupId}' does not exist or one of its queried reference-property objects are not present.`,
    );
  }
  const writes = op.method !== 'GET';
  const scopes = String(claims.scp ?? '').split(' ');
  if (writes ? !scopes.includes(WRITE_SCOPE) : !READ_SCOPES.some((s) => scopes.includes(s))) {
    return errorReply(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  }
  const caller = String(claims.upn ?? '');
  const zone = preferredZone(op.headers);
  if (collection === 'calendarView') {
    if (op.method !== 'GET') return notAllowed();
    return calendarView(cal, op, groupId, caller, zone);
  }
  if (id === undefined) {
    if (op.method === 'POST') {
      const body = (op.body ?? {}) as Record<string, unknown>;
      const { event, created } = cal.calendar.create(groupId, body, caller);
      const startZone = zone ?? String((body.start as { timeZone?: unknown })?.timeZone ?? 'UTC');
      const endZone = zone ?? String((body.end as { timeZone?: unknown })?.timeZone ?? 'UTC');
      // A repeated transactionId gets the existing event, as if just created (documented choice).
      void created;
      return { status: 201, body: resource(cal, event, caller, op.query, startZone, endZone, groupId) };
    }
    if (op.method !== 'GET') return notAllowed();
    return listEvents(cal, op, groupId, caller, zone ?? 'UTC');
  }
  const event = cal.calendar.find(groupId, id);
  if (!event) return errorReply(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
  if (action === 'cancel') {
    if (op.method !== 'POST') return notAllowed();
    if (event.organizer.toLowerCase() !== caller.toLowerCase()) {
      // Graph answers an attendee's cancel with 400 and this text (Graph docs, event: cancel).
      return errorReply(
        400,
        'ErrorInvalidRequest',
        "Your request can't be completed. You need to be an organizer to cancel a meeting.",
      );
    }
    event.isCancelled = true;
    return { status: 202 };
  }
  if (op.method === 'GET')
    return { status: 200, body: resource(cal, event, caller, op.query, zone ?? 'UTC') };
  if (op.method === 'PATCH') {
    cal.calendar.patch(event, (op.body ?? {}) as Record<string, unknown>);
    return { status: 200, body: resource(cal, event, caller, op.query, zone ?? 'UTC') };
  }
  if (op.method === 'DELETE') {
    cal.calendar.remove(event);
    return { status: 204 };
  }
  return notAllowed();
}

function listEvents(cal: CalendarContext, op: Op, groupId: string, caller: string, zone: string): Reply {
  const filter = op.query.get('$filter');
  let events = cal.calendar.events.filter((e) => e.groupId === groupId);
  if (filter !== null) {
    const m = FILTER.exec(filter.trim());
    if (!m) return errorReply(400, 'BadRequest', 'Invalid filter clause');
    events = cal.calendar.byProperty(groupId, m[2]!.replace(/''/g, "'"), m[3]!.replace(/''/g, "'"));
  }
  const top = Math.min(1000, Number(op.query.get('$top') ?? 10) || 10);
  return {
    status: 200,
    body: {
      '@odata.context': `${cal.baseUrl}/$metadata#groups('${groupId}')/events`,
      value: events.slice(0, top).map((e) => resource(cal, e, caller, op.query, zone)),
    },
  };
}

function calendarView(
  cal: CalendarContext,
  op: Op,
  groupId: string,
  caller: string,
  zone: string | undefined,
): Reply {
  const from = Date.parse(op.query.get('startDateTime') ?? '');
  const to = Date.parse(op.query.get('endDateTime') ?? '');
  if (!Number.isFinite(from) || !Number.isFinite(to)) {
    return errorReply(
      400,
      'ErrorInvalidParameter',
      'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
    );
  }
  const top = Math.min(1000, Math.max(1, Number(op.query.get('$top') ?? 10) || 10));
  const skip = Math.max(0, Number(op.query.get('$skip') ?? 0) || 0);
  const page = cal.calendar.view(groupId, from, to, skip, top);
  const body: Record<string, unknown> = {
    '@odata.context': `${cal.baseUrl}/$metadata#Collection(event)`,
    value: page.value.map((e) => resource(cal, e, caller, op.query, zone ?? 'UTC')),
  };
  if (page.next !== null) {
    const next = new URLSearchParams(op.query);
    next.set('$skip', String(page.next));
    body['@odata.nextLink'] = `${cal.baseUrl}/groups/${groupId}/calendarView?${next.toString()}`;
  }
  return { status: 200, body };
}

/** Graph's event resource, in `zone` (or the zones given), narrowed by `$select`. */
function resource(
  cal: CalendarContext,
  event: SandboxGraphEvent,
  caller: string,
  query: URLSearchParams,
  startZone: string,
  endZone = startZone,
  groupId = event.groupId,
): Record<string, unknown> {
  const r = event.resource;
  const content = String((r.body as { content?: unknown } | undefined)?.content ?? '');
  const full: Record<string, unknown> = {
    '@odata.etag': `W/"${randomBytes(12).toString('base64')}"`,
    id: event.id,
    createdDateTime: new Date().toISOString(),
    lastModifiedDateTime: new Date().toISOString(),
    changeKey: randomBytes(12).toString('base64'),
    categories: [],
    transactionId: event.transactionId,
    originalStartTimeZone: r.originalStartTimeZone,
    originalEndTimeZone: r.originalEndTimeZone,
    iCalUId: `040000008200E00074C5B7101A82E008${event.id.slice(6, 34).toUpperCase()}`,
    reminderMinutesBeforeStart: 15,
    isReminderOn: true,
    hasAttachments: false,
    subject: r.subject,
    bodyPreview: content.replace(/<[^>]*>/g, '').slice(0, 255),
    importance: 'normal',
    sensitivity: 'normal',
    isAllDay: event.isAllDay,
    isCancelled: event.isCancelled,
    isOrganizer: event.organizer.toLowerCase() === caller.toLowerCase(),
    responseRequested: true,
    showAs: 'busy',
    type: 'singleInstance',
    webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(event.id)}&exvsurl=1&path=/calendar/item`,
    onlineMeetingUrl: null,
    isOnlineMeeting: false,
    responseStatus: { response: 'organizer', time: '0001-01-01T00:00:00Z' },
    body: r.body,
    start: writeDateTime(Date.parse(event.start), startZone),
    end: writeDateTime(Date.parse(event.end), endZone),
    location: r.location,
    locations: r.locations ?? [],
    attendees: r.attendees,
    organizer: { emailAddress: { name: null, address: event.organizer } },
  };
  const select = query.get('$select');
  if (select === null) {
    return { '@odata.context': `${cal.baseUrl}/$metadata#groups('${groupId}')/events/$entity`, ...full };
  }
  const fields = new Set(['@odata.etag', 'id', ...select.split(',').map((f) => f.trim())]);
  return Object.fromEntries(Object.entries(full).filter(([k]) => fields.has(k)));
}

export function notAllowed(): Reply {
  return errorReply(
    405,
    'Request_BadRequest',
    'Specified HTTP method is not allowed for the request target.',
  );
}

export function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') out[k.toLowerCase()] = v;
  return out;
}

/** `Prefer: outlook.timezone="Europe/Amsterdam"`: the zone answers are written in. */
export function preferredZone(headers: Record<string, string>): string | undefined {
  return /outlook\.timezone\s*=\s*"([^"]+)"/i.exec(headers.prefer ?? '')?.[1];
}
