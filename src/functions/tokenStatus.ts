import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.status;

export const tokenStatus = handleEndpoint(endpoint, async ({ service }) => ({
  body: await service().getTokenStatus(),
}));

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: tokenStatus,
});
