/**
 * Creating one event exactly once (docs/events.md, "Exactly once"):
 * - every create carries a key, sent as Graph's `transactionId` and stamped in an extended property,
 *   the same on every retry of that create;
 * - after an ambiguous failure (5xx, or no answer after the request went out) the key is looked up with
 *   `$filter` before anything is sent again, so a response lost after Graph committed never yields a
 *   second event;
 * - a caller's idempotency key is remembered 24 h per caller (Table Storage): a repeat gets the original
 *   event, from any instance; a different body under the same key is `IDEMPOTENCY_KEY_REUSED`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ERRORS, GraphTokenError, toGraphTokenError } from '../../errors';
import { GraphNetworkError, type GraphResponse } from '../../graph';
import type { GroupEvent, GroupEventInput, OperationContext } from '../../types';
import { backoffMs, eventError, MAX_ATTEMPTS, withToken } from '../call';
import type { EventDeps } from '../deps';
import {
  createdEvent,
  createKeyFilter,
  fromGraphEvent,
  preferHeader,
  readQuery,
  toGraphEvent,
  UTC_PREFERENCE,
} from '../mapping';
import { eventsPath, resolveCalendar, type Calendar } from '../calendars';
import { assertAttendeeDomains, assertMayCreate, ownerOf } from '../owners';
import { markReplay } from '../replay';
import { assertIdempotencyKey, fingerprint, normalizeEvent, type NormalizedEvent } from '../validate';

const BUDGET_MS = 30_000;

export { isReplay } from '../replay';

/** The Graph key of a caller's idempotency key: the same for every instance, so retries converge. */
export function graphKeyFor(scope: string, key: string): string {
  const h = createHash('sha256').update(`${scope}\n${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The lookup request of the create made with `key` (for `request` or inside a `$batch`). */
export function lookupUrl(calendar: Calendar, key: string): string {
  const query = new URLSearchParams({ $filter: createKeyFilter(key), ...readQuery(), $top: '1' });
  return `${eventsPath(calendar)}?${query.toString().replace(/\+/g, '%20')}`;
}

/** The event a lookup answer names, or null when Graph has none with that key. */
export function lookupResult(response: GraphResponse): GroupEvent | null {
  const value = response.body.value;
  if (!Array.isArray(value) || value.length === 0) return null;
  return fromGraphEvent(value[0] as Record<string, unknown>);
}

/**
 * Sends one create until it is known to have happened or not. With `lookupFirst` (another call may
 * already have sent this key) the key is looked up before the first send.
 */
export async function createOnce(
  deps: EventDeps,
  calendar: Calendar,
  event: NormalizedEvent,
  key: string,
  owner: string,
  options: { lookupFirst?: boolean; stamps?: ReadonlyArray<{ id: string; value: string }> } = {},
): Promise<GroupEvent> {
  const body = toGraphEvent(event, key, owner, options.stamps);
  const started = deps.clock.now();
  let needLookup = options.lookupFirst === true;
  let last: GraphTokenError | undefined;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS + 1; attempt++) {
    let retryAfter: string | undefined;
    try {
      if (needLookup) {
        const found = await withToken(deps, (token) =>
          deps.graph.request('GET', lookupUrl(calendar, key), token, { headers: UTC_PREFERENCE }),
        );
        if (found.status === 200) {
          const existing = lookupResult(found);
          if (existing) return existing;
          needLookup = false;
        } else if (found.status === 429 || found.status >= 500) {
          last = deps.graph.transient(found);
          retryAfter = found.headers?.['retry-after'];
        } else {
          throw eventError(found, 'create');
        }
      }
      if (!needLookup) {
        const response = await withToken(deps, (token) =>
          deps.graph.request('POST', eventsPath(calendar), token, {
            body,
            headers: preferHeader(event.body_type),
          }),
        );
        if (response.status === 201 || response.status === 200) return createdEvent(response.body, event);
        if (response.status !== 429 && response.status < 500) throw eventError(response, 'create');
        // A 429 was refused before it ran; a 5xx may have run: look before sending again.
        needLookup = response.status !== 429;
        last = deps.graph.transient(response);
        retryAfter = response.headers?.['retry-after'];
      }
    } catch (error) {
      if (!(error instanceof GraphNetworkError)) throw error;
      needLookup ||= error.requestSent;
      last = error;
    }
    const wait = backoffMs(deps, attempt, retryAfter);
    if (attempt > MAX_ATTEMPTS || deps.clock.now() - started + wait > BUDGET_MS) break;
    await deps.clock.sleep(wait);
  }
  if (needLookup) {
    throw new GraphTokenError(
      ERRORS.EVENT_OUTCOME_UNKNOWN,
      `Microsoft Graph may have created the event; it could not be confirmed (${last?.message ?? 'no answer'})`,
      { cause: last, retryAfterSeconds: last?.retryAfterSeconds },
    );
  }
  throw last ?? new GraphTokenError(ERRORS.GRAPH_UNAVAILABLE, 'Microsoft Graph could not be reached');
}

/**
 * Where a create goes and for whom: the calendar, the owner stamped on the event (docs/events.md), and the
 * idempotency scope (keys are per caller and per calendar).
 */
export interface CreateTarget {
  readonly calendar: Calendar;
  readonly owner: string;
  readonly scope: string;
}

export function createTarget(calendar: Calendar, ctx: OperationContext): CreateTarget {
  const owner = ownerOf(ctx);
  return { calendar, owner, scope: `${ctx.actor}\n${calendar.groupId}` };
}

/** `createGroupEvent(event, { idempotencyKey, group }, ctx)`: the façade delegates here. */
export async function createGroupEvent(
  deps: EventDeps,
  input: GroupEventInput,
  options: { idempotencyKey?: string; group?: string },
  ctx: OperationContext,
): Promise<GroupEvent> {
  let target = `groups/${options.group ?? deps.config.groupId ?? '-'}/events`;
  try {
    const calendar = resolveCalendar(deps.config, options.group);
    target = `groups/${calendar.groupId}/events`;
    assertMayCreate(ctx);
    const event = normalizeEvent(input);
    assertAttendeeDomains(deps.config, event.attendees);
    const to = createTarget(calendar, ctx);
    const key = options.idempotencyKey;
    if (key === undefined) {
      const created = await createOnce(deps, calendar, event, randomUUID(), to.owner);
      await deps.audit({
        kind: 'events',
        ctx,
        operation: 'create-event',
        target: created.id,
        outcome: 'success',
      });
      return created;
    }
    const { event: result, replayed } = await createWithKey(deps, to, event, key);
    await deps.audit({
      kind: 'events',
      ctx,
      operation: 'create-event',
      target: result.id,
      outcome: 'success',
      detail: replayed ? 'idempotent repeat' : null,
    });
    return result;
  } catch (error) {
    const e = toGraphTokenError(error);
    await deps.audit({
      kind: 'events',
      ctx,
      operation: 'create-event',
      target,
      outcome: 'failure',
      detail: e.message,
      code: e.code,
    });
    throw e;
  }
}

/** A create under a caller's idempotency key (also one item of a bulk create). */
export async function createWithKey(
  deps: EventDeps,
  to: CreateTarget,
  event: NormalizedEvent,
  key: string,
  field = 'Idempotency-Key',
): Promise<{ event: GroupEvent; replayed: boolean }> {
  const reservation = await reserveKey(deps, to, event, key, field);
  if (reservation.replay) return { event: reservation.replay, replayed: true };
  const created = await sendReserved(deps, to, event, key, reservation);
  return { event: created, replayed: !reservation.mine };
}

export interface Reservation {
  graphKey: string;
  /** This call wrote the reservation (false: an earlier call with the same key did). */
  mine: boolean;
  /** The original event of a completed earlier call. */
  replay?: GroupEvent;
}

export async function reserveKey(
  deps: EventDeps,
  to: CreateTarget,
  event: NormalizedEvent,
  key: string,
  field = 'Idempotency-Key',
): Promise<Reservation> {
  assertIdempotencyKey(key, field);
  const print = fingerprint(event);
  const { record, mine } = await deps.idempotency.reserve(to.scope, key, {
    fingerprint: print,
    graphKey: graphKeyFor(to.scope, key),
  });
  if (!mine && record.fingerprint !== print) {
    throw new GraphTokenError(
      ERRORS.IDEMPOTENCY_KEY_REUSED,
      `${field}: this key was used in the last 24 hours for a different event`,
    );
  }
  if (!mine && record.state === 'done' && record.event) {
    const replay = { ...record.event };
    markReplay(replay);
    return { graphKey: record.graphKey, mine, replay };
  }
  return { graphKey: record.graphKey, mine };
}

/** Sends a reserved create and records its event; a certain failure frees the key again. */
export async function sendReserved(
  deps: EventDeps,
  to: CreateTarget,
  event: NormalizedEvent,
  key: string,
  reservation: Reservation,
): Promise<GroupEvent> {
  let created: GroupEvent;
  try {
    // Not ours: an earlier call sent (or is sending) this key; ask Graph before sending it again.
    created = await createOnce(deps, to.calendar, event, reservation.graphKey, to.owner, {
      lookupFirst: !reservation.mine,
    });
  } catch (error) {
    const e = toGraphTokenError(error);
    if (reservation.mine && e.category === 'request') await deps.idempotency.release(to.scope, key);
    throw e;
  }
  await deps.idempotency.complete(to.scope, key, created);
  if (!reservation.mine) markReplay(created);
  return created;
}
