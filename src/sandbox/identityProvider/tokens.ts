/**
 * The body of a successful user grant, as Entra ID v2.0 answers it: access token (v1 shape for Graph),
 * ID token, `client_info` (MSAL builds its account cache key from it) and a refresh token when
 * `offline_access` was asked for.
 */
import { createHash, randomBytes } from 'node:crypto';
import { nowSeconds } from '../http';
import { CONSENTED_GRAPH_SCOPES, GRAPH_RESOURCE, OIDC_SCOPES } from './options';
import { signJwt } from './signingKey';
import type { Account, AuthMethod, IdpContext } from './state';

export interface UserGrantOptions {
  method: AuthMethod;
  /** The request authenticated as a confidential client. */
  confidential: boolean;
  /** Echoed into the ID token (authorization code flow). */
  nonce?: string;
  /** The `claims` request parameter, already parsed. */
  claims?: Record<string, unknown>;
}

export const DEFAULT_USER_SCOPES = `${GRAPH_RESOURCE}/.default openid profile offline_access`;

export async function userTokenResponse(
  ctx: IdpContext,
  account: Account,
  clientId: string,
  scopeParam: string | null,
  options: UserGrantOptions,
): Promise<Record<string, unknown>> {
  const { config, state } = ctx;
  const requested = (scopeParam ?? DEFAULT_USER_SCOPES).split(' ').filter(Boolean);
  const { audience, permissions } = resourceOf(requested);
  const now = nowSeconds();
  const lifetime = state.accessTokenLifetimeSeconds;
  const common = { iss: config.issuer, iat: now, nbf: now, tid: config.tenant, oid: account.oid };
  const capabilities = capabilitiesOf(options.claims);
  const accessClaims: Record<string, unknown> = {
    ...common,
    aud: audience,
    exp: now + lifetime,
    sub: pairwiseSubject(account.oid, audience),
    upn: account.username,
    unique_name: account.username,
    name: account.displayName,
    scp: permissions.join(' '),
    appid: clientId,
    appidacr: options.confidential ? '1' : '0',
    idtyp: 'user',
    amr: options.method === 'interactive' ? ['pwd', 'mfa'] : ['pwd'],
    ver: '1.0',
    uti: randomBytes(16).toString('base64url'),
  };
  // A client that declared CAE capability (cp1) gets tokens that say so, as Entra's do.
  if (capabilities.length > 0) accessClaims.xms_cc = capabilities;
  const accessToken = await signJwt(ctx.key, accessClaims);
  const idClaims: Record<string, unknown> = {
    ...common,
    aud: clientId,
    exp: now + 3600,
    sub: pairwiseSubject(account.oid, clientId),
    preferred_username: account.username,
    name: account.displayName,
    ver: '2.0',
    uti: randomBytes(16).toString('base64url'),
  };
  if (options.method === 'interactive') idClaims.auth_time = now;
  if (options.nonce !== undefined) idClaims.nonce = options.nonce;
  const idToken = await signJwt(ctx.key, idClaims);
  const body: Record<string, unknown> = {
    token_type: 'Bearer',
    // Echo the requested scopes: MSAL stores the token under them and finds it again on the next call.
    scope: requested.join(' '),
    expires_in: lifetime,
    ext_expires_in: lifetime,
    access_token: accessToken,
    id_token: idToken,
    client_info: clientInfo(account.oid, config.tenant),
  };
  if (requested.includes('offline_access')) {
    body.refresh_token = state.issueRefreshToken({
      username: account.username,
      clientId,
      method: options.method,
      confidential: options.confidential,
    });
  }
  return body;
}

/** `client_info` as Entra returns it when asked (`client_info=1`): base64url JSON of `uid` and `utid`. */
export function clientInfo(oid: string, tenant: string): string {
  return Buffer.from(JSON.stringify({ uid: oid, utid: tenant })).toString('base64url');
}

/**
 * The resource (token audience) and permissions (`scp`) of a scope list, as Entra ID derives them:
 * `https://graph.microsoft.com/User.Read` → Graph + `User.Read`; a bare `User.Read` means Graph;
 * `<resource>/.default` means every permission consented for that resource.
 */
export function resourceOf(scopes: string[]): { audience: string; permissions: string[] } {
  let audience: string | undefined;
  const permissions: string[] = [];
  for (const scope of scopes) {
    if (OIDC_SCOPES.has(scope)) continue;
    const slash = scope.lastIndexOf('/');
    const resource =
      slash > 0 && /^[a-z][a-z0-9+.-]*:\/\//i.test(scope) ? scope.slice(0, slash) : GRAPH_RESOURCE;
    const permission = slash > 0 ? scope.slice(slash + 1) : scope;
    audience ??= resource;
    if (resource !== audience) continue; // Entra ID refuses mixed resources; one token has one audience
    if (permission === '.default') {
      permissions.push(...(resource === GRAPH_RESOURCE ? CONSENTED_GRAPH_SCOPES : ['user_impersonation']));
    } else permissions.push(permission);
  }
  return { audience: audience ?? GRAPH_RESOURCE, permissions: [...new Set(permissions)] };
}

/**
 * Parses the `claims` request parameter (JSON). MSAL sends `{"access_token":{"xms_cc":{"values":["cp1"]}}}`
 * for a client with capabilities, merged with a resource's claims challenge when it redeems one.
 * Returns undefined for an absent parameter and null for one that is not a JSON object.
 */
export function parseClaims(value: string | null): Record<string, unknown> | undefined | null {
  if (value === null || value === '') return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** The client capabilities (`xms_cc`) a claims request declares, e.g. `['cp1']`. */
export function capabilitiesOf(claims: Record<string, unknown> | undefined): string[] {
  const accessToken = claims?.access_token as Record<string, unknown> | undefined;
  const values = (accessToken?.xms_cc as { values?: unknown } | undefined)?.values;
  return Array.isArray(values) ? values.filter((value): value is string => typeof value === 'string') : [];
}

/**
 * Whether a claims request carries a resource's challenge: access-token claims beyond the client's
 * `xms_cc` capabilities. (MSAL always adds optional `id_token` claims; those are no challenge.)
 */
export function isClaimsChallenge(claims: Record<string, unknown> | undefined): boolean {
  const requested = claims?.access_token;
  if (!requested || typeof requested !== 'object') return false;
  return Object.keys(requested).some((name) => name !== 'xms_cc');
}

/** Entra's `sub` is pairwise: the same user has a different subject for each application. */
export function pairwiseSubject(oid: string, audience: string): string {
  return createHash('sha256').update(`${oid}|${audience}`).digest('base64url').slice(0, 43);
}
