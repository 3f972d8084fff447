import type { Clock } from './clock';
import { ERRORS, GRAPH_ERRORS, GraphTokenError, sanitize } from './errors';
import { parseRetryAfter, withRetry } from './retry';
import type { CreatedEvent, GroupEventInput } from './types';

export interface GraphResponse {
  status: number;
  body: Record<string, unknown>;
  /** The `WWW-Authenticate` header of a 401 (a CAE claims challenge may be in it). */
  wwwAuthenticate?: string;
}

/** The one module that talks to Microsoft Graph. */
export class GraphClient {
  constructor(
    private readonly baseUrl: string,
    private readonly clock: Clock,
    private readonly timeoutMs = 15000,
  ) {}

  /** One request, no retries. Network failures become `GRAPH_UNAVAILABLE`; HTTP errors are returned. */
  async send(
    method: 'GET' | 'POST',
    path: string,
    accessToken: string,
    body?: unknown,
  ): Promise<GraphResponse> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${accessToken}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      throw new GraphTokenError(ERRORS.GRAPH_UNAVAILABLE, 'Microsoft Graph could not be reached', { cause });
    }
    const text = await response.text().catch(() => '');
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = {};
    }
    if (response.status === 429 || response.status >= 500) {
      throw new GraphTokenError(
        ERRORS.GRAPH_UNAVAILABLE,
        `Microsoft Graph answered HTTP ${response.status}`,
        { retryAfterSeconds: parseRetryAfter(response.headers.get('retry-after'), this.clock.now()) },
      );
    }
    const wwwAuthenticate = response.headers.get('www-authenticate') ?? undefined;
    return { status: response.status, body: parsed, ...(wwwAuthenticate ? { wwwAuthenticate } : {}) };
  }

  /** `send` with transient failures (429, 5xx, network) retried with backoff and Retry-After. */
  sendWithRetry(
    method: 'GET' | 'POST',
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

  createEvent(accessToken: string, groupId: string, event: GroupEventInput): Promise<GraphResponse> {
    return this.sendWithRetry(
      'POST',
      `/groups/${encodeURIComponent(groupId)}/events`,
      accessToken,
      toGraphEvent(event),
    );
  }
}

/** SPEC §5.2 → Graph's event resource. */
export function toGraphEvent(event: GroupEventInput): Record<string, unknown> {
  const timeZone = event.time_zone ?? 'UTC';
  return {
    subject: event.subject,
    start: { dateTime: event.start, timeZone },
    end: { dateTime: event.end, timeZone },
    ...(event.body !== undefined
      ? { body: { contentType: event.body_type === 'html' ? 'html' : 'text', content: event.body } }
      : {}),
    ...(event.location !== undefined ? { location: { displayName: event.location } } : {}),
    ...(event.attendees?.length
      ? { attendees: event.attendees.map((address) => ({ emailAddress: { address }, type: 'required' })) }
      : {}),
  };
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

export function toCreatedEvent(body: Record<string, unknown>): CreatedEvent {
  return { id: String(body.id ?? ''), web_link: typeof body.webLink === 'string' ? body.webLink : null };
}
