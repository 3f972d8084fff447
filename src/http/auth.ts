import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Config } from '../lib/config';
import { ERRORS } from '../lib/errors';
import { ROLES, type Role } from '../lib/roles';
import type { OperationContext } from '../lib/types';
import { HTTP_ERRORS, HttpProblem } from './problem';

/**
 * Caller authentication (docs/http.md, "Authentication and roles"): Entra ID bearer tokens for this API, checked in the app with jose
 * against the tenant's signing keys (OIDC discovery). Functions are registered `anonymous` because a
 * function key carries no identity and cannot be audited.
 */

export { ROLES, type Role } from '../lib/roles';

export interface Caller {
  /** The immutable identity `tid:oid` (users and applications): what audit rows and owners key on. */
  readonly actor: string;
  /** The UPN, or `app:<client id>`: display only. */
  readonly actorName: string;
  readonly roles: readonly string[];
}

/** Asymmetric algorithms only: `none` and HMAC (where the "key" could be the public key) are refused. */
export const ALLOWED_ALGORITHMS = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
]);

const CLOCK_TOLERANCE_SECONDS = 30;
const DISCOVERY_TTL_MS = 24 * 60 * 60 * 1000;
/** After a failed discovery, callers get 503 for this long instead of each hitting the identity provider. */
const DISCOVERY_RETRY_MS = 5_000;
const FETCH_TIMEOUT_MS = 5_000;

const REALM = 'graph-token-manager';

function unauthorized(message: string, error?: 'invalid_token' | 'invalid_request'): HttpProblem {
  const attributes = [`realm="${REALM}"`];
  if (error !== undefined)
    attributes.push(`error="${error}"`, `error_description="${message.replace(/"/g, "'")}"`);
  return new HttpProblem(HTTP_ERRORS.UNAUTHORIZED, message, {
    'www-authenticate': `Bearer ${attributes.join(', ')}`,
  });
}

function unavailable(message: string): HttpProblem {
  return new HttpProblem(HTTP_ERRORS.AUTHENTICATION_UNAVAILABLE, message, { 'retry-after': '5' });
}

interface Discovery {
  issuers: string[];
  keys: ReturnType<typeof createRemoteJWKSet>;
}

/** Verifies caller tokens for one tenant and audience. Discovery and signing keys are cached. */
export class CallerAuthenticator {
  readonly #discoveryUrl: string;
  readonly #audiences: string[];
  #discovery: { value: Promise<Discovery>; expiresAt: number } | undefined;

  constructor(options: { authorityHost: string; tenant: string; audiences: string[] }) {
    this.#discoveryUrl = `${options.authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(options.tenant)}/v2.0/.well-known/openid-configuration`;
    this.#audiences = options.audiences;
  }

  /**
   * The caller behind `headers`' bearer token.
   * @throws HttpProblem 401 (with `WWW-Authenticate`) for a missing or invalid token; 503 when the
   *   identity provider's keys cannot be fetched.
   */
  async authenticate(headers: { get(name: string): string | null }, query: URLSearchParams): Promise<Caller> {
    if (query.has('access_token') || query.has('token')) {
      throw unauthorized(
        'Tokens in the query string are refused; send them in the Authorization header.',
        'invalid_request',
      );
    }
    const authorization = headers.get('authorization');
    if (authorization === null || authorization.trim() === '')
      throw unauthorized('A bearer token is required.');
    const match = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i.exec(authorization);
    if (match === null)
      throw unauthorized('The Authorization header must be "Bearer <token>".', 'invalid_request');
    const token = match[1]!;

    const discovery = await this.#getDiscovery();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, discovery.keys, {
        issuer: discovery.issuers,
        audience: this.#audiences,
        algorithms: [...ALLOWED_ALGORITHMS],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'iss', 'aud'],
      }));
    } catch (error) {
      throw this.#verificationProblem(error);
    }
    return callerOf(payload);
  }

  #verificationProblem(error: unknown): HttpProblem {
    if (error instanceof joseErrors.JWKSTimeout)
      return unavailable('The signing keys could not be fetched in time.');
    if (error instanceof joseErrors.JWTExpired)
      return unauthorized('The token has expired.', 'invalid_token');
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      const claim = error.claim;
      const what =
        claim === 'aud'
          ? 'is not for this API (audience)'
          : claim === 'iss'
            ? 'was not issued by this tenant (issuer)'
            : claim === 'nbf'
              ? 'is not valid yet'
              : `has an invalid "${claim}" claim`;
      return unauthorized(`The token ${what}.`, 'invalid_token');
    }
    if (error instanceof joseErrors.JOSEAlgNotAllowed || error instanceof joseErrors.JOSENotSupported) {
      return unauthorized('The token is not signed with an allowed algorithm.', 'invalid_token');
    }
    if (
      error instanceof joseErrors.JWKSNoMatchingKey ||
      error instanceof joseErrors.JWSSignatureVerificationFailed
    ) {
      return unauthorized("The token's signature does not match the tenant's signing keys.", 'invalid_token');
    }
    if (error instanceof joseErrors.JOSEError || error instanceof TypeError) {
      // Malformed tokens (JWSInvalid, JWTInvalid) and keys jose cannot use.
      if (isNetworkError(error)) return unavailable('The signing keys could not be fetched.');
      return unauthorized('The token is malformed.', 'invalid_token');
    }
    if (isNetworkError(error)) return unavailable('The signing keys could not be fetched.');
    return unauthorized('The token could not be verified.', 'invalid_token');
  }

  #getDiscovery(): Promise<Discovery> {
    const now = Date.now();
    if (this.#discovery === undefined || this.#discovery.expiresAt <= now) {
      const value = this.#fetchDiscovery();
      const entry = { value, expiresAt: now + DISCOVERY_TTL_MS };
      this.#discovery = entry;
      value.catch(() => {
        if (this.#discovery === entry) entry.expiresAt = Date.now() + DISCOVERY_RETRY_MS;
      });
    }
    return this.#discovery.value;
  }

  async #fetchDiscovery(): Promise<Discovery> {
    let document: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const response = await fetch(this.#discoveryUrl, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      document = (await response.json()) as typeof document;
    } catch {
      throw unavailable('The OpenID configuration of the tenant could not be fetched.');
    }
    if (typeof document.issuer !== 'string' || typeof document.jwks_uri !== 'string') {
      throw unavailable('The OpenID configuration of the tenant has no issuer or jwks_uri.');
    }
    const keys = createRemoteJWKSet(new URL(document.jwks_uri), {
      timeoutDuration: FETCH_TIMEOUT_MS,
      cooldownDuration: 30_000,
      cacheMaxAge: 10 * 60_000,
    });
    return { issuers: acceptedIssuers(document.issuer), keys };
  }
}

/**
 * The discovery document names the v2.0 issuer. An API registration that has not set
 * `requestedAccessTokenVersion: 2` receives v1.0 tokens, whose issuer is `https://sts.windows.net/{tid}/`;
 * accept that form too (public cloud only, where it is documented).
 */
export function acceptedIssuers(v2Issuer: string): string[] {
  const issuers = [v2Issuer];
  const m = /^https:\/\/login\.microsoftonline\.com\/([0-9a-f-]{36})\/v2\.0$/i.exec(v2Issuer);
  if (m) issuers.push(`https://sts.windows.net/${m[1]!.toLowerCase()}/`);
  return issuers;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Printable characters only, bounded: the actor lands in audit rows, logs and stamps. */
const printable = (value: string): string => value.replace(/[^\x20-\x7e]/g, '?').slice(0, 256);

/**
 * The caller of a verified token. `actor` is the immutable identity `tid:oid` — for users, and for
 * applications calling with their own identity (`idtyp: app`; `oid` is then the client's service
 * principal) — so idempotency keys, owners and audit rows survive a renamed UPN or a reassigned one;
 * `actorName` (the UPN, or the client id of an application) is only shown beside it.
 */
export function callerOf(payload: JWTPayload): Caller {
  const roles = Array.isArray(payload.roles)
    ? payload.roles.filter((r): r is string => typeof r === 'string')
    : [];
  const user = str(payload.upn) ?? str(payload.preferred_username) ?? str(payload.unique_name);
  const appId = str(payload.appid) ?? str(payload.azp);
  const isApp =
    payload.idtyp === 'app' || (user === undefined && payload.scp === undefined && appId !== undefined);
  const tid = str(payload.tid) ?? 'unknown';
  const oid = str(payload.oid) ?? str(payload.sub) ?? 'unknown';
  const name = isApp ? `app:${appId ?? 'unknown'}` : (user ?? oid);
  return Object.freeze({
    actor: printable(`${tid}:${oid}`),
    actorName: printable(name),
    roles: Object.freeze(roles),
  });
}

/** The operation context of a request: the caller's identity, name and roles (docs/events.md). */
export function contextOf(caller: Caller | null, correlationId: string): OperationContext {
  if (caller === null) return { actor: 'anonymous', correlationId };
  return { actor: caller.actor, actorName: caller.actorName, roles: caller.roles, correlationId };
}

/**
 * `GraphTokens.Admin` implies `GraphTokens.Read` (no event role); `Events.Manage` implies `Events.Read`.
 */
export function hasRole(caller: Caller, role: Role): boolean {
  if (caller.roles.includes(role)) return true;
  if (role === ROLES.read) return caller.roles.includes(ROLES.admin);
  return role === ROLES.eventsRead && caller.roles.includes(ROLES.eventsManage);
}

/** A route's role: one role, or any of several (`GET /api/events`: Events.Read or Events.Create). */
export function requireRole(caller: Caller, role: Role | readonly Role[]): void {
  const anyOf: readonly Role[] = typeof role === 'string' ? [role] : role;
  if (!anyOf.some((r) => hasRole(caller, r))) {
    const named = anyOf.join(' or ');
    throw new HttpProblem(HTTP_ERRORS.FORBIDDEN, `This operation requires the app role ${named}.`, {
      'www-authenticate': `Bearer realm="${REALM}", error="insufficient_scope", error_description="requires app role ${named}"`,
    });
  }
}

function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH|UND_ERR_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(
      code,
    )
  );
}

const authenticators = new Map<string, CallerAuthenticator>();

/**
 * The authenticator for `config`, shared by every request of this process. `API_AUDIENCE` may name
 * several audiences (`config.apiAudiences`, e.g. the Application ID URI and the client id).
 */
export function authenticatorFor(config: Config): CallerAuthenticator {
  const audiences = [...config.apiAudiences];
  if (audiences.length === 0 || config.tenant === '') {
    throw new HttpProblem(
      ERRORS.CONFIGURATION_INVALID,
      'Caller tokens cannot be checked: API_AUDIENCE (the Application ID URI of this API) or GRAPH_TENANT is not set.',
    );
  }
  const key = `${config.authorityHost}|${config.tenant}|${audiences.join(',')}`;
  let authenticator = authenticators.get(key);
  if (authenticator === undefined) {
    authenticator = new CallerAuthenticator({
      authorityHost: config.authorityHost,
      tenant: config.tenant,
      audiences,
    });
    authenticators.set(key, authenticator);
  }
  return authenticator;
}
