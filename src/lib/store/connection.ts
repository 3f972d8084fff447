import { DefaultAzureCredential } from '@azure/identity';
import { TableClient } from '@azure/data-tables';
import type { Config } from '../config';
import { ERRORS, GraphTokenError, sanitize } from '../errors';
import { describeNetworkFailure, failureCode } from '../sendFailure';

/** Translates SDK failures into the service's errors: unreachable storage is transient, never a 500. */
export function storageError(error: unknown): GraphTokenError {
  if (error instanceof GraphTokenError) return error;
  const status = (error as { statusCode?: number }).statusCode;
  const message = sanitize((error as Error)?.message ?? String(error));
  if (status === 401 || status === 403) {
    return new GraphTokenError(
      { ...ERRORS.STORAGE_UNAVAILABLE, category: 'configuration' },
      `Table Storage refused access (HTTP ${status})`,
      { cause: error },
    );
  }
  // A socket failure in words: no raw ECONNRESET reaches an error or a response.
  const code = failureCode(error);
  const what =
    status === undefined && code !== undefined
      ? `Table Storage could not be reached (${describeNetworkFailure(code)})`
      : `Table Storage request failed: ${message}`;
  return new GraphTokenError(ERRORS.STORAGE_UNAVAILABLE, what, { cause: error });
}

export const isStatus = (error: unknown, status: number): boolean =>
  (error as { statusCode?: number })?.statusCode === status;

/** True for an ETag mismatch (412) or an insert that lost a race (409), also when wrapped. */
export function isConflict(error: unknown): boolean {
  const e = error instanceof GraphTokenError ? error.cause : error;
  return isStatus(e, 409) || isStatus(e, 412);
}

/** The storage emulator's well-known account (public, documented by Microsoft). */
export const EMULATOR_ACCOUNT_NAME = 'devstoreaccount1';
export const EMULATOR_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** A Table connection string for the emulator account; `UseDevelopmentStorage=true` means its default port. */
export function emulatorConnectionString(
  tableEndpoint = `http://127.0.0.1:10002/${EMULATOR_ACCOUNT_NAME}`,
): string {
  return `DefaultEndpointsProtocol=http;AccountName=${EMULATOR_ACCOUNT_NAME};AccountKey=${EMULATOR_ACCOUNT_KEY};TableEndpoint=${tableEndpoint};`;
}

/** A client for one table: managed identity against a table endpoint, or a connection string. */
export function tableClientFor(config: Config, table: string): TableClient {
  const options = {
    retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2000, tryTimeoutInMs: 10000 },
  };
  if (config.storage.kind === 'endpoint') {
    const credential = new DefaultAzureCredential({
      managedIdentityClientId: config.managedIdentityClientId,
    });
    return new TableClient(config.storage.endpoint, table, credential, options);
  }
  let cs = config.storage.connectionString;
  if (/^UseDevelopmentStorage=true;?$/i.test(cs.trim())) cs = emulatorConnectionString();
  const endpoint = /TableEndpoint=([^;]+)/i.exec(cs)?.[1];
  // Azurite speaks plain http on loopback; the SDK refuses shared-key auth over http unless told.
  const insecure =
    endpoint !== undefined ? endpoint.startsWith('http://') : /DefaultEndpointsProtocol=http;/i.test(cs);
  return TableClient.fromConnectionString(cs, table, { ...options, allowInsecureConnection: insecure });
}

/** Deletes rows of one partition with batch transactions of 100 (the service's limit per batch). */
export async function deleteInBatches(
  client: TableClient,
  partition: string,
  ids: string[],
): Promise<number> {
  const batchSize = 100;
  let deleted = 0;
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += batchSize) batches.push(ids.slice(i, i + batchSize));
  // A few batches in flight at once: 100 000 rows is 1 000 round trips, minutes rather than hours.
  const parallel = 4;
  for (let i = 0; i < batches.length; i += parallel) {
    const results = await Promise.all(
      batches.slice(i, i + parallel).map(async (batch) => {
        try {
          await client.submitTransaction(
            batch.map((rowKey) => ['delete', { partitionKey: partition, rowKey }]),
          );
          return batch.length;
        } catch (error) {
          // A row deleted meanwhile (another instance's cleanup) fails the whole batch: fall back to singles.
          if (!isStatus(error, 404)) throw error;
          let n = 0;
          for (const rowKey of batch) {
            await client.deleteEntity(partition, rowKey).then(
              () => n++,
              (e: unknown) => {
                if (!isStatus(e, 404)) throw e;
              },
            );
          }
          return n;
        }
      }),
    );
    deleted += results.reduce((a, b) => a + b, 0);
  }
  return deleted;
}
