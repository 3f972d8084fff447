/**
 * The v2.0 token endpoint: reads the form, counts the grant as received, applies injected faults, then
 * answers the grant — `password` (ROPC), `refresh_token`, `client_credentials`, `authorization_code`
 * and the device code grant — with Entra's success and error shapes.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestBodyError, nowSeconds, readForm, sendJson } from '../http';
import { redeemAuthorizationCode } from './authorize';
import { redeemDeviceCode } from './deviceCode';
import { applyFault, faultApplies } from './faults';
import { grantOf, OIDC_SCOPES } from './options';
import { signJwt } from './signingKey';
import { deterministicGuid, type IdpContext } from './state';
import { isClaimsChallenge, userTokenResponse } from './tokens';
import { aadSender, authenticateClient, claimsOf, type AadSender } from './client';

export async function handleToken(ctx: IdpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let form: URLSearchParams;
  try {
    form = await readForm(req);
  } catch (error) {
    if (error instanceof RequestBodyError) return sendJson(res, error.status, { error: 'invalid_request' });
    throw error;
  }
  // Counted once the whole body is read: from here on, Entra has received the request (and the password).
  const grantType = form.get('grant_type') ?? '';
  const grant = grantOf(grantType);
  ctx.counts.token += 1;
  if (grant) ctx.counts[grant] += 1;
  if (grant === 'password') {
    const user = (form.get('username') ?? '').toLowerCase();
    ctx.counts.password_by_user[user] = (ctx.counts.password_by_user[user] ?? 0) + 1;
  }

  const fail = aadSender(ctx, req, res);
  const fault = ctx.takeFault((candidate) => faultApplies(candidate, grant));
  if (fault && (await applyFault(req, res, fault, fail))) return;

  switch (grant) {
    case 'password':
      return passwordGrant(ctx, form, fail, res);
    case 'refresh_token':
      return refreshTokenGrant(ctx, form, fail, res);
    case 'client_credentials':
      return clientCredentialsGrant(ctx, form, fail, res);
    case 'authorization_code':
      return redeemAuthorizationCode(ctx, form, fail, res);
    case 'device_code':
      return redeemDeviceCode(ctx, form, fail, res);
    default:
      if (grantType === '') return fail(900144, { vars: { param: 'grant_type' } });
      return fail(70003, { vars: { grant: grantType } });
  }
}

async function passwordGrant(
  ctx: IdpContext,
  form: URLSearchParams,
  fail: AadSender,
  res: ServerResponse,
): Promise<void> {
  const clientId = form.get('client_id');
  const username = form.get('username');
  const password = form.get('password');
  if (!clientId) return fail(900144, { vars: { param: 'client_id' } });
  if (clientId !== ctx.config.clientId) return fail(700016, { vars: { clientId } });
  if (!username) return fail(900144, { vars: { param: 'username' } });
  if (!password) return fail(900144, { vars: { param: 'password' } });
  const client = authenticateClient(ctx, form, clientId, fail);
  if (!client) return;
  const parsed = claimsOf(form, fail);
  if (!parsed) return;
  const account = ctx.state.account(username);
  if (!account) return fail(50034);
  if (account.password !== password) return fail(50126);
  // Entra checks the password first, then Conditional Access: only a right password learns MFA is needed.
  if (ctx.state.mfaRequired) return fail(50076);
  const body = await userTokenResponse(ctx, account, clientId, form.get('scope'), {
    method: 'password',
    ...client,
    claims: parsed.claims,
  });
  sendJson(res, 200, body);
}

async function refreshTokenGrant(
  ctx: IdpContext,
  form: URLSearchParams,
  fail: AadSender,
  res: ServerResponse,
): Promise<void> {
  const clientId = form.get('client_id');
  const refreshToken = form.get('refresh_token');
  if (!clientId) return fail(900144, { vars: { param: 'client_id' } });
  if (!refreshToken) return fail(900144, { vars: { param: 'refresh_token' } });
  const grant = ctx.state.refreshGrants.get(refreshToken);
  if (!grant) return fail(70008);
  if (grant.clientId !== clientId) return fail(70000);
  const client = authenticateClient(ctx, form, clientId, fail);
  if (!client) return;
  if (grant.confidential && !client.confidential) return fail(7000218);
  const parsed = claimsOf(form, fail);
  if (!parsed) return;
  const account = ctx.state.account(grant.username);
  if (!account) return fail(50034);
  const issued = new Date(grant.issuedAt).toISOString();
  if (grant.revokedAt !== undefined) {
    return fail(50173, {
      description: `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${issued}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${new Date(grant.revokedAt).toISOString()}'.`,
    });
  }
  if (grant.expired) return fail(700082, { vars: { issued } });
  if (ctx.state.claimsRequireInteraction && isClaimsChallenge(parsed.claims)) {
    return fail(50076, {
      error: 'interaction_required',
      suberror: null,
      extra: { claims: form.get('claims') },
    });
  }
  // Like Entra ID, a redeemed refresh token stays valid (until revoked); the response carries a new one.
  const body = await userTokenResponse(ctx, account, clientId, form.get('scope'), {
    method: grant.method,
    confidential: grant.confidential || client.confidential,
    claims: parsed.claims,
  });
  sendJson(res, 200, body);
}

async function clientCredentialsGrant(
  ctx: IdpContext,
  form: URLSearchParams,
  fail: AadSender,
  res: ServerResponse,
): Promise<void> {
  const clientId = form.get('client_id');
  if (!clientId) return fail(900144, { vars: { param: 'client_id' } });
  if (!form.get('client_secret') && !form.get('client_assertion')) return fail(7000216);
  const scope = form.get('scope') ?? '';
  const requested = scope.split(' ').filter((item) => item && !OIDC_SCOPES.has(item));
  const first = requested[0];
  if (!first || !first.endsWith('/.default')) return fail(1002012, { vars: { scope: first ?? "''" } });
  const now = nowSeconds();
  const lifetime = ctx.state.accessTokenLifetimeSeconds;
  const appOid = deterministicGuid(`app:${clientId}`);
  const accessToken = await signJwt(ctx.key, {
    aud: first.slice(0, -'/.default'.length),
    iss: ctx.config.issuer,
    iat: now,
    nbf: now,
    exp: now + lifetime,
    tid: ctx.config.tenant,
    oid: appOid,
    sub: appOid,
    appid: clientId,
    azp: clientId,
    idtyp: 'app',
    ver: '1.0',
    uti: randomBytes(16).toString('base64url'),
  });
  sendJson(res, 200, {
    token_type: 'Bearer',
    expires_in: lifetime,
    ext_expires_in: lifetime,
    access_token: accessToken,
  });
}
