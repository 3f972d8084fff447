import {
  ConfidentialClientApplication,
  PublicClientApplication,
  type AccountInfo,
  type AuthenticationResult,
  type Configuration,
  type DeviceCodeRequest,
} from '@azure/msal-node';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import type { Clock } from '../clock';
import type { Config } from '../config';
import { ERRORS, GraphTokenError, sanitize } from '../errors';
import type { Logger } from '../logger';
import type { ClientCredential, SecretSource } from '../secrets';
import { errorCodeOf, identityResult, transientError, type Grant, type IdentityResult } from './index';
import { msalConfiguration } from './msalApp';
import { AuthorityMetadata, emptyState, lastExchange, type CallState } from './network';
import { judgeExchange } from './verdict';

/** Which client redeemed a delegated sign-in: its refresh tokens must be redeemed by the same kind. */
export type ClientKind = 'public' | 'confidential';

export interface DelegatedResult extends IdentityResult {
  clientKind: ClientKind;
  /** The signed-in user as the ID token names them (for the right-account check). */
  signedIn: { username: string; tenantId: string };
}

export interface DeviceCodePrompt {
  /** The identity provider's own sentence: URL and code. */
  message: string;
  userCode: string;
  verificationUri: string;
  expiresInSeconds: number;
}

interface App {
  kind: ClientKind;
  app: PublicClientApplication | ConfidentialClientApplication;
}

type DeviceCodeResponse = Parameters<DeviceCodeRequest['deviceCodeCallback']>[0];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The delegated sign-in of the service account through MSAL (docs/delegated.md): authorization code +
 * PKCE, device code, and refresh-token grants with the CAE capability `cp1` and optional `claims`.
 * As in the ROPC client, MSAL keeps no cache of its own between calls: each call runs with its own
 * `CallState` (network.ts), loaded from and captured into the encrypted snapshot the caller stores.
 * Refusals of the refresh token mean "sign in again" — no password exists for this type.
 */
export class DelegatedIdentity {
  private readonly metadata = new AuthorityMetadata();
  private tenantId: Promise<string> | undefined;
  readonly counters = { authorization_code: 0, device_code: 0, refresh_token: 0, failures: 0 };

  constructor(
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly secrets: SecretSource,
  ) {}

  /** The authorization URL for a browser sign-in (PKCE S256, state, nonce, the service account as hint). */
  async authorizeUrl(request: {
    redirectUri: string;
    state: string;
    nonce: string;
    codeChallenge: string;
  }): Promise<string> {
    const { app } = await this.application('preferred', emptyState());
    return app.getAuthCodeUrl({
      scopes: [...this.config.scopes],
      redirectUri: request.redirectUri,
      state: request.state,
      nonce: request.nonce,
      codeChallenge: request.codeChallenge,
      codeChallengeMethod: 'S256',
      loginHint: this.config.username,
      // A fresh sign-in: an administrator's own browser session must never be reused silently.
      prompt: 'login',
    });
  }

  /** Redeems an authorization code (with the PKCE verifier and the nonce of the request). */
  async redeemCode(request: {
    code: string;
    redirectUri: string;
    codeVerifier: string;
    nonce: string;
  }): Promise<DelegatedResult> {
    const state = emptyState();
    const { app, kind } = await this.application('preferred', state);
    try {
      this.counters.authorization_code++;
      const result = await app.acquireTokenByCode({
        code: request.code,
        scopes: [...this.config.scopes],
        redirectUri: request.redirectUri,
        codeVerifier: request.codeVerifier,
        nonce: request.nonce,
      });
      return this.toResult(state, result, 'authorization_code', kind);
    } catch (error) {
      this.counters.failures++;
      throw this.signInError(state, error, 'authorization_code');
    }
  }

  /**
   * The device code flow (always a public client: Entra offers it to public clients only). `onPrompt`
   * receives the identity provider's message; resolves once the user approved, or fails when the code
   * expires, is declined or `signal` aborts.
   */
  async deviceCode(
    onPrompt: (prompt: DeviceCodePrompt) => void,
    options: { timeoutSeconds?: number; signal?: AbortSignal } = {},
  ): Promise<DelegatedResult> {
    const state = emptyState();
    const { app } = await this.application('public', state);
    const pca = app as PublicClientApplication;
    const request = {
      scopes: [...this.config.scopes],
      timeout: options.timeoutSeconds,
      cancel: false,
      deviceCodeCallback: (response: DeviceCodeResponse) =>
        onPrompt({
          message: sanitize(response.message),
          userCode: response.userCode,
          verificationUri: response.verificationUri,
          expiresInSeconds: response.expiresIn,
        }),
    };
    options.signal?.addEventListener('abort', () => (request.cancel = true), { once: true });
    try {
      this.counters.device_code++;
      const result = await pca.acquireTokenByDeviceCode(request);
      if (!result) throw new Error('empty_result');
      return this.toResult(state, result, 'device_code', 'public');
    } catch (error) {
      this.counters.failures++;
      throw this.signInError(state, error, 'device_code');
    }
  }

  /**
   * Redeems the refresh token in `cache` (never a password). `claims` carries a resource's CAE challenge.
   * Any refusal of the refresh token is `SIGN_IN_REQUIRED`; outages are transient and retryable.
   */
  async refresh(
    cache: string | null,
    options: { kind: ClientKind; claims?: string; signal?: AbortSignal },
  ): Promise<DelegatedResult> {
    if (!cache) {
      throw new GraphTokenError(
        ERRORS.SIGN_IN_REQUIRED,
        'The delegated token has no refresh token: the service account was never signed in',
      );
    }
    const state: CallState = { ...emptyState(options.signal), snapshot: cache, captured: cache };
    const { app, kind } = await this.application(options.kind, state);
    const accounts = await app.getTokenCache().getAllAccounts();
    const account = accounts.find((a) => sameUser(a.username, this.config.username));
    if (!account) {
      throw new GraphTokenError(
        ERRORS.SIGN_IN_REQUIRED,
        'The stored sign-in holds no account for the service account',
      );
    }
    try {
      this.counters.refresh_token++;
      const result = await app.acquireTokenSilent({
        account,
        scopes: [...this.config.scopes],
        forceRefresh: true,
        ...(options.claims ? { claims: options.claims } : {}),
      });
      return this.toResult(state, result, 'refresh_token', kind);
    } catch (error) {
      this.counters.failures++;
      throw this.refreshError(state, error);
    }
  }

  /**
   * Is this sign-in the service account? `preferred_username`/`upn` against GRAPH_USERNAME
   * (case-insensitive) and `tid` against the configured tenant's id (resolved through discovery when
   * GRAPH_TENANT is a domain).
   */
  async assertServiceAccount(result: DelegatedResult, pinnedOid?: string | null): Promise<void> {
    assertPinnedAccount(pinnedOid, result.accountOid, result.signedIn.username);
    const expectedTenant = await this.configuredTenantId();
    const { username, tenantId } = result.signedIn;
    if (!sameUser(username, this.config.username) || tenantId.toLowerCase() !== expectedTenant) {
      // Who it was is not secret, but keep it short: the operator needs to know it was the wrong one.
      throw new GraphTokenError(
        ERRORS.SIGN_IN_WRONG_ACCOUNT,
        `Signed in as ${sanitize(username || 'an unknown user').slice(0, 120)}${tenantId && tenantId.toLowerCase() !== expectedTenant ? ` of another tenant` : ''}, not the service account ${this.config.username}; nothing was stored`,
      );
    }
  }

  /** The configured tenant's id: GRAPH_TENANT itself when it is one, else from the discovery issuer. */
  configuredTenantId(): Promise<string> {
    if (GUID.test(this.config.tenant)) return Promise.resolve(this.config.tenant.toLowerCase());
    this.tenantId ??= this.discoverTenantId().catch((error: unknown) => {
      this.tenantId = undefined;
      throw error;
    });
    return this.tenantId;
  }

  private async discoverTenantId(): Promise<string> {
    const url = `${this.config.authorityHost}/${encodeURIComponent(this.config.tenant)}/v2.0/.well-known/openid-configuration`;
    let issuer: unknown;
    try {
      // Never follow a redirect away from the configured authority.
      const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      issuer = ((await response.json()) as { issuer?: unknown }).issuer;
    } catch (cause) {
      throw new GraphTokenError(
        ERRORS.IDENTITY_PROVIDER_UNAVAILABLE,
        'The tenant id of GRAPH_TENANT could not be resolved through OIDC discovery',
        { cause },
      );
    }
    const id = typeof issuer === 'string' ? /\/([0-9a-f-]{36})\//i.exec(`${issuer}/`)?.[1] : undefined;
    if (!id) {
      throw new GraphTokenError(
        ERRORS.CONFIGURATION_INVALID,
        'The discovery document of GRAPH_TENANT names no tenant id; set GRAPH_TENANT to the tenant id',
      );
    }
    return id.toLowerCase();
  }

  private toResult(
    state: CallState,
    result: AuthenticationResult,
    grant: Grant,
    kind: ClientKind,
  ): DelegatedResult {
    const claims = (result.idTokenClaims ?? {}) as Record<string, unknown>;
    const text = (v: unknown): string => (typeof v === 'string' ? v : '');
    const account: AccountInfo | null = result.account;
    return {
      ...identityResult(this.clock, this.config, state, result, grant, account),
      clientKind: kind,
      signedIn: {
        username: text(claims.preferred_username) || text(claims.upn) || account?.username || '',
        tenantId: text(claims.tid) || result.tenantId || account?.tenantId || '',
      },
    };
  }

  /**
   * The MSAL application: confidential when a client credential is configured (and `kind` allows it),
   * else public. Rebuilt when the credential's Key Vault version changes.
   */
  private async application(kind: ClientKind | 'preferred', state: CallState): Promise<App> {
    const credential = kind === 'public' ? undefined : await this.secrets.getClientCredential();
    if (kind === 'confidential' && !credential) {
      throw new GraphTokenError(
        ERRORS.CLIENT_CREDENTIAL_REJECTED,
        'The stored sign-in was redeemed as a confidential client, but GRAPH_CLIENT_CREDENTIAL_SECRET_NAME is not set',
      );
    }
    const configuration = msalConfiguration({
      config: this.config,
      logger: this.logger,
      state,
      metadata: this.metadata,
      auth: {
        // Continuous access evaluation: Graph may then revoke tokens early with a claims challenge.
        clientCapabilities: ['cp1'],
        ...(credential ? clientAuth(credential) : {}),
      },
    });
    return credential
      ? { kind: 'confidential', app: new ConfidentialClientApplication(configuration) }
      : { kind: 'public', app: new PublicClientApplication(configuration) };
  }

  private refreshError(state: CallState, error: unknown): GraphTokenError {
    if (error instanceof GraphTokenError) return error;
    const exchange = lastExchange(state, 'refresh_token');
    if (!exchange) {
      const code = errorCodeOf(error);
      if (
        /network|timeout|endpoints_resolution|openid_config|http_5\d\d|http_429/i.test(
          `${code} ${msg(error)}`,
        )
      ) {
        return new GraphTokenError(
          ERRORS.IDENTITY_PROVIDER_UNAVAILABLE,
          `Entra ID could not be reached (${sanitize(code || 'network error')})`,
          { cause: error },
        );
      }
      return new GraphTokenError(
        ERRORS.SIGN_IN_REQUIRED,
        `MSAL could not use the stored sign-in (${sanitize(code || 'unknown error')})`,
        { cause: error },
      );
    }
    const verdict = judgeExchange(exchange);
    if (verdict.kind === 'transient' || verdict.kind === 'uncertain')
      return transientError(this.clock, verdict, exchange, error);
    if (verdict.kind === 'success') {
      return new GraphTokenError(
        ERRORS.IDENTITY_PROVIDER_ERROR,
        'Entra ID answered, but MSAL could not use the token',
        { cause: error },
      );
    }
    const upstream = verdict.aadsts ? `AADSTS${verdict.aadsts}` : verdict.error;
    const what = sanitize(verdict.description.replace(/^AADSTS\d+:\s*/, ''));
    if (verdict.error === 'invalid_client') {
      return new GraphTokenError(
        ERRORS.CLIENT_CREDENTIAL_REJECTED,
        `Entra ID rejected the client credential (${upstream ?? 'invalid_client'}): ${what}`,
        { upstreamCode: upstream, cause: error },
      );
    }
    // Deny by default: any other refusal means a person has to sign the account in again.
    return new GraphTokenError(
      ERRORS.SIGN_IN_REQUIRED,
      `Entra ID refused the refresh token (${upstream ?? `HTTP ${verdict.status}`}): ${what}`,
      { upstreamCode: upstream, cause: error },
    );
  }

  private signInError(
    state: CallState,
    error: unknown,
    grant: 'authorization_code' | 'device_code',
  ): GraphTokenError {
    if (error instanceof GraphTokenError) return error;
    const exchange = lastExchange(state, grant);
    const code = errorCodeOf(error);
    const oauth =
      exchange?.kind === 'answered' && typeof exchange.json?.error === 'string' ? exchange.json.error : code;
    if (
      /expired_token|bad_verification_code|device_code_expired|device_code_polling_cancelled/i.test(
        `${oauth} ${code}`,
      )
    ) {
      return new GraphTokenError(
        ERRORS.SIGN_IN_EXPIRED,
        'The device code expired before the sign-in was approved',
        {
          cause: error,
        },
      );
    }
    if (/authorization_declined|access_denied/i.test(oauth)) {
      return new GraphTokenError(
        ERRORS.SIGN_IN_DECLINED,
        'The sign-in was declined at the identity provider',
        {
          cause: error,
        },
      );
    }
    if (exchange) {
      const verdict = judgeExchange(exchange);
      if (verdict.kind === 'transient' || verdict.kind === 'uncertain')
        return transientError(this.clock, verdict, exchange, error);
      if (verdict.kind === 'rejected') {
        const upstream = verdict.aadsts ? `AADSTS${verdict.aadsts}` : verdict.error;
        return new GraphTokenError(
          verdict.error === 'invalid_client' ? ERRORS.CLIENT_CREDENTIAL_REJECTED : ERRORS.SIGN_IN_FAILED,
          `Entra ID refused the ${grant === 'device_code' ? 'device code' : 'authorization code'} (${upstream ?? `HTTP ${verdict.status}`}): ${sanitize(verdict.description.replace(/^AADSTS\d+:\s*/, ''))}`,
          { upstreamCode: upstream, cause: error },
        );
      }
    }
    if (/nonce|state_mismatch|state_not_found/i.test(code)) {
      return new GraphTokenError(
        ERRORS.SIGN_IN_STATE_INVALID,
        `The sign-in answer did not match its request (${sanitize(code)})`,
        {
          cause: error,
        },
      );
    }
    return new GraphTokenError(
      ERRORS.SIGN_IN_FAILED,
      `The sign-in failed (${sanitize(code || msg(error) || 'unknown error')})`,
      {
        cause: error,
      },
    );
  }
}

function msg(error: unknown): string {
  return error instanceof Error ? error.message : '';
}

export function sameUser(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase() && a.trim() !== '';
}

/**
 * MSAL's client authentication from the Key Vault secret: a PEM with a certificate and its private key
 * (Key Vault certificates exported as PEM), or a client secret.
 */
function clientAuth(credential: ClientCredential): Partial<Configuration['auth']> {
  const value = credential.value;
  if (!value.includes('-----BEGIN')) return { clientSecret: value };
  const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(value)?.[0];
  const keyPem =
    /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/.exec(value)?.[0];
  if (!certPem || !keyPem) {
    throw new GraphTokenError(
      ERRORS.CLIENT_CREDENTIAL_REJECTED,
      'The client credential secret is PEM but lacks a certificate or its private key',
    );
  }
  const certificate = new X509Certificate(certPem);
  const privateKey = createPrivateKey(keyPem).export({ format: 'pem', type: 'pkcs8' }).toString();
  return {
    clientCertificate: {
      thumbprintSha256: createHash('sha256').update(certificate.raw).digest('hex'),
      privateKey,
      x5c: certPem,
    },
  };
}

/**
 * The service account is pinned by its object id (docs/architecture.md): names can change hands — a UPN deleted and
 * given to someone else passes a UPN + tenant comparison — the `oid` never does. Throws
 * SIGN_IN_WRONG_ACCOUNT when a token names another oid than the pinned one; nothing pinned yet (the
 * first token) or no oid in the answer passes.
 */
export function assertPinnedAccount(
  pinnedOid: string | null | undefined,
  accountOid: string | undefined,
  username: string,
): void {
  if (!pinnedOid || !accountOid || pinnedOid.toLowerCase() === accountOid.toLowerCase()) return;
  throw new GraphTokenError(
    ERRORS.SIGN_IN_WRONG_ACCOUNT,
    `Signed in as ${sanitize(username || 'an unknown user').slice(0, 120)}, but as another account (object id) than the service account pinned by the first sign-in; nothing was stored`,
  );
}
