/**
 * The local sandbox: loopback stand-ins for Entra ID, Key Vault, Microsoft Graph and Table Storage that
 * the real MSAL and Azure SDK clients talk to. Used by `npm start` and by the integration tests.
 * See docs/sandbox.md.
 */
import { randomBytes } from 'node:crypto';
import { startAzurite, type AzuriteHandle } from './azurite';
import { SandboxGraph } from './graph';
import {
  SANDBOX_DEFAULTS,
  SandboxIdentityProvider,
  type SandboxIdentityProviderOptions,
} from './identityProvider';
import { SandboxKeyVault } from './keyVault';

export * from './azurite';
export * from './certs';
export * from './graph';
export * from './identityProvider';
export * from './keyVault';
export * from './tcpProxy';
export type { SandboxRequestLog } from './http';

export interface Sandbox {
  idp: SandboxIdentityProvider;
  graph: SandboxGraph;
  keyVault: SandboxKeyVault | null;
  azurite: AzuriteHandle | null;
  /** Configuration variables (README, "Configuration") that point the service at the stand-ins. */
  env: Record<string, string>;
  /** Stops everything this call started (an Azurite handle passed in is left running). */
  close(): Promise<void>;
}

export interface StartSandboxOptions {
  /** Keep the password and the encryption key in the Key Vault stand-in instead of the environment. */
  keyVault?: boolean;
  /** true (default): start Azurite; false: none; a handle: share an Azurite started elsewhere. */
  azurite?: boolean | AzuriteHandle;
  idp?: SandboxIdentityProviderOptions;
}

/** Secret names the service reads by default (README, "Configuration"). */
export const PASSWORD_SECRET_NAME = 'graph-password';
export const ENCRYPTION_KEY_SECRET_NAME = 'token-encryption-key';
/** Client credentials the service may use for the Key Vault stand-in (any secret is accepted). */
export const SANDBOX_VAULT_CLIENT = Object.freeze({
  clientId: '77777777-7777-4777-8777-777777777777',
  clientSecret: 'sandbox-vault-client-secret',
});

/**
 * Starts the stand-ins and returns the environment that points the service at them.
 *
 * @example
 * const sandbox = await startSandbox({ keyVault: true });
 * const service = createTokenService({ env: sandbox.env });
 * await sandbox.close();
 */
export async function startSandbox(options: StartSandboxOptions = {}): Promise<Sandbox> {
  const stops: Array<() => Promise<void>> = [];
  const closeAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  // Azurite is the slowest to start: overlap it with the HTTPS stand-ins.
  const ownsAzurite = typeof options.azurite !== 'object';
  const azuriteReady: Promise<AzuriteHandle | null> = (
    typeof options.azurite === 'object'
      ? Promise.resolve(options.azurite)
      : options.azurite === false
        ? Promise.resolve(null)
        : startAzurite()
  ).then((handle) => {
    if (handle && ownsAzurite) stops.push(() => handle.stop());
    return handle;
  });
  azuriteReady.catch(() => undefined); // awaited below; this only prevents an unhandled-rejection warning

  try {
    const idp = await SandboxIdentityProvider.start(options.idp);
    stops.push(() => idp.close());
    const graph = await SandboxGraph.start({ identityProvider: idp, certificate: options.idp?.certificate });
    stops.push(() => graph.close());
    const azurite = await azuriteReady;

    const username = idp.usernames[0];
    const password = options.idp?.users?.[0]?.password ?? SANDBOX_DEFAULTS.password;
    const encryptionKey = randomBytes(32).toString('base64');
    const env: Record<string, string> = {
      GRAPH_CLIENT_ID: idp.clientId,
      GRAPH_TENANT: idp.tenant,
      GRAPH_USERNAME: username,
      GRAPH_AUTHORITY_HOST: idp.authorityHost,
      GRAPH_API_BASE_URL: graph.baseUrl,
      GRAPH_GROUP_ID: graph.groupIds[0],
      API_AUDIENCE: idp.apiAudience,
      TOKEN_TABLE_NAME: `GraphTokens${randomBytes(5).toString('hex')}`,
    };
    if (azurite) env.AzureWebJobsStorage = azurite.connectionString;

    let keyVault: SandboxKeyVault | null = null;
    if (options.keyVault) {
      const vault = await SandboxKeyVault.start({
        identityProvider: idp,
        certificate: options.idp?.certificate,
      });
      stops.push(() => vault.close());
      vault.setSecret(PASSWORD_SECRET_NAME, password);
      vault.setSecret(ENCRYPTION_KEY_SECRET_NAME, encryptionKey);
      Object.assign(env, {
        KEY_VAULT_URL: vault.url,
        // The standard @azure/identity variables, so a ClientSecretCredential/EnvironmentCredential can
        // reach the vault stand-in (with disableInstanceDiscovery: instance discovery goes to the internet).
        AZURE_TENANT_ID: idp.tenant,
        AZURE_CLIENT_ID: SANDBOX_VAULT_CLIENT.clientId,
        AZURE_CLIENT_SECRET: SANDBOX_VAULT_CLIENT.clientSecret,
        AZURE_AUTHORITY_HOST: idp.authorityHost,
      });
      keyVault = vault;
    } else {
      Object.assign(env, { GRAPH_PASSWORD: password, TOKEN_ENCRYPTION_KEY: encryptionKey });
    }

    return { idp, graph, keyVault, azurite, env, close: closeAll };
  } catch (error) {
    await azuriteReady.catch(() => null); // so that an Azurite still starting is stopped too
    await closeAll();
    throw error;
  }
}
