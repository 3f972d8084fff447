import { TableClient } from '@azure/data-tables';
import { ClientSecretCredential, type TokenCredential } from '@azure/identity';
import type { Clock } from '../../src/lib/clock';
import { createTokenService, type MicrosoftGraphTokenService } from '../../src/lib';
import type { Logger } from '../../src/lib/logger';
import type { Sandbox } from '../../src/sandbox';

/** Real time, but `sleep` and `advance` jump ahead instantly: backoff and expiry rules without waiting. */
export class FastClock implements Clock {
  offset = 0;
  readonly sleeps: number[] = [];
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.offset += ms;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Collects every log line the service writes, to prove none carries a secret. */
export class CapturingLogger implements Logger {
  readonly lines: string[] = [];
  log(level: string, event: string, fields: Record<string, unknown> = {}): void {
    this.lines.push(JSON.stringify({ level, event, ...fields }));
  }
}

let tableCounter = 0;

/** A fresh table per test, so tests share one Azurite without seeing each other's rows. */
export function freshEnv(sandbox: Sandbox, extra: Record<string, string> = {}): Record<string, string> {
  tableCounter++;
  return {
    ...sandbox.env,
    TOKEN_TABLE_NAME: `T${Date.now().toString(36)}${process.pid}x${tableCounter}`,
    ...extra,
  };
}

export function service(
  env: Record<string, string>,
  options: { clock?: Clock; logger?: Logger; credential?: TokenCredential } = {},
): MicrosoftGraphTokenService {
  return createTokenService({
    env,
    clock: options.clock,
    logger: options.logger ?? new CapturingLogger(),
    credential: options.credential,
  });
}

export function rawTable(env: Record<string, string>, table = env.TOKEN_TABLE_NAME!): TableClient {
  return TableClient.fromConnectionString(env.AzureWebJobsStorage!, table, { allowInsecureConnection: true });
}

/** The credential the service uses for the Key Vault stand-in: real @azure/identity against the sandbox IdP. */
export function vaultCredential(sandbox: Sandbox): TokenCredential {
  return new ClientSecretCredential(sandbox.idp.tenant, 'vault-reader', 'vault-reader-secret', {
    authorityHost: sandbox.idp.authorityHost,
    disableInstanceDiscovery: true,
  });
}
