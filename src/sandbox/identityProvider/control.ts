/**
 * The identity provider's own control routes under `/_sandbox/` (beside the shared `counts` and
 * `faults`): users and passwords, token lifetime, refresh-token revocation and expiry, the MFA and
 * claims-challenge switches, device-code approval and API tokens. Bodies are JSON; changes answer 204.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { describeIssues, readJson, sendEmpty, sendJson, sendMethodNotAllowed, sendNotFound } from '../http';
import type { SandboxIdentityProvider } from './index';

const apiTokenSchema = z
  .object({
    roles: z.array(z.string()).optional(),
    audience: z.string().optional(),
    expiresInSeconds: z.number().int().optional(),
    oid: z.string().optional(),
    upn: z.string().optional(),
    name: z.string().optional(),
    appid: z.string().optional(),
  })
  .strict();

const userSchema = z
  .object({
    username: z.string().min(1),
    password: z.string().min(1),
    displayName: z.string().optional(),
    oid: z.string().optional(),
  })
  .strict();

/** Why a device-code control call failed, as HTTP status and error code. */
const DEVICE_ERRORS: Record<string, [number, string]> = {
  unknown_code: [404, 'UnknownUserCode'],
  unknown_user: [404, 'UnknownUser'],
  expired: [409, 'DeviceCodeExpired'],
  already_answered: [409, 'DeviceCodeAlreadyAnswered'],
};

export class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }

  static device(reason: string, message: string): ControlError {
    const [status, code] = DEVICE_ERRORS[reason] ?? [400, 'InvalidBody'];
    return new ControlError(status, code, message);
  }
}

/** Serves `route` (the path after `/_sandbox/`); the shared routes were already tried. */
export async function handleIdpControl(
  idp: SandboxIdentityProvider,
  req: IncomingMessage,
  res: ServerResponse,
  route: string,
): Promise<void> {
  const method = req.method ?? 'GET';
  if (method === 'GET' && route === 'device') return sendJson(res, 200, { device_codes: idp.deviceCodes() });
  if (method === 'GET' && route === 'users') {
    return sendJson(res, 200, { users: idp.usernames.map((username) => ({ username })) });
  }
  if (method === 'GET' && route === 'switches') return sendJson(res, 200, idp.switches());
  if (method !== 'POST') return sendMethodNotAllowed(res, 'POST');
  let body: Record<string, unknown>;
  try {
    const parsed = await readJson(req);
    body =
      parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : {};
  } catch (error) {
    return sendJson(res, 400, { error: { code: 'InvalidBody', message: (error as Error).message } });
  }
  const invalid = (message: string): void => sendJson(res, 400, { error: { code: 'InvalidBody', message } });
  const unknownUser = (username: string): void =>
    sendJson(res, 404, { error: { code: 'UnknownUser', message: `No sandbox user '${username}'` } });
  const text = (name: string): string | undefined =>
    typeof body[name] === 'string' && body[name] !== '' ? (body[name] as string) : undefined;
  try {
    switch (route) {
      case 'password': {
        const { username, password } = body;
        if (typeof username !== 'string' || typeof password !== 'string' || password === '') {
          return invalid('Expected {"username": string, "password": string}');
        }
        if (!idp.hasUser(username)) return unknownUser(username);
        idp.setPassword(username, password);
        return sendEmpty(res);
      }
      case 'users': {
        const user = userSchema.safeParse(body);
        if (!user.success) return invalid(describeIssues(user.error.issues));
        idp.addUser(user.data);
        return sendEmpty(res);
      }
      case 'token-lifetime': {
        if (typeof body.seconds !== 'number' || !Number.isInteger(body.seconds)) {
          return invalid('Expected {"seconds": integer}');
        }
        idp.setAccessTokenLifetime(body.seconds);
        return sendEmpty(res);
      }
      case 'revoke-refresh-tokens':
        idp.revokeRefreshTokens();
        return sendEmpty(res);
      case 'revoke-sign-in-sessions': {
        const username = text('username');
        if (!username) return invalid('Expected {"username": string}');
        if (!idp.hasUser(username)) return unknownUser(username);
        idp.revokeSignInSessions(username);
        return sendEmpty(res);
      }
      case 'expire-refresh-tokens': {
        const username = text('username');
        if (body.username !== undefined && !username) return invalid('Expected {"username"?: string}');
        if (username && !idp.hasUser(username)) return unknownUser(username);
        idp.expireRefreshTokens(username);
        return sendEmpty(res);
      }
      case 'mfa': {
        if (typeof body.required !== 'boolean') return invalid('Expected {"required": boolean}');
        idp.setMfaRequired(body.required);
        return sendEmpty(res);
      }
      case 'claims-challenge': {
        if (typeof body.interactionRequired !== 'boolean') {
          return invalid('Expected {"interactionRequired": boolean}');
        }
        idp.setClaimsRequireInteraction(body.interactionRequired);
        return sendEmpty(res);
      }
      case 'device/approve':
      case 'device/decline':
      case 'device/expire': {
        const userCode = text('user_code');
        const username = text('username');
        if (!userCode) return invalid('Expected {"user_code": string}');
        if (route === 'device/approve') {
          if (!username) return invalid('Expected {"user_code": string, "username": string}');
          idp.approveDeviceCode(userCode, username);
        } else if (route === 'device/decline') idp.declineDeviceCode(userCode);
        else idp.expireDeviceCode(userCode);
        return sendEmpty(res);
      }
      case 'api-token': {
        const claims = apiTokenSchema.safeParse(body);
        if (!claims.success) return invalid(describeIssues(claims.error.issues));
        const expiresIn = claims.data.expiresInSeconds ?? 3600;
        return sendJson(res, 200, {
          token_type: 'Bearer',
          expires_in: expiresIn,
          access_token: await idp.signApiToken(claims.data),
        });
      }
      default:
        return sendNotFound(res);
    }
  } catch (error) {
    if (error instanceof ControlError) {
      return sendJson(res, error.status, { error: { code: error.code, message: error.message } });
    }
    throw error;
  }
}
