import { odata, type TableClient } from '@azure/data-tables';
import type { TokenType } from '../types';
import { isStatus } from './connection';
import { stateFromStored, STATE_ROW, str, type StateEntity } from './entities';

/**
 * Operations bookkeeping in the token table (docs/operations.md): the open notification incidents of a
 * type (`~notify`) and the last run of each timer (`~timer`, in the configured type's partition). Both
 * sort after every token id, so no token listing or scan ever sees them, and one range query over `~`
 * rows gives health all it judges.
 */
export const NOTIFY_ROW = '~notify';
export const TIMER_ROW = '~timer';

export type TimerJob = 'refresh' | 'cleanup' | 'validate';

/** An incident a notification was sent (or claimed) for; closed by the next success. */
export interface Incident {
  opened_at: string;
  event_id: string;
}

export type Incidents = Record<string, Incident>;

export interface TimerRun {
  at: string;
  outcome: 'success' | 'failure';
}

function parseIncidents(value: unknown): Incidents {
  const text = str(value);
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Incidents) : {};
  } catch {
    return {};
  }
}

/**
 * Changes the open incidents of a type with an ETag-guarded read-modify-write. `change` returns the new
 * set, or `null` for "nothing to change" (the incident is already open, or none is to close). Exactly one
 * of several instances racing on the same change sees `changed: true`: the one that sends the event.
 */
export async function updateIncidents(
  tokens: TableClient,
  type: TokenType,
  change: (current: Incidents) => Incidents | null,
): Promise<{ changed: boolean; before: Incidents }> {
  for (let attempt = 0; ; attempt++) {
    let etag: string | undefined;
    let before: Incidents = {};
    try {
      const row = await tokens.getEntity<Record<string, unknown>>(type, NOTIFY_ROW);
      etag = row.etag;
      before = parseIncidents(row.incidents);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
    const next = change(before);
    if (next === null) return { changed: false, before };
    const entity = { partitionKey: type, rowKey: NOTIFY_ROW, incidents: JSON.stringify(next) };
    try {
      if (etag) await tokens.updateEntity(entity, 'Replace', { etag });
      else await tokens.createEntity(entity);
      return { changed: true, before };
    } catch (error) {
      if (attempt >= 5 || !(isStatus(error, 412) || isStatus(error, 409))) throw error;
    }
  }
}

/** The bookkeeping rows of a type in one range query: its state (active pointer, credentials) and incidents. */
export async function readBookkeeping(
  tokens: TableClient,
  type: TokenType,
): Promise<{
  state: (StateEntity & { corrupt: boolean; active_expires_at: string | null }) | null;
  incidents: Incidents;
  timers: Partial<Record<TimerJob, TimerRun>>;
}> {
  const filter = odata`PartitionKey eq ${type} and RowKey ge '~'`;
  let state: (StateEntity & { corrupt: boolean; active_expires_at: string | null }) | null = null;
  let incidents: Incidents = {};
  let timers: Partial<Record<TimerJob, TimerRun>> = {};
  for await (const row of tokens.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
    if (row.rowKey === STATE_ROW)
      state = { ...stateFromStored(row), active_expires_at: str(row.active_expires_at) };
    else if (row.rowKey === NOTIFY_ROW) incidents = parseIncidents(row.incidents);
    else if (row.rowKey === TIMER_ROW) timers = timerRunsOf(row);
  }
  return { state, incidents, timers };
}

/**
 * Timer runs are kept in the configured token type's partition, beside `~state` and `~notify`, so one
 * range query gives health everything it judges.
 */
export async function recordTimerRun(
  tokens: TableClient,
  partition: string,
  job: TimerJob,
  run: TimerRun,
): Promise<void> {
  await tokens.upsertEntity(
    {
      partitionKey: partition,
      rowKey: TIMER_ROW,
      [`${job}_at`]: run.at,
      [`${job}_outcome`]: run.outcome,
    },
    'Merge',
  );
}

function timerRunsOf(row: Record<string, unknown>): Partial<Record<TimerJob, TimerRun>> {
  const out: Partial<Record<TimerJob, TimerRun>> = {};
  for (const job of ['refresh', 'cleanup', 'validate'] as const) {
    const at = str(row[`${job}_at`]);
    if (at) out[job] = { at, outcome: str(row[`${job}_outcome`]) === 'failure' ? 'failure' : 'success' };
  }
  return out;
}
