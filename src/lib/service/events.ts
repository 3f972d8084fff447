import { ERRORS, GraphTokenError, toGraphTokenError } from '../errors';
import { graphError, toCreatedEvent } from '../graph';
import type { CreatedEvent, GroupEventInput, OperationContext } from '../types';
import { obtain } from './acquire';
import { audit } from './audit';
import type { ServiceCore } from './context';
import { recordEventMetric } from './metrics';

/** Creates an event in the group calendar with the managed token; a 401 gets one forced refresh and one retry. */
export async function createGroupEvent(
  core: ServiceCore,
  getToken: () => Promise<string>,
  event: GroupEventInput,
  ctx: OperationContext,
): Promise<CreatedEvent> {
  const groupId = core.config.groupId;
  if (!groupId) throw new GraphTokenError(ERRORS.CONFIGURATION_INVALID, 'GRAPH_GROUP_ID is not set');
  const target = `groups/${groupId}/events`;
  try {
    let token = await getToken();
    let response = await core.graph.createEvent(token, groupId, event);
    if (response.status === 401) {
      // The token may have been revoked early: one forced refresh, one retry.
      token = (await obtain(core, 'ropc', { force: true, overrideBlock: false, degrade: false, ctx }))
        .accessToken;
      response = await core.graph.createEvent(token, groupId, event);
    }
    if (response.status !== 201 && response.status !== 200) throw graphError(response);
    const created = toCreatedEvent(response.body);
    await audit(core, ctx, 'create-event', target, 'success', `event=${created.id}`);
    recordEventMetric(core, 'create', 'success');
    return created;
  } catch (error) {
    const e = toGraphTokenError(error);
    await audit(core, ctx, 'create-event', target, 'failure', e.message, e.code);
    recordEventMetric(core, 'create', 'failure');
    throw e;
  }
}
