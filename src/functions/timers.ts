import { app } from '@azure/functions';
import { timerHandler } from '../http/timer';

/** Refreshes tokens that expire within the refresh offset plus one period; acquires one if none is active. */
export const refreshTimer = timerHandler('refresh', (service, ctx) => service.refreshTokens({}, ctx));
export const cleanupTimer = timerHandler('cleanup', (service, ctx) => service.cleanupOldTokens({}, ctx));
export const validateTimer = timerHandler('validate', (service, ctx) => service.validateTokens({}, ctx));

// Schedules are app settings, so operators change them without a deployment (docs/http.md, "Timers").
app.timer('refreshTimer', { schedule: '%REFRESH_SCHEDULE%', handler: refreshTimer });
app.timer('cleanupTimer', { schedule: '%CLEANUP_SCHEDULE%', handler: cleanupTimer });
app.timer('validateTimer', { schedule: '%VALIDATE_SCHEDULE%', handler: validateTimer });
