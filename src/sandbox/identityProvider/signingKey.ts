/**
 * The provider's RS256 signing key (optionally persisted, so other processes sign with the same key) and
 * the tokens signed with it: JWTs of any shape, API tokens for callers of the service, verification.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  SignJWT,
  calculateJwkThumbprint,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  type KeyLike,
} from 'jose';
import { nowSeconds } from '../http';
import { SANDBOX_DEFAULTS, type ApiTokenClaims, type TokenRejection } from './options';

export interface SigningKey {
  kid: string;
  privateKey: KeyLike;
  publicKey: KeyLike;
  publicJwk: JWK;
}

export interface TokenContext {
  issuer: string;
  tenant: string;
  defaultAudience: string;
}

export function signJwt(key: SigningKey, payload: JWTPayload): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
    .sign(key.privateKey);
}

export async function loadOrCreateSigningKey(keyPath: string | undefined): Promise<SigningKey> {
  if (keyPath && fs.existsSync(keyPath)) {
    return importSigningKey(JSON.parse(fs.readFileSync(keyPath, 'utf8')) as JWK);
  }
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  jwk.kid = await calculateJwkThumbprint(jwk);
  jwk.alg = 'RS256';
  jwk.use = 'sig';
  if (keyPath) {
    fs.mkdirSync(path.dirname(keyPath), { recursive: true });
    const tmp = `${keyPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(jwk), { mode: 0o600 });
    try {
      // link() fails if the file exists: when two processes race, both end up with the first one's key.
      fs.linkSync(tmp, keyPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return importSigningKey(JSON.parse(fs.readFileSync(keyPath, 'utf8')) as JWK);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  return importSigningKey(jwk);
}

async function importSigningKey(jwk: JWK): Promise<SigningKey> {
  if (jwk.kty !== 'RSA' || !jwk.d) throw new Error('The sandbox signing key must be a private RSA JWK');
  const publicJwk: JWK = { kty: 'RSA', n: jwk.n, e: jwk.e };
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicJwk));
  const privateKey = (await importJWK({ ...jwk, alg: 'RS256' }, 'RS256')) as KeyLike;
  const publicKey = (await importJWK({ ...publicJwk, alg: 'RS256' }, 'RS256')) as KeyLike;
  return { kid, privateKey, publicKey, publicJwk: { ...publicJwk, kid, use: 'sig', alg: 'RS256' } };
}

/**
 * Signs a dev API token with a signing key persisted by `SandboxIdentityProvider.start({ signingKeyPath })`,
 * without a running server (the CLI's `dev-token`). The tenant (`tid`) is read from the issuer's path.
 */
export async function signWithStoredKey(
  signingKeyPath: string,
  issuer: string,
  claims: ApiTokenClaims | undefined,
): Promise<string> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(fs.readFileSync(signingKeyPath, 'utf8')) as JWK;
  } catch (error) {
    throw new Error(
      `Cannot read the sandbox signing key ${signingKeyPath}: ${(error as Error).message}. Is the sandbox (npm start) set up?`,
    );
  }
  const key = await importSigningKey(jwk);
  const tenant = new URL(issuer).pathname.split('/').filter(Boolean)[0] ?? SANDBOX_DEFAULTS.tenant;
  return signApiTokenWith(
    key,
    { issuer, tenant, defaultAudience: SANDBOX_DEFAULTS.apiAudience },
    claims ?? {},
  );
}

export async function signApiTokenWith(
  key: SigningKey,
  context: TokenContext,
  claims: ApiTokenClaims,
): Promise<string> {
  const now = nowSeconds();
  const lifetime = claims.expiresInSeconds ?? 3600;
  const exp = now + lifetime;
  // An already-expired token still has a plausible history: issued an hour before it expired.
  const iat = lifetime > 0 ? now : exp - 3600;
  const caller = SANDBOX_DEFAULTS.devCaller;
  const oid = claims.oid ?? caller.oid;
  const upn = claims.upn ?? caller.upn;
  const payload: JWTPayload = {
    aud: claims.audience ?? context.defaultAudience,
    iss: context.issuer,
    iat,
    nbf: iat,
    exp,
    tid: context.tenant,
    oid,
    sub: oid,
    upn,
    preferred_username: upn,
    name: claims.name ?? caller.name,
    appid: claims.appid ?? caller.appid,
    azp: claims.appid ?? caller.appid,
    ver: '2.0',
    uti: randomBytes(16).toString('base64url'),
  };
  if (claims.roles && claims.roles.length > 0) payload.roles = claims.roles;
  Object.assign(payload, claims.extra);
  return signJwt(key, payload);
}

export function rejectionOf(error: unknown): TokenRejection {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'bad_audience';
    if (error.claim === 'iss') return 'bad_issuer';
    if (error.claim === 'nbf' || error.claim === 'iat') return 'not_yet_valid';
    return 'malformed';
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad_signature';
  return 'malformed';
}
