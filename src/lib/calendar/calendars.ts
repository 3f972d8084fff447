/**
 * The calendars the service may write to (docs/sync.md "Several calendars"):
 * `GRAPH_GROUP_IDS` (`alias=groupId,…`, parsed once by configuration, calendarList.ts) or
 * `GRAPH_GROUP_ID` alone as alias `default`. Every operation resolves its `group` option here before any
 * URL is built, so a group that is not allowed is refused (400 `GROUP_NOT_ALLOWED`) with nothing sent.
 */
import type { Config } from '../config';
import { resolveCalendar as resolveIn, type CalendarEntry } from './calendarList';

export interface Calendar {
  /** The name callers use (`?group=maths`). */
  readonly alias: string;
  /** The Microsoft 365 group's object id. */
  readonly groupId: string;
}

export const DEFAULT_ALIAS = 'default';

type CalendarConfig = Pick<Config, 'groupId'> & Partial<Pick<Config, 'calendars'>>;

function entries(config: CalendarConfig): readonly CalendarEntry[] {
  if (config.calendars && config.calendars.length > 0) return config.calendars;
  return config.groupId ? [{ alias: DEFAULT_ALIAS, groupId: config.groupId, isDefault: true }] : [];
}

/** The allowed calendars, the default first. */
export function allowedCalendars(config: CalendarConfig): Calendar[] {
  return entries(config).map(({ alias, groupId }) => ({ alias, groupId }));
}

/**
 * The calendar `group` names (an alias, or a group id in any case), or the default one.
 * @throws `CONFIGURATION_INVALID` when no calendar is configured; `GROUP_NOT_ALLOWED` for any other group.
 */
export function resolveCalendar(config: CalendarConfig, group?: string): Calendar {
  const { alias, groupId } = resolveIn(entries(config), group);
  return { alias, groupId };
}

/** The group's events collection in Graph. */
export const eventsPath = (calendar: Calendar): string =>
  `/groups/${encodeURIComponent(calendar.groupId)}/events`;
