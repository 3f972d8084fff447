/** startSandbox wires the stand-ins together and describes them in configuration variables (README, "Configuration"). */
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '../../src/sandbox';

describe('startSandbox', () => {
  const sandboxes: Sandbox[] = [];
  afterAll(async () => {
    for (const sandbox of sandboxes) await sandbox.close();
  });

  it('with Key Vault: the password and a fresh key live in the vault stand-in', async () => {
    const sandbox = await startSandbox({ keyVault: true, azurite: false });
    sandboxes.push(sandbox);
    const { env } = sandbox;
    expect(env).toMatchObject({
      GRAPH_CLIENT_ID: SANDBOX_DEFAULTS.clientId,
      GRAPH_TENANT: SANDBOX_DEFAULTS.tenant,
      GRAPH_USERNAME: SANDBOX_DEFAULTS.username,
      GRAPH_AUTHORITY_HOST: sandbox.idp.authorityHost,
      GRAPH_API_BASE_URL: sandbox.graph.baseUrl,
      GRAPH_GROUP_ID: '33333333-3333-4333-8333-333333333333',
      API_AUDIENCE: 'api://graph-token-manager',
      KEY_VAULT_URL: sandbox.keyVault!.url,
    });
    expect(env.TOKEN_TABLE_NAME).toMatch(/^[A-Za-z][A-Za-z0-9]{2,62}$/);
    expect(env.GRAPH_PASSWORD).toBeUndefined();
    expect(env.TOKEN_ENCRYPTION_KEY).toBeUndefined();
    expect(env.AzureWebJobsStorage).toBeUndefined();

    const client = new SecretClient(
      env.KEY_VAULT_URL,
      new ClientSecretCredential(env.AZURE_TENANT_ID, env.AZURE_CLIENT_ID, env.AZURE_CLIENT_SECRET, {
        authorityHost: env.AZURE_AUTHORITY_HOST,
        disableInstanceDiscovery: true,
      }),
      { disableChallengeResourceVerification: true },
    );
    expect((await client.getSecret('graph-password')).value).toBe(SANDBOX_DEFAULTS.password);
    const key = (await client.getSecret('token-encryption-key')).value!;
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
  });

  it('without Key Vault: password and key in the environment, Azurite started and stopped with it', async () => {
    const sandbox = await startSandbox();
    sandboxes.push(sandbox);
    expect(sandbox.keyVault).toBeNull();
    expect(sandbox.env.GRAPH_PASSWORD).toBe(SANDBOX_DEFAULTS.password);
    expect(Buffer.from(sandbox.env.TOKEN_ENCRYPTION_KEY, 'base64')).toHaveLength(32);
    expect(sandbox.env.AzureWebJobsStorage).toContain(`TableEndpoint=${sandbox.azurite!.tableEndpoint}`);

    // A second sandbox can share the first one's Azurite; closing it leaves that Azurite running.
    const sharing = await startSandbox({ azurite: sandbox.azurite! });
    expect(sharing.env.AzureWebJobsStorage).toBe(sandbox.env.AzureWebJobsStorage);
    expect(sharing.env.TOKEN_TABLE_NAME).not.toBe(sandbox.env.TOKEN_TABLE_NAME);
    await sharing.close();
    const alive = await fetch(`${sandbox.azurite!.tableEndpoint}/Tables`).catch(() => null);
    expect(alive).not.toBeNull();
  });
});
