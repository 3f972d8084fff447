import { app } from '@azure/functions';
import { iso } from '../lib/clock';
import { describeError, logEvent } from '../http/logging';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.health;

/**
 * `ok` and `degraded` answer 200, `failing` 503 (docs/operations.md, "Health"). Anonymous callers get the
 * cached summary; a GraphTokens.Read caller every check with its detail and hint.
 */
export const health = handleEndpoint(endpoint, async ({ service, caller, context }) => {
  try {
    const report = await service().health({ detailed: caller !== null });
    return { body: report, status: report.status === 'failing' ? 503 : 200 };
  } catch (error) {
    logEvent(context, 'warn', 'health.failed', describeError(error));
    return {
      status: 503,
      body: { status: 'failing' as const, checked_at: iso(Date.now()), failing_checks: ['service'] },
    };
  }
});

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: health,
});
