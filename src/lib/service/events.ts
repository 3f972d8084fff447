import { ERRORS, GraphTokenError, toGraphTokenError } from '../errors';
import { graphError, toCreatedEvent } from '../graph';
import type { CreatedEvent, GroupEventInput, OperationContext } from '../types';
import { obtain } from './acquire';
import { audit } from './audit';
import { claimsChallengeOf } from './claimsChallenge';
import type { ServiceCore } from './context';

/**
 * Creates an event in the group calendar with the managed token (GRAPH_TOKEN_TYPE); a 401 gets one
 * forced refresh and one retry — with the claims of a CAE challenge when the 401 carries one.
 */
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
      // The token may have been revoked early: one forced refresh (with the challenge's claims), one retry.
      const claims = claimsChallengeOf(response.wwwAuthenticate);
      token = (
        await obtain(core, core.config.tokenType, {
          force: true,
          overrideBlock: false,
          degrade: false,
          ctx,
          ...(claims ? { claims } : {}),
        })
      ).accessToken;
      response = await core.graph.createEvent(token, groupId, event);
    }
    if (response.status !== 201 && response.status !== 200) throw graphError(response);
    const created = toCreatedEvent(response.body);
    await audit(core, ctx, 'create-event', target, 'success', `event=${created.id}`);
    return created;
  } catch (error) {
    const e = toGraphTokenError(error);
    await audit(core, ctx, 'create-event', target, 'failure', e.message, e.code);
    throw e;
  }
}
