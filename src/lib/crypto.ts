import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { ERRORS, GraphTokenError } from './errors';

/** A 256-bit data key and the version that names it (a Key Vault secret version, or a local id). */
export interface DataKey {
  readonly version: string;
  readonly key: Buffer;
}

/** Resolves data keys: the current one for encryption, any known version for decryption. */
export interface KeyRing {
  current(): Promise<DataKey>;
  byVersion(version: string): Promise<DataKey>;
}

const FORMAT = 'v1';
/** The full GCM tag: decryption refuses anything shorter. */
const TAG_BYTES = 16;

/**
 * AES-256-GCM with the row's identity as associated data: a ciphertext copied into another row, or
 * into another field of the same row, fails authentication instead of decrypting.
 * Layout: `v1.<keyVersion>.<iv>.<ciphertext>.<tag>` (base64url parts).
 */
export function encrypt(plaintext: string, associatedData: string, key: DataKey): string {
  if (key.key.length !== 32)
    throw new GraphTokenError(ERRORS.ENCRYPTION_KEY_MISSING, 'The data key is not 256 bits');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(Buffer.from(`${FORMAT}|${key.version}|${associatedData}`, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    FORMAT,
    key.version,
    iv.toString('base64url'),
    body.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
  ].join('.');
}

export function keyVersionOf(blob: string): string {
  const parts = blob.split('.');
  if (parts.length !== 5 || parts[0] !== FORMAT) {
    throw new GraphTokenError(ERRORS.DECRYPTION_FAILED, 'Stored ciphertext has an unknown format');
  }
  return parts[1]!;
}

export async function decrypt(blob: string, associatedData: string, keys: KeyRing): Promise<string> {
  const version = keyVersionOf(blob);
  const [, , iv, body, tag] = blob.split('.') as [string, string, string, string, string];
  const key = await keys.byVersion(version);
  const authTag = Buffer.from(tag, 'base64url');
  // GCM accepts tags as short as 4 bytes unless told otherwise; a shortened tag is a forgery aid.
  if (authTag.length !== TAG_BYTES) {
    throw new GraphTokenError(
      ERRORS.DECRYPTION_FAILED,
      'Stored ciphertext has a truncated authentication tag',
    );
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(`${FORMAT}|${version}|${associatedData}`, 'utf8'));
    decipher.setAuthTag(authTag);
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch (cause) {
    throw new GraphTokenError(ERRORS.DECRYPTION_FAILED, 'Stored ciphertext failed its integrity check', {
      cause,
    });
  }
}

/** A keyed fingerprint: comparable across processes, useless for recovering the input without the key. */
export function fingerprint(value: string, key: Buffer, purpose: string): string {
  return createHmac('sha256', key).update(`${purpose}\u0000${value}`).digest('base64url').slice(0, 32);
}
