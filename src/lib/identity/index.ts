import { PublicClientApplication, type AccountInfo, type AuthenticationResult } from '@azure/msal-node';
import type { Clock } from '../clock';
import type { Config } from '../config';
import {
  AADSTS_ERRORS,
  aadstsError,
  ERRORS,
  GraphTokenError,
  REFRESH_TOKEN_UNUSABLE,
  sanitize,
} from '../errors';
import type { Logger } from '../logger';
import { parseRetryAfter } from '../retry';
import { describeNetworkFailure } from '../sendFailure';
import { msalConfiguration } from './msalApp';
import { AuthorityMetadata, lastExchange, type CallState } from './network';
import { judgeExchange, type ExchangeVerdict, type TokenExchange } from './verdict';

export * from './verdict';

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

export type Grant = 'refresh_token' | 'password' | 'authorization_code' | 'device_code';

export interface IdentityResult {
  accessToken: string;
  expiresAt: number;
  account: string;
  scopes: string[];
  /** MSAL's serialized cache after the call (holds the refresh token): the caller stores it encrypted. */
  cache: string;
  grant: Grant;
  /** The signed-in account's object id (ID token `oid`, else MSAL's `localAccountId`), when known. */
  accountOid?: string;
}

/** Counts of identity-provider calls by grant and outcome (also exposed as metrics). */
export interface IdentityCounters {
  refresh_token: number;
  password: number;
  failures: number;
}

export interface AcquireOptions {
  /** Aborts the exchange (the caller lost its lease). */
  signal?: AbortSignal;
}

/**
 * The one module that talks to Entra ID, through MSAL's public client.
 *
 * MSAL's token cache is not kept by MSAL between calls: a cache plugin loads the snapshot stored with the
 * active token before each call and captures the new snapshot after, so the refresh token lives only in
 * Table Storage, encrypted, shared by every instance. Each call gets its own MSAL application
 * and `CallState` (msalApp.ts, network.ts): nothing of a call lives in fields of this shared client.
 */
export class IdentityClient {
  private readonly metadata = new AuthorityMetadata();
  readonly counters: IdentityCounters = { refresh_token: 0, password: 0, failures: 0 };
  /** Told of every token request after its answer (the service's metrics). */
  onRequest: (grant: Grant, outcome: 'success' | 'failure') => void = () => undefined;

  constructor(
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** An MSAL public client for one call (msalApp.ts). */
  private appFor(state: CallState): PublicClientApplication {
    return new PublicClientApplication(
      msalConfiguration({ config: this.config, logger: this.logger, state, metadata: this.metadata }),
    );
  }

  /**
   * Gets a new token: the refresh token in `cache` first (MSAL's silent refresh), the password only when
   * no usable refresh token exists. `password` is called only if needed — right before the grant is
   * sent — so a blocked or missing password never stops a working refresh token.
   */
  acquire(
    cache: string | null,
    password: () => Promise<string>,
    options: AcquireOptions = {},
  ): Promise<IdentityResult> {
    const state: CallState = {
      snapshot: cache ?? '',
      captured: cache ?? '',
      exchanges: [],
      signal: options.signal,
    };
    return this.acquireInCall(state, cache, password);
  }

  private async acquireInCall(
    state: CallState,
    cache: string | null,
    password: () => Promise<string>,
  ): Promise<IdentityResult> {
    const app = this.appFor(state);
    if (cache) {
      const accounts = await app.getTokenCache().getAllAccounts();
      const account = accounts.find((a) => a.username.toLowerCase() === this.config.username.toLowerCase());
      if (account) {
        try {
          this.counters.refresh_token++;
          const result = await app.acquireTokenSilent({
            account,
            scopes: [...this.config.scopes],
            forceRefresh: true,
          });
          this.onRequest('refresh_token', 'success');
          return this.toResult(state, result, 'refresh_token', account);
        } catch (error) {
          // A cache without a refresh token sends nothing: not a request.
          if (lastExchange(state, 'refresh_token')) this.onRequest('refresh_token', 'failure');
          const mapped = this.refreshError(state, error);
          if (mapped) {
            this.counters.failures++;
            throw mapped;
          }
          this.logger.log('info', 'refresh_token_unusable', {});
        }
      }
    }
    const secret = await password();
    state.snapshot = '';
    state.captured = '';
    try {
      this.counters.password++;
      const result = await app.acquireTokenByUsernamePassword({
        username: this.config.username,
        password: secret,
        scopes: [...this.config.scopes],
      });
      if (!result?.accessToken) throw new Error('empty_result');
      const token = this.toResult(state, result, 'password', result.account);
      this.onRequest('password', 'success');
      return token;
    } catch (error) {
      this.onRequest('password', 'failure');
      this.counters.failures++;
      throw this.passwordError(error, lastExchange(state, 'password'));
    }
  }

  private toResult(
    state: CallState,
    result: AuthenticationResult,
    grant: Grant,
    account: AccountInfo | null,
  ): IdentityResult {
    return identityResult(this.clock, this.config, state, result, grant, account);
  }

  /**
   * The error of a failed refresh-token grant, or `undefined` when the refresh token is merely unusable
   * (revoked, expired, consent or interaction needed) and the password may be tried instead.
   */
  private refreshError(state: CallState, error: unknown): GraphTokenError | undefined {
    const exchange = lastExchange(state, 'refresh_token');
    if (!exchange) {
      const mapped = this.mapError(error, undefined);
      return /no_tokens_found|refresh_token|interaction_required/i.test(errorCodeOf(error))
        ? undefined
        : mapped;
    }
    const verdict = judgeExchange(exchange);
    // Refresh-token grants may always be retried: no answer is an outage, not a judgement.
    if (verdict.kind === 'uncertain' || verdict.kind === 'transient')
      return this.transientError(verdict, exchange, error);
    if (verdict.kind === 'success') {
      return new GraphTokenError(
        ERRORS.IDENTITY_PROVIDER_ERROR,
        'Entra ID answered, but MSAL could not use the token',
        {
          cause: error,
        },
      );
    }
    const known = verdict.aadsts ? AADSTS_ERRORS[verdict.aadsts] : undefined;
    if (known) return aadstsError(verdict.aadsts!, verdict.description.replace(/^AADSTS\d+:\s*/, ''), error);
    if (
      (verdict.aadsts && REFRESH_TOKEN_UNUSABLE.includes(verdict.aadsts)) ||
      verdict.error === 'invalid_grant' ||
      verdict.error === 'interaction_required'
    ) {
      return undefined;
    }
    // No password was involved: an unknown refusal of the refresh token blocks nothing.
    return new GraphTokenError(
      ERRORS.IDENTITY_PROVIDER_ERROR,
      `Entra ID refused the refresh token (HTTP ${verdict.status}): ${sanitize(verdict.aadsts ? `AADSTS${verdict.aadsts}` : (verdict.error ?? verdict.description))}`,
      { upstreamCode: verdict.aadsts ? `AADSTS${verdict.aadsts}` : verdict.error, cause: error },
    );
  }

  /** The error of a failed password grant: deny by default (verdict.ts). */
  private passwordError(error: unknown, exchange: TokenExchange | undefined): GraphTokenError {
    if (error instanceof GraphTokenError) return error;
    // Nothing reached the token endpoint (discovery failed, say): whatever it was, no password was judged.
    if (!exchange) {
      const mapped = this.mapError(error, undefined);
      return mapped.category === 'credential'
        ? new GraphTokenError(ERRORS.IDENTITY_PROVIDER_ERROR, mapped.message, { cause: error })
        : mapped;
    }
    const verdict = judgeExchange(exchange);
    switch (verdict.kind) {
      case 'transient':
        return this.transientError(verdict, exchange, error);
      case 'uncertain':
        return new GraphTokenError(
          ERRORS.PASSWORD_GRANT_UNCERTAIN,
          `The password grant got no answer (${reasonInWords(verdict.reason)}); it is not sent again for a while`,
          { cause: error },
        );
      case 'success':
        // Entra ID accepted, but MSAL could not use the answer: not a rejection, and not safe to resend.
        return new GraphTokenError(
          ERRORS.PASSWORD_GRANT_UNCERTAIN,
          'Entra ID answered the password grant, but the answer could not be used',
          { cause: error },
        );
      case 'rejected': {
        const known = verdict.aadsts ? AADSTS_ERRORS[verdict.aadsts] : undefined;
        if (known)
          return aadstsError(verdict.aadsts!, verdict.description.replace(/^AADSTS\d+:\s*/, ''), error);
        return rejectionError(verdict, error);
      }
    }
  }

  private transientError(
    verdict: Extract<ExchangeVerdict, { kind: 'transient' | 'uncertain' }>,
    exchange: TokenExchange,
    error: unknown,
  ): GraphTokenError {
    return transientError(this.clock, verdict, exchange, error);
  }

  /** Maps MSAL's errors when no token-endpoint exchange happened: network, discovery, MSAL itself. */
  mapError(error: unknown, _exchange?: TokenExchange): GraphTokenError {
    if (error instanceof GraphTokenError) return error;
    const e = error as { errorMessage?: string; message?: string; error?: { errorMessage?: string } };
    const text = `${e.errorMessage ?? ''} ${e.message ?? ''} ${e.error?.errorMessage ?? ''}`;
    const code = errorCodeOf(error);
    if (
      /network|endpoints_resolution|openid_config|timeout|ECONN|ENOTFOUND|socket|http_5\d\d/i.test(
        `${code} ${text}`,
      )
    ) {
      return new GraphTokenError(
        ERRORS.IDENTITY_PROVIDER_UNAVAILABLE,
        `Entra ID could not be reached (${sanitize(code || 'network error')})`,
        { cause: error },
      );
    }
    if (/http_429/.test(text)) {
      return new GraphTokenError(
        ERRORS.IDENTITY_PROVIDER_THROTTLED,
        'Entra ID throttled the request (HTTP 429)',
        {
          retryAfterSeconds: 5,
          cause: error,
        },
      );
    }
    return new GraphTokenError(
      ERRORS.IDENTITY_PROVIDER_ERROR,
      `Entra ID rejected the request: ${sanitize(code || e.message || 'unknown error')}`,
      { cause: error },
    );
  }
}

/** A throttle, an outage or no answer: worth retrying (refresh-token grants may always be). */
export function transientError(
  clock: Clock,
  verdict: Extract<ExchangeVerdict, { kind: 'transient' | 'uncertain' }>,
  exchange: TokenExchange,
  error: unknown,
): GraphTokenError {
  const status = verdict.kind === 'transient' ? verdict.status : undefined;
  const retryAfter =
    exchange.kind === 'answered' ? parseRetryAfter(exchange.retryAfter, clock.now()) : undefined;
  if (status === 429) {
    return new GraphTokenError(
      ERRORS.IDENTITY_PROVIDER_THROTTLED,
      'Entra ID throttled the request (HTTP 429)',
      {
        retryAfterSeconds: retryAfter ?? 5,
        cause: error,
      },
    );
  }
  return new GraphTokenError(
    ERRORS.IDENTITY_PROVIDER_UNAVAILABLE,
    status
      ? `Entra ID answered HTTP ${status}`
      : `Entra ID could not be reached (${reasonInWords(verdict.reason)})`,
    { retryAfterSeconds: retryAfter, cause: error },
  );
}

/** MSAL's answer as the service stores it. */
export function identityResult(
  clock: Clock,
  config: Config,
  state: CallState,
  result: AuthenticationResult,
  grant: Grant,
  account: AccountInfo | null,
): IdentityResult {
  // MSAL computes expiry from the wall clock; carry the lifetime over to the service's clock.
  const lifetime = result.expiresOn ? result.expiresOn.getTime() - Date.now() : 3600_000;
  return {
    accessToken: result.accessToken,
    expiresAt: clock.now() + lifetime,
    account: account?.username ?? config.username,
    // MSAL adds the OIDC scopes it always requests; the record lists the resource scopes granted.
    scopes: result.scopes.filter((scope) => !OIDC_SCOPES.has(scope.toLowerCase())),
    cache: state.captured,
    grant,
    ...accountOidOf(result, account),
  };
}

/** The account's immutable object id: the ID token's `oid`, else MSAL's `localAccountId`. */
function accountOidOf(result: AuthenticationResult, account: AccountInfo | null): { accountOid?: string } {
  const claims = (result.idTokenClaims ?? {}) as Record<string, unknown>;
  const oid = typeof claims.oid === 'string' && claims.oid ? claims.oid : account?.localAccountId;
  return oid ? { accountOid: oid.toLowerCase() } : {};
}

/** A verdict's reason for a message: an HTTP status as is, a socket code in words. */
function reasonInWords(reason: string): string {
  return /^HTTP \d+$/.test(reason) ? reason : describeNetworkFailure(reason);
}

export function errorCodeOf(error: unknown): string {
  const e = error as { errorCode?: string; error?: { errorCode?: string } };
  return e?.errorCode ?? e?.error?.errorCode ?? '';
}

/** A rejection the AADSTS table does not know: still a rejection (deny by default), with what Entra said. */
function rejectionError(
  verdict: Extract<ExchangeVerdict, { kind: 'rejected' }>,
  cause: unknown,
): GraphTokenError {
  const upstream = verdict.aadsts ? `AADSTS${verdict.aadsts}` : verdict.error;
  const what = verdict.aadsts
    ? `AADSTS${verdict.aadsts}: ${verdict.description.replace(/^AADSTS\d+:\s*/, '')}`
    : verdict.error
      ? `${verdict.error}: ${verdict.description}`
      : verdict.description;
  return new GraphTokenError(
    ERRORS.CREDENTIALS_REJECTED,
    `Entra ID refused the grant (HTTP ${verdict.status}) — ${sanitize(what)}`,
    {
      upstreamCode: upstream,
      cause,
    },
  );
}
