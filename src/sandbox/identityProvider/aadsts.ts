/**
 * Entra ID's error answers: the AADSTS codes the sandbox knows by heart, and the body shape every
 * token-endpoint error has (`error`, `error_description` with the trace trailer, `error_codes`,
 * `timestamp`, `trace_id`, `correlation_id`, `error_uri`, and `suberror` where Entra sends one).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientRequestId, sendJson } from '../http';
import { GRAPH_APP_ID } from './options';

export interface AadstsEntry {
  error: string;
  message: string;
  suberror?: string;
}

const MFA_REQUIRED = `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${GRAPH_APP_ID}'.`;

/** Entra ID error codes with the `error` and message Entra answers them with. */
export const AADSTS: Readonly<Record<number, AadstsEntry>> = {
  50034: {
    error: 'invalid_grant',
    message:
      'The user account {EUII Hidden} does not exist in the {tenant} directory. To sign into this application, the account must be added to the directory.',
  },
  50011: {
    error: 'invalid_request',
    message:
      "The redirect URI '{redirectUri}' specified in the request does not match the redirect URIs configured for the application '{clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.",
  },
  50053: {
    error: 'invalid_grant',
    message:
      'Your account is locked because the user tried to sign in too many times with an incorrect user ID or password.',
  },
  50055: { error: 'invalid_grant', message: 'The password is expired.', suberror: 'user_password_expired' },
  50056: {
    error: 'invalid_grant',
    message: 'Invalid or null password: password does not exist in the directory for this user.',
  },
  50057: { error: 'invalid_grant', message: 'The user account is disabled.' },
  50058: {
    error: 'login_required',
    message: 'A silent sign-in request was sent but no user is signed in.',
  },
  50064: { error: 'invalid_grant', message: 'Credential validation on username or password has failed.' },
  50072: {
    error: 'invalid_grant',
    message: `Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '${GRAPH_APP_ID}'.`,
    suberror: 'basic_action',
  },
  50074: {
    error: 'invalid_grant',
    message: 'Strong Authentication is required.',
    suberror: 'basic_action',
  },
  50076: { error: 'invalid_grant', message: MFA_REQUIRED, suberror: 'basic_action' },
  50079: {
    error: 'invalid_grant',
    message: `Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '${GRAPH_APP_ID}'.`,
    suberror: 'basic_action',
  },
  50105: {
    error: 'invalid_grant',
    message:
      "Your administrator has configured the application '{clientId}' to block users unless they are specifically granted ('assigned') access to the application. The signed in user '{EUII Hidden}' is blocked because they are not a direct member of a group with access, nor had access directly assigned by an administrator.",
  },
  50126: {
    error: 'invalid_grant',
    message: 'Error validating credentials due to invalid username or password.',
  },
  50135: { error: 'invalid_grant', message: 'Password change is required due to account risk.' },
  50142: {
    error: 'invalid_grant',
    message: 'Password change is required due to a Conditional Access policy.',
    suberror: 'user_password_expired',
  },
  50144: { error: 'invalid_grant', message: "User's Active Directory password has expired." },
  50173: {
    error: 'invalid_grant',
    message: 'The provided grant has expired due to it being revoked, a fresh auth token is needed.',
  },
  53003: {
    error: 'invalid_grant',
    message:
      'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.',
  },
  54005: {
    error: 'invalid_grant',
    message:
      'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
  },
  65001: {
    error: 'invalid_grant',
    message:
      "The user or administrator has not consented to use the application with ID '{clientId}'. Send an interactive authorization request for this user and resource.",
    suberror: 'consent_required',
  },
  65004: { error: 'access_denied', message: 'User declined to consent to access the app.' },
  70000: { error: 'invalid_grant', message: 'Provided grant is invalid or malformed.' },
  70003: {
    error: 'unsupported_grant_type',
    message: "The app requested an unsupported grant type '{grant}'.",
  },
  70005: {
    error: 'unsupported_response_type',
    message: "The application requested an unsupported response type '{responseType}'.",
  },
  70008: {
    error: 'invalid_grant',
    message:
      'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
  },
  70016: {
    error: 'authorization_pending',
    message: 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
  },
  70018: {
    error: 'bad_verification_code',
    message: "The provided value for the input parameter 'device_code' is not valid.",
  },
  70020: {
    error: 'expired_token',
    message:
      "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
  },
  90002: {
    error: 'invalid_tenant',
    message:
      "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.",
  },
  90033: { error: 'temporarily_unavailable', message: 'A transient error has occurred. Please try again.' },
  90100: { error: 'invalid_request', message: "The parameter '{param}' is empty or not valid." },
  501481: {
    error: 'invalid_grant',
    message: 'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
  },
  700016: {
    error: 'unauthorized_client',
    message:
      "Application with identifier '{clientId}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
  },
  700082: {
    error: 'invalid_grant',
    message:
      "The refresh token has expired due to inactivity. The token was issued on '{issued}' and was inactive for 90.00:00:00.",
    suberror: 'bad_token',
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
  7000215: {
    error: 'invalid_client',
    message:
      "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{clientId}'.",
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

/** Trace and correlation ids as Entra ID appends them to every `error_description`. */
export function diagnostics(req: IncomingMessage): {
  traceId: string;
  correlationId: string;
  timestamp: string;
  trailer: string;
} {
  const traceId = randomUUID();
  const correlationId = correlationIdOf(req);
  const timestamp = `${new Date().toISOString().slice(0, 19).replace('T', ' ')}Z`;
  return {
    traceId,
    correlationId,
    timestamp,
    trailer: `\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
  };
}

/** MSAL sends the correlation id as a header and, on token requests, as `client-request-id` in the query. */
function correlationIdOf(req: IncomingMessage): string {
  const query = new URL(req.url ?? '/', 'https://localhost').searchParams.get('client-request-id');
  if (!req.headers['client-request-id'] && query && query.length <= 128) return query;
  return clientRequestId(req);
}

export interface AadErrorOptions {
  status?: number;
  description?: string;
  /** Replaces `{name}` placeholders in the message. */
  vars?: Record<string, string>;
  /** Overrides the table's `error` / `suberror` (`null` removes the suberror). */
  error?: string;
  suberror?: string | null;
  /** Extra body fields, e.g. `claims` on an interaction_required answer. */
  extra?: Record<string, unknown>;
}

/** The body of an Entra error with an AADSTS code, and the headers Entra sends with it. */
export function aadErrorBody(
  req: IncomingMessage,
  code: number,
  context: { authorityHost: string; tenant: string; clientId: string },
  options: AadErrorOptions = {},
): { body: Record<string, unknown>; headers: Record<string, string> } {
  const entry: AadstsEntry = AADSTS[code] ?? { error: 'invalid_grant', message: 'Sandbox-injected error.' };
  const vars: Record<string, string> = {
    tenant: context.tenant,
    clientId: context.clientId,
    ...options.vars,
  };
  const message = (options.description ?? entry.message).replace(/\{(\w+)\}/g, (match, name: string) =>
    name in vars ? vars[name] : match,
  );
  const { traceId, correlationId, timestamp, trailer } = diagnostics(req);
  const body: Record<string, unknown> = {
    error: options.error ?? entry.error,
    error_description: `AADSTS${code}: ${message}${trailer}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${context.authorityHost}/error?code=${code}`,
  };
  const suberror = options.suberror === undefined ? entry.suberror : options.suberror;
  if (suberror) body.suberror = suberror;
  Object.assign(body, options.extra);
  return { body, headers: { 'x-ms-request-id': traceId, 'client-request-id': correlationId } };
}

/** An OAuth error without an AADSTS code (`error_codes` absent), as some federated or proxied answers look. */
export function sendOAuthError(
  req: IncomingMessage,
  res: ServerResponse,
  options: { error: string; description?: string; status?: number; suberror?: string },
): void {
  const { traceId, correlationId, timestamp } = diagnostics(req);
  const body: Record<string, unknown> = { error: options.error };
  if (options.description !== undefined) body.error_description = options.description;
  if (options.suberror) body.suberror = options.suberror;
  Object.assign(body, { timestamp, trace_id: traceId, correlation_id: correlationId });
  sendJson(res, options.status ?? 400, body, {
    'x-ms-request-id': traceId,
    'client-request-id': correlationId,
  });
}

/** An injected HTTP status, shaped like Entra's answers when it is busy or broken. */
export function sendStatusFault(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  retryAfter?: number,
): void {
  const { traceId, correlationId, timestamp, trailer } = diagnostics(req);
  const busy = status === 429 || status === 503;
  const headers: Record<string, string> = { 'x-ms-request-id': traceId, 'client-request-id': correlationId };
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

/** A non-JSON error page, as a proxy or a federated identity provider in front of Entra may answer. */
export function sendHtmlFault(res: ServerResponse, status: number): void {
  const page =
    '<!DOCTYPE html><html><head><title>Sign in to your account</title></head>' +
    `<body><h1>Sorry, but we're having trouble signing you in.</h1><p>HTTP ${status}</p></body></html>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(page),
    'cache-control': 'no-store',
  });
  res.end(page);
}

/** Answers with an Entra error carrying an AADSTS code (HTTP 400 unless told otherwise). */
export function sendAadError(
  context: { authorityHost: string; tenant: string; clientId: string },
  req: IncomingMessage,
  res: ServerResponse,
  code: number,
  options: AadErrorOptions = {},
): void {
  const { body, headers } = aadErrorBody(req, code, context, options);
  sendJson(res, options.status ?? (body.error === 'invalid_client' ? 401 : 400), body, headers);
}
