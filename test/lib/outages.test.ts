/**
 * Outages of the two systems under the token (docs/architecture.md): Table Storage stopped or cutting connections,
 * the identity provider unreachable. Each surfaces as a coded GraphTokenError whose message names no raw
 * socket code; a token held in memory keeps being served through a storage outage; and when the
 * write-ahead of a password grant cannot be stored, the password is never sent.
 */
import net from 'node:net';
import { GraphTokenError } from '../../src/lib';
import { emulatorConnectionString } from '../../src/lib/store';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { TcpProxy } from '../../src/sandbox/tcpProxy';
import { FastClock, freshEnv, service } from './helpers';

jest.setTimeout(120_000);

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: false });
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => {
  sandbox.idp.clearFaults();
  sandbox.idp.resetCounts();
});
/** Proxies to close after each test, also when it failed. */
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const RAW_SOCKET_CODE = /ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|UND_ERR|fetch failed|socket hang up/;

function azuriteTarget(): { host: string; port: number } {
  const endpoint = /TableEndpoint=([^;]+)/i.exec(sandbox.env.AzureWebJobsStorage!)?.[1];
  const url = new URL(endpoint ?? 'http://127.0.0.1:10002/devstoreaccount1');
  return { host: url.hostname, port: Number(url.port) };
}

/** The environment of a service whose storage goes through `port`. */
function throughPort(port: number): Record<string, string> {
  return freshEnv(sandbox, {
    AzureWebJobsStorage: emulatorConnectionString(`http://127.0.0.1:${port}/devstoreaccount1`),
  });
}

/**
 * A proxy to Azurite that resets (destroys) a connection whose request matches `cut`: a storage
 * outage that strikes one kind of write, the way a connection reset does in production.
 */
async function cuttingProxy(
  cut: (chunk: string) => boolean,
): Promise<{ port: number; close(): Promise<void> }> {
  const target = azuriteTarget();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      if (cut(chunk.toString('latin1'))) {
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  closers.push(close);
  return { port: (server.address() as net.AddressInfo).port, close };
}

it('a write-ahead that cannot be stored sends no password (coded STORAGE_UNAVAILABLE)', async () => {
  let cutting = true;
  const proxy = await cuttingProxy((chunk) => cutting && chunk.includes('attempt') && chunk.includes('flow'));
  const svc = service(throughPort(proxy.port), { clock: new FastClock() });
  const error = (await svc.acquireToken().catch((e: unknown) => e)) as GraphTokenError;
  expect(error).toBeInstanceOf(GraphTokenError);
  expect(error.code).toBe('STORAGE_UNAVAILABLE');
  expect(error.message).toMatch(/^Password not sent/);
  expect(error.message).not.toMatch(RAW_SOCKET_CODE);
  expect(sandbox.idp.counts.password).toBe(0);
  cutting = false;
  await expect(svc.acquireToken()).resolves.toMatchObject({ token: { source: 'ropc' } });
  expect(sandbox.idp.counts.password).toBe(1);
  await svc.close();
  await proxy.close();
});

describe('storage outage', () => {
  let proxy: TcpProxy;
  beforeEach(async () => {
    proxy = await TcpProxy.start(azuriteTarget());
  });
  afterEach(async () => {
    await proxy.close();
  });

  it('the memory cache keeps serving a valid token; calls that need storage fail coded', async () => {
    const clock = new FastClock();
    const svc = service(throughPort(proxy.port), { clock });
    const token = await svc.getAccessToken();
    await proxy.down();
    // A memory hit does no I/O; past the memory-cache lifetime the held, still valid token is served.
    expect(await svc.getAccessToken()).toBe(token);
    clock.advance(301_000);
    expect(await svc.getAccessToken()).toBe(token);
    // A forced acquire wants a new token, so it cannot be served from memory.
    const forced = (await svc
      .acquireToken({ forceRefresh: true })
      .catch((e: unknown) => e)) as GraphTokenError;
    expect(forced).toBeInstanceOf(GraphTokenError);
    expect(forced.code).toBe('STORAGE_UNAVAILABLE');
    expect(forced.message).not.toMatch(RAW_SOCKET_CODE);
    const listed = (await svc.listTokens().catch((e: unknown) => e)) as GraphTokenError;
    expect(listed.code).toBe('STORAGE_UNAVAILABLE');
    expect(JSON.stringify(listed)).not.toMatch(RAW_SOCKET_CODE);
    await proxy.up();
    expect(await svc.getAccessToken()).toBe(token);
    await svc.close();
  });

  it('connections reset mid-request surface as STORAGE_UNAVAILABLE, never a raw ECONNRESET', async () => {
    const cut = await cuttingProxy(() => true);
    const svc = service(throughPort(cut.port), { clock: new FastClock() });
    const error = (await svc.acquireToken().catch((e: unknown) => e)) as GraphTokenError;
    expect(error).toBeInstanceOf(GraphTokenError);
    expect(error.code).toBe('STORAGE_UNAVAILABLE');
    expect(error.message).not.toMatch(RAW_SOCKET_CODE);
    expect(JSON.stringify(error)).not.toMatch(RAW_SOCKET_CODE);
    expect(sandbox.idp.counts.password).toBe(0);
    await svc.close();
    await cut.close();
  });
});

describe('identity-provider outage', () => {
  it('an unreachable identity provider is IDENTITY_PROVIDER_UNAVAILABLE, and no password is judged', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const env = freshEnv(sandbox, { GRAPH_AUTHORITY_HOST: `https://127.0.0.1:${port}` });
    const svc = service(env, { clock: new FastClock() });
    const error = (await svc.acquireToken().catch((e: unknown) => e)) as GraphTokenError;
    expect(error).toBeInstanceOf(GraphTokenError);
    expect(error.code).toBe('IDENTITY_PROVIDER_UNAVAILABLE');
    expect(error.message).not.toMatch(RAW_SOCKET_CODE);
    // Nothing reached it: the credential is neither blocked nor uncertain.
    const status = await svc.getTokenStatus();
    expect(status.blocked ?? null).toBeNull();
    await svc.close();
  });

  it('a refresh-token grant reset without an answer is retried, and then coded', async () => {
    const clock = new FastClock();
    const svc = service(freshEnv(sandbox), { clock });
    await svc.acquireToken();
    sandbox.idp.injectFault({ kind: 'drop', grant: 'refresh_token' });
    const error = (await svc
      .acquireToken({ forceRefresh: true })
      .catch((e: unknown) => e)) as GraphTokenError;
    expect(error).toBeInstanceOf(GraphTokenError);
    expect(error.code).toBe('IDENTITY_PROVIDER_UNAVAILABLE');
    expect(error.message).not.toMatch(RAW_SOCKET_CODE);
    // Refresh-token grants need no write-ahead and may always be retried: 4 attempts, no password.
    expect(sandbox.idp.counts.refresh_token).toBe(4);
    expect(sandbox.idp.counts.password).toBe(1);
    await svc.close();
  });
});

describe('no redirects to the identity provider', () => {
  it.each([307, 308, 302] as const)(
    'a %s answer to a sent password is not followed: a rejection that blocks, sent once',
    async (status) => {
      const svc = service(freshEnv(sandbox), { clock: new FastClock() });
      sandbox.idp.injectFault({ kind: 'redirect', status, grant: 'password' });
      const error = (await svc.acquireToken().catch((e: unknown) => e)) as GraphTokenError;
      expect(error).toBeInstanceOf(GraphTokenError);
      expect(error.code).toBe('CREDENTIALS_REJECTED');
      expect(error.message).toContain(`HTTP ${status}`);
      // Following a 307/308 to its Location (the token endpoint) would have sent the password twice.
      expect(sandbox.idp.counts.password).toBe(1);
      sandbox.idp.clearFaults();
      await expect(svc.getAccessToken()).rejects.toMatchObject({ code: 'CREDENTIALS_BLOCKED' });
      expect(sandbox.idp.counts.password).toBe(1);
      await svc.close();
    },
  );

  it('a 307 answer to a refresh-token grant is not followed and sends no password', async () => {
    const svc = service(freshEnv(sandbox), { clock: new FastClock() });
    await svc.acquireToken();
    sandbox.idp.injectFault({ kind: 'redirect', status: 307, grant: 'refresh_token' });
    await expect(svc.acquireToken({ forceRefresh: true })).rejects.toBeInstanceOf(GraphTokenError);
    expect(sandbox.idp.counts.refresh_token).toBe(1);
    expect(sandbox.idp.counts.password).toBe(1);
    await svc.close();
  });
});
