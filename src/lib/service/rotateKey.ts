import type { TokenEntity } from '../store';
import type { OperationContext, RotateKeySummary } from '../types';
import { audit } from './audit';
import type { ServiceCore } from './context';
import { needsResealing, seal, unseal } from './sealing';

/** Re-encrypts every stored ciphertext under the current data key (after a new key version). */
export async function rotateKey(core: ServiceCore, ctx: OperationContext): Promise<RotateKeySummary> {
  const { store, secrets, config } = core;
  secrets.invalidate();
  const key = await secrets.current();
  let rotated = 0;
  let continuationToken: string | undefined;
  do {
    const page = await store.listTokens({ continuationToken, limit: 200 });
    for (const token of page.items) {
      const fields: Partial<TokenEntity> = {};
      if (needsResealing(token.access_token_enc, key.version)) {
        const plain = await unseal(config, token, 'access_token', token.access_token_enc, secrets);
        fields.access_token_enc = seal(config, token, 'access_token', plain, key);
      }
      if (needsResealing(token.msal_cache_enc, key.version)) {
        const plain = await unseal(config, token, 'msal_cache', token.msal_cache_enc, secrets);
        fields.msal_cache_enc = seal(config, token, 'msal_cache', plain, key);
      }
      if (Object.keys(fields).length) {
        await store.updateToken(
          token.token_type,
          token.id,
          { ...fields, key_version: key.version },
          token.etag,
        );
        rotated++;
      }
    }
    continuationToken = page.continuationToken ?? undefined;
  } while (continuationToken);
  await audit(core, ctx, 'rotate-key', '*', 'success', `key_version=${key.version} rotated=${rotated}`);
  return { success: true, key_version: key.version, rotated };
}
