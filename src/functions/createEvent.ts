import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.createEvent;

export const createEvent = handleEndpoint(endpoint, async ({ body, ctx, service }) => ({
  body: await service().createGroupEvent(body, ctx),
}));

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: createEvent,
});
