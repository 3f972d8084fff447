import type { Config } from './config';
import type { CalendarInfo } from './calendar/calendarProbe';
import type { SyncAuditEntry } from './service/recentSyncs';
import type { SyncAnswer, SyncRequest } from './calendar/sync/request';
import type { ManagedEvent, UpsertResult } from './calendar/sync/upsert';
import type {
  AcquireResult,
  CleanupSummary,
  BulkEventInput,
  BulkEventSummary,
  CreatedEvent,
  EventListResult,
  GroupEvent,
  GroupEventInput,
  GroupEventPatch,
  HealthReport,
  MonthlyReport,
  OperationContext,
  RefreshSummary,
  RotateKeySummary,
  SignInResult,
  SignInStart,
  StatusReport,
  TokenListResult,
  TokenRecord,
  TokenType,
  ValidateSummary,
} from './types';

/**
 * What the surfaces (functions, CLI, admin page) call. `MicrosoftGraphTokenService` implements it; the
 * seed's method names are kept (`getAccessToken`, `cleanupOldTokens`, `getTokenStatus`, ...).
 * `ctx` defaults to actor `library` with a generated correlation id.
 */
export interface TokenServiceApi {
  readonly config: Config;
  /** The access token itself: for in-process callers only, never for a response. */
  getAccessToken(tokenType?: TokenType, forceRefresh?: boolean): Promise<string>;
  acquireToken(
    options: { tokenType?: TokenType; forceRefresh?: boolean; retryBlockedPassword?: boolean },
    ctx?: OperationContext,
  ): Promise<AcquireResult>;
  refreshTokens(
    options: { tokenType?: TokenType; ids?: string[] },
    ctx?: OperationContext,
  ): Promise<RefreshSummary>;
  cleanupOldTokens(options?: { tokenType?: TokenType }, ctx?: OperationContext): Promise<CleanupSummary>;
  validateTokens(
    options: { tokenType?: TokenType; ids?: string[] },
    ctx?: OperationContext,
  ): Promise<ValidateSummary>;
  /** Throws `TOKEN_NOT_FOUND` (404) for an unknown id. */
  deactivateToken(id: string, reason?: string, ctx?: OperationContext): Promise<TokenRecord>;
  getTokenStatus(): Promise<StatusReport>;
  listTokens(options?: {
    tokenType?: TokenType;
    continuationToken?: string;
    limit?: number;
  }): Promise<TokenListResult>;
  rotateKey(ctx?: OperationContext): Promise<RotateKeySummary>;
  /**
   * Exactly once; a repeated `idempotencyKey` (per caller and calendar, 24 h) returns the original event.
   * Every event method takes `group` (an allowed calendar's alias or id) and the caller `ctx`; without a
   * `ctx` the call acts as owner `library` with every event role (docs/events.md).
   */
  createGroupEvent(
    event: GroupEventInput,
    options?: { idempotencyKey?: string; group?: string },
    ctx?: OperationContext,
  ): Promise<CreatedEvent>;
  /** Up to 1 000 events through `$batch` at the mailbox's concurrency limit; per-item results. */
  createGroupEvents(
    events: BulkEventInput[],
    options?: {
      onProgress?: (progress: { done: number; total: number; created: number; failed: number }) => void;
      group?: string;
    },
    ctx?: OperationContext,
  ): Promise<BulkEventSummary>;
  /** Throws `EVENT_NOT_FOUND` (404) for an unknown id, or one the caller may not read. */
  getGroupEvent(
    id: string,
    options?: { group?: string; bodyType?: 'html' | 'text' },
    ctx?: OperationContext,
  ): Promise<GroupEvent>;
  listGroupEvents(
    options?: {
      from?: string;
      to?: string;
      continuationToken?: string;
      group?: string;
      bodyType?: 'html' | 'text';
    },
    ctx?: OperationContext,
  ): Promise<EventListResult>;
  /** A series' occurrences and exceptions between two instants; `INVALID_REQUEST` for a single event. */
  listEventOccurrences(
    id: string,
    options?: {
      from?: string;
      to?: string;
      continuationToken?: string;
      group?: string;
      bodyType?: 'html' | 'text';
    },
    ctx?: OperationContext,
  ): Promise<EventListResult>;
  /** An occurrence's id changes that occurrence only (Graph keeps it as an exception of the series). */
  updateGroupEvent(
    id: string,
    patch: GroupEventPatch,
    options?: { group?: string },
    ctx?: OperationContext,
  ): Promise<GroupEvent>;
  /** Only the organizer may cancel (`EVENT_NOT_ORGANIZER` otherwise); Graph notifies the attendees. */
  cancelGroupEvent(
    id: string,
    options?: { comment?: string; group?: string },
    ctx?: OperationContext,
  ): Promise<void>;
  deleteGroupEvent(id: string, options?: { group?: string }, ctx?: OperationContext): Promise<void>;
  /** Creates, updates the differing fields, or sends nothing (docs/sync.md, "External ids"). */
  upsertGroupEvent(
    externalId: string,
    event: GroupEventInput,
    options?: { group?: string },
    ctx?: OperationContext,
  ): Promise<UpsertResult>;
  getGroupEventByExternalId(
    externalId: string,
    options?: { group?: string },
    ctx?: OperationContext,
  ): Promise<ManagedEvent>;
  deleteGroupEventByExternalId(
    externalId: string,
    options?: { group?: string },
    ctx?: OperationContext,
  ): Promise<void>;
  cancelGroupEventByExternalId(
    externalId: string,
    options?: { comment?: string; group?: string },
    ctx?: OperationContext,
  ): Promise<void>;
  /** The last syncs from the audit, newest first (the admin page's "Last syncs"). */
  recentSyncs(limit?: number): Promise<SyncAuditEntry[]>;
  /** The allowed calendars (docs/sync.md, "Several calendars"). */
  listCalendars(): Promise<CalendarInfo[]>;
  /** The calendar follows `events` for one scope: the plan (dry run) or its result (docs/sync.md). */
  syncGroupEvents(request: SyncRequest, ctx?: OperationContext): Promise<SyncAnswer>;
  /** Delegated sign-in (docs/delegated.md): browser flow, started by an administrator. */
  startSignIn(
    options: { redirectUri: string },
    ctx?: OperationContext,
  ): Promise<SignInStart & { binding: string }>;
  completeSignIn(
    input: { state?: string; code?: string; error?: string; errorDescription?: string; binding?: string },
    ctx?: OperationContext,
  ): Promise<SignInResult>;
  /** Device code flow; `onPrompt` receives the identity provider's message (URL and code). */
  signInWithDeviceCode(
    options: {
      onPrompt: (prompt: {
        message: string;
        userCode: string;
        verificationUri: string;
        expiresInSeconds: number;
      }) => void;
      timeoutSeconds?: number;
      signal?: AbortSignal;
    },
    ctx?: OperationContext,
  ): Promise<SignInResult>;
  /** Loopback flow (the CLI): the caller holds state, nonce and the PKCE verifier. */
  signInUrl(request: {
    redirectUri: string;
    state: string;
    nonce: string;
    codeChallenge: string;
  }): Promise<string>;
  redeemSignIn(
    request: { code: string; redirectUri: string; codeVerifier: string; nonce: string },
    ctx?: OperationContext,
  ): Promise<SignInResult>;
  /** Anonymous summary by default (cached); `detailed` adds every check with detail and hint. */
  health(options?: { detailed?: boolean }): Promise<HealthReport>;
  /** Records a timer run, which health checks against the schedule. */
  recordTimerRun(job: 'refresh' | 'cleanup' | 'validate', outcome: 'success' | 'failure'): Promise<void>;
  /** The monthly error analysis (`month` = `YYYY-MM`, default the current month, UTC). */
  report(month?: string): Promise<MonthlyReport>;
  /** Flushes usage counters and releases timers/handles. */
  close(): Promise<void>;
}
