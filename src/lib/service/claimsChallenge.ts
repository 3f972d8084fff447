/**
 * Continuous access evaluation (docs/delegated.md): a resource that revokes a token early answers 401
 * with `WWW-Authenticate: Bearer ..., error="insufficient_claims", claims="<base64 JSON>"`. The claims
 * are what the next token request must carry (MSAL's `claims` option).
 */
export function claimsChallengeOf(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const match = /(?:^|[\s,])claims\s*=\s*"([^"]*)"/i.exec(header);
  if (!match?.[1]) return undefined;
  const raw = match[1].trim();
  for (const candidate of [decodeBase64(raw), raw]) {
    if (candidate === undefined) continue;
    try {
      const parsed: unknown = JSON.parse(candidate);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return JSON.stringify(parsed);
    } catch {
      // not this encoding
    }
  }
  return undefined;
}

function decodeBase64(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(value)) return undefined;
  return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
}
