import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.cleanup;

export const cleanupTokens = handleEndpoint(endpoint, async ({ body, ctx, service }) => ({
  body: await service().cleanupOldTokens({ tokenType: body.token_type }, ctx),
}));

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: cleanupTokens,
});
