/**
 * Listing (docs/events.md, "Paging"): the calendar view and a series' occurrences, a page at a time,
 * filtered to what the caller may read, with signed continuation tokens.
 */
import { ERRORS, GraphTokenError, toGraphTokenError } from '../errors';
import type { EventListResult, OperationContext } from '../types';
import { callRepeatable, eventError } from './call';
import { resolveCalendar, type Calendar } from './calendars';
import { issueContinuation, readContinuation } from './continuation';
import type { EventDeps } from './deps';
import { eventPath } from './ids';
import { fromGraphEvent, preferHeader, readQuery, stampsOf } from './mapping';
import { decideAccess, readsAll } from './owners';
import { authorize, fetchRaw, query, type BodyOption, type GroupOption } from './operations';
import { isoInstant, parseInstant } from './time';

const DAY_MS = 86_400_000;
const PAGE_SIZE = 50;

/** The `from`/`to` range of a list, checked: `to` after `from`, at most 5 years. */
export function listRange(
  deps: Pick<EventDeps, 'clock'>,
  options: { from?: string; to?: string },
): { from: number; to: number } {
  const from = options.from !== undefined ? parseInstant(options.from, 'from') : deps.clock.now();
  const to = options.to !== undefined ? parseInstant(options.to, 'to') : from + 30 * DAY_MS;
  if (to <= from) throw new GraphTokenError(ERRORS.INVALID_REQUEST, 'to: must be after from');
  if (to - from > 5 * 366 * DAY_MS)
    throw new GraphTokenError(ERRORS.INVALID_REQUEST, 'to: the range may span at most 5 years');
  return { from, to };
}

/**
 * One page of a Graph list (calendar view or a series' instances), filtered to what `ctx` may read, with
 * a signed continuation token for the next page. A caller holding only `Events.Create` sees its own
 * events: the page is read and filtered here (a page may then hold fewer than 50 items, even none, with
 * a continuation token for the rest).
 */
export async function listPage(
  deps: EventDeps,
  calendar: Calendar,
  ctx: OperationContext,
  prefix: string,
  firstPath: () => string,
  continuationToken: string | undefined,
  bodyType: 'html' | 'text' = 'text',
  seriesOwner?: string,
): Promise<EventListResult> {
  const binding = { groupId: calendar.groupId, actor: ctx.actor, prefix };
  const path = continuationToken
    ? await readContinuation(deps.signing, binding, continuationToken)
    : firstPath();
  const { response } = await callRepeatable(deps, (token) =>
    deps.graph.request('GET', path, token, { headers: preferHeader(bodyType) }),
  );
  if (response.status !== 200) throw eventError(response, 'list');
  const raw = Array.isArray(response.body.value) ? (response.body.value as Record<string, unknown>[]) : [];
  let visible = raw;
  if (!readsAll(ctx)) {
    // Occurrences may come without their series' stamps: ask each series master once per page.
    const masters = new Map<string, string | undefined>();
    for (const e of raw) {
      const master = e.seriesMasterId;
      if (stampsOf(e).owner === undefined && typeof master === 'string' && !masters.has(master)) {
        masters.set(master, seriesOwner ?? (await masterOwner(deps, calendar, master)));
      }
    }
    visible = raw.filter((e) => {
      const owner =
        stampsOf(e).owner ??
        seriesOwner ??
        (typeof e.seriesMasterId === 'string' ? masters.get(e.seriesMasterId) : undefined);
      return decideAccess(ctx, owner, 'read') === 'allow';
    });
  }
  const next = await issueContinuation(deps.signing, binding, response.body['@odata.nextLink']);
  return { items: visible.map(fromGraphEvent), continuation_token: next };
}

/** The owner stamp of a series master (undefined when it has none or is gone). */
async function masterOwner(deps: EventDeps, calendar: Calendar, id: string): Promise<string | undefined> {
  try {
    return stampsOf(await fetchRaw(deps, calendar, id, 'get')).owner;
  } catch (error) {
    if (toGraphTokenError(error).code === ERRORS.EVENT_NOT_FOUND.code) return undefined;
    throw error;
  }
}

/**
 * The occurrences and exceptions of a series between two instants (Graph's `/instances`), a page at a
 * time. Readable when the series is: its owner stamp decides for every occurrence.
 */
export async function listEventOccurrences(
  deps: EventDeps,
  id: string,
  options: { from?: string; to?: string; continuationToken?: string } & GroupOption & BodyOption,
  ctx: OperationContext,
): Promise<EventListResult> {
  const calendar = resolveCalendar(deps.config, options.group);
  const prefix = `${eventPath(calendar, id)}/instances?`;
  let seriesOwner: string | undefined;
  if (!options.continuationToken || !readsAll(ctx)) {
    const raw = await authorize(deps, calendar, id, ctx, 'read', 'get');
    if (raw.type !== 'seriesMaster') {
      throw new GraphTokenError(
        ERRORS.INVALID_REQUEST,
        'id: not a series (only an event with a recurrence has occurrences)',
      );
    }
    seriesOwner = stampsOf(raw).owner;
  }
  return listPage(
    deps,
    calendar,
    ctx,
    prefix,
    () => {
      const { from, to } = listRange(deps, options);
      return `${prefix}${query({
        startDateTime: isoInstant(from),
        endDateTime: isoInstant(to),
        ...readQuery(),
        $top: String(PAGE_SIZE),
      })}`;
    },
    options.continuationToken,
    options.bodyType,
    seriesOwner,
  );
}

/** The calendar view between two instants (default: now to 30 days on), a page at a time. */
export async function listGroupEvents(
  deps: EventDeps,
  options: { from?: string; to?: string; continuationToken?: string } & GroupOption & BodyOption,
  ctx: OperationContext,
): Promise<EventListResult> {
  const calendar = resolveCalendar(deps.config, options.group);
  const prefix = `/groups/${encodeURIComponent(calendar.groupId)}/calendarView?`;
  return listPage(
    deps,
    calendar,
    ctx,
    prefix,
    () => {
      const { from, to } = listRange(deps, options);
      return `${prefix}${query({
        startDateTime: isoInstant(from),
        endDateTime: isoInstant(to),
        ...readQuery(),
        $orderby: 'start/dateTime',
        $top: String(PAGE_SIZE),
      })}`;
    },
    options.continuationToken,
    options.bodyType,
  );
}
