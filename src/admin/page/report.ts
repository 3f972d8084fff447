/**
 * The Report view (docs/operations.md, "Report"): the monthly error analysis with a chart of the
 * refreshes per day by grant and outcome. Chart.js is bundled into app.js (no CDN); it draws on a canvas
 * and sizes it through the CSSOM, which the strict style-src allows (no inline style attributes).
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  Title,
  Tooltip,
} from 'chart.js';
import type { MonthlyReport, ReportPeriod } from '../../lib/types';
import { h, replace } from './dom';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Title, Tooltip);

/** Grant × outcome series, in a fixed order and colour so months compare at a glance. */
const SERIES: { grant: string; outcome: 'success' | 'failure'; label: string; colour: string }[] = [
  { grant: 'refresh_token', outcome: 'success', label: 'refresh token · success', colour: '#2f7d4f' },
  { grant: 'password', outcome: 'success', label: 'password · success', colour: '#5b8def' },
  { grant: 'refresh_token', outcome: 'failure', label: 'refresh token · failure', colour: '#d9822b' },
  { grant: 'password', outcome: 'failure', label: 'password · failure', colour: '#c23030' },
  { grant: 'none', outcome: 'failure', label: 'refused before sending · failure', colour: '#8a6d3b' },
];

let chart: Chart | undefined;

export function renderReport(container: HTMLElement, report: MonthlyReport): void {
  const d = report.refresh_duration_ms;
  const summary = h(
    'dl',
    { id: 'report-summary', class: 'summary-list' },
    h('dt', {}, 'Period'),
    h('dd', {}, `${report.from} → ${report.to} (${report.audit_entries} audit entries)`),
    h('dt', {}, 'Refreshes'),
    h('dd', {}, `${report.refresh_totals.success} succeeded · ${report.refresh_totals.failure} failed`),
    h('dt', {}, 'Duration'),
    h('dd', {}, d.count > 0 ? `p50 ${d.p50} ms · p95 ${d.p95} ms (${d.count})` : '—'),
    h('dt', {}, 'Without a valid token'),
    h('dd', { id: 'report-no-token' }, `${report.no_valid_token.minutes} min`),
    h('dt', {}, 'Events'),
    h('dd', {}, `${report.events_by_outcome.success} succeeded · ${report.events_by_outcome.failure} failed`),
  );
  const canvas = h('canvas', {
    id: 'report-chart',
    role: 'img',
    'aria-label': `Refreshes per day in ${report.month} by grant and outcome`,
  });
  replace(
    container,
    report.note ? h('p', { class: 'note' }, report.note) : null,
    summary,
    h('div', { class: 'chart-box' }, canvas),
    h('h3', {}, 'Errors by code'),
    report.errors.length === 0
      ? h('p', { class: 'muted' }, 'No errors this month.')
      : h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { id: 'report-errors' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['Code', 'Count', 'First seen', 'Last seen', 'Hint'].map((t) =>
                  h('th', { scope: 'col' }, t),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              ...report.errors.map((e) =>
                h(
                  'tr',
                  {},
                  h('td', { class: 'code' }, e.code),
                  h('td', { class: 'num' }, String(e.count)),
                  h('td', { class: 'time' }, e.first_seen),
                  h('td', { class: 'time' }, e.last_seen),
                  h('td', { class: 'hint' }, e.hint ?? '—'),
                ),
              ),
            ),
          ),
        ),
    periodList('Credential blocks', 'report-blocks', report.credential_blocks),
    periodList('Sign-in required', 'report-sign-in', report.sign_in_required),
    periodList('Without a valid token', 'report-gaps', report.no_valid_token.periods),
  );
  drawChart(canvas, report);
}

function periodList(title: string, id: string, periods: ReportPeriod[]): HTMLElement {
  return h(
    'section',
    { id },
    h('h3', {}, title),
    periods.length === 0
      ? h('p', { class: 'muted' }, 'None.')
      : h(
          'ul',
          {},
          ...periods
            .slice(0, SHOWN_PERIODS)
            .map((p) =>
              h(
                'li',
                {},
                `${p.token_type}: ${p.from} → ${p.to ?? 'still open'} (${p.minutes} min)`,
                p.code ? h('span', { class: 'code' }, ` ${p.code}`) : null,
              ),
            ),
          periods.length > SHOWN_PERIODS
            ? h(
                'li',
                { class: 'muted' },
                `… and ${periods.length - SHOWN_PERIODS} more (graph-tokens report)`,
              )
            : null,
        ),
  );
}

/** Longer lists are cut: the CLI and the API have them all. */
const SHOWN_PERIODS = 8;

function drawChart(canvas: HTMLCanvasElement, report: MonthlyReport): void {
  const days: string[] = [];
  const first = new Date(report.from);
  const last = new Date(report.to);
  for (let t = first.getTime(); t < last.getTime(); t += 86_400_000)
    days.push(new Date(t).toISOString().slice(0, 10));
  const count = (date: string, grant: string, outcome: string): number =>
    report.refreshes.find((r) => r.date === date && r.grant === grant && r.outcome === outcome)?.count ?? 0;
  const used = SERIES.filter((s) =>
    report.refreshes.some((r) => r.grant === s.grant && r.outcome === s.outcome),
  );
  chart?.destroy();
  chart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: days.map((d) => d.slice(8)),
      datasets: used.map((s) => ({
        label: s.label,
        data: days.map((d) => count(d, s.grant, s.outcome)),
        backgroundColor: s.colour,
        stack: 'refreshes',
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        title: { display: true, text: `Refreshes per day, ${report.month} (UTC)` },
        legend: { position: 'bottom' },
      },
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
}
