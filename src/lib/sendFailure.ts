/**
 * Was a failed HTTP request ever written? Both outside HTTP clients need the answer — Entra ID (a
 * password grant that may have been judged) and Graph (an event that may have been created) — and deny
 * by default: only a failure that proves nothing left this machine counts as unsent.
 */

/** Network failures (Node and undici codes) that happen before a single byte of the request is written. */
const PRE_SEND_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** True when `code` proves the request was never written. */
export function isPreSendFailure(code: string | undefined): boolean {
  return code !== undefined && PRE_SEND_CODES.has(code);
}

/** The first error code along a fetch failure's `cause` chain (`fetch failed` → `{ code: 'ECONNREFUSED' }`). */
export function failureCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

const FAILURE_WORDS: Array<[RegExp, string]> = [
  [/^ECONNRESET$|^EPIPE$|^UND_ERR_SOCKET$|^ECONNABORTED$/, 'the connection was reset'],
  [/^ECONNREFUSED$/, 'the connection was refused'],
  [/^ENOTFOUND$|^EAI_AGAIN$/, 'the host name was not found'],
  [/TIMEOUT|^ETIMEDOUT$|^TimeoutError$/i, 'the request timed out'],
  [/^EHOSTUNREACH$|^ENETUNREACH$|^EADDRNOTAVAIL$/, 'the network is unreachable'],
  [/^AbortError$/, 'the request was aborted'],
  [/CERT|SSL|^EPROTO$|TLS/, 'the TLS handshake failed'],
];

/**
 * A network failure in words for an error message: operators read "the connection was reset", and no
 * raw socket code (ECONNRESET, UND_ERR_SOCKET) ever reaches an error or a response.
 */
export function describeNetworkFailure(code: string | undefined): string {
  if (code) for (const [pattern, words] of FAILURE_WORDS) if (pattern.test(code)) return words;
  return 'a network error';
}
