import { app } from '@azure/functions';
import { existingTokenService } from '../http/service';

// Flush usage counters and release handles when the host stops this worker.
app.hook.appTerminate(async () => {
  await existingTokenService()?.close();
});
