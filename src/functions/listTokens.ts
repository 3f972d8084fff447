import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.list;

export const listTokens = handleEndpoint(endpoint, async ({ query, service }) => ({
  body: await service().listTokens({
    tokenType: query.token_type,
    continuationToken: query.continuation_token,
    limit: query.limit,
  }),
}));

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: listTokens,
});
