/**
 * An identity provider shaped like Microsoft Entra ID, served over HTTPS on loopback, so that the real
 * `@azure/msal-node` and `@azure/identity` code paths run unchanged against it: OIDC discovery, JWKS, the
 * v2.0 token endpoint (`password`, `refresh_token`, `client_credentials`, `authorization_code` and device
 * code grants), the device authorization endpoint and the authorization endpoint with a sandbox sign-in
 * page. Errors carry Entra's `AADSTS` codes and body shapes, which the service maps to its own codes.
 * See docs/sandbox.md.
 *
 * It never logs request bodies: they carry passwords, client secrets, codes and refresh tokens.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jwtVerify } from 'jose';
import { ensureSandboxCertificate } from '../certs';
import {
  StandIn,
  sendJson,
  sendMethodNotAllowed,
  sendNotFound,
  startHttpsServer,
  type LoopbackHttpsServer,
} from '../http';
import { sendAadError } from './aadsts';
import { handleAuthorize } from './authorize';
import { ControlError, handleIdpControl } from './control';
import {
  answerDeviceCode,
  handleDeviceAuthorization,
  handleDeviceLogin,
  listDeviceCodes,
} from './deviceCode';
import { instanceDiscovery, isTenantPath, issuerFor, openIdConfiguration } from './discovery';
import { parseIdpFault, type IdpFault } from './faults';
import { handleToken } from './grants';
import {
  GRAPH_APP_ID,
  GRAPH_RESOURCE,
  SANDBOX_DEFAULTS,
  zeroCounts,
  type ApiTokenClaims,
  type IdpCounts,
  type SandboxIdentityProviderOptions,
  type SandboxUser,
  type TokenCheck,
} from './options';
import { loadOrCreateSigningKey, rejectionOf, signApiTokenWith, type SigningKey } from './signingKey';
import { IdpState, type IdpConfig, type IdpContext } from './state';

export {
  DEVICE_CODE_GRANT_TYPE,
  GRAPH_APP_ID,
  GRAPH_RESOURCE,
  SANDBOX_DEFAULTS,
  type ApiTokenClaims,
  type GrantType,
  type IdpClock,
  type IdpCounts,
  type SandboxIdentityProviderOptions,
  type SandboxUser,
  type TokenCheck,
  type TokenRejection,
} from './options';
export { parseIdpFault, type IdpFault } from './faults';
export { signWithStoredKey } from './signingKey';
export { ControlError } from './control';

const systemClock = { now: (): number => Date.now() };

export class SandboxIdentityProvider extends StandIn<IdpFault, IdpCounts> {
  readonly authorityHost: string;
  readonly tenant: string;
  readonly clientId: string;
  /** `${authorityHost}/${tenant}/v2.0` */
  readonly issuer: string;
  readonly apiAudience: string;

  private readonly state: IdpState;
  private readonly context: IdpContext;

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
    this.state = new IdpState(
      options.clock ?? systemClock,
      options.accessTokenLifetimeSeconds ?? SANDBOX_DEFAULTS.accessTokenLifetimeSeconds,
    );
    const config: IdpConfig = {
      authorityHost: this.authorityHost,
      tenant: this.tenant,
      clientId: this.clientId,
      clientSecret: options.clientSecret,
      issuer: this.issuer,
      apiAudience: this.apiAudience,
      redirectUris: options.redirectUris,
      deviceCodeLifetimeSeconds:
        options.deviceCodeLifetimeSeconds ?? SANDBOX_DEFAULTS.deviceCodeLifetimeSeconds,
      deviceCodeIntervalSeconds:
        options.deviceCodeIntervalSeconds ?? SANDBOX_DEFAULTS.deviceCodeIntervalSeconds,
    };
    this.context = {
      config,
      state: this.state,
      counts: this.counts,
      key,
      takeFault: (applies) => this.faults.take(applies),
    };
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
    return [...this.state.accounts.values()].map((account) => account.username);
  }

  hasUser(username: string): boolean {
    return this.state.account(username) !== undefined;
  }

  /** Adds a user, or replaces the one with the same user name. */
  addUser(user: SandboxUser): void {
    this.state.addUser(user);
  }

  /**
   * Changes a user's password. Unlike Entra ID, refresh tokens stay valid: call `revokeSignInSessions()`
   * (or `revokeRefreshTokens()`) as well to imitate an administrator's password reset, which revokes them.
   */
  setPassword(username: string, password: string): void {
    const account = this.state.account(username);
    if (!account) throw new Error(`Unknown sandbox user '${username}'`);
    account.password = password;
  }

  /** Lifetime of access tokens issued from now on (`expires_in`). */
  setAccessTokenLifetime(seconds: number): void {
    if (!Number.isFinite(seconds)) throw new Error('Token lifetime must be a number of seconds');
    this.state.accessTokenLifetimeSeconds = Math.trunc(seconds);
  }

  /** Every refresh token issued so far is forgotten (AADSTS70008 on use). */
  revokeRefreshTokens(): void {
    this.state.refreshGrants.clear();
  }

  /**
   * What Graph's `revokeSignInSessions` (or an administrator's password reset) does: the user's refresh
   * tokens issued so far answer `invalid_grant` AADSTS50173. Returns how many were revoked.
   */
  revokeSignInSessions(username: string): number {
    if (!this.hasUser(username)) throw new Error(`Unknown sandbox user '${username}'`);
    return this.state.markRefreshTokens(username, 'revoked');
  }

  /**
   * Entra's inactivity expiry: the refresh tokens of the user (all users without one) answer
   * `invalid_grant` AADSTS700082 with suberror `bad_token`. Returns how many expired.
   */
  expireRefreshTokens(username?: string): number {
    return this.state.markRefreshTokens(username, 'expired');
  }

  /** An "MFA tenant": every password grant with a right password answers `invalid_grant` AADSTS50076. */
  setMfaRequired(required: boolean): void {
    this.state.mfaRequired = required;
  }

  /**
   * When on, a refresh-token grant whose `claims` carry a resource's challenge (anything beyond the
   * client's `xms_cc` capabilities) answers `interaction_required` AADSTS50076 with the claims echoed.
   */
  setClaimsRequireInteraction(required: boolean): void {
    this.state.claimsRequireInteraction = required;
  }

  /** The switches set by `setMfaRequired` and `setClaimsRequireInteraction`, and the token lifetime. */
  switches(): {
    mfaRequired: boolean;
    claimsRequireInteraction: boolean;
    accessTokenLifetimeSeconds: number;
  } {
    const { mfaRequired, claimsRequireInteraction, accessTokenLifetimeSeconds } = this.state;
    return { mfaRequired, claimsRequireInteraction, accessTokenLifetimeSeconds };
  }

  /** Approves a pending device code (by its user code) as any sandbox user; MFA counts as passed. */
  approveDeviceCode(userCode: string, username: string): void {
    const outcome = answerDeviceCode(this.context, userCode, 'approved', username);
    if (!outcome.ok) throw ControlError.device(outcome.reason, outcome.message);
  }

  /** Declines a pending device code: the next poll answers `authorization_declined`. */
  declineDeviceCode(userCode: string): void {
    const outcome = answerDeviceCode(this.context, userCode, 'declined');
    if (!outcome.ok) throw ControlError.device(outcome.reason, outcome.message);
  }

  /** Makes a device code expire now: the next poll answers `expired_token` (AADSTS70020). */
  expireDeviceCode(userCode: string): void {
    const entry = this.state.deviceCodeByUserCode(userCode);
    if (!entry) throw ControlError.device('unknown_code', `No device code with user code '${userCode}'`);
    entry.expiresAt = Math.min(entry.expiresAt, this.state.clock.now());
  }

  /** Device codes issued and not yet redeemed (user codes only: the device codes are credentials). */
  deviceCodes(): Array<Record<string, unknown>> {
    return listDeviceCodes(this.context);
  }

  /**
   * A bearer token for callers of the service's own API (dev tokens, tests): RS256, signed with the key
   * this provider publishes in its JWKS.
   */
  signApiToken(claims: ApiTokenClaims = {}): Promise<string> {
    return signApiTokenWith(
      this.key,
      { issuer: this.issuer, tenant: this.tenant, defaultAudience: this.apiAudience },
      claims,
    );
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

  // ---- HTTP ---------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const segments = url.pathname.split('/').filter(Boolean);
    const method = req.method ?? 'GET';
    const ctx = this.context;
    if (segments[0] === '_sandbox') {
      const route = segments.slice(1).join('/');
      if (await this.handleCommonControl(req, res, route)) return;
      return handleIdpControl(this, req, res, route);
    }
    if (url.pathname === '/common/discovery/instance') {
      if (method !== 'GET') return sendMethodNotAllowed(res, 'GET');
      this.counts.instance_discovery += 1;
      return sendJson(res, 200, instanceDiscovery(ctx.config, url));
    }
    if (url.pathname === '/devicelogin') return handleDeviceLogin(ctx, req, res);

    const [tenantSegment = '', ...rest] = segments;
    const route = rest.join('/');
    const known = [
      'v2.0/.well-known/openid-configuration',
      'discovery/v2.0/keys',
      'discovery/keys',
      'oauth2/v2.0/token',
      'oauth2/v2.0/devicecode',
      'oauth2/v2.0/authorize',
    ];
    if (!known.includes(route)) return sendNotFound(res);
    if (!isTenantPath(ctx.config, tenantSegment)) {
      return sendAadError(ctx.config, req, res, 90002, { vars: { tenant: tenantSegment } });
    }

    switch (route) {
      case 'v2.0/.well-known/openid-configuration':
        if (method !== 'GET') return sendMethodNotAllowed(res, 'GET');
        this.counts.discovery += 1;
        return sendJson(res, 200, openIdConfiguration(ctx.config, tenantSegment));
      case 'discovery/v2.0/keys':
      case 'discovery/keys':
        if (method !== 'GET') return sendMethodNotAllowed(res, 'GET');
        this.counts.jwks += 1;
        return sendJson(res, 200, {
          keys: [{ ...this.key.publicJwk, issuer: issuerFor(ctx.config, tenantSegment) }],
        });
      case 'oauth2/v2.0/authorize':
        if (method !== 'GET' && method !== 'POST') return sendMethodNotAllowed(res, 'GET, POST');
        return handleAuthorize(ctx, req, res, url);
      case 'oauth2/v2.0/devicecode':
        if (method !== 'POST') return sendMethodNotAllowed(res, 'POST');
        return handleDeviceAuthorization(ctx, req, res);
      default:
        if (method !== 'POST') return sendMethodNotAllowed(res, 'POST');
        return handleToken(ctx, req, res);
    }
  }
}
