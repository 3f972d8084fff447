/** Faults the sandbox Graph can inject, and Graph's usual error codes (docs/sandbox.md, "Graph"). */
import { z } from 'zod';
import { describeIssues } from '../http';

/** `events` covers every calendar route (events, one event, cancel, calendar view); `batch` is `$batch`. */
export type GraphPath = 'me' | 'events' | 'batch' | 'any';

export type GraphFault =
  | {
      kind: 'status';
      status: number;
      /** Graph's error code, e.g. `ErrorAccessDenied`; defaults to the usual code for the status. */
      code?: string;
      message?: string;
      retryAfterSeconds?: number;
      path?: GraphPath;
      times?: number;
    }
  | { kind: 'delay'; ms: number; path?: GraphPath; times?: number }
  | { kind: 'drop'; path?: GraphPath; times?: number }
  /** Carries the request out (stores the event), then destroys the connection: the answer is lost. */
  | { kind: 'commit-drop'; path?: GraphPath; times?: number }
  /** A continuous access evaluation challenge: 401 with `WWW-Authenticate: ... claims="<base64>"` (once by default). */
  | { kind: 'claims'; path?: GraphPath; times?: number };

const pathSchema = z.enum(['me', 'events', 'batch', 'any']).optional();
const timesSchema = z.number().int().positive().optional();
const faultSchema: z.ZodType<GraphFault> = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('status'),
      status: z.number().int().min(400).max(599),
      code: z.string().optional(),
      message: z.string().optional(),
      retryAfterSeconds: z.number().int().nonnegative().optional(),
      path: pathSchema,
      times: timesSchema,
    })
    .strict(),
  z
    .object({
      kind: z.literal('delay'),
      ms: z.number().int().nonnegative(),
      path: pathSchema,
      times: timesSchema,
    })
    .strict(),
  z.object({ kind: z.literal('drop'), path: pathSchema, times: timesSchema }).strict(),
  z.object({ kind: z.literal('commit-drop'), path: pathSchema, times: timesSchema }).strict(),
  z.object({ kind: z.literal('claims'), path: pathSchema, times: timesSchema }).strict(),
]);

export function parseGraphFault(body: unknown): GraphFault {
  const parsed = faultSchema.safeParse(body);
  if (!parsed.success) throw new Error(describeIssues(parsed.error.issues));
  // A CAE challenge is answered once by a real client; unlimited would only loop.
  return parsed.data.kind === 'claims' ? { ...parsed.data, times: parsed.data.times ?? 1 } : parsed.data;
}

/** Graph's usual error code and message per status, for faults that name none. */
export const DEFAULT_ERRORS: Readonly<Record<number, [string, string]>> = {
  400: ['BadRequest', 'Bad request.'],
  401: ['InvalidAuthenticationToken', 'Access token validation failure.'],
  403: ['ErrorAccessDenied', 'Access is denied. Check credentials and try again.'],
  404: ['Request_ResourceNotFound', 'Resource not found.'],
  409: [
    'ErrorIrresolvableConflict',
    'The change key passed in the request does not match the current change key.',
  ],
  429: ['TooManyRequests', 'Too many requests.'],
  500: ['InternalServerError', 'An internal server error occurred.'],
  502: ['BadGateway', 'Bad gateway.'],
  503: ['ServiceNotAvailable', 'The service is temporarily unavailable.'],
  504: ['GatewayTimeout', 'Gateway timeout.'],
};

/** The claims a CAE challenge asks for (Entra's shape), base64 as in the header. */
export const CAE_CLAIMS = Buffer.from(
  JSON.stringify({
    access_token: { nbf: { essential: true, value: String(Math.floor(Date.now() / 1000)) } },
  }),
).toString('base64');
