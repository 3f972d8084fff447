/**
 * The admin page (SPEC §8): static files built by `scripts/build-admin.js` into `dist/admin-page/`,
 * the page's sign-in configuration, and — in the local sandbox only — a password-less dev sign-in.
 * The page itself is anonymous; every API call it makes carries the signed-in user's bearer token.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { DevTokenError, issueDevToken } from '../sandbox/devToken';
import type { Config } from '../lib/config';
import { parseJsonObject, readBodyLimited } from '../http/body';
import { CORRELATION_HEADER, correlationIdOf } from '../http/correlation';
import { HTTP_ERRORS, HttpProblem, badRequest, problemResponse } from '../http/problem';
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

/** Dev sign-in tokens live this long: enough for a session, short enough not to matter if copied. */
const DEV_SIGN_IN_SECONDS = 15 * 60;

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

function adminConfig(): Config {
  return tokenService().config;
}

/** The dev sign-in exists only where the identity provider is this machine's sandbox, never in Azure. */
function devSignInAllowed(config: Config): boolean {
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
    mode: devSignInAllowed(config) ? 'sandbox' : 'entra',
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
    if (path === 'dev-sign-in') {
      throw devSignInAllowed(config)
        ? new HttpProblem(HTTP_ERRORS.METHOD_NOT_ALLOWED, `${request.method} is not allowed here.`, {
            allow: 'POST',
          })
        : notFound();
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

/** `POST /api/admin/dev-sign-in {"role": "GraphTokens.Admin" | "GraphTokens.Read"}` — sandbox only. */
export async function devSignIn(
  request: HttpRequest,
  _context: InvocationContext,
): Promise<HttpResponseInit> {
  const correlationId = correlationIdOf(request.headers);
  let config: Config | undefined;
  try {
    config = adminConfig();
    // Outside the sandbox this route does not exist, rather than existing and refusing.
    if (!devSignInAllowed(config)) throw notFound();
    const body = parseJsonObject(await readBodyLimited(request), request.headers.get('content-type'));
    const unknown = Object.keys(body).filter((k) => k !== 'role');
    if (unknown.length > 0)
      throw badRequest(`body: unknown field ${unknown.map((k) => `"${k.slice(0, 64)}"`).join(', ')}`);
    const role = body.role === undefined ? 'GraphTokens.Admin' : body.role;
    const user = typeof role === 'string' ? DEV_USERS[role] : undefined;
    if (!user) throw badRequest(`body.role: must be one of ${Object.keys(DEV_USERS).join(', ')}`);
    const token = await issueDevToken(config, process.env, process.cwd(), {
      roles: user.roles,
      expiresInSeconds: DEV_SIGN_IN_SECONDS,
      upn: user.upn,
      name: user.name,
    });
    return {
      status: 200,
      headers: {
        ...pageHeaders(config, correlationId),
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
      },
      body: JSON.stringify(token),
    };
  } catch (error) {
    if (error instanceof DevTokenError) {
      const unavailable = new HttpProblem(
        { code: error.code, hint: error.hint, category: 'configuration', status: 503 },
        error.message,
      );
      return problem(unavailable, correlationId, config);
    }
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
app.http('adminDevSignIn', {
  route: 'admin/dev-sign-in',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: devSignIn,
});
