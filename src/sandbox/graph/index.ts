/**
 * A Microsoft Graph stand-in over HTTPS: `GET /v1.0/me`, group calendars (events, series and their
 * instances, the calendar view) and JSON batching, with Graph's error shapes and the Outlook behaviour
 * the product depends on (docs/sandbox.md, "Graph"). Access tokens are checked against the sandbox
 * identity provider, so a token only works here if the service really obtained it (signature, issuer,
 * audience, expiry, and the delegated scope).
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
  startHttpsServer,
  type LoopbackHttpsServer,
  type SandboxRequestLog,
} from '../http';
import { GRAPH_APP_ID, GRAPH_RESOURCE, type SandboxIdentityProvider } from '../identityProvider';
import { runBatch } from './batch';
import { GraphInputError, SandboxCalendar, type SandboxGraphEvent, type ZonePolicy } from './calendar';
import { OutlookPerson, handleControl } from './control';
import { CAE_CLAIMS, DEFAULT_ERRORS, parseGraphFault, type GraphFault, type GraphPath } from './faults';
import { countRequest, zeroCounts, type GraphCounts } from './counts';
import { Mailboxes, OUTLOOK_BUDGET, type MailboxBudget } from './mailbox';
import {
  errorReply,
  executeCalendar,
  groupNotFound,
  headersOf,
  meReply,
  type Claims,
  type Op,
  type Reply,
} from './routes';

export type { GraphFault, GraphPath } from './faults';
export type { EventView, SandboxGraphEvent, ZonePolicy } from './calendar';
export type { MailboxBudget } from './mailbox';
export type { GraphCounts, GroupCounts } from './counts';
export { OutlookPerson, OUTLOOK_PERSON } from './control';

export interface SandboxGraphOptions {
  identityProvider: SandboxIdentityProvider;
  /** Known group ids (default: the one sandbox group); each is its own calendar and mailbox. */
  groupIds?: string[];
  /** Display names by group id (default `Sandbox group N`). */
  groupNames?: Record<string, string>;
  port?: number;
  certificate?: SandboxCertificate;
  onRequest?: (entry: SandboxRequestLog) => void;
  /** Time each mailbox request takes, in ms (default 0); the bulk benchmark uses 50. */
  latencyMs?: number;
  /** Outlook's concurrent requests per mailbox (default 4). */
  mailboxConcurrency?: number;
  /** Outlook's request budget per mailbox (default 10 000 per 10 minutes). */
  mailboxBudget?: MailboxBudget;
  /** How many of a batch's requests Graph runs at once (default 4). */
  batchParallelism?: number;
  /** `graph` (default): Windows zones and Graph's documented IANA list; `any`: every zone Intl knows. */
  timeZones?: ZonePolicy;
  /** The clock of the budget window and of timestamps (default Date.now). */
  clock?: { now(): number };
}

export const DEFAULT_GROUP_ID = '33333333-3333-4333-8333-333333333333';

/**
 * Graph's own rule by default: Windows ids and the documented IANA list (a service that forwards any
 * IANA name, e.g. Europe/Amsterdam, fails here as it would on Graph). `any` is the earlier leniency.
 */
export const DEFAULT_ZONE_POLICY: ZonePolicy = 'graph';

function pathOf(route: string): GraphPath {
  if (route === 'me') return 'me';
  if (route === '$batch') return 'batch';
  return 'events';
}

const isCreate = (route: string, method: string): boolean =>
  method === 'POST' && /^groups\/[^/]+\/events$/.test(route);

export class SandboxGraph extends StandIn<GraphFault, GraphCounts> {
  /** `https://localhost:<port>/v1.0` */
  readonly baseUrl: string;
  /** Known groups: id → displayName. */
  readonly groups = new Map<string, string>();
  readonly calendar: SandboxCalendar;
  /** A person acting in Outlook (drift): edits, cancels, deletes, own meetings, attendee answers. */
  readonly outlook: OutlookPerson;
  private readonly mailboxes: Mailboxes;
  private latencyMs: number;
  private readonly batchParallelism: number;

  private constructor(
    server: LoopbackHttpsServer,
    private readonly identityProvider: SandboxIdentityProvider,
    options: SandboxGraphOptions,
  ) {
    super(server, zeroCounts, parseGraphFault);
    this.baseUrl = `${server.origin}/v1.0`;
    const now = (): number => (options.clock ?? Date).now();
    this.calendar = new SandboxCalendar(options.timeZones ?? DEFAULT_ZONE_POLICY, now);
    this.outlook = new OutlookPerson(this.calendar, () => this.groupIds[0]!);
    for (const id of options.groupIds ?? [DEFAULT_GROUP_ID]) this.addGroup(id, options.groupNames?.[id]);
    this.latencyMs = options.latencyMs ?? 0;
    this.mailboxes = new Mailboxes(
      options.mailboxConcurrency ?? 4,
      options.mailboxBudget ?? OUTLOOK_BUDGET,
      now,
    );
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
    ref.current = new SandboxGraph(server, options.identityProvider, options);
    return ref.current;
  }

  /** Known group ids, in the order added (the first is the default). */
  get groupIds(): string[] {
    return [...this.groups.keys()];
  }

  /** Stored events of every calendar, oldest first: single events and series masters (occurrences are computed). */
  get events(): SandboxGraphEvent[] {
    return this.calendar.events;
  }

  get budget(): MailboxBudget {
    return this.mailboxes.budget;
  }

  /** A group Graph knows from now on, with its own calendar and mailbox limits. */
  addGroup(id: string, displayName = `Sandbox group ${this.groups.size + 1}`): void {
    this.groups.set(id, displayName);
  }

  /** The request budget per mailbox from now on (the window's history is kept). */
  setBudget(budget: MailboxBudget): void {
    this.mailboxes.budget = { ...budget };
  }

  /** Forgets the requests counted against every mailbox's budget. */
  resetBudget(): void {
    this.mailboxes.resetBudget();
  }

  /** Requests admitted to a group's mailbox within the current budget window. */
  budgetUsed(groupId = this.groupIds[0]!): number {
    return this.mailboxes.used(groupId);
  }

  /** Which time zones creates and updates accept from now on (`graph` or `any`). */
  setTimeZonePolicy(policy: ZonePolicy): void {
    this.calendar.zones = policy;
  }

  /** Time each mailbox request takes from now on. */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** An event organized by someone else, e.g. to see a cancel refused. */
  seedEvent(fields: { subject: string; start: string; end: string; organizer: string; groupId?: string }) {
    const utc = (iso: string) => ({ dateTime: new Date(iso).toISOString().slice(0, 19), timeZone: 'UTC' });
    const body = { subject: fields.subject, start: utc(fields.start), end: utc(fields.end) };
    return this.calendar.create(fields.groupId ?? this.groupIds[0]!, body, { address: fields.organizer })
      .event;
  }

  override resetCounts(): void {
    super.resetCounts();
    this.calendar.deduplicated = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (segments[0] === '_sandbox') {
      this.counts.deduplicated = this.calendar.deduplicated;
      const route = segments.slice(1).join('/');
      if (await this.handleCommonControl(req, res, route)) return;
      if (await handleControl(this, req, res, route)) return;
      return sendJson(res, 404, { error: { code: 'NotFound', message: 'No such sandbox route' } });
    }
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
    if (isCreate(route, method)) this.counts.events += 1;

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
    const reply =
      path === 'batch'
        ? await runBatch(op, {
            parallelism: this.batchParallelism,
            knownRoute: (r) => this.knownRoute(r),
            runItem: (item) => this.batchItem(item, claims),
          })
        : await this.atMailbox(op, claims);
    if (fault?.kind === 'commit-drop') return dropConnection(req);
    return this.send(req, res, reply);
  }

  private knownRoute(route: string): boolean {
    return (
      route === 'me' ||
      route === '$batch' ||
      /^groups\/[^/]+(\/(events(\/[^/]+(\/(cancel|instances))?)?|calendarView))?$/.test(route)
    );
  }

  private batchItem(item: Op, claims: Claims): Promise<Reply> {
    if (isCreate(item.route, item.method)) this.counts.events += 1;
    const route = pathOf(item.route);
    const fault = this.faults.take(
      (f) => f.kind === 'status' && ((f.path ?? 'any') === 'any' || f.path === route),
    );
    if (fault?.kind === 'status') return Promise.resolve(this.faultReply(fault));
    return this.atMailbox(item, claims);
  }

  private faultReply(fault: Extract<GraphFault, { kind: 'status' }>): Reply {
    const [code, message] = DEFAULT_ERRORS[fault.status] ?? ['UnknownError', `HTTP ${fault.status}`];
    const headers: Record<string, string> = {};
    if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
    return errorReply(fault.status, fault.code ?? code, fault.message ?? message, headers);
  }

  /** Runs a request against its group's mailbox, within Outlook's limits (429 beyond them). */
  private async atMailbox(op: Op, claims: Claims): Promise<Reply> {
    if (op.route === 'me') return meReply(this.baseUrl, op, claims);
    const groupId = op.route.split('/')[1]!;
    // An unknown group has no mailbox: Graph's directory answers before Outlook is asked.
    if (!this.groups.has(groupId)) return groupNotFound(groupId);
    const admission = this.mailboxes.admit(groupId);
    if (!admission.ok && admission.reason === 'budget') {
      this.counts.budget_rejected += 1;
      return errorReply(429, 'ApplicationThrottled', 'Application is over its MailboxRequests limit.', {
        'retry-after': String(admission.retryAfterSeconds),
        'x-ms-throttle-reason': 'MailboxRequests',
      });
    }
    if (!admission.ok) {
      this.counts.mailbox_rejected += 1;
      return errorReply(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', {
        'retry-after': '1',
        'x-ms-throttle-reason': 'MailboxConcurrency',
      });
    }
    countRequest(this.counts, groupId, op.method, admission.running);
    try {
      if (this.latencyMs > 0) await delay(this.latencyMs);
      return executeCalendar(
        { calendar: this.calendar, baseUrl: this.baseUrl, groups: this.groups },
        op,
        claims,
      );
    } catch (error) {
      if (error instanceof GraphInputError) return errorReply(error.status, error.code, error.message);
      throw error;
    } finally {
      this.mailboxes.release(groupId);
    }
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
}
