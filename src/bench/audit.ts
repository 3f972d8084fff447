/**
 * Bench rows of "audit at scale" (docs/operations.md, "Report"): a month holding 100 000 audit entries,
 * then `graph-tokens report` (the CLI as a user runs it) and `GET /api/graph-tokens/status` under 50
 * concurrent clients on the local host. Status reads only the newest entries; the report reads the
 * month's RowKey range with the columns it needs, aggregating as the pages arrive.
 */
import { TableClient, type TransactionAction } from '@azure/data-tables';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createTokenService, silentLogger } from '../lib';
import { auditEntity } from '../lib/store';
import type { Sandbox } from '../sandbox';
import { startHost, statusLatency } from './localHost';

type Row = [string, string, string, string, string];

/**
 * Writes `count` audit entries spread evenly over [from, to) in batches of 100 (one entity-group
 * transaction each, `parallel` at a time): mostly timer refreshes through the refresh token, some
 * failures with codes, and event operations in their own partition — what a busy month looks like.
 */
export async function seedAudit(
  table: TableClient,
  count: number,
  from: number,
  to: number,
  parallel = 4,
): Promise<void> {
  const step = (to - from) / count;
  const batches = new Map<string, TransactionAction[]>();
  const pending: Promise<unknown>[] = [];
  const flush = async (partition: string): Promise<void> => {
    const actions = batches.get(partition);
    if (!actions || actions.length === 0) return;
    batches.set(partition, []);
    pending.push(table.submitTransaction(actions));
    if (pending.length >= parallel) await Promise.all(pending.splice(0));
  };
  for (let i = 0; i < count; i++) {
    const at = to - (i + 1) * step;
    const time = new Date(at).toISOString();
    const base = { time, actor: 'timer', correlation_id: randomUUID(), detail: null, error_code: null };
    const entity =
      i % 20 === 19
        ? auditEntity(
            { ...base, operation: 'create-event', target: 'group/event', outcome: 'success' },
            {},
            'events',
          )
        : i % 50 === 7
          ? auditEntity(
              {
                ...base,
                operation: 'refresh',
                target: 'ropc',
                outcome: 'failure',
                detail: 'The identity provider did not answer',
                error_code: 'IDENTITY_PROVIDER_UNAVAILABLE',
              },
              { grant: 'refresh_token', duration_ms: 3000 },
            )
          : auditEntity(
              { ...base, operation: 'refresh', target: `ropc/${randomUUID()}`, outcome: 'success' },
              {
                grant: 'refresh_token',
                duration_ms: 40 + (i % 200),
                expires_at: new Date(at + 3600_000).toISOString(),
              },
            );
    const actions = batches.get(entity.partitionKey) ?? [];
    actions.push(['create', entity]);
    batches.set(entity.partitionKey, actions);
    if (actions.length === 100) await flush(entity.partitionKey);
  }
  for (const partition of [...batches.keys()]) await flush(partition);
  await Promise.all(pending);
}

function auditTable(env: Record<string, string>): TableClient {
  return TableClient.fromConnectionString(env.AzureWebJobsStorage!, `${env.TOKEN_TABLE_NAME!}Audit`, {
    allowInsecureConnection: true,
  });
}

/** Runs a process to its end; resolves with its wall time (ms) and output. */
function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ ms: number; code: number | null; stdout: string }> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve) =>
    child.on('exit', (code) =>
      resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, code, stdout }),
    ),
  );
}

export async function auditAtScaleRows(
  sandbox: Sandbox,
  env: Record<string, string>,
  count = 100_000,
): Promise<Row[]> {
  const service = createTokenService({ env, logger: silentLogger });
  await service.getAccessToken(); // creates the tables, and one real entry
  await service.close();
  const now = Date.now();
  const monthStart = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
  // The month so far (at least its first minute): every entry is inside the month the report reads.
  const from = monthStart;
  const to = Math.max(monthStart + 60_000, now - 1000);
  const seedStarted = process.hrtime.bigint();
  await seedAudit(auditTable(env), count, from, to);
  const seedSeconds = Number(process.hrtime.bigint() - seedStarted) / 1e9;

  const cli = join(__dirname, '..', '..', 'bin', 'graph-tokens.js');
  // The first report reads every entry and stores a summary of each closed day; later ones read those.
  const runs: number[] = [];
  let entries = 0;
  for (let i = 0; i < 3; i++) {
    const result = await run([cli, 'report', '--json'], env);
    if (result.code !== 0) throw new Error(`graph-tokens report exited with ${result.code}`);
    entries = (JSON.parse(result.stdout) as { audit_entries: number }).audit_entries;
    runs.push(result.ms);
  }
  const later = [...runs.slice(1)].sort((a, b) => a - b);
  const rows: Row[] = [
    [
      `graph-tokens report over ${count.toLocaleString('en-US').replace(/,/g, ' ')} audit entries`,
      `${(runs[0]! / 1000).toFixed(2)} s first (reads all ${entries}, summarises closed days), then ${(later[0]! / 1000).toFixed(2)} s (closed days summarised, as the daily cleanup keeps them)`,
      '-',
      '-',
      `target ≤ 5 s (CLI process); seeded in ${seedSeconds.toFixed(1)} s`,
    ],
  ];

  const host = await startHost(env);
  try {
    const { p50, p99 } = await statusLatency(
      host.url,
      await sandbox.idp.signApiToken({ roles: ['GraphTokens.Read'] }),
    );
    rows.push([
      `GET status, ${count.toLocaleString('en-US').replace(/,/g, ' ')} audit entries, 50 clients (local host)`,
      `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`,
      '-',
      '-',
      'target: p99 ≤ 100 ms',
    ]);
  } finally {
    await host.stop();
  }
  return rows;
}

/** `node dist/bench/audit.js`: these rows alone (the full table is `npm run bench`). */
if (require.main === module) {
  void (async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- dev-only entry, loaded on demand
    const { startSandbox } = require('../sandbox') as typeof import('../sandbox');
    const sandbox = await startSandbox({ keyVault: false });
    try {
      const env = { ...sandbox.env, TOKEN_TABLE_NAME: `BenchAudit${Date.now().toString(36)}` };
      // BENCH_AUDIT_COUNT: another number of entries (e.g. 0, to see status without them).
      const count = Number(process.env.BENCH_AUDIT_COUNT ?? 100_000);
      for (const row of await auditAtScaleRows(sandbox, env, count)) console.log(row.join(' | '));
    } finally {
      await sandbox.close();
    }
  })().catch((error: unknown) => {
    console.error('bench failed:', (error as Error).message);
    process.exitCode = 1;
  });
}
