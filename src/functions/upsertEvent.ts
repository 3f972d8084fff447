import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import type { GroupEventInput } from '../lib/types';
import { ENDPOINTS } from '../http/routes';

const endpoint = ENDPOINTS.upsertEvent;

export const upsertEvent = handleEndpoint(endpoint, async ({ params, body, query, ctx, service }) => {
  const result = await service().upsertGroupEvent(
    params.external_id,
    // Checked by the service like a create (the same 400s naming the field).
    body as unknown as GroupEventInput,
    { group: query.group },
    ctx,
  );
  return { body: result, status: result.action === 'create' ? 201 : 200 };
});

app.http(endpoint.name, {
  route: endpoint.route,
  methods: [endpoint.method],
  authLevel: 'anonymous',
  handler: upsertEvent,
});
