/**
 * The sync stamps (CONTRACT: single-value extended properties in the product's property set), written in
 * the same create or PATCH body as the change they describe, so no crash leaves an event half stamped:
 * - `ExternalKey`: sha256(owner \n external_id) — the lookup by external id, one `Any()` clause;
 * - `ExternalId`: the caller's external id in clear, to return it;
 * - `Scope`: sha256(owner \n scope) — the sync's one `$filter` read of a scope;
 * - `Written`: the managed-fields hash of what the service last wrote (drift, docs/sync.md).
 * Keys hash the owner in, so one caller's external ids and scopes never meet another's.
 */
import { createHash } from 'node:crypto';
import { EXTERNAL_ID_PROPERTY_ID, stampId } from '../mapping';

export { EXTERNAL_ID_PROPERTY_ID, stampFilter } from '../mapping';

export const EXTERNAL_KEY_PROPERTY_ID = stampId('ExternalKey');
export const SCOPE_PROPERTY_ID = stampId('Scope');
export const WRITTEN_PROPERTY_ID = stampId('Written');

export const SYNC_STAMP_IDS: readonly string[] = [
  EXTERNAL_KEY_PROPERTY_ID,
  EXTERNAL_ID_PROPERTY_ID,
  SCOPE_PROPERTY_ID,
  WRITTEN_PROPERTY_ID,
];

const digest = (text: string): string => createHash('sha256').update(text).digest('base64url');

export const externalKeyOf = (owner: string, externalId: string): string => digest(`${owner}\n${externalId}`);
export const scopeKeyOf = (owner: string, scope: string): string => digest(`${owner}\n${scope}`);

export interface SyncStamps {
  externalKey?: string;
  externalId?: string;
  scope?: string;
  written?: string;
}

/** The sync stamps of a Graph event read with them expanded (ids compare case-insensitively). */
export function syncStampsOf(body: Record<string, unknown>): SyncStamps {
  const props = Array.isArray(body.singleValueExtendedProperties)
    ? (body.singleValueExtendedProperties as Array<{ id?: unknown; value?: unknown }>)
    : [];
  const value = (id: string): string | undefined => {
    const found = props.find((p) => typeof p.id === 'string' && p.id.toLowerCase() === id.toLowerCase());
    return typeof found?.value === 'string' ? found.value : undefined;
  };
  const stamps: SyncStamps = {};
  const set = (key: keyof SyncStamps, id: string): void => {
    const v = value(id);
    if (v !== undefined) stamps[key] = v;
  };
  set('externalKey', EXTERNAL_KEY_PROPERTY_ID);
  set('externalId', EXTERNAL_ID_PROPERTY_ID);
  set('scope', SCOPE_PROPERTY_ID);
  set('written', WRITTEN_PROPERTY_ID);
  return stamps;
}

/** The stamps to write with a create or a PATCH, as Graph's `singleValueExtendedProperties` items. */
export function stampItems(stamps: SyncStamps): Array<{ id: string; value: string }> {
  const items: Array<{ id: string; value: string }> = [];
  if (stamps.externalKey !== undefined)
    items.push({ id: EXTERNAL_KEY_PROPERTY_ID, value: stamps.externalKey });
  if (stamps.externalId !== undefined) items.push({ id: EXTERNAL_ID_PROPERTY_ID, value: stamps.externalId });
  if (stamps.scope !== undefined) items.push({ id: SCOPE_PROPERTY_ID, value: stamps.scope });
  if (stamps.written !== undefined) items.push({ id: WRITTEN_PROPERTY_ID, value: stamps.written });
  return items;
}
