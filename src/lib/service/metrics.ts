import {
  metrics,
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
} from '@opentelemetry/api';
import type { TokenType } from '../types';
import { PACKAGE_VERSION } from '../version';
import type { ServiceCore } from './context';

/**
 * The service's OpenTelemetry instruments (docs/operations.md, "Metrics"). The names are what the alert
 * rules query (docs/infra.md), so a rename is a change there too.
 *
 * The meter is resolved lazily and re-resolved whenever the global meter provider changes: the metrics
 * API has no proxy provider, so an instrument taken from the no-op provider before the exporter started
 * would stay a no-op for ever. Every recording checks the provider (one identity comparison), and the
 * exporter calls `resolveMeter()` once it has registered itself, so the observable gauges start reporting
 * whichever of the SDK and the service starts first.
 */
export const METER_NAME = 'graph-token-manager';

export const METRICS = Object.freeze({
  idpRequests: 'graph_token.idp_requests',
  refreshDuration: 'graph_token.refresh_duration',
  secondsUntilExpiry: 'graph_token.seconds_until_expiry',
  consecutiveErrors: 'graph_token.consecutive_errors',
  cacheHits: 'graph_token.cache_hits',
  leaseWaits: 'graph_token.lease_waits',
  events: 'graph_token.events',
});

interface Instruments {
  idpRequests: Counter;
  refreshDuration: Histogram;
  events: Counter;
}

/** Services alive in this process: the observable instruments report for each of them. */
const live = new Set<ServiceCore>();
let bound: { provider: MeterProvider; instruments: Instruments } | undefined;

function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (bound?.provider === provider) return bound.instruments;
  const meter = provider.getMeter(METER_NAME, PACKAGE_VERSION);
  const made: Instruments = {
    idpRequests: meter.createCounter(METRICS.idpRequests, {
      description: 'Token requests sent to the identity provider, by grant and outcome',
    }),
    refreshDuration: meter.createHistogram(METRICS.refreshDuration, {
      unit: 'ms',
      description: 'Duration of a refresh (every identity-provider attempt and retry), by grant and outcome',
    }),
    events: meter.createCounter(METRICS.events, {
      description: 'Group calendar event operations, by operation and outcome',
    }),
  };
  meter
    .createObservableGauge(METRICS.secondsUntilExpiry, {
      unit: 's',
      description: 'Seconds until the active token of each type expires (as held by this instance)',
    })
    .addCallback((result) => {
      const best = new Map<TokenType, number>();
      for (const core of live) {
        const now = core.clock.now();
        for (const [type, entry] of core.memory.entriesByType()) {
          const seconds = Math.floor((entry.expiresAt - now) / 1000);
          best.set(type, Math.max(seconds, best.get(type) ?? -Infinity));
        }
      }
      for (const [type, seconds] of best) result.observe(seconds, { token_type: type });
    });
  meter
    .createObservableGauge(METRICS.consecutiveErrors, {
      description: 'Consecutive errors of the current token of each type',
    })
    .addCallback((result) => {
      const worst = new Map<TokenType, number>();
      for (const core of live) {
        for (const [type, entry] of core.memory.entriesByType())
          worst.set(type, Math.max(entry.record.error_count, worst.get(type) ?? 0));
        for (const [type, count] of core.consecutiveErrors)
          worst.set(type, Math.max(count, worst.get(type) ?? 0));
      }
      for (const [type, count] of worst) result.observe(count, { token_type: type });
    });
  meter
    .createObservableCounter(METRICS.cacheHits, {
      description: 'Tokens served without the identity provider, by layer (memory, storage)',
    })
    .addCallback((result) => {
      let memory = 0;
      let storage = 0;
      for (const core of live) {
        memory += core.stats.memory_hits;
        storage += core.stats.storage_hits;
      }
      result.observe(memory, { layer: 'memory' });
      result.observe(storage, { layer: 'storage' });
    });
  meter
    .createObservableCounter(METRICS.leaseWaits, {
      description: 'Times a caller waited for another instance that held the refresh lease',
    })
    .addCallback((result) => {
      let waits = 0;
      for (const core of live) waits += core.stats.lease_waits;
      result.observe(waits);
    });
  bound = { provider, instruments: made };
  return made;
}

/** Binds the instruments to the current global meter provider (called by the exporter once started). */
export function resolveMeter(): void {
  instruments();
}

/** Makes a service's counters observable. */
export function registerMetrics(core: ServiceCore): void {
  live.add(core);
  instruments();
}

export function unregisterMetrics(core: ServiceCore): void {
  live.delete(core);
}

/** One token request sent to the identity provider. */
export function recordIdpRequest(
  grant: string,
  outcome: 'success' | 'failure',
  attributes: Attributes = {},
): void {
  instruments().idpRequests.add(1, { ...attributes, grant, outcome });
}

export function recordRefreshDuration(ms: number, attributes: Attributes): void {
  instruments().refreshDuration.record(ms, attributes);
}

/** One group calendar event operation (create, update, cancel, delete, ...) and its outcome. */
export function recordEventMetric(
  _core: ServiceCore,
  operation: string,
  outcome: 'success' | 'failure',
): void {
  instruments().events.add(1, { operation, outcome });
}

/** The current token's consecutive errors, kept also after it left the memory cache. */
export function noteConsecutiveErrors(core: ServiceCore, type: TokenType, count: number): void {
  core.consecutiveErrors.set(type, count);
}
