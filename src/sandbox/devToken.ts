/**
 * Bearer tokens for the local sandbox, signed with the sandbox identity provider's persisted key, so the
 * local API accepts them exactly as it accepts Entra ID tokens (issuer, audience, signature, expiry).
 * Used by `graph-tokens dev-token` and by the admin page's password-less dev sign-in. Refused unless the
 * configured identity provider is on this machine: a real tenant never sees a dev token.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { sandboxDirectory, type Config, type Environment } from '../lib/config';

export { API_ROLES } from '../lib/roles';

/** Where `npm start` keeps the sandbox identity provider's signing key (relative to the project). */
export const SIGNING_KEY_FILE_NAME = 'idp-signing-key.json';
export const DEFAULT_SIGNING_KEY_FILE = join('.sandbox', SIGNING_KEY_FILE_NAME);

/** Overrides the key file location (tests start their own sandbox with its own key). */
export const SIGNING_KEY_VARIABLE = 'SANDBOX_SIGNING_KEY_FILE';

export interface DevTokenRequest {
  roles: readonly string[];
  /** Lifetime in seconds; negative gives a token that expired that long ago (for tests). */
  expiresInSeconds: number;
  audience?: string;
  upn?: string;
  name?: string;
  /** The caller's object id (default: stable per user name or application). */
  oid?: string;
  /** An application caller (`idtyp: app`, no user) with this client id. */
  app?: string;
}

/** The user of dev tokens unless `--upn` says otherwise. */
export const DEV_UPN = 'dev-operator@sandbox.localhost';

export interface DevToken {
  access_token: string;
  token_type: 'Bearer';
  expires_at: string;
  expires_in: number;
  roles: string[];
  audience: string;
  issuer: string;
  /** The user, or `app:<client id>` for an application caller. */
  upn: string;
  oid: string;
  tid: string;
}

/** Why no dev token: not the sandbox (`DEV_TOKEN_REFUSED`) or the sandbox is not set up. */
export class DevTokenError extends Error {
  constructor(
    readonly code: 'DEV_TOKEN_REFUSED' | 'DEV_TOKEN_UNAVAILABLE',
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'DevTokenError';
  }
}

/**
 * The sandbox signing key: `SANDBOX_SIGNING_KEY_FILE`, else `idp-signing-key.json` in the sandbox
 * directory (`GRAPH_SANDBOX_DIR`, else `.sandbox/` in `cwd`), where `npm start` persists it.
 */
export function signingKeyPath(env: Environment, cwd: string): string {
  const configured = env[SIGNING_KEY_VARIABLE]?.trim();
  if (configured) return isAbsolute(configured) ? configured : join(cwd, configured);
  return join(sandboxDirectory(env, cwd), SIGNING_KEY_FILE_NAME);
}

/** The issuer the API checks: Entra ID's v2.0 issuer shape on the sandbox host. */
export function sandboxIssuer(config: Config): string {
  return `${config.authorityHost}/${config.tenant}/v2.0`;
}

/** A stable object id per user name, so audit entries of one dev user group together. */
function devObjectId(upn: string): string {
  const h = createHash('sha256').update(`graph-token-manager-dev:${upn}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export async function issueDevToken(
  config: Config,
  env: Environment,
  cwd: string,
  request: DevTokenRequest,
  now: number = Date.now(),
): Promise<DevToken> {
  if (!config.isSandbox) {
    throw new DevTokenError(
      'DEV_TOKEN_REFUSED',
      `dev tokens are only issued by the local sandbox, and GRAPH_AUTHORITY_HOST is ${config.authorityHost} (a real identity provider)`,
      'Sign in with Entra ID to call this API. For local development run `npm start` and use the CLI in the ' +
        'same directory: it writes local.settings.json pointing at the sandbox.',
    );
  }
  if (!config.tenant) {
    throw new DevTokenError(
      'DEV_TOKEN_UNAVAILABLE',
      'GRAPH_TENANT is not set',
      'Set GRAPH_TENANT (the sandbox tenant) in the environment or local.settings.json.',
    );
  }
  const audience = request.audience ?? config.apiAudience;
  if (!audience) {
    throw new DevTokenError(
      'DEV_TOKEN_UNAVAILABLE',
      'API_AUDIENCE is not set',
      'Set API_AUDIENCE (the audience the local API checks) or pass --audience.',
    );
  }
  const keyFile = signingKeyPath(env, cwd);
  if (!existsSync(keyFile)) {
    throw new DevTokenError(
      'DEV_TOKEN_UNAVAILABLE',
      `the sandbox signing key ${keyFile} does not exist`,
      `Start the local stack with \`npm start\` in this directory (it creates the key), or set ${SIGNING_KEY_VARIABLE}.`,
    );
  }
  // An application caller has no user: its name is its client id, its oid its service principal's.
  const upn = request.app !== undefined ? `app:${request.app}` : (request.upn ?? DEV_UPN);
  const oid = (request.oid ?? devObjectId(upn)).toLowerCase();
  const issuer = sandboxIssuer(config);
  // Loaded on demand: the sandbox code is never needed by a function app in Azure.
  const { signWithStoredKey } = await import('./identityProvider');
  const token = await signWithStoredKey(keyFile, issuer, {
    audience,
    roles: [...request.roles],
    expiresInSeconds: request.expiresInSeconds,
    oid,
    ...(request.app !== undefined
      ? {
          appid: request.app,
          // No user claims at all: the API must see an application (docs/http.md).
          extra: {
            idtyp: 'app',
            upn: undefined,
            preferred_username: undefined,
            name: undefined,
            scp: undefined,
          },
        }
      : { upn, name: request.name ?? 'Sandbox operator' }),
  });
  const exp = Math.floor(now / 1000) + request.expiresInSeconds;
  return {
    access_token: token,
    token_type: 'Bearer',
    expires_at: new Date(exp * 1000).toISOString(),
    expires_in: request.expiresInSeconds,
    roles: [...request.roles],
    audience,
    issuer,
    upn,
    oid,
    tid: config.tenant,
  };
}
