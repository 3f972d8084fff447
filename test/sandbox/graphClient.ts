/** A small Graph client for the sandbox Graph's tests: a real token from the sandbox identity provider, fetch. */
import { SANDBOX_DEFAULTS, type SandboxGraph, type SandboxIdentityProvider } from '../../src/sandbox';

export async function graphToken(
  idp: SandboxIdentityProvider,
  scope = 'https://graph.microsoft.com/.default',
): Promise<string> {
  const response = await fetch(`${idp.authorityHost}/${idp.tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: idp.clientId,
      username: SANDBOX_DEFAULTS.username,
      password: SANDBOX_DEFAULTS.password,
      scope: `${scope} openid profile offline_access`,
    }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Answer {
  status: number;
  headers: Headers;
  body: Json;
}

/** `call(path, { method, body, prefer })` against the Graph base URL (or an absolute nextLink). */
export function client(graph: SandboxGraph, token: string) {
  return async (
    path: string,
    init: { method?: string; body?: unknown; prefer?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer> => {
    const response = await fetch(path.startsWith('https://') ? path : `${graph.baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(init.prefer ? { prefer: init.prefer } : {}),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as Json) : {},
    };
  };
}

/** The control base URL (`https://localhost:<port>/_sandbox`). */
export function controlUrl(graph: SandboxGraph): string {
  return `${graph.baseUrl.replace(/\/v1\.0$/, '')}/_sandbox`;
}
