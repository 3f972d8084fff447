/**
 * The Key Vault stand-in must work through the real SecretClient and ClientSecretCredential, including
 * the challenge-based authentication the SDK performs against the real service.
 */
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { SandboxIdentityProvider, SandboxKeyVault } from '../../src/sandbox';

describe('SandboxKeyVault', () => {
  let idp: SandboxIdentityProvider;
  let vault: SandboxKeyVault;
  let client: SecretClient;

  beforeAll(async () => {
    idp = await SandboxIdentityProvider.start();
    vault = await SandboxKeyVault.start({ identityProvider: idp });
    const credential = new ClientSecretCredential(idp.tenant, 'any-client', 'any-secret', {
      authorityHost: idp.authorityHost,
      disableInstanceDiscovery: true,
    });
    client = new SecretClient(vault.url, credential, {
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 0 },
    });
  });
  afterAll(async () => {
    await vault.close();
    await idp.close();
  });
  beforeEach(() => {
    vault.clearFaults();
    vault.resetCounts();
  });

  it('serves secrets to SecretClient after the 401 challenge, by latest and by version', async () => {
    const first = vault.setSecret('graph-password', 'first-password');
    expect(first).toMatch(/^[0-9a-f]{32}$/);

    const latest = await client.getSecret('graph-password');
    expect(latest.value).toBe('first-password');
    expect(latest.properties.version).toBe(first);
    expect(latest.properties.enabled).toBe(true);
    expect(latest.properties.vaultUrl).toBe(vault.url);
    expect(vault.counts).toMatchObject({ get: 1, challenges: 1, unauthorized: 0 });
    expect(idp.counts.client_credentials).toBe(1);

    const second = vault.setSecret('graph-password', 'second-password');
    const changed = await client.getSecret('graph-password');
    expect(changed.value).toBe('second-password');
    expect(changed.properties.version).toBe(second);
    expect(changed.properties.version).not.toBe(first);

    const pinned = await client.getSecret('graph-password', { version: first });
    expect(pinned.value).toBe('first-password');
    // The credential's token is reused; no second challenge, no second token request.
    expect(vault.counts).toMatchObject({ get: 3, challenges: 1 });
    expect(idp.counts.client_credentials).toBe(1);

    const versions: string[] = [];
    for await (const properties of client.listPropertiesOfSecretVersions('graph-password')) {
      versions.push(properties.version!);
    }
    expect(versions.sort()).toEqual([first, second].sort());
  });

  it('stores secrets set through the SDK and answers SecretNotFound for missing ones', async () => {
    const stored = await client.setSecret('token-encryption-key', 'a2V5', {
      contentType: 'application/octet-stream',
    });
    expect(stored.properties.version).toMatch(/^[0-9a-f]{32}$/);
    expect(vault.peekSecret('token-encryption-key')).toBe('a2V5');
    expect(vault.counts.set).toBe(1);
    await expect(client.getSecret('does-not-exist')).rejects.toMatchObject({
      statusCode: 404,
      code: 'SecretNotFound',
    });
  });

  it('refuses tokens not signed by the identity provider, and requests without api-version', async () => {
    vault.setSecret('probe', 'value');
    const forged = await fetch(`${vault.url}/secrets/probe?api-version=7.6`, {
      headers: { authorization: `Bearer ${await idp.signApiToken()}` }, // right signer, wrong audience
    });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toBe(
      `Bearer authorization="${idp.authorityHost}/${idp.tenant}", resource="https://vault.azure.net"`,
    );
    expect(vault.counts.unauthorized).toBe(1);
    const good = await idp.signApiToken({ audience: 'https://vault.azure.net' });
    const noVersion = await fetch(`${vault.url}/secrets/probe`, {
      headers: { authorization: `Bearer ${good}` },
    });
    expect(noVersion.status).toBe(400);
    const ok = await fetch(`${vault.url}/secrets/probe?api-version=7.6`, {
      headers: { authorization: `Bearer ${good}` },
    });
    expect(((await ok.json()) as { value: string }).value).toBe('value');
  });

  it('injects throttling and network faults', async () => {
    vault.setSecret('graph-password', 'x');
    vault.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 3, times: 1 });
    const throttled = await fetch(`${vault.url}/secrets/graph-password?api-version=7.6`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('3');
    vault.injectFault({ kind: 'drop', times: 1 });
    await expect(client.getSecret('graph-password')).rejects.toThrow();
    await expect(client.getSecret('graph-password')).resolves.toMatchObject({ value: 'x' });
  });
});
