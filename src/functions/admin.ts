/**
 * The admin page (docs/admin.md): static files built by `scripts/build-admin.js` into `dist/admin-page/`
 * and the page's sign-in configuration. The page itself is anonymous; every API call it makes carries
 * the signed-in user's bearer token. The sandbox's password-less dev sign-in is not here: the local host
 * serves it (src/host/devSignIn.ts), so the deployed app holds no dev sign-in code.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { Config } from '../lib/config';
import { CORRELATION_HEADER, correlationIdOf } from '../http/correlation';
import { HTTP_ERRORS, HttpProblem, problemResponse } from '../http/problem';
import { tokenService } from '../http/service';

/** Where the build puts the page, relative to this file once compiled (`dist/functions/admin.js`). */
const PAGE_DIR = join(__dirname, '..', 'admin-page');

/** The only files served; anything else under /api/admin is a 404. */
const FILES: Readonly<Record<string, string>> = Object.freeze({
  '': 'index.html',
  'index.html': 'index.html',
  'app.js': 'app.js',
  'app.css': 'app.css',
  'redirect.html': 'redirect.html',
  'redirect.js': 'redirect.js',
  'app.js.map': 'app.js.map',
  'redirect.js.map': 'redirect.js.map',
  'app.js.LEGAL.txt': 'app.js.LEGAL.txt',
  'redirect.js.LEGAL.txt': 'redirect.js.LEGAL.txt',
});

const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
});

function adminConfig(): Config {
  return tokenService().config;
}

/** The page offers the dev sign-in only where the identity provider is this machine's sandbox, never in Azure. */
function sandboxSignIn(config: Config): boolean {
  return config.isSandbox && !config.inAzure;
}

function origin(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/**
 * No inline script or style anywhere on the page, so the policy can be strict. `connect-src` and
 * `frame-src` name the identity provider: MSAL fetches its metadata and tokens there and renews
 * silently in a hidden iframe.
 */
export function contentSecurityPolicy(config: Config): string {
  const authority = origin(config.authorityHost);
  const idp = authority ? ` ${authority}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${idp}`,
    `frame-src${idp || " 'none'"}`,
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

function pageHeaders(config: Config, correlationId: string): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(config),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    [CORRELATION_HEADER]: correlationId,
  };
}

function problem(error: unknown, correlationId: string, config?: Config): HttpResponseInit {
  const response = problemResponse(error, correlationId);
  response.headers = {
    'cache-control': 'no-store',
    ...(config ? pageHeaders(config, correlationId) : { [CORRELATION_HEADER]: correlationId }),
    ...(response.headers as Record<string, string>),
  };
  return response;
}

function notFound(): HttpProblem {
  return new HttpProblem(HTTP_ERRORS.ROUTE_NOT_FOUND, 'No admin page file at this path.');
}

/** `GET /api/admin/config.json`: what the page needs to sign in. No secret in it. */
export function pageConfiguration(config: Config): {
  mode: 'sandbox' | 'entra';
  authority: string;
  clientId: string | null;
  scopes: string[];
} {
  return {
    mode: sandboxSignIn(config) ? 'sandbox' : 'entra',
    authority: `${config.authorityHost}/${config.tenant}`,
    clientId: config.adminClientId ?? null,
    scopes: config.apiAudience ? [`${config.apiAudience.replace(/\/+$/, '')}/.default`] : [],
  };
}

export async function adminPage(
  request: HttpRequest,
  _context: InvocationContext,
): Promise<HttpResponseInit> {
  const correlationId = correlationIdOf(request.headers);
  let config: Config | undefined;
  try {
    config = adminConfig();
    const path = (request.params.path ?? '').replace(/^\/+|\/+$/g, '');
    if (path === 'config.json') {
      return {
        status: 200,
        headers: {
          ...pageHeaders(config, correlationId),
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
        },
        body: JSON.stringify(pageConfiguration(config)),
      };
    }
    const file = FILES[path];
    if (file === undefined) throw notFound();
    let content: Buffer;
    try {
      content = await readFile(join(PAGE_DIR, file));
    } catch {
      throw new HttpProblem(
        {
          ...HTTP_ERRORS.ROUTE_NOT_FOUND,
          hint: 'Build the admin page: npm run build (runs scripts/build-admin.js).',
        },
        `The admin page is not built (${file} is missing).`,
      );
    }
    const etag = `"${createHash('sha256').update(content).digest('base64url').slice(0, 27)}"`;
    const headers: Record<string, string> = {
      ...pageHeaders(config, correlationId),
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      // Revalidate every time: a redeploy must never leave an old app.js beside a new index.html.
      'cache-control': 'no-cache',
      etag,
    };
    if (request.headers.get('if-none-match') === etag) return { status: 304, headers };
    return { status: 200, headers, body: content };
  } catch (error) {
    return problem(error, correlationId, config);
  }
}

// `admin` alone and `admin/{*path}`: a catch-all segment does not match the bare prefix in every host.
app.http('adminPage', { route: 'admin', methods: ['GET'], authLevel: 'anonymous', handler: adminPage });
app.http('adminAssets', {
  route: 'admin/{*path}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: adminPage,
});
