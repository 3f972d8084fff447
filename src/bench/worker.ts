/**
 * One benchmark "instance" in its own process. Modes:
 * - `service`: our service; waits for "go" on stdin, acquires, reports time to first token and source;
 * - `msal`: a cold MSAL public client doing ROPC, for the cold-start comparison.
 */
import { PublicClientApplication } from '@azure/msal-node';
import { createTokenService, silentLogger } from '../lib';

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'service';
  const wait = process.argv.includes('--wait');
  if (wait) await new Promise((resolve) => process.stdin.once('data', resolve));
  const started = process.hrtime.bigint();
  if (mode === 'msal') {
    const env = process.env;
    const app = new PublicClientApplication({
      auth: {
        clientId: env.GRAPH_CLIENT_ID!,
        authority: `${env.GRAPH_AUTHORITY_HOST}/${env.GRAPH_TENANT}`,
        knownAuthorities: [new URL(env.GRAPH_AUTHORITY_HOST!).host],
      },
    });
    await app.acquireTokenByUsernamePassword({
      username: env.GRAPH_USERNAME!,
      password: env.GRAPH_PASSWORD!,
      scopes: ['https://graph.microsoft.com/User.Read'],
    });
    report({ ms: elapsed(started), source: 'network' });
    return;
  }
  const service = createTokenService({ env: process.env, logger: silentLogger });
  const result = await service.acquireToken({}, { actor: 'bench', correlationId: `bench-${process.pid}` });
  const ms = elapsed(started);
  await service.close();
  report({ ms, source: result.token.source, id: result.token.id });
}

const elapsed = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;
const report = (value: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};

main().catch((error: { code?: string; message?: string }) => {
  report({ error: error.code ?? 'ERROR', message: String(error.message) });
  process.exitCode = 1;
});
