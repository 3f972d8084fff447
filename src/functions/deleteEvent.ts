import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.deleteEvent;

export const deleteEvent = handleEndpoint(endpoint, async ({ params, query, ctx, service }) => {
  await service().deleteGroupEvent(params.id, { group: query.group }, ctx);
  return { body: undefined };
});

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: deleteEvent,
});
