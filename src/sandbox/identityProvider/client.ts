/**
 * What every grant checks of the client application: how it authenticated (public, or confidential with
 * a secret or an assertion) and the `claims` parameter it sent; and how errors are answered for it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendAadError, type AadErrorOptions } from './aadsts';
import type { IdpContext } from './state';
import { parseClaims } from './tokens';

/** Answers an AADSTS error for this provider's tenant and client. */
export type AadSender = (code: number, options?: AadErrorOptions) => void;

export function aadSender(ctx: IdpContext, req: IncomingMessage, res: ServerResponse): AadSender {
  return (code, options) => sendAadError(ctx.config, req, res, code, options);
}

/**
 * How the request authenticated: as a public client (no secret), or as a confidential one. With a
 * configured `clientSecret` the secret must match; without one any secret is accepted (as for
 * client credentials). A `client_assertion` must be a JWT naming the client (its signature is not checked).
 * Returns undefined after answering an error.
 */
export function authenticateClient(
  ctx: IdpContext,
  form: URLSearchParams,
  clientId: string,
  fail: AadSender,
): { confidential: boolean } | undefined {
  const secret = form.get('client_secret');
  const assertion = form.get('client_assertion');
  if (!secret && !assertion) return { confidential: false };
  const configured = ctx.config.clientSecret;
  if (secret) {
    if (configured !== undefined && secret !== configured) {
      fail(7000215);
      return undefined;
    }
    return { confidential: true };
  }
  if (!assertionNames(assertion ?? '', clientId)) {
    fail(70000, { error: 'invalid_client', description: 'Client assertion is invalid or malformed.' });
    return undefined;
  }
  return { confidential: true };
}

function assertionNames(assertion: string, clientId: string): boolean {
  const payload = assertion.split('.')[1];
  if (!payload) return false;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    return claims.iss === clientId && claims.sub === clientId;
  } catch {
    return false;
  }
}

/** The `claims` parameter, or undefined after answering AADSTS90100 for one that is not JSON. */
export function claimsOf(
  form: URLSearchParams,
  fail: AadSender,
): { claims: Record<string, unknown> | undefined } | undefined {
  const claims = parseClaims(form.get('claims'));
  if (claims === null) {
    fail(90100, { vars: { param: 'claims' } });
    return undefined;
  }
  return { claims };
}
