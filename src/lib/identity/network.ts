import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { AsyncLocalStorage } from 'node:async_hooks';
import { isPreSendFailure, isValidTokenAnswer, type TokenExchange } from './verdict';

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

/**
 * Per-call state without shared fields: MSAL's cache plugin and network module are per application, but
 * the state of one exchange must never leak into a concurrent one (another token type's flow).
 */
export const callState = new AsyncLocalStorage<CallState>();

/** The last exchange of `grant` in the current call. */
export function lastExchange(grant: string): TokenExchange | undefined {
  const exchanges = callState.getStore()?.exchanges ?? [];
  for (let i = exchanges.length - 1; i >= 0; i--)
    if (exchanges[i]!.grant === grant) return exchanges[i]!.exchange;
  return undefined;
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
    const state = callState.getStore();
    const grant = method === 'POST' ? grantOf(options?.body) : undefined;
    const record = (exchange: TokenExchange): void => {
      if (grant) state?.exchanges.push({ grant, exchange });
    };
    const signals = [AbortSignal.timeout(timeout ?? this.timeoutMs)];
    if (state?.signal) signals.push(state.signal);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: options?.headers as Record<string, string> | undefined,
        body: options?.body,
        signal: AbortSignal.any(signals),
      });
      text = await response.text();
    } catch (cause) {
      const code = ((cause as { cause?: { code?: string } }).cause?.code ??
        (cause as { code?: string }).code) as string | undefined;
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
