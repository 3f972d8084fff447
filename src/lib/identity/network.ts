import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { failureCode, isPreSendFailure } from '../sendFailure';
import { isValidTokenAnswer, type TokenExchange } from './verdict';

/** What one identity call (one `acquire`) carries through MSAL: its own cache snapshot and exchanges. */
export interface CallState {
  /** MSAL cache snapshot loaded before each cache access. */
  snapshot: string;
  /** Snapshot captured after MSAL changed the cache. */
  captured: string;
  /** Token-endpoint exchanges of this call, by grant, in order. */
  exchanges: Array<{ grant: string; exchange: TokenExchange }>;
  /** Aborts the call's requests (the lease could not be renewed). */
  signal?: AbortSignal;
}

/** An empty state for a call that starts without a cache snapshot. */
export function emptyState(signal?: AbortSignal): CallState {
  return { snapshot: '', captured: '', exchanges: [], signal };
}

/** The last exchange of `grant` in a call. */
export function lastExchange(state: CallState, grant: string): TokenExchange | undefined {
  for (let i = state.exchanges.length - 1; i >= 0; i--) {
    if (state.exchanges[i]!.grant === grant) return state.exchanges[i]!.exchange;
  }
  return undefined;
}

/**
 * The authority's OpenID configuration, learned from the first discovery answer and handed to every
 * later MSAL application (`auth.authorityMetadata`): a new application per call then costs no discovery
 * request. Immutable once learned.
 */
export class AuthorityMetadata {
  private value: string | undefined;

  get json(): string | undefined {
    return this.value;
  }

  learn(url: string, status: number, text: string): void {
    if (this.value === undefined && status === 200 && url.includes('/.well-known/openid-configuration')) {
      this.value = text;
    }
  }
}

function grantOf(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    return new URLSearchParams(body).get('grant_type') ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * MSAL's network module, on `fetch`. It records what happened to each token-endpoint POST (sent or not,
 * the status and body) for the verdict of verdict.ts, and refuses to hand MSAL anything it could take for
 * a token when it is not one. Throttles and server errors are thrown rather than returned: MSAL would
 * otherwise record its own throttle entry (60 s for any 5xx) and refuse our Retry-After-timed retry.
 */
export class RecordingNetwork implements INetworkModule {
  constructor(
    private readonly timeoutMs: number,
    /** The one call this module serves (a network module is built per call, never shared). */
    private readonly state: CallState,
    private readonly metadata?: AuthorityMetadata,
  ) {}

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
    const state = this.state;
    const grant = method === 'POST' ? grantOf(options?.body) : undefined;
    const record = (exchange: TokenExchange): void => {
      if (grant) state.exchanges.push({ grant, exchange });
    };
    const signals = [AbortSignal.timeout(timeout ?? this.timeoutMs)];
    if (state.signal) signals.push(state.signal);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: options?.headers as Record<string, string> | undefined,
        body: options?.body,
        // Never follow a 3xx: a redirect would carry the password to another URL. The 3xx itself is
        // the answer, and for a sent password an answer that is not a token is a rejection (verdict.ts).
        redirect: 'manual',
        signal: AbortSignal.any(signals),
      });
      text = await response.text();
    } catch (cause) {
      const code = failureCode(cause);
      const name = (cause as Error).name;
      // Deny by default: unless the failure proves nothing was written, the request may have been judged.
      record(
        isPreSendFailure(code)
          ? { kind: 'unsent', reason: code ?? name }
          : { kind: 'uncertain', reason: code ?? name },
      );
      throw new Error(`network_error: ${code ?? name}`);
    }
    let json: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = text ? JSON.parse(text) : undefined;
      json =
        parsed && typeof parsed === 'object' && !Array.isArray(parsed)
          ? (parsed as Record<string, unknown>)
          : undefined;
    } catch {
      json = undefined;
    }
    if (method === 'GET') this.metadata?.learn(url, response.status, text);
    const retryAfter = response.headers.get('retry-after') ?? undefined;
    record({ kind: 'answered', status: response.status, json, retryAfter });
    if (response.status === 429 || response.status >= 500) throw new Error(`http_${response.status}`);
    if (grant && (json === undefined || (response.status === 200 && !isValidTokenAnswer(json)))) {
      // Never let MSAL parse a non-JSON refusal or an empty "success" into a token.
      throw new Error(`invalid_token_response: HTTP ${response.status}`);
    }
    return {
      headers: Object.fromEntries(response.headers),
      body: (json ?? {}) as T,
      status: response.status,
    };
  }
}
