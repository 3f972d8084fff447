import type { TokenCredential } from '@azure/identity';
import { DefaultAzureCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import type { Clock } from './clock';
import { isLoopback, type Config } from './config';
import { fingerprint, type DataKey, type KeyRing } from './crypto';
import { ERRORS, GraphTokenError, sanitize } from './errors';

export interface Password {
  readonly value: string;
  /** Identifies the secret without revealing it: the Key Vault version, or a keyed hash locally. */
  readonly fingerprint: string;
}

/** A Key Vault secret holding the app's certificate (PEM) or client secret; never logged. */
export interface ClientCredential {
  readonly value: string;
  readonly version: string;
}

interface Cached<T> {
  value: T;
  until: number;
}

/**
 * The one module that reads secrets: the service account's password and the data key, from Key Vault
 * (through the real `SecretClient`) or, for local development, from the configuration.
 * Latest versions are cached for `SECRET_CACHE_SECONDS` (≤ 5 min), so Key Vault sees at most a few reads
 * per instance per hour; versioned keys never change and are cached for the life of the process.
 */
export class SecretSource implements KeyRing {
  private readonly client: SecretClient | undefined;
  private password: Cached<Password> | undefined;
  private currentKey: Cached<DataKey> | undefined;
  private clientCredential: Cached<ClientCredential> | undefined;
  private webhookSecret: Cached<string> | undefined;
  private readonly keysByVersion = new Map<string, DataKey>();
  private readonly inflight = new Map<string, Promise<unknown>>();
  /** Key Vault reads made by this instance (for the docs/architecture.md budget). */
  reads = 0;

  constructor(
    private readonly config: Config,
    private readonly clock: Clock,
    credential?: TokenCredential,
  ) {
    if (config.keyVaultUrl !== undefined) {
      const vaultHost = new URL(config.keyVaultUrl).hostname;
      this.client = new SecretClient(
        config.keyVaultUrl,
        credential ?? new DefaultAzureCredential({ managedIdentityClientId: config.managedIdentityClientId }),
        // A local stand-in cannot live on *.vault.azure.net, which the challenge check insists on.
        { disableChallengeResourceVerification: isLoopback(vaultHost) },
      );
    }
  }

  get passwordSource(): 'key_vault' | 'environment' | 'none' {
    if (this.config.tokenType === 'delegated') return 'none';
    if (this.client) return 'key_vault';
    return this.config.localSecrets.password !== undefined ? 'environment' : 'none';
  }

  /** Drops cached latest versions, e.g. after a credential error, so a rotated secret is seen at once. */
  invalidate(): void {
    this.password = undefined;
    this.currentKey = undefined;
    this.clientCredential = undefined;
  }

  async getPassword(): Promise<Password> {
    const now = this.clock.now();
    if (this.password && now < this.password.until) return this.password.value;
    const value = await this.once('password', async () => {
      if (this.client) {
        const secret = await this.read(this.config.passwordSecretName);
        return { value: secret.value, fingerprint: `kv:${secret.version}` };
      }
      const local = this.config.localSecrets.password;
      if (local === undefined) {
        throw new GraphTokenError(
          ERRORS.CONFIGURATION_INVALID,
          'No password source: set KEY_VAULT_URL (or GRAPH_PASSWORD for local development)',
        );
      }
      const key = await this.current();
      return { value: local, fingerprint: `local:${fingerprint(local, key.key, 'graph-password')}` };
    });
    this.password = { value, until: now + this.config.lifecycle.secretCacheSeconds * 1000 };
    return value;
  }

  /**
   * The app's client credential for the delegated sign-in (GRAPH_CLIENT_CREDENTIAL_SECRET_NAME): a PEM
   * certificate with its private key, or a client secret. `undefined` when none is configured.
   */
  async getClientCredential(): Promise<ClientCredential | undefined> {
    const name = this.config.clientCredentialSecretName;
    if (name === undefined || !this.client) return undefined;
    const now = this.clock.now();
    if (this.clientCredential && now < this.clientCredential.until) return this.clientCredential.value;
    const value = await this.once('client-credential', async () => {
      const secret = await this.read(name);
      return { value: secret.value, version: secret.version };
    });
    this.clientCredential = { value, until: now + this.config.lifecycle.secretCacheSeconds * 1000 };
    return value;
  }

  /** The key that signs notifications (`NOTIFY_WEBHOOK_SECRET_NAME`, or `NOTIFY_WEBHOOK_SECRET` locally). */
  async getWebhookSecret(): Promise<string> {
    const now = this.clock.now();
    if (this.webhookSecret && now < this.webhookSecret.until) return this.webhookSecret.value;
    const value = await this.once('webhook', async () => {
      const name = this.config.notify?.secretName;
      if (this.client && name !== undefined) return (await this.read(name)).value;
      const local = this.config.localSecrets.webhookSecret;
      if (local === undefined) {
        throw new GraphTokenError(
          ERRORS.CONFIGURATION_INVALID,
          'No notification signing key: set NOTIFY_WEBHOOK_SECRET_NAME (or NOTIFY_WEBHOOK_SECRET for local development)',
        );
      }
      return local;
    });
    this.webhookSecret = { value, until: now + this.config.lifecycle.secretCacheSeconds * 1000 };
    return value;
  }

  async current(): Promise<DataKey> {
    const now = this.clock.now();
    if (this.currentKey && now < this.currentKey.until) return this.currentKey.value;
    const key = await this.once('key', async () => {
      if (this.client) {
        const secret = await this.read(this.config.encryptionKeySecretName);
        return toDataKey(secret.value, secret.version);
      }
      const local = this.config.localSecrets.encryptionKey;
      if (local === undefined) {
        throw new GraphTokenError(
          ERRORS.ENCRYPTION_KEY_MISSING,
          'No data key: set KEY_VAULT_URL with the TOKEN_ENCRYPTION_KEY_SECRET_NAME secret (or TOKEN_ENCRYPTION_KEY locally)',
        );
      }
      return { version: `local-${fingerprint('key-id', local, 'key-version').slice(0, 12)}`, key: local };
    });
    this.keysByVersion.set(key.version, key);
    this.currentKey = { value: key, until: now + this.config.lifecycle.secretCacheSeconds * 1000 };
    return key;
  }

  async byVersion(version: string): Promise<DataKey> {
    const known = this.keysByVersion.get(version);
    if (known) return known;
    const current = await this.current();
    if (current.version === version) return current;
    if (!this.client || version.startsWith('local-')) {
      throw new GraphTokenError(
        ERRORS.ENCRYPTION_KEY_UNKNOWN,
        `Data key version ${version} is not available`,
      );
    }
    const secret = await this.read(this.config.encryptionKeySecretName, version);
    const key = toDataKey(secret.value, secret.version);
    this.keysByVersion.set(version, key);
    return key;
  }

  private async read(name: string, version?: string): Promise<{ value: string; version: string }> {
    const client = this.client!;
    this.reads++;
    try {
      const secret = await client.getSecret(name, version ? { version } : {});
      if (secret.value === undefined || secret.properties.version === undefined) {
        throw new GraphTokenError(ERRORS.SECRET_NOT_FOUND, `Key Vault secret ${name} has no value`);
      }
      return { value: secret.value, version: secret.properties.version };
    } catch (error) {
      if (error instanceof GraphTokenError) throw error;
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 404) {
        throw new GraphTokenError(ERRORS.SECRET_NOT_FOUND, `Key Vault secret ${name} was not found`);
      }
      if (status === 401 || status === 403) {
        throw new GraphTokenError(
          { ...ERRORS.KEY_VAULT_UNAVAILABLE, category: 'configuration' },
          `Key Vault refused to read secret ${name} (HTTP ${status})`,
        );
      }
      throw new GraphTokenError(
        ERRORS.KEY_VAULT_UNAVAILABLE,
        `Key Vault could not be read: ${sanitize((error as Error).message ?? String(error))}`,
        { cause: error },
      );
    }
  }

  private once<T>(key: string, load: () => Promise<T>): Promise<T> {
    const existing = this.inflight.get(key) as Promise<T> | undefined;
    if (existing) return existing;
    const promise = load().finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
  }
}

function toDataKey(base64: string, version: string): DataKey {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32) {
    throw new GraphTokenError(
      ERRORS.ENCRYPTION_KEY_MISSING,
      'The data key secret is not a base64-encoded 256-bit key (TOKEN_ENCRYPTION_KEY_SECRET_NAME)',
    );
  }
  return { version, key };
}
