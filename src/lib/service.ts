import type { TokenCredential } from '@azure/identity';
import { metrics, type Histogram } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { TokenServiceApi } from './api';
import { iso, systemClock, type Clock } from './clock';
import { loadConfig, type Config, type Environment } from './config';
import { decrypt, encrypt, keyVersionOf } from './crypto';
import { ERRORS, GraphTokenError, summarize, toGraphTokenError } from './errors';
import { graphError, GraphClient } from './graph';
import { IdentityClient } from './identity';
import { createJsonLogger, type Logger } from './logger';
import { withRetry } from './retry';
import { RefreshingValue } from './refreshingValue';
import { SecretSource } from './secrets';
import { publicRecord, TokenStore, type TokenEntity } from './store';
import { IdempotencyStore, idempotencyTableClient } from './store/idempotency';
import * as events from './service/events';
import {
  TOKEN_TYPES,
  type AcquireResult,
  type AuditEntry,
  type CleanupSummary,
  type BulkEventInput,
  type BulkEventSummary,
  type CreatedEvent,
  type CredentialBlock,
  type EventListResult,
  type GroupEvent,
  type GroupEventInput,
  type GroupEventPatch,
  type HealthReport,
  type OperationContext,
  type RefreshResult,
  type RefreshSummary,
  type RotateKeySummary,
  type StatusReport,
  type TokenCounts,
  type TokenListResult,
  type TokenRecord,
  type TokenSource,
  type TokenType,
  type ValidateResult,
  type ValidateSummary,
} from './types';

export interface TokenServiceOptions {
  /** Environment to read settings from (default `process.env`). Ignored when `config` is given. */
  env?: Environment;
  config?: Config;
  clock?: Clock;
  /** Credential for Key Vault (default `DefaultAzureCredential` with the managed identity). */
  credential?: TokenCredential;
  logger?: Logger;
}

/** What the memory cache holds for a type: the hot path reads only this. */
interface MemoryEntry {
  id: string;
  accessToken: string;
  expiresAt: number;
  /** Never past the refresh point, never longer than the memory-cache lifetime. */
  validUntil: number;
  record: TokenRecord;
  uses: number;
  lastUsed: number;
}

interface Obtained {
  accessToken: string;
  record: TokenRecord;
  source: TokenSource;
}

interface ObtainOptions {
  force: boolean;
  /** An administrator's explicit acquire may try a blocked password again (SPEC §4.5). */
  overrideBlock: boolean;
  /** Return a still-valid current token when the refresh fails (graceful degradation). */
  degrade: boolean;
  ctx: OperationContext;
}

const libraryContext = (): OperationContext => ({ actor: 'library', correlationId: randomUUID() });

/**
 * The token service: memory cache → Table Storage → Entra ID, with single flight in-process and a
 * Table Storage lease across instances, lockout protection, graceful degradation, usage aggregation,
 * cleanup, validation, status and audit (SPEC §4).
 */
export class MicrosoftGraphTokenService implements TokenServiceApi {
  readonly config: Config;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly store: TokenStore;
  private readonly secrets: SecretSource;
  private readonly identity: IdentityClient;
  private readonly graph: GraphClient;
  private readonly events: events.EventDeps;
  private readonly memory = new Map<TokenType, MemoryEntry>();
  private readonly inflight = new Map<TokenType, { force: boolean; promise: Promise<Obtained> }>();
  private readonly holder = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly countsCache: RefreshingValue<TokenCounts>;
  private readonly statusCache: RefreshingValue<StatusReport>;
  private closed = false;
  private refreshDuration: Histogram | undefined;
  /** Plain counters (cheap on the hot path); also exported as OpenTelemetry observables. */
  readonly stats = { memory_hits: 0, storage_hits: 0, lease_waits: 0, usage_writes: 0 };

  constructor(options: TokenServiceOptions = {}) {
    this.config = options.config ?? loadConfig(options.env ?? process.env);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? createJsonLogger();
    this.store = new TokenStore(this.config, this.clock);
    this.secrets = new SecretSource(this.config, this.clock, options.credential);
    this.identity = new IdentityClient(this.config, this.clock, this.logger);
    this.graph = new GraphClient(this.config.graphBaseUrl, this.clock);
    this.events = {
      config: this.config,
      clock: this.clock,
      logger: this.logger,
      graph: this.graph,
      // CAE claims are passed on; the identity side's honouring of them lands with delegated sign-in.
      token: async ({ force }) =>
        force
          ? (
              await this.obtain('ropc', {
                force: true,
                overrideBlock: false,
                degrade: false,
                ctx: libraryContext(),
              })
            ).accessToken
          : this.getAccessToken('ropc'),
      audit: events.eventAuditWriter(this.store.audit, this.clock, this.logger),
      idempotency: new IdempotencyStore(idempotencyTableClient(this.config), this.clock),
    };
    this.countsCache = new RefreshingValue(() => this.scanCounts(), this.clock, 10_000, 60_000);
    this.statusCache = new RefreshingValue(() => this.buildStatus(), this.clock, 1_000, 5_000);
    this.registerMetrics();
  }

  /** Identity-provider calls made by this instance, by grant. */
  get identityCounters(): Readonly<IdentityClient['counters']> {
    return this.identity.counters;
  }

  /** Key Vault reads made by this instance. */
  get keyVaultReads(): number {
    return this.secrets.reads;
  }

  // ---------------------------------------------------------------- get

  /**
   * The access token itself, for in-process callers. A memory hit does no I/O: one map lookup and a
   * counter increment; usage is written later, aggregated.
   */
  async getAccessToken(tokenType: TokenType = 'ropc', forceRefresh = false): Promise<string> {
    if (!forceRefresh) {
      const hit = this.memory.get(tokenType);
      if (hit !== undefined) {
        const now = this.clock.now();
        if (now < hit.validUntil) {
          hit.uses++;
          hit.lastUsed = now;
          this.stats.memory_hits++;
          if (this.flushTimer === undefined) this.scheduleFlush();
          return hit.accessToken;
        }
      }
    }
    const obtained = await this.obtain(tokenType, {
      force: forceRefresh,
      overrideBlock: false,
      degrade: true,
      ctx: libraryContext(),
    });
    return obtained.accessToken;
  }

  async acquireToken(
    options: { tokenType?: TokenType; forceRefresh?: boolean } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<AcquireResult> {
    const type = options.tokenType ?? 'ropc';
    const force = options.forceRefresh ?? false;
    this.assertType(type);
    let obtained: Obtained;
    const hit = this.memory.get(type);
    if (!force && hit && this.clock.now() < hit.validUntil) {
      this.stats.memory_hits++;
      obtained = { accessToken: hit.accessToken, record: hit.record, source: 'memory' };
    } else {
      // An administrator's forced acquire reads the latest secret version at once.
      if (force) this.secrets.invalidate();
      obtained = await this.obtain(type, { force, overrideBlock: force, degrade: !force, ctx });
    }
    const r = obtained.record;
    return {
      success: true,
      token: {
        id: r.id,
        token_type: r.token_type,
        account: r.account,
        scopes: r.scopes,
        expires_at: r.expires_at,
        source: obtained.source,
      },
    };
  }

  /** In-process single flight: concurrent callers of a type share one chain of storage and IdP calls. */
  private obtain(type: TokenType, options: ObtainOptions): Promise<Obtained> {
    const running = this.inflight.get(type);
    if (running && (running.force || !options.force)) return running.promise;
    const promise = this.obtainOnce(type, options).finally(() => {
      if (this.inflight.get(type)?.promise === promise) this.inflight.delete(type);
    });
    this.inflight.set(type, { force: options.force, promise });
    return promise;
  }

  private async obtainOnce(type: TokenType, options: ObtainOptions): Promise<Obtained> {
    try {
      return await this.obtainFromStorageOrIdentity(type, options);
    } catch (error) {
      // Storage or Key Vault down in the refresh window: the token this instance holds is still valid,
      // so keep serving it (never past its expiry) and look again in a little while.
      const held = this.memory.get(type);
      const now = this.clock.now();
      if (!options.degrade || !held || held.expiresAt <= now) throw error;
      held.validUntil = Math.min(held.expiresAt, now + 30_000);
      this.logger.log('warn', 'serving_held_token', {
        token_id: held.id,
        token_type: type,
        code: toGraphTokenError(error).code,
        expires_in_seconds: Math.floor((held.expiresAt - now) / 1000),
      });
      return { accessToken: held.accessToken, record: held.record, source: 'memory' };
    }
  }

  private async obtainFromStorageOrIdentity(type: TokenType, options: ObtainOptions): Promise<Obtained> {
    const startedAt = this.clock.now();
    if (!options.force) {
      const active = await this.store.getActive(type);
      if (active && this.usable(active)) return this.fromStorage(active);
    }
    return this.refreshUnderLease(type, options, startedAt);
  }

  private usable(token: TokenEntity): boolean {
    return (
      token.is_active &&
      Date.parse(token.expires_at) - this.clock.now() > this.config.lifecycle.refreshOffsetSeconds * 1000
    );
  }

  private stillValid(token: TokenEntity | null): token is TokenEntity {
    return token !== null && token.is_active && Date.parse(token.expires_at) > this.clock.now();
  }

  private async fromStorage(token: TokenEntity, degraded = false): Promise<Obtained> {
    const accessToken = await decrypt(token.access_token_enc, this.aad(token, 'access_token'), this.secrets);
    this.remember(token, accessToken, degraded);
    this.stats.storage_hits++;
    return { accessToken, record: publicRecord(token), source: 'storage' };
  }

  /**
   * Fleet-wide single flight: the instance holding the lease talks to Entra ID; the others poll the table
   * for its result. A crashed holder's lease expires and is taken over.
   */
  private async refreshUnderLease(
    type: TokenType,
    options: ObtainOptions,
    startedAt: number,
  ): Promise<Obtained> {
    const leaseMs = this.config.lifecycle.leaseSeconds * 1000;
    const deadline = startedAt + leaseMs + 5000;
    const fresh = (t: TokenEntity | null): t is TokenEntity =>
      t !== null && this.usable(t) && (!options.force || Date.parse(t.created_at) >= startedAt - 1000);
    for (let attempt = 0; ; attempt++) {
      if (await this.store.tryAcquireLease(type, this.holder, this.config.lifecycle.leaseSeconds)) {
        try {
          const active = await this.store.getActive(type);
          if (fresh(active) && (attempt > 0 || !options.force)) return await this.fromStorage(active);
          return await this.refreshNow(type, active, options);
        } finally {
          await this.store.releaseLease(type, this.holder);
        }
      }
      this.stats.lease_waits++;
      await this.clock.sleep(150 + Math.floor(Math.random() * 100));
      const active = await this.store.getActive(type);
      if (fresh(active)) return this.fromStorage(active);
      if (this.clock.now() > deadline) {
        if (options.degrade && this.stillValid(active)) return this.fromStorage(active, true);
        throw new GraphTokenError(
          ERRORS.REFRESH_IN_PROGRESS,
          `Timed out waiting for another instance to refresh the ${type} token`,
        );
      }
    }
  }

  /** Talks to Entra ID (refresh token first, password as fallback) and stores the result. */
  private async refreshNow(
    type: TokenType,
    current: TokenEntity | null,
    options: ObtainOptions,
  ): Promise<Obtained> {
    const state = await this.store.getState(type);
    let cache: string | null = null;
    if (current?.msal_cache_enc) {
      try {
        cache = await decrypt(current.msal_cache_enc, this.aad(current, 'msal_cache'), this.secrets);
      } catch (error) {
        this.logger.log('warn', 'msal_cache_unreadable', {
          token_id: current.id,
          code: toGraphTokenError(error).code,
        });
      }
    }
    let usedFingerprint: string | undefined;
    const password = async (): Promise<string> => {
      const secret = await this.secrets.getPassword();
      if (
        state?.block_fingerprint &&
        state.block_fingerprint === secret.fingerprint &&
        !options.overrideBlock
      ) {
        throw new GraphTokenError(
          ERRORS.CREDENTIALS_BLOCKED,
          `Password not sent: Entra ID rejected this password before (${state.block_code ?? 'credential error'})`,
        );
      }
      usedFingerprint = secret.fingerprint;
      return secret.value;
    };
    const started = this.clock.now();
    try {
      const result = await withRetry(() => this.identity.acquire(cache, password), {
        clock: this.clock,
        maxAttempts: 4,
        maxTotalMs: 45000,
        onRetry: (error, attempt, delayMs) =>
          this.log('warn', 'identity_retry', options.ctx, {
            token_type: type,
            code: error.code,
            attempt,
            delay_ms: delayMs,
          }),
      });
      const now = this.clock.now();
      const nowIso = iso(now);
      const key = await this.secrets.current();
      const id = randomUUID();
      const entity: TokenEntity = {
        id,
        token_type: type,
        account: result.account,
        scopes: result.scopes,
        is_active: true,
        created_at: nowIso,
        updated_at: nowIso,
        expires_at: iso(result.expiresAt),
        last_refreshed_at: nowIso,
        refresh_count: result.grant === 'refresh_token' ? (current?.refresh_count ?? 0) + 1 : 0,
        usage_count: 0,
        last_used_at: null,
        error_count: 0,
        last_error: null,
        last_error_code: null,
        last_error_hint: null,
        last_error_at: null,
        deactivated_at: null,
        deactivation_reason: null,
        access_token_enc: '',
        msal_cache_enc: null,
        key_version: key.version,
      };
      entity.access_token_enc = encrypt(result.accessToken, this.aad(entity, 'access_token'), key);
      entity.msal_cache_enc = result.cache
        ? encrypt(result.cache, this.aad(entity, 'msal_cache'), key)
        : null;
      await this.store.commitNewToken(entity, nowIso);
      if (state?.block_code) await this.store.saveBlock(type, null);
      this.remember(entity, result.accessToken, false);
      this.invalidateCounts();
      const source: TokenSource = result.grant === 'password' ? 'ropc' : 'refresh';
      await this.audit(
        options.ctx,
        current ? 'refresh' : 'acquire',
        `${type}/${id}`,
        'success',
        `grant=${result.grant}`,
      );
      this.refreshDuration?.record(now - started, {
        grant: result.grant,
        outcome: 'success',
        token_type: type,
      });
      this.log('info', 'token_refreshed', options.ctx, {
        token_id: id,
        token_type: type,
        grant: result.grant,
        duration_ms: now - started,
        outcome: 'success',
      });
      return { accessToken: result.accessToken, record: publicRecord(entity), source };
    } catch (caught) {
      const error = toGraphTokenError(caught);
      if (error.category === 'credential' && error.code !== ERRORS.CREDENTIALS_BLOCKED.code) {
        const fp =
          usedFingerprint ??
          (await this.secrets.getPassword().then(
            (p) => p.fingerprint,
            () => undefined,
          ));
        if (fp) {
          await this.store.saveBlock(type, {
            code: error.code,
            hint: error.hint,
            fingerprint: fp,
            at: iso(this.clock.now()),
          });
        }
        // A rotated secret should be seen on the next attempt, not after the cache lifetime.
        this.secrets.invalidate();
      }
      if (current && error.code !== ERRORS.CREDENTIALS_BLOCKED.code)
        await this.recordError(current, error, options.ctx);
      await this.audit(
        options.ctx,
        current ? 'refresh' : 'acquire',
        current ? `${type}/${current.id}` : type,
        'failure',
        error.message,
        error.code,
      );
      this.refreshDuration?.record(this.clock.now() - started, {
        outcome: 'failure',
        code: error.code,
        token_type: type,
      });
      this.log('warn', 'token_refresh_failed', options.ctx, {
        token_id: current?.id,
        token_type: type,
        code: error.code,
        duration_ms: this.clock.now() - started,
        outcome: 'failure',
      });
      const latest = current ? await this.store.getToken(type, current.id).catch(() => null) : null;
      if (options.degrade && this.stillValid(latest)) return this.fromStorage(latest, true);
      throw error;
    }
  }

  /** Counts a consecutive error on a token; at the limit the token is deactivated (`errors`). */
  private async recordError(
    token: TokenEntity,
    error: GraphTokenError,
    ctx: OperationContext,
  ): Promise<void> {
    const latest = (await this.store.getToken(token.token_type, token.id)) ?? token;
    const nowIso = iso(this.clock.now());
    const errorCount = latest.error_count + 1;
    // An outage (network, 5xx, 429) says nothing against a token that is still valid: it is counted, but
    // only deactivates once the token has expired, so callers keep being served through the outage.
    const outageWhileValid = error.category === 'transient' && this.stillValid(latest);
    const deactivate =
      latest.is_active && errorCount >= this.config.lifecycle.maxConsecutiveErrors && !outageWhileValid;
    await this.store.updateToken(token.token_type, token.id, {
      error_count: errorCount,
      last_error: error.message,
      last_error_code: error.code,
      last_error_hint: error.hint,
      last_error_at: nowIso,
      updated_at: nowIso,
      ...(deactivate
        ? { is_active: false, deactivated_at: nowIso, deactivation_reason: 'errors' as const }
        : {}),
    });
    this.invalidateCounts();
    if (deactivate) {
      await this.store.clearActive(token.token_type, token.id);
      if (this.memory.get(token.token_type)?.id === token.id) this.memory.delete(token.token_type);
      await this.audit(
        ctx,
        'deactivate',
        `${token.token_type}/${token.id}`,
        'success',
        `reason=errors after ${errorCount} consecutive errors`,
      );
    } else if (this.memory.get(token.token_type)?.id === token.id) {
      const entry = this.memory.get(token.token_type)!;
      entry.record = {
        ...entry.record,
        error_count: errorCount,
        last_error: error.message,
        last_error_code: error.code,
      };
    }
  }

  private async resetErrors(token: TokenEntity): Promise<void> {
    if (token.error_count === 0) return;
    await this.store.updateToken(token.token_type, token.id, {
      error_count: 0,
      updated_at: iso(this.clock.now()),
    });
    this.invalidateCounts();
  }

  private remember(token: TokenEntity, accessToken: string, degraded: boolean): void {
    const now = this.clock.now();
    const expiresAt = Date.parse(token.expires_at);
    const refreshPoint = expiresAt - this.config.lifecycle.refreshOffsetSeconds * 1000;
    // While degraded (refresh failing, old token still valid) look again soon, but never past expiry.
    const validUntil = degraded
      ? Math.min(expiresAt, now + 30_000)
      : Math.min(refreshPoint, now + this.config.lifecycle.memoryCacheSeconds * 1000);
    const previous = this.memory.get(token.token_type);
    const carried = previous && previous.id === token.id ? previous.uses : 0;
    if (previous && previous.id !== token.id && previous.uses > 0) void this.flushEntry(previous);
    this.memory.set(token.token_type, {
      id: token.id,
      accessToken,
      expiresAt,
      validUntil,
      record: publicRecord(token),
      uses: carried,
      lastUsed: previous?.lastUsed ?? 0,
    });
  }

  // ---------------------------------------------------------------- usage

  private scheduleFlush(): void {
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flushUsage();
    }, this.config.lifecycle.usageFlushSeconds * 1000);
    this.flushTimer.unref();
  }

  /** Writes aggregated usage counters: at most one write per type per flush interval. */
  async flushUsage(): Promise<void> {
    if (this.flushing) await this.flushing;
    this.flushing = (async () => {
      for (const entry of this.memory.values()) await this.flushEntry(entry);
    })().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async flushEntry(entry: MemoryEntry): Promise<void> {
    const uses = entry.uses;
    if (uses === 0) return;
    entry.uses = 0;
    const type = entry.record.token_type;
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const row = await this.store.getToken(type, entry.id);
        if (!row) return;
        try {
          await this.store.updateToken(
            type,
            entry.id,
            { usage_count: row.usage_count + uses, last_used_at: iso(entry.lastUsed) },
            row.etag,
          );
          this.stats.usage_writes++;
          return;
        } catch (error) {
          const status = ((error as GraphTokenError).cause as { statusCode?: number } | undefined)
            ?.statusCode;
          if (status !== 412) throw error;
        }
      }
    } catch (error) {
      entry.uses += uses;
      this.logger.log('warn', 'usage_flush_failed', {
        token_id: entry.id,
        code: toGraphTokenError(error).code,
      });
    }
  }

  // ---------------------------------------------------------------- refresh (timer + admin)

  async refreshTokens(
    options: { tokenType?: TokenType; ids?: string[] } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<RefreshSummary> {
    const results: RefreshResult[] = [];
    if (options.ids) {
      for (const id of options.ids) {
        const token = await this.store.findToken(id);
        if (!token || (options.tokenType && token.token_type !== options.tokenType)) {
          results.push({
            id,
            token_type: options.tokenType ?? 'ropc',
            outcome: 'failed',
            error: summarize(notFound(id)),
          });
        } else if (!token.is_active) {
          results.push({ id, token_type: token.token_type, outcome: 'skipped' });
        } else {
          results.push(await this.refreshOne(token.token_type, id, ctx, true));
        }
      }
    } else {
      const window =
        (this.config.lifecycle.refreshOffsetSeconds + schedulePeriodSeconds(this.config.schedules.refresh)) *
        1000;
      for (const type of options.tokenType ? [options.tokenType] : TOKEN_TYPES) {
        const active = await this.store.getActive(type);
        if (active) {
          if (Date.parse(active.expires_at) - this.clock.now() <= window)
            results.push(await this.refreshOne(type, active.id, ctx, true));
          else
            results.push({
              id: active.id,
              token_type: type,
              outcome: 'skipped',
              expires_at: active.expires_at,
            });
        } else if (this.config.report.valid) {
          results.push(await this.refreshOne(type, null, ctx, false));
        } else {
          results.push({ id: null, token_type: type, outcome: 'skipped' });
        }
      }
    }
    const refreshed = results.filter((r) => r.outcome === 'refreshed').length;
    const failed = results.filter((r) => r.outcome === 'failed').length;
    return { success: failed === 0, refreshed, failed, results };
  }

  private async refreshOne(
    type: TokenType,
    id: string | null,
    ctx: OperationContext,
    force: boolean,
  ): Promise<RefreshResult> {
    try {
      const obtained = await this.obtain(type, { force, overrideBlock: false, degrade: false, ctx });
      return {
        id: obtained.record.id,
        token_type: type,
        outcome: 'refreshed',
        source: obtained.source,
        expires_at: obtained.record.expires_at,
      };
    } catch (error) {
      return { id, token_type: type, outcome: 'failed', error: summarize(error) };
    }
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
    const entity = await this.store.findToken(id);
    if (!entity) throw notFound(id);
    await this.recordError(entity, toGraphTokenError(error), ctx);
  }

  // ---------------------------------------------------------------- cleanup

  async cleanupOldTokens(
    options: { tokenType?: TokenType } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<CleanupSummary> {
    const now = this.clock.now();
    const nowIso = iso(now);
    const cutoff = now - this.config.lifecycle.retentionDays * 86_400_000;
    let deactivated = 0;
    let deleted = 0;
    for (const type of options.tokenType ? [options.tokenType] : TOKEN_TYPES) {
      const toDelete: string[] = [];
      for await (const token of this.store.scanTokens(type)) {
        if (token.is_active && Date.parse(token.expires_at) <= now) {
          await this.store.updateToken(type, token.id, {
            is_active: false,
            deactivated_at: nowIso,
            deactivation_reason: 'expired',
            updated_at: nowIso,
          });
          await this.store.clearActive(type, token.id);
          if (this.memory.get(type)?.id === token.id) this.memory.delete(type);
          deactivated++;
        } else if (!token.is_active && token.deactivated_at && Date.parse(token.deactivated_at) < cutoff) {
          toDelete.push(token.id);
        }
      }
      deleted += await this.store.deleteTokens(type, toDelete);
    }
    const auditDeleted = await this.store.deleteAuditBefore(
      now - this.config.lifecycle.auditRetentionDays * 86_400_000,
    );
    this.invalidateCounts();
    const summary = { success: true, deactivated, deleted, audit_deleted: auditDeleted };
    await this.audit(ctx, 'cleanup', options.tokenType ?? '*', 'success', JSON.stringify(summary));
    return summary;
  }

  // ---------------------------------------------------------------- validate

  async validateTokens(
    options: { tokenType?: TokenType; ids?: string[] } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<ValidateSummary> {
    const targets: TokenEntity[] = [];
    const results: ValidateResult[] = [];
    if (options.ids) {
      for (const id of options.ids) {
        const token = await this.store.findToken(id);
        if (token && (!options.tokenType || token.token_type === options.tokenType)) targets.push(token);
        else
          results.push({
            id,
            token_type: options.tokenType ?? 'ropc',
            outcome: 'invalid',
            status: null,
            error: summarize(notFound(id)),
          });
      }
    } else {
      for (const type of options.tokenType ? [options.tokenType] : TOKEN_TYPES) {
        const active = await this.store.getActive(type);
        if (active) targets.push(active);
      }
    }
    for (const token of targets) results.push(await this.validateOne(token, ctx));
    const count = (o: ValidateResult['outcome']) => results.filter((r) => r.outcome === o).length;
    const summary: ValidateSummary = {
      success: count('invalid') === 0 && count('unreachable') === 0,
      validated: results.length,
      valid: count('valid'),
      invalid: count('invalid'),
      unreachable: count('unreachable'),
      results,
    };
    await this.audit(
      ctx,
      'validate',
      options.ids ? options.ids.join(',') : (options.tokenType ?? '*'),
      summary.success ? 'success' : 'failure',
      `valid=${summary.valid} invalid=${summary.invalid} unreachable=${summary.unreachable}`,
    );
    return summary;
  }

  private async validateOne(token: TokenEntity, ctx: OperationContext): Promise<ValidateResult> {
    const base = { id: token.id, token_type: token.token_type };
    let accessToken: string;
    try {
      accessToken = await decrypt(token.access_token_enc, this.aad(token, 'access_token'), this.secrets);
    } catch (error) {
      return { ...base, outcome: 'invalid', status: null, error: summarize(error) };
    }
    try {
      const response = await this.graph.me(accessToken);
      if (response.status === 200) {
        await this.resetErrors(token);
        return { ...base, outcome: 'valid', status: 200 };
      }
      const error =
        response.status === 401 || response.status === 403
          ? new GraphTokenError(ERRORS.TOKEN_REJECTED, graphError(response).message, {
              upstreamCode: graphError(response).upstreamCode,
            })
          : graphError(response);
      if (token.is_active) await this.recordError(token, error, ctx);
      return { ...base, outcome: 'invalid', status: response.status, error: summarize(error) };
    } catch (error) {
      // Graph unreachable says nothing about the token: reported, not counted against it.
      return { ...base, outcome: 'unreachable', status: null, error: summarize(error) };
    }
  }

  /** Seed API: is this access token accepted by Graph (`GET /me` answers 200)? */
  async validateToken(accessToken: string): Promise<boolean> {
    const response = await this.graph.me(accessToken);
    return response.status === 200;
  }

  // ---------------------------------------------------------------- deactivate, list, status

  async deactivateToken(
    id: string,
    reason?: string,
    ctx: OperationContext = libraryContext(),
  ): Promise<TokenRecord> {
    const token = await this.store.findToken(id);
    if (!token) throw notFound(id);
    if (token.is_active) {
      const nowIso = iso(this.clock.now());
      await this.store.updateToken(token.token_type, id, {
        is_active: false,
        deactivated_at: nowIso,
        deactivation_reason: 'manual',
        updated_at: nowIso,
      });
      await this.store.clearActive(token.token_type, id);
      if (this.memory.get(token.token_type)?.id === id) this.memory.delete(token.token_type);
      this.invalidateCounts();
      await this.audit(
        ctx,
        'deactivate',
        `${token.token_type}/${id}`,
        'success',
        reason ? `reason=manual: ${reason.slice(0, 200)}` : 'reason=manual',
      );
    }
    const latest = await this.store.findToken(id);
    return publicRecord(latest ?? token);
  }

  async listTokens(
    options: { tokenType?: TokenType; continuationToken?: string; limit?: number } = {},
  ): Promise<TokenListResult> {
    const page = await this.store.listTokens(options);
    return { items: page.items.map(publicRecord), continuation_token: page.continuationToken };
  }

  /**
   * Status is served from memory: rebuilt at most once a second (stale up to 5 s while one rebuild runs),
   * and the counts, which need a table scan, at most every 10 s (stale up to 60 s). Local mutations
   * invalidate both, so an operator sees the effect of their own action at once. SPEC §12: status must not
   * scan the table per request.
   */
  getTokenStatus(): Promise<StatusReport> {
    return this.statusCache.get();
  }

  private async buildStatus(): Promise<StatusReport> {
    const [tokens, active, state, recent] = await Promise.all([
      this.countsCache.get(),
      this.store.getActive('ropc'),
      this.store.getState('ropc'),
      this.store.recentAudit(10),
    ]);
    const now = this.clock.now();
    const blocked: CredentialBlock | null =
      state?.block_code && state.blocked_at
        ? {
            token_type: 'ropc',
            code: state.block_code,
            hint: state.block_hint ?? '',
            blocked_at: state.blocked_at,
          }
        : null;
    return {
      configuration: { ...this.config.report, password_source: this.secrets.passwordSource },
      tokens,
      current: active
        ? {
            ...publicRecord(active),
            expires_in_seconds: Math.floor((Date.parse(active.expires_at) - now) / 1000),
          }
        : null,
      blocked,
      recent_audit: recent,
    };
  }

  private invalidateCounts(): void {
    this.countsCache.invalidate();
    this.statusCache.invalidate();
  }

  private async scanCounts(): Promise<TokenCounts> {
    const now = this.clock.now();
    const counts: TokenCounts = { total: 0, active: 0, expired: 0, inactive: 0, errored: 0 };
    for await (const t of this.store.scanTokens()) {
      counts.total++;
      const expired = Date.parse(t.expires_at) <= now;
      if (t.is_active && !expired) counts.active++;
      if (!t.is_active) counts.inactive++;
      if ((t.is_active && expired) || t.deactivation_reason === 'expired') counts.expired++;
      if (t.error_count > 0) counts.errored++;
    }
    return counts;
  }

  // ---------------------------------------------------------------- keys, events, health

  /** Re-encrypts every stored ciphertext under the current data key (after a new key version). */
  async rotateKey(ctx: OperationContext = libraryContext()): Promise<RotateKeySummary> {
    this.secrets.invalidate();
    const key = await this.secrets.current();
    let rotated = 0;
    let continuationToken: string | undefined;
    do {
      const page = await this.store.listTokens({ continuationToken, limit: 200 });
      for (const token of page.items) {
        const fields: Partial<TokenEntity> = {};
        if (token.access_token_enc && keyVersionOf(token.access_token_enc) !== key.version) {
          const plain = await decrypt(token.access_token_enc, this.aad(token, 'access_token'), this.secrets);
          fields.access_token_enc = encrypt(plain, this.aad(token, 'access_token'), key);
        }
        if (token.msal_cache_enc && keyVersionOf(token.msal_cache_enc) !== key.version) {
          const plain = await decrypt(token.msal_cache_enc, this.aad(token, 'msal_cache'), this.secrets);
          fields.msal_cache_enc = encrypt(plain, this.aad(token, 'msal_cache'), key);
        }
        if (Object.keys(fields).length) {
          await this.store.updateToken(
            token.token_type,
            token.id,
            { ...fields, key_version: key.version },
            token.etag,
          );
          rotated++;
        }
      }
      continuationToken = page.continuationToken ?? undefined;
    } while (continuationToken);
    await this.audit(ctx, 'rotate-key', '*', 'success', `key_version=${key.version} rotated=${rotated}`);
    return { success: true, key_version: key.version, rotated };
  }

  createGroupEvent(
    event: GroupEventInput,
    options: { idempotencyKey?: string } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<CreatedEvent> {
    return this.store.ensureTables().then(() => events.createGroupEvent(this.events, event, options, ctx));
  }

  createGroupEvents(
    items: BulkEventInput[],
    options: { onProgress?: (progress: events.BulkProgress) => void } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<BulkEventSummary> {
    return this.store.ensureTables().then(() => events.createGroupEvents(this.events, items, options, ctx));
  }

  getGroupEvent(id: string): Promise<GroupEvent> {
    return events.getGroupEvent(this.events, id);
  }

  listGroupEvents(
    options: { from?: string; to?: string; continuationToken?: string } = {},
  ): Promise<EventListResult> {
    return events.listGroupEvents(this.events, options);
  }

  updateGroupEvent(
    id: string,
    patch: GroupEventPatch,
    ctx: OperationContext = libraryContext(),
  ): Promise<GroupEvent> {
    return this.store.ensureTables().then(() => events.updateGroupEvent(this.events, id, patch, ctx));
  }

  cancelGroupEvent(
    id: string,
    options: { comment?: string } = {},
    ctx: OperationContext = libraryContext(),
  ): Promise<void> {
    return this.store.ensureTables().then(() => events.cancelGroupEvent(this.events, id, options, ctx));
  }

  deleteGroupEvent(id: string, ctx: OperationContext = libraryContext()): Promise<void> {
    return this.store.ensureTables().then(() => events.deleteGroupEvent(this.events, id, ctx));
  }

  async health(): Promise<HealthReport> {
    const checks: HealthReport['checks'] = {};
    checks.configuration = this.config.report.valid
      ? { status: 'ok' }
      : {
          status: 'degraded',
          detail: `missing: ${this.config.report.missing.join(', ') || '-'}; problems: ${this.config.report.problems.length}`,
        };
    try {
      await Promise.race([
        this.store.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000).unref()),
      ]);
      checks.storage = { status: 'ok' };
    } catch {
      checks.storage = { status: 'degraded', detail: 'Table Storage is unreachable' };
    }
    const degraded = Object.values(checks).some((c) => c.status !== 'ok');
    return { status: degraded ? 'degraded' : 'ok', checks };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await this.flushUsage().catch(() => undefined);
  }

  // ---------------------------------------------------------------- helpers

  private aad(token: Pick<TokenEntity, 'token_type' | 'id'>, field: string): string {
    return `${this.config.tableName}/${token.token_type}/${token.id}/${field}`;
  }

  private assertType(type: string): asserts type is TokenType {
    if (!(TOKEN_TYPES as readonly string[]).includes(type)) {
      throw new GraphTokenError(
        ERRORS.INVALID_REQUEST,
        `Unknown token_type ${JSON.stringify(type).slice(0, 40)}; supported: ${TOKEN_TYPES.join(', ')}`,
      );
    }
  }

  private async audit(
    ctx: OperationContext,
    operation: string,
    target: string,
    outcome: AuditEntry['outcome'],
    detail: string | null = null,
    errorCode: string | null = null,
  ): Promise<void> {
    try {
      await this.store.writeAudit({
        time: iso(this.clock.now()),
        actor: ctx.actor,
        operation,
        target,
        outcome,
        correlation_id: ctx.correlationId,
        detail,
        error_code: errorCode,
      });
    } catch (error) {
      this.logger.log('warn', 'audit_write_failed', {
        operation,
        code: toGraphTokenError(error).code,
        correlation_id: ctx.correlationId,
      });
    }
  }

  private log(
    level: 'info' | 'warn' | 'error',
    event: string,
    ctx: OperationContext,
    fields: Record<string, unknown>,
  ): void {
    this.logger.log(level, event, { ...fields, actor: ctx.actor, correlation_id: ctx.correlationId });
  }

  private registerMetrics(): void {
    const meter = metrics.getMeter('graph-token-manager');
    this.refreshDuration = meter.createHistogram('graph_token.refresh_duration', {
      unit: 'ms',
      description: 'Identity-provider refresh duration, by grant and outcome',
    });
    meter.createObservableGauge('graph_token.consecutive_errors').addCallback((r) => {
      for (const [type, entry] of this.memory) r.observe(entry.record.error_count, { token_type: type });
    });
    meter.createObservableGauge('graph_token.seconds_until_expiry').addCallback((r) => {
      for (const [type, entry] of this.memory)
        r.observe((entry.expiresAt - this.clock.now()) / 1000, { token_type: type });
    });
    meter.createObservableCounter('graph_token.cache_hits').addCallback((r) => {
      r.observe(this.stats.memory_hits, { layer: 'memory' });
      r.observe(this.stats.storage_hits, { layer: 'storage' });
    });
    meter.createObservableCounter('graph_token.idp_requests').addCallback((r) => {
      r.observe(this.identity.counters.password, { grant: 'password' });
      r.observe(this.identity.counters.refresh_token, { grant: 'refresh_token' });
    });
    meter
      .createObservableCounter('graph_token.lease_waits')
      .addCallback((r) => r.observe(this.stats.lease_waits));
  }
}

function notFound(id: string): GraphTokenError {
  return new GraphTokenError(ERRORS.TOKEN_NOT_FOUND, `No token with id ${JSON.stringify(id).slice(0, 80)}`);
}

/** Period of an NCRONTAB schedule in seconds, for the common `*\/N` forms; 300 s otherwise. */
export function schedulePeriodSeconds(schedule: string): number {
  const [sec, min, hour] = schedule.trim().split(/\s+/);
  const step = (field: string | undefined): number | undefined => {
    const m = /^\*\/(\d+)$/.exec(field ?? '');
    return m ? Number(m[1]) : field === '*' ? 1 : undefined;
  };
  const s = step(sec);
  if (s !== undefined) return s;
  const m = step(min);
  if (m !== undefined) return m * 60;
  const h = step(hour);
  if (h !== undefined) return h * 3600;
  return 300;
}
