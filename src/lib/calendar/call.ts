/**
 * Calling Graph for an event operation: the managed token, one forced refresh and one retry on a 401
 * (passing a CAE claims challenge on), and transient failures retried with backoff and `Retry-After`.
 */
import { ERRORS, GraphTokenError } from '../errors';
import { GraphNetworkError, graphError, parseClaimsChallenge, type GraphResponse } from '../graph';
import { parseRetryAfter } from '../retry';
import type { EventDeps } from './deps';

export const MAX_ATTEMPTS = 4;
const BUDGET_MS = 30_000;

/** Sends with the current token; on a 401, once more with a forced new one (with the challenge's claims). */
export async function withToken(
  deps: EventDeps,
  send: (token: string) => Promise<GraphResponse>,
): Promise<GraphResponse> {
  const response = await send(await deps.tokens.getAccessToken({}));
  if (response.status !== 401) return response;
  const claims = parseClaimsChallenge(response.headers?.['www-authenticate']);
  return send(await deps.tokens.getAccessToken({ force: true, ...(claims ? { claims } : {}) }));
}

/** Exponential backoff with jitter, at least the server's `Retry-After`. */
export function backoffMs(deps: Pick<EventDeps, 'clock'>, attempt: number, retryAfter?: string): number {
  const base = Math.min(8000, 400 * 2 ** (attempt - 1));
  const jittered = Math.round(base / 2 + Math.random() * (base / 2));
  const server = parseRetryAfter(retryAfter, deps.clock.now());
  return server !== undefined ? Math.max(server * 1000, Math.min(jittered, 1000)) : jittered;
}

export interface CallOutcome {
  response: GraphResponse;
  /** An earlier attempt may have been carried out by Graph (5xx, or no answer after sending). */
  ambiguous: boolean;
}

/**
 * An operation that may be repeated (GET, PATCH, DELETE, cancel): retried on network errors, 429 and
 * 5xx within the budget. Returns the last HTTP answer that is not transient.
 */
export async function callRepeatable(
  deps: EventDeps,
  send: (token: string) => Promise<GraphResponse>,
): Promise<CallOutcome> {
  const started = deps.clock.now();
  let ambiguous = false;
  for (let attempt = 1; ; attempt++) {
    let failure: GraphTokenError;
    let wait: number;
    try {
      const response = await withToken(deps, send);
      if (response.status !== 429 && response.status < 500) return { response, ambiguous };
      if (response.status !== 429) ambiguous = true;
      failure = deps.graph.transient(response);
      wait = backoffMs(deps, attempt, response.headers?.['retry-after']);
    } catch (error) {
      if (!(error instanceof GraphNetworkError)) throw error;
      ambiguous ||= error.requestSent;
      failure = error;
      wait = backoffMs(deps, attempt);
    }
    if (attempt >= MAX_ATTEMPTS || deps.clock.now() - started + wait > BUDGET_MS) throw failure;
    await deps.clock.sleep(wait);
  }
}

export type EventOperation = 'create' | 'get' | 'list' | 'update' | 'cancel' | 'delete';

/** Graph's refusal of an event operation → the service's error, with a hint. */
export function eventError(response: GraphResponse, operation: EventOperation): GraphTokenError {
  const base = graphError(response);
  const message = base.message;
  const byId =
    operation === 'get' || operation === 'update' || operation === 'cancel' || operation === 'delete';
  // An unknown event id is ErrorItemNotFound, the code that for a create means an unknown group.
  if (byId && response.status === 404) {
    return new GraphTokenError(ERRORS.EVENT_NOT_FOUND, message, { upstreamCode: base.upstreamCode });
  }
  if (
    operation === 'cancel' &&
    (response.status === 403 || (response.status === 400 && /organi[sz]er/i.test(message)))
  ) {
    return new GraphTokenError(ERRORS.EVENT_NOT_ORGANIZER, message, { upstreamCode: base.upstreamCode });
  }
  return base;
}
