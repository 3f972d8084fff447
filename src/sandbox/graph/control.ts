/**
 * The sandbox Graph's control routes beyond counts and faults (docs/sandbox.md, "Acting as a person in
 * Outlook"): a person who edits, cancels or deletes an event in Outlook — which changes its changeKey
 * but never its extended properties, so the service can tell its own writes from theirs (drift) — who
 * creates their own meeting, or an attendee who answers; plus groups, the mailbox budget and latency.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJson, sendEmpty, sendJson, sendMethodNotAllowed } from '../http';
import type { SandboxCalendar } from './calendar';
import { GraphInputError, RESPONSES, type EventFields } from './eventFields';
import type { MailboxBudget } from './mailbox';
import { renderEvent } from './resource';
import { viewOf, type EventView } from './series';

export const OUTLOOK_PERSON = { address: 'alex.person@contoso.example', name: 'Alex Person' };

type Response = EventFields['attendees'][number]['status']['response'];

/** Acts on the calendars as people do in Outlook, not as the service account does through Graph. */
export class OutlookPerson {
  constructor(
    private readonly calendar: SandboxCalendar,
    private readonly defaultGroup: () => string,
  ) {}

  private find(id: string, groupId = this.defaultGroup()): EventView {
    const view = this.calendar.find(groupId, id);
    if (!view)
      throw new GraphInputError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    return view;
  }

  /** A person's own meeting in the group calendar: no extended properties, organized by them. */
  createMeeting(
    fields: Record<string, unknown>,
    options: { groupId?: string; organizer?: { address: string; name?: string } } = {},
  ): EventView {
    const organizer = options.organizer ?? OUTLOOK_PERSON;
    const { event } = this.calendar.create(options.groupId ?? this.defaultGroup(), fields, {
      ...organizer,
      person: true,
    });
    return viewOf(event);
  }

  /** Edits any field (subject, times, body, location, attendees, categories, recurrence, …) as in Outlook. */
  edit(id: string, patch: Record<string, unknown>, groupId?: string): EventView {
    const view = this.find(id, groupId);
    return this.calendar.patch(view, patch, { address: view.event.organizer, person: true });
  }

  delete(id: string, groupId?: string): void {
    this.calendar.remove(this.find(id, groupId));
  }

  /** Cancels in Outlook (whoever the organizer is). */
  cancel(id: string, groupId?: string): void {
    this.calendar.cancel(this.find(id, groupId));
  }

  /** An attendee answers (accepted, tentativelyAccepted, declined, …). */
  respond(id: string, address: string, response: Response, groupId?: string): void {
    if (!RESPONSES.includes(response)) {
      throw new GraphInputError(400, 'InvalidBody', `response: one of ${RESPONSES.join(', ')}`);
    }
    if (!this.calendar.respond(this.find(id, groupId), address, response)) {
      throw new GraphInputError(404, 'UnknownAttendee', `${address} is not an attendee of this event.`);
    }
  }
}

export interface ControlTarget {
  calendar: SandboxCalendar;
  outlook: OutlookPerson;
  baseUrl: string;
  groups: Map<string, string>;
  budget: MailboxBudget;
  setBudget(budget: MailboxBudget): void;
  setLatency(ms: number): void;
  addGroup(id: string, displayName?: string): void;
}

const bad = (res: ServerResponse, message: string): void =>
  sendJson(res, 400, { error: { code: 'InvalidBody', message } });

/** Handles `/_sandbox/<route>` beyond counts and faults; false when the route is not one of these. */
export async function handleControl(
  g: ControlTarget,
  req: IncomingMessage,
  res: ServerResponse,
  route: string,
): Promise<boolean> {
  const method = req.method ?? 'GET';
  const body = async (): Promise<Record<string, unknown>> =>
    ((await readJson(req).catch(() => undefined)) ?? {}) as Record<string, unknown>;
  if (route === 'events') {
    if (method === 'GET') sendJson(res, 200, { events: g.calendar.events });
    else if (method === 'DELETE') {
      g.calendar.events.length = 0;
      sendEmpty(res);
    } else sendMethodNotAllowed(res, 'GET, DELETE');
    return true;
  }
  if (route === 'latency') {
    if (method !== 'POST') return (sendMethodNotAllowed(res, 'POST'), true);
    const ms = Number((await body()).ms);
    if (!Number.isInteger(ms) || ms < 0 || ms > 60_000) {
      sendJson(res, 400, { error: { code: 'InvalidLatency', message: 'ms: 0-60000' } });
      return true;
    }
    g.setLatency(ms);
    sendEmpty(res);
    return true;
  }
  if (route === 'time-zones') {
    if (method === 'GET') sendJson(res, 200, { policy: g.calendar.zones });
    else if (method === 'POST') {
      const policy = (await body()).policy;
      if (policy !== 'graph' && policy !== 'any') bad(res, 'policy: graph or any');
      else {
        g.calendar.zones = policy;
        sendEmpty(res);
      }
    } else sendMethodNotAllowed(res, 'GET, POST');
    return true;
  }
  if (route === 'groups') {
    if (method === 'GET') {
      sendJson(res, 200, { groups: [...g.groups].map(([id, displayName]) => ({ id, displayName })) });
    } else if (method === 'POST') {
      const b = await body();
      if (typeof b.id !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(b.id)) bad(res, 'id: a group id');
      else {
        g.addGroup(b.id, typeof b.displayName === 'string' ? b.displayName : undefined);
        sendEmpty(res, 201);
      }
    } else sendMethodNotAllowed(res, 'GET, POST');
    return true;
  }
  if (route === 'budget') {
    if (method === 'GET') {
      sendJson(res, 200, { requests: g.budget.requests, windowSeconds: g.budget.windowMs / 1000 });
    } else if (method === 'POST') {
      const b = await body();
      const requests = Number(b.requests);
      const windowSeconds = Number(b.windowSeconds ?? 600);
      if (!Number.isInteger(requests) || requests < 1 || !(windowSeconds > 0)) {
        bad(res, 'requests: a positive integer; windowSeconds: positive');
      } else {
        g.setBudget({ requests, windowMs: windowSeconds * 1000 });
        sendEmpty(res);
      }
    } else sendMethodNotAllowed(res, 'GET, POST');
    return true;
  }
  const m = /^outlook\/groups\/([^/]+)\/events(?:\/([^/]+)(?:\/(cancel|response))?)?$/.exec(route);
  if (!m) return false;
  const [, groupId, id, action] = m as unknown as [string, string, string?, string?];
  const answer = (view: EventView, status = 200): void =>
    sendJson(
      res,
      status,
      renderEvent(view, {
        baseUrl: g.baseUrl,
        groupId,
        caller: view.event.organizer,
        startZone: 'UTC',
        endZone: 'UTC',
        bodyType: 'html',
        select: null,
        expand: 'all',
        entity: true,
      }),
    );
  try {
    if (!g.groups.has(groupId)) {
      throw new GraphInputError(404, 'Request_ResourceNotFound', `No group ${groupId}.`);
    }
    if (id === undefined) {
      if (method !== 'POST') return (sendMethodNotAllowed(res, 'POST'), true);
      const b = await body();
      const organizer = b.organizer as { address?: unknown; name?: unknown } | undefined;
      const { organizer: _organizer, ...fields } = b;
      answer(
        g.outlook.createMeeting(fields, {
          groupId,
          organizer:
            typeof organizer?.address === 'string'
              ? {
                  address: organizer.address,
                  name: typeof organizer.name === 'string' ? organizer.name : undefined,
                }
              : undefined,
        }),
        201,
      );
    } else if (action === 'cancel') {
      if (method !== 'POST') return (sendMethodNotAllowed(res, 'POST'), true);
      g.outlook.cancel(id, groupId);
      sendEmpty(res, 202);
    } else if (action === 'response') {
      if (method !== 'POST') return (sendMethodNotAllowed(res, 'POST'), true);
      const b = await body();
      g.outlook.respond(id, String(b.address ?? ''), String(b.response ?? '') as Response, groupId);
      sendEmpty(res);
    } else if (method === 'PATCH') {
      answer(g.outlook.edit(id, await body(), groupId));
    } else if (method === 'DELETE') {
      g.outlook.delete(id, groupId);
      sendEmpty(res);
    } else sendMethodNotAllowed(res, 'PATCH, DELETE');
  } catch (error) {
    if (!(error instanceof GraphInputError)) throw error;
    sendJson(res, error.status, { error: { code: error.code, message: error.message } });
  }
  return true;
}
