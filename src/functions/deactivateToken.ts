import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.deactivate;

export const deactivateToken = handleEndpoint(endpoint, async ({ params, body, ctx, service }) => ({
  body: await service().deactivateToken(params.id, body.reason, ctx),
}));

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: deactivateToken,
});
