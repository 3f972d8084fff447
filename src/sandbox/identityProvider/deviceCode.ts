/**
 * The device authorization grant as Entra ID runs it: `POST /{tenant}/oauth2/v2.0/devicecode` hands out a
 * device code and a user code; the client polls the token endpoint, which answers
 * `authorization_pending` (AADSTS70016) until the user approves on the verification page (or a test
 * approves through `/_sandbox/device/approve`), `authorization_declined` after a decline,
 * `expired_token` (AADSTS70020) after `expires_in`, and `bad_verification_code` for a code it never issued.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestBodyError, readForm, sendJson } from '../http';
import { aadSender, authenticateClient, claimsOf, type AadSender } from './client';
import { DEFAULT_USER_SCOPES, userTokenResponse } from './tokens';
import { renderDeviceLoginPage, sendHtml } from './signInPage';
import type { DeviceCodeEntry, IdpContext } from './state';

/** `POST /{tenant}/oauth2/v2.0/devicecode` */
export async function handleDeviceAuthorization(
  ctx: IdpContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let form: URLSearchParams;
  try {
    form = await readForm(req);
  } catch (error) {
    if (error instanceof RequestBodyError) return sendJson(res, error.status, { error: 'invalid_request' });
    throw error;
  }
  ctx.counts.devicecode += 1;
  const fail = aadSender(ctx, req, res);
  const clientId = form.get('client_id');
  const scope = form.get('scope');
  if (!clientId) return fail(900144, { vars: { param: 'client_id' } });
  if (clientId !== ctx.config.clientId) return fail(700016, { vars: { clientId } });
  if (!scope) return fail(900144, { vars: { param: 'scope' } });
  const { deviceCodeLifetimeSeconds: expiresIn, deviceCodeIntervalSeconds: interval } = ctx.config;
  const entry = ctx.state.createDeviceCode(clientId, scope.split(' ').filter(Boolean), expiresIn);
  const verificationUri = `${ctx.config.authorityHost}/devicelogin`;
  sendJson(res, 200, {
    user_code: entry.userCode,
    device_code: entry.deviceCode,
    verification_uri: verificationUri,
    expires_in: expiresIn,
    interval,
    message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${entry.userCode} to authenticate.`,
  });
}

/** The device code grant (`grant_type=urn:ietf:params:oauth:grant-type:device_code`). */
export async function redeemDeviceCode(
  ctx: IdpContext,
  form: URLSearchParams,
  fail: AadSender,
  res: ServerResponse,
): Promise<void> {
  const clientId = form.get('client_id');
  const deviceCode = form.get('device_code');
  if (!clientId) return fail(900144, { vars: { param: 'client_id' } });
  if (!deviceCode) return fail(900144, { vars: { param: 'device_code' } });
  const entry = ctx.state.deviceCodes.get(deviceCode);
  if (!entry) return fail(70018);
  if (entry.clientId !== clientId) return fail(70000);
  const client = authenticateClient(ctx, form, clientId, fail);
  if (!client) return;
  const parsed = claimsOf(form, fail);
  if (!parsed) return;
  if (ctx.state.isExpired(entry)) {
    ctx.state.deviceCodes.delete(deviceCode);
    return fail(70020);
  }
  if (entry.status === 'declined') {
    ctx.state.deviceCodes.delete(deviceCode);
    return fail(65004, { error: 'authorization_declined' });
  }
  if (entry.status === 'pending' || !entry.username) return fail(70016);
  const account = ctx.state.account(entry.username);
  if (!account) return fail(50034);
  // A device code is redeemed once; polling again afterwards is polling a code that no longer exists.
  ctx.state.deviceCodes.delete(deviceCode);
  const scope = form.get('scope') || entry.scopes.join(' ') || DEFAULT_USER_SCOPES;
  const body = await userTokenResponse(ctx, account, clientId, scope, {
    method: 'interactive',
    ...client,
    claims: parsed.claims,
  });
  sendJson(res, 200, body);
}

export type DeviceCodeAnswer = 'approved' | 'declined';

export type DeviceCodeOutcome =
  | { ok: true; entry: DeviceCodeEntry }
  | { ok: false; reason: 'unknown_code' | 'unknown_user' | 'expired' | 'already_answered'; message: string };

/** Approves (as `username`, who passes MFA) or declines a pending device code by its user code. */
export function answerDeviceCode(
  ctx: IdpContext,
  userCode: string,
  answer: DeviceCodeAnswer,
  username?: string,
): DeviceCodeOutcome {
  const entry = ctx.state.deviceCodeByUserCode(userCode);
  if (!entry)
    return { ok: false, reason: 'unknown_code', message: `No device code with user code '${userCode}'` };
  if (ctx.state.isExpired(entry)) {
    return { ok: false, reason: 'expired', message: `The device code '${entry.userCode}' has expired` };
  }
  if (entry.status !== 'pending') {
    return {
      ok: false,
      reason: 'already_answered',
      message: `The device code '${entry.userCode}' was already ${entry.status}`,
    };
  }
  if (answer === 'declined') {
    entry.status = 'declined';
    return { ok: true, entry };
  }
  const account = username === undefined ? undefined : ctx.state.account(username);
  if (!account) return { ok: false, reason: 'unknown_user', message: `No sandbox user '${username ?? ''}'` };
  entry.status = 'approved';
  entry.username = account.username;
  ctx.counts.sign_in += 1;
  return { ok: true, entry };
}

/** Pending device codes, without the device codes themselves (they are the client's credential). */
export function listDeviceCodes(ctx: IdpContext): Array<Record<string, unknown>> {
  return [...ctx.state.deviceCodes.values()].map((entry) => ({
    user_code: entry.userCode,
    client_id: entry.clientId,
    scopes: entry.scopes,
    status: ctx.state.isExpired(entry) ? 'expired' : entry.status,
    username: entry.username ?? null,
    expires_at: new Date(entry.expiresAt).toISOString(),
  }));
}

/** `GET|POST /devicelogin`: the verification page a person opens to enter the user code. */
export async function handleDeviceLogin(
  ctx: IdpContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const usernames = [...ctx.state.accounts.values()].map((account) => account.username);
  if (req.method !== 'POST') return sendHtml(res, 200, renderDeviceLoginPage('/devicelogin', usernames));
  let form: URLSearchParams;
  try {
    form = await readForm(req);
  } catch (error) {
    if (error instanceof RequestBodyError) return sendJson(res, error.status, { error: 'invalid_request' });
    throw error;
  }
  const answer = form.get('action') === 'decline' ? 'declined' : 'approved';
  const outcome = answerDeviceCode(
    ctx,
    form.get('user_code') ?? '',
    answer,
    form.get('username') ?? undefined,
  );
  const text = outcome.ok
    ? answer === 'approved'
      ? `Signed in as ${outcome.entry.username ?? ''}. You can close this window and return to the application.`
      : 'The sign-in was declined. You can close this window.'
    : outcome.message;
  sendHtml(
    res,
    outcome.ok ? 200 : 400,
    renderDeviceLoginPage('/devicelogin', usernames, { text, error: !outcome.ok }),
  );
}
