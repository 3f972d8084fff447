/**
 * The public shapes of the sandbox identity provider: its options, users, counters and defaults.
 */
import type { SandboxCertificate } from '../certs';
import type { SandboxRequestLog } from '../http';

/** The grants of the token endpoint, by the name the counters and faults use. */
export type GrantType =
  'password' | 'refresh_token' | 'client_credentials' | 'authorization_code' | 'device_code';

export const GRANT_TYPES: readonly GrantType[] = [
  'password',
  'refresh_token',
  'client_credentials',
  'authorization_code',
  'device_code',
];

/** The `grant_type` of the device code grant in RFC 8628; Entra also accepts `device_code`, which MSAL sends. */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/** The counter name of a `grant_type` form value, or undefined for a grant the provider does not know. */
export function grantOf(formValue: string): GrantType | undefined {
  if (formValue === DEVICE_CODE_GRANT_TYPE) return 'device_code';
  return (GRANT_TYPES as readonly string[]).includes(formValue) ? (formValue as GrantType) : undefined;
}

export interface SandboxUser {
  username: string;
  password: string;
  oid?: string;
  displayName?: string;
}

export interface IdpCounts {
  /** Token requests whose body was read, faulted ones included. */
  token: number;
  password: number;
  refresh_token: number;
  client_credentials: number;
  authorization_code: number;
  device_code: number;
  /** Password grants received, by lower-case user name (as sent). */
  password_by_user: Record<string, number>;
  /** Device authorization requests (`/oauth2/v2.0/devicecode`). */
  devicecode: number;
  /** Authorization requests (`GET /oauth2/v2.0/authorize`). */
  authorize: number;
  /** Sign-ins completed on the sandbox sign-in page or by approving a device code. */
  sign_in: number;
  discovery: number;
  instance_discovery: number;
  jwks: number;
}

export const zeroCounts = (): IdpCounts => ({
  token: 0,
  password: 0,
  refresh_token: 0,
  client_credentials: 0,
  authorization_code: 0,
  device_code: 0,
  password_by_user: {},
  devicecode: 0,
  authorize: 0,
  sign_in: 0,
  discovery: 0,
  instance_discovery: 0,
  jwks: 0,
});

export interface ApiTokenClaims {
  roles?: string[];
  audience?: string;
  /** Default 3600; a negative value gives a token that has already expired. */
  expiresInSeconds?: number;
  oid?: string;
  upn?: string;
  name?: string;
  appid?: string;
  /** Added last, so they can override any standard claim. */
  extra?: Record<string, unknown>;
}

/** What the provider needs of a clock: device codes and authorization codes expire by it. */
export interface IdpClock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export interface SandboxIdentityProviderOptions {
  tenant?: string;
  /** The application: a public client (ROPC, device code, authorization code), confidential with `clientSecret`. */
  clientId?: string;
  /**
   * Makes the application a confidential client as well: token requests may authenticate with this secret
   * (a wrong one gets AADSTS7000215), and refresh tokens issued to an authenticated request must be
   * redeemed with it (AADSTS7000218 otherwise). Requests without a secret still work as a public client.
   */
  clientSecret?: string;
  /**
   * Redirect URIs registered for the application (exact match; `http://localhost` and `127.0.0.1` match
   * on any port, as Entra ID allows for loopback). Default: any loopback `http(s)` URI.
   */
  redirectUris?: string[];
  users?: SandboxUser[];
  accessTokenLifetimeSeconds?: number;
  /** `expires_in` of device codes. Default 900, Entra's. */
  deviceCodeLifetimeSeconds?: number;
  /** `interval` of device codes (seconds between polls). Default 5, Entra's. */
  deviceCodeIntervalSeconds?: number;
  /** Audience of `signApiToken` tokens. */
  apiAudience?: string;
  port?: number;
  certificate?: SandboxCertificate;
  /**
   * Persists the RSA signing key (JWK JSON) here, so that other processes (the CLI's `dev-token`) sign
   * with the same key and tokens survive restarts.
   */
  signingKeyPath?: string;
  /** Expiry of device codes and authorization codes. Default: the system clock. */
  clock?: IdpClock;
  onRequest?: (entry: SandboxRequestLog) => void;
}

/** Why `verifyToken` rejected a token. */
export type TokenRejection =
  'malformed' | 'bad_signature' | 'expired' | 'not_yet_valid' | 'bad_audience' | 'bad_issuer';

export type TokenCheck =
  { ok: true; claims: Record<string, unknown> } | { ok: false; reason: TokenRejection };

export const SANDBOX_DEFAULTS = Object.freeze({
  tenant: '11111111-1111-4111-8111-111111111111',
  clientId: '22222222-2222-4222-8222-222222222222',
  username: 'svc-graph@contoso.example',
  password: 'Sandbox-Passw0rd!',
  displayName: 'Graph Service Account',
  apiAudience: 'api://graph-token-manager',
  accessTokenLifetimeSeconds: 3600,
  deviceCodeLifetimeSeconds: 900,
  deviceCodeIntervalSeconds: 5,
  /** Caller identity of `signApiToken` tokens unless overridden. */
  devCaller: Object.freeze({
    oid: '44444444-4444-4444-8444-444444444444',
    upn: 'developer@contoso.example',
    name: 'Sandbox Developer',
    appid: '55555555-5555-4555-8555-555555555555',
  }),
});

/** Audience of Microsoft Graph access tokens; Graph also accepts its app id. */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** Delegated permissions the sandbox's app registration has consent for: what `.default` expands to. */
export const CONSENTED_GRAPH_SCOPES = ['Group.ReadWrite.All', 'User.Read'];
export const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
