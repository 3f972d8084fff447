/**
 * Reading, updating, cancelling and deleting one group event (docs/events.md; listing is list.ts). Every
 * operation reads the event first with its stamps and asks `owners.ts` whether this caller may (SPEC
 * docs/events.md): nothing is changed before that answer.
 */
import { ERRORS, GraphTokenError, toGraphTokenError } from '../errors';
import type { GroupEvent, GroupEventPatch, OperationContext } from '../types';
import { callRepeatable, eventError, type EventOperation } from './call';
import { resolveCalendar, type Calendar } from './calendars';
import type { EventDeps } from './deps';
import { eventPath } from './ids';
import { fromGraphEvent, preferHeader, readQuery, stampsOf, storedTimes, toGraphPatch } from './mapping';
import { assertAccess, assertAttendeeDomains, type EventAccess } from './owners';
import { normalizeEvent, parsePatch, type NormalizedEvent } from './validate';

export interface GroupOption {
  group?: string;
}

/** Reads: the body as `text` (default) or `html` (Graph's `Prefer: outlook.body-content-type`). */
export interface BodyOption {
  bodyType?: 'html' | 'text';
}

export const query = (params: Record<string, string>): string =>
  new URLSearchParams(params).toString().replace(/\+/g, '%20');

/** Runs an operation with its audit entry (mutations only) and the error mapping. */
export async function audited<T>(
  deps: EventDeps,
  ctx: OperationContext,
  operation: string,
  target: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    const result = await work();
    await deps.audit({ kind: 'events', ctx, operation, target, outcome: 'success' });
    return result;
  } catch (error) {
    const e = toGraphTokenError(error);
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

/** The event as Graph has it (with its stamps), or `EVENT_NOT_FOUND`. */
export async function fetchRaw(
  deps: EventDeps,
  calendar: Calendar,
  id: string,
  operation: EventOperation,
  bodyType: 'html' | 'text' = 'text',
): Promise<Record<string, unknown>> {
  const path = `${eventPath(calendar, id)}?${query(readQuery())}`;
  const { response } = await callRepeatable(deps, (token) =>
    deps.graph.request('GET', path, token, { headers: preferHeader(bodyType) }),
  );
  if (response.status !== 200) throw eventError(response, operation);
  return response.body;
}

/**
 * The owner stamp that governs `raw`: its own, or for an occurrence or exception of a series (which
 * Graph may not give the series' extended properties) its series master's.
 */
async function ownerOfRaw(
  deps: EventDeps,
  calendar: Calendar,
  raw: Record<string, unknown>,
  operation: EventOperation,
): Promise<string | undefined> {
  const own = stampsOf(raw).owner;
  if (own !== undefined) return own;
  const master = raw.seriesMasterId;
  if ((raw.type === 'occurrence' || raw.type === 'exception') && typeof master === 'string') {
    return stampsOf(await fetchRaw(deps, calendar, master, operation)).owner;
  }
  return undefined;
}

/** Reads the event and checks that `ctx` may do `access` to it; returns the raw Graph event. */
export async function authorize(
  deps: EventDeps,
  calendar: Calendar,
  id: string,
  ctx: OperationContext,
  access: EventAccess,
  operation: EventOperation,
  bodyType: 'html' | 'text' = 'text',
): Promise<Record<string, unknown>> {
  const raw = await fetchRaw(deps, calendar, id, operation, bodyType);
  assertAccess(ctx, await ownerOfRaw(deps, calendar, raw, operation), access, id);
  return raw;
}

export async function getGroupEvent(
  deps: EventDeps,
  id: string,
  options: GroupOption & BodyOption,
  ctx: OperationContext,
): Promise<GroupEvent> {
  const calendar = resolveCalendar(deps.config, options.group);
  return fromGraphEvent(await authorize(deps, calendar, id, ctx, 'read', 'get', options.bodyType));
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
  options: GroupOption,
  ctx: OperationContext,
): Promise<GroupEvent> {
  return audited(deps, ctx, 'update-event', id, async () => {
    const calendar = resolveCalendar(deps.config, options.group);
    const patch = parsePatch(input);
    const attendees = patch.attendees;
    if (attendees) assertAttendeeDomains(deps.config, attendees);
    const path = eventPath(calendar, id);
    const raw = await authorize(deps, calendar, id, ctx, 'change', 'update');
    const current = fromGraphEvent(raw);
    const isOccurrence = current.type === 'occurrence' || current.type === 'exception';
    if (patch.recurrence !== undefined && isOccurrence) {
      throw new GraphTokenError(
        ERRORS.INVALID_REQUEST,
        `recurrence: an occurrence follows its series; change the series (id ${current.series_id ?? '?'}) instead`,
      );
    }
    const recurrence = patch.recurrence === undefined ? current.recurrence : patch.recurrence;
    const series = !isOccurrence && recurrence !== null;
    const touchesTimes =
      ['start', 'end', 'time_zone', 'all_day'].some((f) => f in patch) ||
      (patch.recurrence !== undefined && patch.recurrence !== null);
    let times: NormalizedEvent | undefined;
    if (touchesTimes) {
      const stored = storedTimes(current);
      const allDayChanged = patch.all_day !== undefined && patch.all_day !== stored.all_day;
      if (allDayChanged && (patch.start === undefined || patch.end === undefined)) {
        throw new GraphTokenError(
          ERRORS.INVALID_REQUEST,
          `${patch.start === undefined ? 'start' : 'end'}: required when all_day changes`,
        );
      }
      // A series' start moves its range with it: the merged start is checked against the pattern.
      times = normalizeEvent({
        subject: 'x',
        start: patch.start ?? stored.start,
        end: patch.end ?? stored.end,
        time_zone: patch.time_zone ?? stored.time_zone,
        all_day: patch.all_day ?? stored.all_day,
        ...(series && recurrence ? { recurrence } : {}),
      });
    }
    const { recurrence: _given, attendees: _list, ...rest } = patch;
    const body = toGraphPatch(
      {
        ...rest,
        ...(attendees ? { attendees } : {}),
        ...(patch.recurrence === null ? { recurrence: null } : {}),
        ...(series && times?.recurrence ? { recurrence: times.recurrence } : {}),
      },
      times,
      series,
    );
    if (Object.keys(body).length === 0) return fromGraphEvent(raw);
    const { response } = await callRepeatable(deps, (token) =>
      deps.graph.request('PATCH', `${path}?${query(readQuery())}`, token, {
        body,
        headers: preferHeader(patch.body_type ?? 'text'),
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
  options: { comment?: string } & GroupOption,
  ctx: OperationContext,
): Promise<void> {
  return audited(deps, ctx, 'cancel-event', id, async () => {
    const calendar = resolveCalendar(deps.config, options.group);
    if (options.comment !== undefined && options.comment.length > 2000) {
      throw new GraphTokenError(ERRORS.INVALID_REQUEST, 'comment: must be at most 2000 characters');
    }
    const path = `${eventPath(calendar, id)}/cancel`;
    await authorize(deps, calendar, id, ctx, 'change', 'cancel');
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

export function deleteGroupEvent(
  deps: EventDeps,
  id: string,
  options: GroupOption,
  ctx: OperationContext,
): Promise<void> {
  return audited(deps, ctx, 'delete-event', id, async () => {
    const calendar = resolveCalendar(deps.config, options.group);
    const path = eventPath(calendar, id);
    await authorize(deps, calendar, id, ctx, 'change', 'delete');
    const { response, ambiguous } = await callRepeatable(deps, (token) =>
      deps.graph.request('DELETE', path, token),
    );
    if (response.status === 204 || response.status === 200) return;
    if (ambiguous && response.status === 404) return;
    throw eventError(response, 'delete');
  });
}
