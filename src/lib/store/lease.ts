import type { TableClient, TableEntityResult } from '@azure/data-tables';
import type { Clock } from '../clock';
import type { TokenType } from '../types';
import { isStatus } from './connection';
import { LEASE_ROW, str } from './entities';

/** The outcome of trying to take a lease: ours (with the row's ETag for renewals), or held until then. */
export type LeaseAttempt = { acquired: true; etag: string } | { acquired: false; heldUntil: number | null };

type LeaseRow = TableEntityResult<Record<string, unknown>>;

async function readLease(tokens: TableClient, type: TokenType): Promise<LeaseRow | undefined> {
  try {
    return await tokens.getEntity<Record<string, unknown>>(type, LEASE_ROW);
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
}

const heldUntilOf = (row: LeaseRow): number => Date.parse(str(row.expires_at) ?? '');

/**
 * The refresh lease of a type (the `~lease` row), owned by one flow (a random owner id per exchange):
 * created, or taken over once expired, guarded by ETag so exactly one owner wins. A crashed holder's
 * lease simply runs out.
 */
export async function tryAcquireLease(
  tokens: TableClient,
  clock: Clock,
  type: TokenType,
  owner: string,
  seconds: number,
): Promise<LeaseAttempt> {
  const now = clock.now();
  const expires = new Date(now + seconds * 1000).toISOString();
  const current = await readLease(tokens, type);
  try {
    if (!current) {
      const created = await tokens.createEntity({
        partitionKey: type,
        rowKey: LEASE_ROW,
        holder: owner,
        expires_at: expires,
      });
      return { acquired: true, etag: created.etag! };
    }
    const heldUntil = heldUntilOf(current);
    if (str(current.holder) && Number.isFinite(heldUntil) && heldUntil > now) {
      return { acquired: false, heldUntil };
    }
    const updated = await tokens.updateEntity(
      { partitionKey: type, rowKey: LEASE_ROW, holder: owner, expires_at: expires },
      'Replace',
      { etag: current.etag },
    );
    return { acquired: true, etag: updated.etag! };
  } catch (error) {
    if (isStatus(error, 409) || isStatus(error, 412)) return { acquired: false, heldUntil: null };
    throw error;
  }
}

/** Extends a held lease; fails (412) when someone else took it meanwhile. Returns the new ETag. */
export async function renewLease(
  tokens: TableClient,
  clock: Clock,
  type: TokenType,
  owner: string,
  etag: string,
  seconds: number,
): Promise<string> {
  const expires = new Date(clock.now() + seconds * 1000).toISOString();
  const updated = await tokens.updateEntity(
    { partitionKey: type, rowKey: LEASE_ROW, holder: owner, expires_at: expires },
    'Replace',
    { etag },
  );
  return updated.etag!;
}

export async function holdsLease(
  tokens: TableClient,
  clock: Clock,
  type: TokenType,
  owner: string,
): Promise<boolean> {
  const current = await readLease(tokens, type);
  return current !== undefined && current.holder === owner && heldUntilOf(current) > clock.now();
}

export async function releaseLease(tokens: TableClient, type: TokenType, owner: string): Promise<void> {
  try {
    const current = await tokens.getEntity<Record<string, unknown>>(type, LEASE_ROW);
    if (current.holder !== owner) return;
    await tokens.updateEntity(
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
