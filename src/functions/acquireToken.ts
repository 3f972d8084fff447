import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.acquire;

export const acquireToken = handleEndpoint(endpoint, async ({ body, ctx, service }) => ({
  body: await service().acquireToken(
    {
      tokenType: body.token_type,
      forceRefresh: body.force_refresh,
      retryBlockedPassword: body.retry_blocked_password,
    },
    ctx,
  ),
}));

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: acquireToken,
});
