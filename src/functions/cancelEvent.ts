import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.cancelEvent;

export const cancelEvent = handleEndpoint(endpoint, async ({ params, body, query, ctx, service }) => {
  await service().cancelGroupEvent(params.id, { comment: body.comment, group: query.group }, ctx);
  return { body: undefined };
});

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: cancelEvent,
});
