/**
 * The admin page's client of the HTTP API (docs/http.md). Every failure becomes an `ApiError` carrying the
 * problem details (`code`, `hint`, `correlation_id`), because that is what the page shows the operator.
 */
import type {
  AcquireResult,
  CleanupSummary,
  MonthlyReport,
  RefreshSummary,
  SignInStart,
  StatusReport,
  TokenListResult,
  TokenRecord,
  ValidateSummary,
} from '../../lib/types';
import type { SyncAuditEntry } from '../../lib/service/recentSyncs';

export interface Problem {
  status: number;
  title: string;
  detail: string;
  code: string;
  hint: string;
  correlation_id: string | null;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = 'ApiError';
  }
}

export type TokenSource = () => Promise<string>;

export class ApiClient {
  constructor(
    private readonly base: string,
    private readonly token: TokenSource,
  ) {}

  status(): Promise<StatusReport> {
    return this.call('GET', '/graph-tokens/status');
  }

  /** One page of token records; `continuationToken` from the previous page. */
  list(continuationToken?: string | null, limit = 200): Promise<TokenListResult> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (continuationToken) query.set('continuation_token', continuationToken);
    return this.call('GET', `/graph-tokens?${query}`);
  }

  report(month?: string): Promise<MonthlyReport> {
    return this.call('GET', `/graph-tokens/report${month ? `?month=${encodeURIComponent(month)}` : ''}`);
  }

  acquire(forceRefresh: boolean): Promise<AcquireResult> {
    return this.call('POST', '/graph-tokens/acquire_token', forceRefresh ? { force_refresh: true } : {});
  }

  /** The explicit override: sends a password Entra ID rejected once more (audited, at most 3 rejections). */
  retryBlockedPassword(): Promise<AcquireResult> {
    return this.call('POST', '/graph-tokens/acquire_token', { retry_blocked_password: true });
  }

  refresh(ids?: string[]): Promise<RefreshSummary> {
    return this.call('POST', '/graph-tokens/refresh_tokens', ids ? { ids } : {});
  }

  cleanup(): Promise<CleanupSummary> {
    return this.call('POST', '/graph-tokens/cleanup_tokens', {});
  }

  validate(ids?: string[]): Promise<ValidateSummary> {
    return this.call('POST', '/graph-tokens/validate_tokens', ids ? { ids } : {});
  }

  deactivate(id: string): Promise<TokenRecord> {
    return this.call('POST', `/graph-tokens/${encodeURIComponent(id)}/deactivate`, {});
  }

  /**
   * `POST /api/sign-in/start`. Same-origin credentials: the response sets the HttpOnly cookie that binds
   * the sign-in to this browser (the callback must present it).
   */
  startServiceSignIn(): Promise<SignInStart> {
    return this.call('POST', '/sign-in/start', {}, 'same-origin');
  }

  /** The last calendar syncs from the audit (scope, calendar, counts, when, who). */
  recentSyncs(): Promise<{ items: SyncAuditEntry[] }> {
    return this.call('GET', '/graph-tokens/syncs');
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    credentials: RequestCredentials = 'omit',
  ): Promise<T> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${await this.token()}`,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials,
        cache: 'no-store',
      });
    } catch {
      throw new ApiError({
        status: 0,
        title: 'Network error',
        detail: `${method} ${path} did not reach the function app`,
        code: 'NETWORK_ERROR',
        hint: 'Check that the function app is running and reachable, then reload.',
        correlation_id: null,
      });
    }
    return readResponse<T>(response, `${method} ${path}`);
  }
}

/** The JSON body of a 2xx, or an `ApiError` with the problem details (or a stand-in for non-problem bodies). */
export async function readResponse<T>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = undefined;
  }
  if (response.ok && parsed !== undefined) return parsed as T;
  throw new ApiError(toProblem(response, parsed, what));
}

function toProblem(response: Response, body: unknown, what: string): Problem {
  const p = (typeof body === 'object' && body !== null ? body : {}) as Partial<
    Record<keyof Problem, unknown>
  >;
  const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
  return {
    status: response.status,
    title: str(p.title) ?? (response.statusText || `HTTP ${response.status}`),
    detail: str(p.detail) ?? `${what} answered ${response.status} without problem details`,
    code: str(p.code) ?? `HTTP_${response.status}`,
    hint: str(p.hint) ?? 'Check the function app log for this request.',
    correlation_id: str(p.correlation_id) ?? response.headers.get('x-correlation-id'),
  };
}
