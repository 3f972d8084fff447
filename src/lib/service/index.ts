import type { TokenCredential } from '@azure/identity';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { TokenServiceApi } from '../api';
import { iso, systemClock, type Clock } from '../clock';
import { assertConfigurationUsable, loadConfig, type Config, type Environment } from '../config';
import { toGraphTokenError } from '../errors';
import { GraphClient } from '../graph';
import { IdentityClient } from '../identity';
import { DelegatedIdentity, type DeviceCodePrompt } from '../identity/delegated';
import { createJsonLogger, type Logger } from '../logger';
import { SecretSource } from '../secrets';
import { publicRecord, TokenStore, type TimerJob } from '../store';
import { tableClientFor } from '../store/connection';
import { IdempotencyStore } from '../store/idempotency';
import type {
  AcquireResult,
  BulkEventInput,
  BulkEventSummary,
  CleanupSummary,
  CreatedEvent,
  EventListResult,
  GroupEvent,
  GroupEventInput,
  GroupEventPatch,
  HealthReport,
  MonthlyReport,
  OperationContext,
  RefreshResult,
  RefreshSummary,
  RotateKeySummary,
  SignInResult,
  SignInStart,
  StatusReport,
  TokenListResult,
  TokenRecord,
  TokenType,
  ValidateSummary,
} from '../types';
import { acquireToken, obtain } from './acquire';
import {
  CalendarService,
  MailboxGates,
  signingFrom,
  type BulkProgress,
  type CalendarInfo,
  type ManagedEvent,
  type SyncAnswer,
  type SyncRequest,
  type UpsertResult,
} from '../calendar';
import { SyncLeaseStore } from '../store/syncLease';
import { recentSyncs, type SyncAuditEntry } from './recentSyncs';
import { audit, libraryContext } from './audit';
import { cleanupOldTokens } from './cleanup';
import type { ServiceCore, ServiceStats } from './context';
import { deactivate } from './deactivate';
import { recordError } from './errorRule';
import { MemoryCache } from './memoryCache';
import { HealthView } from './health';
import { recordEventMetric, recordIdpRequest, registerMetrics, unregisterMetrics } from './metrics';
import { notFound } from './notFound';
import { refreshTokens } from './refreshTokens';
import { buildReport } from './report';
import { rotateKey } from './rotateKey';
import { completeBrowserSignIn, deviceCodeSignIn, redeemSignIn, startBrowserSignIn } from './signIn';
import { StatusView } from './status';
import { UsageRecorder } from './usage';
import { validateTokens } from './validate';

export { schedulePeriodSeconds } from '../schedule';

export interface TokenServiceOptions {
  /** Environment to read settings from (default: the process environment). Ignored when `config` is given. */
  env?: Environment;
  config?: Config;
  clock?: Clock;
  /** Credential for Key Vault (default `DefaultAzureCredential` with the managed identity). */
  credential?: TokenCredential;
  logger?: Logger;
}

/**
 * The token service (docs/architecture.md): memory cache → Table Storage → Entra ID, with single flight
 * in-process and a Table Storage lease across instances, lockout protection, graceful degradation, usage
 * aggregation, cleanup, validation, status and audit. This class only wires the rooms of this folder
 * together; each operation lives in the module named after it.
 */
export class MicrosoftGraphTokenService implements TokenServiceApi {
  readonly config: Config;
  /** Plain counters (cheap on the hot path); also exported as OpenTelemetry observables. */
  readonly stats: ServiceStats = { memory_hits: 0, storage_hits: 0, lease_waits: 0, usage_writes: 0 };
  private readonly core: ServiceCore;
  private readonly memory: MemoryCache;
  private readonly usage: UsageRecorder;
  private readonly status: StatusView;
  /** The calendar room; it reaches the token only through the port built below. */
  readonly calendar: CalendarService;
  private readonly healthView: HealthView;
  private closed = false;

  constructor(options: TokenServiceOptions = {}) {
    const config = options.config ?? loadConfig(options.env);
    // Fail closed in Azure: no service (so no client of the identity provider, Key Vault or Graph) exists
    // for an invalid configuration (docs/operations.md, "Fail closed in Azure").
    assertConfigurationUsable(config);
    const clock = options.clock ?? systemClock;
    const logger = options.logger ?? createJsonLogger();
    this.config = config;
    this.memory = new MemoryCache(clock, config.lifecycle);
    let status: StatusView | undefined;
    const secrets = new SecretSource(config, clock, options.credential);
    this.core = {
      config,
      clock,
      logger,
      store: new TokenStore(config, clock),
      secrets,
      identity: new IdentityClient(config, clock, logger),
      delegated: new DelegatedIdentity(config, clock, logger, secrets),
      graph: new GraphClient(config.graphBaseUrl, clock),
      memory: this.memory,
      stats: this.stats,
      inflight: new Map(),
      pendingCredentials: new Map(),
      holder: `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
      consecutiveErrors: new Map(),
      invalidateViews: () => status?.invalidate(),
    };
    this.status = status = new StatusView(this.core);
    this.usage = new UsageRecorder(this.core);
    this.healthView = new HealthView(this.core, () => this.calendar.probe.checks());
    this.core.identity.onRequest = (grant, outcome) => recordIdpRequest(grant, outcome);
    registerMetrics(this.core);
    const core = this.core;
    this.calendar = new CalendarService(
      {
        config,
        clock,
        logger,
        graph: core.graph,
        // The port: the configured token type; a CAE challenge's claims go to the identity provider.
        tokens: { getAccessToken: (options) => this.tokenFunction()(options) },
        signing: signingFrom(secrets),
        audit: (entry) => {
          // `create-event`, `cancel-event`, … → `create`, `cancel`, …
          recordEventMetric(core, entry.operation.replace(/-events?$/, ''), entry.outcome);
          const { ctx, operation, target, outcome } = entry;
          return audit(core, ctx, operation, target, outcome, entry.detail, entry.code, undefined, 'events');
        },
        idempotency: new IdempotencyStore(
          tableClientFor(config, IdempotencyStore.tableNameFor(config.tableName)),
          clock,
        ),
      },
      {
        leases: new SyncLeaseStore(
          tableClientFor(config, IdempotencyStore.tableNameFor(config.tableName)),
          clock,
        ),
        gates: new MailboxGates(clock),
      },
    );
  }

  /** Identity-provider calls made by this instance, by grant (ROPC client). */
  get identityCounters(): Readonly<IdentityClient['counters']> {
    return this.core.identity.counters;
  }

  /** Identity-provider calls of the delegated sign-in and its refreshes, by grant. */
  get delegatedCounters(): Readonly<DelegatedIdentity['counters']> {
    return this.core.delegated.counters;
  }

  /** Key Vault reads made by this instance. */
  get keyVaultReads(): number {
    return this.core.secrets.reads;
  }

  /**
   * The access token itself, for in-process callers. A memory hit does no I/O: one map lookup and a
   * counter increment; usage is written later, aggregated (usage.ts).
   */
  async getAccessToken(
    tokenType: TokenType = this.config.tokenType,
    forceRefresh = false,
    options?: { claims?: string },
  ): Promise<string> {
    // No default object: the memory hit below must allocate nothing (docs/architecture.md, "Performance").
    const claims = options?.claims;
    if (claims) forceRefresh = true;
    if (!forceRefresh) {
      const hit = this.memory.get(tokenType);
      if (hit !== undefined) {
        const now = this.core.clock.now();
        if (now < hit.validUntil) {
          hit.uses++;
          hit.lastUsed = now;
          this.stats.memory_hits++;
          this.usage.touched();
          return hit.accessToken;
        }
      }
    }
    const ctx = libraryContext();
    const obtained = await obtain(this.core, tokenType, {
      force: forceRefresh,
      overrideBlock: false,
      // A forced delegated call wants a new token or SIGN_IN_REQUIRED, never the old one (docs/delegated.md).
      degrade: !(forceRefresh && tokenType === 'delegated'),
      ctx,
      ...(claims ? { claims } : {}),
    });
    return obtained.accessToken;
  }

  /**
   * The token function event code uses: `token()` for the current token, `token({ force: true })` after
   * a 401, `token({ force: true, claims })` after a CAE claims challenge (one refresh with those claims;
   * when that needs interaction the delegated type enters sign_in_required).
   */
  tokenFunction(
    tokenType: TokenType = this.config.tokenType,
  ): (options?: { force?: boolean; claims?: string }) => Promise<string> {
    return (options = {}) =>
      this.getAccessToken(
        tokenType,
        options.force ?? false,
        options.claims ? { claims: options.claims } : {},
      );
  }

  /** `POST /api/sign-in/start`: the authorize URL and the cookie value binding it to this browser. */
  startSignIn(
    options: { redirectUri: string },
    ctx: OperationContext = libraryContext(),
  ): Promise<SignInStart & { binding: string }> {
    return startBrowserSignIn(this.core, options, ctx);
  }

  /** `GET /api/sign-in/callback`: redeems the code of a sign-in started by `startSignIn`. */
  completeSignIn(
    input: { state?: string; code?: string; error?: string; errorDescription?: string; binding?: string },
    ctx: OperationContext = libraryContext(),
  ): Promise<SignInResult> {
    return completeBrowserSignIn(this.core, input, ctx);
  }

  /** `graph-tokens sign-in --device-code`. */
  signInWithDeviceCode(
    options: { onPrompt: (prompt: DeviceCodePrompt) => void; timeoutSeconds?: number; signal?: AbortSignal },
    ctx: OperationContext = libraryContext(),
  ): Promise<SignInResult> {
    return deviceCodeSignIn(this.core, options, ctx);
  }

  /** `graph-tokens sign-in` (loopback redirect): the authorize URL for PKCE, state and nonce the caller holds. */
  signInUrl(request: {
    redirectUri: string;
    state: string;
    nonce: string;
    codeChallenge: string;
  }): Promise<string> {
    return this.core.delegated.authorizeUrl(request);
  }

  /** `graph-tokens sign-in` (loopback redirect): redeems the code and stores the token. */
  redeemSignIn(
    request: { code: string; redirectUri: string; codeVerifier: string; nonce: string },
    ctx: OperationContext = libraryContext(),
  ): Promise<SignInResult> {
    return redeemSignIn(this.core, request, ctx);
  }

  /** `forceRefresh` asks for a new token; only `retryBlockedPassword` may send a blocked password (once). */
  acquireToken(
    options: { tokenType?: TokenType; forceRefresh?: boolean; retryBlockedPassword?: boolean } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<AcquireResult> {
    return acquireToken(this.core, options, ctx);
  }

  refreshTokens(
    options: { tokenType?: TokenType; ids?: string[] } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<RefreshSummary> {
    return refreshTokens(this.core, options, ctx);
  }

  /** Seed API: refreshes one token (by record or id) now. */
  async refreshToken(
    token: TokenRecord | string,
    ctx: OperationContext = libraryContext(),
  ): Promise<RefreshResult> {
    const id = typeof token === 'string' ? token : token.id;
    const summary = await this.refreshTokens({ ids: [id] }, ctx);
    return summary.results[0]!;
  }

  /** Seed API: records a failure against a token (consecutive-error rule). */
  async handleTokenError(
    token: TokenRecord | string,
    error: unknown,
    ctx: OperationContext = libraryContext(),
  ): Promise<void> {
    const id = typeof token === 'string' ? token : token.id;
    const entity = await this.core.store.findToken(id);
    if (!entity) throw notFound(id);
    await recordError(this.core, entity, toGraphTokenError(error), ctx);
  }

  /** Writes aggregated usage counters: at most one write per type per flush interval. */
  flushUsage(): Promise<void> {
    return this.usage.flush();
  }

  async cleanupOldTokens(
    options: { tokenType?: TokenType } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<CleanupSummary> {
    const summary = await cleanupOldTokens(this.core, options, ctx);
    // Idempotency keys are remembered 24 h; the daily cleanup removes the older ones.
    const expired = await this.calendar.deleteExpiredKeys().catch((error: unknown) => {
      this.core.logger.log('warn', 'idempotency_cleanup_failed', { code: toGraphTokenError(error).code });
      return 0;
    });
    if (expired > 0) this.core.logger.log('info', 'idempotency_keys_deleted', { count: expired });
    return summary;
  }

  validateTokens(
    options: { tokenType?: TokenType; ids?: string[] } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<ValidateSummary> {
    return validateTokens(this.core, options, ctx);
  }

  /** Seed API: is this access token accepted by Graph (`GET /me` answers 200)? */
  async validateToken(accessToken: string): Promise<boolean> {
    const response = await this.core.graph.me(accessToken);
    return response.status === 200;
  }

  /** Manual deactivation; an unknown id is `TOKEN_NOT_FOUND` (404). */
  async deactivateToken(
    id: string,
    reason?: string,
    ctx: OperationContext = libraryContext(),
  ): Promise<TokenRecord> {
    const { store } = this.core;
    const token = await store.findToken(id);
    if (!token) throw notFound(id);
    if (token.is_active) {
      const detail = reason ? `reason=manual: ${reason.slice(0, 200)}` : 'reason=manual';
      await deactivate(this.core, token, 'manual', ctx, { detail });
    }
    const latest = await store.findToken(id);
    return publicRecord(latest ?? token);
  }

  async listTokens(
    options: { tokenType?: TokenType; continuationToken?: string; limit?: number } = {},
  ): Promise<TokenListResult> {
    const page = await this.core.store.listTokens(options);
    return { items: page.items.map(publicRecord), continuation_token: page.continuationToken };
  }

  /** Served from memory (status.ts): never a table scan per request. */
  getTokenStatus(): Promise<StatusReport> {
    return this.status.get();
  }

  rotateKey(ctx: OperationContext = libraryContext()): Promise<RotateKeySummary> {
    return rotateKey(this.core, ctx);
  }

  // ---- events: one-line delegations to the calendar room (src/lib/calendar; docs/events.md). The
  // audit and idempotency tables must exist.

  createGroupEvent(
    event: GroupEventInput,
    options: { idempotencyKey?: string; group?: string } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<CreatedEvent> {
    return this.withTables(() => this.calendar.createGroupEvent(event, options, ctx));
  }

  createGroupEvents(
    items: BulkEventInput[],
    options: { onProgress?: (progress: BulkProgress) => void; group?: string } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<BulkEventSummary> {
    return this.withTables(() => this.calendar.createGroupEvents(items, options, ctx));
  }

  getGroupEvent(
    id: string,
    options: { group?: string; bodyType?: 'html' | 'text' } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<GroupEvent> {
    return this.calendar.getGroupEvent(id, options, ctx);
  }

  listGroupEvents(
    options: {
      from?: string;
      to?: string;
      continuationToken?: string;
      group?: string;
      bodyType?: 'html' | 'text';
    } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<EventListResult> {
    return this.calendar.listGroupEvents(options, ctx);
  }

  listEventOccurrences(
    id: string,
    options: {
      from?: string;
      to?: string;
      continuationToken?: string;
      group?: string;
      bodyType?: 'html' | 'text';
    } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<EventListResult> {
    return this.calendar.listEventOccurrences(id, options, ctx);
  }

  updateGroupEvent(
    id: string,
    patch: GroupEventPatch,
    options: { group?: string } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<GroupEvent> {
    return this.withTables(() => this.calendar.updateGroupEvent(id, patch, options, ctx));
  }

  cancelGroupEvent(
    id: string,
    options: { comment?: string; group?: string } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<void> {
    return this.withTables(() => this.calendar.cancelGroupEvent(id, options, ctx));
  }

  deleteGroupEvent(
    id: string,
    options: { group?: string } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<void> {
    return this.withTables(() => this.calendar.deleteGroupEvent(id, options, ctx));
  }

  upsertGroupEvent(
    externalId: string,
    event: GroupEventInput,
    options: { group?: string } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<UpsertResult> {
    return this.withTables(() => this.calendar.upsertGroupEvent(externalId, event, options, ctx));
  }

  getGroupEventByExternalId(
    externalId: string,
    options: { group?: string } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<ManagedEvent> {
    return this.calendar.getGroupEventByExternalId(externalId, options, ctx);
  }

  deleteGroupEventByExternalId(
    externalId: string,
    options: { group?: string } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<void> {
    return this.withTables(() => this.calendar.deleteGroupEventByExternalId(externalId, options, ctx));
  }

  cancelGroupEventByExternalId(
    externalId: string,
    options: { comment?: string; group?: string } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<void> {
    return this.withTables(() => this.calendar.cancelGroupEventByExternalId(externalId, options, ctx));
  }

  /** The last syncs from the audit (scope, calendar, counts, when, who), newest first. */
  recentSyncs(limit = 10): Promise<SyncAuditEntry[]> {
    return recentSyncs(this.core, limit);
  }

  /** The allowed calendars (`GRAPH_GROUP_IDS`): alias, group id, default, display name, reachable. */
  listCalendars(): Promise<CalendarInfo[]> {
    return this.calendar.listCalendars();
  }

  /** The calendar follows `events` for one scope (docs/sync.md): the plan, or its result. */
  syncGroupEvents(request: SyncRequest, ctx: OperationContext = libraryContext()): Promise<SyncAnswer> {
    return this.withTables(() => this.calendar.syncGroupEvents(request, ctx));
  }

  private async withTables<T>(work: () => Promise<T>): Promise<T> {
    await this.core.store.ensureTables();
    return work();
  }

  /**
   * Health (health.ts): `detailed: false` is what anonymous callers get — status and failing check names,
   * from a cache that reads storage and Key Vault at most once per 10 s whatever the request rate.
   */
  health(options: { detailed?: boolean } = {}): Promise<HealthReport> {
    return options.detailed ? this.healthView.detailed() : this.healthView.summary();
  }

  /** Records a timer run (`~timer` row), which health checks against the schedule. */
  recordTimerRun(job: TimerJob, outcome: 'success' | 'failure'): Promise<void> {
    return this.core.store.recordTimerRun(this.config.tokenType, job, {
      at: iso(this.core.clock.now()),
      outcome,
    });
  }

  /** The monthly error analysis, from the audit table (report.ts). */
  report(month?: string): Promise<MonthlyReport> {
    return buildReport(this.core, month);
  }

  /** Flushes usage counters and releases timers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    unregisterMetrics(this.core);
    await this.usage.close();
  }
}
