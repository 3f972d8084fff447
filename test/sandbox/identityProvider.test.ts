/**
 * The sandbox identity provider must be Entra-shaped enough that the real MSAL code paths run against it:
 * discovery, ROPC, silent refresh with a refresh token, Entra error codes and throttling headers.
 * Needs NODE_EXTRA_CA_CERTS (run through scripts/with-sandbox-ca.js).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PublicClientApplication, type AuthenticationResult } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { SANDBOX_DEFAULTS, SandboxIdentityProvider, signWithStoredKey } from '../../src/sandbox';
import type { SandboxRequestLog } from '../../src/sandbox';

const SCOPES = ['https://graph.microsoft.com/Group.ReadWrite.All', 'https://graph.microsoft.com/User.Read'];

function msalFor(idp: SandboxIdentityProvider): PublicClientApplication {
  return new PublicClientApplication({
    auth: {
      clientId: idp.clientId,
      authority: `${idp.authorityHost}/${idp.tenant}`,
      knownAuthorities: [new URL(idp.authorityHost).host],
    },
  });
}

async function ropc(
  pca: PublicClientApplication,
  password: string = SANDBOX_DEFAULTS.password,
): Promise<AuthenticationResult> {
  const result = await pca.acquireTokenByUsernamePassword({
    scopes: SCOPES,
    username: SANDBOX_DEFAULTS.username,
    password,
  });
  if (!result) throw new Error('MSAL returned no result');
  return result;
}

async function postToken(idp: SandboxIdentityProvider, form: Record<string, string>): Promise<Response> {
  return fetch(`${idp.authorityHost}/${idp.tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams(form),
  });
}

describe('SandboxIdentityProvider', () => {
  let idp: SandboxIdentityProvider;

  beforeAll(async () => {
    idp = await SandboxIdentityProvider.start();
  });
  afterAll(() => idp.close());
  beforeEach(() => {
    idp.clearFaults();
    idp.resetCounts();
    idp.setPassword(SANDBOX_DEFAULTS.username, SANDBOX_DEFAULTS.password);
    idp.setAccessTokenLifetime(3600);
  });

  it('serves Entra-shaped discovery documents', async () => {
    expect(idp.authorityHost).toMatch(/^https:\/\/localhost:\d+$/);
    expect(idp.issuer).toBe(`${idp.authorityHost}/${idp.tenant}/v2.0`);
    const config = (await (
      await fetch(`${idp.authorityHost}/${idp.tenant}/v2.0/.well-known/openid-configuration`)
    ).json()) as Record<string, string>;
    expect(config.issuer).toBe(idp.issuer);
    expect(config.token_endpoint).toBe(`${idp.authorityHost}/${idp.tenant}/oauth2/v2.0/token`);
    const jwks = (await (await fetch(config.jwks_uri)).json()) as {
      keys: Array<{ kid?: string; d?: string }>;
    };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0].kid).toBeTruthy();
    expect(jwks.keys[0].d).toBeUndefined();
    const instance = (await (
      await fetch(`${idp.authorityHost}/common/discovery/instance?api-version=1.1`)
    ).json()) as {
      metadata: Array<{ preferred_network: string }>;
    };
    expect(instance.metadata[0].preferred_network).toBe(new URL(idp.authorityHost).host);
    expect(idp.counts).toMatchObject({ discovery: 1, jwks: 1, instance_discovery: 1 });
    const unknown = await fetch(`${idp.authorityHost}/not-a-tenant/v2.0/.well-known/openid-configuration`);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error_codes: number[] }).error_codes).toEqual([90002]);
  });

  it('issues tokens to MSAL by ROPC and refreshes them with the refresh token', async () => {
    const pca = msalFor(idp);
    const first = await ropc(pca);
    expect(idp.counts.password).toBe(1);
    expect(first.account?.username).toBe(SANDBOX_DEFAULTS.username);
    expect(first.account?.tenantId).toBe(idp.tenant);
    const claims = decodeJwt(first.accessToken);
    expect(claims).toMatchObject({
      aud: 'https://graph.microsoft.com',
      iss: idp.issuer,
      tid: idp.tenant,
      upn: SANDBOX_DEFAULTS.username,
      scp: 'Group.ReadWrite.All User.Read',
    });
    expect(await idp.verifyAccessToken(first.accessToken)).toMatchObject({ upn: SANDBOX_DEFAULTS.username });

    // A cached token is served without a request; forceRefresh uses the refresh token, not the password.
    const cached = await pca.acquireTokenSilent({ account: first.account!, scopes: SCOPES });
    expect(cached.accessToken).toBe(first.accessToken);
    expect(idp.counts.token).toBe(1);
    const refreshed = await pca.acquireTokenSilent({
      account: first.account!,
      scopes: SCOPES,
      forceRefresh: true,
    });
    expect(refreshed.accessToken).not.toBe(first.accessToken);
    expect(idp.counts).toMatchObject({ token: 2, password: 1, refresh_token: 1 });
  });

  it('rejects a wrong password with AADSTS50126, and revoked refresh tokens with AADSTS70008', async () => {
    const pca = msalFor(idp);
    await expect(ropc(pca, 'wrong-password')).rejects.toMatchObject({
      errorCode: 'invalid_grant',
      errorMessage: expect.stringContaining('AADSTS50126'),
    });

    const result = await ropc(pca);
    idp.revokeRefreshTokens();
    await expect(
      pca.acquireTokenSilent({ account: result.account!, scopes: SCOPES, forceRefresh: true }),
    ).rejects.toMatchObject({ errorMessage: expect.stringContaining('AADSTS70008') });

    idp.setPassword(SANDBOX_DEFAULTS.username, 'A-New-Passw0rd!');
    await expect(ropc(msalFor(idp))).rejects.toMatchObject({
      errorMessage: expect.stringContaining('AADSTS50126'),
    });
    await expect(ropc(msalFor(idp), 'A-New-Passw0rd!')).resolves.toBeTruthy();
  });

  it('answers Entra-style errors for unknown clients, users and grants', async () => {
    const base = {
      grant_type: 'password',
      username: SANDBOX_DEFAULTS.username,
      password: SANDBOX_DEFAULTS.password,
    };
    const wrongClient = await postToken(idp, { ...base, client_id: 'nope', scope: 'User.Read' });
    const wrongClientBody = (await wrongClient.json()) as {
      error: string;
      error_codes: number[];
      error_description: string;
    };
    expect(wrongClient.status).toBe(400);
    expect(wrongClientBody).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
    expect(wrongClientBody.error_description).toMatch(
      /^AADSTS700016: .*\r\nTrace ID: .+\r\nCorrelation ID: .+\r\nTimestamp: /s,
    );

    const unknownUser = await postToken(idp, {
      ...base,
      client_id: idp.clientId,
      username: 'ghost@contoso.example',
    });
    expect(((await unknownUser.json()) as { error_codes: number[] }).error_codes).toEqual([50034]);

    const noRefresh = await postToken(idp, { ...base, client_id: idp.clientId, scope: 'User.Read' });
    const noRefreshBody = (await noRefresh.json()) as Record<string, unknown>;
    expect(noRefresh.status).toBe(200);
    expect(noRefreshBody.refresh_token).toBeUndefined(); // no offline_access, no refresh token

    const unsupported = await postToken(idp, { grant_type: 'implicit', client_id: idp.clientId });
    expect(((await unsupported.json()) as { error: string }).error).toBe('unsupported_grant_type');
  });

  it('applies injected faults: AADSTS codes, 429 with Retry-After, drops, delays and counted uses', async () => {
    idp.injectFault({ kind: 'aadsts', code: 50076, grant: 'password', times: 1 });
    const mfa = await postToken(idp, {
      grant_type: 'password',
      client_id: idp.clientId,
      username: SANDBOX_DEFAULTS.username,
      password: SANDBOX_DEFAULTS.password,
    });
    expect(((await mfa.json()) as { error_codes: number[]; suberror: string }).suberror).toBe('basic_action');

    idp.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 7, times: 1 });
    await expect(ropc(msalFor(idp))).rejects.toMatchObject({
      errorMessage: expect.stringContaining('HTTP 429'),
    });
    const throttled = await (async () => {
      idp.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 7, times: 1 });
      return postToken(idp, { grant_type: 'password' });
    })();
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');

    idp.injectFault({ kind: 'drop', times: 1 });
    await expect(postToken(idp, { grant_type: 'password' })).rejects.toThrow();

    idp.injectFault({ kind: 'delay', ms: 300, grant: 'client_credentials', times: 1 });
    const started = Date.now();
    const slow = await postToken(idp, {
      grant_type: 'client_credentials',
      client_id: 'app',
      client_secret: 'secret',
      scope: 'https://vault.azure.net/.default',
    });
    expect(slow.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    // Faults aimed at another grant leave this one alone; exhausted faults are gone.
    idp.injectFault({ kind: 'status', status: 503, grant: 'refresh_token' });
    await expect(ropc(msalFor(idp))).resolves.toBeTruthy();
    idp.clearFaults();
    expect(idp.counts.token).toBe(6);
  });

  it('exposes control endpoints for manual fault injection', async () => {
    const control = (route: string, init?: RequestInit): Promise<Response> =>
      fetch(`${idp.authorityHost}/_sandbox/${route}`, init);
    const bad = await control('faults', {
      method: 'POST',
      body: JSON.stringify({ kind: 'aadsts', code: 'x' }),
    });
    expect(bad.status).toBe(400);
    const added = await control('faults', {
      method: 'POST',
      body: JSON.stringify({ kind: 'aadsts', code: 50053, times: 1 }),
    });
    expect(added.status).toBe(201);
    await expect(ropc(msalFor(idp))).rejects.toMatchObject({
      errorMessage: expect.stringContaining('AADSTS50053'),
    });
    expect(((await (await control('counts')).json()) as { password: number }).password).toBe(1);

    expect(
      (
        await control('password', {
          method: 'POST',
          body: JSON.stringify({ username: SANDBOX_DEFAULTS.username, password: 'Changed-1!' }),
        })
      ).status,
    ).toBe(204);
    await expect(ropc(msalFor(idp), 'Changed-1!')).resolves.toBeTruthy();
    expect(
      (await control('token-lifetime', { method: 'POST', body: JSON.stringify({ seconds: 600 }) })).status,
    ).toBe(204);
    const short = await ropc(msalFor(idp), 'Changed-1!');
    const remaining = short.expiresOn!.getTime() - Date.now();
    expect(remaining).toBeGreaterThan(590_000);
    expect(remaining).toBeLessThanOrEqual(601_000);
    expect((await control('revoke-refresh-tokens', { method: 'POST' })).status).toBe(204);
    expect((await control('faults', { method: 'DELETE' })).status).toBe(204);

    const minted = (await (
      await control('api-token', { method: 'POST', body: JSON.stringify({ roles: ['GraphTokens.Admin'] }) })
    ).json()) as { access_token: string };
    expect(decodeJwt(minted.access_token)).toMatchObject({
      aud: idp.apiAudience,
      roles: ['GraphTokens.Admin'],
    });
  });

  it('reports each request to onRequest without query strings or bodies', async () => {
    const entries: SandboxRequestLog[] = [];
    const logged = await SandboxIdentityProvider.start({ onRequest: (entry) => entries.push(entry) });
    try {
      await fetch(`${logged.authorityHost}/common/discovery/instance?api-version=1.1&secret=x`);
      logged.injectFault({ kind: 'drop', times: 1 });
      await expect(postToken(logged, { grant_type: 'password', password: 'p' })).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(entries).toEqual([
        expect.objectContaining({
          service: 'identity-provider',
          method: 'GET',
          path: '/common/discovery/instance',
          status: 200,
        }),
        expect.objectContaining({ method: 'POST', path: `/${logged.tenant}/oauth2/v2.0/token`, status: 0 }),
      ]);
      expect(JSON.stringify(entries)).not.toContain('secret');
    } finally {
      await logged.close();
    }
  });

  it('signs API tokens, also from a stored key without a running server', async () => {
    const token = await idp.signApiToken({ roles: ['Events.Create'], upn: 'ana@contoso.example' });
    expect(decodeJwt(token)).toMatchObject({
      iss: idp.issuer,
      aud: 'api://graph-token-manager',
      roles: ['Events.Create'],
      upn: 'ana@contoso.example',
      tid: idp.tenant,
    });
    const check = await idp.verifyToken(token, { audience: idp.apiAudience });
    expect(check.ok).toBe(true);
    const expired = await idp.signApiToken({ expiresInSeconds: -60 });
    expect(await idp.verifyToken(expired, { audience: idp.apiAudience })).toEqual({
      ok: false,
      reason: 'expired',
    });

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idp-key-'));
    const signingKeyPath = path.join(dir, 'key.json');
    const persistent = await SandboxIdentityProvider.start({ signingKeyPath });
    try {
      const offline = await signWithStoredKey(signingKeyPath, persistent.issuer, {
        roles: ['GraphTokens.Read'],
      });
      expect(await persistent.verifyToken(offline, { audience: persistent.apiAudience })).toMatchObject({
        ok: true,
      });
      // A restarted provider with the same key file accepts the same tokens.
      const restarted = await SandboxIdentityProvider.start({ signingKeyPath, port: 0 });
      try {
        const sameIssuer = await signWithStoredKey(signingKeyPath, restarted.issuer, {
          roles: ['GraphTokens.Read'],
        });
        expect(await restarted.verifyToken(sameIssuer, { audience: restarted.apiAudience })).toMatchObject({
          ok: true,
        });
      } finally {
        await restarted.close();
      }
    } finally {
      await persistent.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
