import type { TableClient, TableEntityResult } from '@azure/data-tables';
import type { Clock } from '../clock';
import type { TokenType } from '../types';
import { isStatus } from './connection';
import { LEASE_ROW, str } from './entities';

/**
 * The refresh lease of a type (the `~lease` row): created, or taken over once expired, guarded by ETag so
 * exactly one holder wins. A crashed holder's lease simply runs out.
 */
export async function tryAcquireLease(
  tokens: TableClient,
  clock: Clock,
  type: TokenType,
  holder: string,
  seconds: number,
): Promise<boolean> {
  const now = clock.now();
  const expires = new Date(now + seconds * 1000).toISOString();
  let current: TableEntityResult<Record<string, unknown>> | undefined;
  try {
    current = await tokens.getEntity<Record<string, unknown>>(type, LEASE_ROW);
  } catch (error) {
    if (!isStatus(error, 404)) throw error;
  }
  try {
    if (!current) {
      await tokens.createEntity({ partitionKey: type, rowKey: LEASE_ROW, holder, expires_at: expires });
      return true;
    }
    const heldUntil = Date.parse(str(current.expires_at) ?? '');
    if (str(current.holder) && Number.isFinite(heldUntil) && heldUntil > now && current.holder !== holder) {
      return false;
    }
    await tokens.updateEntity(
      { partitionKey: type, rowKey: LEASE_ROW, holder, expires_at: expires },
      'Replace',
      { etag: current.etag },
    );
    return true;
  } catch (error) {
    if (isStatus(error, 409) || isStatus(error, 412)) return false;
    throw error;
  }
}

export async function releaseLease(tokens: TableClient, type: TokenType, holder: string): Promise<void> {
  try {
    const current = await tokens.getEntity<Record<string, unknown>>(type, LEASE_ROW);
    if (current.holder !== holder) return;
    await tokens.updateEntity(
      { partitionKey: type, rowKey: LEASE_ROW, holder: '', expires_at: '' },
      'Replace',
      { etag: current.etag },
    );
  } catch {
    // The lease expires on its own; a failed release only delays the next refresh by its lifetime.
  }
}
