/**
 * `graph-tokens events sync FILE --scope S [--remove …] [--drift …] [--dry-run] [--group ALIAS]`
 * (docs/sync.md): the calendar follows FILE. Prints the plan (`+ ~ - ! x` lines and counts) and shows
 * progress on a terminal. FILE is a .json array of events with `external_id`, or a .csv with a header
 * row and the sync columns.
 */
import { type Command, Option } from 'commander';
import { resolve } from 'node:path';
import { formatCompactRecurrence } from '../lib/calendar/model/csvRecurrence';
import { MAX_SYNC_EVENTS, type SyncEventInput } from '../lib/calendar/sync/request';
import { type CliDeps, type CommonOptions, reportFailure, runServiceCommand } from './context';
import { EXIT, type ExitCode, usageError } from './failure';
import { withCommonOptions } from './options';
import { renderSyncAnswer } from './sync-plan-text';
import { EVENT_CSV_COLUMNS, progressBar, readEventsFile } from './events-file';

/** The CSV columns `events sync` takes: every events-file column but import's `idempotency_key`. */
export const SYNC_CSV_COLUMNS = EVENT_CSV_COLUMNS.filter((c) => c !== 'idempotency_key');

/** The events of FILE; a file that is not a list of events is a usage error (exit 2). */
export function readSyncFile(path: string): SyncEventInput[] {
  return readEventsFile(
    path,
    SYNC_CSV_COLUMNS,
    'external_id, subject, start and end',
  ) as unknown as SyncEventInput[];
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
