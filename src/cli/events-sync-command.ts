/**
 * `graph-tokens events sync FILE --scope S [--remove …] [--drift …] [--dry-run] [--group ALIAS]`
 * (docs/sync.md): the calendar follows FILE. Prints the plan (`+ ~ - ! x` lines and counts) and shows
 * progress on a terminal. FILE is a .json array of events with `external_id`, or a .csv with a header
 * row and the sync columns.
 */
import { type Command, Option } from 'commander';
import { parse as parseCsv } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { formatCompactRecurrence, parseCompactRecurrence } from '../lib/calendar/model/csvRecurrence';
import { MAX_SYNC_EVENTS, type SyncEventInput } from '../lib/calendar/sync/request';
import { toGraphTokenError } from '../lib/errors';
import { type CliDeps, type CommonOptions, reportFailure, runServiceCommand } from './context';
import { EXIT, type ExitCode, usageError } from './failure';
import { withCommonOptions } from './options';
import type { ProgressStream } from './progress';
import { renderSyncAnswer } from './sync-plan-text';

export const SYNC_CSV_COLUMNS = [
  'external_id',
  'subject',
  'start',
  'end',
  'time_zone',
  'all_day',
  'body',
  'body_type',
  'location',
  'attendees',
  'recurrence',
  'categories',
  'online_meeting',
  'reminder_minutes',
  'show_as',
] as const;

const TRUE = /^(true|yes|1)$/i;
const BOOLEAN = /^(true|false|yes|no|1|0)$/i;

/** One CSV row → an event; empty cells are absent; lists split on `;`; `recurrence` is one compact cell. */
export function syncEventFromCsv(row: Record<string, string>, line: number): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  for (const [column, raw] of Object.entries(row)) {
    const value = raw.trim();
    if (value === '') continue;
    const bad = (what: string): never => {
      throw usageError(`line ${line}: ${column} ${what}`, `See docs/sync.md for the CSV columns.`);
    };
    switch (column) {
      case 'attendees':
      case 'categories':
        event[column] = value
          .split(';')
          .map((a) => a.trim())
          .filter(Boolean);
        break;
      case 'all_day':
      case 'online_meeting':
        if (!BOOLEAN.test(value)) bad('must be true or false');
        event[column] = TRUE.test(value);
        break;
      case 'reminder_minutes':
        if (!/^\d{1,6}$/.test(value)) bad('must be a whole number of minutes');
        event.reminder_minutes = Number(value);
        break;
      case 'recurrence':
        try {
          event.recurrence = parseCompactRecurrence(value);
        } catch (error) {
          bad(`: ${toGraphTokenError(error).message}`);
        }
        break;
      default:
        event[column] = value;
    }
  }
  return event;
}

/** The events of FILE; a file that is not a list of events is a usage error (exit 2). */
export function readSyncFile(path: string): SyncEventInput[] {
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
    if (!Array.isArray(value)) {
      throw usageError(`${path} is not a JSON array`, 'The file must be a JSON array of events.');
    }
    return value as SyncEventInput[];
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
  const unknown = header.filter((h) => !(SYNC_CSV_COLUMNS as readonly string[]).includes(h));
  if (unknown.length > 0) {
    throw usageError(
      `${path}: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`,
      `Columns: ${SYNC_CSV_COLUMNS.join(', ')} (external_id, subject, start and end are required).`,
    );
  }
  return rows.map((row, i) => syncEventFromCsv(row, i + 2) as unknown as SyncEventInput);
}

/** `[####......] 420/1000` on a terminal; nothing on a pipe. */
function progressBar(stream: ProgressStream): { update(done: number, total: number): void; end(): void } {
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

interface SyncOptions extends CommonOptions {
  scope: string;
  remove?: 'cancel' | 'delete' | 'keep';
  drift?: 'keep' | 'overwrite';
  dryRun?: boolean;
  group?: string;
}

/** Registers `events sync` under the `events` command. */
export function registerEventsSyncCommand(
  events: Command,
  deps: CliDeps,
  done: (code: ExitCode) => void,
): void {
  withCommonOptions(
    events
      .command('sync')
      .description('make the calendar follow FILE for one scope: plan, then apply (docs/sync.md)')
      .argument(
        '<file>',
        `.json (array of events with external_id) or .csv (columns: ${SYNC_CSV_COLUMNS.join(', ')})`,
      )
      .requiredOption('--scope <scope>', 'the set FILE is complete for, e.g. cs101-2027-spring')
      .addOption(
        new Option('--remove <policy>', 'events of the scope not in FILE').choices([
          'cancel',
          'delete',
          'keep',
        ]),
      )
      .addOption(new Option('--drift <policy>', 'events changed in Outlook').choices(['keep', 'overwrite']))
      .option('--dry-run', 'print the plan; send nothing (reads the calendar)')
      .option('--group <alias>', 'the calendar: an allowed alias or group id')
      .addHelpText(
        'after',
        `\nCSV: attendees and categories separated by ";", recurrence as one compact cell\n` +
          `(e.g. ${formatCompactRecurrence({ pattern: 'weekly', interval: 1, days_of_week: ['monday', 'wednesday'], until: '2027-05-31' })}).\n` +
          'Exits 1 when any event failed.\n' +
          'Example:\n  graph-tokens events sync timetable.csv --scope cs101-2027-spring --dry-run',
      ),
  ).action(async (file: string, options: SyncOptions) => {
    let items: SyncEventInput[];
    try {
      items = readSyncFile(resolve(deps.cwd, file));
      if (items.length > MAX_SYNC_EVENTS) {
        throw usageError(`${file} has ${items.length} events`, `Sync at most ${MAX_SYNC_EVENTS} per scope.`);
      }
    } catch (error) {
      return done(reportFailure(deps, options, error));
    }
    const bar = progressBar(deps.stderr);
    done(
      await runServiceCommand(deps, options, {
        progress: '', // the progress bar below
        run: async (service, ctx) => {
          try {
            return await service.syncGroupEvents(
              {
                scope: options.scope,
                events: items,
                remove: options.remove,
                drift: options.drift,
                dryRun: options.dryRun === true,
                group: options.group,
                onProgress: (p) => bar.update(p.done, p.total),
              },
              ctx,
            );
          } finally {
            bar.end();
          }
        },
        render: (answer) => renderSyncAnswer(answer),
        exitCode: (answer) => (answer.counts.failed > 0 ? EXIT.failed : EXIT.ok),
      }),
    );
  });
}
