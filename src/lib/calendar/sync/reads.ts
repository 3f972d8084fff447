/**
 * What the sync and the by-external-id routes read from Graph: a scope (one `$filter` on the `Scope`
 * stamp, paged with `@odata.nextLink`) and the events carrying one external id. Every request goes
 * through the calendar's mailbox gate (mailbox.ts), the reads as well as the writes.
 */
import type { GraphClient, GraphResponse } from '../../graph';
import { parseRetryAfter } from '../../retry';
import { callRepeatable, eventError } from '../call';
import { eventsPath, type Calendar } from '../calendars';
import type { EventDeps } from '../deps';
import { EVENT_SELECT, STAMP_EXPAND, stampsOf, UTC_PREFERENCE } from '../mapping';
import type { MailboxGate } from './mailbox';
import { currentStamp, currentView, type ManagedView } from './managed';
import { EXTERNAL_KEY_PROPERTY_ID, SCOPE_PROPERTY_ID, stampFilter, syncStampsOf } from './stamps';

/** Events per page of a scope read (Graph allows up to 1 000 with `$top`). */
export const SCOPE_PAGE_SIZE = 500;

const query = (params: Record<string, string>): string =>
  new URLSearchParams(params).toString().replace(/\+/g, '%20');

/**
 * `deps` whose Graph requests all pass the gate of the calendar's mailbox: at most 4 at once, the
 * 10-minute budget, and a 429's `Retry-After` pausing the mailbox.
 */
export function gatedDeps(deps: EventDeps, gate: MailboxGate): EventDeps {
  const graph = deps.graph;
  const gated = Object.create(graph) as GraphClient;
  gated.request = (method, path, token, options) =>
    gate.run(
      () => graph.request(method, path, token, options),
      (response: GraphResponse) => {
        if (response.status !== 429) return undefined;
        const seconds = parseRetryAfter(response.headers?.['retry-after'], deps.clock.now());
        return (seconds ?? 1) * 1000;
      },
    );
  return { ...deps, graph: gated };
}

/** One event as the sync sees it: Graph's raw event, its stamps and its managed fields. */
export interface ReadEvent {
  raw: Record<string, unknown>;
  id: string;
  owner: string | undefined;
  externalId: string | undefined;
  externalKey: string | undefined;
  scope: string | undefined;
  written: string | undefined;
  cancelled: boolean;
  hasAttendees: boolean;
  view: Required<ManagedView>;
  /** The current event's stamp over the fields its `Written` stamp covers (drift when they differ). */
  hash: string;
}

export function readEvent(raw: Record<string, unknown>): ReadEvent {
  const stamps = syncStampsOf(raw);
  const view = currentView(raw);
  return {
    raw,
    id: String(raw.id ?? ''),
    owner: stampsOf(raw).owner,
    externalId: stamps.externalId,
    externalKey: stamps.externalKey,
    scope: stamps.scope,
    written: stamps.written,
    cancelled: raw.isCancelled === true,
    hasAttendees: Array.isArray(raw.attendees) && raw.attendees.length > 0,
    view,
    hash: currentStamp(view, stamps.written),
  };
}

/** Every event with `stamp = value`, following `@odata.nextLink`; `pages` counts the requests. */
export async function readByStamp(
  deps: EventDeps,
  calendar: Calendar,
  stampId: string,
  value: string,
): Promise<{ events: ReadEvent[]; pages: number }> {
  const prefix = eventsPath(calendar);
  let path: string | undefined = `${prefix}?${query({
    $filter: stampFilter(stampId, value),
    $select: EVENT_SELECT,
    $expand: STAMP_EXPAND,
    $top: String(SCOPE_PAGE_SIZE),
  })}`;
  const events: ReadEvent[] = [];
  let pages = 0;
  while (path) {
    const current: string = path;
    const { response } = await callRepeatable(deps, (token) =>
      deps.graph.request('GET', current, token, { headers: UTC_PREFERENCE }),
    );
    pages += 1;
    if (response.status !== 200) throw eventError(response, 'list');
    const value = Array.isArray(response.body.value)
      ? (response.body.value as Record<string, unknown>[])
      : [];
    events.push(...value.map(readEvent));
    path = nextPath(response.body['@odata.nextLink'], prefix);
  }
  return { events, pages };
}

/** Graph's absolute next link → a path below the version segment, only within the same collection. */
function nextPath(link: unknown, prefix: string): string | undefined {
  if (typeof link !== 'string') return undefined;
  try {
    const url = new URL(link);
    const path = `${url.pathname.replace(/^\/[^/]+/, '')}${url.search}`;
    return path.startsWith(`${prefix}?`) ? path : undefined;
  } catch {
    return undefined;
  }
}

export const readScope = (deps: EventDeps, calendar: Calendar, scopeKey: string) =>
  readByStamp(deps, calendar, SCOPE_PROPERTY_ID, scopeKey);

export const readExternal = (deps: EventDeps, calendar: Calendar, externalKey: string) =>
  readByStamp(deps, calendar, EXTERNAL_KEY_PROPERTY_ID, externalKey);
