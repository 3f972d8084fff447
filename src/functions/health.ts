import { app } from '@azure/functions';
import { describeError, logEvent } from '../http/logging';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.health;

/** Always 200 while the process serves (SPEC §5): a failing check makes the status `degraded`, not an error. */
export const health = handleEndpoint(endpoint, async ({ service, context }) => {
  try {
    return { body: await service().health() };
  } catch (error) {
    logEvent(context, 'warn', 'health.failed', describeError(error));
    return { body: { status: 'degraded' as const, checks: { service: { status: 'degraded' as const } } } };
  }
});

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: health,
});
