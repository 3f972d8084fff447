/**
 * The sandbox's dev sign-in, served by the local host itself (src/host/devSignIn.ts), answers only
 * requests from this machine that name it: loopback peer, loopback `Host`, loopback `Origin` (when sent).
 * The host listens on 0.0.0.0 here, as a developer might start it, so the checks — not the bind address —
 * are what keeps tokens off the LAN and away from DNS-rebinding pages.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, jwtVerify } from 'jose';
import {
  foreignRequest,
  isLoopbackAddress,
  isLoopbackHostHeader,
  isLoopbackOrigin,
} from '../../src/host/devSignIn';

jest.setTimeout(60_000);

const ROOT = join(__dirname, '..', '..');
const AUTHORITY = 'https://localhost:7072';
const TENANT = 'sandbox-tenant';
const AUDIENCE = 'api://graph-token-manager';

interface Host {
  port: number;
  close(): Promise<void>;
}

let dir: string;
let publicKey: CryptoKey;

/** `node dist/host/main.js --hostname 0.0.0.0` on an empty function app, with `env` as its settings. */
function startHost(env: Record<string, string>): Promise<Host> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(ROOT, 'dist', 'host', 'main.js'),
      ...['--script-root', join(dir, 'app'), '--settings', 'none', '--port', '0', '--hostname', '0.0.0.0'],
    ],
    { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the host did not start:\n${output}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Listening on http:\/\/[^:]+:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({
          port: Number(match[1]),
          close: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the host exited with ${code}:\n${output}`));
    });
  });
}

/** A raw request, so `Host` can be anything (fetch does not let a caller set it). */
function post(
  address: string,
  port: number,
  headers: Record<string, string>,
  body = '{"role":"GraphTokens.Read"}',
  method = 'POST',
): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: address,
        port,
        method,
        path: '/api/admin/dev-sign-in',
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
            headers: res.headers,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(method === 'POST' ? body : undefined);
  });
}

const SANDBOX_ENV = (): Record<string, string> => ({
  GRAPH_AUTHORITY_HOST: AUTHORITY,
  GRAPH_TENANT: TENANT,
  GRAPH_CLIENT_ID: '11111111-1111-4111-8111-111111111111',
  GRAPH_USERNAME: 'svc@sandbox.localhost',
  API_AUDIENCE: AUDIENCE,
  SANDBOX_SIGNING_KEY_FILE: join(dir, 'idp-signing-key.json'),
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gtm-dev-sign-in-'));
  const keys = await generateKeyPair('RS256', { extractable: true });
  publicKey = keys.publicKey as CryptoKey;
  writeFileSync(join(dir, 'idp-signing-key.json'), JSON.stringify(await exportJWK(keys.privateKey)));
  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ main: 'index.js' }));
  writeFileSync(join(app, 'index.js'), '// no functions: the dev sign-in is the host’s own route\n');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a host bound to 0.0.0.0 in front of the sandbox', () => {
  let host: Host;
  beforeAll(async () => {
    host = await startHost(SANDBOX_ENV());
  });
  afterAll(async () => {
    await host?.close();
  });

  test('a loopback request naming localhost gets a short-lived token the API would accept', async () => {
    const response = await post('127.0.0.1', host.port, {
      host: `localhost:${host.port}`,
      origin: `http://localhost:${host.port}`,
    });
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const token = response.body as { access_token: string; roles: string[]; expires_in: number };
    expect(token.roles).toEqual(['GraphTokens.Read']);
    expect(token.expires_in).toBe(900);
    const { payload } = await jwtVerify(token.access_token, publicKey, {
      issuer: `${AUTHORITY}/${TENANT}/v2.0`,
      audience: AUDIENCE,
    });
    expect(payload.roles).toEqual(['GraphTokens.Read']);
  });

  test.each([
    ['127.0.0.1 with a port', { host: `127.0.0.1:7071` }],
    ['[::1] without Origin', { host: '[::1]:7071' }],
    ['127.5.6.7 and a loopback Origin', { host: '127.5.6.7', origin: 'http://127.0.0.1:9999' }],
  ])('loopback Host %s → token', async (_name, headers) => {
    expect((await post('127.0.0.1', host.port, headers)).status).toBe(200);
  });

  test.each([
    ['a foreign Host', { host: 'evil.example' }],
    ['a foreign Host with a loopback Origin', { host: 'evil.example:7071', origin: 'http://localhost:7071' }],
    ['a name that merely starts with localhost', { host: 'localhost.evil.example' }],
    ['user info in Host', { host: 'localhost@evil.example' }],
    ['a foreign Origin (DNS rebinding)', { host: 'localhost:7071', origin: 'http://evil.example' }],
    ['Origin null', { host: 'localhost', origin: 'null' }],
  ])('%s → 403 and no token', async (_name, headers) => {
    const response = await post('127.0.0.1', host.port, headers);
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('DEV_SIGN_IN_REFUSED');
    expect(response.body).not.toHaveProperty('access_token');
    expect(JSON.stringify(response.body)).not.toMatch(/eyJ/);
  });

  test('a request through a non-loopback address of this machine → 403, even naming localhost', async () => {
    const lan = Object.values(networkInterfaces())
      .flat()
      .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal);
    if (lan === undefined) return; // loopback-only machine (CI's network namespace): nothing to reach
    const response = await post(lan.address, host.port, { host: 'localhost', origin: 'http://localhost' });
    expect(response.status).toBe(403);
    expect(response.body).not.toHaveProperty('access_token');
  });

  test('only POST, with a JSON body naming a known role', async () => {
    const get = await post('127.0.0.1', host.port, { host: 'localhost' }, '', 'GET');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const bad = await post('127.0.0.1', host.port, { host: 'localhost' }, '{"role":"Global.Administrator"}');
    expect(bad.status).toBe(400);
    const text = await post('127.0.0.1', host.port, { host: 'localhost', 'content-type': 'text/plain' }, 'x');
    expect(text.status).toBe(415);
  });
});

test('with a real tenant the route does not exist', async () => {
  const host = await startHost({
    ...SANDBOX_ENV(),
    GRAPH_AUTHORITY_HOST: 'https://login.microsoftonline.com',
  });
  try {
    const response = await post('127.0.0.1', host.port, { host: 'localhost' });
    expect(response.status).toBe(404);
    expect(response.body).not.toHaveProperty('access_token');
  } finally {
    await host.close();
  }
});

describe('the checks', () => {
  test('peer addresses', () => {
    for (const a of ['127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.1'])
      expect(isLoopbackAddress(a)).toBe(true);
    for (const a of ['10.0.0.5', '::ffff:10.0.0.5', '0.0.0.0', 'fe80::1', undefined, '']) {
      expect(isLoopbackAddress(a)).toBe(false);
    }
  });

  test('Host and Origin values', () => {
    for (const h of ['localhost', 'LOCALHOST:7071', '127.0.0.1:80', '[::1]', '[::1]:7071']) {
      expect(isLoopbackHostHeader(h)).toBe(true);
    }
    for (const h of [
      'evil.example',
      'localhost.evil.example',
      'localhost@evil.example',
      '127.0.0.1.nip.io',
      'localhost/x',
      '',
      undefined,
    ]) {
      expect(isLoopbackHostHeader(h)).toBe(false);
    }
    expect(isLoopbackOrigin('http://localhost:7071')).toBe(true);
    expect(isLoopbackOrigin('https://127.0.0.1')).toBe(true);
    for (const o of ['null', 'http://evil.example', 'file://', 'chrome-extension://abc'])
      expect(isLoopbackOrigin(o)).toBe(false);
  });

  test('a request from the LAN naming localhost is foreign', () => {
    const req = { socket: { remoteAddress: '192.168.1.20' }, headers: { host: 'localhost:7071' } };
    expect(foreignRequest(req as never)).toMatch(/does not come from this machine/);
  });
});
