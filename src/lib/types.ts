/**
 * Public shapes of the token service. Field names are `snake_case` because these objects are what the
 * HTTP API, the CLI's `--json` and the admin page show, unchanged.
 */

/** Token types are a first-class key of storage, leases, status and the API (SPEC §4.13). */
export const TOKEN_TYPES = ['ropc'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

export function isTokenType(value: unknown): value is TokenType {
  return typeof value === 'string' && (TOKEN_TYPES as readonly string[]).includes(value);
}

export type DeactivationReason = 'superseded' | 'expired' | 'errors' | 'manual';

/** Where `acquire` found the token it returns. */
export type TokenSource = 'memory' | 'storage' | 'refresh' | 'ropc';

/** A token record's public fields: everything but the ciphertexts. */
export interface TokenRecord {
  id: string;
  token_type: TokenType;
  account: string;
  scopes: string[];
  is_active: boolean;
  created_at: string;
  updated_at: string;
  expires_at: string;
  last_refreshed_at: string | null;
  refresh_count: number;
  usage_count: number;
  last_used_at: string | null;
  /** Consecutive errors; reset by any success. */
  error_count: number;
  last_error: string | null;
  last_error_code: string | null;
  last_error_hint: string | null;
  last_error_at: string | null;
  deactivated_at: string | null;
  deactivation_reason: DeactivationReason | null;
}

export interface AcquiredToken {
  id: string;
  token_type: TokenType;
  account: string;
  scopes: string[];
  expires_at: string;
  source: TokenSource;
}

export interface AcquireResult {
  success: true;
  token: AcquiredToken;
}

/** Who performs a mutating operation: a caller's `oid`/`upn`/`appid`, or `timer`, `cli`, `library`. */
export interface OperationContext {
  actor: string;
  correlationId: string;
}

export interface AuditEntry {
  id: string;
  time: string;
  actor: string;
  operation: string;
  target: string;
  outcome: 'success' | 'failure';
  correlation_id: string;
  detail: string | null;
  error_code: string | null;
}

export interface ConfigurationReport {
  valid: boolean;
  missing: string[];
  problems: string[];
  password_source: 'key_vault' | 'environment' | 'none';
}

export interface TokenCounts {
  total: number;
  active: number;
  expired: number;
  inactive: number;
  errored: number;
}

export interface CurrentToken extends TokenRecord {
  expires_in_seconds: number;
}

/** The credential block of SPEC §4.5, as shown to operators (never the fingerprint). */
export interface CredentialBlock {
  token_type: TokenType;
  code: string;
  hint: string;
  /** The latest rejection. */
  blocked_at: string;
  /** The credential in words, e.g. "password version 1a2b3c4d for svc@contoso.com" (never its fingerprint). */
  credential: string;
  /** How often Entra ID rejected this credential (3 = never sent again). */
  rejections: number;
  /** One sentence for operators: the credential, the count, and what may still send it. */
  description: string;
}

export interface StatusReport {
  configuration: ConfigurationReport;
  tokens: TokenCounts;
  current: CurrentToken | null;
  blocked: CredentialBlock | null;
  recent_audit: AuditEntry[];
}

export interface TokenListResult {
  items: TokenRecord[];
  continuation_token: string | null;
}

export interface ErrorSummary {
  code: string;
  message: string;
  hint: string;
}

export interface RefreshResult {
  id: string | null;
  token_type: TokenType;
  outcome: 'refreshed' | 'failed' | 'skipped';
  source?: TokenSource;
  expires_at?: string;
  error?: ErrorSummary;
}

export interface RefreshSummary {
  success: boolean;
  refreshed: number;
  failed: number;
  results: RefreshResult[];
}

export interface CleanupSummary {
  success: boolean;
  deactivated: number;
  deleted: number;
  audit_deleted: number;
}

export interface ValidateResult {
  id: string;
  token_type: TokenType;
  outcome: 'valid' | 'invalid' | 'unreachable';
  status: number | null;
  error?: ErrorSummary;
}

export interface ValidateSummary {
  success: boolean;
  validated: number;
  valid: number;
  invalid: number;
  unreachable: number;
  results: ValidateResult[];
}

export interface RotateKeySummary {
  success: boolean;
  key_version: string;
  rotated: number;
}

/** SPEC §5.2, already validated by the caller's schema. */
export interface GroupEventInput {
  subject: string;
  start: string;
  end: string;
  time_zone?: string;
  body?: string;
  body_type?: 'html' | 'text';
  location?: string;
  attendees?: string[];
}

export interface CreatedEvent {
  id: string;
  web_link: string | null;
}

/** `failing`: the service cannot keep a token (HTTP 503); `degraded`: it serves, but something needs attention. */
export type HealthStatus = 'ok' | 'degraded' | 'failing';

export interface HealthCheck {
  status: HealthStatus;
  detail?: string;
  hint?: string;
}

/**
 * Health (docs/operations.md, "Health"). Anonymous callers get `status`, `checked_at` and the names of
 * the checks that are not ok; `checks` (with details and hints) only with GraphTokens.Read.
 */
export interface HealthReport {
  status: HealthStatus;
  checked_at: string;
  failing_checks: string[];
  checks?: Record<string, HealthCheck>;
}

/** One day's refreshes of one grant and outcome (grant `none`: failed before any grant was sent). */
export interface ReportRefreshDay {
  date: string;
  grant: string;
  outcome: 'success' | 'failure';
  count: number;
}

export interface ReportError {
  code: string;
  count: number;
  first_seen: string;
  last_seen: string;
  hint: string | null;
  /** The latest message (no secret: messages never carry one). */
  last_message: string | null;
}

/** A period of a state (a credential block, sign-in required, no valid token); `to: null` = still open. */
export interface ReportPeriod {
  token_type: string;
  from: string;
  to: string | null;
  minutes: number;
  code?: string;
}

/** The monthly error analysis (docs/operations.md, "Report"), built from the audit table. */
export interface MonthlyReport {
  month: string;
  /** [from, to) in UTC; `to` is capped at the time of the report for the running month. */
  from: string;
  to: string;
  generated_at: string;
  audit_entries: number;
  /** Set when part of the month is older than the audit retention (deleted entries). */
  note: string | null;
  refreshes: ReportRefreshDay[];
  refresh_totals: { success: number; failure: number };
  errors: ReportError[];
  no_valid_token: { minutes: number; periods: ReportPeriod[] };
  credential_blocks: ReportPeriod[];
  sign_in_required: ReportPeriod[];
  refresh_duration_ms: { count: number; p50: number | null; p95: number | null };
  events: { operation: string; outcome: 'success' | 'failure'; count: number }[];
  events_by_outcome: { success: number; failure: number };
}
