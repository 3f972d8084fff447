/**
 * The admin page's password-less dev sign-in, `POST /api/admin/dev-sign-in {"role": …}`, served by the
 * local host itself — not by a function — so the deployed function app holds none of this code (see
 * docs/architecture.md). It exists only while the configured identity provider is the local sandbox,
 * and answers only requests that come from this machine *and* name it: the peer address, the `Host`
 * header and (when sent) the `Origin` header must all be loopback. So a host bound to `0.0.0.0` does not
 * hand tokens to the LAN, and a web page that rebinds its own DNS name to 127.0.0.1 gets nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config, Environment } from '../lib/config';
import { isLoopback } from '../lib/config';
import { ERRORS, GraphTokenError } from '../lib/errors';
import { MAX_BODY_BYTES, parseJsonObject } from '../http/body';
import { CORRELATION_HEADER, correlationIdOf } from '../http/correlation';
import { HTTP_ERRORS, HttpProblem, badRequest, problemResponse } from '../http/problem';
import { DevTokenError, issueDevToken } from '../sandbox/devToken';

/** The route under the host's route prefix. */
export const DEV_SIGN_IN_ROUTE = 'admin/dev-sign-in';

/** Dev sign-in tokens live this long: enough for a session, short enough not to matter if copied. */
export const DEV_SIGN_IN_SECONDS = 15 * 60;

const DEV_USERS: Readonly<Record<string, { roles: string[]; upn: string; name: string }>> = Object.freeze({
  'GraphTokens.Admin': {
    roles: ['GraphTokens.Admin'],
    upn: 'dev-admin@sandbox.localhost',
    name: 'Sandbox admin',
  },
  'GraphTokens.Read': {
    roles: ['GraphTokens.Read'],
    upn: 'dev-reader@sandbox.localhost',
    name: 'Sandbox reader',
  },
});

/** The dev sign-in exists only where the identity provider is this machine's sandbox, never in Azure. */
export function devSignInAllowed(config: Config): boolean {
  return config.isSandbox && !config.inAzure;
}

/** A peer address on this machine: 127.0.0.0/8, ::1, or 127.x as an IPv4-mapped IPv6 address. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const plain = address.replace(/^::ffff:/i, '');
  return plain === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(plain);
}

/** `Host: localhost:7071`, `127.0.0.1`, `[::1]:7071` — any port; nothing else (no user info, no path). */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (host === undefined) return false;
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i.exec(host);
  return match !== null && isLoopback(match[1]!.toLowerCase());
}

/** `Origin: http://localhost:7071` and the like; `null` (sandboxed frames, files) is not loopback. */
export function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopback(url.hostname.toLowerCase());
  } catch {
    return false;
  }
}

/** Why a request is refused, or `undefined` when it comes from this machine and names it. */
export function foreignRequest(req: IncomingMessage): string | undefined {
  if (!isLoopbackAddress(req.socket.remoteAddress)) return 'the request does not come from this machine';
  if (!isLoopbackHostHeader(req.headers.host)) return 'the Host header is not a loopback name';
  const origin = req.headers.origin;
  if (origin !== undefined && !isLoopbackOrigin(origin)) return 'the Origin header is not a loopback origin';
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = req.headers['content-length'];
  const tooLarge = (): HttpProblem =>
    new HttpProblem(HTTP_ERRORS.PAYLOAD_TOO_LARGE, `The request body exceeds ${MAX_BODY_BYTES} bytes.`);
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(buf);
  }
  return Buffer.concat(chunks, total);
}

export interface DevSignInOptions {
  config: Config;
  /** For the signing key's location (`SANDBOX_SIGNING_KEY_FILE`, `GRAPH_SANDBOX_DIR`). */
  env: Environment;
  cwd: string;
}

/** Answers one request to the dev sign-in route (any method). */
export async function handleDevSignIn(
  req: IncomingMessage,
  res: ServerResponse,
  options: DevSignInOptions,
): Promise<void> {
  const headers = { get: (name: string): string | null => req.headers[name]?.toString() ?? null };
  const correlationId = correlationIdOf(headers);
  let status = 200;
  let responseHeaders: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  let body: string;
  try {
    const refused = foreignRequest(req);
    if (refused !== undefined) {
      throw new GraphTokenError(ERRORS.DEV_SIGN_IN_REFUSED, `Dev sign-in refused: ${refused}.`);
    }
    if ((req.method ?? 'GET').toUpperCase() !== 'POST') {
      throw new HttpProblem(HTTP_ERRORS.METHOD_NOT_ALLOWED, `${req.method} is not allowed here.`, {
        allow: 'POST',
      });
    }
    const request = parseJsonObject(await readBody(req), headers.get('content-type'));
    const unknown = Object.keys(request).filter((k) => k !== 'role');
    if (unknown.length > 0)
      throw badRequest(`body: unknown field ${unknown.map((k) => `"${k.slice(0, 64)}"`).join(', ')}`);
    const role = request.role === undefined ? 'GraphTokens.Admin' : request.role;
    const user = typeof role === 'string' ? DEV_USERS[role] : undefined;
    if (!user) throw badRequest(`body.role: must be one of ${Object.keys(DEV_USERS).join(', ')}`);
    const token = await issueDevToken(options.config, options.env, options.cwd, {
      roles: user.roles,
      expiresInSeconds: DEV_SIGN_IN_SECONDS,
      upn: user.upn,
      name: user.name,
    });
    body = JSON.stringify(token);
  } catch (error) {
    const problem =
      error instanceof DevTokenError
        ? new HttpProblem(
            { code: error.code, hint: error.hint, category: 'configuration', status: 503 },
            error.message,
          )
        : error;
    const response = problemResponse(problem, correlationId);
    status = response.status ?? 500;
    responseHeaders = response.headers as Record<string, string>;
    body = response.body as string;
  }
  res.writeHead(status, {
    ...responseHeaders,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    [CORRELATION_HEADER]: correlationId,
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}
