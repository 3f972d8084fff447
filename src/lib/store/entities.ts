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
  /** Delegated tokens: which client kind redeemed the sign-in (its refresh token needs the same). */
  client_kind?: 'public' | 'confidential' | null;
  /** Created by a forced refresh: starts the window in which other forced calls share it (docs/architecture.md). */
  forced_refresh?: boolean;
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

/**
 * A password grant recorded *before* it was sent (the write-ahead of docs/architecture.md, "Lockout
 * rules"): replaced by its outcome; one still here when another flow reads the state is uncertain.
 */
export interface PasswordAttempt {
  fingerprint: string;
  label: string;
  at: string;
  /** The lease owner of the flow that sent it (one per exchange). */
  flow: string;
}

/** The lockout state of a type, shared by every instance through the `~state` row. */
export interface CredentialState {
  /** Newest first. */
  rejected: RejectedCredential[];
  /** The last password grant that got no answer, and how many did in a row. */
  uncertain: { fingerprint: string; label: string; at: string; count: number } | null;
  last_success_at: string | null;
  /** A password grant written ahead and not yet answered (absent when none). */
  attempt?: PasswordAttempt | null;
  /**
   * In memory only, never stored: flows whose outcome this (pending) state already holds, so merging it
   * into the stored row drops their write-ahead record instead of counting it again.
   */
  resolved?: string[];
}

/** A delegated type that needs an interactive sign-in (docs/delegated.md), shared through `~state`. */
export interface SignInState {
  code: string;
  reason: string;
  upstream_code: string | null;
  since: string;
}

export interface StateEntity {
  active_id: string | null;
  credentials: CredentialState;
  /** Set while the type needs an interactive sign-in; cleared by the next successful sign-in. */
  sign_in_required: SignInState | null;
  /**
   * The service account's object id (`oid`), pinned by the first token stored: a token for another oid
   * (the same UPN reassigned to someone else) is never stored (docs/architecture.md).
   */
  account_oid: string | null;
  etag?: string;
}

/** Row-key prefix of pending browser sign-ins (after every token id, outside every token query). */
export const SIGN_IN_ROW_PREFIX = '~signin-';

/** A browser sign-in between `/api/sign-in/start` and its callback (docs/delegated.md). */
export interface SignInSession {
  state: string;
  /** The PKCE verifier, sealed (AES-GCM, bound to this row). */
  verifier_enc: string;
  key_version: string;
  nonce: string;
  /** SHA-256 of the cookie set at /start; /callback must present the cookie. */
  binding_hash: string;
  redirect_uri: string;
  /** Who started it (the administrator's actor / oid). */
  actor: string;
  created_at: string;
  expires_at: string;
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
    client_kind: str(e.client_kind) as TokenEntity['client_kind'],
    forced_refresh: e.forced_refresh === true,
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
    const state: CredentialState = {
      rejected: parsed.rejected,
      uncertain: parsed.uncertain ?? null,
      last_success_at: parsed.last_success_at ?? null,
    };
    if (parsed.attempt) state.attempt = parsed.attempt;
    return {
      state,
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
  return {
    active_id: str(e.active_id),
    credentials: state,
    sign_in_required: signInFromColumn(e.sign_in_required),
    account_oid: str(e.account_oid),
    corrupt,
    etag: e.etag,
  };
}

/** The `sign_in_required` column; a value that does not parse still means "sign-in required". */
export function signInFromColumn(value: unknown): SignInState | null {
  const text = str(value);
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as Partial<SignInState>;
    return {
      code: typeof parsed.code === 'string' ? parsed.code : 'SIGN_IN_REQUIRED',
      reason: typeof parsed.reason === 'string' ? parsed.reason : '',
      upstream_code: typeof parsed.upstream_code === 'string' ? parsed.upstream_code : null,
      since: typeof parsed.since === 'string' ? parsed.since : '',
    };
  } catch {
    return { code: 'SIGN_IN_REQUIRED', reason: 'unreadable state', upstream_code: null, since: '' };
  }
}
