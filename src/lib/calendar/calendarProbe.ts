/**
 * `listCalendars()` and the health checks `calendar.<alias>` (docs/sync.md, "Several calendars"): for
 * each allowed calendar, its group's display name and whether the service account can read its
 * calendar. Probed with the managed token at most every 30 s (health is asked far more often than
 * calendars change), every calendar in parallel.
 */
import type { HealthCheck } from '../types';
import { callRepeatable } from './call';
import { allowedCalendars, eventsPath, type Calendar } from './calendars';
import type { EventDeps } from './deps';

export interface CalendarInfo {
  alias: string;
  group_id: string;
  default: boolean;
  display_name: string | null;
  reachable: boolean;
}

interface Probe {
  info: CalendarInfo;
  check: HealthCheck;
}

const CACHE_MS = 30_000;

async function probe(deps: EventDeps, calendar: Calendar, isDefault: boolean): Promise<Probe> {
  const base = { alias: calendar.alias, group_id: calendar.groupId, default: isDefault };
  const group = `/groups/${encodeURIComponent(calendar.groupId)}`;
  try {
    const [groupAnswer, eventsAnswer] = await Promise.all([
      callRepeatable(deps, (token) => deps.graph.request('GET', `${group}?$select=id,displayName`, token)),
      callRepeatable(deps, (token) =>
        deps.graph.request('GET', `${eventsPath(calendar)}?$top=1&$select=id`, token),
      ),
    ]);
    const name = groupAnswer.response.body.displayName;
    const display_name = groupAnswer.response.status === 200 && typeof name === 'string' ? name : null;
    const status = eventsAnswer.response.status;
    if (status === 200) return { info: { ...base, display_name, reachable: true }, check: { status: 'ok' } };
    const error = deps.graph.transient(eventsAnswer.response);
    return {
      info: { ...base, display_name, reachable: false },
      check: {
        status: status === 403 || status === 404 ? 'failing' : 'degraded',
        detail: `Microsoft Graph answered HTTP ${status} reading the calendar of group ${calendar.alias}`,
        hint:
          status === 403 || status === 404
            ? 'Make the service account a member of the group and check the group id in GRAPH_GROUP_IDS / GRAPH_GROUP_ID.'
            : error.hint,
      },
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      info: { ...base, display_name: null, reachable: false },
      check: { status: 'degraded', detail: `The calendar could not be checked: ${message}` },
    };
  }
}

export class CalendarProbe {
  private cached: { at: number; probes: Promise<Probe[]> } | undefined;

  constructor(private readonly deps: EventDeps) {}

  private probes(): Promise<Probe[]> {
    const now = this.deps.clock.now();
    if (!this.cached || now - this.cached.at >= CACHE_MS) {
      const calendars = allowedCalendars(this.deps.config);
      const probes = Promise.all(calendars.map((c, i) => probe(this.deps, c, i === 0)));
      this.cached = { at: now, probes };
      // A failed round is not kept: the next caller probes again.
      probes.catch(() => (this.cached = undefined));
    }
    return this.cached.probes;
  }

  async list(): Promise<CalendarInfo[]> {
    return (await this.probes()).map((p) => p.info);
  }

  /** `calendar.<alias>` → its check, for health. */
  async checks(): Promise<Record<string, HealthCheck>> {
    const checks: Record<string, HealthCheck> = {};
    for (const p of await this.probes()) checks[`calendar.${p.info.alias}`] = p.check;
    return checks;
  }
}
