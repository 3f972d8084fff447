/** Reading, listing, updating, cancelling and deleting group events (docs/events.md). */
import { ERRORS, GraphTokenError, toGraphTokenError } from '../../errors';
import type { EventListResult, GroupEvent, GroupEventPatch, OperationContext } from '../../types';
import { callRepeatable, eventError, type EventOperation } from './call';
import { eventsPath, groupIdOf, UTC_PREFERENCE } from './create';
import type { EventDeps } from './deps';
import { EVENT_SELECT, fromGraphEvent, storedTimes, toGraphPatch } from './mapping';
import { isoInstant, parseInstant } from './time';
import { normalizeEvent, parsePatch } from './validate';

/** Graph event ids: base64-like, never a path separator. */
const EVENT_ID = /^[A-Za-z0-9._=+-]{1,512}$/;
const DAY_MS = 86_400_000;
const PAGE_SIZE = 50;

function eventPath(deps: EventDeps, id: string): string {
  if (!EVENT_ID.test(id)) {
    throw new GraphTokenError(ERRORS.INVALID_REQUEST, 'id: must be an event id as returned by the API');
  }
  return `${eventsPath(groupIdOf(deps))}/${encodeURIComponent(id)}`;
}

/** Runs an operation with its audit entry (mutations only) and the error mapping. */
async function audited<T>(
  deps: EventDeps,
  ctx: OperationContext | undefined,
  operation: string,
  target: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    const result = await work();
    if (ctx) await deps.audit({ kind: 'events', ctx, operation, target, outcome: 'success' });
    return result;
  } catch (error) {
    const e = toGraphTokenError(error);
    if (ctx)
      await deps.audit({
        kind: 'events',
        ctx,
        operation,
        target,
        outcome: 'failure',
        detail: e.message,
        code: e.code,
      });
    throw e;
  }
}

async function fetchEvent(deps: EventDeps, id: string, operation: EventOperation): Promise<GroupEvent> {
  const path = `${eventPath(deps, id)}?$select=${EVENT_SELECT}`;
  const { response } = await callRepeatable(deps, (token) =>
    deps.graph.request('GET', path, token, { headers: UTC_PREFERENCE }),
  );
  if (response.status !== 200) throw eventError(response, operation);
  return fromGraphEvent(response.body);
}

export function getGroupEvent(deps: EventDeps, id: string): Promise<GroupEvent> {
  return fetchEvent(deps, id, 'get');
}

/**
 * The calendar view between two instants (default: now to 30 days on), a page at a time. The
 * continuation token is Graph's next link made relative, accepted back only for this group's view, so
 * a forged token can never send the service's access token elsewhere.
 */
export async function listGroupEvents(
  deps: EventDeps,
  options: { from?: string; to?: string; continuationToken?: string },
): Promise<EventListResult> {
  const groupId = groupIdOf(deps);
  const viewPrefix = `/groups/${encodeURIComponent(groupId)}/calendarView?`;
  let path: string;
  if (options.continuationToken) {
    const decoded = Buffer.from(options.continuationToken, 'base64url').toString('utf8');
    if (!decoded.startsWith(viewPrefix)) {
      throw new GraphTokenError(ERRORS.INVALID_REQUEST, 'continuation_token: is not one this API issued');
    }
    path = decoded;
  } else {
    const from = options.from !== undefined ? parseInstant(options.from, 'from') : deps.clock.now();
    const to = options.to !== undefined ? parseInstant(options.to, 'to') : from + 30 * DAY_MS;
    if (to <= from) throw new GraphTokenError(ERRORS.INVALID_REQUEST, 'to: must be after from');
    if (to - from > 5 * 366 * DAY_MS)
      throw new GraphTokenError(ERRORS.INVALID_REQUEST, 'to: the range may span at most 5 years');
    const query = new URLSearchParams({
      startDateTime: isoInstant(from),
      endDateTime: isoInstant(to),
      $select: EVENT_SELECT,
      $orderby: 'start/dateTime',
      $top: String(PAGE_SIZE),
    });
    path = `${viewPrefix}${query.toString()}`;
  }
  const { response } = await callRepeatable(deps, (token) =>
    deps.graph.request('GET', path, token, { headers: UTC_PREFERENCE }),
  );
  if (response.status !== 200) throw eventError(response, 'list');
  const items = Array.isArray(response.body.value)
    ? (response.body.value as Record<string, unknown>[]).map(fromGraphEvent)
    : [];
  const next = response.body['@odata.nextLink'];
  let continuation: string | null = null;
  if (typeof next === 'string') {
    const url = new URL(next);
    const relative = `${url.pathname.replace(/^\/[^/]+/, '')}${url.search}`;
    if (relative.startsWith(viewPrefix)) continuation = Buffer.from(relative, 'utf8').toString('base64url');
  }
  return { items, continuation_token: continuation };
}

/**
 * A partial update. Times are converted like a create's; when only some of `start`, `end`,
 * `time_zone`, `all_day` are given, the stored event supplies the others, and the merged times are
 * checked together (end after start).
 */
export function updateGroupEvent(
  deps: EventDeps,
  id: string,
  input: GroupEventPatch,
  ctx: OperationContext,
): Promise<GroupEvent> {
  return audited(deps, ctx, 'update-event', id, async () => {
    const patch = parsePatch(input);
    const path = eventPath(deps, id);
    const touchesTimes = ['start', 'end', 'time_zone', 'all_day'].some((f) => f in patch);
    let times;
    if (touchesTimes) {
      const stored = storedTimes(await fetchEvent(deps, id, 'update'));
      const allDayChanged = patch.all_day !== undefined && patch.all_day !== stored.all_day;
      if (allDayChanged && (patch.start === undefined || patch.end === undefined)) {
        throw new GraphTokenError(
          ERRORS.INVALID_REQUEST,
          `${patch.start === undefined ? 'start' : 'end'}: required when all_day changes`,
        );
      }
      const merged = normalizeEvent({
        subject: 'x',
        start: patch.start ?? stored.start,
        end: patch.end ?? stored.end,
        time_zone: patch.time_zone ?? stored.time_zone,
        all_day: patch.all_day ?? stored.all_day,
      });
      times = merged;
    }
    const body = toGraphPatch(
      {
        ...patch,
        ...(patch.attendees ? { attendees: patch.attendees.map((a) => a.toLowerCase()) } : {}),
      },
      times,
    );
    if (Object.keys(body).length === 0) return fetchEvent(deps, id, 'update');
    const { response } = await callRepeatable(deps, (token) =>
      deps.graph.request('PATCH', `${path}?$select=${EVENT_SELECT}`, token, {
        body,
        headers: UTC_PREFERENCE,
      }),
    );
    if (response.status !== 200) throw eventError(response, 'update');
    return fromGraphEvent(response.body);
  });
}

/**
 * Cancels a meeting: Graph sends the cancellation (with `comment`) to the attendees. Only the organizer
 * may; anyone else gets `EVENT_NOT_ORGANIZER`.
 */
export function cancelGroupEvent(
  deps: EventDeps,
  id: string,
  options: { comment?: string },
  ctx: OperationContext,
): Promise<void> {
  return audited(deps, ctx, 'cancel-event', id, async () => {
    if (options.comment !== undefined && options.comment.length > 2000) {
      throw new GraphTokenError(ERRORS.INVALID_REQUEST, 'comment: must be at most 2000 characters');
    }
    const path = `${eventPath(deps, id)}/cancel`;
    const body = options.comment !== undefined ? { comment: options.comment } : {};
    const { response, ambiguous } = await callRepeatable(deps, (token) =>
      deps.graph.request('POST', path, token, { body }),
    );
    // A retried cancel whose first attempt went through finds the event gone.
    if (response.status === 202 || response.status === 200 || response.status === 204) return;
    if (ambiguous && response.status === 404) return;
    throw eventError(response, 'cancel');
  });
}

export function deleteGroupEvent(deps: EventDeps, id: string, ctx: OperationContext): Promise<void> {
  return audited(deps, ctx, 'delete-event', id, async () => {
    const path = eventPath(deps, id);
    const { response, ambiguous } = await callRepeatable(deps, (token) =>
      deps.graph.request('DELETE', path, token),
    );
    if (response.status === 204 || response.status === 200) return;
    if (ambiguous && response.status === 404) return;
    throw eventError(response, 'delete');
  });
}
