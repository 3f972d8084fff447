import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.listCalendars;

export const listCalendars = handleEndpoint(endpoint, async ({ service }) => ({
  body: { items: await service().listCalendars() },
}));

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: listCalendars,
});
