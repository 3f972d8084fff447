/**
 * A Microsoft Graph stand-in over HTTPS: `GET /v1.0/me`, group calendar events and JSON batching, with
 * Graph's error shapes and the Outlook behaviour the product depends on (docs/sandbox.md, "Graph").
 * Access tokens are checked against the sandbox identity provider, so a token only works here if the
 * service really obtained it (signature, issuer, audience, expiry, and the delegated scope).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ensureSandboxCertificate, type SandboxCertificate } from '../certs';
import {
  StandIn,
  RequestBodyError,
  bearerToken,
  clientRequestId,
  delay,
  dropConnection,
  readJson,
  sendEmpty,
  sendJson,
  sendMethodNotAllowed,
  startHttpsServer,
  type LoopbackHttpsServer,
  type SandboxRequestLog,
} from '../http';
import { GRAPH_APP_ID, GRAPH_RESOURCE, type SandboxIdentityProvider } from '../identityProvider';
import { GraphInputError, SandboxCalendar, type SandboxGraphEvent } from './calendar';
import { CAE_CLAIMS, DEFAULT_ERRORS, parseGraphFault, type GraphFault, type GraphPath } from './faults';
import {
  errorReply,
  executeCalendar,
  headersOf,
  notAllowed,
  type Claims,
  type Op,
  type Reply,
} from './routes';

export type { GraphFault, GraphPath } from './faults';
export type { SandboxGraphEvent } from './calendar';

export interface GraphCounts {
  /** Requests to `/me`, including faulted and rejected ones. */
  me: number;
  /** Event creations attempted (`POST /groups/{id}/events`, batch items included), faulted and rejected ones too. */
  events: number;
  /** Requests rejected with 401 for a missing, forged or expired token. */
  unauthorized: number;
  /** `$batch` requests received. */
  batches: number;
  /** Requests that ran against a mailbox (calendar routes and batch items). */
  mailbox_requests: number;
  /** The most requests ever running at one mailbox at once. */
  max_in_flight: number;
  /** Requests refused with 429 `MailboxConcurrency` (a 5th concurrent request). */
  mailbox_rejected: number;
  /** Creates answered with an existing event because their `transactionId` was seen before. */
  deduplicated: number;
}

export interface SandboxGraphOptions {
  identityProvider: SandboxIdentityProvider;
  groupIds?: string[];
  port?: number;
  certificate?: SandboxCertificate;
  onRequest?: (entry: SandboxRequestLog) => void;
  /** Time each mailbox request takes, in ms (default 0); the bulk benchmark uses 50. */
  latencyMs?: number;
  /** Outlook's concurrent requests per mailbox (default 4). */
  mailboxConcurrency?: number;
  /** How many of a batch's requests Graph runs at once (default 4). */
  batchParallelism?: number;
}

export const DEFAULT_GROUP_ID = '33333333-3333-4333-8333-333333333333';

const zeroCounts = (): GraphCounts => ({
  me: 0,
  events: 0,
  unauthorized: 0,
  batches: 0,
  mailbox_requests: 0,
  max_in_flight: 0,
  mailbox_rejected: 0,
  deduplicated: 0,
});

function pathOf(route: string): GraphPath {
  if (route === 'me') return 'me';
  if (route === '$batch') return 'batch';
  return 'events';
}

export class SandboxGraph extends StandIn<GraphFault, GraphCounts> {
  /** `https://localhost:<port>/v1.0` */
  readonly baseUrl: string;
  readonly groupIds: string[];
  private readonly calendar = new SandboxCalendar();
  private readonly inFlight = new Map<string, number>();
  private latencyMs: number;
  private readonly mailboxConcurrency: number;
  private readonly batchParallelism: number;

  private constructor(
    server: LoopbackHttpsServer,
    private readonly identityProvider: SandboxIdentityProvider,
    groupIds: string[],
    options: SandboxGraphOptions,
  ) {
    super(server, zeroCounts, parseGraphFault);
    this.baseUrl = `${server.origin}/v1.0`;
    this.groupIds = groupIds;
    this.latencyMs = options.latencyMs ?? 0;
    this.mailboxConcurrency = options.mailboxConcurrency ?? 4;
    this.batchParallelism = options.batchParallelism ?? 4;
  }

  static async start(options: SandboxGraphOptions): Promise<SandboxGraph> {
    // Requests cannot arrive before the port is known, but the handler must exist before listening.
    const ref: { current?: SandboxGraph } = {};
    const server = await startHttpsServer(
      (req, res, url) => {
        if (!ref.current)
          return sendJson(res, 503, { error: { code: 'ServiceNotAvailable', message: 'Starting' } });
        return ref.current.handle(req, res, url);
      },
      {
        name: 'graph',
        certificate: options.certificate ?? ensureSandboxCertificate(),
        port: options.port,
        onRequest: options.onRequest,
      },
    );
    ref.current = new SandboxGraph(
      server,
      options.identityProvider,
      [...(options.groupIds ?? [DEFAULT_GROUP_ID])],
      options,
    );
    return ref.current;
  }

  /** Events in the calendars, oldest first (deleted ones are gone; cancelled ones have `isCancelled`). */
  get events(): SandboxGraphEvent[] {
    return this.calendar.events;
  }

  /** Time each mailbox request takes from now on. */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** An event organized by someone else, e.g. to see a cancel refused. */
  seedEvent(fields: { subject: string; start: string; end: string; organizer: string; groupId?: string }) {
    return this.calendar.seed(fields.groupId ?? this.groupIds[0]!, fields);
  }

  override resetCounts(): void {
    super.resetCounts();
    this.calendar.deduplicated = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (segments[0] === '_sandbox') return this.handleControl(req, res, segments.slice(1).join('/'));
    const method = req.method ?? 'GET';
    const route = segments.slice(1).join('/');
    if (segments[0] !== 'v1.0' || !this.knownRoute(route)) {
      return this.send(
        req,
        res,
        errorReply(400, 'BadRequest', `Resource not found for the segment '${segments.at(-1) ?? ''}'.`),
      );
    }
    const path = pathOf(route);
    if (path === 'me') this.counts.me += 1;
    if (path === 'batch') this.counts.batches += 1;
    if (path === 'events' && method === 'POST' && /\/events$/.test(route)) this.counts.events += 1;

    const fault = this.faults.take((f) => (f.path ?? 'any') === 'any' || f.path === path);
    if (fault?.kind === 'drop') return dropConnection(req);
    if (fault?.kind === 'delay') await delay(fault.ms);
    if (fault?.kind === 'status') return this.send(req, res, this.faultReply(fault));
    if (fault?.kind === 'claims') {
      return this.send(
        req,
        res,
        errorReply(401, 'InvalidAuthenticationToken', 'Continuous access evaluation resulted in challenge.', {
          'www-authenticate': `Bearer realm="", authorization_uri="${this.identityProvider.authorityHost}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}", error="insufficient_claims", claims="${CAE_CLAIMS}"`,
        }),
      );
    }

    const claims = await this.authenticate(req, res);
    if (!claims) return;
    let body: unknown;
    try {
      body = method === 'POST' || method === 'PATCH' ? await readJson(req) : undefined;
    } catch (error) {
      const status = error instanceof RequestBodyError ? error.status : 400;
      return this.send(
        req,
        res,
        errorReply(
          status,
          'BadRequest',
          'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
        ),
      );
    }
    const op: Op = { method, route, query: url.searchParams, body, headers: headersOf(req) };
    const reply = path === 'batch' ? await this.batch(op, claims) : await this.atMailbox(op, claims);
    if (fault?.kind === 'commit-drop') return dropConnection(req);
    return this.send(req, res, reply);
  }

  private knownRoute(route: string): boolean {
    return (
      route === 'me' ||
      route === '$batch' ||
      /^groups\/[^/]+\/(events(\/[^/]+(\/cancel)?)?|calendarView)$/.test(route)
    );
  }

  private faultReply(fault: Extract<GraphFault, { kind: 'status' }>): Reply {
    const [code, message] = DEFAULT_ERRORS[fault.status] ?? ['UnknownError', `HTTP ${fault.status}`];
    const headers: Record<string, string> = {};
    if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
    return errorReply(fault.status, fault.code ?? code, fault.message ?? message, headers);
  }

  /** Runs a request against its mailbox: at most `mailboxConcurrency` at once, the rest get 429. */
  private async atMailbox(op: Op, claims: Claims): Promise<Reply> {
    if (op.route === 'me') return this.me(op, claims);
    const groupId = op.route.split('/')[1]!;
    const running = this.inFlight.get(groupId) ?? 0;
    if (running >= this.mailboxConcurrency) {
      this.counts.mailbox_rejected += 1;
      return errorReply(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', {
        'retry-after': '1',
        'x-ms-throttle-reason': 'MailboxConcurrency',
      });
    }
    this.inFlight.set(groupId, running + 1);
    this.counts.max_in_flight = Math.max(this.counts.max_in_flight, running + 1);
    this.counts.mailbox_requests += 1;
    try {
      if (this.latencyMs > 0) await delay(this.latencyMs);
      return executeCalendar(
        { calendar: this.calendar, baseUrl: this.baseUrl, groupIds: this.groupIds },
        op,
        claims,
      );
    } catch (error) {
      if (error instanceof GraphInputError) return errorReply(error.status, error.code, error.message);
      throw error;
    } finally {
      this.inFlight.set(groupId, (this.inFlight.get(groupId) ?? 1) - 1);
    }
  }

  /** JSON batching: ≤ 20 requests, run `batchParallelism` at a time, each answered with its own status. */
  private async batch(op: Op, claims: Claims): Promise<Reply> {
    if (op.method !== 'POST')
      return errorReply(405, 'Request_BadRequest', 'Specified HTTP method is not allowed.');
    const requests = (op.body as { requests?: unknown } | undefined)?.requests;
    if (!Array.isArray(requests) || requests.length === 0) {
      return errorReply(400, 'BadRequest', 'Invalid batch payload format.');
    }
    if (requests.length > 20) {
      return errorReply(400, 'BadRequest', 'Number of batch request steps exceeds the maximum of 20.');
    }
    const items = requests as Array<{
      id?: unknown;
      method?: unknown;
      url?: unknown;
      body?: unknown;
      headers?: Record<string, string>;
      dependsOn?: unknown;
    }>;
    const ids = items.map((r) => String(r.id ?? ''));
    if (new Set(ids).size !== ids.length || ids.some((id) => !id)) {
      return errorReply(400, 'BadRequest', 'Batch request ids must be unique and non-empty.');
    }
    const done = new Map<string, Promise<Reply>>();
    const run = async (item: (typeof items)[number]): Promise<Reply> => {
      const deps = Array.isArray(item.dependsOn) ? item.dependsOn.map(String) : [];
      for (const dep of deps) {
        const result = await done.get(dep);
        if (!result || result.status >= 400)
          return errorReply(424, 'FailedDependency', 'A dependency failed.');
      }
      const url = new URL(String(item.url ?? '').replace(/^\/?/, '/'), 'https://graph.local');
      const route = url.pathname.replace(/^\//, '').split('/').map(decodeURIComponent).join('/');
      if (!this.knownRoute(route) || route === '$batch') {
        return errorReply(
          400,
          'BadRequest',
          `Resource not found for the segment '${route.split('/').at(-1)}'.`,
        );
      }
      const method = String(item.method ?? 'GET').toUpperCase();
      if (pathOf(route) === 'events' && method === 'POST' && /\/events$/.test(route)) this.counts.events += 1;
      const fault = this.faults.take(
        (f) => f.kind === 'status' && ((f.path ?? 'any') === 'any' || f.path === pathOf(route)),
      );
      if (fault?.kind === 'status') return this.faultReply(fault);
      const headers = Object.fromEntries(
        Object.entries(item.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
      );
      return this.atMailbox({ method, route, query: url.searchParams, body: item.body, headers }, claims);
    };
    // Graph dispatches a batch's requests a few at a time, in order; dependent ones wait for theirs.
    const replies = new Array<Reply>(items.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const index = next++;
        const promise = run(items[index]!);
        done.set(ids[index]!, promise);
        replies[index] = await promise;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.batchParallelism, items.length) }, worker));
    return {
      status: 200,
      body: {
        responses: replies.map((reply, index) => ({
          id: ids[index],
          status: reply.status,
          headers: { 'content-type': 'application/json', ...reply.headers },
          body: reply.body ?? null,
        })),
      },
    };
  }

  /** The token's claims, or undefined after answering 401 as Graph does. */
  private async authenticate(req: IncomingMessage, res: ServerResponse): Promise<Claims | undefined> {
    const token = bearerToken(req);
    let message = 'Access token is empty.';
    if (token) {
      const check = await this.identityProvider.verifyToken(token, {
        audience: [GRAPH_RESOURCE, GRAPH_APP_ID],
      });
      if (check.ok) return check.claims;
      message =
        check.reason === 'expired' || check.reason === 'not_yet_valid'
          ? 'Lifetime validation failed, the token is expired.'
          : check.reason === 'bad_audience'
            ? 'Invalid audience.'
            : check.reason === 'malformed'
              ? 'IDX14100: JWT is not well formed.'
              : 'Access token validation failure. Invalid signature.';
    }
    this.counts.unauthorized += 1;
    this.send(
      req,
      res,
      errorReply(401, 'InvalidAuthenticationToken', message, {
        'www-authenticate': `Bearer realm="", authorization_uri="${this.identityProvider.authorityHost}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`,
      }),
    );
    return undefined;
  }

  private me(op: Op, claims: Claims): Reply {
    if (op.method !== 'GET') return notAllowed();
    if (claims.idtyp === 'app' || claims.scp === undefined) {
      return errorReply(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
    }
    const upn = String(claims.upn ?? '');
    return {
      status: 200,
      body: {
        '@odata.context': `${this.baseUrl}/$metadata#users/$entity`,
        businessPhones: [],
        displayName: claims.name ?? null,
        givenName: null,
        jobTitle: null,
        mail: upn || null,
        mobilePhone: null,
        officeLocation: null,
        preferredLanguage: 'en-US',
        surname: null,
        userPrincipalName: upn,
        id: claims.oid,
      },
    };
  }

  private send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
    const headers = {
      'request-id': randomUUID(),
      'client-request-id': clientRequestId(req),
      ...reply.headers,
    };
    this.counts.deduplicated = this.calendar.deduplicated;
    if (reply.body === undefined) return sendEmpty(res, reply.status, headers);
    const body = reply.body as { error?: { innerError?: Record<string, unknown> } };
    if (body.error?.innerError) body.error.innerError['client-request-id'] = headers['client-request-id'];
    sendJson(res, reply.status, reply.body, headers);
  }

  private async handleControl(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
    this.counts.deduplicated = this.calendar.deduplicated;
    const handled = await this.handleCommonControl(req, res, route);
    if (handled) return;
    if (route === 'events') {
      if (req.method === 'GET') return sendJson(res, 200, { events: this.events });
      if (req.method === 'DELETE') {
        this.events.length = 0;
        return sendEmpty(res);
      }
      return sendMethodNotAllowed(res, 'GET, DELETE');
    }
    if (route === 'latency') {
      if (req.method !== 'POST') return sendMethodNotAllowed(res, 'POST');
      const ms = Number(((await readJson(req).catch(() => undefined)) as { ms?: unknown } | undefined)?.ms);
      if (!Number.isInteger(ms) || ms < 0 || ms > 60_000) {
        return sendJson(res, 400, { error: { code: 'InvalidLatency', message: 'ms: 0-60000' } });
      }
      this.setLatency(ms);
      return sendEmpty(res);
    }
    return sendJson(res, 404, { error: { code: 'NotFound', message: 'No such sandbox route' } });
  }
}
