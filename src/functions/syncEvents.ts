import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import type { SyncEventInput } from '../lib/calendar/sync/request';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.syncEvents;

export const syncEvents = handleEndpoint(endpoint, async ({ body, query, ctx, service }) => ({
  body: await service().syncGroupEvents(
    {
      scope: body.scope,
      // Each item is checked by the service (a bad one is `failed`, never the whole request).
      events: body.events as unknown as SyncEventInput[],
      remove: body.remove,
      drift: body.drift,
      dryRun: body.dry_run,
      group: query.group,
    },
    ctx,
  ),
}));

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: syncEvents,
});
