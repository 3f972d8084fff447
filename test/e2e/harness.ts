import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import {
  TcpProxy,
  ensureSandboxCertificate,
  startAzurite,
  startSandbox,
  tableConnectionString,
  type AzuriteHandle,
  type Sandbox,
  type SandboxIdentityProviderOptions,
} from '../../src/sandbox';

/**
 * End-to-end harness: the sandbox stand-ins and Azurite on ephemeral ports (Azurite behind a TCP proxy
 * that can simulate an outage), and the local Functions host started as a separate process exactly as
 * a user starts it (`node dist/host/main.js`), on a port it picks and prints.
 */

const ROOT = join(__dirname, '..', '..');
const HOST_ENTRY = join(ROOT, 'dist', 'host', 'main.js');

export interface Stack {
  sandbox: Sandbox;
  azurite: AzuriteHandle;
  /** Between the host and Azurite: `down()` is a storage outage. */
  storage: TcpProxy;
  host: ChildProcess;
  /** `http://127.0.0.1:<port>/api` */
  api: string;
  /** Every line the host printed, in order (JSON log lines parsed where possible). */
  logs: string[];
  /** Stops the host with SIGINT (as Ctrl-C does) and resolves with how long it took, then stops the rest. */
  close(): Promise<number>;
}

export async function startStack(
  options: {
    env?: Record<string, string>;
    idp?: SandboxIdentityProviderOptions;
    /** Also the Key Vault stand-in (the password and the data key are then read from it). */
    keyVault?: boolean;
    /** The function app folder the host serves (default dist/app; the deployment package's folder works too). */
    scriptRoot?: string;
  } = {},
): Promise<Stack> {
  if (!existsSync(HOST_ENTRY)) throw new Error(`${HOST_ENTRY} is missing: run npm run build first`);
  const azurite = await startAzurite();
  const storage = await TcpProxy.start({ host: '127.0.0.1', port: azurite.port });
  const sandbox = await startSandbox({
    azurite: false,
    ...(options.idp ? { idp: options.idp } : {}),
    ...(options.keyVault ? { keyVault: true } : {}),
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...sandbox.env,
    AzureWebJobsStorage: tableConnectionString(`http://127.0.0.1:${storage.port}/devstoreaccount1`),
    NODE_EXTRA_CA_CERTS: ensureSandboxCertificate().certPath,
    REFRESH_SCHEDULE: '0 */5 * * * *',
    CLEANUP_SCHEDULE: '0 30 2 * * *',
    VALIDATE_SCHEDULE: '0 0 3 * * 1',
    ...options.env,
  };
  delete env.PORT;
  const host = spawn(
    process.execPath,
    [
      HOST_ENTRY,
      '--port',
      '0',
      '--settings',
      'none',
      '--script-root',
      options.scriptRoot ?? join(ROOT, 'dist', 'app'),
    ],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: string[] = [];
  let stderr = '';
  host.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const api = await new Promise<string>((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => reject(new Error(`the host did not start in time:\n${stderr}`)), 30_000);
    host.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        logs.push(line);
        const m = /^Listening on (http:\/\/\S+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!.replace('//localhost:', '//127.0.0.1:'));
        }
      }
    });
    host.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the host exited with ${code}:\n${stderr}`));
    });
  });

  const close = async (): Promise<number> => {
    const started = Date.now();
    if (host.exitCode === null && host.signalCode === null) {
      const exited = new Promise<void>((r) => host.once('exit', () => r()));
      host.kill('SIGINT');
      const killer = setTimeout(() => host.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    }
    const took = Date.now() - started;
    await storage.close();
    await sandbox.close();
    await azurite.stop();
    return took;
  };
  return { sandbox, azurite, storage, host, api, logs, close };
}

/** JSON log lines of the host. */
export function jsonLogs(stack: Stack): Record<string, unknown>[] {
  return stack.logs.flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function call(
  stack: Stack,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${stack.api}${path}`, { method, headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Sends `totalBytes` with `Transfer-Encoding: chunked` (no Content-Length), in 8 KiB chunks. */
export function postChunked(
  stack: Stack,
  path: string,
  totalBytes: number,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const url = new URL(`${stack.api}${path}`);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    const chunk = Buffer.alloc(8 * 1024, 0x20);
    chunk[0] = 0x7b; // '{' so the body would look like JSON if anything tried to parse it
    let sent = 0;
    const write = (): void => {
      while (sent < totalBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

/** Polls `check` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
