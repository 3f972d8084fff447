/**
 * An identity provider shaped like Microsoft Entra ID, served over HTTPS on loopback, so that the real
 * `@azure/msal-node` and `@azure/identity` code paths run unchanged against it: OIDC discovery, JWKS and
 * the v2.0 token endpoint with the `password` (ROPC), `refresh_token` and `client_credentials` grants.
 * Errors carry Entra's `AADSTS` codes and message shapes, which the service maps to its own error codes.
 *
 * It never logs request bodies: they carry passwords, client secrets and refresh tokens.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import {
  SignJWT,
  calculateJwkThumbprint,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type KeyLike,
} from 'jose';
import { z } from 'zod';
import { ensureSandboxCertificate, type SandboxCertificate } from './certs';
import {
  StandIn,
  RequestBodyError,
  clientRequestId,
  delay,
  describeIssues,
  dropConnection,
  nowSeconds,
  readForm,
  readJson,
  sendEmpty,
  sendJson,
  sendMethodNotAllowed,
  sendNotFound,
  startHttpsServer,
  type LoopbackHttpsServer,
  type SandboxRequestLog,
} from './http';

export type GrantType = 'password' | 'refresh_token' | 'client_credentials';

/** A fault applied to token requests (not to discovery) before normal handling. */
export type IdpFault =
  | {
      /** An Entra error such as 50126 (wrong password), 50053 (locked), 50076 (MFA required). */
      kind: 'aadsts';
      code: number;
      description?: string;
      /** Default 400. */
      status?: number;
      grant?: GrantType | 'any';
      /** Default: until `clearFaults()`. */
      times?: number;
    }
  | { kind: 'status'; status: number; retryAfterSeconds?: number; grant?: GrantType | 'any'; times?: number }
  | { kind: 'delay'; ms: number; grant?: GrantType | 'any'; times?: number }
  /** Destroys the socket: the client sees a network error. */
  | { kind: 'drop'; grant?: GrantType | 'any'; times?: number };

export interface SandboxUser {
  username: string;
  password: string;
  oid?: string;
  displayName?: string;
}

export interface IdpCounts {
  token: number;
  password: number;
  refresh_token: number;
  client_credentials: number;
  discovery: number;
  instance_discovery: number;
  jwks: number;
}

export interface ApiTokenClaims {
  roles?: string[];
  audience?: string;
  /** Default 3600; a negative value gives a token that has already expired. */
  expiresInSeconds?: number;
  oid?: string;
  upn?: string;
  name?: string;
  appid?: string;
  /** Added last, so they can override any standard claim. */
  extra?: Record<string, unknown>;
}

export interface SandboxIdentityProviderOptions {
  tenant?: string;
  /** The public client allowed to use ROPC. */
  clientId?: string;
  users?: SandboxUser[];
  accessTokenLifetimeSeconds?: number;
  /** Audience of `signApiToken` tokens. */
  apiAudience?: string;
  port?: number;
  certificate?: SandboxCertificate;
  /**
   * Persists the RSA signing key (JWK JSON) here, so that other processes (the CLI's `dev-token`) sign
   * with the same key and tokens survive restarts.
   */
  signingKeyPath?: string;
  onRequest?: (entry: SandboxRequestLog) => void;
}

/** Why `verifyToken` rejected a token. */
export type TokenRejection =
  'malformed' | 'bad_signature' | 'expired' | 'not_yet_valid' | 'bad_audience' | 'bad_issuer';

export type TokenCheck =
  { ok: true; claims: Record<string, unknown> } | { ok: false; reason: TokenRejection };

export const SANDBOX_DEFAULTS = Object.freeze({
  tenant: '11111111-1111-4111-8111-111111111111',
  clientId: '22222222-2222-4222-8222-222222222222',
  username: 'svc-graph@contoso.example',
  password: 'Sandbox-Passw0rd!',
  displayName: 'Graph Service Account',
  apiAudience: 'api://graph-token-manager',
  accessTokenLifetimeSeconds: 3600,
  /** Caller identity of `signApiToken` tokens unless overridden. */
  devCaller: Object.freeze({
    oid: '44444444-4444-4444-8444-444444444444',
    upn: 'developer@contoso.example',
    name: 'Sandbox Developer',
    appid: '55555555-5555-4555-8555-555555555555',
  }),
});

/** Audience of Microsoft Graph access tokens; Graph also accepts its app id. */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** Delegated permissions the sandbox's app registration has consent for: what `.default` expands to. */
const CONSENTED_GRAPH_SCOPES = ['Group.ReadWrite.All', 'User.Read'];
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

interface AadstsEntry {
  error: string;
  message: string;
  suberror?: string;
}

/** Entra ID error codes the sandbox knows by heart (messages as Entra words them). */
const AADSTS: Record<number, AadstsEntry> = {
  50034: {
    error: 'invalid_grant',
    message:
      'The user account {EUII Hidden} does not exist in the {tenant} directory. To sign into this application, the account must be added to the directory.',
  },
  50053: {
    error: 'invalid_grant',
    message:
      'Your account is locked because the user tried to sign in too many times with an incorrect user ID or password.',
  },
  50055: { error: 'invalid_grant', message: 'The password is expired.', suberror: 'user_password_expired' },
  50057: { error: 'invalid_grant', message: 'The user account is disabled.' },
  50076: {
    error: 'invalid_grant',
    message: `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${GRAPH_APP_ID}'.`,
    suberror: 'basic_action',
  },
  50079: {
    error: 'invalid_grant',
    message: `Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '${GRAPH_APP_ID}'.`,
    suberror: 'basic_action',
  },
  50126: {
    error: 'invalid_grant',
    message: 'Error validating credentials due to invalid username or password.',
  },
  50173: {
    error: 'invalid_grant',
    message: 'The provided grant has expired due to it being revoked, a fresh auth token is needed.',
  },
  65001: {
    error: 'invalid_grant',
    message:
      "The user or administrator has not consented to use the application with ID '{clientId}'. Send an interactive authorization request for this user and resource.",
    suberror: 'consent_required',
  },
  70000: { error: 'invalid_grant', message: 'Provided grant is invalid or malformed.' },
  70003: {
    error: 'unsupported_grant_type',
    message: "The app requested an unsupported grant type '{grant}'.",
  },
  70008: {
    error: 'invalid_grant',
    message:
      'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
  },
  90002: {
    error: 'invalid_tenant',
    message:
      "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.",
  },
  90033: { error: 'temporarily_unavailable', message: 'A transient error has occurred. Please try again.' },
  700016: {
    error: 'unauthorized_client',
    message:
      "Application with identifier '{clientId}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
  },
  900144: {
    error: 'invalid_request',
    message: "The request body must contain the following parameter: '{param}'.",
  },
  1002012: {
    error: 'invalid_scope',
    message:
      'The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).',
  },
  7000216: {
    error: 'invalid_client',
    message:
      "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
  },
  7000218: {
    error: 'invalid_client',
    message: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  },
};

const grantSchema = z.enum(['password', 'refresh_token', 'client_credentials', 'any']).optional();
const timesSchema = z.number().int().positive().optional();
const faultSchema: z.ZodType<IdpFault> = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('aadsts'),
      code: z.number().int().positive(),
      description: z.string().optional(),
      status: z.number().int().min(400).max(599).optional(),
      grant: grantSchema,
      times: timesSchema,
    })
    .strict(),
  z
    .object({
      kind: z.literal('status'),
      status: z.number().int().min(400).max(599),
      retryAfterSeconds: z.number().int().nonnegative().optional(),
      grant: grantSchema,
      times: timesSchema,
    })
    .strict(),
  z
    .object({
      kind: z.literal('delay'),
      ms: z.number().int().nonnegative(),
      grant: grantSchema,
      times: timesSchema,
    })
    .strict(),
  z.object({ kind: z.literal('drop'), grant: grantSchema, times: timesSchema }).strict(),
]);

/** Parses a fault posted to `/_sandbox/faults`; throws a readable error. */
export function parseIdpFault(body: unknown): IdpFault {
  const parsed = faultSchema.safeParse(body);
  if (!parsed.success) throw new Error(describeIssues(parsed.error.issues));
  return parsed.data;
}

interface Account {
  username: string;
  password: string;
  oid: string;
  displayName: string;
}

interface RefreshGrant {
  username: string;
  clientId: string;
}

interface SigningKey {
  kid: string;
  privateKey: KeyLike;
  publicKey: KeyLike;
  publicJwk: JWK;
}

interface TokenContext {
  issuer: string;
  tenant: string;
  defaultAudience: string;
}

const zeroCounts = (): IdpCounts => ({
  token: 0,
  password: 0,
  refresh_token: 0,
  client_credentials: 0,
  discovery: 0,
  instance_discovery: 0,
  jwks: 0,
});

export class SandboxIdentityProvider extends StandIn<IdpFault, IdpCounts> {
  readonly authorityHost: string;
  readonly tenant: string;
  readonly clientId: string;
  /** `${authorityHost}/${tenant}/v2.0` */
  readonly issuer: string;
  readonly apiAudience: string;

  private readonly accounts = new Map<string, Account>();
  private readonly refreshGrants = new Map<string, RefreshGrant>();
  private accessTokenLifetimeSeconds: number;

  private constructor(
    server: LoopbackHttpsServer,
    private readonly key: SigningKey,
    options: SandboxIdentityProviderOptions,
  ) {
    super(server, zeroCounts, parseIdpFault);
    this.authorityHost = server.origin;
    this.tenant = options.tenant ?? SANDBOX_DEFAULTS.tenant;
    this.clientId = options.clientId ?? SANDBOX_DEFAULTS.clientId;
    this.issuer = `${this.authorityHost}/${this.tenant}/v2.0`;
    this.apiAudience = options.apiAudience ?? SANDBOX_DEFAULTS.apiAudience;
    this.accessTokenLifetimeSeconds =
      options.accessTokenLifetimeSeconds ?? SANDBOX_DEFAULTS.accessTokenLifetimeSeconds;
    const users = options.users ?? [
      {
        username: SANDBOX_DEFAULTS.username,
        password: SANDBOX_DEFAULTS.password,
        displayName: SANDBOX_DEFAULTS.displayName,
      },
    ];
    for (const user of users) this.addUser(user);
  }

  /**
   * Starts the identity provider on `https://localhost:<port>`.
   *
   * @example
   * const idp = await SandboxIdentityProvider.start();
   * const pca = new PublicClientApplication({
   *   auth: { clientId: idp.clientId, authority: `${idp.authorityHost}/${idp.tenant}`,
   *           knownAuthorities: [new URL(idp.authorityHost).host] },
   * });
   */
  static async start(options: SandboxIdentityProviderOptions = {}): Promise<SandboxIdentityProvider> {
    const key = await loadOrCreateSigningKey(options.signingKeyPath);
    // Requests cannot arrive before the port is known, but the handler must exist before listening.
    const ref: { current?: SandboxIdentityProvider } = {};
    const server = await startHttpsServer(
      (req, res, url) => {
        if (!ref.current) return sendJson(res, 503, { error: 'temporarily_unavailable' });
        return ref.current.handle(req, res, url);
      },
      {
        name: 'identity-provider',
        certificate: options.certificate ?? ensureSandboxCertificate(),
        port: options.port,
        onRequest: options.onRequest,
      },
    );
    ref.current = new SandboxIdentityProvider(server, key, options);
    return ref.current;
  }

  /** The user names this provider knows, in the order they were added. */
  get usernames(): string[] {
    return [...this.accounts.values()].map((account) => account.username);
  }

  /** Adds a user, or replaces the one with the same user name. */
  addUser(user: SandboxUser): void {
    this.accounts.set(user.username.toLowerCase(), {
      username: user.username,
      password: user.password,
      oid: user.oid ?? deterministicGuid(`oid:${user.username.toLowerCase()}`),
      displayName: user.displayName ?? user.username.split('@')[0],
    });
  }

  /**
   * Changes a user's password. Unlike Entra ID, refresh tokens stay valid: call `revokeRefreshTokens()`
   * as well to imitate an administrator's password reset, which revokes them.
   */
  setPassword(username: string, password: string): void {
    const account = this.accounts.get(username.toLowerCase());
    if (!account) throw new Error(`Unknown sandbox user '${username}'`);
    account.password = password;
  }

  /** Lifetime of access tokens issued from now on (`expires_in`). */
  setAccessTokenLifetime(seconds: number): void {
    if (!Number.isFinite(seconds)) throw new Error('Token lifetime must be a number of seconds');
    this.accessTokenLifetimeSeconds = Math.trunc(seconds);
  }

  /** Every refresh token issued so far becomes invalid (AADSTS70008 on use). */
  revokeRefreshTokens(): void {
    this.refreshGrants.clear();
  }

  /**
   * A bearer token for callers of the service's own API (dev tokens, tests): RS256, signed with the key
   * this provider publishes in its JWKS.
   */
  signApiToken(claims: ApiTokenClaims = {}): Promise<string> {
    return signApiTokenWith(this.key, this.tokenContext(), claims);
  }

  /** Verifies a Graph access token this provider issued (signature, issuer, audience, expiry). */
  async verifyAccessToken(token: string): Promise<Record<string, unknown> | null> {
    const check = await this.verifyToken(token, { audience: [GRAPH_RESOURCE, GRAPH_APP_ID] });
    return check.ok ? check.claims : null;
  }

  /** Verifies any token this provider signed, saying why it was rejected. */
  async verifyToken(token: string, options: { audience?: string | string[] } = {}): Promise<TokenCheck> {
    try {
      const { payload } = await jwtVerify(token, this.key.publicKey, {
        algorithms: ['RS256'],
        issuer: this.issuer,
        audience: options.audience,
      });
      return { ok: true, claims: payload as Record<string, unknown> };
    } catch (error) {
      return { ok: false, reason: rejectionOf(error) };
    }
  }

  private tokenContext(): TokenContext {
    return { issuer: this.issuer, tenant: this.tenant, defaultAudience: this.apiAudience };
  }

  // ---- HTTP ---------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const segments = url.pathname.split('/').filter(Boolean);
    const method = req.method ?? 'GET';
    if (segments[0] === '_sandbox') return this.handleControl(req, res, segments.slice(1).join('/'));
    if (url.pathname === '/common/discovery/instance') {
      if (method !== 'GET') return sendMethodNotAllowed(res, 'GET');
      this.counts.instance_discovery += 1;
      return sendJson(res, 200, this.instanceDiscovery(url));
    }

    const [tenantSegment = '', ...rest] = segments;
    const route = rest.join('/');
    const known = [
      'v2.0/.well-known/openid-configuration',
      'discovery/v2.0/keys',
      'discovery/keys',
      'oauth2/v2.0/token',
    ];
    if (!known.includes(route)) return sendNotFound(res);
    if (!this.isTenantPath(tenantSegment)) {
      return this.sendAadError(req, res, 90002, { vars: { tenant: tenantSegment } });
    }

    if (route === 'v2.0/.well-known/openid-configuration') {
      if (method !== 'GET') return sendMethodNotAllowed(res, 'GET');
      this.counts.discovery += 1;
      return sendJson(res, 200, this.openIdConfiguration(tenantSegment));
    }
    if (route === 'discovery/v2.0/keys' || route === 'discovery/keys') {
      if (method !== 'GET') return sendMethodNotAllowed(res, 'GET');
      this.counts.jwks += 1;
      return sendJson(res, 200, { keys: [{ ...this.key.publicJwk, issuer: this.issuerFor(tenantSegment) }] });
    }
    if (method !== 'POST') return sendMethodNotAllowed(res, 'POST');
    return this.handleToken(req, res);
  }

  /** `common` and `organizations` stand for "any tenant", as in Entra ID; everything resolves to ours. */
  private isTenantPath(segment: string): boolean {
    return segment === this.tenant || segment === 'common' || segment === 'organizations';
  }

  private issuerFor(tenantSegment: string): string {
    return tenantSegment === this.tenant ? this.issuer : `${this.authorityHost}/{tenantid}/v2.0`;
  }

  private openIdConfiguration(tenantSegment: string): Record<string, unknown> {
    const base = `${this.authorityHost}/${tenantSegment}`;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: this.issuerFor(tenantSegment),
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${this.authorityHost}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: [
        'sub',
        'iss',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'nonce',
        'preferred_username',
        'name',
        'tid',
        'ver',
        'email',
      ],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: 'EU',
      cloud_instance_name: new URL(this.authorityHost).host,
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    };
  }

  private instanceDiscovery(url: URL): Record<string, unknown> {
    const host = new URL(this.authorityHost).host;
    let tenantSegment = this.tenant;
    const authorizationEndpoint = url.searchParams.get('authorization_endpoint');
    if (authorizationEndpoint) {
      try {
        tenantSegment = new URL(authorizationEndpoint).pathname.split('/').filter(Boolean)[0] ?? this.tenant;
      } catch {
        // Entra answers with its own tenant-less discovery document for unparsable input; so do we.
      }
    }
    return {
      tenant_discovery_endpoint: `${this.authorityHost}/${tenantSegment}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    };
  }

  private async handleToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let form: URLSearchParams;
    try {
      form = await readForm(req);
    } catch (error) {
      if (error instanceof RequestBodyError) return sendJson(res, error.status, { error: 'invalid_request' });
      throw error;
    }
    const grant = form.get('grant_type') ?? '';
    this.counts.token += 1;
    if (isGrantType(grant)) this.counts[grant] += 1;

    const fault = this.faults.take((candidate) => {
      const target = candidate.grant ?? 'any';
      return target === 'any' || target === grant;
    });
    if (fault) {
      if (fault.kind === 'drop') return dropConnection(req);
      if (fault.kind === 'delay') await delay(fault.ms);
      if (fault.kind === 'aadsts') {
        return this.sendAadError(req, res, fault.code, {
          status: fault.status,
          description: fault.description,
        });
      }
      if (fault.kind === 'status')
        return this.sendStatusFault(req, res, fault.status, fault.retryAfterSeconds);
    }

    switch (grant) {
      case 'password':
        return this.passwordGrant(req, res, form);
      case 'refresh_token':
        return this.refreshTokenGrant(req, res, form);
      case 'client_credentials':
        return this.clientCredentialsGrant(req, res, form);
      case '':
        return this.sendAadError(req, res, 900144, { vars: { param: 'grant_type' } });
      default:
        return this.sendAadError(req, res, 70003, { vars: { grant } });
    }
  }

  private async passwordGrant(
    req: IncomingMessage,
    res: ServerResponse,
    form: URLSearchParams,
  ): Promise<void> {
    const clientId = form.get('client_id');
    const username = form.get('username');
    const password = form.get('password');
    if (!clientId) return this.sendAadError(req, res, 900144, { vars: { param: 'client_id' } });
    if (clientId !== this.clientId) return this.sendAadError(req, res, 700016, { vars: { clientId } });
    if (!username) return this.sendAadError(req, res, 900144, { vars: { param: 'username' } });
    if (!password) return this.sendAadError(req, res, 900144, { vars: { param: 'password' } });
    const account = this.accounts.get(username.toLowerCase());
    if (!account) return this.sendAadError(req, res, 50034);
    if (account.password !== password) return this.sendAadError(req, res, 50126);
    return sendJson(res, 200, await this.userTokenResponse(account, clientId, form.get('scope')));
  }

  private async refreshTokenGrant(
    req: IncomingMessage,
    res: ServerResponse,
    form: URLSearchParams,
  ): Promise<void> {
    const clientId = form.get('client_id');
    const refreshToken = form.get('refresh_token');
    if (!clientId) return this.sendAadError(req, res, 900144, { vars: { param: 'client_id' } });
    if (!refreshToken) return this.sendAadError(req, res, 900144, { vars: { param: 'refresh_token' } });
    const grant = this.refreshGrants.get(refreshToken);
    if (!grant) return this.sendAadError(req, res, 70008);
    if (grant.clientId !== clientId) return this.sendAadError(req, res, 70000);
    const account = this.accounts.get(grant.username.toLowerCase());
    if (!account) return this.sendAadError(req, res, 50034);
    // Like Entra ID, a redeemed refresh token stays valid (until revoked); the response carries a new one.
    return sendJson(res, 200, await this.userTokenResponse(account, clientId, form.get('scope')));
  }

  private async clientCredentialsGrant(
    req: IncomingMessage,
    res: ServerResponse,
    form: URLSearchParams,
  ): Promise<void> {
    const clientId = form.get('client_id');
    if (!clientId) return this.sendAadError(req, res, 900144, { vars: { param: 'client_id' } });
    if (!form.get('client_secret') && !form.get('client_assertion'))
      return this.sendAadError(req, res, 7000216);
    const scope = form.get('scope') ?? '';
    const requested = scope.split(' ').filter((item) => item && !OIDC_SCOPES.has(item));
    const first = requested[0];
    if (!first || !first.endsWith('/.default')) {
      return this.sendAadError(req, res, 1002012, { vars: { scope: first ?? "''" } });
    }
    const now = nowSeconds();
    const lifetime = this.accessTokenLifetimeSeconds;
    const appOid = deterministicGuid(`app:${clientId}`);
    const accessToken = await this.sign({
      aud: first.slice(0, -'/.default'.length),
      iss: this.issuer,
      iat: now,
      nbf: now,
      exp: now + lifetime,
      tid: this.tenant,
      oid: appOid,
      sub: appOid,
      appid: clientId,
      azp: clientId,
      idtyp: 'app',
      ver: '1.0',
      uti: randomBytes(16).toString('base64url'),
    });
    return sendJson(res, 200, {
      token_type: 'Bearer',
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: accessToken,
    });
  }

  /** The body of a successful user grant: access, refresh and ID tokens plus MSAL's `client_info`. */
  private async userTokenResponse(
    account: Account,
    clientId: string,
    scopeParam: string | null,
  ): Promise<Record<string, unknown>> {
    const requested = (scopeParam ?? `${GRAPH_RESOURCE}/.default openid profile offline_access`)
      .split(' ')
      .filter(Boolean);
    const { audience, permissions } = resourceOf(requested);
    const now = nowSeconds();
    const lifetime = this.accessTokenLifetimeSeconds;
    const common = { iss: this.issuer, iat: now, nbf: now, tid: this.tenant, oid: account.oid };
    const accessToken = await this.sign({
      ...common,
      aud: audience,
      exp: now + lifetime,
      sub: pairwiseSubject(account.oid, audience),
      upn: account.username,
      unique_name: account.username,
      name: account.displayName,
      scp: permissions.join(' '),
      appid: clientId,
      idtyp: 'user',
      amr: ['pwd'],
      ver: '1.0',
      uti: randomBytes(16).toString('base64url'),
    });
    const idToken = await this.sign({
      ...common,
      aud: clientId,
      exp: now + 3600,
      sub: pairwiseSubject(account.oid, clientId),
      preferred_username: account.username,
      name: account.displayName,
      ver: '2.0',
      uti: randomBytes(16).toString('base64url'),
    });
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      // Echo the requested scopes: MSAL stores the token under them and finds it again on the next call.
      scope: requested.join(' '),
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: accessToken,
      id_token: idToken,
      client_info: Buffer.from(JSON.stringify({ uid: account.oid, utid: this.tenant })).toString('base64url'),
    };
    if (requested.includes('offline_access')) {
      const refreshToken = `0.A${randomBytes(48).toString('base64url')}`;
      this.refreshGrants.set(refreshToken, { username: account.username, clientId });
      body.refresh_token = refreshToken;
    }
    return body;
  }

  private sign(payload: JWTPayload): Promise<string> {
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.key.kid })
      .sign(this.key.privateKey);
  }

  private sendAadError(
    req: IncomingMessage,
    res: ServerResponse,
    code: number,
    options: { status?: number; description?: string; vars?: Record<string, string> } = {},
  ): void {
    const entry: AadstsEntry = AADSTS[code] ?? { error: 'invalid_grant', message: 'Sandbox-injected error.' };
    const vars: Record<string, string> = { tenant: this.tenant, clientId: this.clientId, ...options.vars };
    const message = (options.description ?? entry.message).replace(/\{(\w+)\}/g, (match, name: string) =>
      name in vars ? vars[name] : match,
    );
    const { traceId, correlationId, timestamp, trailer } = diagnostics(req);
    const body: Record<string, unknown> = {
      error: entry.error,
      error_description: `AADSTS${code}: ${message}${trailer}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${this.authorityHost}/error?code=${code}`,
    };
    if (entry.suberror) body.suberror = entry.suberror;
    sendJson(res, options.status ?? 400, body, {
      'x-ms-request-id': traceId,
      'client-request-id': correlationId,
    });
  }

  private sendStatusFault(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    retryAfter?: number,
  ): void {
    const { traceId, correlationId, timestamp, trailer } = diagnostics(req);
    const busy = status === 429 || status === 503;
    const headers: Record<string, string> = {
      'x-ms-request-id': traceId,
      'client-request-id': correlationId,
    };
    if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
    sendJson(
      res,
      status,
      {
        error: busy ? 'temporarily_unavailable' : status >= 500 ? 'server_error' : 'invalid_request',
        error_description: `The sandbox identity provider answered HTTP ${status} (injected fault).${trailer}`,
        timestamp,
        trace_id: traceId,
        correlation_id: correlationId,
      },
      headers,
    );
  }

  // ---- control endpoints (`/_sandbox/...`) ---------------------------------------------------------

  private async handleControl(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
    const handled = await this.handleCommonControl(req, res, route);
    if (handled) return;
    if (req.method !== 'POST') return sendMethodNotAllowed(res, 'POST');
    let body: Record<string, unknown>;
    try {
      const parsed = await readJson(req);
      body =
        parsed && typeof parsed === 'object' && !Array.isArray(parsed)
          ? (parsed as Record<string, unknown>)
          : {};
    } catch (error) {
      return sendJson(res, 400, { error: { code: 'InvalidBody', message: (error as Error).message } });
    }
    const invalid = (message: string): void =>
      sendJson(res, 400, { error: { code: 'InvalidBody', message } });
    switch (route) {
      case 'password': {
        const { username, password } = body;
        if (typeof username !== 'string' || typeof password !== 'string' || password === '') {
          return invalid('Expected {"username": string, "password": string}');
        }
        if (!this.accounts.has(username.toLowerCase())) {
          return sendJson(res, 404, {
            error: { code: 'UnknownUser', message: `No sandbox user '${username}'` },
          });
        }
        this.setPassword(username, password);
        return sendEmpty(res);
      }
      case 'token-lifetime': {
        if (typeof body.seconds !== 'number' || !Number.isInteger(body.seconds)) {
          return invalid('Expected {"seconds": integer}');
        }
        this.setAccessTokenLifetime(body.seconds);
        return sendEmpty(res);
      }
      case 'revoke-refresh-tokens':
        this.revokeRefreshTokens();
        return sendEmpty(res);
      case 'api-token': {
        const claims = z
          .object({
            roles: z.array(z.string()).optional(),
            audience: z.string().optional(),
            expiresInSeconds: z.number().int().optional(),
            oid: z.string().optional(),
            upn: z.string().optional(),
            name: z.string().optional(),
            appid: z.string().optional(),
          })
          .strict()
          .safeParse(body);
        if (!claims.success) return invalid(describeIssues(claims.error.issues));
        const expiresIn = claims.data.expiresInSeconds ?? 3600;
        return sendJson(res, 200, {
          token_type: 'Bearer',
          expires_in: expiresIn,
          access_token: await this.signApiToken(claims.data),
        });
      }
      default:
        return sendNotFound(res);
    }
  }
}

/**
 * Signs a dev API token with a signing key persisted by `SandboxIdentityProvider.start({ signingKeyPath })`,
 * without a running server (the CLI's `dev-token`). The tenant (`tid`) is read from the issuer's path.
 */
export async function signWithStoredKey(
  signingKeyPath: string,
  issuer: string,
  claims: ApiTokenClaims | undefined,
): Promise<string> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(fs.readFileSync(signingKeyPath, 'utf8')) as JWK;
  } catch (error) {
    throw new Error(
      `Cannot read the sandbox signing key ${signingKeyPath}: ${(error as Error).message}. Is the sandbox (npm start) set up?`,
    );
  }
  const key = await importSigningKey(jwk);
  const tenant = new URL(issuer).pathname.split('/').filter(Boolean)[0] ?? SANDBOX_DEFAULTS.tenant;
  return signApiTokenWith(
    key,
    { issuer, tenant, defaultAudience: SANDBOX_DEFAULTS.apiAudience },
    claims ?? {},
  );
}

async function signApiTokenWith(
  key: SigningKey,
  context: TokenContext,
  claims: ApiTokenClaims,
): Promise<string> {
  const now = nowSeconds();
  const lifetime = claims.expiresInSeconds ?? 3600;
  const exp = now + lifetime;
  // An already-expired token still has a plausible history: issued an hour before it expired.
  const iat = lifetime > 0 ? now : exp - 3600;
  const caller = SANDBOX_DEFAULTS.devCaller;
  const oid = claims.oid ?? caller.oid;
  const upn = claims.upn ?? caller.upn;
  const payload: JWTPayload = {
    aud: claims.audience ?? context.defaultAudience,
    iss: context.issuer,
    iat,
    nbf: iat,
    exp,
    tid: context.tenant,
    oid,
    sub: oid,
    upn,
    preferred_username: upn,
    name: claims.name ?? caller.name,
    appid: claims.appid ?? caller.appid,
    azp: claims.appid ?? caller.appid,
    ver: '2.0',
    uti: randomBytes(16).toString('base64url'),
  };
  if (claims.roles && claims.roles.length > 0) payload.roles = claims.roles;
  Object.assign(payload, claims.extra);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
    .sign(key.privateKey);
}

// ---- signing key ----------------------------------------------------------------------------------

async function loadOrCreateSigningKey(keyPath: string | undefined): Promise<SigningKey> {
  if (keyPath && fs.existsSync(keyPath)) {
    return importSigningKey(JSON.parse(fs.readFileSync(keyPath, 'utf8')) as JWK);
  }
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  jwk.kid = await calculateJwkThumbprint(jwk);
  jwk.alg = 'RS256';
  jwk.use = 'sig';
  if (keyPath) {
    fs.mkdirSync(path.dirname(keyPath), { recursive: true });
    const tmp = `${keyPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(jwk), { mode: 0o600 });
    try {
      // link() fails if the file exists: when two processes race, both end up with the first one's key.
      fs.linkSync(tmp, keyPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return importSigningKey(JSON.parse(fs.readFileSync(keyPath, 'utf8')) as JWK);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  return importSigningKey(jwk);
}

async function importSigningKey(jwk: JWK): Promise<SigningKey> {
  if (jwk.kty !== 'RSA' || !jwk.d) throw new Error('The sandbox signing key must be a private RSA JWK');
  const publicJwk: JWK = { kty: 'RSA', n: jwk.n, e: jwk.e };
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicJwk));
  const privateKey = (await importJWK({ ...jwk, alg: 'RS256' }, 'RS256')) as KeyLike;
  const publicKey = (await importJWK({ ...publicJwk, alg: 'RS256' }, 'RS256')) as KeyLike;
  return { kid, privateKey, publicKey, publicJwk: { ...publicJwk, kid, use: 'sig', alg: 'RS256' } };
}

// ---- helpers --------------------------------------------------------------------------------------

function isGrantType(value: string): value is GrantType {
  return value === 'password' || value === 'refresh_token' || value === 'client_credentials';
}

/**
 * The resource (token audience) and permissions (`scp`) of a scope list, as Entra ID derives them:
 * `https://graph.microsoft.com/User.Read` → Graph + `User.Read`; a bare `User.Read` means Graph;
 * `<resource>/.default` means every permission consented for that resource.
 */
function resourceOf(scopes: string[]): { audience: string; permissions: string[] } {
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

function rejectionOf(error: unknown): TokenRejection {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'bad_audience';
    if (error.claim === 'iss') return 'bad_issuer';
    if (error.claim === 'nbf' || error.claim === 'iat') return 'not_yet_valid';
    return 'malformed';
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad_signature';
  return 'malformed';
}

/** Trace and correlation ids as Entra ID appends them to every `error_description`. */
function diagnostics(req: IncomingMessage): {
  traceId: string;
  correlationId: string;
  timestamp: string;
  trailer: string;
} {
  const traceId = randomUUID();
  const correlationId = clientRequestId(req);
  const timestamp = `${new Date().toISOString().slice(0, 19).replace('T', ' ')}Z`;
  return {
    traceId,
    correlationId,
    timestamp,
    trailer: `\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
  };
}

/** A stable GUID-shaped id from a seed, so the same user gets the same `oid` in every run. */
function deterministicGuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Entra's `sub` is pairwise: the same user has a different subject for each application. */
function pairwiseSubject(oid: string, audience: string): string {
  return createHash('sha256').update(`${oid}|${audience}`).digest('base64url').slice(0, 43);
}
