import { z } from 'zod';
import type {
  AcquireResult,
  CleanupSummary,
  CreatedEvent,
  HealthReport,
  MonthlyReport,
  RefreshSummary,
  StatusReport,
  TokenListResult,
  TokenRecord,
  ValidateSummary,
} from '../lib/types';
import { TOKEN_TYPES } from '../lib/types';

/**
 * Request and response schemas of the HTTP API. Requests are validated with them and
 * `GET /api/openapi.json` is generated from them, so documentation and validation cannot drift.
 * Request objects are strict: an unknown field is a 400, not silently ignored.
 */

// ---------------------------------------------------------------------------------------------------
// Building blocks

export const tokenTypeSchema = z
  .enum(TOKEN_TYPES, { error: `must be one of: ${TOKEN_TYPES.join(', ')}` })
  .describe('Token type (SPEC §4.13).');

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
export function isIanaTimeZone(value: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

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

/** SPEC §5.2. */
export const groupEventBodySchema = z
  .strictObject({
    subject: z.string().trim().min(1).max(255),
    start: isoWithOffset,
    end: isoWithOffset,
    time_zone: z
      .string()
      .refine(isIanaTimeZone, 'must be an IANA time zone name, e.g. Europe/Amsterdam')
      .default('UTC')
      .describe('IANA time zone name the event is shown in.'),
    body: z.string().max(60_000).optional(),
    body_type: z.enum(['html', 'text'], { error: 'must be html or text' }).default('text'),
    location: z.string().trim().min(1).max(255).optional(),
    attendees: z.array(z.email()).max(500).optional().describe('E-mail addresses, at most 500.'),
  })
  .superRefine((event, ctx) => {
    if (Date.parse(event.end) <= Date.parse(event.start)) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
    }
  });

// ---------------------------------------------------------------------------------------------------
// Responses (strict, so tests also prove that nothing else, such as a token, is ever returned)

const isoTime = z.string().describe('ISO 8601 date-time (UTC).');
const nullableIso = isoTime.nullable();
const tokenSourceSchema = z.enum(['memory', 'storage', 'refresh', 'ropc']);
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

export const statusReportSchema = z.strictObject({
  configuration: z.strictObject({
    valid: z.boolean(),
    missing: z.array(z.string()),
    problems: z.array(z.string()),
    password_source: z.enum(['key_vault', 'environment', 'none']),
  }),
  tokens: z.strictObject({
    total: z.number().int(),
    active: z.number().int(),
    expired: z.number().int(),
    inactive: z.number().int(),
    errored: z.number().int(),
  }),
  current: z.strictObject({ ...tokenRecordShape, expires_in_seconds: z.number() }).nullable(),
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
  recent_audit: z.array(
    z.strictObject({
      id: z.string(),
      time: isoTime,
      actor: z.string(),
      operation: z.string(),
      target: z.string(),
      outcome: z.enum(['success', 'failure']),
      correlation_id: z.string(),
      detail: z.string().nullable(),
      error_code: z.string().nullable(),
    }),
  ),
});

export const acquireResultSchema = z.strictObject({
  success: z.literal(true),
  token: z.strictObject({
    id: z.string(),
    token_type: tokenTypeSchema,
    account: z.string(),
    scopes: z.array(z.string()),
    expires_at: isoTime,
    source: tokenSourceSchema,
  }),
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

export const createdEventSchema = z.strictObject({ id: z.string(), web_link: z.string().nullable() });

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
  Assert<Exact<z.output<typeof refreshSummarySchema>, RefreshSummary>>,
  Assert<Exact<z.output<typeof cleanupSummarySchema>, CleanupSummary>>,
  Assert<Exact<z.output<typeof validateSummarySchema>, ValidateSummary>>,
  Assert<Exact<z.output<typeof createdEventSchema>, CreatedEvent>>,
  Assert<Exact<z.output<typeof healthReportSchema>, HealthReport>>,
  Assert<Exact<z.output<typeof monthlyReportSchema>, MonthlyReport>>,
];
