/**
 * Period of an NCRONTAB schedule in seconds, for the common `*\/N` forms; 300 s otherwise. The refresh
 * timer uses it to refresh every token that would expire before its next run.
 */
export function schedulePeriodSeconds(schedule: string): number {
  const [sec, min, hour] = schedule.trim().split(/\s+/);
  const step = (field: string | undefined): number | undefined => {
    const m = /^\*\/(\d+)$/.exec(field ?? '');
    return m ? Number(m[1]) : field === '*' ? 1 : undefined;
  };
  const s = step(sec);
  if (s !== undefined) return s;
  const m = step(min);
  if (m !== undefined) return m * 60;
  const h = step(hour);
  if (h !== undefined) return h * 3600;
  return 300;
}

/**
 * The first occurrence of an NCRONTAB schedule (`sec min hour day month weekday`, UTC as the Functions
 * host runs it unless WEBSITE_TIME_ZONE says otherwise) strictly after `after` (ms), looked for within 8
 * days; `undefined` when the expression is not understood or nothing matches in that time. Fields take
 * `*`, numbers, ranges `a-b`, steps (`*\/n`, `a-b/n`) and lists; names (MON, JAN) are not read.
 */
export function nextOccurrence(schedule: string, after: number): number | undefined {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 6) return undefined;
  const limits: [number, number][] = [
    [0, 59],
    [0, 59],
    [0, 23],
    [1, 31],
    [1, 12],
    [0, 6],
  ];
  const sets = fields.map((field, i) => cronField(field, limits[i]![0], limits[i]![1]));
  if (sets.some((s) => s === undefined)) return undefined;
  const [sec, min, hour, day, month, weekday] = sets as Set<number>[];
  // Minute by minute (at most 8 days of them), then the first matching second of that minute.
  let minute = Math.floor(after / 60_000) * 60_000;
  for (let i = 0; i <= 8 * 1440; i++, minute += 60_000) {
    const d = new Date(minute);
    if (
      !month!.has(d.getUTCMonth() + 1) ||
      !day!.has(d.getUTCDate()) ||
      !weekday!.has(d.getUTCDay()) ||
      !hour!.has(d.getUTCHours()) ||
      !min!.has(d.getUTCMinutes())
    ) {
      continue;
    }
    for (let s = 0; s < 60; s++) if (sec!.has(s) && minute + s * 1000 > after) return minute + s * 1000;
  }
  return undefined;
}

function cronField(field: string, low: number, high: number): Set<number> | undefined {
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const from = m[1] === '*' ? low : Number(m[2]);
    const to = m[1] === '*' ? high : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? high : from;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (from < low || to > high || from > to || step < 1) return undefined;
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}
