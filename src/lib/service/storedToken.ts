import { randomUUID } from 'node:crypto';
import { iso } from '../clock';
import { toGraphTokenError } from '../errors';
import type { IdentityResult } from '../identity';
import { assertPinnedAccount } from '../identity/delegated';
import { publicRecord, type TokenEntity } from '../store';
import type { TokenType } from '../types';
import type { Obtained, ObtainOptions, ServiceCore } from './context';
import { seal, unseal } from './sealing';

/**
 * The stored token as every flow reads and writes it (docs/architecture.md, "Token lifecycle"): pure
 * readings (usable, still valid, inside the forced-refresh window), decryption into memory, and the one
 * write of a new active token. Below acquire, lease, refresh and the delegated refresh, so the imports of
 * the token path run one way: acquire → lease → refresh → delegatedRefresh → storedToken.
 */

/**
 * Forced refreshes of one type run at most once per this window (docs/architecture.md): a forced call that finds a
 * token a forced refresh created within it shares that token, so 1 000 forced calls — an admin's loop, a retry storm —
 * are one grant, never a burst of sign-ins that Entra ID would throttle or count.
 */
export const FORCED_REFRESH_WINDOW_MS = 10_000;

/**
 * Only plain forced calls share: an override of a blocked password is an explicit, audited send, and a
 * claims challenge needs its own grant.
 */
export function sharesRecentToken(options: ObtainOptions): boolean {
  return options.force && !options.overrideBlock && !options.claims;
}

/** Created by a forced refresh within the forced-refresh window before `at`. */
export function withinForcedWindow(forced: boolean, token: { created_at: string }, at: number): boolean {
  return forced && at - Date.parse(token.created_at) < FORCED_REFRESH_WINDOW_MS;
}

/** Active and more than the refresh offset away from expiry. */
export function usable(core: ServiceCore, token: TokenEntity): boolean {
  return (
    token.is_active &&
    Date.parse(token.expires_at) - core.clock.now() > core.config.lifecycle.refreshOffsetSeconds * 1000
  );
}

/** Active and not yet expired (may be inside the refresh window). */
export function stillValid(core: ServiceCore, token: TokenEntity | null): token is TokenEntity {
  return token !== null && token.is_active && Date.parse(token.expires_at) > core.clock.now();
}

/** Decrypts a stored token and remembers it in memory. */
export async function fromStorage(
  core: ServiceCore,
  token: TokenEntity,
  degraded = false,
): Promise<Obtained> {
  const accessToken = await unseal(core.config, token, 'access_token', token.access_token_enc, core.secrets);
  core.memory.remember(token, accessToken, degraded);
  core.stats.storage_hits++;
  return { accessToken, record: publicRecord(token), source: 'storage' };
}

/** The MSAL cache (refresh token) stored with the current token, if it still decrypts. */
export async function readMsalCache(core: ServiceCore, current: TokenEntity | null): Promise<string | null> {
  if (!current?.msal_cache_enc) return null;
  try {
    return await unseal(core.config, current, 'msal_cache', current.msal_cache_enc, core.secrets);
  } catch (error) {
    core.logger.log('warn', 'msal_cache_unreadable', {
      token_id: current.id,
      code: toGraphTokenError(error).code,
    });
    return null;
  }
}

/**
 * Seals the identity provider's answer into a new row and commits it as the single active token. A
 * delegated token also records which client kind redeemed it, and clears "sign-in required".
 */
export async function storeNewToken(
  core: ServiceCore,
  type: TokenType,
  current: TokenEntity | null,
  result: IdentityResult,
  options: { clientKind?: 'public' | 'confidential'; forced?: boolean } = {},
): Promise<TokenEntity> {
  // The account is pinned by oid: a token for another object id behind the same name is never stored.
  const state = await core.store.getState(type);
  assertPinnedAccount(state?.account_oid, result.accountOid, result.account);
  const nowIso = iso(core.clock.now());
  const key = await core.secrets.current();
  const entity: TokenEntity = {
    id: randomUUID(),
    token_type: type,
    account: result.account,
    scopes: result.scopes,
    is_active: true,
    created_at: nowIso,
    updated_at: nowIso,
    expires_at: iso(result.expiresAt),
    last_refreshed_at: nowIso,
    refresh_count: result.grant === 'refresh_token' ? (current?.refresh_count ?? 0) + 1 : 0,
    usage_count: 0,
    last_used_at: null,
    error_count: 0,
    last_error: null,
    last_error_code: null,
    last_error_hint: null,
    last_error_at: null,
    deactivated_at: null,
    deactivation_reason: null,
    access_token_enc: '',
    msal_cache_enc: null,
    key_version: key.version,
    client_kind: options.clientKind ?? null,
    forced_refresh: options.forced ?? false,
  };
  entity.access_token_enc = seal(core.config, entity, 'access_token', result.accessToken, key);
  entity.msal_cache_enc = result.cache ? seal(core.config, entity, 'msal_cache', result.cache, key) : null;
  await core.store.commitNewToken(entity, nowIso, {
    clearSignInRequired: type === 'delegated',
    accountOid: result.accountOid,
  });
  return entity;
}
