import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import type { TokenServiceApi } from '../lib/api';
import type { OperationContext } from '../lib/types';
import { authenticatorFor, contextOf, requireRole, type Caller } from './auth';
import { parseJsonObject, readBodyLimited } from './body';
import { CORRELATION_HEADER, correlationIdOf } from './correlation';
import { describeError, logEvent } from './logging';
import { HTTP_ERRORS, HttpProblem, badRequest, problemResponse } from './problem';
import type { EndpointDefinition } from './routes';
import { tokenService } from './service';

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
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const started = Date.now();
    const correlationId = correlationIdOf(request.headers);
    let caller: Caller | null = null;
    let response: HttpResponseInit;
    try {
      if (request.method.toUpperCase() !== endpoint.method) {
        throw new HttpProblem(HTTP_ERRORS.METHOD_NOT_ALLOWED, `${request.method} is not allowed here.`, {
          allow: endpoint.method,
        });
      }
      if (endpoint.role !== null) {
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
      if ((response.status ?? 500) >= 500) {
        logEvent(context, 'error', 'http.failed', { correlation_id: correlationId, ...describeError(error) });
      }
    }
    finishResponse(response, correlationId);
    logEvent(context, 'info', 'http.request', {
      method: request.method,
      route: endpoint.route,
      status: response.status,
      duration_ms: Date.now() - started,
      correlation_id: correlationId,
      actor: caller?.actor ?? null,
    });
    return response;
  };
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
