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

/**
 * Figures the monthly report needs beside the entry's public fields (docs/operations.md, "Report"):
 * stored as columns of their own, so `recent_audit` keeps its shape.
 */
export interface AuditColumns {
  grant?: string;
  duration_ms?: number;
  /** Of the token a successful acquire or refresh stored (the report's "no valid token" minutes). */
  expires_at?: string;
}

/** An audit entry as the report reads it: the public fields plus the extra columns. */
export type AuditRow = AuditEntry & AuditColumns & { partition: string };

export async function writeAudit(
  client: TableClient,
  entry: Omit<AuditEntry, 'id'>,
  columns: AuditColumns = {},
  kind: AuditKind = 'tokens',
): Promise<AuditEntry> {
  // Newest first: RowKeys are the time inverted, plus randomness so concurrent entries never collide.
  const id = rowKeyFor(Date.parse(entry.time));
  await client.createEntity({
    partitionKey: AUDIT_PARTITIONS[kind],
    rowKey: id,
    kind,
    ...toColumns(entry),
    ...toColumns({ ...columns }),
  });
  return { id, ...entry };
}

function fromRow(e: Record<string, unknown> & { rowKey?: string }): AuditEntry {
  return {
    id: e.rowKey!,
    time: str(e.time) ?? '',
    actor: str(e.actor) ?? '',
    actor_name: str(e.actor_name),
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

/**
 * Entries of one partition whose time is in [from, to) (ms), newest first, by RowKey range: the RowKey of
 * time t is `INVERT - t` (13 digits) and a suffix, so t < to ⇔ RowKey ≥ key(to - 1) and t ≥ from ⇔
 * RowKey < key(from - 1).
 */
export async function* auditBetween(
  client: TableClient,
  from: number,
  to: number,
  partition: string = AUDIT_PARTITION,
): AsyncGenerator<AuditRow> {
  const key = (t: number): string => (INVERT - t).toString().padStart(13, '0');
  const filter = odata`PartitionKey eq ${partition} and RowKey ge ${key(to - 1)} and RowKey lt ${key(from - 1)}`;
  for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
    const grant = str(e.grant);
    const expires = str(e.expires_at);
    const duration = typeof e.duration_ms === 'number' ? e.duration_ms : Number(str(e.duration_ms) ?? NaN);
    yield {
      ...fromRow(e),
      partition,
      ...(grant ? { grant } : {}),
      ...(expires ? { expires_at: expires } : {}),
      ...(Number.isFinite(duration) ? { duration_ms: duration } : {}),
    };
  }
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
