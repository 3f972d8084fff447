/**
 * "Last syncs" on the admin page (docs/sync.md, "Audit"): the last calendar syncs from the audit —
 * scope, calendar, counts, when, who. Its own section, placed after the audit table.
 */
import type { SyncAuditEntry } from '../../lib/service/recentSyncs';
import type { ApiClient } from './api';
import { h, replace } from './dom';

const HEADERS = [
  'When',
  'Who',
  'Scope',
  'Calendar',
  'Created',
  'Updated',
  'Removed',
  'Drifted',
  'Failed',
  'Outcome',
];

/** The section (created once, after the audit section). */
function section(): HTMLTableSectionElement {
  const existing = document.querySelector<HTMLTableSectionElement>('#last-syncs tbody');
  if (existing) return existing;
  const tbody = h('tbody');
  const block = h(
    'section',
    { 'aria-labelledby': 'last-syncs-heading' },
    h('h2', { id: 'last-syncs-heading' }, 'Last syncs'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'last-syncs', 'aria-describedby': 'last-syncs-heading' },
        h('thead', {}, h('tr', {}, ...HEADERS.map((t) => h('th', { scope: 'col' }, t)))),
        tbody,
      ),
    ),
  );
  const audit = document.getElementById('audit')?.closest('section');
  if (audit) audit.after(block);
  else document.querySelector('main')?.append(block);
  return tbody;
}

export function renderSyncs(entries: readonly SyncAuditEntry[]): HTMLTableRowElement[] {
  if (entries.length === 0) {
    return [h('tr', {}, h('td', { colspan: HEADERS.length, class: 'muted' }, 'No syncs yet.'))];
  }
  return entries.map((e) => {
    const c = e.counts;
    const n = (value: number | undefined): string => (value === undefined ? '—' : String(value));
    return h(
      'tr',
      { class: e.outcome === 'failure' ? 'failure' : '' },
      h('td', { class: 'time' }, h('time', { datetime: e.time }, new Date(e.time).toLocaleString())),
      h('td', { title: e.actor }, e.actor_name ?? e.actor),
      h('td', {}, `${e.scope}${e.dry_run ? ' (dry run)' : ''}`),
      h('td', {}, e.group),
      h('td', { class: 'num' }, n(c?.create)),
      h('td', { class: 'num' }, n(c?.update)),
      h('td', { class: 'num' }, n(c?.remove)),
      h('td', { class: c && c.drifted > 0 ? 'num bad' : 'num' }, n(c?.drifted)),
      h('td', { class: c && c.failed > 0 ? 'num bad' : 'num' }, n(c?.failed)),
      h(
        'td',
        { class: e.outcome === 'failure' ? 'bad' : 'ok' },
        e.error_code ? `${e.outcome} (${e.error_code})` : e.outcome,
      ),
    );
  });
}

/** Fetches and shows the last syncs; a failure leaves the rest of the page alone. */
export async function showLastSyncs(api: ApiClient): Promise<void> {
  try {
    replace(section(), ...renderSyncs((await api.recentSyncs()).items));
  } catch {
    replace(
      section(),
      h('tr', {}, h('td', { colspan: HEADERS.length, class: 'muted' }, 'Syncs could not be read.')),
    );
  }
}
