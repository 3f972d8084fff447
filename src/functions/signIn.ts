/**
 * The delegated sign-in of the service account from the admin page (docs/delegated.md): `POST
 * /api/sign-in/start` (Admin) returns Entra ID's authorization URL and sets a cookie binding the sign-in
 * to this browser; Entra ID redirects to `GET /api/sign-in/callback`, which redeems the code and sends
 * the browser back to the admin page with the result.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { assertConfigurationUsable, isLoopback } from '../lib/config';
import { toGraphTokenError } from '../lib/errors';
import { CORRELATION_HEADER, correlationIdOf } from '../http/correlation';
import { describeError, logEvent } from '../http/logging';
import { finishResponse, handleEndpoint } from '../http/pipeline';
import { HttpProblem, problemResponse } from '../http/problem';
import { clientAddress, RateLimiter, TOO_MANY_REQUESTS } from '../http/rateLimit';
import { ENDPOINTS } from '../http/routes';
import { appConfig, tokenService } from '../http/service';

const endpoint = ENDPOINTS.signInStart;

/** HttpOnly, SameSite=Lax (sent on Entra ID's top-level redirect back, never on cross-site subrequests). */
export const SIGN_IN_COOKIE = 'gtm_sign_in';
const COOKIE_PATH = '/api/sign-in';
const CALLBACK_PATH = '/api/sign-in/callback';
const ADMIN_PATH = '/api/admin';

function cookie(request: HttpRequest, value: string, maxAgeSeconds: number): string {
  const url = new URL(request.url);
  // Browsers keep Secure cookies on http://localhost too, but not every test client does; anywhere else
  // the cookie is always Secure.
  const secure = url.protocol === 'https:' || !isLoopback(url.hostname);
  return [
    `${SIGN_IN_COOKIE}=${value}`,
    `Path=${COOKIE_PATH}`,
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export function cookieValue(header: string | null, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/** Where Entra ID sends the browser back: this app's callback, on the origin the administrator used. */
export function callbackUrl(request: HttpRequest): string {
  return new URL(CALLBACK_PATH, new URL(request.url).origin).toString();
}

export const signInStart = handleEndpoint(endpoint, async ({ ctx, service, request }) => {
  const started = await service().startSignIn({ redirectUri: callbackUrl(request) }, ctx);
  return {
    body: { authorize_url: started.authorize_url, expires_at: started.expires_at },
    headers: { 'set-cookie': cookie(request, started.binding, 600) },
  };
});

/**
 * Anyone can call the callback: at most 10 answers a minute per client address (docs/operations.md,
 * "Unauthenticated routes"); an administrator's sign-in needs one.
 */
export const CALLBACK_LIMIT = Object.freeze({ requests: 10, windowMs: 60_000 });
let callbackLimiter = new RateLimiter(CALLBACK_LIMIT.requests, CALLBACK_LIMIT.windowMs);

/** Tests replace the limiter's clock (and start from an empty one). */
export function resetCallbackLimiter(now?: () => number): void {
  callbackLimiter = new RateLimiter(CALLBACK_LIMIT.requests, CALLBACK_LIMIT.windowMs, now);
}

/** The problem answers of the callback (fail closed, rate limited) are JSON, like every other route's. */
function refused(
  error: unknown,
  request: HttpRequest,
  context: InvocationContext,
  correlationId: string,
): HttpResponseInit {
  const response = finishResponse(problemResponse(error, correlationId), correlationId);
  logEvent(context, 'info', 'http.request', {
    method: request.method,
    route: 'sign-in/callback',
    status: response.status,
    correlation_id: correlationId,
  });
  return response;
}

export async function signInCallback(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const correlationId = correlationIdOf(request.headers);
  try {
    assertConfigurationUsable(appConfig());
  } catch (error) {
    return refused(error, request, context, correlationId);
  }
  const allowed = callbackLimiter.take(clientAddress(request.headers));
  if (!allowed.allowed) {
    const limited = new HttpProblem(
      TOO_MANY_REQUESTS,
      `Too many sign-in answers from this address: at most ${CALLBACK_LIMIT.requests} a minute.`,
      { 'retry-after': String(allowed.retryAfterSeconds) },
    );
    return refused(limited, request, context, correlationId);
  }
  const query: Record<string, string> = {};
  for (const key of ['code', 'state', 'error', 'error_description']) {
    const value = request.query.get(key);
    if (value !== null) query[key] = value;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { signInCallbackQuerySchema } = require('../http/schemas') as typeof import('../http/schemas');
  const parsed = signInCallbackQuerySchema.safeParse(query);
  let location: string;
  try {
    if (!parsed.success) throw new Error('invalid callback query');
    const result = await tokenService().completeSignIn(
      {
        state: parsed.data.state,
        code: parsed.data.code,
        error: parsed.data.error,
        errorDescription: parsed.data.error_description,
        binding: cookieValue(request.headers.get('cookie'), SIGN_IN_COOKIE),
      },
      { actor: 'sign-in-callback', correlationId },
    );
    location = `${ADMIN_PATH}?sign_in=ok&account=${encodeURIComponent(result.account)}`;
  } catch (error) {
    const e = toGraphTokenError(error);
    if (e.status >= 500) {
      logEvent(context, 'error', 'http.failed', { correlation_id: correlationId, ...describeError(error) });
    }
    location = `${ADMIN_PATH}?sign_in=failed&code=${encodeURIComponent(e.code)}`;
  }
  logEvent(context, 'info', 'http.request', {
    method: request.method,
    route: 'sign-in/callback',
    status: 303,
    correlation_id: correlationId,
  });
  // The code and state never reach the admin page: the redirect carries only the outcome.
  return {
    status: 303,
    headers: {
      location,
      'set-cookie': cookie(request, '', 0),
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      [CORRELATION_HEADER]: correlationId,
    },
  };
}

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: signInStart,
});
app.http('signInCallback', {
  route: 'sign-in/callback',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: signInCallback,
});
