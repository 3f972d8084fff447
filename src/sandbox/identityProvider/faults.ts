/**
 * Faults injected into token requests (never into discovery), applied after the request body was read
 * and the grant counted, so a fault always means "Entra received this request".
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { describeIssues, dropConnection } from '../http';
import { sendHtmlFault, sendOAuthError, sendStatusFault } from './aadsts';
import type { GrantType } from './options';

type Target = {
  /** The grant the fault applies to. Default `any`. */
  grant?: GrantType | 'any';
  /** Default: until `clearFaults()`. */
  times?: number;
  /** Waits this long before the fault acts (a slow answer that is then an error or a drop). */
  delayMs?: number;
};

/** A fault applied to token requests (not to discovery) before normal handling. */
export type IdpFault = Target &
  (
    | {
        /** An Entra error with any AADSTS code, e.g. 50126 (wrong password), 50053 (locked), 53003 (CA). */
        kind: 'aadsts';
        code: number;
        description?: string;
        /** Default 400. */
        status?: number;
        /** Overrides the `error` Entra uses for the code (default from the table, else `invalid_grant`). */
        error?: string;
        /** Overrides the `suberror` (`null` removes it). */
        suberror?: string | null;
      }
    /** An OAuth error without any AADSTS code (no `error_codes`), e.g. a bare `invalid_grant`. */
    | { kind: 'oauth'; error: string; description?: string; status?: number; suberror?: string }
    | { kind: 'status'; status: number; retryAfterSeconds?: number }
    /** A 4xx/5xx whose body is an HTML page, not JSON. Default status 400. */
    | { kind: 'html'; status?: number }
    /**
     * HTTP 200 that is not a usable token: an empty `access_token` (default), or `expires_in` 0 — what a
     * misconfigured proxy or a broken federation hop can produce.
     */
    | { kind: 'empty-token'; variant?: 'empty' | 'no-expiry' }
    /** Waits, then answers normally. */
    | { kind: 'delay'; ms: number }
    /** Reads the whole request (it counts as received), then destroys the socket without an answer. */
    | { kind: 'drop' }
    /**
     * A 3xx to `location` (default: the token endpoint itself, so a client that follows a 307/308 sends
     * the password again and it is counted twice) — what a hijacked or misrouted authority answers.
     */
    | { kind: 'redirect'; status?: 301 | 302 | 303 | 307 | 308; location?: string }
  );

const target = {
  grant: z
    .enum(['password', 'refresh_token', 'client_credentials', 'authorization_code', 'device_code', 'any'])
    .optional(),
  times: z.number().int().positive().optional(),
  delayMs: z.number().int().nonnegative().max(600_000).optional(),
};
const errorStatus = z.number().int().min(400).max(599);

const faultSchema: z.ZodType<IdpFault> = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('aadsts'),
      code: z.number().int().positive(),
      description: z.string().optional(),
      status: errorStatus.optional(),
      error: z.string().min(1).optional(),
      suberror: z.string().min(1).nullable().optional(),
      ...target,
    })
    .strict(),
  z
    .object({
      kind: z.literal('oauth'),
      error: z.string().min(1),
      description: z.string().optional(),
      status: errorStatus.optional(),
      suberror: z.string().min(1).optional(),
      ...target,
    })
    .strict(),
  z
    .object({
      kind: z.literal('status'),
      status: errorStatus,
      retryAfterSeconds: z.number().int().nonnegative().optional(),
      ...target,
    })
    .strict(),
  z.object({ kind: z.literal('html'), status: errorStatus.optional(), ...target }).strict(),
  z
    .object({ kind: z.literal('empty-token'), variant: z.enum(['empty', 'no-expiry']).optional(), ...target })
    .strict(),
  z.object({ kind: z.literal('delay'), ms: z.number().int().nonnegative(), ...target }).strict(),
  z.object({ kind: z.literal('drop'), ...target }).strict(),
  z
    .object({
      kind: z.literal('redirect'),
      status: z
        .union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)])
        .optional(),
      location: z.string().min(1).optional(),
      ...target,
    })
    .strict(),
]);

/** Parses a fault posted to `/_sandbox/faults`; throws a readable error. */
export function parseIdpFault(body: unknown): IdpFault {
  const parsed = faultSchema.safeParse(body);
  if (!parsed.success) throw new Error(describeIssues(parsed.error.issues));
  return parsed.data;
}

/** Whether a fault aimed at `fault.grant` applies to a request for `grant` (a `grant_type` value). */
export function faultApplies(fault: IdpFault, grant: GrantType | undefined): boolean {
  const aimed = fault.grant ?? 'any';
  return aimed === 'any' || aimed === grant;
}

/** A held answer never keeps the process alive: its client may be gone (killed) and the sandbox closing. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Acts on a fault. Returns true when the request was answered (or dropped), false when normal handling
 * should go on (a `delay`).
 */
export async function applyFault(
  req: IncomingMessage,
  res: ServerResponse,
  fault: IdpFault,
  sendAadError: (
    code: number,
    options: { status?: number; description?: string; error?: string; suberror?: string | null },
  ) => void,
): Promise<boolean> {
  if (fault.delayMs) await delay(fault.delayMs);
  switch (fault.kind) {
    case 'delay':
      await delay(fault.ms);
      return false;
    case 'drop':
      dropConnection(req);
      return true;
    case 'aadsts':
      sendAadError(fault.code, {
        status: fault.status,
        description: fault.description,
        error: fault.error,
        suberror: fault.suberror,
      });
      return true;
    case 'oauth':
      sendOAuthError(req, res, fault);
      return true;
    case 'status':
      sendStatusFault(req, res, fault.status, fault.retryAfterSeconds);
      return true;
    case 'html':
      sendHtmlFault(res, fault.status ?? 400);
      return true;
    case 'redirect':
      res.writeHead(fault.status ?? 307, { location: fault.location ?? req.url ?? '/' });
      res.end();
      return true;
    case 'empty-token':
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(
        JSON.stringify(
          fault.variant === 'no-expiry'
            ? { token_type: 'Bearer', access_token: 'not-a-token', expires_in: 0, scope: 'User.Read' }
            : { token_type: 'Bearer', access_token: '', expires_in: 3599, scope: 'User.Read' },
        ),
      );
      return true;
  }
}
