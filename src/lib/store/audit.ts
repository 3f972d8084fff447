import { odata, type TableClient } from '@azure/data-tables';
import { randomBytes } from 'node:crypto';
import type { AuditEntry } from '../types';
import { deleteInBatches } from './connection';
import { str, toColumns } from './entities';

/**
 * The audit table has one partition per kind: token operations (`audit`, what status's `recent_audit`
 * shows) and event operations (`events`), so a bulk import never pushes token entries out of view.
 * RowKeys sort newest first.
 */
export const AUDIT_PARTITIONS = Object.freeze({ tokens: 'audit', events: 'events' });
export type AuditKind = keyof typeof AUDIT_PARTITIONS;
const AUDIT_PARTITION = AUDIT_PARTITIONS.tokens;
const INVERT = 9_999_999_999_999;

const rowKeyFor = (time: number): string =>
  `${(INVERT - time).toString().padStart(13, '0')}-${randomBytes(4).toString('hex')}`;

export async function writeAudit(
  client: TableClient,
  entry: Omit<AuditEntry, 'id'>,
  kind: AuditKind = 'tokens',
): Promise<AuditEntry> {
  // Newest first: RowKeys are the time inverted, plus randomness so concurrent entries never collide.
  const id = rowKeyFor(Date.parse(entry.time));
  await client.createEntity({ partitionKey: AUDIT_PARTITIONS[kind], rowKey: id, kind, ...toColumns(entry) });
  return { id, ...entry };
}

function fromRow(e: Record<string, unknown> & { rowKey?: string }): AuditEntry {
  return {
    id: e.rowKey!,
    time: str(e.time) ?? '',
    actor: str(e.actor) ?? '',
    operation: str(e.operation) ?? '',
    target: str(e.target) ?? '',
    outcome: (str(e.outcome) ?? 'success') as AuditEntry['outcome'],
    correlation_id: str(e.correlation_id) ?? '',
    detail: str(e.detail),
    error_code: str(e.error_code),
  };
}

export async function recentAudit(client: TableClient, limit: number): Promise<AuditEntry[]> {
  const pages = client
    .listEntities<Record<string, unknown>>({
      queryOptions: { filter: odata`PartitionKey eq ${AUDIT_PARTITION}` },
    })
    .byPage({ maxPageSize: limit });
  const next = await pages.next();
  if (next.done) return [];
  return next.value.slice(0, limit).map(fromRow);
}

/** Deletes audit entries of every kind older than `cutoff` (ms). Older entries have larger RowKeys. */
export async function deleteAuditBefore(client: TableClient, cutoff: number): Promise<number> {
  const boundary = (INVERT - cutoff).toString().padStart(13, '0');
  let deleted = 0;
  for (const partition of Object.values(AUDIT_PARTITIONS)) {
    const ids: string[] = [];
    const filter = odata`PartitionKey eq ${partition} and RowKey gt ${boundary}`;
    for await (const e of client.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) {
      ids.push(e.rowKey!);
    }
    deleted += await deleteInBatches(client, partition, ids);
  }
  return deleted;
}
