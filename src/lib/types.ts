import type { AttendeeResponse, AttendeeType, ShowAs } from './calendar/model/fields';
import type { Recurrence as EventRecurrence } from './calendar/model/recurrence';
/**
 * Public shapes of the token service. Field names are `snake_case` because these objects are what the
 * HTTP API, the CLI's `--json` and the admin page show, unchanged.
 */

/**
 * Token types are a first-class key of storage, leases, status and the API (docs/delegated.md):
 * `ropc` (password grant) and `delegated` (an administrator signs the service account in once; the
 * service then lives on refresh tokens and never holds a password).
 */
export const TOKEN_TYPES = ['ropc', 'delegated'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

export function isTokenType(value: unknown): value is TokenType {
  return typeof value === 'string' && (TOKEN_TYPES as readonly string[]).includes(value);
}

export type DeactivationReason = 'superseded' | 'expired' | 'errors' | 'manual';

/** Where `acquire` found the token it returns (`sign_in`: an interactive sign-in of the service account). */
export type TokenSource = 'memory' | 'storage' | 'refresh' | 'ropc' | 'sign_in';

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

/**
 * Who performs an operation (docs/events.md, "Ownership and roles"). `actor` is the caller's immutable
 * identity — `tid:oid` for users and for applications (the service principal's `oid`) — or `timer`,
 * `cli`, `library`; idempotency keys, owners and audit rows are keyed on it, never on the display name.
 */
export interface OperationContext {
  actor: string;
  /** The UPN, or the application's client id: shown beside the actor, never keyed on. */
  actorName?: string;
  /** The event roles the caller holds; undefined: an in-process call, which holds every role. */
  roles?: readonly string[];
  correlationId: string;
}

export interface AuditEntry {
  id: string;
  time: string;
  /** The immutable identity (`tid:oid`, or `timer`/`cli`/`library`). */
  actor: string;
  /** The UPN or application shown beside `actor` (display only). */
  actor_name?: string | null;
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
  /** `GRAPH_TOKEN_TYPE`: what `getGraphAccessToken()` and events use. */
  token_type: TokenType;
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

/** The credential block (docs/architecture.md, "Lockout rules"), as shown to operators (never the fingerprint). */
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

/**
 * The state of one token type: `ok` (a valid token), `sign_in_required` (Entra ID refused the refresh
 * token; an administrator must sign the service account in again), `blocked` (a password was rejected),
 * `none` (no valid token yet).
 */
export type TokenTypeState = 'ok' | 'sign_in_required' | 'blocked' | 'none';

/** Why a type needs a new interactive sign-in, as shown to operators (never a token). */
export interface SignInRequired {
  code: string;
  hint: string;
  /** What Entra ID said, e.g. `AADSTS50173: ...` (sanitized). */
  reason: string;
  upstream_code: string | null;
  since: string;
}

export interface TokenTypeStatus {
  state: TokenTypeState;
  current: CurrentToken | null;
  sign_in_required: SignInRequired | null;
}

export interface StatusReport {
  configuration: ConfigurationReport;
  tokens: TokenCounts;
  /** The current token of the configured type (`GRAPH_TOKEN_TYPE`). */
  current: CurrentToken | null;
  blocked: CredentialBlock | null;
  /** Every token type with its state and current token. */
  types: Record<TokenType, TokenTypeStatus>;
  recent_audit: AuditEntry[];
}

/** `graph-tokens sign-in`, `POST /api/sign-in/*`: the token stored by a delegated sign-in. */
export interface SignInResult {
  success: true;
  account: string;
  token: AcquiredToken;
}

/** `POST /api/sign-in/start`: where to send the administrator's browser. */
export interface SignInStart {
  authorize_url: string;
  expires_at: string;
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

/**
 * An event as callers give it (docs/events.md): `start`/`end` are instants with an offset (dates
 * `YYYY-MM-DD` with `all_day`, end exclusive); `time_zone` is the IANA zone it is shown in.
 */
/** A recurrence (docs/events.md): the pattern, its interval and days, and its end (`until` or `count`, or neither). */
export type { EventRecurrence };

export type { AttendeeType, ShowAs, AttendeeResponse };

/** An attendee: an address, or the address with a name and type (default `required`). */
export type AttendeeInput = string | { email: string; name?: string; type?: AttendeeType };

export interface GroupEventInput {
  subject: string;
  start: string;
  end: string;
  time_zone?: string;
  all_day?: boolean;
  body?: string;
  body_type?: 'html' | 'text';
  location?: string;
  attendees?: AttendeeInput[];
  /** The timetable fields (docs/events.md, "Timetables"). */
  recurrence?: EventRecurrence;
  online_meeting?: boolean;
  categories?: string[];
  /** `null` turns the reminder off. */
  reminder_minutes?: number | null;
  show_as?: ShowAs;
  importance?: 'low' | 'normal' | 'high';
  sensitivity?: 'normal' | 'personal' | 'private' | 'confidential';
}

/** `PATCH`: any subset of the same fields (`recurrence: null` makes a series a single event). */
export type GroupEventPatch = Partial<Omit<GroupEventInput, 'recurrence'>> & {
  recurrence?: EventRecurrence | null;
};

/** One item of a bulk create: an event, optionally with its own idempotency key. */
export interface BulkEventInput extends GroupEventInput {
  idempotency_key?: string;
}

export interface EventAttendee {
  email: string;
  name: string | null;
  type: AttendeeType;
  response: AttendeeResponse;
}

/** An event as the service returns it (docs/events.md): `start`/`end` are UTC instants (`...Z`). */
export interface GroupEvent {
  id: string;
  /** The caller's external id (calendar sync), or null. */
  external_id: string | null;
  web_link: string | null;
  subject: string;
  body: string | null;
  body_type: 'html' | 'text';
  start: string;
  end: string;
  time_zone: string;
  all_day: boolean;
  location: string | null;
  attendees: EventAttendee[];
  type: 'single' | 'series_master' | 'occurrence' | 'exception';
  /** The series master's id, for an occurrence or exception. */
  series_id: string | null;
  recurrence: EventRecurrence | null;
  /** The Teams join URL of an online meeting. */
  online_meeting_url: string | null;
  categories: string[];
  /** Minutes before the start; null: no reminder. */
  reminder_minutes: number | null;
  /** Null when Graph holds a value outside docs/events.md (`unknown`) or none. */
  show_as: ShowAs | null;
  importance: 'low' | 'normal' | 'high' | null;
  sensitivity: 'normal' | 'personal' | 'private' | 'confidential' | null;
  is_cancelled: boolean;
}

/** What a create returns: the event as Graph stored it. */
export type CreatedEvent = GroupEvent;

export interface EventListResult {
  items: GroupEvent[];
  continuation_token: string | null;
}

/** A failed item of a bulk create, as RFC 9457-like fields. */
export interface EventProblem {
  status: number;
  code: string;
  detail: string;
  hint: string;
}

export interface BulkEventResult {
  /** Position in the request. */
  index: number;
  /** 201 created, 200 an idempotent repeat, 4xx/5xx failed (see `problem`). */
  status: number;
  id?: string;
  problem?: EventProblem;
}

export interface BulkEventSummary {
  created: number;
  failed: number;
  results: BulkEventResult[];
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
