import { metrics } from '@opentelemetry/api';
import type { ServiceCore } from './context';

/** The service's OpenTelemetry instruments (docs/architecture.md, "Observability"). */
export function registerMetrics(core: ServiceCore): void {
  const meter = metrics.getMeter('graph-token-manager');
  core.metrics.refreshDuration = meter.createHistogram('graph_token.refresh_duration', {
    unit: 'ms',
    description: 'Identity-provider refresh duration, by grant and outcome',
  });
  meter.createObservableGauge('graph_token.consecutive_errors').addCallback((r) => {
    for (const [type, entry] of core.memory.entriesByType())
      r.observe(entry.record.error_count, { token_type: type });
  });
  meter.createObservableGauge('graph_token.seconds_until_expiry').addCallback((r) => {
    for (const [type, entry] of core.memory.entriesByType())
      r.observe((entry.expiresAt - core.clock.now()) / 1000, { token_type: type });
  });
  meter.createObservableCounter('graph_token.cache_hits').addCallback((r) => {
    r.observe(core.stats.memory_hits, { layer: 'memory' });
    r.observe(core.stats.storage_hits, { layer: 'storage' });
  });
  meter.createObservableCounter('graph_token.idp_requests').addCallback((r) => {
    r.observe(core.identity.counters.password, { grant: 'password' });
    r.observe(core.identity.counters.refresh_token, { grant: 'refresh_token' });
  });
  meter
    .createObservableCounter('graph_token.lease_waits')
    .addCallback((r) => r.observe(core.stats.lease_waits));
}
