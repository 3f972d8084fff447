import { z } from 'zod';
import type {
  AcquireResult,
  BulkEventSummary,
  CleanupSummary,
  CreatedEvent,
  EventListResult,
  GroupEvent,
  HealthReport,
  MonthlyReport,
  RefreshSummary,
  SignInResult,
  SignInStart,
  StatusReport,
  TokenType,
  TokenListResult,
  TokenRecord,
  ValidateSummary,
} from '../lib/types';
import { TOKEN_TYPES } from '../lib/types';
import {
  groupEventPatchSchema,
  groupEventSchema,
  isEventId,
  isKnownTimeZone,
  MAX_BULK_EVENTS,
} from '../lib/calendar';
import {
  ATTENDEE_TYPES,
  EVENT_TYPES,
  IMPORTANCE,
  RESPONSES,
  SENSITIVITY,
  SHOW_AS,
} from '../lib/calendar/model/fields';
import { recurrenceSchema } from '../lib/calendar/model/recurrence';

/**
 * Request and response schemas of the HTTP API. Requests are validated with them and
 * `GET /api/openapi.json` is generated from them, so documentation and validation cannot drift.
 * Request objects are strict: an unknown field is a 400, not silently ignored.
 */

// ---------------------------------------------------------------------------------------------------
// Building blocks

export const tokenTypeSchema = z
  .enum(TOKEN_TYPES, { error: `must be one of: ${TOKEN_TYPES.join(', ')}` })
  .describe('Token type (docs/delegated.md).');

/** Token ids are row keys: no characters Table Storage forbids in keys, nothing a path would mangle. */
export const tokenIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 characters of A-Z, a-z, 0-9, ".", "_", ":", "-"')
  .describe('Token id, as listed by GET /api/graph-tokens.');

const tokenIdsSchema = z
  .array(tokenIdSchema)
  .max(1000)
  .describe('Only these tokens; an empty list does nothing.');

/** An IANA time zone name that this runtime's ICU knows (`Europe/Amsterdam`, `UTC`), not an offset. */
export const isIanaTimeZone = isKnownTimeZone;

const isoWithOffset = z.iso
  .datetime({
    offset: true,
    error: 'must be an ISO 8601 date-time with an offset, e.g. 2026-12-01T09:00:00+01:00',
  })
  .describe('ISO 8601 date-time with an offset (`Z` or `±hh:mm`).');

// ---------------------------------------------------------------------------------------------------
// Requests

export const acquireTokenBodySchema = z.strictObject({
  token_type: tokenTypeSchema.optional(),
  force_refresh: z
    .boolean()
    .optional()
    .describe(
      'Skip the memory cache and storage; ask the identity provider. Never sends a blocked password.',
    ),
  retry_blocked_password: z
    .boolean()
    .optional()
    .describe(
      'Explicit override: send a password Entra ID rejected once more (once per call, audited; never after 3 rejections).',
    ),
});

export const refreshTokensBodySchema = z.strictObject({
  token_type: tokenTypeSchema.optional(),
  ids: tokenIdsSchema.optional(),
});

export const cleanupTokensBodySchema = z.strictObject({
  token_type: tokenTypeSchema.optional(),
});

export const validateTokensBodySchema = z.strictObject({
  token_type: tokenTypeSchema.optional(),
  ids: tokenIdsSchema.optional(),
});

export const deactivateTokenBodySchema = z.strictObject({
  reason: z.string().trim().min(1).max(500).optional().describe('Why; stored in the audit entry.'),
});

export const deactivateTokenParamsSchema = z.strictObject({ id: tokenIdSchema });

export const listTokensQuerySchema = z.strictObject({
  token_type: tokenTypeSchema.optional(),
  continuation_token: z.string().min(1).max(4096).optional().describe('From the previous page.'),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(1000))
    .optional()
    .describe('Page size, 1-1000.'),
});

export const noQuerySchema = z.strictObject({});

/** An event (docs/events.md); the same schema the library validates with. */
export const groupEventBodySchema = groupEventSchema;

/** `PATCH /api/events/{id}`: any subset of the event's fields. */
export const groupEventPatchBodySchema = groupEventPatchSchema;

/**
 * `POST /api/events/batch`. Each item is an event plus an optional `idempotency_key`; items are
 * validated one by one by the service, so one invalid item is reported in its result and never fails
 * the others.
 */
export const eventBatchBodySchema = z.strictObject({
  events: z
    .array(
      z
        .record(z.string(), z.unknown())
        .describe('An event (see CreateEventRequest) plus an optional `idempotency_key`.'),
    )
    .min(1)
    .max(MAX_BULK_EVENTS)
    .describe(`1-${MAX_BULK_EVENTS} events.`),
});

export const eventIdParamsSchema = z.strictObject({
  id: z
    .string()
    .refine(isEventId, 'must be an event id as returned by the API (letters, digits, -_=+/; at most 512)')
    .describe(
      'Event id, as returned by POST /api/events or GET /api/events (a `/` in it percent-encoded as `%2F`).',
    ),
});

const group = z
  .string()
  .min(1)
  .max(64)
  .optional()
  .describe('The calendar: an allowed alias or group id (GET /api/calendars); default the first.');

/** Every event route takes `?group=`. */
export const groupQuerySchema = z.strictObject({ group });

const bodyTypeQuery = z
  .enum(['html', 'text'], { error: 'must be html or text' })
  .optional()
  .describe('The body as text (default) or html.');

/** `GET /api/events/{id}`: the calendar and the body's form. */
export const eventReadQuerySchema = z.strictObject({ group, body_type: bodyTypeQuery });

export const listEventsQuerySchema = z.strictObject({
  group,
  body_type: bodyTypeQuery,
  from: isoWithOffset.optional().describe('Start of the calendar view (default: now).'),
  to: isoWithOffset.optional().describe('End of the calendar view (default: from + 30 days).'),
  continuation_token: z.string().min(1).max(4096).optional().describe('From the previous page.'),
});

export const cancelEventBodySchema = z.strictObject({
  comment: z.string().max(2000).optional().describe('Sent to the attendees with the cancellation.'),
});

// ---------------------------------------------------------------------------------------------------
// Responses (strict, so tests also prove that nothing else, such as a token, is ever returned)

const isoTime = z.string().describe('ISO 8601 date-time (UTC).');
const nullableIso = isoTime.nullable();
const tokenSourceSchema = z.enum(['memory', 'storage', 'refresh', 'ropc', 'sign_in']);
const errorSummarySchema = z.strictObject({ code: z.string(), message: z.string(), hint: z.string() });

const tokenRecordShape = {
  id: z.string(),
  token_type: tokenTypeSchema,
  account: z.string(),
  scopes: z.array(z.string()),
  is_active: z.boolean(),
  created_at: isoTime,
  updated_at: isoTime,
  expires_at: isoTime,
  last_refreshed_at: nullableIso,
  refresh_count: z.number().int(),
  usage_count: z.number().int(),
  last_used_at: nullableIso,
  error_count: z.number().int(),
  last_error: z.string().nullable(),
  last_error_code: z.string().nullable(),
  last_error_hint: z.string().nullable(),
  last_error_at: nullableIso,
  deactivated_at: nullableIso,
  deactivation_reason: z.enum(['superseded', 'expired', 'errors', 'manual']).nullable(),
};

export const tokenRecordSchema = z
  .strictObject(tokenRecordShape)
  .describe('A token record: public fields only.');

export const tokenListSchema = z.strictObject({
  items: z.array(tokenRecordSchema),
  continuation_token: z.string().nullable(),
});

const currentTokenSchema = z.strictObject({ ...tokenRecordShape, expires_in_seconds: z.number() });

const tokenTypeStatusSchema = z.strictObject({
  state: z.enum(['ok', 'sign_in_required', 'blocked', 'none']),
  current: currentTokenSchema.nullable(),
  sign_in_required: z
    .strictObject({
      code: z.string(),
      hint: z.string(),
      reason: z.string(),
      upstream_code: z.string().nullable(),
      since: isoTime,
    })
    .nullable(),
});

export const statusReportSchema = z.strictObject({
  configuration: z.strictObject({
    valid: z.boolean(),
    missing: z.array(z.string()),
    problems: z.array(z.string()),
    password_source: z.enum(['key_vault', 'environment', 'none']),
    token_type: tokenTypeSchema,
  }),
  tokens: z.strictObject({
    total: z.number().int(),
    active: z.number().int(),
    expired: z.number().int(),
    inactive: z.number().int(),
    errored: z.number().int(),
  }),
  current: currentTokenSchema.nullable(),
  blocked: z
    .strictObject({
      token_type: tokenTypeSchema,
      code: z.string(),
      hint: z.string(),
      blocked_at: isoTime,
      credential: z.string(),
      rejections: z.number().int(),
      description: z.string(),
    })
    .nullable(),
  types: z
    .strictObject(
      Object.fromEntries(TOKEN_TYPES.map((t) => [t, tokenTypeStatusSchema])) as Record<
        TokenType,
        typeof tokenTypeStatusSchema
      >,
    )
    .describe('Every token type with its state (ok, sign_in_required, blocked, none) and current token.'),
  recent_audit: z.array(
    z.strictObject({
      id: z.string(),
      time: isoTime,
      actor: z.string().describe('The immutable identity: tid:oid, or timer, cli, library.'),
      actor_name: z.string().nullable().optional().describe('The UPN or application, for display.'),
      operation: z.string(),
      target: z.string(),
      outcome: z.enum(['success', 'failure']),
      correlation_id: z.string(),
      detail: z.string().nullable(),
      error_code: z.string().nullable(),
    }),
  ),
});

const acquiredTokenSchema = z.strictObject({
  id: z.string(),
  token_type: tokenTypeSchema,
  account: z.string(),
  scopes: z.array(z.string()),
  expires_at: isoTime,
  source: tokenSourceSchema,
});

export const acquireResultSchema = z.strictObject({
  success: z.literal(true),
  token: acquiredTokenSchema,
});

export const signInStartBodySchema = z.strictObject({});

export const signInStartSchema = z.strictObject({
  authorize_url: z.string().describe("Entra ID's authorization URL: send the administrator's browser there."),
  expires_at: isoTime.describe('The sign-in must be completed before this time.'),
});

/** The identity provider's redirect: `code` and `state`, or `error`; Entra adds fields of its own. */
export const signInCallbackQuerySchema = z.looseObject({
  code: z.string().max(8192).optional(),
  state: z.string().max(256).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(4096).optional(),
});

export const signInResultSchema = z.strictObject({
  success: z.literal(true),
  account: z.string(),
  token: acquiredTokenSchema,
});

export const refreshSummarySchema = z.strictObject({
  success: z.boolean(),
  refreshed: z.number().int(),
  failed: z.number().int(),
  results: z.array(
    z.strictObject({
      id: z.string().nullable(),
      token_type: tokenTypeSchema,
      outcome: z.enum(['refreshed', 'failed', 'skipped']),
      source: tokenSourceSchema.optional(),
      expires_at: isoTime.optional(),
      error: errorSummarySchema.optional(),
    }),
  ),
});

export const cleanupSummarySchema = z.strictObject({
  success: z.boolean(),
  deactivated: z.number().int(),
  deleted: z.number().int(),
  audit_deleted: z.number().int(),
});

export const validateSummarySchema = z.strictObject({
  success: z.boolean(),
  validated: z.number().int(),
  valid: z.number().int(),
  invalid: z.number().int(),
  unreachable: z.number().int(),
  results: z.array(
    z.strictObject({
      id: z.string(),
      token_type: tokenTypeSchema,
      outcome: z.enum(['valid', 'invalid', 'unreachable']),
      status: z.number().int().nullable(),
      error: errorSummarySchema.optional(),
    }),
  ),
});

export const groupEventResponseSchema = z
  .strictObject({
    id: z.string(),
    external_id: z.string().nullable().describe("The caller's external id (calendar sync)."),
    web_link: z.string().nullable(),
    subject: z.string(),
    body: z.string().nullable(),
    body_type: z.enum(['html', 'text']),
    start: isoTime,
    end: isoTime,
    time_zone: z.string().describe("The caller's IANA zone."),
    all_day: z.boolean(),
    location: z.string().nullable(),
    attendees: z.array(
      z.strictObject({
        email: z.string(),
        name: z.string().nullable(),
        type: z.enum(ATTENDEE_TYPES),
        response: z.enum(RESPONSES),
      }),
    ),
    type: z.enum(EVENT_TYPES),
    series_id: z.string().nullable().describe('The series master of an occurrence or exception.'),
    recurrence: recurrenceSchema.nullable(),
    online_meeting_url: z.string().nullable().describe('The Teams join URL of an online meeting.'),
    categories: z.array(z.string()),
    reminder_minutes: z.number().int().nullable().describe('Minutes before the start; null: no reminder.'),
    show_as: z.enum(SHOW_AS).nullable(),
    importance: z.enum(IMPORTANCE).nullable(),
    sensitivity: z.enum(SENSITIVITY).nullable(),
    is_cancelled: z.boolean(),
  })
  .describe('An event (docs/events.md); start and end are UTC instants.');

export const createdEventSchema = groupEventResponseSchema;

export const eventListSchema = z.strictObject({
  items: z.array(groupEventResponseSchema),
  continuation_token: z.string().nullable(),
});

export const bulkEventSummarySchema = z.strictObject({
  created: z.number().int(),
  failed: z.number().int(),
  results: z.array(
    z.strictObject({
      index: z.number().int(),
      status: z.number().int().describe('201 created, 200 an idempotent repeat, 4xx/5xx failed.'),
      id: z.string().optional(),
      problem: z
        .strictObject({ status: z.number().int(), code: z.string(), detail: z.string(), hint: z.string() })
        .optional(),
    }),
  ),
});

const healthStatusSchema = z.enum(['ok', 'degraded', 'failing']);
const healthCheckSchema = z.strictObject({
  status: healthStatusSchema,
  detail: z.string().optional(),
  hint: z.string().optional(),
});
export const healthReportSchema = z
  .strictObject({
    status: healthStatusSchema,
    checked_at: isoTime,
    failing_checks: z
      .array(z.string())
      .describe('Names of the checks that are not ok (configuration, storage, key_vault, token.<type>, …).'),
    checks: z
      .record(z.string(), healthCheckSchema)
      .optional()
      .describe('Every check with its detail and hint: only for callers with GraphTokens.Read.'),
  })
  .describe('HTTP 200 for ok and degraded, 503 for failing.');

export const reportQuerySchema = z.strictObject({
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM, e.g. 2026-05')
    .optional()
    .describe('The month (UTC); default the current one.'),
});

const reportPeriodSchema = z.strictObject({
  token_type: z.string(),
  from: isoTime,
  to: nullableIso.describe('`null`: still open.'),
  minutes: z.number().int(),
  code: z.string().optional(),
});

export const monthlyReportSchema = z.strictObject({
  month: z.string(),
  from: isoTime,
  to: isoTime,
  generated_at: isoTime,
  audit_entries: z.number().int(),
  note: z.string().nullable(),
  refreshes: z.array(
    z.strictObject({
      date: z.string(),
      grant: z.string(),
      outcome: z.enum(['success', 'failure']),
      count: z.number().int(),
    }),
  ),
  refresh_totals: z.strictObject({ success: z.number().int(), failure: z.number().int() }),
  errors: z.array(
    z.strictObject({
      code: z.string(),
      count: z.number().int(),
      first_seen: isoTime,
      last_seen: isoTime,
      hint: z.string().nullable(),
      last_message: z.string().nullable(),
    }),
  ),
  no_valid_token: z.strictObject({ minutes: z.number().int(), periods: z.array(reportPeriodSchema) }),
  credential_blocks: z.array(reportPeriodSchema),
  sign_in_required: z.array(reportPeriodSchema),
  refresh_duration_ms: z.strictObject({
    count: z.number().int(),
    p50: z.number().nullable(),
    p95: z.number().nullable(),
  }),
  events: z.array(
    z.strictObject({
      operation: z.string(),
      outcome: z.enum(['success', 'failure']),
      count: z.number().int(),
    }),
  ),
  events_by_outcome: z.strictObject({ success: z.number().int(), failure: z.number().int() }),
});

export const problemSchema = z
  .strictObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().describe('Stable error code; branch on it, never on the text.'),
    hint: z.string().describe('What to do about it.'),
    correlation_id: z.string(),
  })
  .describe('RFC 9457 problem details.');

// Compile-time proof that the response schemas describe exactly the service's public types.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type ResponseSchemasMatchServiceTypes = [
  Assert<Exact<z.output<typeof tokenRecordSchema>, TokenRecord>>,
  Assert<Exact<z.output<typeof tokenListSchema>, TokenListResult>>,
  Assert<Exact<z.output<typeof statusReportSchema>, StatusReport>>,
  Assert<Exact<z.output<typeof acquireResultSchema>, AcquireResult>>,
  Assert<Exact<z.output<typeof signInStartSchema>, SignInStart>>,
  Assert<Exact<z.output<typeof signInResultSchema>, SignInResult>>,
  Assert<Exact<z.output<typeof refreshSummarySchema>, RefreshSummary>>,
  Assert<Exact<z.output<typeof cleanupSummarySchema>, CleanupSummary>>,
  Assert<Exact<z.output<typeof validateSummarySchema>, ValidateSummary>>,
  Assert<Exact<z.output<typeof createdEventSchema>, CreatedEvent>>,
  Assert<Exact<z.output<typeof groupEventResponseSchema>, GroupEvent>>,
  Assert<Exact<z.output<typeof eventListSchema>, EventListResult>>,
  Assert<Exact<z.output<typeof bulkEventSummarySchema>, BulkEventSummary>>,
  Assert<Exact<z.output<typeof healthReportSchema>, HealthReport>>,
  Assert<Exact<z.output<typeof monthlyReportSchema>, MonthlyReport>>,
];

/** The OpenAPI document itself (its shape is OpenAPI's; only the version field is checked). */
export const openApiDocumentSchema = z.looseObject({ openapi: z.string() });

// ---- external ids and sync (docs/sync.md); their request schemas are in syncSchemas.ts
export * from './syncSchemas';

/** An event as the by-external-id routes return it: the event plus its `external_id`. */
export const managedEventResponseSchema = groupEventResponseSchema.extend({ external_id: z.string() });

/** `PUT …/by-external-id/{external_id}`: what was done, the fields an update changed, the event. */
export const upsertResultSchema = z.strictObject({
  action: z.enum(['create', 'update', 'unchanged']),
  changes: z.array(z.string()).optional().describe('The fields an update changed.'),
  event: managedEventResponseSchema,
});
