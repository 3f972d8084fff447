import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.updateEvent;

export const updateEvent = handleEndpoint(endpoint, async ({ params, body, query, ctx, service }) => ({
  body: await service().updateGroupEvent(params.id, body, { group: query.group }, ctx),
}));

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: updateEvent,
});
