import {
  LogLevel,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
  PublicClientApplication,
  type AccountInfo,
  type AuthenticationResult,
  type ICachePlugin,
  type TokenCacheContext,
} from '@azure/msal-node';
import type { Clock } from './clock';
import type { Config } from './config';
import { aadstsError, ERRORS, GraphTokenError, REFRESH_TOKEN_UNUSABLE, sanitize } from './errors';
import type { Logger } from './logger';
import { parseRetryAfter } from './retry';

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

export type Grant = 'refresh_token' | 'password';

export interface IdentityResult {
  accessToken: string;
  expiresAt: number;
  account: string;
  scopes: string[];
  /** MSAL's serialized cache after the call (holds the refresh token): the caller stores it encrypted. */
  cache: string;
  grant: Grant;
}

/** Counts of identity-provider calls by grant and outcome (also exposed as metrics). */
export interface IdentityCounters {
  refresh_token: number;
  password: number;
  failures: number;
}

/**
 * MSAL's network module, on `fetch`, remembering the last throttling or server-error answer: MSAL's
 * errors carry neither the HTTP status reliably nor the `Retry-After` header, which the retry policy needs.
 */
class ObservedNetwork implements INetworkModule {
  last: { status?: number; retryAfter?: string; unreachable?: boolean } = {};

  constructor(private readonly timeoutMs: number) {}

  sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    return this.send<T>('GET', url, options, timeout);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('POST', url, options);
  }

  private async send<T>(
    method: string,
    url: string,
    options: NetworkRequestOptions | undefined,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: options?.headers as Record<string, string> | undefined,
        body: options?.body,
        signal: AbortSignal.timeout(timeout ?? this.timeoutMs),
      });
    } catch (cause) {
      this.last = { unreachable: true };
      throw new Error(`network_error: ${(cause as Error).name}`);
    }
    const text = await response.text();
    let body: unknown = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = {};
    }
    if (response.status === 429 || response.status >= 500) {
      this.last = { status: response.status, retryAfter: response.headers.get('retry-after') ?? undefined };
      // Thrown rather than returned: MSAL would otherwise record its own throttle entry (60 s by default
      // for any 5xx) and refuse our Retry-After-timed retry. Retrying is the service's policy, in one place.
      throw new Error(`http_${response.status}`);
    }
    return { headers: Object.fromEntries(response.headers), body: body as T, status: response.status };
  }
}

/**
 * The one module that talks to Entra ID, through MSAL's public client.
 *
 * MSAL's token cache is not kept by MSAL between calls: a cache plugin loads the snapshot stored with the
 * active token before each call and captures the new snapshot after, so the refresh token lives only in
 * Table Storage, encrypted, shared by every instance.
 */
export class IdentityClient {
  private readonly app: PublicClientApplication;
  private readonly network = new ObservedNetwork(30_000);
  private snapshot = '';
  private captured = '';
  readonly counters: IdentityCounters = { refresh_token: 0, password: 0, failures: 0 };

  constructor(
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    const plugin: ICachePlugin = {
      beforeCacheAccess: async (ctx: TokenCacheContext) => {
        ctx.tokenCache.deserialize(this.snapshot || '{}');
      },
      afterCacheAccess: async (ctx: TokenCacheContext) => {
        if (ctx.cacheHasChanged) this.captured = ctx.tokenCache.serialize();
      },
    };
    const authorityUrl = new URL(config.authorityHost);
    this.app = new PublicClientApplication({
      auth: {
        clientId: config.clientId,
        authority: `${config.authorityHost}/${config.tenant}`,
        // Naming the host as known skips instance discovery against the public cloud (national clouds
        // and the local sandbox work the same way).
        knownAuthorities: [authorityUrl.host],
      },
      cache: { cachePlugin: plugin },
      system: {
        networkClient: this.network,
        loggerOptions: {
          // MSAL's own logs can contain PII; only warnings and errors, without PII.
          logLevel: LogLevel.Warning,
          piiLoggingEnabled: false,
          loggerCallback: (_level, message) => logger.log('warn', 'msal', { message }),
        },
      },
    });
  }

  /**
   * Gets a new token: the refresh token in `cache` first (MSAL's silent refresh), the password only when
   * no usable refresh token exists. `password` is called only if needed, so a blocked or missing password
   * never stops a working refresh token.
   */
  async acquire(cache: string | null, password: () => Promise<string>): Promise<IdentityResult> {
    this.snapshot = cache ?? '';
    this.captured = this.snapshot;
    this.network.last = {};
    if (cache) {
      const accounts = await this.app.getTokenCache().getAllAccounts();
      const account = accounts.find((a) => a.username.toLowerCase() === this.config.username.toLowerCase());
      if (account) {
        try {
          this.counters.refresh_token++;
          const result = await this.app.acquireTokenSilent({
            account,
            scopes: [...this.config.scopes],
            forceRefresh: true,
          });
          return this.toResult(result, 'refresh_token', account);
        } catch (error) {
          const mapped = this.mapError(error);
          if (!refreshTokenUnusable(error, mapped)) {
            this.counters.failures++;
            throw mapped;
          }
          this.logger.log('info', 'refresh_token_unusable', { code: mapped.upstreamCode ?? mapped.code });
        }
      }
    }
    const secret = await password();
    this.snapshot = '';
    this.captured = '';
    try {
      this.counters.password++;
      const result = await this.app.acquireTokenByUsernamePassword({
        username: this.config.username,
        password: secret,
        scopes: [...this.config.scopes],
      });
      if (!result) throw new GraphTokenError(ERRORS.IDENTITY_PROVIDER_ERROR, 'Entra ID returned no token');
      return this.toResult(result, 'password', result.account);
    } catch (error) {
      this.counters.failures++;
      throw this.mapError(error);
    }
  }

  private toResult(result: AuthenticationResult, grant: Grant, account: AccountInfo | null): IdentityResult {
    // MSAL computes expiry from the wall clock; carry the lifetime over to the service's clock.
    const lifetime = result.expiresOn ? result.expiresOn.getTime() - Date.now() : 3600_000;
    const expiresAt = this.clock.now() + lifetime;
    return {
      accessToken: result.accessToken,
      expiresAt,
      account: account?.username ?? this.config.username,
      // MSAL adds the OIDC scopes it always requests; the record lists the resource scopes granted.
      scopes: result.scopes.filter((scope) => !OIDC_SCOPES.has(scope.toLowerCase())),
      cache: this.captured,
      grant,
    };
  }

  /** Maps MSAL's errors to the service's: AADSTS codes first, then HTTP status, then network failure. */
  mapError(error: unknown): GraphTokenError {
    if (error instanceof GraphTokenError) return error;
    const e = error as {
      errorCode?: string;
      errorMessage?: string;
      message?: string;
      errorNo?: string;
      status?: number;
      httpStatus?: number;
      responseHeaders?: Record<string, string>;
      error?: { errorCode?: string; errorMessage?: string };
    };
    const text = `${e.errorMessage ?? ''} ${e.message ?? ''} ${e.error?.errorMessage ?? ''}`;
    const code = e.errorNo ?? /AADSTS(\d+)/.exec(text)?.[1];
    const observed = this.network.last;
    const status = observed.status ?? e.status ?? e.httpStatus;
    const retryAfter = parseRetryAfter(
      observed.retryAfter ?? e.responseHeaders?.['retry-after'] ?? e.responseHeaders?.['Retry-After'],
      this.clock.now(),
    );
    if (observed.unreachable) {
      return new GraphTokenError(ERRORS.IDENTITY_PROVIDER_UNAVAILABLE, 'Entra ID could not be reached', {
        cause: error,
      });
    }
    if (status === 429 || /throttl/i.test(`${e.errorCode ?? ''} ${text}`)) {
      return new GraphTokenError(
        ERRORS.IDENTITY_PROVIDER_THROTTLED,
        'Entra ID throttled the request (HTTP 429)',
        {
          retryAfterSeconds: retryAfter ?? 5,
          cause: error,
        },
      );
    }
    if (code && !(status !== undefined && status >= 500)) {
      const description = /AADSTS\d+:([^\r\n]*)/.exec(text)?.[1]?.trim() ?? e.errorCode ?? 'error';
      return aadstsError(code, description, error);
    }
    if (status !== undefined && status >= 500) {
      return new GraphTokenError(ERRORS.IDENTITY_PROVIDER_UNAVAILABLE, `Entra ID answered HTTP ${status}`, {
        retryAfterSeconds: retryAfter,
        cause: error,
      });
    }
    const errorCode = e.errorCode ?? e.error?.errorCode ?? '';
    if (
      /network|endpoints_resolution|openid_config|timeout|ECONN|ENOTFOUND|socket/i.test(
        `${errorCode} ${text}`,
      )
    ) {
      return new GraphTokenError(
        ERRORS.IDENTITY_PROVIDER_UNAVAILABLE,
        `Entra ID could not be reached (${sanitize(errorCode || 'network error')})`,
        { cause: error },
      );
    }
    return new GraphTokenError(
      ERRORS.IDENTITY_PROVIDER_ERROR,
      `Entra ID rejected the request: ${sanitize(errorCode || e.message || 'unknown error')}`,
      { cause: error },
    );
  }
}

function refreshTokenUnusable(error: unknown, mapped: GraphTokenError): boolean {
  if (mapped.category === 'credential' || mapped.category === 'transient') return false;
  const code = mapped.upstreamCode?.replace('AADSTS', '');
  if (code && REFRESH_TOKEN_UNUSABLE.includes(code)) return true;
  const errorCode = (error as { errorCode?: string }).errorCode ?? '';
  return /invalid_grant|no_tokens_found|refresh_token|interaction_required/i.test(errorCode);
}
