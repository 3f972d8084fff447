import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { Clock } from '../clock';
import type { Config } from '../config';
import type { AuditEntry, TokenType } from '../types';
import { TOKEN_TYPES } from '../types';
import * as audit from './audit';
import { deleteInBatches, isStatus, storageError, tableClientFor } from './connection';
import {
  fromStored,
  PUBLIC_FIELDS,
  SIGN_IN_ROW_PREFIX,
  STATE_ROW,
  stateFromStored,
  toColumns,
  toStored,
  type CredentialState,
  type SignInSession,
  type SignInState,
  type StateEntity,
  type Stored,
  type TokenEntity,
} from './entities';
import * as lease from './lease';
import * as ops from './ops';

export * from './connection';
export * from './entities';
export { AUDIT_PARTITIONS, auditEntity, auditPartition, type AuditKind } from './audit';
export type { AuditColumns, AuditRow } from './audit';
export type { Incident, Incidents, TimerJob, TimerRun } from './ops';

/**
 * The one module that talks to Table Storage (layout: docs/architecture.md, "Table layout").
 *
 * Keeping the `~state` pointer in the token's partition lets "insert new token + supersede old + move
 * pointer" be one entity-group transaction: no reader ever sees two active tokens or none.
 */
export class TokenStore {
  readonly tokens: TableClient;
  readonly audit: TableClient;
  private ready: Promise<void> | undefined;

  constructor(
    config: Config,
    private readonly clock: Clock,
  ) {
    this.tokens = tableClientFor(config, config.tableName);
    this.audit = tableClientFor(config, config.auditTableName);
  }

  /** Creates both tables once per process (a 409 means another instance did it first). */
  ensureTables(): Promise<void> {
    if (!this.ready) {
      this.ready = Promise.all([this.tokens.createTable(), this.audit.createTable()])
        .then(() => undefined)
        .catch((error: unknown) => {
          this.ready = undefined;
          throw storageError(error);
        });
    }
    return this.ready;
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    await this.ensureTables();
    try {
      return await fn();
    } catch (error) {
      throw storageError(error);
    }
  }

  async getState(type: TokenType): Promise<(StateEntity & { corrupt: boolean }) | null> {
    return this.call(async () => {
      try {
        return stateFromStored(await this.tokens.getEntity<Record<string, unknown>>(type, STATE_ROW));
      } catch (error) {
        if (isStatus(error, 404)) return null;
        throw error;
      }
    });
  }

  /**
   * Changes the credential state of a type with an ETag-guarded read-modify-write (`If-Match`), so two
   * instances' updates never overwrite each other; on a conflict the change is decided again on the
   * fresh row. `change` returns `null` to write nothing. Returns the state written (or left).
   */
  async updateCredentials(
    type: TokenType,
    change: (current: CredentialState, row: { corrupt: boolean }) => CredentialState | null,
  ): Promise<CredentialState> {
    return this.call(async () => {
      for (let attempt = 0; ; attempt++) {
        const current = await this.getState(type);
        const before = current?.credentials ?? { rejected: [], uncertain: null, last_success_at: null };
        const next = change(before, { corrupt: current?.corrupt ?? false });
        if (next === null) return before;
        const { resolved: _inMemoryOnly, ...stored } = next;
        const entity = { partitionKey: type, rowKey: STATE_ROW, credentials: JSON.stringify(stored) };
        try {
          if (current?.etag) await this.tokens.updateEntity(entity, 'Merge', { etag: current.etag });
          else await this.tokens.createEntity(entity);
          return stored;
        } catch (error) {
          if (attempt >= 4 || !(isStatus(error, 412) || isStatus(error, 409))) throw error;
        }
      }
    });
  }

  /**
   * Marks a type as needing an interactive sign-in (or clears it with `null`), ETag-guarded like
   * `updateCredentials`. Returns true when this call set it (it was not set before).
   */
  async setSignInRequired(type: TokenType, value: SignInState | null): Promise<boolean> {
    return this.call(async () => {
      for (let attempt = 0; ; attempt++) {
        const current = await this.getState(type);
        if (value !== null && current?.sign_in_required) return false;
        if (value === null && !current?.sign_in_required) return false;
        const entity = {
          partitionKey: type,
          rowKey: STATE_ROW,
          sign_in_required: value === null ? '' : JSON.stringify(value),
        };
        try {
          if (current?.etag) await this.tokens.updateEntity(entity, 'Merge', { etag: current.etag });
          else await this.tokens.createEntity(entity);
          return true;
        } catch (error) {
          if (attempt >= 4 || !(isStatus(error, 412) || isStatus(error, 409))) throw error;
        }
      }
    });
  }

  /** Stores a pending browser sign-in (its own row in the delegated partition, never listed). */
  async putSignInSession(session: SignInSession): Promise<void> {
    const { etag: _e, state, ...rest } = session;
    await this.call(() =>
      this.tokens.createEntity({
        partitionKey: 'delegated',
        rowKey: `${SIGN_IN_ROW_PREFIX}${state}`,
        ...rest,
      }),
    );
  }

  /** Reads and deletes a pending sign-in in one step: a state is usable once, by one instance. */
  async takeSignInSession(state: string): Promise<SignInSession | null> {
    return this.call(async () => {
      const rowKey = `${SIGN_IN_ROW_PREFIX}${state}`;
      let row: Record<string, unknown> & { etag?: string };
      try {
        row = await this.tokens.getEntity<Record<string, unknown>>('delegated', rowKey);
      } catch (error) {
        if (isStatus(error, 404)) return null;
        throw error;
      }
      try {
        await this.tokens.deleteEntity('delegated', rowKey, { etag: row.etag });
      } catch (error) {
        // Someone else took it first.
        if (isStatus(error, 404) || isStatus(error, 412)) return null;
        throw error;
      }
      const text = (v: unknown): string => (typeof v === 'string' ? v : '');
      return {
        state,
        verifier_enc: text(row.verifier_enc),
        key_version: text(row.key_version),
        nonce: text(row.nonce),
        binding_hash: text(row.binding_hash),
        redirect_uri: text(row.redirect_uri),
        actor: text(row.actor),
        created_at: text(row.created_at),
        expires_at: text(row.expires_at),
      };
    });
  }

  /** Deletes abandoned browser sign-ins (started, never completed) that expired before `nowIso`. */
  async deleteExpiredSignInSessions(nowIso: string): Promise<number> {
    return this.call(async () => {
      const filter = odata`PartitionKey eq 'delegated' and RowKey ge ${SIGN_IN_ROW_PREFIX} and RowKey lt '~signin.' and expires_at lt ${nowIso}`;
      const ids: string[] = [];
      for await (const e of this.tokens.listEntities({ queryOptions: { filter, select: ['RowKey'] } }))
        ids.push(e.rowKey!);
      return deleteInBatches(this.tokens, 'delegated', ids);
    });
  }

  async getToken(type: TokenType, id: string): Promise<TokenEntity | null> {
    if (id.startsWith('~')) return null;
    return this.call(async () => {
      try {
        return fromStored(await this.tokens.getEntity<Record<string, unknown>>(type, id));
      } catch (error) {
        if (isStatus(error, 404)) return null;
        throw error;
      }
    });
  }

  /** Finds a token by id in any type's partition. */
  async findToken(id: string): Promise<TokenEntity | null> {
    for (const type of TOKEN_TYPES) {
      const found = await this.getToken(type, id);
      if (found) return found;
    }
    return null;
  }

  /** The active token via the state pointer: two point reads, no scan. */
  async getActive(type: TokenType): Promise<TokenEntity | null> {
    const state = await this.getState(type);
    if (!state?.active_id) return null;
    const token = await this.getToken(type, state.active_id);
    return token?.is_active ? token : null;
  }

  /**
   * Stores a new token as the single active token of its type, superseding the previous one, in one
   * entity-group transaction.
   */
  async commitNewToken(
    entity: TokenEntity,
    now: string,
    options: { clearSignInRequired?: boolean; accountOid?: string } = {},
  ): Promise<void> {
    await this.call(async () => {
      const type = entity.token_type;
      const state = await this.getState(type);
      const actions: TransactionAction[] = [['create', toStored(entity)]];
      if (state?.active_id && state.active_id !== entity.id) {
        const previous = await this.getToken(type, state.active_id);
        if (previous?.is_active) {
          actions.push([
            'update',
            {
              partitionKey: type,
              rowKey: previous.id,
              is_active: false,
              deactivated_at: now,
              deactivation_reason: 'superseded',
              updated_at: now,
            },
            'Merge',
          ]);
        }
      }
      const pointer: Stored = {
        partitionKey: type,
        rowKey: STATE_ROW,
        active_id: entity.id,
        // The expiry beside the pointer lets health judge the token from the bookkeeping rows alone.
        active_expires_at: entity.expires_at,
      };
      // A successful sign-in clears "sign-in required" in the same transaction that makes it active.
      if (options.clearSignInRequired) pointer.sign_in_required = '';
      // The first token pins the account's object id, in the same transaction (never overwritten here).
      if (options.accountOid && !state?.account_oid) pointer.account_oid = options.accountOid.toLowerCase();
      actions.push(['upsert', pointer, 'Merge']);
      await this.tokens.submitTransaction(actions);
    });
  }

  /** Merges the given fields into a token row. */
  async updateToken(type: TokenType, id: string, fields: Partial<TokenEntity>, etag?: string): Promise<void> {
    const { etag: _e, scopes, id: _i, token_type: _t, ...rest } = fields;
    const update: Stored = { partitionKey: type, rowKey: id, ...toColumns(rest) };
    if (scopes) update.scopes = scopes.join(' ');
    await this.call(() => this.tokens.updateEntity(update, 'Merge', etag ? { etag } : undefined));
  }

  /** Clears the active pointer if it still names `id` (after a deactivation). */
  async clearActive(type: TokenType, id: string): Promise<void> {
    const state = await this.getState(type);
    if (state?.active_id !== id) return;
    await this.call(() =>
      this.tokens.updateEntity({ partitionKey: type, rowKey: STATE_ROW, active_id: '' }, 'Merge', {
        etag: state.etag,
      }),
    ).catch((error: unknown) => {
      if (!isStatus((error as { cause?: unknown }).cause, 412)) throw error;
    });
  }

  async listTokens(options: {
    tokenType?: TokenType;
    continuationToken?: string;
    limit?: number;
  }): Promise<{ items: TokenEntity[]; continuationToken: string | null }> {
    return this.call(async () => {
      const filter = options.tokenType
        ? odata`PartitionKey eq ${options.tokenType} and RowKey lt '~'`
        : odata`RowKey lt '~'`;
      const pages = this.tokens
        .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
        .byPage({ maxPageSize: options.limit ?? 100, continuationToken: options.continuationToken });
      const next = await pages.next();
      if (next.done) return { items: [], continuationToken: null };
      const page = next.value;
      return { items: page.map(fromStored), continuationToken: page.continuationToken ?? null };
    });
  }

  /** Streams every token row's bookkeeping fields (no ciphertexts). */
  async *scanTokens(tokenType?: TokenType): AsyncGenerator<TokenEntity> {
    await this.ensureTables();
    const filter = tokenType ? odata`PartitionKey eq ${tokenType} and RowKey lt '~'` : odata`RowKey lt '~'`;
    const select = [
      'PartitionKey',
      'RowKey',
      ...PUBLIC_FIELDS.filter((f) => f !== 'id' && f !== 'token_type'),
    ];
    try {
      for await (const e of this.tokens.listEntities<Record<string, unknown>>({
        queryOptions: { filter, select },
      })) {
        yield fromStored(e);
      }
    } catch (error) {
      throw storageError(error);
    }
  }

  async deleteTokens(type: TokenType, ids: string[]): Promise<number> {
    return this.call(() => deleteInBatches(this.tokens, type, ids));
  }

  tryAcquireLease(type: TokenType, owner: string, seconds: number): Promise<lease.LeaseAttempt> {
    return this.call(() => lease.tryAcquireLease(this.tokens, this.clock, type, owner, seconds));
  }

  renewLease(type: TokenType, owner: string, etag: string, seconds: number): Promise<string> {
    return this.call(() => lease.renewLease(this.tokens, this.clock, type, owner, etag, seconds));
  }

  /** Is the lease still `owner`'s, and not lapsed? */
  holdsLease(type: TokenType, owner: string): Promise<boolean> {
    return this.call(() => lease.holdsLease(this.tokens, this.clock, type, owner));
  }

  releaseLease(type: TokenType, owner: string): Promise<void> {
    return lease.releaseLease(this.tokens, type, owner);
  }

  writeAudit(
    entry: Omit<AuditEntry, 'id'>,
    columns?: audit.AuditColumns,
    kind: audit.AuditKind = 'tokens',
  ): Promise<AuditEntry> {
    return this.call(() => audit.writeAudit(this.audit, entry, columns, kind));
  }

  /** Every audit entry of a kind in [from, to), in no particular order (store/audit.ts). */
  async forEachAudit(
    from: number,
    to: number,
    kind: audit.AuditKind,
    onRow: (row: audit.AuditRow) => void,
    layouts?: { days: boolean; legacy: boolean },
  ): Promise<void> {
    return this.call(() => audit.forEachAudit(this.audit, from, to, kind, onRow, layouts));
  }

  /** The report's stored day summaries for days starting in [from, to), by day start. */
  readAuditSummaries(from: number, to: number): Promise<Map<number, unknown>> {
    return this.call(() => audit.readAuditSummaries(this.audit, from, to));
  }

  /** Stores a closed day's report summary; false when too large to store. */
  writeAuditSummary(day: number, summary: unknown): Promise<boolean> {
    return this.call(() => audit.writeAuditSummary(this.audit, day, summary));
  }

  /** Whether a token-operation audit entry older than `time` (ms) exists: the report's "deployed before". */
  auditExistsBefore(time: number): Promise<boolean> {
    return this.call(() => audit.auditExistsBefore(this.audit, time));
  }

  updateIncidents(
    type: TokenType,
    change: (current: ops.Incidents) => ops.Incidents | null,
  ): Promise<{ changed: boolean; before: ops.Incidents }> {
    return this.call(() => ops.updateIncidents(this.tokens, type, change));
  }

  /** State and open incidents of a type in one request (health). */
  readBookkeeping(type: TokenType): ReturnType<typeof ops.readBookkeeping> {
    return this.call(() => ops.readBookkeeping(this.tokens, type));
  }

  /** Records a timer run in `type`'s partition (the configured type's: health reads it there). */
  recordTimerRun(type: TokenType, job: ops.TimerJob, run: ops.TimerRun): Promise<void> {
    return this.call(() => ops.recordTimerRun(this.tokens, type, job, run));
  }

  recentAudit(limit: number): Promise<AuditEntry[]> {
    return this.call(() => audit.recentAudit(this.audit, limit, this.clock.now()));
  }

  deleteAuditBefore(cutoff: number): Promise<number> {
    return this.call(() => audit.deleteAuditBefore(this.audit, cutoff));
  }

  /** A cheap round trip for health checks. */
  async ping(): Promise<void> {
    await this.call(() =>
      this.tokens.getEntity(TOKEN_TYPES[0], STATE_ROW).catch((error: unknown) => {
        if (!isStatus(error, 404)) throw error;
      }),
    );
  }
}
