import type { Config } from '../lib/config';
import { library } from './service';

/**
 * Starts the metrics exporter (src/lib/telemetry.ts) when Application Insights is configured. It lives
 * with the service core, which is loaded only then: without `APPLICATIONINSIGHTS_CONNECTION_STRING` a
 * cold start loads neither (docs/operations.md, "Metrics").
 */
let running = false;

export async function startTelemetry(config: Config): Promise<boolean> {
  if (config.telemetryConnectionString === undefined) return false;
  running = await library().startTelemetry(config);
  return running;
}

export async function stopTelemetry(): Promise<void> {
  if (running) await library().stopTelemetry();
}
