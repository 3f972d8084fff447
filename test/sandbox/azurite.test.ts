/** Embedded Azurite on ephemeral ports, and a TCP proxy that simulates a storage outage. */
import { TableClient } from '@azure/data-tables';
import { TcpProxy, startAzurite, tableConnectionString, type AzuriteHandle } from '../../src/sandbox';

describe('startAzurite and TcpProxy', () => {
  let azurite: AzuriteHandle;

  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(() => azurite?.stop());

  it('serves Table Storage on an ephemeral port', async () => {
    expect(azurite.port).toBeGreaterThan(0);
    expect(azurite.port).not.toBe(10002);
    expect(azurite.tableEndpoint).toBe(`http://127.0.0.1:${azurite.port}/devstoreaccount1`);
    const table = TableClient.fromConnectionString(azurite.connectionString, 'SandboxTest', {
      allowInsecureConnection: true,
    });
    await table.createTable();
    await table.createEntity({ partitionKey: 'p', rowKey: 'r', value: 42 });
    expect(await table.getEntity<{ value: number }>('p', 'r')).toMatchObject({ value: 42 });
  });

  it('fails fast while the proxy is down and works again once it is up', async () => {
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: azurite.port });
    try {
      const cs = tableConnectionString(`http://127.0.0.1:${proxy.port}/devstoreaccount1`);
      const table = TableClient.fromConnectionString(cs, 'Proxied', {
        allowInsecureConnection: true,
        retryOptions: { maxRetries: 0 },
      });
      await table.createTable();
      await table.upsertEntity({ partitionKey: 'p', rowKey: 'r' });

      await proxy.down();
      expect(proxy.isUp).toBe(false);
      const started = Date.now();
      // A kept-alive connection is reset; a new one is refused. Either way: at once, not after a timeout.
      const failure = await table.getEntity('p', 'r').catch((error: { code?: string }) => error);
      expect(['ECONNRESET', 'ECONNREFUSED']).toContain((failure as { code?: string }).code);
      await expect(table.getEntity('p', 'r')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      expect(Date.now() - started).toBeLessThan(2000);

      await proxy.up();
      await expect(table.getEntity('p', 'r')).resolves.toMatchObject({ rowKey: 'r' });
    } finally {
      await proxy.close();
    }
  });

  it('stops the emulator', async () => {
    const second = await startAzurite();
    const table = TableClient.fromConnectionString(second.connectionString, 'Gone', {
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 0 },
    });
    await second.stop();
    await expect(table.createTable()).rejects.toThrow();
  });
});
