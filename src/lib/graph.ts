import { failureCode, isPreSendFailure } from './sendFailure';
import type { Clock } from './clock';
import { ERRORS, GRAPH_ERRORS, GraphTokenError, sanitize } from './errors';
import { parseRetryAfter, withRetry } from './retry';

export type GraphMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface GraphResponse {
  status: number;
  body: Record<string, unknown>;
  /** Response headers (lower-case names); absent on responses taken from inside a `$batch`. */
  headers?: Record<string, string>;
}

/** One request of a JSON batch (`POST /$batch`), with a URL relative to the API version. */
export interface GraphBatchRequest {
  id: string;
  method: GraphMethod;
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  dependsOn?: string[];
}

export interface GraphBatchResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/**
 * A request that got no HTTP answer. `requestSent` tells whether Graph may have acted on it: a refused
 * connection or failed TLS handshake never reached Graph; a reset or timeout after sending may have
 * (docs/events.md, "Exactly once").
 */
export class GraphNetworkError extends GraphTokenError {
  constructor(
    message: string,
    readonly requestSent: boolean,
    cause: unknown,
  ) {
    super(ERRORS.GRAPH_UNAVAILABLE, message, { cause });
    this.name = 'GraphNetworkError';
  }
}

/** Deny by default: a failure that does not prove the request unsent may have created the event. */
function requestWasSent(error: unknown): boolean {
  return !isPreSendFailure(failureCode(error));
}

function headersOf(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => (out[name.toLowerCase()] = value));
  return out;
}

/** The one module that talks to Microsoft Graph. */
export class GraphClient {
  constructor(
    private readonly baseUrl: string,
    private readonly clock: Clock,
    private readonly timeoutMs = 15000,
  ) {}

  /**
   * One request, no retries, every HTTP answer returned as it came. A failure without an answer is a
   * `GraphNetworkError` that says whether the request may have reached Graph.
   */
  async request(
    method: GraphMethod,
    path: string,
    accessToken: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<GraphResponse & { headers: Record<string, string> }> {
    let response: Response;
    const { body } = options;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${accessToken}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      throw new GraphNetworkError('Microsoft Graph could not be reached', requestWasSent(cause), cause);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (cause) {
      // The status line arrived, the body did not: Graph acted on the request.
      throw new GraphNetworkError('Microsoft Graph dropped the response', true, cause);
    }
    let parsed: Record<string, unknown> = {};
    try {
      const value = text ? (JSON.parse(text) as unknown) : {};
      if (value && typeof value === 'object' && !Array.isArray(value))
        parsed = value as Record<string, unknown>;
    } catch {
      parsed = {};
    }
    return { status: response.status, body: parsed, headers: headersOf(response.headers) };
  }

  /** One request, no retries. Network failures become `GRAPH_UNAVAILABLE`; 429/5xx are thrown too. */
  async send(method: GraphMethod, path: string, accessToken: string, body?: unknown): Promise<GraphResponse> {
    const response = await this.request(method, path, accessToken, { body });
    if (response.status === 429 || response.status >= 500) throw this.transient(response);
    return response;
  }

  /** A 429/5xx answer as a transient error carrying its Retry-After. */
  transient(response: GraphResponse): GraphTokenError {
    return new GraphTokenError(ERRORS.GRAPH_UNAVAILABLE, `Microsoft Graph answered HTTP ${response.status}`, {
      retryAfterSeconds: parseRetryAfter(response.headers?.['retry-after'], this.clock.now()),
      upstreamCode: graphErrorCode(response),
    });
  }

  /** `send` with transient failures (429, 5xx, network) retried with backoff and Retry-After. */
  sendWithRetry(
    method: GraphMethod,
    path: string,
    accessToken: string,
    body?: unknown,
  ): Promise<GraphResponse> {
    return withRetry(() => this.send(method, path, accessToken, body), {
      clock: this.clock,
      maxTotalMs: 30000,
    });
  }

  me(accessToken: string): Promise<GraphResponse> {
    return this.send('GET', '/me', accessToken);
  }

  /** JSON batching: up to 20 requests in one `POST /$batch`; each answer comes back with its own status. */
  async batch(
    accessToken: string,
    requests: GraphBatchRequest[],
  ): Promise<GraphResponse & { responses?: GraphBatchResponse[] }> {
    if (requests.length > 20)
      throw new GraphTokenError(ERRORS.INTERNAL, 'A Graph batch holds at most 20 requests');
    const response = await this.request('POST', '/$batch', accessToken, {
      body: {
        requests: requests.map((r) => ({
          id: r.id,
          method: r.method,
          url: r.url,
          ...(r.body !== undefined
            ? { body: r.body, headers: { 'content-type': 'application/json', ...r.headers } }
            : r.headers
              ? { headers: r.headers }
              : {}),
          ...(r.dependsOn ? { dependsOn: r.dependsOn } : {}),
        })),
      },
    });
    if (response.status !== 200 || !Array.isArray(response.body.responses)) return response;
    const responses = (response.body.responses as Array<Record<string, unknown>>).map((r) => ({
      id: String(r.id ?? ''),
      status: Number(r.status ?? 0),
      headers: Object.fromEntries(
        Object.entries((r.headers as Record<string, unknown>) ?? {}).map(([k, v]) => [
          k.toLowerCase(),
          String(v),
        ]),
      ),
      body:
        r.body && typeof r.body === 'object' && !Array.isArray(r.body)
          ? (r.body as Record<string, unknown>)
          : {},
    }));
    return { ...response, responses };
  }
}

/** Graph's error code of an answer (`ErrorAccessDenied`), if it carries one. */
export function graphErrorCode(response: GraphResponse): string | undefined {
  const code = (response.body.error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Graph's error body → a service error with the Graph code in the message and a hint. */
export function graphError(response: GraphResponse): GraphTokenError {
  const err = (response.body.error ?? {}) as { code?: string; message?: string };
  const code = err.code ?? `HTTP${response.status}`;
  const message = `Microsoft Graph: ${code}: ${sanitize(err.message ?? `HTTP ${response.status}`)}`;
  const known = GRAPH_ERRORS[code];
  if (known) return new GraphTokenError(known, message, { upstreamCode: code });
  if (response.status === 401)
    return new GraphTokenError(ERRORS.TOKEN_REJECTED, message, { upstreamCode: code });
  return new GraphTokenError(ERRORS.GRAPH_ERROR, message, { upstreamCode: code });
}

/**
 * The claims of a continuous access evaluation challenge: a 401 whose `WWW-Authenticate` says
 * `Bearer ... error="insufficient_claims", claims="<base64 JSON>"`. Undefined for any other 401.
 */
export function parseClaimsChallenge(header: string | undefined): string | undefined {
  if (!header || !/error\s*=\s*"?insufficient_claims"?/i.test(header)) return undefined;
  const match = /claims\s*=\s*"([^"]*)"/i.exec(header);
  if (!match?.[1]) return undefined;
  try {
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    JSON.parse(decoded);
    return decoded;
  } catch {
    return undefined;
  }
}
