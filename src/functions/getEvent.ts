import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.getEvent;

export const getEvent = handleEndpoint(endpoint, async ({ params, query, ctx, service }) => ({
  body: await service().getGroupEvent(params.id, { group: query.group, bodyType: query.body_type }, ctx),
}));

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: getEvent,
});
