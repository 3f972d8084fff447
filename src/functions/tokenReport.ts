import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.report;

export const tokenReport = handleEndpoint(endpoint, async ({ service, query }) => ({
  body: await service().report(query.month),
}));

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: tokenReport,
});
