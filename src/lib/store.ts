import { DefaultAzureCredential } from '@azure/identity';
import { odata, TableClient, type TableEntityResult, type TransactionAction } from '@azure/data-tables';
import { randomBytes } from 'node:crypto';
import type { Clock } from './clock';
import type { Config } from './config';
import { ERRORS, GraphTokenError, sanitize } from './errors';
import type { AuditEntry, DeactivationReason, TokenRecord, TokenType } from './types';
import { TOKEN_TYPES } from './types';

/**
 * The one module that talks to Table Storage.
 *
 * Layout of the token table: one partition per token type. Token rows use their id as RowKey; two
 * bookkeeping rows sort after every id (`~` > any uuid character):
 * - `~state`: the pointer to the active token (so the hot lookup is a point read, never a scan) and the
 *   credential block of SPEC §4.5, shared by every instance;
 * - `~lease`: the refresh lease (ETag-guarded, with an expiry, so a crashed holder is taken over).
 * Keeping them in the token's partition lets "insert new token + supersede old + move pointer" be one
 * entity-group transaction: no reader ever sees two active tokens or none.
 *
 * The audit table has one partition; RowKeys sort newest first.
 */

export const STATE_ROW = '~state';
export const LEASE_ROW = '~lease';
const AUDIT_PARTITION = 'audit';
const BATCH_SIZE = 100;

/** A stored token row: the public record plus ciphertexts. */
export interface TokenEntity extends TokenRecord {
  access_token_enc: string;
  msal_cache_enc: string | null;
  key_version: string;
  etag?: string;
}

export interface StateEntity {
  active_id: string | null;
  block_code: string | null;
  block_hint: string | null;
  block_fingerprint: string | null;
  blocked_at: string | null;
  etag?: string;
}

interface Stored {
  partitionKey: string;
  rowKey: string;
  [key: string]: unknown;
}

const PUBLIC_FIELDS: (keyof TokenRecord)[] = [
  'id',
  'token_type',
  'account',
  'scopes',
  'is_active',
  'created_at',
  'updated_at',
  'expires_at',
  'last_refreshed_at',
  'refresh_count',
  'usage_count',
  'last_used_at',
  'error_count',
  'last_error',
  'last_error_code',
  'last_error_hint',
  'last_error_at',
  'deactivated_at',
  'deactivation_reason',
];

export function publicRecord(entity: TokenRecord): TokenRecord {
  const out: Record<string, unknown> = {};
  for (const f of PUBLIC_FIELDS) out[f] = entity[f];
  return out as unknown as TokenRecord;
}

function toStored(entity: TokenEntity): Stored {
  const { etag: _etag, scopes, ...rest } = entity;
  const stored: Stored = { partitionKey: entity.token_type, rowKey: entity.id, scopes: scopes.join(' ') };
  for (const [k, v] of Object.entries(rest)) stored[k] = v === null ? '' : v;
  return stored;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0) || 0);

function fromStored(e: TableEntityResult<Record<string, unknown>>): TokenEntity {
  return {
    id: e.rowKey!,
    token_type: e.partitionKey as TokenType,
    account: str(e.account) ?? '',
    scopes: (str(e.scopes) ?? '').split(' ').filter(Boolean),
    is_active: e.is_active === true,
    created_at: str(e.created_at) ?? '',
    updated_at: str(e.updated_at) ?? '',
    expires_at: str(e.expires_at) ?? '',
    last_refreshed_at: str(e.last_refreshed_at),
    refresh_count: num(e.refresh_count),
    usage_count: num(e.usage_count),
    last_used_at: str(e.last_used_at),
    error_count: num(e.error_count),
    last_error: str(e.last_error),
    last_error_code: str(e.last_error_code),
    last_error_hint: str(e.last_error_hint),
    last_error_at: str(e.last_error_at),
    deactivated_at: str(e.deactivated_at),
    deactivation_reason: str(e.deactivation_reason) as DeactivationReason | null,
    access_token_enc: str(e.access_token_enc) ?? '',
    msal_cache_enc: str(e.msal_cache_enc),
    key_version: str(e.key_version) ?? '',
    etag: e.etag,
  };
}

/** Translates SDK failures into the service's errors: unreachable storage is transient, never a 500. */
export function storageError(error: unknown): GraphTokenError {
  if (error instanceof GraphTokenError) return error;
  const status = (error as { statusCode?: number }).statusCode;
  const message = sanitize((error as Error)?.message ?? String(error));
  if (status === 401 || status === 403) {
    return new GraphTokenError(
      { ...ERRORS.STORAGE_UNAVAILABLE, category: 'configuration' },
      `Table Storage refused access (HTTP ${status})`,
      { cause: error },
    );
  }
  return new GraphTokenError(ERRORS.STORAGE_UNAVAILABLE, `Table Storage request failed: ${message}`, {
    cause: error,
  });
}

export const isStatus = (error: unknown, status: number): boolean =>
  (error as { statusCode?: number })?.statusCode === status;

/** The storage emulator's well-known account (public, documented by Microsoft). */
export const EMULATOR_ACCOUNT_NAME = 'devstoreaccount1';
export const EMULATOR_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** A Table connection string for the emulator account; `UseDevelopmentStorage=true` means its default port. */
export function emulatorConnectionString(
  tableEndpoint = `http://127.0.0.1:10002/${EMULATOR_ACCOUNT_NAME}`,
): string {
  return `DefaultEndpointsProtocol=http;AccountName=${EMULATOR_ACCOUNT_NAME};AccountKey=${EMULATOR_ACCOUNT_KEY};TableEndpoint=${tableEndpoint};`;
}

function clientFor(config: Config, table: string): TableClient {
  const options = {
    retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2000, tryTimeoutInMs: 10000 },
  };
  if (config.storage.kind === 'endpoint') {
    const credential = new DefaultAzureCredential({
      managedIdentityClientId: config.managedIdentityClientId,
    });
    return new TableClient(config.storage.endpoint, table, credential, options);
  }
  let cs = config.storage.connectionString;
  if (/^UseDevelopmentStorage=true;?$/i.test(cs.trim())) cs = emulatorConnectionString();
  const endpoint = /TableEndpoint=([^;]+)/i.exec(cs)?.[1];
  // Azurite speaks plain http on loopback; the SDK refuses shared-key auth over http unless told.
  const insecure =
    endpoint !== undefined ? endpoint.startsWith('http://') : /DefaultEndpointsProtocol=http;/i.test(cs);
  return TableClient.fromConnectionString(cs, table, { ...options, allowInsecureConnection: insecure });
}

export class TokenStore {
  readonly tokens: TableClient;
  readonly audit: TableClient;
  private ready: Promise<void> | undefined;

  constructor(
    config: Config,
    private readonly clock: Clock,
  ) {
    this.tokens = clientFor(config, config.tableName);
    this.audit = clientFor(config, config.auditTableName);
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

  async getState(type: TokenType): Promise<StateEntity | null> {
    return this.call(async () => {
      try {
        const e = await this.tokens.getEntity<Record<string, unknown>>(type, STATE_ROW);
        return {
          active_id: str(e.active_id),
          block_code: str(e.block_code),
          block_hint: str(e.block_hint),
          block_fingerprint: str(e.block_fingerprint),
          blocked_at: str(e.blocked_at),
          etag: e.etag,
        };
      } catch (error) {
        if (isStatus(error, 404)) return null;
        throw error;
      }
    });
  }

  /** Writes the credential block (or clears it with `null`s). Last writer wins: blocks are idempotent. */
  async saveBlock(
    type: TokenType,
    block: { code: string; hint: string; fingerprint: string; at: string } | null,
  ): Promise<void> {
    await this.call(() =>
      this.tokens.upsertEntity(
        {
          partitionKey: type,
          rowKey: STATE_ROW,
          block_code: block?.code ?? '',
          block_hint: block?.hint ?? '',
          block_fingerprint: block?.fingerprint ?? '',
          blocked_at: block?.at ?? '',
        },
        'Merge',
      ),
    );
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
  async commitNewToken(entity: TokenEntity, now: string): Promise<void> {
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
      actions.push(['upsert', { partitionKey: type, rowKey: STATE_ROW, active_id: entity.id }, 'Merge']);
      await this.tokens.submitTransaction(actions);
    });
  }

  /** Merges the given fields into a token row. */
  async updateToken(type: TokenType, id: string, fields: Partial<TokenEntity>, etag?: string): Promise<void> {
    const { etag: _e, scopes, id: _i, token_type: _t, ...rest } = fields;
    const update: Stored = { partitionKey: type, rowKey: id };
    for (const [k, v] of Object.entries(rest)) update[k] = v === null ? '' : v;
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
      if (!isStatus((error as GraphTokenError).cause, 412)) throw error;
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

  /** Deletes rows of one partition with batch transactions of 100 (the service's limit per batch). */
  async deleteTokens(type: TokenType, ids: string[]): Promise<number> {
    return this.call(() => deleteInBatches(this.tokens, type, ids));
  }

  /**
   * Tries to take the refresh lease of a type: create it, or take it over once expired, guarded by
   * ETag so exactly one instance wins.
   */
  async tryAcquireLease(type: TokenType, holder: string, seconds: number): Promise<boolean> {
    return this.call(async () => {
      const now = this.clock.now();
      const expires = new Date(now + seconds * 1000).toISOString();
      let current: TableEntityResult<Record<string, unknown>> | undefined;
      try {
        current = await this.tokens.getEntity<Record<string, unknown>>(type, LEASE_ROW);
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
      }
      try {
        if (!current) {
          await this.tokens.createEntity({
            partitionKey: type,
            rowKey: LEASE_ROW,
            holder,
            expires_at: expires,
          });
          return true;
        }
        const heldUntil = Date.parse(str(current.expires_at) ?? '');
        if (
          str(current.holder) &&
          Number.isFinite(heldUntil) &&
          heldUntil > now &&
          current.holder !== holder
        ) {
          return false;
        }
        await this.tokens.updateEntity(
          { partitionKey: type, rowKey: LEASE_ROW, holder, expires_at: expires },
          'Replace',
          { etag: current.etag },
        );
        return true;
      } catch (error) {
        if (isStatus(error, 409) || isStatus(error, 412)) return false;
        throw error;
      }
    });
  }

  async releaseLease(type: TokenType, holder: string): Promise<void> {
    try {
      const current = await this.tokens.getEntity<Record<string, unknown>>(type, LEASE_ROW);
      if (current.holder !== holder) return;
      await this.tokens.updateEntity(
        { partitionKey: type, rowKey: LEASE_ROW, holder: '', expires_at: '' },
        'Replace',
        {
          etag: current.etag,
        },
      );
    } catch {
      // The lease expires on its own; a failed release only delays the next refresh by its lifetime.
    }
  }

  async writeAudit(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry> {
    const time = Date.parse(entry.time);
    // Newest first: RowKeys are the time inverted, plus randomness so concurrent entries never collide.
    const id = `${(9_999_999_999_999 - time).toString().padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
    const full: AuditEntry = { id, ...entry };
    await this.call(() =>
      this.audit.createEntity({
        partitionKey: AUDIT_PARTITION,
        rowKey: id,
        ...Object.fromEntries(Object.entries(entry).map(([k, v]) => [k, v === null ? '' : v])),
      }),
    );
    return full;
  }

  async recentAudit(limit: number): Promise<AuditEntry[]> {
    return this.call(async () => {
      const pages = this.audit
        .listEntities<Record<string, unknown>>({
          queryOptions: { filter: odata`PartitionKey eq ${AUDIT_PARTITION}` },
        })
        .byPage({ maxPageSize: limit });
      const next = await pages.next();
      if (next.done) return [];
      return next.value.slice(0, limit).map((e) => ({
        id: e.rowKey!,
        time: str(e.time) ?? '',
        actor: str(e.actor) ?? '',
        operation: str(e.operation) ?? '',
        target: str(e.target) ?? '',
        outcome: (str(e.outcome) ?? 'success') as AuditEntry['outcome'],
        correlation_id: str(e.correlation_id) ?? '',
        detail: str(e.detail),
        error_code: str(e.error_code),
      }));
    });
  }

  /** Deletes audit entries older than `cutoff` (ms). Older entries have larger RowKeys. */
  async deleteAuditBefore(cutoff: number): Promise<number> {
    return this.call(async () => {
      const boundary = (9_999_999_999_999 - cutoff).toString().padStart(13, '0');
      const ids: string[] = [];
      const filter = odata`PartitionKey eq ${AUDIT_PARTITION} and RowKey gt ${boundary}`;
      for await (const e of this.audit.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) {
        ids.push(e.rowKey!);
      }
      return deleteInBatches(this.audit, AUDIT_PARTITION, ids);
    });
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

async function deleteInBatches(client: TableClient, partition: string, ids: string[]): Promise<number> {
  let deleted = 0;
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += BATCH_SIZE) batches.push(ids.slice(i, i + BATCH_SIZE));
  // A few batches in flight at once: 100 000 rows is 1 000 round trips, minutes rather than hours.
  const parallel = 4;
  for (let i = 0; i < batches.length; i += parallel) {
    const results = await Promise.all(
      batches.slice(i, i + parallel).map(async (batch) => {
        try {
          await client.submitTransaction(
            batch.map((rowKey) => ['delete', { partitionKey: partition, rowKey }]),
          );
          return batch.length;
        } catch (error) {
          // A row deleted meanwhile (another instance's cleanup) fails the whole batch: fall back to singles.
          if (!isStatus(error, 404)) throw error;
          let n = 0;
          for (const rowKey of batch) {
            await client.deleteEntity(partition, rowKey).then(
              () => n++,
              (e: unknown) => {
                if (!isStatus(e, 404)) throw e;
              },
            );
          }
          return n;
        }
      }),
    );
    deleted += results.reduce((a, b) => a + b, 0);
  }
  return deleted;
}
