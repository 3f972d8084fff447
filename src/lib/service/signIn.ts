import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { iso } from '../clock';
import { ERRORS, GraphTokenError, sanitize, toGraphTokenError } from '../errors';
import type { DelegatedResult, DeviceCodePrompt } from '../identity/delegated';
import { SIGN_IN_ROW_PREFIX } from '../store';
import type { OperationContext, SignInResult, SignInStart } from '../types';
import { audit, log } from './audit';
import { acquiredToken } from './acquire';
import type { ServiceCore } from './context';
import { storeNewToken } from './storedToken';
import { seal, unseal } from './sealing';

/** A browser sign-in must be finished within this time (Entra's authorization codes live ~10 minutes). */
export const SIGN_IN_TTL_MS = 10 * 60_000;

/** PKCE (RFC 7636, S256): a random verifier and its challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

function hashOf(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/**
 * `POST /api/sign-in/start`: a new browser sign-in bound to the administrator who asked. The state,
 * nonce and (sealed) PKCE verifier are kept server-side in a short-lived row, so any instance can
 * complete it; `binding` goes to the administrator's browser as an HttpOnly cookie that the callback
 * must present, so an answer carried to another browser is refused.
 */
export async function startBrowserSignIn(
  core: ServiceCore,
  options: { redirectUri: string },
  ctx: OperationContext,
): Promise<SignInStart & { binding: string }> {
  const state = randomToken();
  const nonce = randomToken(16);
  const binding = randomToken();
  const { verifier, challenge } = pkcePair();
  const now = core.clock.now();
  const key = await core.secrets.current();
  const rowId = `${SIGN_IN_ROW_PREFIX}${state}`;
  const authorizeUrl = await core.delegated.authorizeUrl({
    redirectUri: options.redirectUri,
    state,
    nonce,
    codeChallenge: challenge,
  });
  const expiresAt = iso(now + SIGN_IN_TTL_MS);
  await core.store.putSignInSession({
    state,
    verifier_enc: seal(
      core.config,
      { token_type: 'delegated', id: rowId },
      'sign_in_verifier',
      verifier,
      key,
    ),
    key_version: key.version,
    nonce,
    binding_hash: hashOf(binding),
    redirect_uri: options.redirectUri,
    actor: ctx.actor,
    created_at: iso(now),
    expires_at: expiresAt,
  });
  await audit(core, ctx, 'sign-in-start', 'delegated', 'success', 'browser');
  return { authorize_url: authorizeUrl, expires_at: expiresAt, binding };
}

/**
 * `GET /api/sign-in/callback`: checks the state (known, unused, unexpired, this browser's cookie),
 * redeems the code with the stored verifier and nonce, refuses anyone but the service account, and
 * stores the token as the active delegated token.
 */
export async function completeBrowserSignIn(
  core: ServiceCore,
  input: { state?: string; code?: string; error?: string; errorDescription?: string; binding?: string },
  ctx: OperationContext,
): Promise<SignInResult> {
  // An answer without a state we issued is anyone's anonymous request: it writes no audit row (so it can
  // neither push real entries out of status nor pollute the report) and is logged at debug level only.
  const session = input.state ? await core.store.takeSignInSession(input.state) : null;
  if (!session) {
    const why = input.state ? 'unknown or already used state' : 'the answer carries no state';
    core.logger.log('debug', 'sign_in_callback_refused', { reason: why, correlation_id: ctx.correlationId });
    throw stateInvalid(why);
  }
  try {
    const presented = input.binding ? Buffer.from(hashOf(input.binding)) : Buffer.alloc(0);
    const expected = Buffer.from(session.binding_hash);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw stateInvalid('the sign-in was started in another browser (cookie missing or different)');
    }
    const callCtx = { ...ctx, actor: session.actor || ctx.actor };
    if (Date.parse(session.expires_at) <= core.clock.now()) {
      throw new GraphTokenError(ERRORS.SIGN_IN_EXPIRED, 'The sign-in took longer than 10 minutes');
    }
    if (input.error) {
      const declined = /access_denied|consent_required|interaction/i.test(input.error);
      throw new GraphTokenError(
        declined ? ERRORS.SIGN_IN_DECLINED : ERRORS.SIGN_IN_FAILED,
        `The identity provider answered ${sanitize(input.error).slice(0, 64)}${input.errorDescription ? `: ${sanitize(input.errorDescription).slice(0, 300)}` : ''}`,
      );
    }
    if (!input.code) throw stateInvalid('the answer carries no code');
    const rowId = `${SIGN_IN_ROW_PREFIX}${session.state}`;
    const verifier = await unseal(
      core.config,
      { token_type: 'delegated', id: rowId },
      'sign_in_verifier',
      session.verifier_enc,
      core.secrets,
    );
    const result = await core.delegated.redeemCode({
      code: input.code,
      redirectUri: session.redirect_uri,
      codeVerifier: verifier,
      nonce: session.nonce,
    });
    return await storeSignIn(core, result, callCtx, 'browser');
  } catch (error) {
    const e = toGraphTokenError(error);
    if (e.code !== ERRORS.SIGN_IN_WRONG_ACCOUNT.code)
      await audit(core, ctx, 'sign-in', 'delegated', 'failure', e.message, e.code);
    throw e;
  }
}

/** The device code flow: `onPrompt` gets the identity provider's message; resolves once stored. */
export async function deviceCodeSignIn(
  core: ServiceCore,
  options: { onPrompt: (prompt: DeviceCodePrompt) => void; timeoutSeconds?: number; signal?: AbortSignal },
  ctx: OperationContext,
): Promise<SignInResult> {
  try {
    const result = await core.delegated.deviceCode(options.onPrompt, options);
    return await storeSignIn(core, result, ctx, 'device_code');
  } catch (error) {
    const e = toGraphTokenError(error);
    if (e.code !== ERRORS.SIGN_IN_WRONG_ACCOUNT.code)
      await audit(core, ctx, 'sign-in', 'delegated', 'failure', e.message, e.code);
    throw e;
  }
}

/** A sign-in whose state and PKCE the caller holds (the CLI's loopback redirect): redeem and store. */
export async function redeemSignIn(
  core: ServiceCore,
  request: { code: string; redirectUri: string; codeVerifier: string; nonce: string },
  ctx: OperationContext,
): Promise<SignInResult> {
  try {
    const result = await core.delegated.redeemCode(request);
    return await storeSignIn(core, result, ctx, 'loopback');
  } catch (error) {
    const e = toGraphTokenError(error);
    if (e.code !== ERRORS.SIGN_IN_WRONG_ACCOUNT.code)
      await audit(core, ctx, 'sign-in', 'delegated', 'failure', e.message, e.code);
    throw e;
  }
}

/**
 * Right account only, then the new active delegated token (clearing `sign_in_required` in the same
 * transaction). Anyone else is refused and nothing is stored: the service must never act as the
 * administrator who happened to sign in.
 */
async function storeSignIn(
  core: ServiceCore,
  result: DelegatedResult,
  ctx: OperationContext,
  how: 'browser' | 'device_code' | 'loopback',
): Promise<SignInResult> {
  // The guard compares the pinned object id too, not only UPN and tenant.
  const pinned = (await core.store.getState('delegated'))?.account_oid;
  try {
    await core.delegated.assertServiceAccount(result, pinned);
  } catch (error) {
    const e = toGraphTokenError(error);
    log(core, 'warn', 'sign_in_wrong_account', ctx, { token_type: 'delegated', code: e.code, flow: how });
    await audit(core, ctx, 'sign-in', 'delegated', 'failure', e.message, e.code);
    throw e;
  }
  const current = await core.store.getActive('delegated');
  const entity = await storeNewToken(core, 'delegated', current, result, { clientKind: result.clientKind });
  core.memory.remember(entity, result.accessToken, false);
  core.invalidateViews();
  await audit(
    core,
    ctx,
    'sign-in',
    `delegated/${entity.id}`,
    'success',
    `flow=${how} client=${result.clientKind}`,
  );
  log(core, 'info', 'signed_in', ctx, {
    token_id: entity.id,
    token_type: 'delegated',
    flow: how,
    client: result.clientKind,
  });
  return { success: true, account: entity.account, token: acquiredToken(entity, 'sign_in') };
}

function stateInvalid(why: string): GraphTokenError {
  return new GraphTokenError(ERRORS.SIGN_IN_STATE_INVALID, `The sign-in answer was refused: ${why}`);
}
