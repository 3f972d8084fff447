import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type KeyLike } from 'jose';
import { CallerAuthenticator, acceptedIssuers, callerOf, hasRole, requireRole } from '../../src/http/auth';
import { HttpProblem } from '../../src/http/problem';

/** A loopback OIDC issuer: discovery document and JWKS, as Entra ID serves them. */
describe('caller authentication', () => {
  const tenant = 'tenant-1';
  const audience = 'api://graph-token-manager';
  let server: Server;
  let authorityHost: string;
  let issuer: string;
  let privateKey: KeyLike;
  let jwk: JWK;
  let discoveryRequests = 0;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
    server = createServer((req, res) => {
      if (req.url === `/${tenant}/v2.0/.well-known/openid-configuration`) {
        discoveryRequests++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ issuer, jwks_uri: `${authorityHost}/${tenant}/discovery/v2.0/keys` }));
      } else if (req.url === `/${tenant}/discovery/v2.0/keys`) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: [jwk] }));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    authorityHost = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    issuer = `${authorityHost}/${tenant}/v2.0`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const sign = (
    claims: Record<string, unknown> = {},
    options: { key?: KeyLike; kid?: string; exp?: number } = {},
  ) =>
    new SignJWT({
      roles: ['GraphTokens.Admin'],
      upn: 'ana@contoso.example',
      tid: 't-1',
      oid: 'o-ana',
      scp: 'access',
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'key-1' })
      .setIssuer((claims.iss as string) ?? issuer)
      .setAudience((claims.aud as string) ?? audience)
      .setIssuedAt()
      .setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 600)
      .sign(options.key ?? privateKey);

  const authenticate = (authorization: string | null, query = '') =>
    new CallerAuthenticator({ authorityHost, tenant, audiences: [audience] }).authenticate(
      new Headers(authorization === null ? {} : { authorization }),
      new URLSearchParams(query),
    );

  const rejection = async (promise: Promise<unknown>): Promise<HttpProblem> => {
    try {
      await promise;
    } catch (error) {
      expect(error).toBeInstanceOf(HttpProblem);
      return error as HttpProblem;
    }
    throw new Error('expected a rejection');
  };

  it('accepts a valid token, with a case-insensitive scheme, and names the caller', async () => {
    const caller = await authenticate(`bearer ${await sign()}`);
    expect(caller).toEqual({
      actor: 't-1:o-ana',
      actorName: 'ana@contoso.example',
      roles: ['GraphTokens.Admin'],
    });
  });

  it('caches discovery across requests', async () => {
    const authenticator = new CallerAuthenticator({ authorityHost, tenant, audiences: [audience] });
    const before = discoveryRequests;
    for (let i = 0; i < 3; i++)
      await authenticator.authenticate(
        new Headers({ authorization: `Bearer ${await sign()}` }),
        new URLSearchParams(),
      );
    expect(discoveryRequests - before).toBe(1);
  });

  it.each([
    ['no header', null, undefined],
    ['another scheme', 'Basic dXNlcjpwYXNz', 'invalid_request'],
    ['an empty bearer', 'Bearer ', undefined],
  ])('answers 401 for %s', async (_name, header, error) => {
    const problem = await rejection(authenticate(header));
    expect(problem.status).toBe(401);
    expect(problem.headers['www-authenticate']).toMatch(/^Bearer realm=/);
    if (error) expect(problem.headers['www-authenticate']).toContain(`error="${error}"`);
  });

  it('refuses tokens in the query string', async () => {
    const problem = await rejection(authenticate(`Bearer ${await sign()}`, `access_token=${await sign()}`));
    expect(problem.status).toBe(401);
    expect(problem.message).toMatch(/query string/);
  });

  it.each([
    ['expired', async () => sign({}, { exp: Math.floor(Date.now() / 1000) - 120 }), /expired/],
    ['wrong audience', async () => sign({ aud: 'api://other' }), /audience/],
    ['wrong issuer', async () => sign({ iss: 'https://login.example/other/v2.0' }), /issuer/],
    [
      'another key, same kid',
      async () => sign({}, { key: (await generateKeyPair('RS256')).privateKey }),
      /signature/,
    ],
    [
      'another key, unknown kid',
      async () => sign({}, { key: (await generateKeyPair('RS256')).privateKey, kid: 'x' }),
      /signature/,
    ],
    [
      'alg none',
      async () => {
        const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const now = Math.floor(Date.now() / 1000);
        return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ iss: issuer, aud: audience, exp: now + 600, roles: ['GraphTokens.Admin'] })}.`;
      },
      /algorithm/,
    ],
    [
      'HMAC',
      async () =>
        new SignJWT({ roles: ['GraphTokens.Admin'] })
          .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
          .setIssuer(issuer)
          .setAudience(audience)
          .setExpirationTime('10m')
          .sign(new TextEncoder().encode('a-shared-secret-of-sufficient-length!!')),
      /algorithm/,
    ],
    ['garbage', async () => 'not.a.jwt', /malformed/],
  ])('answers 401 for a token that is %s', async (_name, token, message) => {
    const problem = await rejection(authenticate(`Bearer ${await token()}`));
    expect(problem.status).toBe(401);
    expect(problem.message).toMatch(message);
    expect(problem.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('answers 503 when the identity provider cannot be reached', async () => {
    const authenticator = new CallerAuthenticator({
      authorityHost: 'http://127.0.0.1:1',
      tenant,
      audiences: [audience],
    });
    const problem = await rejection(
      authenticator.authenticate(
        new Headers({ authorization: `Bearer ${await sign()}` }),
        new URLSearchParams(),
      ),
    );
    expect(problem.status).toBe(503);
    expect(problem.code).toBe('AUTHENTICATION_UNAVAILABLE');
  });
});

describe('roles and actors', () => {
  it('lets Admin imply Read but not Events.Create, and Events.Manage imply Events.Read', () => {
    const admin = { actor: 'a', actorName: 'a', roles: ['GraphTokens.Admin'] };
    expect(hasRole(admin, 'GraphTokens.Read')).toBe(true);
    expect(hasRole(admin, 'Events.Create')).toBe(false);
    expect(hasRole(admin, 'Events.Read')).toBe(false);
    expect(() => requireRole(admin, 'Events.Create')).toThrow(HttpProblem);
    const reader = { actor: 'r', actorName: 'r', roles: ['GraphTokens.Read'] };
    expect(() => requireRole(reader, 'GraphTokens.Admin')).toThrow(/GraphTokens.Admin/);
    const manager = { actor: 'm', actorName: 'm', roles: ['Events.Manage'] };
    expect(hasRole(manager, 'Events.Read')).toBe(true);
    expect(hasRole(manager, 'Events.Create')).toBe(false);
    expect(() => requireRole(manager, ['Events.Read', 'Events.Create'])).not.toThrow();
    expect(() => requireRole(reader, ['Events.Read', 'Events.Create'])).toThrow(
      /Events.Read or Events.Create/,
    );
  });

  it('keys callers on tid:oid (users and applications), the UPN or client id only as the name', () => {
    const ana = callerOf({ upn: 'ana@contoso.example', tid: 't', oid: 'o', scp: 'x' });
    expect(ana).toMatchObject({ actor: 't:o', actorName: 'ana@contoso.example' });
    // The same person after a UPN change is the same actor.
    expect(callerOf({ upn: 'ana.new@contoso.example', tid: 't', oid: 'o', scp: 'x' }).actor).toBe('t:o');
    expect(
      callerOf({ preferred_username: 'bo@contoso.example', tid: 't', oid: 'b', scp: 'x' }),
    ).toMatchObject({ actor: 't:b', actorName: 'bo@contoso.example' });
    // Applications: the service principal's oid; the client id is only the name.
    expect(callerOf({ idtyp: 'app', appid: 'app-1', tid: 't', oid: 'sp-1' })).toMatchObject({
      actor: 't:sp-1',
      actorName: 'app:app-1',
    });
    expect(callerOf({ azp: 'app-2', tid: 't', oid: 'sp-2', roles: ['GraphTokens.Read'] })).toMatchObject({
      actor: 't:sp-2',
      actorName: 'app:app-2',
    });
    expect(callerOf({ upn: 'evil\nline', tid: 't', oid: 'o' }).actorName).toBe('evil?line');
    expect(callerOf({ tid: 't\u001b[2J', oid: 'o' }).actor).toBe('t?[2J:o');
  });

  it('also accepts the v1.0 issuer of public-cloud tenants', () => {
    const tid = '11111111-1111-4111-8111-111111111111';
    expect(acceptedIssuers(`https://login.microsoftonline.com/${tid}/v2.0`)).toEqual([
      `https://login.microsoftonline.com/${tid}/v2.0`,
      `https://sts.windows.net/${tid}/`,
    ]);
    expect(acceptedIssuers('https://localhost:7072/t/v2.0')).toEqual(['https://localhost:7072/t/v2.0']);
  });
});
