/**
 * The sandbox Graph's group routes: one request, already admitted to its mailbox, answered as Graph
 * answers it (docs/sandbox.md, "Graph").
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { SandboxCalendar, Writer } from './calendar';
import { parseExpand, parsePrefer, parsePropertyFilter, parseSelect, paging } from './filter';
import { renderEvent, type RenderOptions } from './resource';
import { instancesOf, viewOf, type EventView } from './series';
import { resolveGraphZone } from './timeZones';

export interface CalendarContext {
  calendar: SandboxCalendar;
  baseUrl: string;
  /** Known groups: id → displayName. */
  groups: ReadonlyMap<string, string>;
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

export function groupNotFound(groupId: string): Reply {
  return errorReply(
    404,
    'Request_ResourceNotFound',
    `Resource '${groupId}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

const itemNotFound = (): Reply =>
  errorReply(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');

/** One group request (already admitted to the mailbox). */
export function executeCalendar(cal: CalendarContext, op: Op, claims: Claims): Reply {
  const [, groupId, collection, id, action] = op.route.split('/') as [
    string,
    string,
    string?,
    string?,
    string?,
  ];
  const displayName = cal.groups.get(groupId);
  if (displayName === undefined) return groupNotFound(groupId);
  const writes = op.method !== 'GET';
  const scopes = String(claims.scp ?? '').split(' ');
  if (writes ? !scopes.includes(WRITE_SCOPE) : !READ_SCOPES.some((s) => scopes.includes(s))) {
    return errorReply(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  }
  if (collection === undefined) {
    if (op.method !== 'GET') return notAllowed();
    return { status: 200, body: groupResource(cal.baseUrl, groupId, displayName) };
  }
  const writer: Writer = {
    address: String(claims.upn ?? ''),
    name: typeof claims.name === 'string' ? claims.name : null,
    tenant: String(claims.tid ?? ''),
    oid: String(claims.oid ?? ''),
  };
  const prefer = parsePrefer(op.headers.prefer);
  const zone = prefer.timeZone && resolveGraphZone(prefer.timeZone) ? prefer.timeZone : undefined;
  const applied = [
    ...(zone ? [`outlook.timezone="${zone}"`] : []),
    ...(prefer.bodyType ? [`outlook.body-content-type="${prefer.bodyType}"`] : []),
  ];
  const headers: Record<string, string> = applied.length ? { 'preference-applied': applied.join(', ') } : {};
  const render = (startZone = zone ?? 'UTC', endZone = startZone): RenderOptions => ({
    baseUrl: cal.baseUrl,
    groupId,
    caller: writer.address,
    startZone,
    endZone,
    bodyType: prefer.bodyType ?? 'html',
    select: parseSelect(op.query.get('$select')),
    expand: parseExpand(op.query.get('$expand')),
  });
  const reply = (status: number, body?: unknown): Reply => ({ status, body, headers });

  if (collection === 'calendarView') {
    if (op.method !== 'GET' || id !== undefined) return notAllowed();
    const window = timeWindow(op.query);
    if (!window) return missingWindow();
    const events = cal.calendar.view(groupId, window.from, window.to);
    return reply(200, page(cal, op, `groups/${groupId}/calendarView`, events, render()));
  }
  if (id === undefined) {
    if (op.method === 'POST') {
      const body = (op.body ?? {}) as Record<string, unknown>;
      const { event } = cal.calendar.create(groupId, body, writer);
      // A repeated transactionId gets the existing event, as if just created (documented choice).
      // A create answers in the zones it was given unless Prefer names one.
      const opts = render(zone ?? event.startZone, zone ?? event.endZone);
      return reply(201, renderEvent(viewOf(event), { ...opts, entity: true }));
    }
    if (op.method !== 'GET') return notAllowed();
    const filter = op.query.get('$filter');
    const test = filter === null ? () => true : parsePropertyFilter(filter);
    const events = cal.calendar
      .list(groupId)
      .filter((e) => test(e.properties))
      .map(viewOf);
    return reply(200, page(cal, op, `groups/${groupId}/events`, events, render()));
  }
  const view = cal.calendar.find(groupId, id);
  if (!view) return itemNotFound();
  if (action === 'instances') {
    if (op.method !== 'GET') return notAllowed();
    const window = timeWindow(op.query);
    if (!window) return missingWindow();
    // Graph documents instances for a series master; anything else has none here (documented choice).
    const events = view.type === 'seriesMaster' ? instancesOf(view.event, window.from, window.to) : [];
    return reply(200, page(cal, op, `groups/${groupId}/events/${id}/instances`, events, render()));
  }
  if (action === 'cancel') {
    if (op.method !== 'POST') return notAllowed();
    if (view.event.organizer.toLowerCase() !== writer.address.toLowerCase()) {
      // Graph answers an attendee's cancel with 400 and this text (Graph docs, event: cancel).
      return errorReply(
        400,
        'ErrorInvalidRequest',
        "Your request can't be completed. You need to be an organizer to cancel a meeting.",
      );
    }
    cal.calendar.cancel(view);
    return { status: 202 };
  }
  if (action !== undefined) return notAllowed();
  if (op.method === 'GET') return reply(200, renderEvent(view, { ...render(), entity: true }));
  if (op.method === 'PATCH') {
    const changed = cal.calendar.patch(view, (op.body ?? {}) as Record<string, unknown>, writer);
    return reply(200, renderEvent(changed, { ...render(), entity: true }));
  }
  if (op.method === 'DELETE') {
    cal.calendar.remove(view);
    return { status: 204 };
  }
  return notAllowed();
}

function groupResource(baseUrl: string, id: string, displayName: string): Record<string, unknown> {
  const nick = displayName.replace(/[^A-Za-z0-9]/g, '').toLowerCase() || 'group';
  return {
    '@odata.context': `${baseUrl}/$metadata#groups/$entity`,
    id,
    displayName,
    description: null,
    groupTypes: ['Unified'],
    mail: `${nick}@contoso.example`,
    mailEnabled: true,
    mailNickname: nick,
    securityEnabled: false,
    visibility: 'Private',
  };
}

function timeWindow(query: URLSearchParams): { from: number; to: number } | undefined {
  // Graph reads a window without an offset as UTC.
  const read = (v: string | null): number =>
    v === null
      ? NaN
      : Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(v) ? v : /T/.test(v) ? `${v}Z` : `${v}T00:00:00Z`);
  const from = read(query.get('startDateTime'));
  const to = read(query.get('endDateTime'));
  return Number.isFinite(from) && Number.isFinite(to) ? { from, to } : undefined;
}

function missingWindow(): Reply {
  return errorReply(
    400,
    'ErrorInvalidParameter',
    'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
  );
}

/** One page of a collection: `$top` (default 10) from `$skip`, with `@odata.nextLink` while more remain. */
function page(
  cal: CalendarContext,
  op: Op,
  path: string,
  events: EventView[],
  opts: RenderOptions,
): Record<string, unknown> {
  const { top, skip } = paging(op.query);
  const body: Record<string, unknown> = {
    '@odata.context': `${cal.baseUrl}/$metadata#Collection(event)`,
    value: events.slice(skip, skip + top).map((v) => renderEvent(v, opts)),
  };
  if (skip + top < events.length) {
    const next = new URLSearchParams(op.query);
    next.set('$skip', String(skip + top));
    body['@odata.nextLink'] = `${cal.baseUrl}/${path}?${next.toString()}`;
  }
  return body;
}

/** `GET /me`: the signed-in user from the token; app-only tokens get 400, as on Graph. */
export function meReply(baseUrl: string, op: Op, claims: Claims): Reply {
  if (op.method !== 'GET') return notAllowed();
  if (claims.idtyp === 'app' || claims.scp === undefined) {
    return errorReply(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
  }
  const upn = String(claims.upn ?? '');
  return {
    status: 200,
    body: {
      '@odata.context': `${baseUrl}/$metadata#users/$entity`,
      businessPhones: [],
      displayName: claims.name ?? null,
      givenName: null,
      jobTitle: null,
      mail: upn || null,
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: 'en-US',
      surname: null,
      userPrincipalName: upn,
      id: claims.oid,
    },
  };
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
