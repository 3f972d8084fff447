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
