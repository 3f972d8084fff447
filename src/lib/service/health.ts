import type { HealthReport } from '../types';
import type { ServiceCore } from './context';

/** Health: configuration and a storage round trip (3 s budget). */
export async function health(core: ServiceCore): Promise<HealthReport> {
  const checks: HealthReport['checks'] = {};
  const report = core.config.report;
  checks.configuration = report.valid
    ? { status: 'ok' }
    : {
        status: 'degraded',
        detail: `missing: ${report.missing.join(', ') || '-'}; problems: ${report.problems.length}`,
      };
  try {
    await Promise.race([
      core.store.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000).unref()),
    ]);
    checks.storage = { status: 'ok' };
  } catch {
    checks.storage = { status: 'degraded', detail: 'Table Storage is unreachable' };
  }
  const degraded = Object.values(checks).some((c) => c.status !== 'ok');
  return { status: degraded ? 'degraded' : 'ok', checks };
}
