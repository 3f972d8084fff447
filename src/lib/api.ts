import type { Config } from './config';
import type {
  AcquireResult,
  CleanupSummary,
  CreatedEvent,
  GroupEventInput,
  HealthReport,
  MonthlyReport,
  OperationContext,
  RefreshSummary,
  RotateKeySummary,
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
  createGroupEvent(event: GroupEventInput, ctx?: OperationContext): Promise<CreatedEvent>;
  /** Anonymous summary by default (cached); `detailed` adds every check with detail and hint. */
  health(options?: { detailed?: boolean }): Promise<HealthReport>;
  /** Records a timer run, which health checks against the schedule. */
  recordTimerRun(job: 'refresh' | 'cleanup' | 'validate', outcome: 'success' | 'failure'): Promise<void>;
  /** The monthly error analysis (`month` = `YYYY-MM`, default the current month, UTC). */
  report(month?: string): Promise<MonthlyReport>;
  /** Flushes usage counters and releases timers/handles. */
  close(): Promise<void>;
}
