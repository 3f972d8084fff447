import { app } from '@azure/functions';
import { openApiDocument } from '../http/openapi';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.openapi;

export const openapi = handleEndpoint(endpoint, async () => ({ body: openApiDocument() }));

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: openapi,
});
