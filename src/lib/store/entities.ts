import type { TableEntityResult } from '@azure/data-tables';
import type { DeactivationReason, TokenRecord, TokenType } from '../types';

/**
 * Row shapes of the token table (docs/architecture.md, "Table layout"): one partition per token type,
 * token rows keyed by id, and two bookkeeping rows that sort after every id (`~` > any uuid character).
 */
export const STATE_ROW = '~state';
export const LEASE_ROW = '~lease';

/** A stored token row: the public record plus ciphertexts. */
export interface TokenEntity extends TokenRecord {
  access_token_enc: string;
  msal_cache_enc: string | null;
  key_version: string;
  etag?: string;
}

export interface StateEntity {
  active_id: string | null;
  block_code: string | null;
  block_hint: string | null;
  block_fingerprint: string | null;
  blocked_at: string | null;
  etag?: string;
}

export interface Stored {
  partitionKey: string;
  rowKey: string;
  [key: string]: unknown;
}

export const PUBLIC_FIELDS: (keyof TokenRecord)[] = [
  'id',
  'token_type',
  'account',
  'scopes',
  'is_active',
  'created_at',
  'updated_at',
  'expires_at',
  'last_refreshed_at',
  'refresh_count',
  'usage_count',
  'last_used_at',
  'error_count',
  'last_error',
  'last_error_code',
  'last_error_hint',
  'last_error_at',
  'deactivated_at',
  'deactivation_reason',
];

export function publicRecord(entity: TokenRecord): TokenRecord {
  const out: Record<string, unknown> = {};
  for (const f of PUBLIC_FIELDS) out[f] = entity[f];
  return out as unknown as TokenRecord;
}

export const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
export const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0) || 0);

/** Table Storage has no null: empty strings stand for it. */
export function toColumns(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = v === null ? '' : v;
  return out;
}

export function toStored(entity: TokenEntity): Stored {
  const { etag: _etag, scopes, ...rest } = entity;
  return { partitionKey: entity.token_type, rowKey: entity.id, scopes: scopes.join(' '), ...toColumns(rest) };
}

export function fromStored(e: TableEntityResult<Record<string, unknown>>): TokenEntity {
  return {
    id: e.rowKey!,
    token_type: e.partitionKey as TokenType,
    account: str(e.account) ?? '',
    scopes: (str(e.scopes) ?? '').split(' ').filter(Boolean),
    is_active: e.is_active === true,
    created_at: str(e.created_at) ?? '',
    updated_at: str(e.updated_at) ?? '',
    expires_at: str(e.expires_at) ?? '',
    last_refreshed_at: str(e.last_refreshed_at),
    refresh_count: num(e.refresh_count),
    usage_count: num(e.usage_count),
    last_used_at: str(e.last_used_at),
    error_count: num(e.error_count),
    last_error: str(e.last_error),
    last_error_code: str(e.last_error_code),
    last_error_hint: str(e.last_error_hint),
    last_error_at: str(e.last_error_at),
    deactivated_at: str(e.deactivated_at),
    deactivation_reason: str(e.deactivation_reason) as DeactivationReason | null,
    access_token_enc: str(e.access_token_enc) ?? '',
    msal_cache_enc: str(e.msal_cache_enc),
    key_version: str(e.key_version) ?? '',
    etag: e.etag,
  };
}

export function stateFromStored(e: TableEntityResult<Record<string, unknown>>): StateEntity {
  return {
    active_id: str(e.active_id),
    block_code: str(e.block_code),
    block_hint: str(e.block_hint),
    block_fingerprint: str(e.block_fingerprint),
    blocked_at: str(e.blocked_at),
    etag: e.etag,
  };
}
