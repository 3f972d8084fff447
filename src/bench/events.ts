/**
 * Bench row: 1 000 events through `createGroupEvents` against the sandbox Graph at 50 ms per mailbox
 * request with Outlook's 4-in-flight limit. The floor that limit sets is 1 000 × 50 ms / 4 = 12.5 s.
 */
import { createTokenService, silentLogger } from '../lib';
import type { Sandbox } from '../sandbox';

export async function bulkEventsRow(
  sandbox: Sandbox,
  env: Record<string, string>,
): Promise<[string, string, string, string, string]> {
  const count = 1000;
  const latencyMs = 50;
  const service = createTokenService({ env, logger: silentLogger });
  try {
    await service.getAccessToken();
    const events = Array.from({ length: count }, (_, i) => ({
      subject: `Bench ${i}`,
      start: new Date(Date.UTC(2035, 0, 1, 9) + i * 3_600_000).toISOString(),
      end: new Date(Date.UTC(2035, 0, 1, 10) + i * 3_600_000).toISOString(),
      time_zone: 'Europe/Amsterdam',
    }));
    const before = sandbox.graph.events.length;
    sandbox.graph.resetCounts();
    sandbox.graph.setLatency(latencyMs);
    const started = process.hrtime.bigint();
    const summary = await service.createGroupEvents(events);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    sandbox.graph.setLatency(0);
    const made = sandbox.graph.events
      .slice(before)
      .filter((e) => String(e.body.subject).startsWith('Bench '));
    const duplicates = made.length - new Set(made.map((e) => e.body.subject)).size;
    const lost = count - new Set(made.map((e) => e.body.subject)).size;
    const floor = (count * latencyMs) / 4 / 1000;
    const counts = sandbox.graph.counts;
    return [
      `bulk events: ${count} at ${latencyMs} ms/request, 4 in flight`,
      `${seconds.toFixed(2)} s (${(seconds / floor).toFixed(2)}× the ${floor} s floor); created ${summary.created}`,
      '-',
      '-',
      `target ≤ 1.3×; duplicates ${duplicates}, lost ${lost}, max in flight ${counts.max_in_flight}, over the limit ${counts.mailbox_rejected}`,
    ];
  } finally {
    await service.close();
  }
}
