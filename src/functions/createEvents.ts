import { app } from '@azure/functions';
import type { BulkEventInput } from '../lib/types';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.createEvents;

export const createEvents = handleEndpoint(endpoint, async ({ body, ctx, query, service }) => ({
  // Items are validated one by one by the service, so one bad item is reported, not the whole call.
  body: await service().createGroupEvents(
    body.events as unknown as BulkEventInput[],
    { group: query.group },
    ctx,
  ),
}));

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: createEvents,
});
