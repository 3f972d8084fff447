import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.recentSyncs;

export const recentSyncs = handleEndpoint(endpoint, async ({ service }) => ({
  body: { items: await service().recentSyncs(10) },
}));

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: recentSyncs,
});
