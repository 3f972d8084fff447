/**
 * A Microsoft Graph stand-in over HTTPS: `GET /v1.0/me` and group calendar events, with Graph's error
 * shapes. Access tokens are checked against the sandbox identity provider, so a token only works here
 * if the service really obtained it (signature, issuer, audience, expiry, and the delegated scope).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ensureSandboxCertificate, type SandboxCertificate } from './certs';
import {
  StandIn,
  RequestBodyError,
  bearerToken,
  clientRequestId,
  delay,
  describeIssues,
  dropConnection,
  readJson,
  sendEmpty,
  sendJson,
  sendMethodNotAllowed,
  startHttpsServer,
  type LoopbackHttpsServer,
  type SandboxRequestLog,
} from './http';
import { GRAPH_APP_ID, GRAPH_RESOURCE, type SandboxIdentityProvider } from './identityProvider';

export type GraphPath = 'me' | 'events' | 'any';

export type GraphFault =
  | {
      kind: 'status';
      status: number;
      /** Graph's error code, e.g. `ErrorAccessDenied`; defaults to the usual code for the status. */
      code?: string;
      message?: string;
      retryAfterSeconds?: number;
      path?: GraphPath;
      times?: number;
    }
  | { kind: 'delay'; ms: number; path?: GraphPath; times?: number }
  | { kind: 'drop'; path?: GraphPath; times?: number };

export interface GraphCounts {
  /** Requests to `/me`, including faulted and rejected ones. */
  me: number;
  /** Event creations attempted (`POST /groups/{id}/events`), including faulted and rejected ones. */
  events: number;
  /** Requests rejected with 401 for a missing, forged or expired token. */
  unauthorized: number;
}

export interface SandboxGraphEvent {
  id: string;
  groupId: string;
  /** The request body exactly as the caller posted it. */
  body: Record<string, unknown>;
}

export interface SandboxGraphOptions {
  identityProvider: SandboxIdentityProvider;
  groupIds?: string[];
  port?: number;
  certificate?: SandboxCertificate;
  onRequest?: (entry: SandboxRequestLog) => void;
}

export const DEFAULT_GROUP_ID = '33333333-3333-4333-8333-333333333333';
/** The delegated permission Graph requires to create a group event. */
const EVENTS_SCOPE = 'Group.ReadWrite.All';

const pathSchema = z.enum(['me', 'events', 'any']).optional();
const timesSchema = z.number().int().positive().optional();
const faultSchema: z.ZodType<GraphFault> = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('status'),
      status: z.number().int().min(400).max(599),
      code: z.string().optional(),
      message: z.string().optional(),
      retryAfterSeconds: z.number().int().nonnegative().optional(),
      path: pathSchema,
      times: timesSchema,
    })
    .strict(),
  z
    .object({
      kind: z.literal('delay'),
      ms: z.number().int().nonnegative(),
      path: pathSchema,
      times: timesSchema,
    })
    .strict(),
  z.object({ kind: z.literal('drop'), path: pathSchema, times: timesSchema }).strict(),
]);

function parseGraphFault(body: unknown): GraphFault {
  const parsed = faultSchema.safeParse(body);
  if (!parsed.success) throw new Error(describeIssues(parsed.error.issues));
  return parsed.data;
}

const dateTimeTimeZone = z.object({ dateTime: z.string().min(1), timeZone: z.string().min(1) }).passthrough();
const eventSchema = z
  .object({ subject: z.string().min(1), start: dateTimeTimeZone, end: dateTimeTimeZone })
  .passthrough();

/** Graph's usual error code and message per status, for faults that name none. */
const DEFAULT_ERRORS: Record<number, [string, string]> = {
  400: ['BadRequest', 'Bad request.'],
  401: ['InvalidAuthenticationToken', 'Access token validation failure.'],
  403: ['ErrorAccessDenied', 'Access is denied. Check credentials and try again.'],
  404: ['Request_ResourceNotFound', 'Resource not found.'],
  409: [
    'ErrorIrresolvableConflict',
    'The change key passed in the request does not match the current change key.',
  ],
  429: ['TooManyRequests', 'Too many requests.'],
  500: ['InternalServerError', 'An internal server error occurred.'],
  502: ['BadGateway', 'Bad gateway.'],
  503: ['ServiceNotAvailable', 'The service is temporarily unavailable.'],
  504: ['GatewayTimeout', 'Gateway timeout.'],
};

const zeroCounts = (): GraphCounts => ({ me: 0, events: 0, unauthorized: 0 });

export class SandboxGraph extends StandIn<GraphFault, GraphCounts> {
  /** `https://localhost:<port>/v1.0` */
  readonly baseUrl: string;
  readonly groupIds: string[];
  /** Events created so far, oldest first. */
  readonly events: SandboxGraphEvent[] = [];

  private constructor(
    server: LoopbackHttpsServer,
    private readonly identityProvider: SandboxIdentityProvider,
    groupIds: string[],
  ) {
    super(server, zeroCounts, parseGraphFault);
    this.baseUrl = `${server.origin}/v1.0`;
    this.groupIds = groupIds;
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
    ref.current = new SandboxGraph(server, options.identityProvider, [
      ...(options.groupIds ?? [DEFAULT_GROUP_ID]),
    ]);
    return ref.current;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (segments[0] === '_sandbox') return this.handleControl(req, res, segments.slice(1).join('/'));
    const method = req.method ?? 'GET';
    const route = segments.slice(1).join('/');
    const eventsMatch = /^groups\/([^/]+)\/events$/.exec(route);
    const target: 'me' | 'events' | undefined =
      segments[0] !== 'v1.0' ? undefined : route === 'me' ? 'me' : eventsMatch ? 'events' : undefined;
    if (!target) {
      return this.error(
        req,
        res,
        400,
        'BadRequest',
        `Resource not found for the segment '${segments.at(-1) ?? ''}'.`,
      );
    }
    if (target === 'me') {
      if (method !== 'GET')
        return this.error(
          req,
          res,
          405,
          'Request_BadRequest',
          'Specified HTTP method is not allowed for the request target.',
        );
      this.counts.me += 1;
    } else if (method === 'POST') this.counts.events += 1;

    const fault = this.faults.take(
      (candidate) => (candidate.path ?? 'any') === 'any' || candidate.path === target,
    );
    if (fault?.kind === 'drop') return dropConnection(req);
    if (fault?.kind === 'delay') await delay(fault.ms);
    if (fault?.kind === 'status') {
      const [defaultCode, defaultMessage] = DEFAULT_ERRORS[fault.status] ?? [
        'UnknownError',
        `HTTP ${fault.status}`,
      ];
      const headers: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      return this.error(
        req,
        res,
        fault.status,
        fault.code ?? defaultCode,
        fault.message ?? defaultMessage,
        headers,
      );
    }

    const claims = await this.authenticate(req, res);
    if (!claims) return;
    if (target === 'me') return this.me(req, res, claims);

    const groupId = eventsMatch![1];
    if (!this.groupIds.includes(groupId)) {
      return this.error(
        req,
        res,
        404,
        'Request_ResourceNotFound',
        `Resource '${groupId}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    if (method === 'GET') return this.listEvents(req, res, groupId);
    if (method !== 'POST')
      return this.error(
        req,
        res,
        405,
        'Request_BadRequest',
        'Specified HTTP method is not allowed for the request target.',
      );
    const scopes = String(claims.scp ?? '').split(' ');
    if (!scopes.includes(EVENTS_SCOPE)) {
      return this.error(
        req,
        res,
        403,
        'ErrorAccessDenied',
        'Access is denied. Check credentials and try again.',
      );
    }
    return this.createEvent(req, res, groupId, claims);
  }

  /** The token's claims, or undefined after answering 401 as Graph does. */
  private async authenticate(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<Record<string, unknown> | undefined> {
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
    this.error(req, res, 401, 'InvalidAuthenticationToken', message, {
      'www-authenticate': `Bearer realm="", authorization_uri="${this.identityProvider.authorityHost}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`,
    });
    return undefined;
  }

  private me(req: IncomingMessage, res: ServerResponse, claims: Record<string, unknown>): void {
    if (claims.idtyp === 'app' || claims.scp === undefined) {
      return this.error(
        req,
        res,
        400,
        'BadRequest',
        '/me request is only valid with delegated authentication flow.',
      );
    }
    const upn = String(claims.upn ?? '');
    this.reply(req, res, 200, {
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
    });
  }

  private async createEvent(
    req: IncomingMessage,
    res: ServerResponse,
    groupId: string,
    claims: Record<string, unknown>,
  ): Promise<void> {
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (error) {
      const status = error instanceof RequestBodyError ? error.status : 400;
      return this.error(
        req,
        res,
        status,
        'BadRequest',
        'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
      );
    }
    const parsed = eventSchema.safeParse(body);
    if (!parsed.success) {
      return this.error(
        req,
        res,
        400,
        'ErrorInvalidRequest',
        `Your request can't be completed. ${describeIssues(parsed.error.issues)}`,
      );
    }
    const event = parsed.data as Record<string, unknown> & z.infer<typeof eventSchema>;
    const id = `AAMkAG${randomBytes(48).toString('base64url')}=`;
    this.events.push({ id, groupId, body: body as Record<string, unknown> });
    const now = new Date().toISOString();
    const organizer = { emailAddress: { name: claims.name ?? null, address: claims.upn ?? null } };
    const contentBody = (event.body as { contentType?: string; content?: string } | undefined) ?? {
      contentType: 'text',
      content: '',
    };
    this.reply(req, res, 201, {
      '@odata.context': `${this.baseUrl}/$metadata#groups('${groupId}')/events/$entity`,
      '@odata.etag': `W/"${randomBytes(12).toString('base64')}"`,
      id,
      createdDateTime: now,
      lastModifiedDateTime: now,
      changeKey: randomBytes(12).toString('base64'),
      categories: [],
      originalStartTimeZone: event.start.timeZone,
      originalEndTimeZone: event.end.timeZone,
      iCalUId: `040000008200E00074C5B7101A82E008${randomBytes(28).toString('hex').toUpperCase()}`,
      reminderMinutesBeforeStart: 15,
      isReminderOn: true,
      hasAttachments: false,
      subject: event.subject,
      bodyPreview: String(contentBody.content ?? '')
        .replace(/<[^>]*>/g, '')
        .slice(0, 255),
      importance: 'normal',
      sensitivity: 'normal',
      isAllDay: false,
      isCancelled: false,
      isOrganizer: true,
      responseRequested: true,
      showAs: 'busy',
      type: 'singleInstance',
      webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(id)}&exvsurl=1&path=/calendar/item`,
      onlineMeetingUrl: null,
      isOnlineMeeting: false,
      responseStatus: { response: 'organizer', time: '0001-01-01T00:00:00Z' },
      body: contentBody,
      start: event.start,
      end: event.end,
      location: event.location ?? { displayName: '', locationType: 'default' },
      locations: event.locations ?? [],
      attendees: event.attendees ?? [],
      organizer,
    });
  }

  private listEvents(req: IncomingMessage, res: ServerResponse, groupId: string): void {
    this.reply(req, res, 200, {
      '@odata.context': `${this.baseUrl}/$metadata#groups('${groupId}')/events`,
      value: this.events.filter((e) => e.groupId === groupId).map((e) => ({ id: e.id, ...e.body })),
    });
  }

  private error(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
  ): void {
    const requestId = randomUUID();
    this.reply(
      req,
      res,
      status,
      {
        error: {
          code,
          message,
          innerError: {
            date: new Date().toISOString().slice(0, 19),
            'request-id': requestId,
            'client-request-id': clientRequestId(req),
          },
        },
      },
      { 'request-id': requestId, ...headers },
    );
  }

  private reply(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    sendJson(res, status, body, {
      'request-id': randomUUID(),
      'client-request-id': clientRequestId(req),
      ...headers,
    });
  }

  private async handleControl(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
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
    return sendJson(res, 404, { error: { code: 'NotFound', message: 'No such sandbox route' } });
  }
}
