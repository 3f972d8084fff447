/**
 * Every failure the service reports has a stable `code` (callers branch on it, never on message text)
 * and a `hint` that tells the operator what to fix. HTTP status mapping lives here too, in one place.
 */

export type ErrorCategory =
  /** The service account's credentials or the app registration are wrong: never retried automatically. */
  | 'credential'
  /** Worth retrying with backoff: network, 5xx, 429. */
  | 'transient'
  /** Configuration missing or invalid. */
  | 'configuration'
  /** The caller asked for something that cannot be done (unknown id, bad input). */
  | 'request'
  /**
   * A password grant that may have been judged but got no answer (reset, timeout): never resent within
   * the call, and not sent again for CREDENTIAL_UNCERTAIN_RETRY_SECONDS (docs/architecture.md, "Lockout").
   */
  | 'uncertain'
  /** Anything else. */
  | 'internal';

export interface ErrorInfo {
  code: string;
  hint: string;
  category: ErrorCategory;
  status: number;
}

export class GraphTokenError extends Error {
  readonly code: string;
  readonly hint: string;
  readonly category: ErrorCategory;
  /** Suggested HTTP status for this error. */
  readonly status: number;
  /** Seconds to wait before retrying, from a `Retry-After` header. */
  readonly retryAfterSeconds: number | undefined;
  /** The upstream error code, e.g. `AADSTS50126` or Graph's `ErrorAccessDenied`. */
  readonly upstreamCode: string | undefined;

  constructor(
    info: ErrorInfo,
    message: string,
    options: { upstreamCode?: string; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message);
    this.name = 'GraphTokenError';
    this.code = info.code;
    this.hint = info.hint;
    this.category = info.category;
    this.status = info.status;
    this.upstreamCode = options.upstreamCode;
    this.retryAfterSeconds = options.retryAfterSeconds;
    if (options.cause !== undefined)
      Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false });
  }

  toJSON(): { code: string; message: string; hint: string } {
    return { code: this.code, message: this.message, hint: this.hint };
  }
}

function info(code: string, category: ErrorCategory, status: number, hint: string): ErrorInfo {
  return Object.freeze({ code, category, status, hint });
}

/** Errors of the service itself. */
export const ERRORS = Object.freeze({
  CONFIGURATION_INVALID: info(
    'CONFIGURATION_INVALID',
    'configuration',
    503,
    'Set the variables named in the message (app settings in Azure, local.settings.json locally) and restart.',
  ),
  ENCRYPTION_KEY_MISSING: info(
    'ENCRYPTION_KEY_MISSING',
    'configuration',
    503,
    'Store a base64 256-bit key in Key Vault under TOKEN_ENCRYPTION_KEY_SECRET_NAME (or set TOKEN_ENCRYPTION_KEY locally). Tokens are never stored unencrypted.',
  ),
  ENCRYPTION_KEY_UNKNOWN: info(
    'ENCRYPTION_KEY_UNKNOWN',
    'configuration',
    503,
    'A stored token was encrypted with a key version that is no longer available. Restore that secret version or acquire a new token with force.',
  ),
  DECRYPTION_FAILED: info(
    'DECRYPTION_FAILED',
    'internal',
    500,
    'A stored ciphertext failed its integrity check (tampered, or moved to another row). Deactivate the token and acquire a new one.',
  ),
  KEY_VAULT_UNAVAILABLE: info(
    'KEY_VAULT_UNAVAILABLE',
    'transient',
    503,
    "Key Vault could not be read. Check KEY_VAULT_URL, network access, and that the function's identity has the Key Vault Secrets User role.",
  ),
  SECRET_NOT_FOUND: info(
    'SECRET_NOT_FOUND',
    'configuration',
    503,
    'Create the secret named in the message in Key Vault (GRAPH_PASSWORD_SECRET_NAME / TOKEN_ENCRYPTION_KEY_SECRET_NAME).',
  ),
  STORAGE_UNAVAILABLE: info(
    'STORAGE_UNAVAILABLE',
    'transient',
    503,
    'Table Storage could not be reached. Check AzureWebJobsStorage / TOKEN_TABLE_ENDPOINT and the Storage Table Data Contributor role.',
  ),
  TOKEN_NOT_FOUND: info(
    'TOKEN_NOT_FOUND',
    'request',
    404,
    'List tokens with GET /api/graph-tokens to find a valid id.',
  ),
  NO_ACTIVE_TOKEN: info(
    'NO_ACTIVE_TOKEN',
    'request',
    409,
    'No active token exists for this type. ropc: acquire one (POST /api/graph-tokens/acquire_token, graph-tokens acquire, or the admin page\'s Acquire). delegated: sign the service account in (the admin page\'s "Sign in the service account", or graph-tokens sign-in).',
  ),
  CREDENTIALS_BLOCKED: info(
    'CREDENTIALS_BLOCKED',
    'credential',
    409,
    'Entra ID rejected this credential (tenant, client id, username, scopes and password version) earlier; to protect the account from lockout it is not sent again. Fix the cause shown in the block, then store a corrected password (a new version of the Key Vault secret, or the new GRAPH_PASSWORD where the password comes from the environment) or change GRAPH_USERNAME, the scopes or the app registration: any change unblocks. An administrator may try the same password once more with retry_blocked_password, at most until it was rejected 3 times.',
  ),
  CREDENTIALS_REJECTED: info(
    'CREDENTIALS_REJECTED',
    'credential',
    502,
    'Entra ID (or a proxy or federated identity provider in front of it) refused the password grant with an answer this service does not know; the credential is blocked so it is not sent again. Look the upstream code up at https://login.microsoftonline.com/error, fix the cause, then store a corrected password (a new version of the Key Vault secret, or the new GRAPH_PASSWORD where the password comes from the environment).',
  ),
  NOTIFICATION_FAILED: info(
    'NOTIFICATION_FAILED',
    'transient',
    502,
    'The notification receiver (NOTIFY_WEBHOOK_URL) did not accept the event after the retries. Check that it is reachable and answers 2xx; the incident stays open and its recovery is still sent (docs/operations.md).',
  ),
  REFRESH_IN_PROGRESS: info(
    'REFRESH_IN_PROGRESS',
    'transient',
    503,
    'Another instance is refreshing this token and did not finish in time. Retry in a few seconds.',
  ),
  IDENTITY_PROVIDER_UNAVAILABLE: info(
    'IDENTITY_PROVIDER_UNAVAILABLE',
    'transient',
    503,
    'Entra ID could not be reached or answered with a server error. It is retried automatically; check GRAPH_AUTHORITY_HOST and outbound network access if it persists.',
  ),
  PASSWORD_GRANT_UNCERTAIN: info(
    'IDENTITY_PROVIDER_UNAVAILABLE',
    'uncertain',
    503,
    'A password grant was sent but no answer came back (connection reset or timeout), so Entra ID may have judged it. To protect the account it is not sent again until CREDENTIAL_UNCERTAIN_RETRY_SECONDS have passed; three such attempts in a row block the credential. Check the network path to GRAPH_AUTHORITY_HOST.',
  ),
  IDENTITY_PROVIDER_THROTTLED: info(
    'IDENTITY_PROVIDER_THROTTLED',
    'transient',
    503,
    'Entra ID throttled the request (429). It is retried after Retry-After; reduce forced refreshes if it persists.',
  ),
  IDENTITY_PROVIDER_ERROR: info(
    'IDENTITY_PROVIDER_ERROR',
    'internal',
    502,
    'Entra ID rejected the request. The message carries its error code; see the troubleshooting table in the README.',
  ),
  GRAPH_UNAVAILABLE: info(
    'GRAPH_UNAVAILABLE',
    'transient',
    503,
    'Microsoft Graph could not be reached or answered with a server error. Check GRAPH_API_BASE_URL and outbound network access.',
  ),
  GRAPH_ERROR: info(
    'GRAPH_ERROR',
    'internal',
    502,
    'Microsoft Graph rejected the request. The message carries its error code; see the troubleshooting table in the README.',
  ),
  TOKEN_REJECTED: info(
    'TOKEN_REJECTED',
    'internal',
    502,
    'Microsoft Graph rejected the access token (401/403). Check delegated (not application) permissions Group.ReadWrite.All and User.Read with admin consent, then force a refresh.',
  ),
  SIGN_IN_REQUIRED: info(
    'SIGN_IN_REQUIRED',
    'credential',
    409,
    'The delegated token needs an interactive sign-in of the service account (never signed in, or Entra ID refused the refresh token: expired after inactivity, revoked, password changed, or a Conditional Access / MFA claim). An administrator signs it in again: the admin page\'s "Sign in the service account", or graph-tokens sign-in (--device-code on a machine without a browser). Nothing is retried until then, and no password is ever tried.',
  ),
  SIGN_IN_WRONG_ACCOUNT: info(
    'SIGN_IN_WRONG_ACCOUNT',
    'request',
    403,
    'The sign-in was not the service account (GRAPH_USERNAME in the tenant GRAPH_TENANT), so nothing was stored. Sign in again and pick the service account, not your own; use a private browser window if your own account is signed in.',
  ),
  SIGN_IN_EXPIRED: info(
    'SIGN_IN_EXPIRED',
    'request',
    410,
    'The sign-in was not completed in time (the device code or the sign-in request expired). Start the sign-in again and finish it within a few minutes.',
  ),
  SIGN_IN_DECLINED: info(
    'SIGN_IN_DECLINED',
    'request',
    403,
    'The sign-in was cancelled or declined at the identity provider. Start it again and sign in as the service account.',
  ),
  SIGN_IN_STATE_INVALID: info(
    'SIGN_IN_STATE_INVALID',
    'request',
    400,
    'This sign-in answer does not belong to a sign-in started here by you in this browser (unknown or used state, missing cookie). Start the sign-in again from the admin page.',
  ),
  SIGN_IN_FAILED: info(
    'SIGN_IN_FAILED',
    'credential',
    502,
    'Entra ID refused to redeem the sign-in. The message carries its code: check the app registration (redirect URI and platform, "Allow public client flows" for the device code flow, the client credential), then sign in again (docs/delegated.md).',
  ),
  CLIENT_CREDENTIAL_REJECTED: info(
    'CLIENT_CREDENTIAL_REJECTED',
    'configuration',
    503,
    "Entra ID rejected the app's client credential (GRAPH_CLIENT_CREDENTIAL_SECRET_NAME): wrong, expired, or missing although the refresh token was issued to a confidential client. Store a valid certificate (PEM with its private key) or client secret as a new secret version.",
  ),
  DEV_SIGN_IN_REFUSED: info(
    'DEV_SIGN_IN_REFUSED',
    'request',
    403,
    'The dev sign-in answers only on this machine: open the admin page at http://localhost:<port>/api/admin (not through a LAN address, a tunnel or another host name).',
  ),
  EVENT_NOT_FOUND: info(
    'EVENT_NOT_FOUND',
    'request',
    404,
    'No event with this id in the group calendar (deleted, or an id from another calendar). List events with GET /api/events?from=&to= to find it.',
  ),
  EVENT_NOT_ORGANIZER: info(
    'EVENT_NOT_ORGANIZER',
    'request',
    403,
    'Only the organizer can cancel a meeting, and the service account is not its organizer. Delete it instead (DELETE /api/events/{id}), or ask the organizer to cancel it.',
  ),
  FORBIDDEN: info(
    'FORBIDDEN',
    'request',
    403,
    "Assign the app role named in the message to the caller (Enterprise applications → this API → Users and groups, or the client app's API permissions), then get a new token.",
  ),
  EVENT_NOT_OWNER: info(
    'EVENT_NOT_OWNER',
    'request',
    403,
    'This event belongs to another caller: Events.Create changes only its own events. Ask its owner, or a caller with the Events.Manage role, to change it.',
  ),
  EVENT_NOT_MANAGED: info(
    'EVENT_NOT_MANAGED',
    'request',
    403,
    "This event was not created by the service (a person's own meeting in the group calendar): no caller may change, cancel or delete it through the API. Change it in Outlook.",
  ),
  GROUP_NOT_ALLOWED: info(
    'GROUP_NOT_ALLOWED',
    'request',
    400,
    'This group is not one of the allowed calendars. Use an alias or group id listed by GET /api/calendars (GRAPH_GROUP_ID / GRAPH_GROUP_IDS).',
  ),
  INVALID_CONTINUATION_TOKEN: info(
    'INVALID_CONTINUATION_TOKEN',
    'request',
    400,
    'The continuation_token was not issued by this service for this list, this caller and this calendar (changed, truncated or expired key). Start the listing again without it.',
  ),
  IDEMPOTENCY_KEY_REUSED: info(
    'IDEMPOTENCY_KEY_REUSED',
    'request',
    409,
    'This Idempotency-Key was used in the last 24 hours for a different event. Use a new key for a new event; repeat a request only with exactly the same body.',
  ),
  EVENT_OUTCOME_UNKNOWN: info(
    'EVENT_OUTCOME_UNKNOWN',
    'transient',
    503,
    'Microsoft Graph may or may not have created the event and could not be asked. Retry with the same Idempotency-Key: the event is never created twice.',
  ),
  SYNC_IN_PROGRESS: info(
    'SYNC_IN_PROGRESS',
    'request',
    409,
    'Another sync of this scope in this calendar is running. Wait for it to finish and run the sync again (it converges); a sync that died releases the scope when its lease expires (2 minutes).',
  ),
  EXTERNAL_ID_IN_OTHER_SCOPE: info(
    'EXTERNAL_ID_IN_OTHER_SCOPE',
    'request',
    409,
    'This external_id belongs to an event of another scope of yours in this calendar. Use a different external_id, or remove it from the other scope first (sync that scope without it).',
  ),
  INVALID_REQUEST: info('INVALID_REQUEST', 'request', 400, 'Correct the request as the message says.'),
  INTERNAL: info(
    'INTERNAL',
    'internal',
    500,
    'An unexpected error occurred. Check the logs with the correlation id.',
  ),
});

/**
 * Entra ID (AADSTS) errors an operator can fix, with what to fix. All are `credential` errors: retrying
 * them with the same password only counts towards smart lockout.
 */
export const AADSTS_ERRORS: Readonly<Record<string, ErrorInfo>> = Object.freeze({
  '50126': info(
    'INVALID_CREDENTIALS',
    'credential',
    502,
    'Wrong username or password for the service account. Check GRAPH_USERNAME and store the right password: a new version of the Key Vault secret, or the new GRAPH_PASSWORD where the password comes from the environment (local development). Either change unblocks the service.',
  ),
  '50034': info(
    'USER_NOT_FOUND',
    'credential',
    502,
    'The service account does not exist in this tenant. Check GRAPH_USERNAME and GRAPH_TENANT.',
  ),
  '50053': info(
    'ACCOUNT_LOCKED',
    'credential',
    502,
    'The service account is locked (smart lockout or too many failed sign-ins). Wait for the lockout to end or unlock it in Entra ID, fix the password, then acquire with force.',
  ),
  '50055': info(
    'PASSWORD_EXPIRED',
    'credential',
    502,
    "The service account's password has expired. Set a new password, store it (a new version of the Key Vault secret, or GRAPH_PASSWORD locally), and consider a non-expiring password policy for this account.",
  ),
  '50057': info(
    'ACCOUNT_DISABLED',
    'credential',
    502,
    'The service account is disabled in Entra ID. Enable it (or use another account) and update GRAPH_USERNAME.',
  ),
  '50076': info(
    'MFA_REQUIRED',
    'credential',
    502,
    'Conditional Access requires MFA for the service account; ROPC cannot do MFA. Exclude the account from the MFA policy (named locations, or a policy for service accounts), or switch to the delegated token type (GRAPH_TOKEN_TYPE=delegated, then graph-tokens sign-in), where an administrator signs the account in once with MFA.',
  ),
  '50079': info(
    'MFA_REGISTRATION_REQUIRED',
    'credential',
    502,
    'The service account must register for MFA, which ROPC cannot do. Exclude it from the MFA registration policy or switch to the delegated token type (GRAPH_TOKEN_TYPE=delegated, then graph-tokens sign-in), where an administrator signs the account in once with MFA.',
  ),
  '50158': info(
    'CONDITIONAL_ACCESS_CHALLENGE',
    'credential',
    502,
    'A Conditional Access policy requires an interactive challenge. Exclude the service account from that policy.',
  ),
  '50064': info(
    'CREDENTIAL_VALIDATION_FAILED',
    'credential',
    502,
    "Entra ID could not validate the service account's username or password. Check GRAPH_USERNAME and store the correct password (a new Key Vault secret version, or GRAPH_PASSWORD locally).",
  ),
  '50056': info(
    'PASSWORD_NOT_SET',
    'credential',
    502,
    'Entra ID holds no password for the service account (a federated account, or a password never set in the cloud). Set a cloud password, or check password hash sync / pass-through authentication on-premises.',
  ),
  '50144': info(
    'ON_PREMISES_PASSWORD_EXPIRED',
    'credential',
    502,
    "The service account's on-premises Active Directory password has expired (pass-through or federated sign-in). Reset it on-premises, let it sync, then store the new password (a new Key Vault secret version, or GRAPH_PASSWORD locally).",
  ),
  '53003': info(
    'BLOCKED_BY_CONDITIONAL_ACCESS',
    'credential',
    502,
    'A Conditional Access policy blocks this sign-in. Check the sign-in log for the policy and exclude the service account or this app, or switch to the delegated token type.',
  ),
  '50072': info(
    'MFA_ENROLLMENT_REQUIRED',
    'credential',
    502,
    'The service account must enrol for MFA, which ROPC cannot do. Exclude it from the registration policy or switch to the delegated token type (graph-tokens sign-in).',
  ),
  '50074': info(
    'STRONG_AUTH_REQUIRED',
    'credential',
    502,
    'Strong authentication (MFA) is required for the service account; ROPC cannot satisfy it. Exclude the account from the policy or switch to the delegated token type (graph-tokens sign-in).',
  ),
  '50105': info(
    'USER_NOT_ASSIGNED',
    'credential',
    502,
    'The app registration requires user assignment and the service account is not assigned. Assign it under Enterprise applications → Users and groups.',
  ),
  '50135': info(
    'PASSWORD_CHANGE_REQUIRED_RISK',
    'credential',
    502,
    "Entra ID requires a password change because of account risk (Identity Protection). Review the risk, reset the service account's password, and store it (a new Key Vault secret version, or GRAPH_PASSWORD locally).",
  ),
  '50142': info(
    'PASSWORD_CHANGE_REQUIRED',
    'credential',
    502,
    'A Conditional Access policy requires a password change for the service account. Reset the password and store it (a new Key Vault secret version, or GRAPH_PASSWORD locally).',
  ),
  '65001': info(
    'CONSENT_REQUIRED',
    'credential',
    502,
    'The app lacks consent for the delegated permissions. Grant admin consent for Group.ReadWrite.All and User.Read (delegated, not application) on the app registration.',
  ),
  '7000218': info(
    'PUBLIC_CLIENT_FLOWS_DISABLED',
    'credential',
    502,
    'Enable "Allow public client flows" on the app registration (Authentication blade), or the request was sent as a confidential client.',
  ),
  '700016': info(
    'APP_NOT_FOUND',
    'credential',
    502,
    'No app registration with GRAPH_CLIENT_ID exists in GRAPH_TENANT. Check both values.',
  ),
  '90002': info(
    'TENANT_NOT_FOUND',
    'credential',
    502,
    'GRAPH_TENANT does not name an existing tenant. Check it.',
  ),
  '70011': info(
    'INVALID_SCOPE',
    'credential',
    502,
    'GRAPH_SCOPES contains an invalid scope. Use delegated Graph scopes such as https://graph.microsoft.com/Group.ReadWrite.All.',
  ),
  '50059': info(
    'TENANT_NOT_FOUND',
    'credential',
    502,
    'GRAPH_TENANT does not name an existing tenant. Check it.',
  ),
});

/** AADSTS codes that mean the refresh token is no longer usable (fall back to the password). */
export const REFRESH_TOKEN_UNUSABLE = Object.freeze(['70008', '700082', '50173', '50133', '54005', '70043']);

/** Graph error codes an operator can fix. */
export const GRAPH_ERRORS: Readonly<Record<string, ErrorInfo>> = Object.freeze({
  ErrorAccessDenied: info(
    'GRAPH_ACCESS_DENIED',
    'request',
    403,
    'The service account may not write to this group calendar. Make it a member of the group (GRAPH_GROUP_ID) and grant delegated Group.ReadWrite.All with admin consent.',
  ),
  Authorization_RequestDenied: info(
    'GRAPH_ACCESS_DENIED',
    'request',
    403,
    'Insufficient privileges: the app needs delegated (not application) Group.ReadWrite.All with admin consent.',
  ),
  Request_ResourceNotFound: info(
    'GROUP_NOT_FOUND',
    'request',
    404,
    'GRAPH_GROUP_ID does not name an existing Microsoft 365 group. Use the group object id (a GUID).',
  ),
  ErrorItemNotFound: info(
    'GROUP_NOT_FOUND',
    'request',
    404,
    'GRAPH_GROUP_ID does not name an existing Microsoft 365 group with a calendar. Use the group object id.',
  ),
  ErrorInvalidRequest: info(
    'GRAPH_INVALID_REQUEST',
    'request',
    400,
    'Graph rejected the event. Check its fields.',
  ),
  TimeZoneNotSupportedException: info(
    'GRAPH_INVALID_TIME_ZONE',
    'request',
    400,
    'Use an IANA time zone name that Graph supports, e.g. Europe/Amsterdam.',
  ),
  ErrorInvalidTimeZone: info(
    'GRAPH_INVALID_TIME_ZONE',
    'request',
    400,
    'Use an IANA time zone name that Graph supports, e.g. Europe/Amsterdam.',
  ),
});

/**
 * Maps an AADSTS code (digits only) to the service's error. The table decides the code and hint only:
 * an unknown code is still a rejection (`CREDENTIALS_REJECTED`), never something to retry.
 */
export function aadstsError(code: string, description: string, cause?: unknown): GraphTokenError {
  const known = AADSTS_ERRORS[code];
  const safe = sanitize(description);
  if (known)
    return new GraphTokenError(known, `AADSTS${code}: ${safe}`, { upstreamCode: `AADSTS${code}`, cause });
  return new GraphTokenError(ERRORS.CREDENTIALS_REJECTED, `AADSTS${code}: ${safe}`, {
    upstreamCode: `AADSTS${code}`,
    cause,
  });
}

/** Strips anything that looks like a token or key from upstream text before it is stored or shown. */
/** The error of a stable code, from any of the tables (the report shows its hint beside the code). */
export function errorInfoForCode(code: string): ErrorInfo | null {
  for (const table of [ERRORS, AADSTS_ERRORS, GRAPH_ERRORS] as Readonly<Record<string, ErrorInfo>>[]) {
    for (const entry of Object.values(table)) if (entry.code === code) return entry;
  }
  return null;
}

export function sanitize(text: string): string {
  return text
    .replace(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[redacted-jwt]')
    .replace(/\b[0-9A-Za-z._-]{60,}\b/g, '[redacted]')
    .replace(/(password|secret|token|assertion)=([^&\s]+)/gi, '$1=[redacted]')
    .split(/\r?\n/)[0]!
    .slice(0, 500);
}

export function toGraphTokenError(error: unknown): GraphTokenError {
  if (error instanceof GraphTokenError) return error;
  return new GraphTokenError(ERRORS.INTERNAL, 'Unexpected error', { cause: error });
}

export function summarize(error: unknown): { code: string; message: string; hint: string } {
  return toGraphTokenError(error).toJSON();
}
