import { app } from '@azure/functions';
import { iso } from '../lib/clock';
import { describeError, logEvent } from '../http/logging';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';
import { appConfig } from '../http/service';

const endpoint = ENDPOINTS.health;

/**
 * `ok` and `degraded` answer 200, `failing` 503 (docs/operations.md, "Health"). Anonymous callers get the
 * cached summary; a GraphTokens.Read caller every check with its detail and hint. With an invalid
 * configuration in Azure no service exists (fail closed): the answer is `failing` from the configuration
 * alone, reading nothing. Probes call it every few seconds, so requests are counted, not logged one by one.
 */
export const health = handleEndpoint(
  endpoint,
  async ({ service, caller, context }) => {
    if (appConfig().failClosed) {
      return {
        status: 503,
        body: { status: 'failing' as const, checked_at: iso(Date.now()), failing_checks: ['configuration'] },
      };
    }
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
  },
  { servesWhenFailClosed: true, requestLog: 'aggregate' },
);

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: health,
});
