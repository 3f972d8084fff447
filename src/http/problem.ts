import type { HttpResponseInit } from '@azure/functions';
import { STATUS_CODES } from 'node:http';
import { ERRORS, GraphTokenError, sanitize, type ErrorInfo } from '../lib/errors';

/**
 * RFC 9457 problem details: the one place where an error becomes an HTTP response. Everything the
 * pipeline rejects is a `GraphTokenError`; anything else is an unexpected fault and becomes a 500 whose
 * body says nothing about it (the log carries the correlation id to find it).
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

function httpInfo(code: string, status: number, hint: string): ErrorInfo {
  return Object.freeze({ code, category: 'request', status, hint });
}

/** Errors of the HTTP layer itself; the service's own errors live in `src/lib/errors.ts`. */
export const HTTP_ERRORS = Object.freeze({
  ROUTE_NOT_FOUND: httpInfo(
    'ROUTE_NOT_FOUND',
    404,
    'See GET /api/openapi.json for the routes this API serves.',
  ),
  METHOD_NOT_ALLOWED: httpInfo(
    'METHOD_NOT_ALLOWED',
    405,
    'Use one of the methods listed in the Allow header (see GET /api/openapi.json).',
  ),
  UNAUTHORIZED: httpInfo(
    'UNAUTHORIZED',
    401,
    'Send an Entra ID access token for this API (audience API_AUDIENCE) in the Authorization header: "Authorization: Bearer <token>". Locally: npx graph-tokens dev-token --role GraphTokens.Admin.',
  ),
  FORBIDDEN: httpInfo(
    'FORBIDDEN',
    403,
    "Assign the app role named in the message to the caller (Enterprise applications → this API → Users and groups, or the client app's API permissions), then get a new token.",
  ),
  PAYLOAD_TOO_LARGE: httpInfo('PAYLOAD_TOO_LARGE', 413, 'Send a JSON body of at most 64 KiB.'),
  UNSUPPORTED_MEDIA_TYPE: httpInfo(
    'UNSUPPORTED_MEDIA_TYPE',
    415,
    'Send the body as JSON with "Content-Type: application/json".',
  ),
  INVALID_REQUEST: ERRORS.INVALID_REQUEST,
  AUTHENTICATION_UNAVAILABLE: Object.freeze({
    code: 'AUTHENTICATION_UNAVAILABLE',
    category: 'transient',
    status: 503,
    hint: 'The signing keys of the identity provider could not be fetched, so caller tokens cannot be checked. Check GRAPH_AUTHORITY_HOST, GRAPH_TENANT and outbound network access; retry shortly.',
  } satisfies ErrorInfo),
});

const TITLES: Readonly<Record<string, string>> = Object.freeze({
  ROUTE_NOT_FOUND: 'Route not found',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  UNAUTHORIZED: 'Authentication required',
  FORBIDDEN: 'Missing app role',
  PAYLOAD_TOO_LARGE: 'Request body too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported content type',
  INVALID_REQUEST: 'Invalid request',
  INTERNAL: 'Internal error',
});

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  hint: string;
  correlation_id: string;
}

/** Problem types are URNs named after the stable code, e.g. `urn:graph-token-manager:problem:token-not-found`. */
export function problemType(code: string): string {
  return `urn:graph-token-manager:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

export function toProblem(error: unknown, correlationId: string): ProblemDetails {
  const known = error instanceof GraphTokenError && error.status >= 400 && error.status <= 599;
  const code = known ? error.code : ERRORS.INTERNAL.code;
  const status = known ? error.status : ERRORS.INTERNAL.status;
  return {
    type: problemType(code),
    title: TITLES[code] ?? STATUS_CODES[status] ?? 'Error',
    status,
    detail: known ? sanitize(error.message) : 'An unexpected error occurred.',
    code,
    hint: known ? error.hint : ERRORS.INTERNAL.hint,
    correlation_id: correlationId,
  };
}

/** The response for `error`, with any headers the error calls for (`Allow`, `WWW-Authenticate`, `Retry-After`). */
export function problemResponse(error: unknown, correlationId: string): HttpResponseInit {
  const problem = toProblem(error, correlationId);
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE };
  if (error instanceof HttpProblem) Object.assign(headers, error.headers);
  if (error instanceof GraphTokenError && error.retryAfterSeconds !== undefined && problem.status >= 500) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
  }
  return { status: problem.status, headers, body: JSON.stringify(problem) };
}

/** A `GraphTokenError` of the HTTP layer that also carries response headers. */
export class HttpProblem extends GraphTokenError {
  readonly headers: Readonly<Record<string, string>>;
  constructor(info: ErrorInfo, message: string, headers: Record<string, string> = {}) {
    super(info, message);
    this.name = 'HttpProblem';
    this.headers = Object.freeze({ ...headers });
  }
}

export function badRequest(message: string): HttpProblem {
  return new HttpProblem(HTTP_ERRORS.INVALID_REQUEST, message);
}
