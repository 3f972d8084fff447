/**
 * Bench rows of the sync (docs/architecture.md, docs/sync.md): against the sandbox Graph at 50 ms per mailbox
 * request with Outlook's 4-in-flight limit (floor: requests × 50 ms / 4).
 * - the first sync of 1 000 events, against the 12.5 s floor (target ≤ 1.3×);
 * - a re-sync with nothing changed: 0 writes, ≤ ⌈1 000 / page⌉ + 1 reads, ≤ 2 s;
 * - a re-sync with 10 events changed and 5 removed: exactly 15 writes;
 * - two calendars of 500 side by side, against one calendar's 500 floor (6.25 s, target ≤ 1.3×);
 * 0 duplicates in every case.
 */
import { createTokenService, silentLogger } from '../lib';
import { SCOPE_PAGE_SIZE } from '../lib/calendar/sync/reads';
import type { Sandbox } from '../sandbox';

type Row = [string, string, string, string, string];

const LATENCY_MS = 50;
const MATHS = '77777777-7777-4777-8777-777777777777';
const PHYSICS = '88888888-8888-4888-8888-888888888888';
const CHEMISTRY = '99999999-9999-4999-8999-999999999999';

function timetable(prefix: string, count: number): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => ({
    external_id: `${prefix}-${i}`,
    subject: `${prefix} lecture ${i}`,
    start: new Date(Date.UTC(2036, 0, 1, 9) + i * 3_600_000).toISOString(),
    end: new Date(Date.UTC(2036, 0, 1, 10) + i * 3_600_000).toISOString(),
    time_zone: 'Europe/Berlin',
  }));
}

/** Events of `groupId` carrying external ids that start with `prefix`, and how many ids appear twice. */
function duplicatesIn(
  sandbox: Sandbox,
  groupId: string,
  prefix: string,
): { live: number; duplicates: number } {
  const ids = sandbox.graph.events
    .filter((e) => e.groupId === groupId && !e.isCancelled)
    .map((e) => Object.values(e.properties).find((v) => v.startsWith(`${prefix}-`)))
    .filter((v): v is string => v !== undefined);
  return { live: ids.length, duplicates: ids.length - new Set(ids).size };
}

const seconds = (started: bigint): number => Number(process.hrtime.bigint() - started) / 1e9;

export async function syncRows(sandbox: Sandbox, env: Record<string, string>): Promise<Row[]> {
  for (const [id, name] of [
    [MATHS, 'Bench maths'],
    [PHYSICS, 'Bench physics'],
    [CHEMISTRY, 'Bench chemistry'],
  ] as const) {
    sandbox.graph.addGroup(id, name);
  }
  const service = createTokenService({
    env: {
      ...env,
      GRAPH_GROUP_ID: '',
      GRAPH_GROUP_IDS: `maths=${MATHS},physics=${PHYSICS},chemistry=${CHEMISTRY}`,
    },
    logger: silentLogger,
  });
  const rows: Row[] = [];
  const graph = sandbox.graph;
  try {
    await service.getAccessToken();
    const events = timetable('cs', 1000);
    graph.setLatency(LATENCY_MS);

    // 1. The first sync of 1 000.
    graph.resetCounts();
    let started = process.hrtime.bigint();
    const first = await service.syncGroupEvents({ scope: 'bench', events: events as never, group: 'maths' });
    const firstSeconds = seconds(started);
    const floor = (1000 * LATENCY_MS) / 4 / 1000;
    let dup = duplicatesIn(sandbox, MATHS, 'cs');
    rows.push([
      'sync: first sync of 1 000 (50 ms/request, 4 in flight)',
      `${firstSeconds.toFixed(2)} s (${(firstSeconds / floor).toFixed(2)}× the ${floor} s floor)`,
      `created ${first.counts.create}, failed ${first.counts.failed}`,
      `writes ${graph.counts.writes}, reads ${graph.counts.reads}`,
      `target ≤ 1.3×; duplicates ${dup.duplicates}, max in flight ${graph.counts.max_in_flight}, refused ${graph.counts.mailbox_rejected + graph.counts.budget_rejected}`,
    ]);

    // 2. A re-sync with nothing changed.
    graph.resetCounts();
    started = process.hrtime.bigint();
    const again = await service.syncGroupEvents({ scope: 'bench', events: events as never, group: 'maths' });
    const againSeconds = seconds(started);
    const maxReads = Math.ceil(1000 / SCOPE_PAGE_SIZE) + 1;
    rows.push([
      'sync: re-sync of 1 000, nothing changed',
      `${againSeconds.toFixed(2)} s`,
      `unchanged ${again.counts.unchanged}`,
      `writes ${graph.counts.writes}, reads ${graph.counts.reads}`,
      `target 0 writes, ≤ ${maxReads} reads (page ${SCOPE_PAGE_SIZE}), ≤ 2 s`,
    ]);

    // 3. 10 changed, 5 removed.
    const changed = events
      .slice(0, events.length - 5)
      .map((e, i) => (i % 99 === 0 && i < 990 ? { ...e, subject: `${String(e.subject)} (moved)` } : e));
    graph.resetCounts();
    started = process.hrtime.bigint();
    const edit = await service.syncGroupEvents({
      scope: 'bench',
      events: changed as never,
      group: 'maths',
      remove: 'delete',
    });
    const editSeconds = seconds(started);
    dup = duplicatesIn(sandbox, MATHS, 'cs');
    rows.push([
      'sync: re-sync with 10 changed + 5 removed',
      `${editSeconds.toFixed(2)} s`,
      `updated ${edit.counts.update}, removed ${edit.counts.remove}, unchanged ${edit.counts.unchanged}`,
      `writes ${graph.counts.writes}, reads ${graph.counts.reads}`,
      `target exactly 15 writes; duplicates ${dup.duplicates}, live ${dup.live}`,
    ]);

    // 4. Two calendars of 500 side by side.
    graph.resetCounts();
    started = process.hrtime.bigint();
    const [p, c] = await Promise.all([
      service.syncGroupEvents({ scope: 'bench', events: timetable('ph', 500) as never, group: 'physics' }),
      service.syncGroupEvents({ scope: 'bench', events: timetable('ch', 500) as never, group: 'chemistry' }),
    ]);
    const bothSeconds = seconds(started);
    const halfFloor = (500 * LATENCY_MS) / 4 / 1000;
    const dupP = duplicatesIn(sandbox, PHYSICS, 'ph');
    const dupC = duplicatesIn(sandbox, CHEMISTRY, 'ch');
    rows.push([
      'sync: two calendars of 500 side by side',
      `${bothSeconds.toFixed(2)} s (${(bothSeconds / halfFloor).toFixed(2)}× one calendar's ${halfFloor} s floor)`,
      `created ${p.counts.create} + ${c.counts.create}`,
      `writes ${graph.counts.writes}, reads ${graph.counts.reads}`,
      `target ≤ 1.3×; duplicates ${dupP.duplicates + dupC.duplicates}, max in flight per mailbox ${graph.counts.max_in_flight}`,
    ]);
  } finally {
    graph.setLatency(0);
    await service.close();
  }
  return rows;
}
