/**
 * The calendars the service may write to (SPEC §4.18). For now one: `GRAPH_GROUP_ID`, alias `default`.
 * Every operation resolves its `group` option here before any URL is built, so a group that is not
 * allowed is refused (400 `GROUP_NOT_ALLOWED`) with nothing sent.
 */
import type { Config } from '../config';
import { ERRORS, GraphTokenError } from '../errors';

export interface Calendar {
  /** The name callers use (`?group=default`). */
  readonly alias: string;
  /** The Microsoft 365 group's object id. */
  readonly groupId: string;
}

export const DEFAULT_ALIAS = 'default';

/** The allowed calendars, the default first. */
export function allowedCalendars(config: Pick<Config, 'groupId'>): Calendar[] {
  return config.groupId ? [{ alias: DEFAULT_ALIAS, groupId: config.groupId }] : [];
}

/**
 * The calendar `group` names (an alias or a group id, case-insensitive), or the default one.
 * @throws `CONFIGURATION_INVALID` when no calendar is configured; `GROUP_NOT_ALLOWED` for any other group.
 */
export function resolveCalendar(config: Pick<Config, 'groupId'>, group?: string): Calendar {
  const calendars = allowedCalendars(config);
  if (calendars.length === 0) {
    throw new GraphTokenError(ERRORS.CONFIGURATION_INVALID, 'GRAPH_GROUP_ID is not set');
  }
  if (group === undefined || group === '') return calendars[0]!;
  const wanted = group.toLowerCase();
  const found = calendars.find((c) => c.alias === wanted || c.groupId.toLowerCase() === wanted);
  if (!found) {
    throw new GraphTokenError(
      ERRORS.GROUP_NOT_ALLOWED,
      `group: "${group.slice(0, 64).replace(/[^\x20-\x7e]/g, '?')}" is not an allowed calendar`,
    );
  }
  return found;
}

/** The group's events collection in Graph. */
export const eventsPath = (calendar: Calendar): string =>
  `/groups/${encodeURIComponent(calendar.groupId)}/events`;
