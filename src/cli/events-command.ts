/**
 * `graph-tokens events ...`: group calendar events from a terminal (docs/events.md). Thin adapters over
 * the service's event methods; `import` reads a .json array or a .csv with a header row.
 */
import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { validateBulk } from '../lib/calendar';
import { formatCompactRecurrence } from '../lib/calendar/model/csvRecurrence';
import { registerOccurrencesCommand } from './events-occurrences';
import type { BulkEventInput, BulkEventSummary, EventListResult, GroupEvent } from '../lib/types';
import { type CliDeps, type CommonOptions, print, reportFailure, runServiceCommand } from './context';
import { EXIT, type ExitCode, usageError } from './failure';
import { table } from '../lib/format';
import { EVENT_CSV_COLUMNS, progressBar, readEventsFile } from './events-file';
import { registerEventsSyncCommand } from './events-sync-command';
import { withCommonOptions } from './options';

type Done = (code: ExitCode) => void;

/** Every events command takes `--group` (an allowed calendar's alias or group id). */
type GroupOptions = CommonOptions & { group?: string };
const withGroup = (command: Command): Command =>
  withCommonOptions(command).option('--group <alias>', 'the calendar: an allowed alias or group id');

/** The CSV columns `events import` takes: every events-file column (external_id is for `events sync`). */
const CSV_COLUMNS = EVENT_CSV_COLUMNS;

function renderEvent(event: GroupEvent): string {
  return [
    `${event.subject}${event.is_cancelled ? ' (cancelled)' : ''}`,
    `id: ${event.id}`,
    `${event.all_day ? 'all day ' : ''}${event.start} → ${event.end} (shown in ${event.time_zone})`,
    ...(event.location ? [`location: ${event.location}`] : []),
    ...(event.attendees.length
      ? [`attendees: ${event.attendees.map((a) => `${a.email} (${a.type}, ${a.response})`).join(', ')}`]
      : []),
    ...(event.recurrence ? [`repeats: ${formatCompactRecurrence(event.recurrence)}`] : []),
    ...(event.series_id ? [`${event.type} of series ${event.series_id}`] : []),
    ...(event.online_meeting_url ? [`Teams: ${event.online_meeting_url}`] : []),
    ...(event.categories.length ? [`categories: ${event.categories.join(', ')}`] : []),
    ...(event.web_link ? [`link: ${event.web_link}`] : []),
  ].join('\n');
}

function renderList(list: EventListResult): string {
  if (list.items.length === 0) return 'No events in this range.';
  const rows = table(list.items, [
    { header: 'START', value: (e) => e.start },
    { header: 'END', value: (e) => e.end },
    { header: 'SUBJECT', value: (e) => `${e.subject}${e.is_cancelled ? ' (cancelled)' : ''}`, maxWidth: 40 },
    { header: 'ID', value: (e) => e.id, maxWidth: 24 },
  ]);
  return list.continuation_token ? `${rows}\n(more: --continuation-token ${list.continuation_token})` : rows;
}

/**
 * A row without an `idempotency_key` gets one derived from its content: importing the same file again
 * (within the service's 24 h idempotency window) replays those rows instead of creating them twice. The
 * n-th identical row of a file gets its own key (`-n`), so deliberate duplicates are still created once each.
 */
export function withDerivedKeys(items: BulkEventInput[]): BulkEventInput[] {
  const seen = new Map<string, number>();
  return items.map((item) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
    if (item.idempotency_key !== undefined) return item;
    const digest = createHash('sha256').update(canonicalJson(item)).digest('base64url').slice(0, 32);
    const n = (seen.get(digest) ?? 0) + 1;
    seen.set(digest, n);
    return { ...item, idempotency_key: `import-${digest}${n > 1 ? `-${n}` : ''}` };
  });
}

/** JSON with object keys sorted, so the same row read from CSV or JSON hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** One line per row (created / replayed / failed, with the id or the problem), then the counts. */
function renderSummary(summary: BulkEventSummary, dryRun = false): string {
  const lines: string[] = [];
  let created = 0;
  let replayed = 0;
  for (const r of summary.results) {
    const row = `  #${r.index + 1}:`;
    if (r.problem)
      lines.push(`${row} ${dryRun ? 'invalid' : 'failed'} [${r.problem.code}] ${r.problem.detail}`);
    else if (dryRun) lines.push(`${row} valid`);
    else if (r.status === 200) {
      replayed++;
      lines.push(`${row} replayed ${r.id ?? ''} (imported before: not created again)`);
    } else {
      created++;
      lines.push(`${row} created  ${r.id ?? ''}`);
    }
  }
  lines.push(
    dryRun
      ? `${summary.created} valid, ${summary.failed} invalid (dry run: nothing sent)`
      : `${created} created, ${replayed} replayed, ${summary.failed} failed`,
  );
  return lines.join('\n');
}

export function registerEventsCommands(program: Command, deps: CliDeps, done: Done): void {
  const events = program
    .command('events')
    .description('group calendar events (GRAPH_GROUP_ID) with the managed token');

  withGroup(
    events
      .command('import')
      .description('create up to 1 000 events from a .json array or a .csv with a header row')
      .argument('<file>', '.json (array of events) or .csv (columns: ' + CSV_COLUMNS.join(', ') + ')')
      .option('--dry-run', 'validate only; send nothing')
      .addHelpText(
        'after',
        '\nCSV: attendees and categories separated by ";", all_day and online_meeting true/false,\n' +
          'recurrence e.g. "weekly;days=mon,wed;until=2027-05-31", reminder_minutes a number or none.\n' +
          'Prints one line per row (created, replayed or failed) and exits 1 when any event failed. A row\n' +
          'without idempotency_key gets one derived from its content: importing the same file again within\n' +
          '24 h replays it instead of creating it twice.\n' +
          'Example:\n  graph-tokens events import events.csv --dry-run',
      ),
  ).action(async (file: string, options: GroupOptions & { dryRun?: boolean }) => {
    let items: BulkEventInput[];
    try {
      items = readEventsFile(
        resolve(deps.cwd, file),
        CSV_COLUMNS,
        'subject, start and end',
      ) as unknown as BulkEventInput[];
      if (items.length > 1000)
        throw usageError(`${file} has ${items.length} events`, 'Import at most 1 000 at a time.');
    } catch (error) {
      return done(reportFailure(deps, options, error));
    }
    if (options.dryRun) {
      const checked = validateBulk(items);
      const summary: BulkEventSummary = {
        created: checked.filter((c) => !('code' in c)).length,
        failed: checked.filter((c) => 'code' in c).length,
        results: checked.map((c, index) =>
          'code' in c ? { index, status: c.status, problem: c } : { index, status: 200 },
        ),
      };
      print(deps, options, summary, (s) => renderSummary(s, true));
      return done(summary.failed > 0 ? EXIT.usage : EXIT.ok);
    }
    const bar = progressBar(deps.stderr);
    done(
      await runServiceCommand(deps, options, {
        progress: '', // the progress bar below
        run: async (service, ctx) => {
          try {
            return await service.createGroupEvents(
              withDerivedKeys(items),
              { onProgress: (p) => bar.update(p.done, p.total), group: options.group },
              ctx,
            );
          } finally {
            bar.end();
          }
        },
        render: (summary) => renderSummary(summary),
        exitCode: (summary) => (summary.failed > 0 ? EXIT.failed : EXIT.ok),
      }),
    );
  });

  registerEventsSyncCommand(events, deps, done);

  withGroup(
    events
      .command('list')
      .description('events between two instants (calendar view; default: the next 30 days)')
      .option('--from <instant>', 'start, ISO 8601 with an offset (default: now)')
      .option('--to <instant>', 'end, ISO 8601 with an offset (default: from + 30 days)')
      .option('--continuation-token <token>', 'the page after a previous `events list`'),
  ).action(async (options: GroupOptions & { from?: string; to?: string; continuationToken?: string }) => {
    done(
      await runServiceCommand(deps, options, {
        progress: 'Listing events',
        run: (service, ctx) =>
          service.listGroupEvents(
            {
              from: options.from,
              to: options.to,
              continuationToken: options.continuationToken,
              group: options.group,
            },
            ctx,
          ),
        render: renderList,
        exitCode: () => EXIT.ok,
      }),
    );
  });

  registerOccurrencesCommand(events, deps, done, withGroup, renderList);

  withGroup(events.command('get').description('show one event').argument('<id>', 'event id')).action(
    async (id: string, options: GroupOptions) => {
      done(
        await runServiceCommand(deps, options, {
          progress: 'Reading event',
          run: (service, ctx) => service.getGroupEvent(id, { group: options.group }, ctx),
          render: renderEvent,
          exitCode: () => EXIT.ok,
        }),
      );
    },
  );

  withGroup(
    events
      .command('update')
      .description('change some fields of an event')
      .argument('<id>', 'event id')
      .option('--subject <text>', 'new subject')
      .option('--start <instant>', 'new start (ISO 8601 with an offset)')
      .option('--end <instant>', 'new end (ISO 8601 with an offset)')
      .option('--time-zone <zone>', 'IANA zone the event is shown in')
      .option('--location <text>', 'new location'),
  ).action(
    async (
      id: string,
      options: GroupOptions & {
        subject?: string;
        start?: string;
        end?: string;
        timeZone?: string;
        location?: string;
      },
    ) => {
      const patch = {
        ...(options.subject !== undefined ? { subject: options.subject } : {}),
        ...(options.start !== undefined ? { start: options.start } : {}),
        ...(options.end !== undefined ? { end: options.end } : {}),
        ...(options.timeZone !== undefined ? { time_zone: options.timeZone } : {}),
        ...(options.location !== undefined ? { location: options.location } : {}),
      };
      done(
        await runServiceCommand(deps, options, {
          progress: 'Updating event',
          run: (service, ctx) => service.updateGroupEvent(id, patch, { group: options.group }, ctx),
          render: renderEvent,
          exitCode: () => EXIT.ok,
        }),
      );
    },
  );

  withGroup(
    events
      .command('cancel')
      .description('cancel a meeting (Graph sends the cancellation to the attendees; organizer only)')
      .argument('<id>', 'event id')
      .option('--comment <text>', 'message sent with the cancellation'),
  ).action(async (id: string, options: GroupOptions & { comment?: string }) => {
    done(
      await runServiceCommand(deps, options, {
        progress: 'Cancelling event',
        run: async (service, ctx) => {
          await service.cancelGroupEvent(id, { comment: options.comment, group: options.group }, ctx);
          return { success: true, id, cancelled: true };
        },
        render: () => `Cancelled ${id}.`,
      }),
    );
  });

  withGroup(
    events
      .command('delete')
      .description('delete an event (no cancellation message)')
      .argument('<id>', 'event id'),
  ).action(async (id: string, options: GroupOptions) => {
    done(
      await runServiceCommand(deps, options, {
        progress: 'Deleting event',
        run: async (service, ctx) => {
          await service.deleteGroupEvent(id, { group: options.group }, ctx);
          return { success: true, id, deleted: true };
        },
        render: () => `Deleted ${id}.`,
      }),
    );
  });
}
