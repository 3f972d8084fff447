/**
 * Idempotency keys of event creates (docs/events.md, "Exactly once"): key → event, kept 24 hours in
 * Table Storage so a repeat is answered with the original event by any instance, also after a restart.
 *
 * Layout: PartitionKey = a digest of the caller (the audit actor), RowKey = a digest of the key, so any
 * characters are safe in keys and one caller never sees another's keys. A row is written `pending`
 * (with the request's fingerprint and the Graph key it uses) *before* Graph is called, and `done` with
 * the event afterwards; ETags make the reservation race-free across instances.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { createHash } from 'node:crypto';
import type { Clock } from '../clock';
import { ERRORS, GraphTokenError } from '../errors';
import type { GroupEvent } from '../types';
import { deleteInBatches, storageError } from './connection';

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

export interface IdempotencyRecord {
  /** Digest of the normalized request: a different body under the same key is a reuse. */
  fingerprint: string;
  /** The key the create sends to Graph (`transactionId` and the extended property). */
  graphKey: string;
  state: 'pending' | 'done';
  event: GroupEvent | null;
  createdAt: number;
  etag?: string;
}

const digest = (value: string): string => createHash('sha256').update(value).digest('hex').slice(0, 48);
const status = (error: unknown): number | undefined => (error as { statusCode?: number })?.statusCode;

export class IdempotencyStore {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly table: TableClient,
    private readonly clock: Clock,
  ) {}

  /** The events table's name for a token table: `<TOKEN_TABLE_NAME>Event` (Table names end at 63 characters). */
  static tableNameFor(tokenTableName: string): string {
    return `${tokenTableName}Event`;
  }

  private ensureTable(): Promise<void> {
    this.ready ??= this.table.createTable().catch((error: unknown) => {
      this.ready = undefined;
      throw storageError(error);
    });
    return this.ready;
  }

  /** The live record for (caller, key), or null (none, or older than 24 h). */
  async get(scope: string, key: string): Promise<IdempotencyRecord | null> {
    const found = await this.read(scope, key);
    return found && !found.expired ? found.record : null;
  }

  private async read(
    scope: string,
    key: string,
  ): Promise<{ record: IdempotencyRecord; expired: boolean } | null> {
    await this.ensureTable();
    try {
      const e = await this.table.getEntity<Record<string, unknown>>(digest(scope), digest(key));
      const record: IdempotencyRecord = {
        fingerprint: String(e.fingerprint ?? ''),
        graphKey: String(e.graph_key ?? ''),
        state: e.state === 'done' ? 'done' : 'pending',
        event: typeof e.event === 'string' && e.event ? (JSON.parse(e.event) as GroupEvent) : null,
        createdAt: Date.parse(String(e.created_at ?? '')) || 0,
        etag: e.etag,
      };
      return { record, expired: this.clock.now() - record.createdAt >= IDEMPOTENCY_TTL_MS };
    } catch (error) {
      if (status(error) === 404) return null;
      throw storageError(error);
    }
  }

  /**
   * Reserves (caller, key) for a new create. Returns the record that now holds the key: the new one, or
   * the one another instance wrote first (the caller then compares fingerprints). An expired row is
   * replaced, guarded by its ETag.
   */
  async reserve(
    scope: string,
    key: string,
    record: Omit<IdempotencyRecord, 'state' | 'event' | 'createdAt' | 'etag'>,
  ): Promise<{ record: IdempotencyRecord; mine: boolean }> {
    await this.ensureTable();
    const fresh: IdempotencyRecord = {
      ...record,
      state: 'pending',
      event: null,
      createdAt: this.clock.now(),
    };
    const entity = {
      partitionKey: digest(scope),
      rowKey: digest(key),
      fingerprint: fresh.fingerprint,
      graph_key: fresh.graphKey,
      state: 'pending',
      event: '',
      created_at: new Date(fresh.createdAt).toISOString(),
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.read(scope, key);
      try {
        if (!existing) {
          const r = await this.table.createEntity(entity);
          return { record: { ...fresh, etag: r.etag }, mine: true };
        }
        if (!existing.expired) return { record: existing.record, mine: false };
        const r = await this.table.updateEntity(entity, 'Replace', { etag: existing.record.etag });
        return { record: { ...fresh, etag: r.etag }, mine: true };
      } catch (error) {
        if (status(error) !== 409 && status(error) !== 412) throw storageError(error);
        // Another instance wrote first: read what it wrote.
      }
    }
    throw new GraphTokenError(
      ERRORS.STORAGE_UNAVAILABLE,
      'The idempotency key is being written by several callers at once; retry.',
    );
  }

  /** Records the created event under (caller, key). */
  async complete(scope: string, key: string, event: GroupEvent): Promise<void> {
    await this.ensureTable();
    try {
      await this.table.updateEntity(
        { partitionKey: digest(scope), rowKey: digest(key), state: 'done', event: JSON.stringify(event) },
        'Merge',
      );
    } catch (error) {
      throw storageError(error);
    }
  }

  /** Forgets a reservation whose create failed for certain (nothing was created), so the key can be used again. */
  async release(scope: string, key: string): Promise<void> {
    await this.table.deleteEntity(digest(scope), digest(key)).catch(() => undefined);
  }

  /** Deletes rows older than 24 h in batch transactions (one per caller's partition); returns how many. */
  async deleteExpired(): Promise<number> {
    await this.ensureTable();
    const cutoff = new Date(this.clock.now() - IDEMPOTENCY_TTL_MS).toISOString();
    const byPartition = new Map<string, string[]>();
    try {
      for await (const e of this.table.listEntities({
        queryOptions: { filter: odata`created_at lt ${cutoff}`, select: ['PartitionKey', 'RowKey'] },
      })) {
        const rows = byPartition.get(e.partitionKey!) ?? [];
        rows.push(e.rowKey!);
        byPartition.set(e.partitionKey!, rows);
      }
      let deleted = 0;
      for (const [partition, rows] of byPartition)
        deleted += await deleteInBatches(this.table, partition, rows);
      return deleted;
    } catch (error) {
      throw storageError(error);
    }
  }
}
