/**
 * The sync lease (docs/sync.md, "Safe to repeat and to interrupt"): one sync at a time per owner,
 * calendar and scope, across every instance. Two syncs of one scope would each read the scope, each
 * see the same event missing, and each create it — the lease is what makes "0 duplicates" hold for
 * concurrent callers, as the exactly-once create makes it hold for retries.
 *
 * Rows live in the events table (`<TOKEN_TABLE_NAME>Event`) in partition `~sync`, row key a digest of
 * (owner, calendar, scope), so any characters are safe and one owner's scopes never collide with
 * another's. Created, or taken over once expired, guarded by ETag: exactly one holder wins. The holder
 * renews it while it works; a holder that died (a crashed worker) simply lets it run out.
 */
import type { TableClient } from '@azure/data-tables';
import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import { ERRORS, GraphTokenError } from '../errors';
import { isStatus, storageError } from './connection';

const PARTITION = '~sync';

export interface SyncLeaseKey {
  owner: string;
  groupId: string;
  scope: string;
}

export interface HeldSyncLease {
  readonly holder: string;
  /** Extends the lease; throws when another holder took it (this sync must stop writing). */
  renew(): Promise<void>;
  /** Gives the scope back (best effort: an unreleased lease expires on its own). */
  release(): Promise<void>;
}

const rowKeyOf = (key: SyncLeaseKey): string =>
  createHash('sha256').update(`${key.owner}\n${key.groupId}\n${key.scope}`).digest('hex').slice(0, 48);

export class SyncLeaseStore {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly table: TableClient,
    private readonly clock: Clock,
    /** How long a lease lives without a renewal. */
    readonly seconds = 120,
  ) {}

  private ensureTable(): Promise<void> {
    this.ready ??= this.table.createTable().catch((error: unknown) => {
      this.ready = undefined;
      throw storageError(error);
    });
    return this.ready;
  }

  private entity(
    rowKey: string,
    holder: string,
  ): Record<string, unknown> & {
    partitionKey: string;
    rowKey: string;
  } {
    return {
      partitionKey: PARTITION,
      rowKey,
      holder,
      expires_at: new Date(this.clock.now() + this.seconds * 1000).toISOString(),
    };
  }

  /** Takes the lease of (owner, calendar, scope), or throws `SYNC_IN_PROGRESS` (409) while another holds it. */
  async acquire(key: SyncLeaseKey): Promise<HeldSyncLease> {
    await this.ensureTable();
    const rowKey = rowKeyOf(key);
    const holder = randomUUID();
    let etag: string;
    try {
      let current: { etag?: string; holder?: unknown; expires_at?: unknown } | undefined;
      try {
        current = await this.table.getEntity<Record<string, unknown>>(PARTITION, rowKey);
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
      }
      if (!current) {
        etag = (await this.table.createEntity(this.entity(rowKey, holder))).etag!;
      } else {
        const heldUntil = Date.parse(String(current.expires_at ?? ''));
        if (current.holder && Number.isFinite(heldUntil) && heldUntil > this.clock.now()) {
          throw inProgress(heldUntil - this.clock.now());
        }
        etag = (await this.table.updateEntity(this.entity(rowKey, holder), 'Replace', { etag: current.etag }))
          .etag!;
      }
    } catch (error) {
      if (error instanceof GraphTokenError) throw error;
      // Another instance created or took it between our read and our write.
      if (isStatus(error, 409) || isStatus(error, 412)) throw inProgress(this.seconds * 1000);
      throw storageError(error);
    }
    return {
      holder,
      renew: async () => {
        try {
          etag = (await this.table.updateEntity(this.entity(rowKey, holder), 'Replace', { etag })).etag!;
        } catch (error) {
          if (isStatus(error, 412) || isStatus(error, 404)) {
            throw new GraphTokenError(
              ERRORS.SYNC_IN_PROGRESS,
              'the sync lost its lease to another sync of this scope (it ran past the lease without renewing)',
            );
          }
          throw storageError(error);
        }
      },
      release: async () => {
        await this.table.deleteEntity(PARTITION, rowKey, { etag }).catch(() => undefined);
      },
    };
  }
}

function inProgress(ms: number): GraphTokenError {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return new GraphTokenError(
    ERRORS.SYNC_IN_PROGRESS,
    `another sync of this scope in this calendar is running (its lease runs for up to ${seconds} s more)`,
    { retryAfterSeconds: seconds },
  );
}
