/**
 * What the provider remembers between requests: its directory (users), the refresh tokens, device codes
 * and authorization codes it issued, and the tenant-wide switches tests flip. Kept in memory only.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { SigningKey } from './signingKey';
import type { IdpClock, IdpCounts, SandboxUser } from './options';
import type { IdpFault } from './faults';

export interface Account {
  username: string;
  password: string;
  oid: string;
  displayName: string;
}

/** How the user proved who they are; decides the `amr` claim. */
export type AuthMethod = 'password' | 'interactive';

export interface RefreshGrant {
  username: string;
  clientId: string;
  issuedAt: number;
  method: AuthMethod;
  /** Issued to a request that authenticated as a confidential client: redeeming it needs the secret. */
  confidential: boolean;
  /** Set by `revokeSignInSessions` (AADSTS50173) or `expireRefreshTokens` (AADSTS700082). */
  revokedAt?: number;
  expired?: boolean;
}

export interface DeviceCodeEntry {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
  status: 'pending' | 'approved' | 'declined';
  username?: string;
}

export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  responseMode: 'query' | 'fragment' | 'form_post';
  loginHint?: string;
  expiresAt: number;
}

export interface AuthorizationCode {
  request: AuthorizationRequest;
  username: string;
  expiresAt: number;
  redeemed: boolean;
}

export interface IdpConfig {
  authorityHost: string;
  tenant: string;
  clientId: string;
  clientSecret?: string;
  issuer: string;
  apiAudience: string;
  redirectUris?: string[];
  deviceCodeLifetimeSeconds: number;
  deviceCodeIntervalSeconds: number;
}

/** Everything a route handler needs: configuration, memory, counters, faults and the signing key. */
export interface IdpContext {
  readonly config: IdpConfig;
  readonly state: IdpState;
  readonly counts: IdpCounts;
  readonly key: SigningKey;
  takeFault(applies: (fault: IdpFault) => boolean): IdpFault | undefined;
}

/** Entra's authorization codes live about ten minutes. */
const AUTHORIZATION_CODE_LIFETIME_MS = 10 * 60_000;

export class IdpState {
  readonly accounts = new Map<string, Account>();
  readonly refreshGrants = new Map<string, RefreshGrant>();
  readonly deviceCodes = new Map<string, DeviceCodeEntry>();
  readonly authorizationRequests = new Map<string, AuthorizationRequest>();
  readonly authorizationCodes = new Map<string, AuthorizationCode>();
  /** Entra's `session_state` on the authorization response; the sandbox has one session for all. */
  readonly sessionState = randomUUID();
  accessTokenLifetimeSeconds: number;
  /** Every password grant answers AADSTS50076 (a tenant whose Conditional Access requires MFA). */
  mfaRequired = false;
  /** A refresh carrying a claims challenge (more than the `xms_cc` capability) needs interaction. */
  claimsRequireInteraction = false;

  constructor(
    readonly clock: IdpClock,
    accessTokenLifetimeSeconds: number,
  ) {
    this.accessTokenLifetimeSeconds = accessTokenLifetimeSeconds;
  }

  account(username: string): Account | undefined {
    return this.accounts.get(username.toLowerCase());
  }

  addUser(user: SandboxUser): void {
    this.accounts.set(user.username.toLowerCase(), {
      username: user.username,
      password: user.password,
      oid: user.oid ?? deterministicGuid(`oid:${user.username.toLowerCase()}`),
      displayName: user.displayName ?? user.username.split('@')[0],
    });
  }

  issueRefreshToken(grant: Omit<RefreshGrant, 'issuedAt'>): string {
    const refreshToken = `0.A${randomBytes(48).toString('base64url')}`;
    this.refreshGrants.set(refreshToken, { ...grant, issuedAt: this.clock.now() });
    return refreshToken;
  }

  /** Marks every refresh token of the user (or of everyone) as revoked or expired; returns how many. */
  markRefreshTokens(username: string | undefined, mark: 'revoked' | 'expired'): number {
    let marked = 0;
    const now = this.clock.now();
    for (const grant of this.refreshGrants.values()) {
      if (username !== undefined && grant.username.toLowerCase() !== username.toLowerCase()) continue;
      if (mark === 'revoked') grant.revokedAt ??= now;
      else grant.expired = true;
      marked += 1;
    }
    return marked;
  }

  createDeviceCode(clientId: string, scopes: string[], lifetimeSeconds: number): DeviceCodeEntry {
    let userCode: string;
    do userCode = newUserCode();
    while ([...this.deviceCodes.values()].some((entry) => entry.userCode === userCode));
    const entry: DeviceCodeEntry = {
      deviceCode: `DAQABIQEAAAD${randomBytes(96).toString('base64url')}`,
      userCode,
      clientId,
      scopes,
      expiresAt: this.clock.now() + lifetimeSeconds * 1000,
      status: 'pending',
    };
    this.deviceCodes.set(entry.deviceCode, entry);
    return entry;
  }

  deviceCodeByUserCode(userCode: string): DeviceCodeEntry | undefined {
    const wanted = userCode.trim().toUpperCase();
    return [...this.deviceCodes.values()].find((entry) => entry.userCode === wanted);
  }

  isExpired(entry: { expiresAt: number }): boolean {
    return this.clock.now() >= entry.expiresAt;
  }

  /** Keeps an authorization request until the sign-in page is answered; returns its id. */
  holdAuthorizationRequest(request: Omit<AuthorizationRequest, 'expiresAt'>): string {
    const id = randomBytes(24).toString('base64url');
    this.authorizationRequests.set(id, { ...request, expiresAt: this.clock.now() + 3600_000 });
    return id;
  }

  issueAuthorizationCode(request: AuthorizationRequest, username: string): string {
    const code = `1.A${randomBytes(64).toString('base64url')}`;
    this.authorizationCodes.set(code, {
      request,
      username,
      expiresAt: this.clock.now() + AUTHORIZATION_CODE_LIFETIME_MS,
      redeemed: false,
    });
    return code;
  }
}

/** Nine characters from an alphabet without look-alikes, like Entra's user codes. */
function newUserCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  return [...randomBytes(9)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/** A stable GUID-shaped id from a seed, so the same user gets the same `oid` in every run. */
export function deterministicGuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
