/**
 * Pure decisions about one token-endpoint exchange (docs/architecture.md, "Lockout rules"). The rule they
 * implement is deny by default: once a password grant has been written to the wire, only a valid token
 * is a success and only a throttle, a server error or a failure *before* the request was written is
 * transient; a request that may have been written but got no answer is uncertain; everything else
 * (every AADSTS code, known or not, `invalid_grant` without a code, a 4xx without a JSON body, a 3xx
 * from a federation proxy, a 200 without a usable token) is a rejection.
 */

/** What the network layer saw of one POST to the token endpoint. */
export type TokenExchange =
  /** The request never left: refused connection, DNS, TLS handshake. Safe to send again. */
  | { kind: 'unsent'; reason: string }
  /** The request may have been written and no answer came (reset, timeout, abort). */
  | { kind: 'uncertain'; reason: string }
  | {
      kind: 'answered';
      status: number;
      /** The parsed JSON body, or undefined when the body was not JSON. */
      json: Record<string, unknown> | undefined;
      retryAfter?: string;
    };

export type ExchangeVerdict =
  | { kind: 'success' }
  | { kind: 'transient'; status?: number; reason: string }
  | { kind: 'uncertain'; reason: string }
  | {
      kind: 'rejected';
      status: number;
      /** Digits of the first AADSTS code, when Entra ID named one. */
      aadsts?: string;
      /** OAuth `error` (e.g. `invalid_grant`, `interaction_required`), when the body had one. */
      error?: string;
      description: string;
    };

/** Longest token lifetime taken as sane: Entra ID issues 60–90 minutes, CAE tokens up to 28 hours. */
export const MAX_EXPIRES_IN_SECONDS = 2 * 86_400;

export { isPreSendFailure } from '../sendFailure';

/** Is this a usable token answer: a non-empty access token and a sane lifetime? */
export function isValidTokenAnswer(json: Record<string, unknown> | undefined): boolean {
  if (!json) return false;
  const token = json.access_token;
  const expiresIn = typeof json.expires_in === 'string' ? Number(json.expires_in) : json.expires_in;
  return (
    typeof token === 'string' &&
    token.trim().length > 0 &&
    typeof expiresIn === 'number' &&
    Number.isFinite(expiresIn) &&
    expiresIn > 0 &&
    expiresIn <= MAX_EXPIRES_IN_SECONDS
  );
}

/** The first AADSTS code an Entra ID error body names (`error_codes`, else the description). */
export function aadstsCodeOf(json: Record<string, unknown> | undefined): string | undefined {
  if (!json) return undefined;
  const codes = json.error_codes;
  if (Array.isArray(codes) && codes.length > 0 && /^\d+$/.test(String(codes[0]))) return String(codes[0]);
  const description = typeof json.error_description === 'string' ? json.error_description : '';
  return /AADSTS(\d+)/.exec(description)?.[1];
}

/** The verdict on one exchange; the same rule for every grant (what follows from it differs). */
export function judgeExchange(exchange: TokenExchange): ExchangeVerdict {
  if (exchange.kind === 'unsent') return { kind: 'transient', reason: exchange.reason };
  if (exchange.kind === 'uncertain') return { kind: 'uncertain', reason: exchange.reason };
  const { status, json } = exchange;
  if (status === 429 || status >= 500) return { kind: 'transient', status, reason: `HTTP ${status}` };
  if (status === 200 && isValidTokenAnswer(json)) return { kind: 'success' };
  const error = typeof json?.error === 'string' ? json.error : undefined;
  const rawDescription =
    typeof json?.error_description === 'string'
      ? json.error_description
      : json === undefined
        ? `HTTP ${status} without a JSON body`
        : status === 200
          ? 'HTTP 200 without a usable access token'
          : `HTTP ${status}`;
  return { kind: 'rejected', status, aadsts: aadstsCodeOf(json), error, description: rawDescription };
}
