/**
 * The calendars the service may write to (docs/sync.md, "Several calendars"): `GRAPH_GROUP_IDS` as
 * comma-separated `alias=groupId` pairs, or `GRAPH_GROUP_ID` alone as the calendar `default`. Pure:
 * configuration parses it once; every event operation resolves its `group` against it before anything
 * is sent, so a caller can never point the service account at a group the operator did not list.
 */
import { ERRORS, GraphTokenError } from '../errors';

export interface CalendarEntry {
  /** What callers pass as `group` (`?group=`, `--group`); a bare group id is its own alias. */
  readonly alias: string;
  /** The Microsoft 365 group's object id. */
  readonly groupId: string;
  /** The calendar used when a call names none: the first listed. */
  readonly isDefault: boolean;
}

export const ALIAS = /^[a-z0-9-]{1,32}$/;
/** Entra ID object ids are GUIDs; anything else cannot name a group and is a typo. */
const GROUP_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_CALENDARS = 50;

export interface CalendarListParse {
  calendars: readonly CalendarEntry[];
  /** Problems by variable name, never echoing a value that might be pasted by mistake. */
  problems: string[];
}

/**
 * `GRAPH_GROUP_IDS` (several) or `GRAPH_GROUP_ID` (one, alias `default`). When both are set,
 * `GRAPH_GROUP_IDS` is the list and `GRAPH_GROUP_ID` must be one of its groups (a leftover that names
 * another group is a mistake worth reporting, not a second default).
 */
export function parseCalendarList(
  groupIds: string | undefined,
  groupId: string | undefined,
): CalendarListParse {
  const problems: string[] = [];
  if (groupIds === undefined || groupIds.trim() === '') {
    if (groupId === undefined || groupId.trim() === '') return { calendars: [], problems };
    if (!GROUP_ID.test(groupId.trim())) {
      return { calendars: [], problems: ['GRAPH_GROUP_ID must be a group object id (a GUID)'] };
    }
    return {
      calendars: Object.freeze([
        Object.freeze({ alias: 'default', groupId: groupId.trim().toLowerCase(), isDefault: true }),
      ]),
      problems,
    };
  }
  const calendars: CalendarEntry[] = [];
  const parts = groupIds.split(',').map((p) => p.trim());
  parts.forEach((part, i) => {
    const where = `GRAPH_GROUP_IDS entry ${i + 1}`;
    if (part === '') {
      problems.push(`${where} is empty`);
      return;
    }
    const eq = part.indexOf('=');
    const alias = eq < 0 ? part.toLowerCase() : part.slice(0, eq).trim();
    const id = (eq < 0 ? part : part.slice(eq + 1)).trim().toLowerCase();
    if (eq >= 0 && !ALIAS.test(alias)) {
      problems.push(`${where}: the alias must be 1–32 characters of a-z, 0-9 and -`);
      return;
    }
    if (!GROUP_ID.test(id)) {
      problems.push(`${where}: the group id must be a group object id (a GUID)`);
      return;
    }
    if (calendars.some((c) => c.alias === alias)) {
      problems.push(`${where}: the alias '${alias}' is listed twice`);
      return;
    }
    if (calendars.some((c) => c.groupId === id)) {
      problems.push(`${where}: the group is listed twice`);
      return;
    }
    calendars.push(Object.freeze({ alias, groupId: id, isDefault: calendars.length === 0 }));
  });
  if (calendars.length > MAX_CALENDARS) {
    problems.push(`GRAPH_GROUP_IDS lists more than ${MAX_CALENDARS} calendars`);
  }
  if (groupId !== undefined && groupId.trim() !== '') {
    const single = groupId.trim().toLowerCase();
    if (!calendars.some((c) => c.groupId === single)) {
      problems.push('GRAPH_GROUP_ID must be one of the groups of GRAPH_GROUP_IDS, or unset');
    }
  }
  return { calendars: Object.freeze(calendars), problems };
}

/**
 * The calendar a call names (an alias, or a group id in any case), or the default when it names none.
 * Anything else is `GROUP_NOT_ALLOWED` (400) — thrown before any request is sent.
 */
export function resolveCalendar(
  calendars: readonly CalendarEntry[],
  group?: string | undefined,
): CalendarEntry {
  if (calendars.length === 0) {
    throw new GraphTokenError(
      ERRORS.CONFIGURATION_INVALID,
      'No calendar is configured: set GRAPH_GROUP_ID or GRAPH_GROUP_IDS',
    );
  }
  if (group === undefined || group === '') return calendars[0]!;
  const wanted = group.trim();
  const lower = wanted.toLowerCase();
  const found =
    calendars.find((c) => c.alias === wanted) ?? calendars.find((c) => c.groupId.toLowerCase() === lower);
  if (found) return found;
  // Name the aliases (operator-chosen labels); echo the caller's text only when it is plainly a name.
  const shown = /^[A-Za-z0-9._-]{1,64}$/.test(wanted) ? `'${wanted}'` : 'the group given';
  throw new GraphTokenError(
    ERRORS.GROUP_NOT_ALLOWED,
    `group: ${shown} is not an allowed calendar (allowed: ${calendars.map((c) => c.alias).join(', ')})`,
  );
}
