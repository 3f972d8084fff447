/**
 * Plain-text building blocks for human-readable output (the CLI and the admin page). Pure functions: no
 * I/O, no clock (callers pass `now`), so the renderings are stable in tests.
 */

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Longer cells are cut with an ellipsis so a row stays on one line. */
  maxWidth?: number;
  align?: 'left' | 'right';
}

/**
 * Text that came from outside (upstream error messages, reasons, subjects, account names) made safe for
 * a terminal: escape sequences (CSI, OSC, single-character escapes), other control characters except
 * newline and tab, C1 controls and bidirectional overrides are removed, so a crafted message can neither
 * move the cursor, rewrite what the operator sees, set the window title nor hide text.
 */
export function terminalSafe(text: string): string {
  /* eslint-disable no-control-regex -- matching control characters is the point */
  return text
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g, '')
    .replace(/\x1b[PX^_][^\x1b]*(?:\x1b\\)?/g, '')
    .replace(/\x1b[\s\S]?/g, '')
    .replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, '');
  /* eslint-enable no-control-regex */
}

/** A table with a header row, columns separated by two spaces, no trailing blanks. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) =>
    columns.map((c) => truncate(oneLine(terminalSafe(c.value(row))), c.maxWidth)),
  );
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]): string =>
    values
      .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

/** `label   value` pairs with the labels padded to one width; multi-line values are indented. */
export function fields(pairs: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs
    .map(([k, v]) => {
      const [first, ...rest] = terminalSafe(v).split('\n');
      return [`${k.padEnd(width)}  ${first}`, ...rest.map((r) => `${' '.repeat(width)}  ${r}`)].join('\n');
    })
    .join('\n');
}

export function truncate(text: string, max: number | undefined): string {
  if (max === undefined || text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ');
}

/** `1h 2m`, `59m 3s`, `12s`, `3d 4h`; negative durations read `expired 5m ago`-style via `relative`. */
export function duration(totalSeconds: number): string {
  const s = Math.abs(Math.round(totalSeconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  if (m > 0) return sec > 0 ? `${m}m ${sec}s` : `${m}m`;
  return `${sec}s`;
}

/** `in 59m 3s` or `12s ago` for an ISO time relative to `now` (ms). */
export function relative(iso: string | null | undefined, now: number): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const seconds = (t - now) / 1000;
  return seconds >= 0 ? `in ${duration(seconds)}` : `${duration(seconds)} ago`;
}

/** `expired 4m ago` for the past, `59m 3s` for the future: the "expires in" column. */
export function expiresIn(iso: string | null | undefined, now: number): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const seconds = (t - now) / 1000;
  return seconds > 0 ? duration(seconds) : `expired ${duration(seconds)} ago`;
}

export function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
