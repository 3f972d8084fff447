import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import type { TokenServiceApi } from '../lib/api';
import { assertConfigurationUsable } from '../lib/config';
import { GraphTokenError } from '../lib/errors';
import type { OperationContext } from '../lib/types';
import { authenticatorFor, contextOf, requireRole, type Caller } from './auth';
import { parseJsonObject, readBodyLimited } from './body';
import { CORRELATION_HEADER, correlationIdOf } from './correlation';
import { describeError, logEvent } from './logging';
import { HTTP_ERRORS, HttpProblem, badRequest, problemResponse } from './problem';
import type { EndpointDefinition } from './routes';
import { appConfig, tokenService } from './service';

/**
 * The request pipeline every API function shares. Checks run in the order docs/http.md fixes, so clients
 * see the same answer whatever else is wrong with a request:
 * 405 (method) → 401 (token) → 403 (role) → 413 (size, counted before parsing) → 415 (content type)
 * → 400 (JSON syntax and shape, query, route values). 404 for unknown routes is the catch-all's.
 */

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface EndpointInput<E extends EndpointDefinition> {
  readonly body: Parsed<E['body']>;
  readonly query: Parsed<E['query']>;
  readonly params: Parsed<E['params']>;
  /** `null` on anonymous routes. */
  readonly caller: Caller | null;
  /** Actor and correlation id for the service's audit trail. */
  readonly ctx: OperationContext;
  readonly context: InvocationContext;
  /** The request itself, for the few adapters that need its URL or headers (the sign-in cookie). */
  readonly request: HttpRequest;
  /** Request headers (for the few endpoints that read one, e.g. `Idempotency-Key`). */
  readonly headers: { get(name: string): string | null };
  /** The token service (created on first use). */
  service(): TokenServiceApi;
}

export interface EndpointResult<E extends EndpointDefinition> {
  readonly body: E['response'] extends z.ZodType ? z.output<E['response']> : undefined;
  readonly status?: number;
  readonly headers?: Record<string, string>;
}

export interface PipelineOptions {
  /** Where the token service comes from; tests of the pipeline alone pass their own. */
  readonly service?: () => TokenServiceApi;
  /**
   * The endpoint answers even when the configuration is invalid in Azure (health): the pipeline then
   * authenticates no caller (that would fetch the identity provider's keys) and the handler must not use
   * the service. Every other endpoint answers 503 CONFIGURATION_INVALID (docs/operations.md).
   */
  readonly servesWhenFailClosed?: boolean;
  /**
   * `aggregate`: no log line per request, one `http.requests` summary per minute and one at once when
   * the status changes (health, which probes call every few seconds). Default `each`.
   */
  readonly requestLog?: 'each' | 'aggregate';
}

const COMMON_HEADERS = Object.freeze({
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
});

/** Turns an endpoint definition and a thin adapter into a Functions `HttpHandler`. */
export function handleEndpoint<E extends EndpointDefinition>(
  endpoint: E,
  handle: (input: EndpointInput<E>) => Promise<EndpointResult<E>>,
  options: PipelineOptions = {},
): HttpHandler {
  const getService = options.service ?? tokenService;
  const configOf = options.service ? () => options.service!().config : appConfig;
  const requestLog = options.requestLog === 'aggregate' ? new RequestTally(endpoint.route) : undefined;
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const started = Date.now();
    const correlationId = correlationIdOf(request.headers);
    let caller: Caller | null = null;
    let response: HttpResponseInit;
    try {
      // First of all: an invalid configuration in Azure answers before any caller token is checked (the
      // check would fetch the identity provider's signing keys) and before any service exists.
      const failClosed = configOf().failClosed;
      if (failClosed && !options.servesWhenFailClosed) assertConfigurationUsable(configOf());
      if (request.method.toUpperCase() !== endpoint.method) {
        throw new HttpProblem(HTTP_ERRORS.METHOD_NOT_ALLOWED, `${request.method} is not allowed here.`, {
          allow: endpoint.method,
        });
      }
      if (failClosed) {
        // servesWhenFailClosed: anonymous, whatever the request carries.
      } else if (endpoint.role !== null) {
        caller = await authenticatorFor(getService().config).authenticate(request.headers, request.query);
        requireRole(caller, endpoint.role);
      } else if (endpoint.optionalRole !== undefined && request.headers.get('authorization') !== null) {
        caller = await authenticatorFor(getService().config).authenticate(request.headers, request.query);
        requireRole(caller, endpoint.optionalRole);
      }
      const body =
        endpoint.body === undefined
          ? undefined
          : await readJsonBody(request, endpoint.body, endpoint.maxBodyBytes);
      const query = endpoint.query === undefined ? undefined : parseQuery(request.query, endpoint.query);
      const params =
        endpoint.params === undefined ? undefined : parseWith(endpoint.params, request.params, 'route');
      const input = {
        body,
        query,
        params,
        caller,
        ctx: contextOf(caller, correlationId),
        context,
        request,
        headers: request.headers,
        service: getService,
      } as EndpointInput<E>;
      const result = await handle(input);
      response =
        endpoint.response === null
          ? { status: result.status ?? endpoint.successStatus, headers: { ...result.headers } }
          : {
              status: result.status ?? endpoint.successStatus,
              headers: { 'content-type': 'application/json; charset=utf-8', ...result.headers },
              body: JSON.stringify(result.body),
            };
    } catch (error) {
      response = problemResponse(error, correlationId);
      // A fail-closed refusal is expected on every request: the start-up log names the variables once.
      const refusedByConfiguration =
        error instanceof GraphTokenError && error.code === 'CONFIGURATION_INVALID';
      if ((response.status ?? 500) >= 500 && !refusedByConfiguration) {
        logEvent(context, 'error', 'http.failed', { correlation_id: correlationId, ...describeError(error) });
      }
    }
    finishResponse(response, correlationId);
    if (requestLog) requestLog.count(context, response.status ?? 200, Date.now() - started);
    else {
      logEvent(context, 'info', 'http.request', {
        method: request.method,
        route: endpoint.route,
        status: response.status,
        duration_ms: Date.now() - started,
        correlation_id: correlationId,
        actor: caller?.actor ?? null,
      });
    }
    return response;
  };
}

const TALLY_WINDOW_MS = 60_000;

/**
 * Requests of one route counted instead of logged one by one: a summary line per minute (written by the
 * first request after the minute, so no timer keeps the process alive), and one at once for the first
 * request and whenever the status changes, so a health that turns 503 is in the logs immediately.
 */
class RequestTally {
  private windowStart = Date.now();
  private lastStatus: number | undefined;
  private byStatus = new Map<number, number>();
  private maxDurationMs = 0;

  constructor(private readonly route: string) {}

  count(context: InvocationContext, status: number, durationMs: number): void {
    const first = this.lastStatus === undefined;
    const changed = !first && status !== this.lastStatus;
    this.lastStatus = status;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    this.maxDurationMs = Math.max(this.maxDurationMs, durationMs);
    const now = Date.now();
    if (!first && !changed && now - this.windowStart < TALLY_WINDOW_MS) return;
    logEvent(context, changed && status >= 500 ? 'warn' : 'info', 'http.requests', {
      route: this.route,
      since: new Date(this.windowStart).toISOString(),
      requests: Object.fromEntries(this.byStatus),
      max_duration_ms: this.maxDurationMs,
      last_status: status,
      ...(changed ? { status_changed: true } : {}),
    });
    this.windowStart = now;
    this.byStatus = new Map();
    this.maxDurationMs = 0;
  }
}

async function readJsonBody(request: HttpRequest, schema: z.ZodType, limit?: number): Promise<unknown> {
  const bytes = await readBodyLimited(request, limit);
  const value = parseJsonObject(bytes, request.headers.get('content-type'));
  return parseWith(schema, value, 'body');
}

function parseQuery(query: URLSearchParams, schema: z.ZodType): unknown {
  const values: Record<string, string> = {};
  for (const key of new Set(query.keys())) {
    const all = query.getAll(key);
    if (all.length > 1) throw badRequest(`query: "${key}" is given more than once.`);
    values[key] = all[0]!;
  }
  return parseWith(schema, values, 'query');
}

function parseWith(schema: z.ZodType, value: unknown, where: 'body' | 'query' | 'route'): unknown {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw badRequest(describeIssues(result.error.issues, where));
}

/** "body.ids[0]: …; body: unknown field "x"" — precise enough to fix the request, no values echoed. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], where: string): string {
  const parts = issues.slice(0, 10).map((issue) => {
    const path = issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '');
    const location = path === '' ? where : `${where}.${path}`;
    if (issue.code === 'unrecognized_keys') {
      return `${location}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k.slice(0, 64)}"`).join(', ')}`;
    }
    return `${location}: ${issue.message}`;
  });
  if (issues.length > 10) parts.push(`and ${issues.length - 10} more`);
  return parts.join('; ');
}

/** Catch-all responses carry the same headers as every other response. */
export function finishResponse(response: HttpResponseInit, correlationId: string): HttpResponseInit {
  response.headers = {
    ...COMMON_HEADERS,
    ...(response.headers as Record<string, string>),
    [CORRELATION_HEADER]: correlationId,
  };
  return response;
}
