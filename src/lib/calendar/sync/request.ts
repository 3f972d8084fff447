/**
 * What a sync request and an external id must look like (docs/sync.md), and the answer's shape. Pure:
 * the library, the HTTP route and the CLI share these checks, so each refuses the same input the same way.
 */
import { ERRORS, GraphTokenError } from '../../errors';
import type { GroupEventInput } from '../../types';
import type { SyncResultItem, SyncProgress } from './apply';
import type { DriftPolicy, RemovePolicy, SyncCounts } from './plan';
import { DRIFT_POLICIES, REMOVE_POLICIES } from './plan';

export const MAX_SYNC_EVENTS = 5000;
/** Bodies of `POST /api/events/sync` may be this large (every other route keeps 64 KiB). */
export const MAX_SYNC_BODY_BYTES = 8 * 1024 * 1024;
export const SCOPE_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
/** 1–128 printable characters: no control characters (they would end up in headers, CSV and logs). */
const EXTERNAL_ID_PATTERN = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{1,128}$/u;

/** One desired event: the event plus the caller's own id for it. */
export type SyncEventInput = GroupEventInput & { external_id: string };

export interface SyncRequest {
  scope: string;
  events: readonly SyncEventInput[];
  remove?: RemovePolicy;
  drift?: DriftPolicy;
  dryRun?: boolean;
  /** The calendar (an alias or group id of `GRAPH_GROUP_IDS`); default the first. */
  group?: string;
  onProgress?: (progress: SyncProgress) => void;
}

/** The answer of `POST /api/events/sync` and `syncGroupEvents` (docs/sync.md). */
export interface SyncAnswer {
  scope: string;
  /** The calendar's alias. */
  group: string;
  dry_run: boolean;
  counts: SyncCounts;
  results: SyncResultItem[];
}

const invalid = (message: string): GraphTokenError => new GraphTokenError(ERRORS.INVALID_REQUEST, message);

export function isExternalId(value: unknown): value is string {
  return typeof value === 'string' && EXTERNAL_ID_PATTERN.test(value) && value.trim() === value;
}

/** A 400 naming `field` unless `value` is a valid external id. */
export function assertExternalId(value: unknown, field = 'external_id'): string {
  if (!isExternalId(value)) {
    throw invalid(
      `${field}: must be 1–128 printable characters without leading or trailing spaces (the caller's own id of the event)`,
    );
  }
  return value;
}

/** Checks the parts of a sync request that are not events: scope, policies, the number of events. */
export function assertSyncRequest(request: {
  scope?: unknown;
  events?: unknown;
  remove?: unknown;
  drift?: unknown;
}): void {
  if (typeof request.scope !== 'string' || !SCOPE_PATTERN.test(request.scope)) {
    throw invalid(
      'scope: must be 1–64 characters of A-Z, a-z, 0-9, ".", "_", ":" and "-", e.g. cs101-2027-spring',
    );
  }
  if (!Array.isArray(request.events)) throw invalid('events: must be an array of events');
  if (request.events.length > MAX_SYNC_EVENTS) {
    throw invalid(`events: at most ${MAX_SYNC_EVENTS} per sync (this one has ${request.events.length})`);
  }
  if (request.remove !== undefined && !REMOVE_POLICIES.includes(request.remove as RemovePolicy)) {
    throw invalid(`remove: must be one of ${REMOVE_POLICIES.join(', ')}`);
  }
  if (request.drift !== undefined && !DRIFT_POLICIES.includes(request.drift as DriftPolicy)) {
    throw invalid(`drift: must be one of ${DRIFT_POLICIES.join(', ')}`);
  }
}
