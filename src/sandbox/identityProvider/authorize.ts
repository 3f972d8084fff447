/**
 * The authorization code flow: `GET /{tenant}/oauth2/v2.0/authorize` shows the sandbox sign-in page, its
 * form POST redirects back to `redirect_uri` with `code` and `state` (or `error`), and the token endpoint
 * redeems the code once, checking the client, the redirect URI and the PKCE verifier (S256 or plain).
 * As Entra ID does, a request whose client or redirect URI cannot be trusted gets an error page instead
 * of a redirect.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestBodyError, readForm, sendJson } from '../http';
import { aadErrorBody } from './aadsts';
import { authenticateClient, claimsOf, type AadSender } from './client';
import { escapeHtml, renderErrorPage, renderFormPost, renderSignInPage, sendHtml } from './signInPage';
import type { AuthorizationRequest, IdpConfig, IdpContext } from './state';
import { clientInfo, userTokenResponse } from './tokens';

const RESPONSE_MODES = ['query', 'fragment', 'form_post'] as const;

/** `GET` (the sign-in page) and `POST` (its form) of `/{tenant}/oauth2/v2.0/authorize`. */
export async function handleAuthorize(
  ctx: IdpContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  if (req.method === 'POST') return completeSignIn(ctx, req, res, url);
  ctx.counts.authorize += 1;
  const query = url.searchParams;
  const errorPage = (code: number, vars: Record<string, string> = {}): void => {
    const { body } = aadErrorBody(req, code, ctx.config, { vars });
    sendHtml(res, 400, renderErrorPage(String(body.error_description)));
  };
  const clientId = query.get('client_id');
  if (!clientId) return errorPage(900144, { param: 'client_id' });
  if (clientId !== ctx.config.clientId) return errorPage(700016, { clientId });
  const redirectUri = query.get('redirect_uri');
  if (!redirectUri) return errorPage(900144, { param: 'redirect_uri' });
  if (!isRegisteredRedirectUri(ctx.config, redirectUri)) return errorPage(50011, { redirectUri });

  const responseMode = (query.get('response_mode') ?? 'query') as AuthorizationRequest['responseMode'];
  const state = query.get('state') ?? undefined;
  const target = {
    redirectUri,
    responseMode: RESPONSE_MODES.includes(responseMode) ? responseMode : 'query',
    state,
  };
  const redirectError = (code: number, vars: Record<string, string> = {}): void =>
    redirectWithError(ctx, req, res, target, code, vars);
  if (!RESPONSE_MODES.includes(responseMode)) return redirectError(90100, { param: 'response_mode' });
  const responseType = query.get('response_type') ?? '';
  if (responseType !== 'code') return redirectError(70005, { responseType });
  const scope = query.get('scope');
  if (!scope) return redirectError(900144, { param: 'scope' });
  const codeChallenge = query.get('code_challenge') ?? undefined;
  const method = query.get('code_challenge_method') ?? undefined;
  if (method !== undefined && (!codeChallenge || !['S256', 'plain'].includes(method))) {
    return redirectError(90100, { param: 'code_challenge_method' });
  }
  // The sandbox keeps no session cookie, so a silent request never finds a signed-in user.
  if (query.get('prompt') === 'none') return redirectError(50058);

  const request: Omit<AuthorizationRequest, 'expiresAt'> = {
    clientId,
    redirectUri,
    scopes: scope.split(' ').filter(Boolean),
    state,
    nonce: query.get('nonce') ?? undefined,
    codeChallenge,
    codeChallengeMethod: codeChallenge ? (method ?? 'plain') : undefined,
    responseMode: target.responseMode,
    loginHint: query.get('login_hint') ?? undefined,
  };
  const requestId = ctx.state.holdAuthorizationRequest(request);
  sendHtml(res, 200, signInPage(ctx, url, requestId, request));
}

function signInPage(
  ctx: IdpContext,
  url: URL,
  requestId: string,
  request: Omit<AuthorizationRequest, 'expiresAt'>,
  error?: string,
): string {
  return renderSignInPage({
    action: url.pathname,
    requestId,
    clientId: request.clientId,
    scopes: request.scopes,
    usernames: [...ctx.state.accounts.values()].map((account) => account.username),
    loginHint: request.loginHint,
    error,
  });
}

async function completeSignIn(
  ctx: IdpContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  let form: URLSearchParams;
  try {
    form = await readForm(req);
  } catch (error) {
    if (error instanceof RequestBodyError) return sendJson(res, error.status, { error: 'invalid_request' });
    throw error;
  }
  const requestId = form.get('request') ?? '';
  const request = ctx.state.authorizationRequests.get(requestId);
  if (!request || ctx.state.isExpired(request)) {
    const { body } = aadErrorBody(req, 90100, ctx.config, { vars: { param: 'request' } });
    return sendHtml(res, 400, renderErrorPage(String(body.error_description)));
  }
  if (form.get('action') === 'cancel') {
    ctx.state.authorizationRequests.delete(requestId);
    return redirectWithError(ctx, req, res, request, 65004);
  }
  const account = ctx.state.account(form.get('username') ?? '');
  if (!account) {
    const html = signInPage(ctx, url, requestId, request, 'Choose one of the sandbox users.');
    return sendHtml(res, 200, html);
  }
  ctx.state.authorizationRequests.delete(requestId);
  ctx.counts.sign_in += 1;
  const params: Record<string, string> = {
    code: ctx.state.issueAuthorizationCode(request, account.username),
  };
  if (request.state !== undefined) params.state = request.state;
  params.client_info = clientInfo(account.oid, ctx.config.tenant);
  params.session_state = ctx.state.sessionState;
  sendRedirect(res, request, params);
}

/** The authorization code grant: one redemption per code, same client, same redirect URI, PKCE checked. */
export async function redeemAuthorizationCode(
  ctx: IdpContext,
  form: URLSearchParams,
  fail: AadSender,
  res: ServerResponse,
): Promise<void> {
  const clientId = form.get('client_id');
  const code = form.get('code');
  const redirectUri = form.get('redirect_uri');
  if (!clientId) return fail(900144, { vars: { param: 'client_id' } });
  if (clientId !== ctx.config.clientId) return fail(700016, { vars: { clientId } });
  if (!code) return fail(900144, { vars: { param: 'code' } });
  if (!redirectUri) return fail(900144, { vars: { param: 'redirect_uri' } });
  const entry = ctx.state.authorizationCodes.get(code);
  if (!entry || entry.request.clientId !== clientId) return fail(70000);
  const client = authenticateClient(ctx, form, clientId, fail);
  if (!client) return;
  if (entry.redeemed) return fail(54005);
  if (ctx.state.isExpired(entry)) return fail(70008);
  if (redirectUri !== entry.request.redirectUri) return fail(70000);
  if (entry.request.codeChallenge !== undefined) {
    const verifier = form.get('code_verifier') ?? '';
    const derived =
      entry.request.codeChallengeMethod === 'S256'
        ? createHash('sha256').update(verifier).digest('base64url')
        : verifier;
    if (!verifier || derived !== entry.request.codeChallenge) return fail(501481);
  }
  const parsed = claimsOf(form, fail);
  if (!parsed) return;
  const account = ctx.state.account(entry.username);
  if (!account) return fail(50034);
  entry.redeemed = true;
  const body = await userTokenResponse(
    ctx,
    account,
    clientId,
    form.get('scope') || entry.request.scopes.join(' '),
    { method: 'interactive', ...client, nonce: entry.request.nonce, claims: parsed.claims },
  );
  sendJson(res, 200, body);
}

/**
 * Whether Entra would accept this redirect URI for the application: one of `redirectUris` (loopback
 * `http` URIs match on any port), or by default any loopback `http(s)` URI.
 */
export function isRegisteredRedirectUri(config: IdpConfig, redirectUri: string): boolean {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return false;
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (!config.redirectUris) return loopback && (url.protocol === 'http:' || url.protocol === 'https:');
  return config.redirectUris.some((registered) => {
    if (registered === redirectUri) return true;
    if (!loopback || url.protocol !== 'http:') return false;
    try {
      const candidate = new URL(registered);
      candidate.port = url.port;
      return candidate.href === url.href;
    } catch {
      return false;
    }
  });
}

type RedirectTarget = Pick<AuthorizationRequest, 'redirectUri' | 'responseMode' | 'state'>;

function redirectWithError(
  ctx: IdpContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: RedirectTarget,
  code: number,
  vars: Record<string, string> = {},
): void {
  const { body } = aadErrorBody(req, code, ctx.config, { vars });
  const params: Record<string, string> = {
    error: String(body.error),
    error_description: String(body.error_description),
    error_uri: String(body.error_uri),
  };
  if (target.state !== undefined) params.state = target.state;
  sendRedirect(res, target, params);
}

function sendRedirect(res: ServerResponse, target: RedirectTarget, params: Record<string, string>): void {
  if (target.responseMode === 'form_post')
    return sendHtml(res, 200, renderFormPost(target.redirectUri, params));
  const encoded = new URLSearchParams(params).toString();
  const separator = target.responseMode === 'fragment' ? '#' : target.redirectUri.includes('?') ? '&' : '?';
  const location = `${target.redirectUri}${separator}${encoded}`;
  res.writeHead(302, { location, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<a href="${escapeHtml(location)}">Continue</a>`);
}
