/**
 * Small helpers shared by the HTTPS stand-ins: a loopback HTTPS server that closes promptly, body
 * readers, JSON replies and a list of injected faults. Deliberately tiny: the stand-ins imitate a few
 * routes of real services, they are not a web framework.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SandboxCertificate } from './certs';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/** One line per request for whoever runs the sandbox (`npm start`). Never carries headers or bodies. */
export interface SandboxRequestLog {
  service: string;
  method: string;
  /** Path without the query string. */
  path: string;
  /** 0 when the connection was dropped before a response. */
  status: number;
  durationMs: number;
}

export interface HttpsServerOptions {
  /** Name of the stand-in, used in logs and error messages. */
  name: string;
  certificate: SandboxCertificate;
  /** 0 (default) picks a free port. */
  port?: number;
  onRequest?: (entry: SandboxRequestLog) => void;
}

export interface LoopbackHttpsServer {
  readonly port: number;
  /** `https://localhost:<port>` */
  readonly origin: string;
  close(): Promise<void>;
}

/** Request bodies above this size are refused; the stand-ins never need more. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Starts an HTTPS server on 127.0.0.1 and, where the machine has IPv6, on ::1 with the same port, so that
 * `https://localhost:<port>` works whichever address `localhost` resolves to first.
 */
export async function startHttpsServer(
  handler: RequestHandler,
  options: HttpsServerOptions,
): Promise<LoopbackHttpsServer> {
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'https://localhost');
    if (options.onRequest) {
      const onRequest = options.onRequest;
      // 'close' also fires for dropped connections (a `drop` fault), which never 'finish'.
      res.once('close', () =>
        onRequest({
          service: options.name,
          method: req.method ?? 'GET',
          path: url.pathname,
          status: res.writableFinished ? res.statusCode : 0,
          durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        }),
      );
    }
    Promise.resolve()
      .then(() => handler(req, res, url))
      .catch((error: unknown) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        sendJson(res, 500, {
          error: { code: 'SandboxInternalError', message: `${options.name}: ${(error as Error).message}` },
        });
      });
  };

  const serverOptions = {
    cert: options.certificate.cert,
    key: options.certificate.key,
    keepAliveTimeout: 5_000,
  };
  const ipv4 = https.createServer(serverOptions, listener);
  const port = await listen(ipv4, options.port ?? 0, '127.0.0.1');
  const servers = [ipv4];
  const ipv6 = https.createServer(serverOptions, listener);
  try {
    await listen(ipv6, port, '::1');
    servers.push(ipv6);
  } catch {
    // No IPv6 loopback here (or the port is taken on ::1): 127.0.0.1 alone serves `localhost`.
  }

  let closing: Promise<void> | undefined;
  return {
    port,
    origin: `https://localhost:${port}`,
    close() {
      closing ??= Promise.all(servers.map(closeServer)).then(() => undefined);
      return closing;
    },
  };
}

function listen(server: https.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    // A deep backlog: benchmarks open a thousand connections at once (docs/architecture.md, "Performance").
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes the server and every open connection: the SDK clients keep connections alive. */
function closeServer(server: https.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export class RequestBodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RequestBodyError';
  }
}

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new RequestBodyError(413, `Request body exceeds ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON body; an empty body is `undefined`, malformed JSON a `RequestBodyError`. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req)).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new RequestBodyError(400, 'Request body is not valid JSON');
  }
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams((await readBody(req)).toString('utf8'));
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

export function sendEmpty(res: ServerResponse, status = 204, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers);
  res.end();
}

/** Simulates a network failure: the client sees a reset connection, not an HTTP response. */
export function dropConnection(req: IncomingMessage): void {
  req.socket.destroy();
}

/**
 * A response held back by a `delay` fault or latency. Unref'd: a delayed answer the client gave up on (a
 * timeout, an aborted lease) must not keep the process alive for seconds after the test or the sandbox
 * ended — the listening server keeps it alive while the sandbox runs.
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** The bearer token of a request, or undefined. The scheme name is case-insensitive (RFC 7235). */
export function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/** The caller's `client-request-id`, or a new one: Azure services echo it for correlation. */
export function clientRequestId(req: IncomingMessage): string {
  const header = req.headers['client-request-id'] ?? req.headers['x-ms-client-request-id'];
  return typeof header === 'string' && header.length <= 128 ? header : randomUUID();
}

interface FaultEntry<F> {
  fault: F;
  remaining: number;
}

/**
 * Injected faults, applied in the order they were added. A fault with `times` is consumed after that
 * many matching requests; without `times` it stays until `clear()`.
 */
export class FaultList<F extends { times?: number }> {
  private entries: FaultEntry<F>[] = [];

  add(fault: F): void {
    this.entries.push({ fault, remaining: fault.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.entries = [];
  }

  /** The first fault that applies to a request, counting one use of it. */
  take(applies: (fault: F) => boolean): F | undefined {
    const entry = this.entries.find((candidate) => applies(candidate.fault));
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.entries = this.entries.filter((candidate) => candidate !== entry);
    return entry.fault;
  }

  /** Faults still armed, with the uses left (`null`: unlimited). */
  list(): Array<F & { remaining: number | null }> {
    return this.entries.map(({ fault, remaining }) => ({
      ...fault,
      remaining: Number.isFinite(remaining) ? remaining : null,
    }));
  }
}

/** Seconds since the epoch, the unit of JWT and Key Vault timestamps. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * What every stand-in shares: its server, request counters and injected faults, and the control routes
 * for them under `/_sandbox/` (`GET|DELETE counts`, `GET|POST|DELETE faults`) for manual fault injection
 * while `npm start` runs.
 */
export abstract class StandIn<F extends { times?: number }, C extends object> {
  readonly counts: C;
  protected readonly faults = new FaultList<F>();

  protected constructor(
    protected readonly server: LoopbackHttpsServer,
    private readonly zeroCounts: () => C,
    /** Validates a fault (from code or posted as JSON); throws with a readable message when it is not one. */
    private readonly parseFault: (body: unknown) => F,
  ) {
    this.counts = zeroCounts();
  }

  resetCounts(): void {
    Object.assign(this.counts, this.zeroCounts());
  }

  injectFault(fault: F): void {
    this.faults.add(this.parseFault(fault));
  }

  clearFaults(): void {
    this.faults.clear();
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /**
   * Serves the shared control routes. `route` is the path after `/_sandbox/`. Returns false when the
   * route is not one of them, so the stand-in can serve its own.
   */
  protected async handleCommonControl(
    req: IncomingMessage,
    res: ServerResponse,
    route: string,
  ): Promise<boolean> {
    const method = req.method ?? 'GET';
    if (route === 'counts') {
      if (method === 'GET') sendJson(res, 200, this.counts);
      else if (method === 'DELETE') {
        this.resetCounts();
        sendEmpty(res);
      } else sendMethodNotAllowed(res, 'GET, DELETE');
      return true;
    }
    if (route === 'faults') {
      if (method === 'GET') sendJson(res, 200, { faults: this.faults.list() });
      else if (method === 'DELETE') {
        this.faults.clear();
        sendEmpty(res);
      } else if (method === 'POST') {
        let fault: F;
        try {
          fault = this.parseFault(await readJson(req));
        } catch (error) {
          sendJson(res, 400, { error: { code: 'InvalidFault', message: (error as Error).message } });
          return true;
        }
        this.faults.add(fault);
        sendJson(res, 201, { faults: this.faults.list() });
      } else sendMethodNotAllowed(res, 'GET, POST, DELETE');
      return true;
    }
    return false;
  }
}

export function sendMethodNotAllowed(res: ServerResponse, allow: string): void {
  sendJson(res, 405, { error: { code: 'MethodNotAllowed', message: `Allowed: ${allow}` } }, { allow });
}

export function sendNotFound(res: ServerResponse, message = 'No such route in the sandbox'): void {
  sendJson(res, 404, { error: { code: 'NotFound', message } });
}

/** Turns a zod error into one line naming every offending field. */
export function describeIssues(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
): string {
  return issues
    .map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`)
    .join('; ');
}
