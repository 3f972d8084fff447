/**
 * Bulk creates (docs/events.md, "Bulk"): up to 1 000 events through Graph JSON batching, at Outlook's
 * per-mailbox concurrency limit and never past it.
 *
 * Outlook runs at most 4 requests per mailbox at once, and Graph runs a batch's requests about 4 at a
 * time; so exactly one `$batch` of up to 20 creates is in flight at any moment, which keeps the mailbox
 * busy with 4 requests without a 5th. Items answered 429 wait their own `Retry-After` and go into a
 * later batch; an item that may have run (5xx, or the whole batch lost after sending) is looked up by
 * its key in a later batch before it is sent again — the same `transactionId` and key property as the
 * first attempt, so no item is ever created twice. One bad item never affects the others.
 */
import { randomUUID } from 'node:crypto';
import { ERRORS, GraphTokenError, toGraphTokenError } from '../../errors';
import { GraphNetworkError, graphError, parseClaimsChallenge, type GraphBatchRequest } from '../../graph';
import type {
  BulkEventInput,
  BulkEventResult,
  BulkEventSummary,
  EventProblem,
  OperationContext,
} from '../../types';
import { backoffMs } from '../call';
import { eventsPath, resolveCalendar } from '../calendars';
import type { EventDeps } from '../deps';
import { createdEvent, fromGraphEvent, preferHeader, toGraphEvent, UTC_PREFERENCE } from '../mapping';
import { assertAttendeeDomains, assertMayCreate } from '../owners';
import { createTarget, lookupResult, lookupUrl, reserveKey, type Reservation } from './create';
import { MAX_BULK_EVENTS, normalizeEvent, type NormalizedEvent } from '../validate';

export const BATCH_SIZE = 20;
const MAX_ITEM_ATTEMPTS = 6;
/** Idempotency-table reads and writes in parallel (storage, not the mailbox). */
const STORAGE_PARALLELISM = 16;

export interface BulkProgress {
  done: number;
  total: number;
  created: number;
  failed: number;
}

interface Job {
  index: number;
  event: NormalizedEvent;
  body: Record<string, unknown>;
  graphKey: string;
  /** The caller's idempotency key and its reservation, when the item had one. */
  idempotency?: { key: string; reservation: Reservation };
  needLookup: boolean;
  attempts: number;
  notBefore: number;
  last?: GraphTokenError;
}

export function problemOf(error: unknown): EventProblem {
  const e = toGraphTokenError(error);
  return { status: e.status, code: e.code, detail: e.message, hint: e.hint };
}

async function inPool<T>(items: T[], parallel: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * Validates the whole list first: an invalid item is reported and never sent; the others go on. With
 * `config`, attendee domains are checked too (EVENT_ATTENDEE_DOMAINS).
 */
export function validateBulk(
  items: readonly unknown[],
  config?: Pick<EventDeps['config'], 'eventAttendeeDomains'>,
): Array<NormalizedEvent | EventProblem> {
  if (items.length > MAX_BULK_EVENTS) {
    throw new GraphTokenError(ERRORS.INVALID_REQUEST, `events: at most ${MAX_BULK_EVENTS} per call`);
  }
  return items.map((item, index) => {
    try {
      if (!item || typeof item !== 'object' || Array.isArray(item)) {
        throw new GraphTokenError(ERRORS.INVALID_REQUEST, `events[${index}]: must be an object`);
      }
      const { idempotency_key: _key, ...event } = item as BulkEventInput;
      const normalized = normalizeEvent(event, `events[${index}]`);
      if (config) assertAttendeeDomains(config, normalized.attendees, `events[${index}]`);
      return normalized;
    } catch (error) {
      return problemOf(error);
    }
  });
}

export async function createGroupEvents(
  deps: EventDeps,
  items: readonly BulkEventInput[],
  options: { onProgress?: (progress: BulkProgress) => void; group?: string },
  ctx: OperationContext,
): Promise<BulkEventSummary> {
  const calendar = resolveCalendar(deps.config, options.group);
  assertMayCreate(ctx);
  const to = createTarget(calendar, ctx);
  const results: BulkEventResult[] = new Array(items.length);
  const audits: Promise<void>[] = [];
  const progress: BulkProgress = { done: 0, total: items.length, created: 0, failed: 0 };
  const settle = (index: number, result: Omit<BulkEventResult, 'index'>): void => {
    results[index] = { index, ...result };
    progress.done++;
    if (result.problem) progress.failed++;
    else progress.created++;
    audits.push(
      deps.audit({
        kind: 'events',
        ctx,
        operation: 'create-event',
        target: result.id ?? `events[${index}]`,
        outcome: result.problem ? 'failure' : 'success',
        detail: result.problem ? result.problem.detail : result.status === 200 ? 'idempotent repeat' : 'bulk',
        code: result.problem?.code ?? null,
      }),
    );
    options.onProgress?.({ ...progress });
  };
  const fail = (job: Pick<Job, 'index' | 'idempotency'>, error: unknown): Promise<void> => {
    const problem = problemOf(error);
    settle(job.index, { status: problem.status, problem });
    // A certain refusal frees the caller's key; an unknown outcome keeps it for the retry to look up.
    const release = job.idempotency?.reservation.mine && toGraphTokenError(error).category === 'request';
    return release ? deps.idempotency.release(to.scope, job.idempotency!.key) : Promise.resolve();
  };

  const validated = validateBulk(items, deps.config);
  const jobs: Job[] = [];
  const keyed: Array<{ index: number; event: NormalizedEvent; key: string }> = [];
  validated.forEach((value, index) => {
    if ('code' in value) return settle(index, { status: value.status, problem: value });
    const key = items[index]!.idempotency_key;
    if (key !== undefined) return void keyed.push({ index, event: value, key });
    const graphKey = randomUUID();
    jobs.push({
      index,
      event: value,
      body: toGraphEvent(value, graphKey, to.owner),
      graphKey,
      needLookup: false,
      attempts: 0,
      notBefore: 0,
    });
  });
  await inPool(keyed, STORAGE_PARALLELISM, async ({ index, event, key }) => {
    try {
      const reservation = await reserveKey(deps, to, event, key, `events[${index}].idempotency_key`);
      if (reservation.replay) return settle(index, { status: 200, id: reservation.replay.id });
      jobs.push({
        index,
        event,
        body: toGraphEvent(event, reservation.graphKey, to.owner),
        graphKey: reservation.graphKey,
        idempotency: { key, reservation },
        needLookup: !reservation.mine,
        attempts: 0,
        notBefore: 0,
      });
    } catch (error) {
      settle(index, { status: problemOf(error).status, problem: problemOf(error) });
    }
  });
  jobs.sort((a, b) => a.index - b.index);

  const completions: Promise<void>[] = [];
  const succeed = (job: Job, id: string, event: ReturnType<typeof fromGraphEvent>): void => {
    const replayed = job.idempotency !== undefined && !job.idempotency.reservation.mine;
    settle(job.index, { status: replayed ? 200 : 201, id });
    if (job.idempotency)
      completions.push(
        deps.idempotency.complete(to.scope, job.idempotency.key, event).catch(() => undefined),
      );
  };
  const retryLater = (job: Job, error: GraphTokenError, retryAfter?: string): Promise<void> | void => {
    job.attempts++;
    job.last = error;
    if (job.attempts >= MAX_ITEM_ATTEMPTS) {
      return fail(
        job,
        job.needLookup
          ? new GraphTokenError(
              ERRORS.EVENT_OUTCOME_UNKNOWN,
              `Microsoft Graph may have created the event; it could not be confirmed (${error.message})`,
            )
          : error,
      );
    }
    job.notBefore = deps.clock.now() + backoffMs(deps, job.attempts, retryAfter);
  };

  let pending = jobs;
  let token = await deps.tokens.getAccessToken({});
  while (pending.length > 0) {
    const now = deps.clock.now();
    const ready = pending.filter((j) => j.notBefore <= now).slice(0, BATCH_SIZE);
    if (ready.length === 0) {
      await deps.clock.sleep(Math.max(1, Math.min(...pending.map((j) => j.notBefore)) - now));
      continue;
    }
    const requests: GraphBatchRequest[] = ready.map((job) =>
      job.needLookup
        ? {
            id: String(job.index),
            method: 'GET',
            url: lookupUrl(calendar, job.graphKey),
            headers: UTC_PREFERENCE,
          }
        : {
            id: String(job.index),
            method: 'POST',
            url: eventsPath(calendar),
            body: job.body,
            headers: preferHeader(job.event.body_type),
          },
    );
    let answer;
    try {
      answer = await deps.graph.batch(token, requests);
    } catch (error) {
      if (!(error instanceof GraphNetworkError)) throw error;
      // The whole batch got no answer: every create in it may have run.
      const waits = ready.map((job) => {
        if (!job.needLookup && error.requestSent) job.needLookup = true;
        return retryLater(job, error);
      });
      await Promise.all(waits);
      pending = pending.filter((j) => results[j.index] === undefined);
      continue;
    }
    if (answer.status === 401) {
      const claims = parseClaimsChallenge(answer.headers?.['www-authenticate']);
      token = await deps.tokens.getAccessToken({ force: true, ...(claims ? { claims } : {}) });
      await Promise.all(ready.map((job) => retryLater(job, graphError(answer))));
    } else if (answer.status === 429 || answer.status >= 500 || !answer.responses) {
      // The batch itself was refused (429: nothing ran) or failed (5xx: some items may have run).
      const error = deps.graph.transient(answer);
      await Promise.all(
        ready.map((job) => {
          if (answer.status !== 429 && !job.needLookup) job.needLookup = true;
          return retryLater(job, error, answer.headers?.['retry-after']);
        }),
      );
    } else if (answer.status !== 200) {
      const error = graphError(answer);
      await Promise.all(ready.map((job) => fail(job, error)));
    } else {
      const byId = new Map(answer.responses.map((r) => [r.id, r]));
      let refreshed = false;
      for (const job of ready) {
        const item = byId.get(String(job.index));
        if (!item) {
          if (!job.needLookup) job.needLookup = true;
          await retryLater(
            job,
            new GraphTokenError(ERRORS.GRAPH_UNAVAILABLE, 'Microsoft Graph left a batch item unanswered'),
          );
        } else if (job.needLookup && item.status === 200) {
          const found = lookupResult(item);
          if (found) succeed(job, found.id, found);
          else job.needLookup = false; // Not created: send it in the next batch.
        } else if (!job.needLookup && (item.status === 201 || item.status === 200)) {
          const event = createdEvent(item.body, job.event);
          succeed(job, event.id, event);
        } else if (item.status === 401) {
          if (!refreshed) {
            const claims = parseClaimsChallenge(item.headers['www-authenticate']);
            token = await deps.tokens.getAccessToken({ force: true, ...(claims ? { claims } : {}) });
            refreshed = true;
          }
          await retryLater(job, graphError(item));
        } else if (item.status === 429 || item.status >= 500) {
          if (item.status !== 429 && !job.needLookup) job.needLookup = true;
          await retryLater(job, deps.graph.transient(item), item.headers['retry-after']);
        } else {
          await fail(job, graphError(item));
        }
      }
    }
    pending = pending.filter((j) => results[j.index] === undefined);
  }
  await Promise.all([...audits, ...completions]);
  const summary: BulkEventSummary = { created: progress.created, failed: progress.failed, results };
  return summary;
}
