import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.listEventOccurrences;

export const listEventOccurrences = handleEndpoint(endpoint, async ({ params, query, ctx, service }) => ({
  body: await service().listEventOccurrences(
    params.id,
    {
      from: query.from,
      to: query.to,
      continuationToken: query.continuation_token,
      group: query.group,
      bodyType: query.body_type,
    },
    ctx,
  ),
}));

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: listEventOccurrences,
});
