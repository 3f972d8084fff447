import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.openapi;

// The document builder (and zod with it) loads on the first request, not at start-up.
export const openapi = handleEndpoint(endpoint, async () => ({
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  body: (require('../http/openapi') as typeof import('../http/openapi')).openApiDocument(),
}));

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: openapi,
});
