import { app } from '@azure/functions';
import { createJsonLogger } from '../lib/logger';
import { appConfig, existingTokenService } from '../http/service';
import { startTelemetry, stopTelemetry } from '../http/telemetry';

// Validate the configuration when the worker starts, so a missing or malformed setting is in the logs
// at once (by name, never by value) rather than at the first request or timer run. Then start the
// metrics exporter when Application Insights is configured (docs/operations.md, "Metrics").
app.hook.appStart(async () => {
  const config = appConfig();
  const { report } = config;
  const logger = createJsonLogger();
  if (report.valid) {
    logger.log('info', 'configuration_valid', { password_source: report.password_source });
  } else {
    logger.log('error', 'configuration_invalid', { missing: report.missing, problems: report.problems });
  }
  try {
    if (await startTelemetry(config)) logger.log('info', 'telemetry_started', { exporter: 'azure_monitor' });
  } catch (error) {
    logger.log('error', 'telemetry_failed', { message: (error as Error).message });
  }
});

// Flush usage counters and metrics, and release handles, when the host stops this worker.
app.hook.appTerminate(async () => {
  await existingTokenService()?.close();
  await stopTelemetry().catch(() => undefined);
});
