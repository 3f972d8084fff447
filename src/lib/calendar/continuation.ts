/**
 * Continuation tokens (docs/architecture.md, docs/events.md "Paging"): opaque to callers and signed, binding the
 * calendar, the caller and Graph's next link. A caller can neither inject OData options (a longer range,
 * another `$filter`) nor replay another caller's or another calendar's page: anything changed is
 * `INVALID_CONTINUATION_TOKEN`. The HMAC key is derived from the data key (never the data key itself),
 * and the token names the key version, so pages issued before a key rotation stay readable.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { DataKey, KeyRing } from '../crypto';
import { ERRORS, GraphTokenError } from '../errors';
import type { SigningPort } from './deps';

const INFO = 'graph-token-manager/continuation-token/v1';

function macKey(key: DataKey): Buffer {
  return Buffer.from(hkdfSync('sha256', key.key, Buffer.alloc(0), INFO, 32));
}

const mac = (key: DataKey, data: string): Buffer => createHmac('sha256', macKey(key)).update(data).digest();

/** The signing port over the service's data keys (Key Vault in Azure, TOKEN_ENCRYPTION_KEY locally). */
export function signingFrom(keys: KeyRing): SigningPort {
  return {
    async sign(data) {
      const key = await keys.current();
      return `${Buffer.from(key.version, 'utf8').toString('base64url')}.${mac(key, data).toString('base64url')}`;
    },
    async verify(data, signature) {
      const [version, sig] = signature.split('.');
      if (!version || !sig) return false;
      let key: DataKey;
      try {
        key = await keys.byVersion(Buffer.from(version, 'base64url').toString('utf8'));
      } catch {
        return false;
      }
      const expected = mac(key, data);
      const given = Buffer.from(sig, 'base64url');
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

/** What a token is bound to: the page's calendar, the caller, and which list it continues. */
export interface ContinuationBinding {
  groupId: string;
  actor: string;
  /** The Graph path every page of this list starts with (e.g. `/groups/{id}/calendarView?`). */
  prefix: string;
}

interface Payload {
  g: string;
  a: string;
  p: string;
}

/** A token for Graph's next link (absolute, as Graph gives it), or null when there is no next page. */
export async function issueContinuation(
  signing: SigningPort,
  binding: ContinuationBinding,
  nextLink: unknown,
): Promise<string | null> {
  if (typeof nextLink !== 'string') return null;
  let url: URL;
  try {
    url = new URL(nextLink);
  } catch {
    return null;
  }
  // Graph's link carries its version segment (`/v1.0/...`): keep the path below it.
  const path = `${url.pathname.replace(/^\/[^/]+/, '')}${url.search}`;
  if (!path.startsWith(binding.prefix)) return null;
  const payload: Payload = { g: binding.groupId, a: binding.actor, p: path };
  const data = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${data}.${await signing.sign(data)}`;
}

function invalid(): GraphTokenError {
  return new GraphTokenError(
    ERRORS.INVALID_CONTINUATION_TOKEN,
    'continuation_token: is not one this API issued for this list, caller and calendar',
  );
}

/** The Graph path a token stands for; `INVALID_CONTINUATION_TOKEN` unless signed and bound to `binding`. */
export async function readContinuation(
  signing: SigningPort,
  binding: ContinuationBinding,
  token: string,
): Promise<string> {
  if (token.length > 8192) throw invalid();
  const dot = token.indexOf('.');
  if (dot <= 0) throw invalid();
  const data = token.slice(0, dot);
  if (!(await signing.verify(data, token.slice(dot + 1)))) throw invalid();
  let payload: Partial<Payload>;
  try {
    payload = JSON.parse(Buffer.from(data, 'base64url').toString('utf8')) as Partial<Payload>;
  } catch {
    throw invalid();
  }
  if (
    payload.g !== binding.groupId ||
    payload.a !== binding.actor ||
    typeof payload.p !== 'string' ||
    !payload.p.startsWith(binding.prefix)
  ) {
    throw invalid();
  }
  return payload.p;
}
