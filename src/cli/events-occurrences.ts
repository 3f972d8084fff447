/**
 * `graph-tokens events occurrences ID`: a series' occurrences and exceptions between two instants
 * (docs/events.md, "Timetables"). A thin adapter over `listEventOccurrences`.
 */
import type { Command } from 'commander';
import type { EventListResult } from '../lib/types';
import { type CliDeps, type CommonOptions, runServiceCommand } from './context';
import { EXIT, type ExitCode } from './failure';

type Options = CommonOptions & { group?: string; from?: string; to?: string; continuationToken?: string };

export function registerOccurrencesCommand(
  events: Command,
  deps: CliDeps,
  done: (code: ExitCode) => void,
  withGroup: (command: Command) => Command,
  renderList: (list: EventListResult) => string,
): void {
  withGroup(
    events
      .command('occurrences')
      .description("a series' occurrences and exceptions (default: the next 30 days)")
      .argument('<id>', 'the series (an event with a recurrence)')
      .option('--from <instant>', 'start, ISO 8601 with an offset (default: now)')
      .option('--to <instant>', 'end, ISO 8601 with an offset (default: from + 30 days)')
      .option('--continuation-token <token>', 'the page after a previous `events occurrences`')
      .addHelpText(
        'after',
        '\nEach occurrence has its own id: `events update`, `events cancel` and `events delete` with it\n' +
          'change that occurrence only.',
      ),
  ).action(async (id: string, options: Options) => {
    done(
      await runServiceCommand(deps, options, {
        progress: 'Listing occurrences',
        run: (service, ctx) =>
          service.listEventOccurrences(
            id,
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
}
