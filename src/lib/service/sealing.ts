import type { Config } from '../config';
import { decrypt, encrypt, keyVersionOf } from '../crypto';
import type { DataKey, KeyRing } from '../crypto';
import type { TokenEntity } from '../store';

/** The sealed fields of a token row. */
export type SealedField = 'access_token' | 'msal_cache';

/**
 * Associated data of a ciphertext: table, type, row id and field, so a ciphertext copied to another row
 * or field does not decrypt (docs/architecture.md, "Encryption at rest").
 */
export function aad(
  config: Config,
  token: Pick<TokenEntity, 'token_type' | 'id'>,
  field: SealedField,
): string {
  return `${config.tableName}/${token.token_type}/${token.id}/${field}`;
}

export function seal(
  config: Config,
  token: Pick<TokenEntity, 'token_type' | 'id'>,
  field: SealedField,
  plain: string,
  key: DataKey,
): string {
  return encrypt(plain, aad(config, token, field), key);
}

export function unseal(
  config: Config,
  token: Pick<TokenEntity, 'token_type' | 'id'>,
  field: SealedField,
  ciphertext: string,
  keys: KeyRing,
): Promise<string> {
  return decrypt(ciphertext, aad(config, token, field), keys);
}

/** True when `ciphertext` is sealed under another key version than `version`. */
export function needsResealing(ciphertext: string | null, version: string): ciphertext is string {
  return !!ciphertext && keyVersionOf(ciphertext) !== version;
}
