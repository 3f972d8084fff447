import { app } from '@azure/functions';
import { handleEndpoint } from '../http/pipeline';
import { ENDPOINTS } from '../http/routes';

const get = ENDPOINTS.getEventByExternalId;
const remove = ENDPOINTS.deleteEventByExternalId;
const cancel = ENDPOINTS.cancelEventByExternalId;

export const getEventByExternalId = handleEndpoint(get, async ({ params, query, ctx, service }) => ({
  body: await service().getGroupEventByExternalId(params.external_id, { group: query.group }, ctx),
}));

export const deleteEventByExternalId = handleEndpoint(remove, async ({ params, query, ctx, service }) => {
  await service().deleteGroupEventByExternalId(params.external_id, { group: query.group }, ctx);
  return { body: undefined };
});

export const cancelEventByExternalId = handleEndpoint(
  cancel,
  async ({ params, body, query, ctx, service }) => {
    await service().cancelGroupEventByExternalId(
      params.external_id,
      { comment: body.comment, group: query.group },
      ctx,
    );
    return { body: undefined };
  },
);

for (const [endpoint, handler] of [
  [get, getEventByExternalId],
  [remove, deleteEventByExternalId],
  [cancel, cancelEventByExternalId],
] as const) {
  app.http(endpoint.name, {
    route: endpoint.route,
    methods: [endpoint.method],
    authLevel: 'anonymous',
    handler,
  });
}
