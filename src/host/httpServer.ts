import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { comparePrecedence, matchRoute, parseRouteTemplate, type RouteTemplate } from '../http/routeTemplate';
import type { Registration, RpcBindingInfo } from './functionsCore';
import type { FunctionInvoker, HostLog } from './invoker';

/**
 * Serves the registered HTTP functions under `/{routePrefix}` with the Functions host's routing rules:
 * routes are tried from the most specific template to the least, a route whose template matches but
 * whose methods do not is skipped (so a catch-all can answer), and a trailing slash is ignored.
 */

/** The Functions host refuses request bodies above 100 MB. */
const HOST_MAX_BODY_BYTES = 100 * 1024 * 1024;

/** Hop-by-hop headers are the connection's, not the request's. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-connection',
]);

export interface HttpRoute {
  readonly registration: Registration;
  readonly triggerName: string;
  readonly template: RouteTemplate;
  /** Upper case; `null` = every method. */
  readonly methods: ReadonlySet<string> | null;
}

export function httpTrigger(registration: Registration): [string, RpcBindingInfo] | undefined {
  return Object.entries(registration.metadata.bindings).find(
    ([, b]) => b.direction === 'in' && b.type?.toLowerCase() === 'httptrigger',
  );
}

export function httpRoutes(registrations: readonly Registration[]): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const registration of registrations) {
    const trigger = httpTrigger(registration);
    if (trigger === undefined) continue;
    const [triggerName, binding] = trigger;
    const methods =
      Array.isArray(binding.methods) && binding.methods.length > 0
        ? new Set(binding.methods.map((m) => m.toUpperCase()))
        : null;
    routes.push({
      registration,
      triggerName,
      template: parseRouteTemplate(
        typeof binding.route === 'string' ? binding.route : registration.metadata.name,
      ),
      methods,
    });
  }
  return routes.sort(
    (a, b) =>
      comparePrecedence(a.template, b.template) || a.template.template.localeCompare(b.template.template),
  );
}

function plainProblem(res: ServerResponse, status: number, title: string): void {
  const correlationId = randomUUID();
  res.writeHead(status, { 'content-type': 'application/problem+json', 'x-correlation-id': correlationId });
  res.end(
    JSON.stringify({
      type: 'about:blank',
      title,
      status,
      detail: title,
      code: 'HOST',
      hint: '',
      correlation_id: correlationId,
    }),
  );
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > HOST_MAX_BODY_BYTES) return 'too-large';
    chunks.push(buf);
  }
  return Buffer.concat(chunks, total);
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headersDistinct)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    headers[name] = value.join(', ');
  }
  return headers;
}

function toBuffer(data: Record<string, unknown> | null | undefined): Buffer {
  if (data === null || data === undefined) return Buffer.alloc(0);
  if (typeof data.string === 'string') return Buffer.from(data.string);
  if (data.bytes instanceof Uint8Array)
    return Buffer.from(data.bytes.buffer, data.bytes.byteOffset, data.bytes.byteLength);
  if (typeof data.json === 'string') return Buffer.from(data.json);
  return Buffer.alloc(0);
}

interface RpcCookie {
  name: string;
  value: string;
  domain?: { value?: string };
  path?: { value?: string };
  expires?: { value?: { seconds?: number } };
  secure?: { value?: boolean };
  httpOnly?: { value?: boolean };
  sameSite?: number;
  maxAge?: { value?: number };
}

function serializeCookie(cookie: RpcCookie): string {
  const parts = [`${cookie.name}=${cookie.value}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  if (cookie.expires?.value?.seconds !== undefined)
    parts.push(`Expires=${new Date(cookie.expires.value.seconds * 1000).toUTCString()}`);
  if (cookie.maxAge?.value !== undefined) parts.push(`Max-Age=${cookie.maxAge.value}`);
  if (cookie.secure?.value) parts.push('Secure');
  if (cookie.httpOnly?.value) parts.push('HttpOnly');
  const sameSite = ['', 'Lax', 'Strict', 'None'][cookie.sameSite ?? 0];
  if (sameSite) parts.push(`SameSite=${sameSite}`);
  return parts.join('; ');
}

/** A route the host answers itself, before any function (the sandbox's dev sign-in). */
export interface LocalRoute {
  /** Below the route prefix, e.g. `admin/dev-sign-in`; matched case-insensitively, any method. */
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createHttpServer(options: {
  routes: readonly HttpRoute[];
  routePrefix: string;
  invoker: FunctionInvoker;
  log: HostLog;
  localRoutes?: readonly LocalRoute[];
}): Server {
  const prefix = options.routePrefix === '' ? '' : `/${options.routePrefix}`;
  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log({
        level: 'error',
        category: 'system',
        message: `Request failed: ${error instanceof Error ? error.message : String(error)}`,
      });
      if (!res.headersSent) {
        res.writeHead(500);
        res.end();
      } else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const host = req.headers.host ?? 'localhost';
    const url = new URL(req.url ?? '/', `http://${host}`);
    const pathname = url.pathname;
    if (
      prefix !== '' &&
      pathname.toLowerCase() !== prefix &&
      !pathname.toLowerCase().startsWith(`${prefix}/`)
    ) {
      return plainProblem(res, 404, 'Not Found');
    }
    const path = pathname.slice(prefix.length);
    const bare = path.replace(/^\/+|\/+$/g, '').toLowerCase();
    const local = options.localRoutes?.find((r) => r.path.toLowerCase() === bare);
    if (local !== undefined) return local.handle(req, res);
    let selected: { route: HttpRoute; params: Record<string, string> } | undefined;
    for (const route of options.routes) {
      if (route.methods !== null && !route.methods.has(method)) continue;
      const params = matchRoute(route.template, path);
      if (params !== null) {
        selected = { route, params };
        break;
      }
    }
    if (selected === undefined) return plainProblem(res, 404, 'Not Found');

    const body = await readBody(req);
    if (body === 'too-large') return plainProblem(res, 413, 'Payload Too Large');

    const query: Record<string, string> = {};
    for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key).join(',');
    const http = {
      method,
      url: url.toString(),
      headers: headerRecord(req),
      query,
      params: selected.params,
      ...(body.length > 0 ? { body: { bytes: body } } : {}),
    };
    const returnValue = await options.invoker
      .invoke(selected.route.registration, [{ name: selected.route.triggerName, data: { http } }])
      .catch((error: unknown) => {
        // The Functions host answers an unhandled function error with a bare 500.
        options.log({
          level: 'error',
          category: 'system',
          function: selected.route.registration.metadata.name,
          message: `Function failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
        });
        return 'failed' as const;
      });
    if (returnValue === 'failed') {
      res.writeHead(500, { 'content-length': '0' });
      res.end();
      return;
    }
    const response = (returnValue?.http ?? undefined) as
      | {
          statusCode?: string;
          headers?: Record<string, string>;
          cookies?: RpcCookie[];
          body?: Record<string, unknown>;
        }
      | undefined;
    if (response === undefined) {
      res.writeHead(204);
      res.end();
      return;
    }
    const payload = toBuffer(response.body);
    const headers: Record<string, string | string[]> = { ...(response.headers ?? {}) };
    const cookies = (response.cookies ?? []).map(serializeCookie);
    if (cookies.length > 0) headers['set-cookie'] = cookies;
    headers['content-length'] = String(payload.length);
    res.writeHead(Number(response.statusCode ?? 200), headers);
    res.end(method === 'HEAD' ? undefined : payload);
  }
}
