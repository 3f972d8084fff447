import { type Command, InvalidArgumentError, Option } from 'commander';
import type { MonthlyReport, ReportPeriod } from '../lib/types';
import { type CliDeps, type CommonOptions, runServiceCommand } from './context';
import { EXIT, type ExitCode } from './failure';
import { fields, table, terminalSafe } from '../lib/format';
import { withCommonOptions } from './options';

type Format = 'text' | 'markdown';

/**
 * `graph-tokens report [--month YYYY-MM] [--format text|markdown] [--json]` (docs/operations.md, "Report").
 * JSON is `--json`, as on every command (the HTTP API's JSON, failures as problem details): one switch
 * for one thing, so `--format` only chooses between the two human layouts.
 */
export function registerReportCommand(program: Command, deps: CliDeps, done: (code: ExitCode) => void): void {
  withCommonOptions(
    program
      .command('report')
      .description('the monthly error analysis, from the audit table (kept 90 days)')
      .option('--month <YYYY-MM>', 'the month (UTC); default the current one', month)
      .addOption(
        new Option('--format <format>', 'text or markdown (JSON: --json, as on every command)')
          .argParser(format)
          .default('text'),
      )
      .addHelpText(
        'after',
        '\nExamples:\n  graph-tokens report\n  graph-tokens report --month 2026-05 --format markdown',
      ),
  ).action(async (options: CommonOptions & { month?: string; format: Format }) => {
    done(
      await runServiceCommand(deps, options, {
        progress: 'Reading the audit table',
        run: (service) => service.report(options.month),
        render: options.format === 'markdown' ? renderReportMarkdown : renderReportText,
        exitCode: () => EXIT.ok,
      }),
    );
  });
}

function format(value: string): Format {
  if (value === 'text' || value === 'markdown') return value;
  if (value === 'json') throw new InvalidArgumentError('Use --json for JSON (as on every command).');
  throw new InvalidArgumentError('Must be text or markdown.');
}

function month(value: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value))
    throw new InvalidArgumentError('Must be YYYY-MM, e.g. 2026-05.');
  return value;
}

/** Text from the audit table may come from outside (upstream messages): made safe for a terminal. */
const clean = (text: string | null | undefined): string => terminalSafe(text ?? '');

const span = (p: ReportPeriod): string =>
  `${p.token_type}  ${p.from} → ${p.to ?? 'still open'}  (${p.minutes} min)${p.code ? `  ${p.code}` : ''}`;

function dailyRows(report: MonthlyReport): { date: string; cells: Record<string, number> }[] {
  const byDate = new Map<string, Record<string, number>>();
  for (const r of report.refreshes) {
    const cells = byDate.get(r.date) ?? {};
    cells[`${r.grant} ${r.outcome}`] = (cells[`${r.grant} ${r.outcome}`] ?? 0) + r.count;
    byDate.set(r.date, cells);
  }
  return [...byDate].map(([date, cells]) => ({ date, cells }));
}

function seriesOf(report: MonthlyReport): string[] {
  return [...new Set(report.refreshes.map((r) => `${r.grant} ${r.outcome}`))].sort();
}

export function renderReportText(report: MonthlyReport): string {
  const d = report.refresh_duration_ms;
  const out = [
    `Report ${report.month} (${report.from} → ${report.to}, ${report.audit_entries} audit entries)`,
    ...(report.note ? [`note: ${report.note}`] : []),
    '',
    fields([
      ['Refreshes', `${report.refresh_totals.success} succeeded · ${report.refresh_totals.failure} failed`],
      [
        'Duration',
        d.count > 0
          ? `p50 ${d.p50} ms · p95 ${d.p95} ms (${d.count} exchange${d.count === 1 ? '' : 's'})`
          : 'no exchanges',
      ],
      ['No valid token', `${report.no_valid_token.minutes} min`],
      [
        'Events',
        `${report.events_by_outcome.success} succeeded · ${report.events_by_outcome.failure} failed`,
      ],
    ]),
  ];
  const series = seriesOf(report);
  if (series.length > 0) {
    out.push(
      '',
      'Refreshes per day',
      table(dailyRows(report), [
        { header: 'date', value: (r) => r.date },
        ...series.map((s) => ({
          header: s,
          value: (r: { cells: Record<string, number> }) => String(r.cells[s] ?? 0),
          align: 'right' as const,
        })),
      ]),
    );
  }
  if (report.errors.length > 0) {
    out.push(
      '',
      'Errors',
      table(report.errors, [
        { header: 'code', value: (e) => e.code },
        { header: 'count', value: (e) => String(e.count), align: 'right' },
        { header: 'first seen', value: (e) => e.first_seen },
        { header: 'last seen', value: (e) => e.last_seen },
        { header: 'hint', value: (e) => clean(e.hint ?? '-'), maxWidth: 80 },
      ]),
    );
  }
  for (const [title, periods] of [
    ['Without a valid token', report.no_valid_token.periods],
    ['Credential blocks', report.credential_blocks],
    ['Sign-in required', report.sign_in_required],
  ] as const) {
    if (periods.length > 0) out.push('', title, ...periods.map((p) => `  ${span(p)}`));
  }
  if (report.events.length > 0) {
    out.push(
      '',
      'Events',
      table(report.events, [
        { header: 'operation', value: (e) => e.operation },
        { header: 'outcome', value: (e) => e.outcome },
        { header: 'count', value: (e) => String(e.count), align: 'right' },
      ]),
    );
  }
  return out.join('\n');
}

const md = (text: string): string => clean(text).replace(/\|/g, '\\|');

function mdTable(headers: string[], rows: string[][]): string {
  return [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(md).join(' | ')} |`),
  ].join('\n');
}

export function renderReportMarkdown(report: MonthlyReport): string {
  const d = report.refresh_duration_ms;
  const out = [
    `# Graph token report ${report.month}`,
    '',
    `${report.from} → ${report.to} · ${report.audit_entries} audit entries`,
    ...(report.note ? ['', `> ${md(report.note)}`] : []),
    '',
    mdTable(
      ['figure', 'value'],
      [
        ['refreshes succeeded', String(report.refresh_totals.success)],
        ['refreshes failed', String(report.refresh_totals.failure)],
        ['refresh duration p50 / p95', d.count > 0 ? `${d.p50} ms / ${d.p95} ms` : '-'],
        ['minutes without a valid token', String(report.no_valid_token.minutes)],
        [
          'events succeeded / failed',
          `${report.events_by_outcome.success} / ${report.events_by_outcome.failure}`,
        ],
      ],
    ),
  ];
  const series = seriesOf(report);
  if (series.length > 0) {
    out.push(
      '',
      '## Refreshes per day',
      '',
      mdTable(
        ['date', ...series],
        dailyRows(report).map((r) => [r.date, ...series.map((s) => String(r.cells[s] ?? 0))]),
      ),
    );
  }
  out.push('', '## Errors', '');
  out.push(
    report.errors.length === 0
      ? 'None.'
      : mdTable(
          ['code', 'count', 'first seen', 'last seen', 'hint'],
          report.errors.map((e) => [e.code, String(e.count), e.first_seen, e.last_seen, e.hint ?? '-']),
        ),
  );
  for (const [title, periods] of [
    ['Without a valid token', report.no_valid_token.periods],
    ['Credential blocks', report.credential_blocks],
    ['Sign-in required', report.sign_in_required],
  ] as const) {
    out.push('', `## ${title}`, '');
    out.push(
      periods.length === 0
        ? 'None.'
        : mdTable(
            ['type', 'from', 'to', 'minutes', 'code'],
            periods.map((p) => [
              p.token_type,
              p.from,
              p.to ?? 'still open',
              String(p.minutes),
              p.code ?? '-',
            ]),
          ),
    );
  }
  if (report.events.length > 0) {
    out.push(
      '',
      '## Events',
      '',
      mdTable(
        ['operation', 'outcome', 'count'],
        report.events.map((e) => [e.operation, e.outcome, String(e.count)]),
      ),
    );
  }
  return out.join('\n');
}
