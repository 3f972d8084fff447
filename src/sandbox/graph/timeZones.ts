/**
 * The time zones the sandbox Graph accepts in `dateTimeTimeZone.timeZone` and
 * `recurrenceRange.recurrenceTimeZone`, and its own wall-clock arithmetic (docs/sandbox.md, "Time
 * zones"). Graph documents two forms: the Windows time-zone ids and a list of "additional time zones"
 * (IANA names) — Europe/Amsterdam, for one, is not on it. Anything else is refused as Graph refuses it,
 * 400 `TimeZoneNotSupportedException`. Self-contained on purpose: the stand-in must not share the
 * service's conversions, or a bug in them would pass unnoticed.
 */
import { WINDOWS_ZONES } from './windowsZones';

/**
 * Graph's documented "additional time zones" (dateTimeTimeZone resource type, v1.0). Where the page
 * writes a zone with a second name in brackets — `Europe/Kyiv (Kiev)`, `Asia/Toshkent (Tashkent)`,
 * `Asia/Astana (Almaty)`, `Asia/Yangon (Rangoon)` — the IANA names among them are accepted.
 */
export const GRAPH_IANA_ZONES: readonly string[] = [
  'Etc/GMT+12',
  'Etc/GMT+11',
  'Pacific/Honolulu',
  'America/Anchorage',
  'America/Santa_Isabel',
  'America/Los_Angeles',
  'America/Phoenix',
  'America/Chihuahua',
  'America/Denver',
  'America/Guatemala',
  'America/Chicago',
  'America/Mexico_City',
  'America/Regina',
  'America/Bogota',
  'America/New_York',
  'America/Indiana/Indianapolis',
  'America/Caracas',
  'America/Asuncion',
  'America/Halifax',
  'America/Cuiaba',
  'America/La_Paz',
  'America/Santiago',
  'America/St_Johns',
  'America/Sao_Paulo',
  'America/Argentina/Buenos_Aires',
  'America/Cayenne',
  'America/Godthab',
  'America/Montevideo',
  'America/Bahia',
  'Etc/GMT+2',
  'Atlantic/Azores',
  'Atlantic/Cape_Verde',
  'Africa/Casablanca',
  'Etc/GMT',
  'Europe/London',
  'Atlantic/Reykjavik',
  'Europe/Berlin',
  'Europe/Budapest',
  'Europe/Paris',
  'Europe/Warsaw',
  'Africa/Lagos',
  'Africa/Windhoek',
  'Europe/Bucharest',
  'Asia/Beirut',
  'Africa/Cairo',
  'Asia/Damascus',
  'Africa/Johannesburg',
  'Europe/Kyiv',
  'Europe/Kiev',
  'Europe/Istanbul',
  'Asia/Jerusalem',
  'Asia/Amman',
  'Asia/Baghdad',
  'Europe/Kaliningrad',
  'Asia/Riyadh',
  'Africa/Nairobi',
  'Asia/Tehran',
  'Asia/Dubai',
  'Asia/Baku',
  'Europe/Moscow',
  'Indian/Mauritius',
  'Asia/Tbilisi',
  'Asia/Yerevan',
  'Asia/Kabul',
  'Asia/Karachi',
  'Asia/Tashkent',
  'Asia/Kolkata',
  'Asia/Colombo',
  'Asia/Kathmandu',
  'Asia/Almaty',
  'Asia/Dhaka',
  'Asia/Yekaterinburg',
  'Asia/Yangon',
  'Asia/Rangoon',
  'Asia/Bangkok',
  'Asia/Novosibirsk',
  'Asia/Shanghai',
  'Asia/Krasnoyarsk',
  'Asia/Singapore',
  'Australia/Perth',
  'Asia/Taipei',
  'Asia/Ulaanbaatar',
  'Asia/Irkutsk',
  'Asia/Tokyo',
  'Asia/Seoul',
  'Australia/Adelaide',
  'Australia/Darwin',
  'Australia/Brisbane',
  'Australia/Sydney',
  'Pacific/Port_Moresby',
  'Australia/Hobart',
  'Asia/Yakutsk',
  'Pacific/Guadalcanal',
  'Asia/Vladivostok',
  'Pacific/Auckland',
  'Etc/GMT-12',
  'Pacific/Fiji',
  'Asia/Magadan',
  'Pacific/Tongatapu',
  'Pacific/Apia',
  'Pacific/Kiritimati',
];

const IANA = new Map(GRAPH_IANA_ZONES.map((z) => [z.toLowerCase(), z]));
const WINDOWS = new Map(Object.entries(WINDOWS_ZONES).map(([w, iana]) => [w.toLowerCase(), iana]));

/**
 * The IANA zone whose rules a Graph `timeZone` value stands for, or undefined when Graph does not
 * support the value. Names are matched case-insensitively (Exchange does not document case rules).
 */
export function resolveGraphZone(name: string): string | undefined {
  const key = name.trim().toLowerCase();
  return WINDOWS.get(key) ?? IANA.get(key);
}

/** Any zone the platform's Intl knows, by its canonical name (the `any` policy), or undefined. */
export function platformZone(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** The rules to read a stored zone name with (it was accepted when written): Graph's forms, else Intl's. */
export function rulesOf(name: string): string {
  return resolveGraphZone(name) ?? platformZone(name) ?? 'UTC';
}

const DAY = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall clock of `instant` in `zone`, as milliseconds of the same reading in UTC. */
function wallMs(instant: number, zone: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(instant))) p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + (instant % 1000);
}

function offsetAt(instant: number, zone: string): number {
  return wallMs(instant, zone) - instant;
}

/** `2026-12-01T09:00:00` — the wall clock of `instant` in `zone`, whole seconds. */
export function toWall(instant: number, zone: string): string {
  return new Date(wallMs(Math.floor(instant / 1000) * 1000, zone)).toISOString().slice(0, 19);
}

/**
 * The instant a wall clock (`YYYY-MM-DDTHH:mm:ss`) denotes in `zone`. A wall time that occurs twice
 * (clocks set back) is read as the earlier instant; one that never occurs (clocks set forward) is read
 * with the offset before the change, i.e. as the instant just after the gap that far into it.
 */
export function fromWall(wall: string, zone: string): number {
  const w = Date.parse(`${wall}Z`);
  const before = offsetAt(w - DAY, zone);
  const after = offsetAt(w + DAY, zone);
  const fits = [w - before, w - after].filter((t) => offsetAt(t, zone) === w - t);
  return fits.length ? Math.min(...fits) : w - before;
}
