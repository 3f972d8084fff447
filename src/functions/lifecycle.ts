import { app } from '@azure/functions';
import { createJsonLogger } from '../lib/logger';
import { appConfig, existingTokenService } from '../http/service';

// Validate the configuration when the worker starts, so a missing or malformed setting is in the logs
// at once (by name, never by value) rather than at the first request or timer run.
app.hook.appStart(() => {
  const { report } = appConfig();
  const logger = createJsonLogger();
  if (report.valid) {
    logger.log('info', 'configuration_valid', { password_source: report.password_source });
  } else {
    logger.log('error', 'configuration_invalid', { missing: report.missing, problems: report.problems });
  }
});

// Flush usage counters and release handles when the host stops this worker.
app.hook.appTerminate(async () => {
  await existingTokenService()?.close();
});
