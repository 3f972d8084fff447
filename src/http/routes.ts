import type { z } from 'zod';
import { ROLES, type Role } from './auth';
import type * as Schemas from './schemas';
import { SYNC_ENDPOINTS } from './syncRoutes';

/**
 * The schemas (and zod with them) are loaded on first use, not when the function app starts: the route
 * table is read at start-up for names, routes and methods only, and zod is about half of a cold start.
 */
let loaded: typeof Schemas | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const schemas = (): typeof Schemas => (loaded ??= require('./schemas') as typeof Schemas);

/**
 * The HTTP API (docs/http.md) as data: each function file registers one of these, the pipeline validates
 * against its schemas, the catch-all answers 404/405 from it, and the OpenAPI document is generated
 * from it.
 */
export interface EndpointDefinition {
  /** The Functions function name. */
  readonly name: string;
  /** Route template below the `api` prefix, in Functions syntax (`graph-tokens/{id}/deactivate`). */
  readonly route: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `null`: anonymous; several: any of them (docs/http.md, "Authentication and roles"). */
  readonly role: Role | readonly Role[] | null;
  /** On an anonymous route: a caller who sends a bearer token must carry this role, and gets more. */
  readonly optionalRole?: Role;
  readonly summary: string;
  readonly description?: string;
  readonly query?: z.ZodType;
  readonly params?: z.ZodType;
  readonly body?: z.ZodType;
  /** Request headers the endpoint reads, documented in OpenAPI. */
  readonly requestHeaders?: readonly { name: string; description: string }[];
  /** Body size limit when it is not the API's 64 KiB (bulk creates). */
  readonly maxBodyBytes?: number;
  readonly successStatus: number;
  /** `null`: the success response has no body (202, 204). */
  readonly response: z.ZodType | null;
  /** Problem statuses specific to this endpoint (the common ones are added by the OpenAPI generator). */
  readonly problems?: readonly number[];
}

function endpoint<const E extends EndpointDefinition>(definition: E): E {
  return Object.freeze(definition);
}

export const ENDPOINTS = Object.freeze({
  status: endpoint({
    name: 'tokenStatus',
    route: 'graph-tokens/status',
    method: 'GET',
    role: ROLES.read,
    summary: 'Configuration check, token counts, the current token and recent audit entries',
    get query() {
      return schemas().noQuerySchema;
    },
    successStatus: 200,
    get response() {
      return schemas().statusReportSchema;
    },
  }),
  list: endpoint({
    name: 'listTokens',
    route: 'graph-tokens',
    method: 'GET',
    role: ROLES.read,
    summary: 'Token records (public fields only), one page at a time',
    get query() {
      return schemas().listTokensQuerySchema;
    },
    successStatus: 200,
    get response() {
      return schemas().tokenListSchema;
    },
  }),
  acquire: endpoint({
    name: 'acquireToken',
    route: 'graph-tokens/acquire_token',
    method: 'POST',
    role: ROLES.admin,
    summary: 'Get the current token, or a new one from the identity provider',
    description:
      'Returns where the token came from (`memory`, `storage`, `refresh`, `ropc`); never the token itself. `force_refresh` never sends a blocked password; only `retry_blocked_password` does, once per call and never after 3 rejections (docs/architecture.md, "Lockout rules").',
    get query() {
      return schemas().noQuerySchema;
    },
    get body() {
      return schemas().acquireTokenBodySchema;
    },
    successStatus: 200,
    get response() {
      return schemas().acquireResultSchema;
    },
    problems: [409, 502, 503],
  }),
  refresh: endpoint({
    name: 'refreshTokens',
    route: 'graph-tokens/refresh_tokens',
    method: 'POST',
    role: ROLES.admin,
    summary: 'Refresh active tokens (all, of one type, or the listed ids)',
    get query() {
      return schemas().noQuerySchema;
    },
    get body() {
      return schemas().refreshTokensBodySchema;
    },
    successStatus: 200,
    get response() {
      return schemas().refreshSummarySchema;
    },
    problems: [503],
  }),
  cleanup: endpoint({
    name: 'cleanupTokens',
    route: 'graph-tokens/cleanup_tokens',
    method: 'POST',
    role: ROLES.admin,
    summary: 'Deactivate expired tokens, delete old inactive tokens and old audit entries',
    get query() {
      return schemas().noQuerySchema;
    },
    get body() {
      return schemas().cleanupTokensBodySchema;
    },
    successStatus: 200,
    get response() {
      return schemas().cleanupSummarySchema;
    },
    problems: [503],
  }),
  validate: endpoint({
    name: 'validateTokens',
    route: 'graph-tokens/validate_tokens',
    method: 'POST',
    role: ROLES.admin,
    summary: 'Check active tokens against Microsoft Graph (GET /me)',
    get query() {
      return schemas().noQuerySchema;
    },
    get body() {
      return schemas().validateTokensBodySchema;
    },
    successStatus: 200,
    get response() {
      return schemas().validateSummarySchema;
    },
    problems: [503],
  }),
  deactivate: endpoint({
    name: 'deactivateToken',
    route: 'graph-tokens/{id}/deactivate',
    method: 'POST',
    role: ROLES.admin,
    summary: 'Deactivate one token (reason `manual`)',
    get query() {
      return schemas().noQuerySchema;
    },
    get params() {
      return schemas().deactivateTokenParamsSchema;
    },
    get body() {
      return schemas().deactivateTokenBodySchema;
    },
    successStatus: 200,
    get response() {
      return schemas().tokenRecordSchema;
    },
    problems: [404, 503],
  }),
  signInStart: endpoint({
    name: 'signInStart',
    route: 'sign-in/start',
    method: 'POST',
    role: ROLES.admin,
    summary: 'Start the delegated sign-in of the service account (authorization code + PKCE)',
    description:
      "Returns Entra ID's authorization URL for the browser and sets an HttpOnly cookie that binds the sign-in to this browser; Entra ID then redirects to GET /api/sign-in/callback, which redeems the code and redirects back to the admin page (docs/delegated.md).",
    get query() {
      return schemas().noQuerySchema;
    },
    get body() {
      return schemas().signInStartBodySchema;
    },
    successStatus: 200,
    get response() {
      return schemas().signInStartSchema;
    },
    problems: [503],
  }),
  createEvent: endpoint({
    name: 'createEvent',
    route: 'events',
    method: 'POST',
    role: ROLES.eventsCreate,
    summary: "Create an event in the group's calendar, exactly once",
    description:
      'Times are instants; the event is shown in `time_zone`. With an `Idempotency-Key` header a repeat within 24 h returns the original event with 200; the same key with another body is 409 `IDEMPOTENCY_KEY_REUSED`.',
    requestHeaders: [
      {
        name: 'Idempotency-Key',
        description: 'Optional, 1-200 visible ASCII characters; remembered per caller for 24 hours.',
      },
    ],
    get query() {
      return schemas().groupQuerySchema;
    },
    get body() {
      return schemas().groupEventBodySchema;
    },
    successStatus: 201,
    get response() {
      return schemas().groupEventResponseSchema;
    },
    problems: [403, 404, 409, 502, 503],
  }),
  createEvents: endpoint({
    name: 'createEvents',
    route: 'events/batch',
    method: 'POST',
    role: ROLES.eventsCreate,
    summary: 'Create up to 1 000 events (Graph JSON batching at the mailbox concurrency limit)',
    description:
      'Answers 200 with a result per item (`index`, `status`, `id` or `problem`): an invalid or refused item never affects the others. Each item may carry its own `idempotency_key`. Bodies up to 4 MiB.',
    get query() {
      return schemas().groupQuerySchema;
    },
    get body() {
      return schemas().eventBatchBodySchema;
    },
    maxBodyBytes: 4 * 1024 * 1024,
    successStatus: 200,
    get response() {
      return schemas().bulkEventSummarySchema;
    },
    problems: [503],
  }),
  listEvents: endpoint({
    name: 'listEvents',
    route: 'events',
    method: 'GET',
    role: [ROLES.eventsRead, ROLES.eventsCreate],
    summary: 'Events between two instants (calendar view), one page at a time',
    get query() {
      return schemas().listEventsQuerySchema;
    },
    successStatus: 200,
    get response() {
      return schemas().eventListSchema;
    },
    problems: [502, 503],
  }),
  getEvent: endpoint({
    name: 'getEvent',
    route: 'events/{id}',
    method: 'GET',
    role: [ROLES.eventsRead, ROLES.eventsCreate],
    summary: 'One event',
    get query() {
      return schemas().eventReadQuerySchema;
    },
    get params() {
      return schemas().eventIdParamsSchema;
    },
    successStatus: 200,
    get response() {
      return schemas().groupEventResponseSchema;
    },
    problems: [404, 502, 503],
  }),
  listEventOccurrences: endpoint({
    name: 'listEventOccurrences',
    route: 'events/{id}/occurrences',
    method: 'GET',
    role: [ROLES.eventsRead, ROLES.eventsCreate],
    summary: "A series' occurrences and exceptions between two instants, one page at a time",
    description:
      'Graph /instances of a series. An occurrence id can be read, changed, cancelled or deleted like any event id; Graph keeps the change as an exception of the series.',
    get query() {
      return schemas().listEventsQuerySchema;
    },
    get params() {
      return schemas().eventIdParamsSchema;
    },
    successStatus: 200,
    get response() {
      return schemas().eventListSchema;
    },
    problems: [404, 502, 503],
  }),
  updateEvent: endpoint({
    name: 'updateEvent',
    route: 'events/{id}',
    method: 'PATCH',
    role: [ROLES.eventsCreate, ROLES.eventsManage],
    summary: 'Change some fields of an event',
    get query() {
      return schemas().groupQuerySchema;
    },
    get params() {
      return schemas().eventIdParamsSchema;
    },
    get body() {
      return schemas().groupEventPatchBodySchema;
    },
    successStatus: 200,
    get response() {
      return schemas().groupEventResponseSchema;
    },
    problems: [404, 502, 503],
  }),
  cancelEvent: endpoint({
    name: 'cancelEvent',
    route: 'events/{id}/cancel',
    method: 'POST',
    role: [ROLES.eventsCreate, ROLES.eventsManage],
    summary: 'Cancel a meeting; Graph sends the cancellation to the attendees',
    description: 'Only the organizer may cancel: anyone else gets 403 `EVENT_NOT_ORGANIZER`.',
    get query() {
      return schemas().groupQuerySchema;
    },
    get params() {
      return schemas().eventIdParamsSchema;
    },
    get body() {
      return schemas().cancelEventBodySchema;
    },
    successStatus: 202,
    response: null,
    problems: [403, 404, 502, 503],
  }),
  deleteEvent: endpoint({
    name: 'deleteEvent',
    route: 'events/{id}',
    method: 'DELETE',
    role: [ROLES.eventsCreate, ROLES.eventsManage],
    summary: 'Delete an event (no cancellation message)',
    get query() {
      return schemas().groupQuerySchema;
    },
    get params() {
      return schemas().eventIdParamsSchema;
    },
    successStatus: 204,
    response: null,
    problems: [404, 502, 503],
  }),
  ...SYNC_ENDPOINTS,
  report: endpoint({
    name: 'tokenReport',
    route: 'graph-tokens/report',
    method: 'GET',
    role: ROLES.read,
    summary: 'The monthly error analysis, built from the audit table',
    description:
      'Refreshes by grant and outcome per day, errors by code (first/last seen, hint), minutes without a valid token, credential blocks, sign-in-required periods, refresh duration p50/p95 and events by outcome (docs/operations.md).',
    get query() {
      return schemas().reportQuerySchema;
    },
    successStatus: 200,
    get response() {
      return schemas().monthlyReportSchema;
    },
    problems: [503],
  }),
  health: endpoint({
    name: 'health',
    route: 'health',
    method: 'GET',
    role: null,
    optionalRole: ROLES.read,
    summary: 'Health: ok, degraded or failing, from configuration, storage, Key Vault, tokens and timers',
    description:
      'Anonymous callers get the status and the names of the checks that are not ok, from a cache (at most one round of storage and Key Vault reads per 10 s). A bearer token with GraphTokens.Read adds every check with its detail and hint. HTTP 200 for `ok` and `degraded`, 503 for `failing`.',
    get query() {
      return schemas().noQuerySchema;
    },
    successStatus: 200,
    get response() {
      return schemas().healthReportSchema;
    },
    problems: [503],
  }),
  openapi: endpoint({
    name: 'openapi',
    route: 'openapi.json',
    method: 'GET',
    role: null,
    summary: 'This document',
    successStatus: 200,
    get response() {
      return schemas().openApiDocumentSchema;
    },
  }),
});

export type EndpointKey = keyof typeof ENDPOINTS;

/** Routes this app registers outside `src/functions/*` of this table (the admin page, docs/admin.md). */
export const OTHER_ROUTES: readonly { route: string; methods: readonly string[] }[] = Object.freeze([
  { route: 'admin', methods: ['GET'] },
  { route: 'admin/{*path}', methods: ['GET'] },
  // Entra ID's redirect after the delegated sign-in (src/functions/signIn.ts): answers with a redirect.
  { route: 'sign-in/callback', methods: ['GET'] },
]);

/** Every route with its methods: what the catch-all consults to tell 405 from 404. */
export function knownRoutes(): { route: string; methods: readonly string[] }[] {
  return [...Object.values(ENDPOINTS).map((e) => ({ route: e.route, methods: [e.method] })), ...OTHER_ROUTES];
}
