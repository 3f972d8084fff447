import type { Config } from '../lib/config';
import { existingTokenService } from './service';

/**
 * Metrics and traces to Application Insights (docs/operations.md, "Metrics"), only when
 * `APPLICATIONINSIGHTS_CONNECTION_STRING` is set; elsewhere the OpenTelemetry API stays a no-op. The SDK
 * is imported here on demand, so a cold start without Application Insights never loads it. The
 * component has local authentication off: the exporter signs in with the managed identity.
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
    // A service created before the SDK registered bound its instruments to the no-op provider: rebind
    // them. Without one, the service core is not loaded yet and binds to this provider when it is.
    if (existingTokenService() !== undefined) (await import('../lib')).resolveMeter();
    return true;
  })();
  return started;
}

/** Flushes the last metrics when the host stops the worker. */
export async function stopTelemetry(): Promise<void> {
  await shutdown?.();
}
