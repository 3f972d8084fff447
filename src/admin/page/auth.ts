/**
 * Sign-in for the admin page. In Azure: Entra ID, authorization code + PKCE through `@azure/msal-browser`
 * (bundled, never from a CDN). In the local sandbox: a password-less dev sign-in that asks the function
 * app for a short-lived token signed with the sandbox identity provider's key.
 */
import {
  type AccountInfo,
  BrowserCacheLocation,
  InteractionRequiredAuthError,
  PublicClientApplication,
} from '@azure/msal-browser';
import { ApiError, readResponse } from './api';

/** `GET /api/admin/config.json`. */
export interface AdminConfig {
  mode: 'sandbox' | 'entra';
  authority: string;
  clientId: string | null;
  scopes: string[];
}

export const ADMIN_ROLE = 'GraphTokens.Admin';
export const READ_ROLE = 'GraphTokens.Read';

export interface Session {
  /** Who is signed in, for the header. */
  name: string;
  /** App roles from the access token; the API decides, this only shapes the page. */
  roles: string[];
  token(): Promise<string>;
  signOut(): Promise<void>;
}

export interface Auth {
  /** The session that survives a reload or comes back from the identity provider, if any. */
  restore(): Promise<Session | null>;
  /** Dev mode: signs in with the role at once. Entra mode: navigates away to sign in. */
  signIn(role: typeof ADMIN_ROLE | typeof READ_ROLE): Promise<Session | null>;
}

/** The payload of a JWT, for display only (the API validates the token). */
export function jwtClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(
      Array.from(atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '=')))
        .map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
        .join(''),
    );
    const claims = JSON.parse(json) as unknown;
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function rolesOf(claims: Record<string, unknown>): string[] {
  return Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
}

function nameOf(claims: Record<string, unknown>, fallback: string): string {
  for (const key of ['name', 'preferred_username', 'upn']) {
    const v = claims[key];
    if (typeof v === 'string' && v)
      return key === 'name' && typeof claims.upn === 'string' ? `${v} (${claims.upn})` : v;
  }
  return fallback;
}

const DEV_STORAGE_KEY = 'graph-token-manager.dev-session';

interface DevTokenResponse {
  access_token: string;
  expires_at: string;
}

/** Sandbox only: `POST /api/admin/dev-sign-in`. The token is kept in sessionStorage (this tab only). */
export class DevAuth implements Auth {
  constructor(private readonly adminBase: string) {}

  async restore(): Promise<Session | null> {
    const raw = sessionStorage.getItem(DEV_STORAGE_KEY);
    if (!raw) return null;
    try {
      const stored = JSON.parse(raw) as DevTokenResponse;
      if (Date.parse(stored.expires_at) - Date.now() < 30_000) throw new Error('expired');
      return this.session(stored);
    } catch {
      sessionStorage.removeItem(DEV_STORAGE_KEY);
      return null;
    }
  }

  async signIn(role: string): Promise<Session> {
    const response = await fetch(`${this.adminBase}/dev-sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ role }),
      credentials: 'omit',
      cache: 'no-store',
    });
    const token = await readResponse<DevTokenResponse>(response, 'POST /api/admin/dev-sign-in');
    sessionStorage.setItem(DEV_STORAGE_KEY, JSON.stringify(token));
    return this.session(token);
  }

  private session(stored: DevTokenResponse): Session {
    const claims = jwtClaims(stored.access_token);
    return {
      name: nameOf(claims, 'sandbox operator'),
      roles: rolesOf(claims),
      token: async () => {
        if (Date.parse(stored.expires_at) <= Date.now()) {
          throw new ApiError({
            status: 401,
            title: 'Session expired',
            detail: 'The dev sign-in token has expired.',
            code: 'SESSION_EXPIRED',
            hint: 'Sign out and use a dev sign-in button again.',
            correlation_id: null,
          });
        }
        return stored.access_token;
      },
      signOut: async () => {
        sessionStorage.removeItem(DEV_STORAGE_KEY);
      },
    };
  }
}

/** Entra ID: authorization code flow with PKCE (MSAL's only flow for single-page apps). */
export class EntraAuth implements Auth {
  private readonly msal: PublicClientApplication;

  constructor(
    private readonly config: AdminConfig & { clientId: string },
    redirectUri: string,
  ) {
    this.msal = new PublicClientApplication({
      auth: {
        clientId: config.clientId,
        authority: config.authority,
        // The authority is trusted as configured: no instance discovery on another host (the CSP only
        // allows this one), which also lets the page run against the sandbox identity provider.
        knownAuthorities: [new URL(config.authority).host],
        redirectUri,
      },
      // sessionStorage: the sign-in ends with the tab, and tokens are not shared with other tabs.
      cache: { cacheLocation: BrowserCacheLocation.SessionStorage },
    });
  }

  async restore(): Promise<Session | null> {
    await this.msal.initialize();
    const result = await this.msal.handleRedirectPromise();
    const account = result?.account ?? this.msal.getAllAccounts()[0] ?? null;
    if (!account) return null;
    this.msal.setActiveAccount(account);
    const token = await this.token(account);
    return this.session(account, token);
  }

  async signIn(): Promise<null> {
    await this.msal.loginRedirect({ scopes: this.config.scopes });
    return null;
  }

  private async token(account: AccountInfo): Promise<string> {
    try {
      const result = await this.msal.acquireTokenSilent({ scopes: this.config.scopes, account });
      return result.accessToken;
    } catch (error) {
      if (error instanceof InteractionRequiredAuthError) {
        await this.msal.acquireTokenRedirect({ scopes: this.config.scopes, account });
      }
      throw error;
    }
  }

  private session(account: AccountInfo, firstToken: string): Session {
    const claims = jwtClaims(firstToken);
    return {
      name: account.name ? `${account.name} (${account.username})` : account.username,
      roles: rolesOf(claims),
      token: () => this.token(account),
      signOut: () => this.msal.logoutRedirect({ account, postLogoutRedirectUri: location.href }),
    };
  }
}
