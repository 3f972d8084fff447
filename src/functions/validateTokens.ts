import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.validate;

export const validateTokens = handleEndpoint(endpoint, async ({ body, ctx, service }) => ({
  body: await service().validateTokens({ tokenType: body.token_type, ids: body.ids }, ctx),
}));

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: validateTokens,
});
