import type { Config } from './config';
import { resolveMeter } from './service/metrics';

/**
 * Metrics and traces to Application Insights (docs/operations.md, "Metrics"), only when
 * `APPLICATIONINSIGHTS_CONNECTION_STRING` is set; elsewhere the OpenTelemetry API stays a no-op. The
 * component has local authentication off: the exporter signs in with the managed identity. The SDK is
 * imported on demand, so nothing loads it unless telemetry is configured.
 */
let started: Promise<boolean> | undefined;
let shutdown: (() => Promise<void>) | undefined;

export function startTelemetry(config: Config): Promise<boolean> {
  started ??= (async () => {
    const connectionString = config.telemetryConnectionString;
    if (connectionString === undefined) return false;
    const [{ useAzureMonitor, shutdownAzureMonitor }, { DefaultAzureCredential }] = await Promise.all([
      import('@azure/monitor-opentelemetry'),
      import('@azure/identity'),
    ]);
    useAzureMonitor({
      azureMonitorExporterOptions: {
        connectionString,
        credential: new DefaultAzureCredential({ managedIdentityClientId: config.managedIdentityClientId }),
      },
    });
    shutdown = shutdownAzureMonitor;
    // A service created before the SDK registered bound its instruments to the no-op provider.
    resolveMeter();
    return true;
  })();
  return started;
}

/** Flushes the last metrics (when the host stops the worker). */
export async function stopTelemetry(): Promise<void> {
  await shutdown?.();
}
