/**
 * Audit at scale (docs/operations.md, "Report"; `npm run bench` measures 100 000 entries): a month of
 * 20 000 entries seeded into Azurite in batches, read back by the report (every entry, the right
 * totals, within the time budget; closed days summarised by the report and by the daily cleanup), status's recent audit (the newest ten across days, without reading
 * the month), and cleanup (whole old days dropped, nothing newer).
 */
import { TableClient } from '@azure/data-tables';
import { loadConfig } from '../../src/lib';
import { TokenStore } from '../../src/lib/store';
import { seedAudit } from '../../src/bench/audit';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { FastClock, freshEnv, service } from './helpers';

jest.setTimeout(120_000);

const COUNT = 20_000;
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: false });
});
afterAll(async () => {
  await sandbox?.close();
});

it('reports a month of 20 000 entries within 5 s; status reads only the newest; cleanup drops old days', async () => {
  const clock = new FastClock();
  const now = clock.now();
  const monthStart = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
  // The month so far (at least an hour of it): all entries inside it.
  const from = monthStart;
  const to = Math.max(monthStart + 3600_000, now - 1000);
  const env = freshEnv(sandbox);
  const svc = service(env, { clock });
  try {
    const table = TableClient.fromConnectionString(
      env.AzureWebJobsStorage!,
      `${env.TOKEN_TABLE_NAME!}Audit`,
      {
        allowInsecureConnection: true,
      },
    );
    await table.createTable();
    await seedAudit(table, COUNT, from, to);

    const started = Date.now();
    const report = await svc.report();
    const seconds = (Date.now() - started) / 1000;
    expect(seconds).toBeLessThan(5);
    // seedAudit: every 20th an event, every 50th (offset 7) a failed refresh, the rest successes.
    const events = COUNT / 20;
    const failures = Array.from({ length: COUNT }, (_, i) => i).filter(
      (i) => i % 20 !== 19 && i % 50 === 7,
    ).length;
    expect(report.audit_entries).toBe(COUNT);
    expect(report.events_by_outcome).toEqual({ success: events, failure: 0 });
    expect(report.refresh_totals).toEqual({ success: COUNT - events - failures, failure: failures });
    expect(report.errors.map((e) => [e.code, e.count])).toEqual([
      ['IDENTITY_PROVIDER_UNAVAILABLE', failures],
    ]);
    expect(report.refresh_duration_ms.count).toBe(COUNT - events);

    // The closed days were summarised (one row each): a second report reads those, with the same figures.
    let summaries = 0;
    const filter = "PartitionKey eq 'summary'";
    for await (const _ of table.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) summaries++;
    const closedDays = Math.floor((now - 3600_000) / 86_400_000) - Math.floor(from / 86_400_000);
    expect(summaries).toBe(closedDays);
    const again = await svc.report();
    expect({ ...again, generated_at: '', to: '' }).toEqual({ ...report, generated_at: '', to: '' });
    // The daily cleanup writes them too (so no report ever reads a past day entry by entry).
    const summaryIds: string[] = [];
    for await (const e of table.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) {
      summaryIds.push(e.rowKey!);
    }
    for (const id of summaryIds) await table.deleteEntity('summary', id);
    await svc.cleanupOldTokens();
    let rewritten = 0;
    for await (const _ of table.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) rewritten++;
    expect(rewritten).toBe(closedDays);

    // Status: the newest entries first, across day partitions, and the status read stays small.
    const status = await svc.getTokenStatus();
    expect(status.recent_audit).toHaveLength(10);
    const times = status.recent_audit.map((a) => Date.parse(a.time));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(times[0]).toBeGreaterThan(to - 3600_000);

    // Cleanup: everything older than the cutoff, whole days and part of the cutoff's day, nothing newer.
    const store = new TokenStore(loadConfig(env), clock);
    const cutoff = from + Math.floor((to - from) / 2);
    const older = Math.round(((cutoff - from) / (to - from)) * COUNT);
    const deleted = await store.deleteAuditBefore(cutoff);
    expect(Math.abs(deleted - older)).toBeLessThanOrEqual(2);
    let left = 0;
    let oldest = Infinity;
    for await (const e of table.listEntities<{ time: string }>({ queryOptions: { select: ['time'] } })) {
      if (e.time === undefined) continue; // a day summary of the report
      left++;
      oldest = Math.min(oldest, Date.parse(e.time));
    }
    expect(left).toBe(COUNT + 1 - deleted); // + the cleanup run's own entry
    expect(oldest).toBeGreaterThanOrEqual(cutoff);
  } finally {
    await svc.close();
  }
});
