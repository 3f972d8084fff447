/**
 * The routes of external ids, sync, calendars and the last syncs (docs/sync.md), as data beside the
 * route table (routes.ts spreads them into ENDPOINTS). Schemas load lazily, as in routes.ts.
 */
import { ROLES } from './auth';
import type { EndpointDefinition } from './routes';
import type * as Schemas from './schemas';

let loaded: typeof Schemas | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const schemas = (): typeof Schemas => (loaded ??= require('./schemas') as typeof Schemas);

function endpoint<const E extends EndpointDefinition>(definition: E): E {
  return Object.freeze(definition);
}

/** External ids, sync and calendars (docs/sync.md). */
export const SYNC_ENDPOINTS = Object.freeze({
  upsertEvent: endpoint({
    name: 'upsertEvent',
    route: 'events/by-external-id/{external_id}',
    method: 'PUT',
    role: ROLES.eventsCreate,
    summary: "Create or update the caller's event with this external id",
    description:
      "Creates the event when none of the caller's events carries the id (201, `action: create`), changes only the differing fields (200, `update`, `changes` names them), or sends nothing (200, `unchanged`). Exactly once under retries.",
    get query() {
      return schemas().groupQuerySchema;
    },
    get params() {
      return schemas().externalIdParamsSchema;
    },
    get body() {
      return schemas().upsertEventBodySchema;
    },
    successStatus: 200,
    get response() {
      return schemas().upsertResultSchema;
    },
    problems: [403, 409, 502, 503],
  }),
  getEventByExternalId: endpoint({
    name: 'getEventByExternalId',
    route: 'events/by-external-id/{external_id}',
    method: 'GET',
    role: [ROLES.eventsRead, ROLES.eventsCreate],
    summary: "The caller's event with this external id",
    get query() {
      return schemas().groupQuerySchema;
    },
    get params() {
      return schemas().externalIdParamsSchema;
    },
    successStatus: 200,
    get response() {
      return schemas().managedEventResponseSchema;
    },
    problems: [404, 502, 503],
  }),
  deleteEventByExternalId: endpoint({
    name: 'deleteEventByExternalId',
    route: 'events/by-external-id/{external_id}',
    method: 'DELETE',
    role: [ROLES.eventsCreate, ROLES.eventsManage],
    summary: "Delete the caller's event with this external id",
    get query() {
      return schemas().groupQuerySchema;
    },
    get params() {
      return schemas().externalIdParamsSchema;
    },
    successStatus: 204,
    response: null,
    problems: [404, 502, 503],
  }),
  cancelEventByExternalId: endpoint({
    name: 'cancelEventByExternalId',
    route: 'events/by-external-id/{external_id}/cancel',
    method: 'POST',
    role: [ROLES.eventsCreate, ROLES.eventsManage],
    summary: "Cancel the caller's event with this external id; Graph tells the attendees",
    get query() {
      return schemas().groupQuerySchema;
    },
    get params() {
      return schemas().externalIdParamsSchema;
    },
    get body() {
      return schemas().cancelEventBodySchema;
    },
    successStatus: 202,
    response: null,
    problems: [403, 404, 502, 503],
  }),
  recentSyncs: endpoint({
    name: 'recentSyncs',
    route: 'graph-tokens/syncs',
    method: 'GET',
    role: ROLES.read,
    summary: 'The last 10 calendar syncs from the audit: scope, calendar, counts, when and who',
    get query() {
      return schemas().noQuerySchema;
    },
    successStatus: 200,
    get response() {
      return schemas().recentSyncsSchema;
    },
    problems: [503],
  }),
  listCalendars: endpoint({
    name: 'listCalendars',
    route: 'calendars',
    method: 'GET',
    role: [ROLES.eventsRead, ROLES.eventsCreate],
    summary: 'The allowed calendars (GRAPH_GROUP_IDS): alias, group id, default, display name, reachable',
    get query() {
      return schemas().noQuerySchema;
    },
    successStatus: 200,
    get response() {
      return schemas().calendarListSchema;
    },
    problems: [503],
  }),
  syncEvents: endpoint({
    name: 'syncEvents',
    route: 'events/sync',
    method: 'POST',
    role: ROLES.eventsCreate,
    summary: "The calendar follows the caller's records for one scope: plan, then apply",
    description:
      'Creates what is missing, updates what differs (only the differing fields), leaves equal events alone, and applies `remove` to events of the scope absent from `events`. Events changed in Outlook are `drifted` (kept) unless `drift: overwrite`. `dry_run` reads and sends nothing. A second sync of the same scope while one runs is 409 `SYNC_IN_PROGRESS`. Bodies up to 8 MiB.',
    get query() {
      return schemas().groupQuerySchema;
    },
    get body() {
      return schemas().syncBodySchema;
    },
    maxBodyBytes: 8 * 1024 * 1024,
    successStatus: 200,
    get response() {
      return schemas().syncAnswerSchema;
    },
    problems: [409, 502, 503],
  }),
});
