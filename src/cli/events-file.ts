/**
 * Reading a file of events for `events import` and `events sync` (docs/cli.md): a `.json` array of
 * events, or a `.csv` with a header row. One reader and one row format for both commands, so a file
 * written for one works with the other.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseCompactRecurrence } from '../lib/calendar/model/csvRecurrence';
import { usageError } from './failure';
import type { ProgressStream } from './progress';

/** Every CSV column an events file may have; `idempotency_key` is import's, `external_id` sync's. */
export const EVENT_CSV_COLUMNS = [
  'subject',
  'start',
  'end',
  'time_zone',
  'all_day',
  'body',
  'body_type',
  'location',
  'attendees',
  'idempotency_key',
  'recurrence',
  'categories',
  'online_meeting',
  'reminder_minutes',
  'show_as',
  'importance',
  'sensitivity',
  'external_id',
] as const;

const BOOLEAN = /^(true|false|yes|no|1|0)$/i;

/** A boolean cell, or a usage error naming the line and column. */
function csvBoolean(value: string, column: string, line: number): boolean {
  if (!BOOLEAN.test(value)) {
    throw usageError(`line ${line}: ${column} must be true or false`, 'Write true or false.');
  }
  return /^(true|yes|1)$/i.test(value);
}

/**
 * A CSV row → an event: empty cells are absent; `attendees` and `categories` split on `;`; `all_day`
 * and `online_meeting` true/false; `recurrence` one compact cell (`weekly;days=mon,wed;until=…`);
 * `reminder_minutes` a number or `none` (no reminder).
 */
export function eventFromCsvRow(row: Record<string, string>, line: number): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  const list = (value: string): string[] =>
    value
      .split(';')
      .map((a) => a.trim())
      .filter(Boolean);
  for (const [column, raw] of Object.entries(row)) {
    const value = raw.trim();
    if (value === '') continue;
    if (column === 'attendees' || column === 'categories') event[column] = list(value);
    else if (column === 'all_day' || column === 'online_meeting')
      event[column] = csvBoolean(value, column, line);
    else if (column === 'recurrence') {
      try {
        event.recurrence = parseCompactRecurrence(value);
      } catch (error) {
        throw usageError(
          `line ${line}: recurrence: ${(error as Error).message}`,
          'Write e.g. weekly;days=mon,wed;until=2027-05-31 (docs/events.md, "CSV").',
        );
      }
    } else if (column === 'reminder_minutes') {
      if (/^(none|off|null)$/i.test(value)) event.reminder_minutes = null;
      else if (/^\d{1,7}$/.test(value)) event.reminder_minutes = Number(value);
      else
        throw usageError(
          `line ${line}: reminder_minutes must be a number of minutes or none`,
          'Write e.g. 15, or none for no reminder.',
        );
    } else event[column] = value;
  }
  return event;
}

/**
 * The events of FILE: a `.json` array as it is, a `.csv` row by row (`columns` are those this command
 * takes, `required` names the ones it needs, for the message). Anything else is a usage error (exit 2).
 */
export function readEventsFile(
  path: string,
  columns: readonly string[],
  required: string,
): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw usageError(`cannot read ${path}`, 'Give the path of a .json or .csv file.');
  }
  const kind = extname(path).toLowerCase();
  if (kind === '.json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw usageError(`${path} is not valid JSON`, 'The file must be a JSON array of events.');
    }
    if (!Array.isArray(value))
      throw usageError(`${path} is not a JSON array`, 'The file must be a JSON array of events.');
    return value as Record<string, unknown>[];
  }
  if (kind !== '.csv') {
    throw usageError(`${path}: unknown file type`, 'Use a .json array or a .csv with a header row.');
  }
  let rows: Record<string, string>[];
  try {
    rows = parseCsv(text, { columns: true, skip_empty_lines: true, bom: true, trim: false }) as Record<
      string,
      string
    >[];
  } catch (error) {
    throw usageError(
      `${path}: ${(error as Error).message.split('\n')[0]}`,
      'Check the CSV quoting and column count.',
    );
  }
  const header = rows.length > 0 ? Object.keys(rows[0]!) : [];
  const unknown = header.filter((h) => !columns.includes(h));
  if (unknown.length > 0) {
    throw usageError(
      `${path}: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`,
      `Columns: ${columns.join(', ')} (${required} are required).`,
    );
  }
  return rows.map((row, i) => eventFromCsvRow(row, i + 2));
}

/** `[####......] 420/1000` on a terminal; nothing on a pipe. */
export function progressBar(stream: ProgressStream): {
  update(done: number, total: number): void;
  end(): void;
} {
  if (!stream.isTTY) return { update: () => undefined, end: () => undefined };
  return {
    update(done, total) {
      const width = 30;
      const filled = Math.round((done / Math.max(1, total)) * width);
      stream.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    },
    end() {
      stream.write('\r\x1b[2K');
    },
  };
}
