/**
 * Embedded Azurite (the official Azure Storage emulator, npm `azurite`) for Table Storage.
 *
 * Azurite runs in a child process, in memory, on ephemeral ports. Its combined entry point is used
 * rather than `azurite-table` because only the combined one reports the port the operating system picked
 * for port 0; it also serves Blob and Queue, which the Azure Functions host needs for its own
 * bookkeeping (timer locks), so `connectionString` carries all three endpoints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { EMULATOR_ACCOUNT_NAME, emulatorConnectionString } from '../lib/store';

export interface AzuriteHandle {
  /** Connection string for `devstoreaccount1` with Table, Blob and Queue endpoints on 127.0.0.1. */
  connectionString: string;
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  tableEndpoint: string;
  port: number;
  /** Blob and Queue endpoints, for the Azure Functions host's own storage needs. */
  blobEndpoint?: string;
  queueEndpoint?: string;
  /** Stops the emulator (its data is lost) and waits for the process to exit. */
  stop(): Promise<void>;
}

export interface StartAzuriteOptions {
  /** Table service port; 0 (default) picks a free one. */
  port?: number;
  /** Default true: Azurite's own output is discarded except for start-up failures. */
  silent?: boolean;
  /** Default 30 s. */
  startTimeoutMs?: number;
}

const STOP_GRACE_MS = 5_000;
const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at (http:\/\/\S+)/g;

/** A Table-only connection string for the emulator account at `tableEndpoint`. */
export function tableConnectionString(tableEndpoint: string): string {
  return emulatorConnectionString(tableEndpoint);
}

/**
 * Starts Azurite in memory on 127.0.0.1 and resolves once the Table service listens.
 *
 * @example
 * const azurite = await startAzurite();
 * const table = TableClient.fromConnectionString(azurite.connectionString, 'Tokens', { allowInsecureConnection: true });
 * await azurite.stop();
 */
export function startAzurite(options: StartAzuriteOptions = {}): Promise<AzuriteHandle> {
  const entry = path.join(path.dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
  const args = [
    entry,
    '--inMemoryPersistence',
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
    '--silent',
    ...['--tableHost', '127.0.0.1', '--tablePort', String(options.port ?? 0)],
    ...['--blobHost', '127.0.0.1', '--blobPort', '0'],
    ...['--queueHost', '127.0.0.1', '--queuePort', '0'],
  ];
  const child = spawn(process.execPath, args, {
    // In-memory mode writes nothing, but Azurite checks that its workspace exists: give it a harmless one.
    cwd: os.tmpdir(),
    // Passes the environment through (no setting is read here).
    // eslint-disable-next-line no-restricted-properties
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const silent = options.silent ?? true;

  return new Promise<AzuriteHandle>((resolve, reject) => {
    let output = '';
    const endpoints: Record<string, string> = {};
    const fail = (reason: string): void => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`Azurite did not start: ${reason}\n${output.slice(-2000)}`));
    };
    const timer = setTimeout(() => fail('timed out'), options.startTimeoutMs ?? 30_000);
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(`exited with ${signal ?? `code ${code}`}`);
    const onError = (error: Error): void => fail(error.message);
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      output += text;
      if (!silent) process.stdout.write(text);
      for (const match of output.matchAll(LISTENING)) endpoints[match[1]] = match[2];
      if (endpoints.Table) {
        cleanup();
        resolve(handleFor(child, endpoints, silent));
      }
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', onError);
      child.stdout?.off('data', onData);
    };
    child.on('exit', onExit);
    child.on('error', onError);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (!silent) process.stderr.write(chunk);
    });
  });
}

function handleFor(child: ChildProcess, endpoints: Record<string, string>, silent: boolean): AzuriteHandle {
  const account = (url: string): string => `${url}/${EMULATOR_ACCOUNT_NAME}`;
  const tableEndpoint = account(endpoints.Table);
  const blobEndpoint = endpoints.Blob ? account(endpoints.Blob) : undefined;
  const queueEndpoint = endpoints.Queue ? account(endpoints.Queue) : undefined;
  let connectionString = tableConnectionString(tableEndpoint);
  if (blobEndpoint) connectionString += `BlobEndpoint=${blobEndpoint};`;
  if (queueEndpoint) connectionString += `QueueEndpoint=${queueEndpoint};`;
  if (!silent) child.stdout?.on('data', (chunk: Buffer) => process.stdout.write(chunk));
  else child.stdout?.resume();

  // If this process exits without calling stop(), do not leave an emulator running behind it.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let stopping: Promise<void> | undefined;
  return {
    connectionString,
    tableEndpoint,
    port: Number(new URL(endpoints.Table).port),
    blobEndpoint,
    queueEndpoint,
    stop() {
      stopping ??= (async () => {
        process.off('exit', killOnExit);
        child.kill('SIGTERM');
        const forced = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(forced);
      })();
      return stopping;
    },
  };
}
