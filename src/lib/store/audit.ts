import { odata, type TableClient } from '@azure/data-tables';
import { randomBytes } from 'node:crypto';
import type { AuditEntry } from '../types';
import { deleteInBatches } from './connection';
import { str, toColumns } from './entities';

/**
 * The audit table (docs/architecture.md, "Table layout"). One partition per kind and UTC day:
 * `audit-<d>` for token operations (what status's `recent_audit` shows) and `events-<d>` for event
 * operations, so a bulk import never pushes token entries out of view. `<d>` is the day number inverted
 * (99999 − days since 1970), and RowKeys are the time inverted: one range over a kind's partitions reads
 * newest first across days. A day per partition keeps each partition small (a month of 100 000 entries is
 * ~3 000 a day), lets the report read a month as day ranges side by side, and lets cleanup drop whole
 * days. Entries written before this layout sit in the partitions `audit` and `events` (read and cleaned
 * up too, until retention removes them). `-` sorts just before `.`, so every day partition of a kind is
 * the one range `PartitionKey ≥ 'audit-<d>' and < 'audit.'`.
 */
export const AUDIT_PARTITIONS = Object.freeze({ tokens: 'audit', events: 'events' });
export type AuditKind = keyof typeof AUDIT_PARTITIONS;
const INVERT = 9_999_999_999_999;
const DAY_MS = 86_400_000;
/** Day partitions read side by side by the report. */
const PARALLEL_DAYS = 4;

/** The 13-digit RowKey prefix of time t (ms): newer times have smaller keys. */
const timeKey = (t: number): string => (INVERT - t).toString().padStart(13, '0');
const rowKeyFor = (time: number): string => `${timeKey(time)}-${randomBytes(4).toString('hex')}`;

/** The partition of a kind's entries of the UTC day holding `time` (ms). */
export function auditPartition(kind: AuditKind, time: number): string {
  return `${AUDIT_PARTITIONS[kind]}-${(99_999 - Math.floor(time / DAY_MS)).toString().padStart(5, '0')}`;
}

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

/** The stored entity of an audit entry (also what bulk loaders — the bench, tests — submit in batches). */
export function auditEntity(
  entry: Omit<AuditEntry, 'id'>,
  columns: AuditColumns = {},
  kind: AuditKind = 'tokens',
): { partitionKey: string; rowKey: string } & Record<string, unknown> {
  const time = Date.parse(entry.time);
  // Newest first: RowKeys are the time inverted, plus randomness so concurrent entries never collide.
  return {
    partitionKey: auditPartition(kind, time),
    rowKey: rowKeyFor(time),
    kind,
    ...toColumns(entry),
    ...toColumns({ ...columns }),
  };
}

export async function writeAudit(
  client: TableClient,
  entry: Omit<AuditEntry, 'id'>,
  columns: AuditColumns = {},
  kind: AuditKind = 'tokens',
): Promise<AuditEntry> {
  const entity = auditEntity(entry, columns, kind);
  await client.createEntity(entity);
  return { id: entity.rowKey, ...entry };
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

/** Days recent_audit reads one by one before one range over every older day. */
const RECENT_DAYS = 3;

/**
 * The newest token-operation entries (status's `recent_audit`): today's partition, then the days before
 * it one at a time (each query touches one small partition and at most `limit` entities), then one
 * range over every older day, then the partition of the older layout — stopping once `limit` are found.
 */
export async function recentAudit(client: TableClient, limit: number, now: number): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  const prefix = AUDIT_PARTITIONS.tokens;
  const filters = [
    ...Array.from(
      { length: RECENT_DAYS },
      (_, d) => odata`PartitionKey eq ${auditPartition('tokens', now - d * DAY_MS)}`,
    ),
    odata`PartitionKey ge ${auditPartition('tokens', now - RECENT_DAYS * DAY_MS)} and PartitionKey lt ${`${prefix}.`}`,
    odata`PartitionKey eq ${prefix}`,
  ];
  for (const filter of filters) {
    // A page may stop short at a partition boundary: follow continuations until `limit` entries.
    const pages = client
      .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
      .byPage({ maxPageSize: limit - out.length });
    for await (const page of pages) {
      out.push(...page.slice(0, limit - out.length).map(fromRow));
      if (out.length >= limit) return out;
    }
  }
  return out;
}

/** The columns the report reads: never the actor or correlation id (less to transfer per entry). */
const REPORT_COLUMNS = [
  'RowKey',
  'time',
  'operation',
  'target',
  'outcome',
  'error_code',
  'detail',
  'grant',
  'duration_ms',
  'expires_at',
];

/**
 * Every entry of a kind whose time is in [from, to) (ms), handed to `onRow` as the pages arrive, in no
 * particular order: one RowKey-range query per UTC day (`PARALLEL_DAYS` at a time) plus one on the older
 * layout's partition (`layouts` picks either). RowKey of time t is `INVERT - t` (13 digits) and a suffix, so t < to ⇔ RowKey ≥
 * key(to - 1) and t ≥ from ⇔ RowKey < key(from - 1). Only the report's columns are read (`$select`).
 */
export async function forEachAudit(
  client: TableClient,
  from: number,
  to: number,
  kind: AuditKind,
  onRow: (row: AuditRow) => void,
  layouts: { days: boolean; legacy: boolean } = { days: true, legacy: true },
): Promise<void> {
  if (to <= from) return;
  const partitions: string[] = layouts.legacy ? [AUDIT_PARTITIONS[kind]] : [];
  for (let day = Math.floor(from / DAY_MS); layouts.days && day <= Math.floor((to - 1) / DAY_MS); day++) {
    partitions.push(auditPartition(kind, day * DAY_MS));
  }
  const read = async (partition: string): Promise<void> => {
    const filter = odata`PartitionKey eq ${partition} and RowKey ge ${timeKey(to - 1)} and RowKey lt ${timeKey(from - 1)}`;
    const entities = client.listEntities<Record<string, unknown>>({
      queryOptions: { filter, select: REPORT_COLUMNS },
    });
    for await (const e of entities) onRow(toReportRow(e, partition));
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL_DAYS, partitions.length) }, async () => {
      while (next < partitions.length) await read(partitions[next++]!);
    }),
  );
}

function toReportRow(e: Record<string, unknown> & { rowKey?: string }, partition: string): AuditRow {
  const grant = str(e.grant);
  const expires = str(e.expires_at);
  const duration = typeof e.duration_ms === 'number' ? e.duration_ms : Number(str(e.duration_ms) ?? NaN);
  return {
    ...fromRow(e),
    partition,
    ...(grant ? { grant } : {}),
    ...(expires ? { expires_at: expires } : {}),
    ...(Number.isFinite(duration) ? { duration_ms: duration } : {}),
  };
}

/** Whether any token-operation entry is older than `time` (ms): at most one entity per layout is read. */
export async function auditExistsBefore(client: TableClient, time: number): Promise<boolean> {
  // Older days have larger partition numbers, older times larger RowKeys: one range covers both.
  const older = odata`PartitionKey ge ${auditPartition('tokens', time)} and PartitionKey lt ${`${AUDIT_PARTITIONS.tokens}.`} and RowKey ge ${timeKey(time - 1)}`;
  const legacy = odata`PartitionKey eq ${AUDIT_PARTITIONS.tokens} and RowKey ge ${timeKey(time - 1)}`;
  for (const filter of [older, legacy]) {
    const pages = client
      .listEntities({ queryOptions: { filter, select: ['RowKey'] } })
      .byPage({ maxPageSize: 1 });
    for await (const page of pages) if (page.length > 0) return true;
  }
  return false;
}

/** Deletes audit entries of every kind older than `cutoff` (ms). Older entries have larger keys. */
export async function deleteAuditBefore(client: TableClient, cutoff: number): Promise<number> {
  const boundary = timeKey(cutoff);
  let deleted = 0;
  for (const kind of Object.keys(AUDIT_PARTITIONS) as AuditKind[]) {
    const byPartition = new Map<string, string[]>();
    const older = odata`PartitionKey ge ${auditPartition(kind, cutoff)} and PartitionKey lt ${`${AUDIT_PARTITIONS[kind]}.`} and RowKey gt ${boundary}`;
    const legacy = odata`PartitionKey eq ${AUDIT_PARTITIONS[kind]} and RowKey gt ${boundary}`;
    for (const filter of [older, legacy]) {
      const entities = client.listEntities({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } });
      for await (const e of entities) {
        const ids = byPartition.get(e.partitionKey!) ?? [];
        ids.push(e.rowKey!);
        byPartition.set(e.partitionKey!, ids);
      }
    }
    for (const [partition, ids] of byPartition) deleted += await deleteInBatches(client, partition, ids);
  }
  await deleteAuditSummariesBefore(client, cutoff);
  return deleted;
}

/** Day summaries of the report (service/reportAggregator.ts, `DaySummary`): RowKey = the UTC date. */
const SUMMARY_PARTITION = 'summary';
/** Strings are at most 32 K UTF-16 characters a property: a summary is split over `d0`, `d1`, … */
const CHUNK = 30_000;
const MAX_CHUNKS = 30;
const dateOf = (time: number): string => new Date(time).toISOString().slice(0, 10);

/** The stored day summaries whose day starts in [from, to) (ms), by day start; unreadable ones left out. */
export async function readAuditSummaries(
  client: TableClient,
  from: number,
  to: number,
): Promise<Map<number, unknown>> {
  const out = new Map<number, unknown>();
  const filter = odata`PartitionKey eq ${SUMMARY_PARTITION} and RowKey ge ${dateOf(from)} and RowKey lt ${dateOf(to)}`;
  for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
    const chunks = Number(e.chunks);
    let json = '';
    for (let i = 0; i < chunks; i++) json += str(e[`d${i}`]) ?? '';
    try {
      out.set(Date.parse(`${e.rowKey!}T00:00:00Z`), JSON.parse(json));
    } catch {
      // A damaged summary: the report reads that day's entries instead.
    }
  }
  return out;
}

/** Stores a closed day's summary (replacing one there). False when it is too large to store. */
export async function writeAuditSummary(
  client: TableClient,
  day: number,
  summary: unknown,
): Promise<boolean> {
  const json = JSON.stringify(summary);
  const chunks = Math.ceil(json.length / CHUNK);
  if (chunks > MAX_CHUNKS) return false;
  const entity: Record<string, unknown> = { partitionKey: SUMMARY_PARTITION, rowKey: dateOf(day), chunks };
  for (let i = 0; i < chunks; i++) entity[`d${i}`] = json.slice(i * CHUNK, (i + 1) * CHUNK);
  await client.upsertEntity(entity as { partitionKey: string; rowKey: string }, 'Replace');
  return true;
}

/** Deletes the day summaries of days that ended before `cutoff` (retention, with the entries). */
export async function deleteAuditSummariesBefore(client: TableClient, cutoff: number): Promise<number> {
  const ids: string[] = [];
  const filter = odata`PartitionKey eq ${SUMMARY_PARTITION} and RowKey lt ${dateOf(cutoff)}`;
  for await (const e of client.listEntities({ queryOptions: { filter, select: ['RowKey'] } }))
    ids.push(e.rowKey!);
  return deleteInBatches(client, SUMMARY_PARTITION, ids);
}

/**
 * The newest entries of a kind with one operation (the admin page's last syncs): the days' partitions
 * newest first, then the older layout's partition, each filtered on the operation by the table service,
 * stopping once `limit` are found or `days` days are read.
 */
export async function recentAuditOperation(
  client: TableClient,
  kind: AuditKind,
  operation: string,
  now: number,
  options: { days: number; limit: number },
): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  const partitions = [
    ...Array.from({ length: options.days }, (_, d) => auditPartition(kind, now - d * DAY_MS)),
    AUDIT_PARTITIONS[kind],
  ];
  for (const partition of partitions) {
    const filter = odata`PartitionKey eq ${partition} and operation eq ${operation}`;
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      out.push(fromRow(e));
      if (out.length >= options.limit) return out;
    }
  }
  return out;
}
