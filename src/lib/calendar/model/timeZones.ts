/**
 * Which `timeZone` to send Graph for a caller's IANA zone, and back (docs/calendar-model.md, "Time
 * zones"). Graph documents that `dateTimeTimeZone.timeZone` takes any Windows time zone name plus a list
 * of IANA names, and that create and update "might not support all" of them; a zone outside both is
 * refused here, before anything is sent, rather than by Graph halfway through a bulk import. Pure.
 */
import { z } from 'zod';
import { GRAPH_IANA_ZONES, RENAMED_ZONES, WINDOWS_ZONES } from './windowsZones.data';

/** Windows zone → its CLDR default IANA zone ("001"), both spelled as in the data. */
const defaultIanaOf = new Map<string, { windows: string; iana: string }>();
/** Lower-cased CLDR IANA name → Windows zone. */
const windowsOf = new Map<string, string>();
for (const line of WINDOWS_ZONES) {
  const [windows, iana, others] = line.split('|') as [string, string, string];
  defaultIanaOf.set(windows.toLowerCase(), { windows, iana });
  for (const zone of [iana, ...others.split(' ').filter(Boolean)]) {
    if (!windowsOf.has(zone.toLowerCase())) windowsOf.set(zone.toLowerCase(), windows);
  }
}
const graphIana = new Map(GRAPH_IANA_ZONES.map((zone) => [zone.toLowerCase(), zone]));
const renamed = new Map(Object.entries(RENAMED_ZONES).map(([now, old]) => [now.toLowerCase(), old]));
const currentName = new Map(Object.entries(RENAMED_ZONES).map(([now, old]) => [old.toLowerCase(), now]));

/** The names of UTC itself: always sent as Windows' `UTC` (Graph answers in it under `outlook.timezone`). */
const UTC_NAMES = new Set(
  ['UTC', 'Etc/UTC', 'Etc/UCT', 'UCT', 'Etc/Universal', 'Universal', 'Etc/Zulu', 'Zulu']
    .concat(['tzone://Microsoft/Utc'])
    .map((name) => name.toLowerCase()),
);

/**
 * The runtime's own spelling of an IANA zone, or undefined when its ICU does not know it. Node 20 answers
 * with the ICU (CLDR) canonical name (`Asia/Kolkata` → `Asia/Calcutta`), later engines may keep the input.
 */
/** Answers of `runtimeZone`: building an `Intl.DateTimeFormat` costs more than the whole rest of a mapping. */
const resolvedZones = new Map<string, string | undefined>();

function runtimeZone(name: string): string | undefined {
  if (resolvedZones.has(name)) return resolvedZones.get(name);
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(name)) return undefined;
  let resolved: string | undefined;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    resolved = undefined;
  }
  // Bounded: names come from callers, and a flood of distinct invalid ones must not grow memory.
  if (resolvedZones.size < 2000) resolvedZones.set(name, resolved);
  return resolved;
}

function isUtc(name: string): boolean {
  return UTC_NAMES.has(name.toLowerCase());
}

/**
 * The Windows zone CLDR's windowsZones maps an IANA zone to (any territory), whether or not Graph also
 * takes the IANA name; undefined for a zone CLDR does not map (e.g. `Antarctica/Troll`) or an unknown name.
 */
export function windowsTimeZone(iana: string): string | undefined {
  const resolved = runtimeZone(iana);
  if (resolved === undefined) return undefined;
  if (isUtc(iana) || isUtc(resolved)) return 'UTC';
  for (const name of [iana, resolved]) {
    const key = name.toLowerCase();
    const found = windowsOf.get(key) ?? windowsOf.get(renamed.get(key)?.toLowerCase() ?? '');
    if (found) return found;
  }
  return undefined;
}

/**
 * The `timeZone` to send Graph for an IANA zone: `UTC` for UTC, the IANA name itself (in Graph's
 * spelling) when it is on Graph's documented list, else the Windows zone CLDR maps it to, else undefined
 * — a zone Graph documents no form of, which the caller must be told about before anything is sent.
 *
 * @example graphTimeZone('Europe/Amsterdam') // 'W. Europe Standard Time'
 * @example graphTimeZone('Europe/Berlin')    // 'Europe/Berlin' (on Graph's list)
 * @example graphTimeZone('Antarctica/Troll') // undefined
 */
export function graphTimeZone(iana: string): string | undefined {
  if (runtimeZone(iana) === undefined) return undefined;
  if (isUtc(iana)) return 'UTC';
  return graphIana.get(iana.toLowerCase()) ?? windowsTimeZone(iana);
}

/** Whether an IANA zone can be used for an event: the runtime knows it and Graph documents a form of it. */
export function isSupportedTimeZone(iana: string): boolean {
  return graphTimeZone(iana) !== undefined;
}

/** An event's `time_zone`: an IANA name Graph documents a form of (checked before anything is sent). */
export const timeZoneSchema = z
  .string()
  .max(64)
  .refine(isSupportedTimeZone, {
    error: (issue) =>
      typeof issue.input === 'string' && runtimeZone(issue.input) !== undefined
        ? `${issue.input} has no form Microsoft Graph documents (not on its IANA list, no Windows zone in CLDR)`
        : 'must be an IANA time zone name, e.g. Europe/Amsterdam',
  })
  .describe('IANA time zone name the event is shown in; sent to Graph as its IANA name or Windows zone.');

/**
 * The IANA zone for a `timeZone` Graph answered with (`originalStartTimeZone`, `recurrenceTimeZone`):
 * the caller's own zone (`hint`, e.g. the one stored with the event) when it maps to that answer, else
 * for a Windows name CLDR's default zone for it (current spelling: `Asia/Kolkata`, not `Asia/Calcutta`),
 * an IANA name as given, `UTC` for UTC; undefined for anything else (Graph's `tzone://Microsoft/Custom`).
 */
export function ianaFromGraph(timeZone: string, hint?: string): string | undefined {
  const name = timeZone.trim();
  if (name === '') return undefined;
  const key = name.toLowerCase();
  if (hint !== undefined && runtimeZone(hint) !== undefined) {
    if (graphTimeZone(hint)?.toLowerCase() === key || windowsTimeZone(hint)?.toLowerCase() === key)
      return hint;
    const resolved = runtimeZone(name);
    if (resolved !== undefined && resolved === runtimeZone(hint)) return hint;
  }
  if (isUtc(name)) return 'UTC';
  const windows = defaultIanaOf.get(key);
  if (windows) {
    if (windows.iana === 'Etc/UTC') return 'UTC';
    return currentName.get(windows.iana.toLowerCase()) ?? windows.iana;
  }
  return runtimeZone(name) === undefined ? undefined : name;
}

/** Whether `name` is a Windows zone name CLDR knows (`W. Europe Standard Time`), in any letter case. */
export function isWindowsTimeZone(name: string): boolean {
  return defaultIanaOf.has(name.trim().toLowerCase());
}
