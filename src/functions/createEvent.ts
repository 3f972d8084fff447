import { app } from '@azure/functions';
import { isReplay } from '../lib/calendar/replay';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.createEvent;

export const createEvent = handleEndpoint(endpoint, async ({ body, ctx, headers, query, service }) => {
  const idempotencyKey = headers.get('idempotency-key') ?? undefined;
  const event = await service().createGroupEvent(body, { idempotencyKey, group: query.group }, ctx);
  // A repeated key answers with the original event: 200, not a second 201.
  return { body: event, status: isReplay(event) ? 200 : 201 };
});

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: createEvent,
});
