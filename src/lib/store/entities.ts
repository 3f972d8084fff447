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

/** A credential Entra ID rejected (docs/architecture.md, "Lockout rules"). */
export interface RejectedCredential {
  /** Hash of tenant, client id, username, scopes and secret version: never the secret. */
  fingerprint: string;
  /** The credential in words ("password version 1a2b3c4d for svc@contoso.com"). */
  label: string;
  code: string;
  hint: string;
  first_at: string;
  last_at: string;
  rejections: number;
}

/** The lockout state of a type, shared by every instance through the `~state` row. */
export interface CredentialState {
  /** Newest first. */
  rejected: RejectedCredential[];
  /** The last password grant that got no answer, and how many did in a row. */
  uncertain: { fingerprint: string; label: string; at: string; count: number } | null;
  last_success_at: string | null;
}

export interface StateEntity {
  active_id: string | null;
  credentials: CredentialState;
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

/**
 * Reads the credential state column. A value that does not parse is treated as "everything blocked
 * would be unknown" — deny by default: a sentinel rejection that no fingerprint matches is not enough, so
 * the caller gets `corrupt: true` and refuses to send a password.
 */
export function credentialsFromColumn(value: unknown): { state: CredentialState; corrupt: boolean } {
  const empty: CredentialState = { rejected: [], uncertain: null, last_success_at: null };
  const text = str(value);
  if (!text) return { state: empty, corrupt: false };
  try {
    const parsed = JSON.parse(text) as Partial<CredentialState>;
    if (!Array.isArray(parsed.rejected)) throw new Error('shape');
    return {
      state: {
        rejected: parsed.rejected,
        uncertain: parsed.uncertain ?? null,
        last_success_at: parsed.last_success_at ?? null,
      },
      corrupt: false,
    };
  } catch {
    return { state: empty, corrupt: true };
  }
}

export function stateFromStored(
  e: TableEntityResult<Record<string, unknown>>,
): StateEntity & { corrupt: boolean } {
  const { state, corrupt } = credentialsFromColumn(e.credentials);
  return { active_id: str(e.active_id), credentials: state, corrupt, etag: e.etag };
}
