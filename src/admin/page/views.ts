/** Renders the API's objects as DOM (text only, see dom.ts). */
import { expiresIn, relative } from '../../lib/format';
import type { AuditEntry, StatusReport, TokenRecord } from '../../lib/types';
import { h } from './dom';

/**
 * Where the credential comes from. A delegated service stores no password (it lives on the refresh token
 * of an interactive sign-in), so "password from none" would read like a fault.
 */
export function credentialSource(cfg: StatusReport['configuration']): string {
  if (cfg.token_type === 'delegated') return 'delegated: signed in interactively, no password';
  return `password from ${cfg.password_source === 'key_vault' ? 'Key Vault' : cfg.password_source}`;
}

export function renderStatus(status: StatusReport, now: number): HTMLElement {
  const cfg = status.configuration;
  const t = status.tokens;
  const c = status.current;
  const item = (term: string, ...details: Array<Node | string | null>): HTMLElement[] => [
    h('dt', {}, term),
    h('dd', {}, ...details),
  ];
  return h(
    'dl',
    { id: 'status-list' },
    ...item(
      'Configuration',
      h('span', { class: cfg.valid ? 'ok' : 'bad', id: 'config-state' }, cfg.valid ? 'valid' : 'invalid'),
      ` · ${credentialSource(cfg)}`,
      cfg.missing.length > 0 ? h('span', { class: 'block' }, `Missing: ${cfg.missing.join(', ')}`) : null,
      ...cfg.problems.map((p) => h('span', { class: 'block' }, `Problem: ${p}`)),
    ),
    ...item(
      'Tokens',
      `${t.total} total · ${t.active} active · ${t.expired} expired · ${t.inactive} inactive · ${t.errored} with errors`,
    ),
    ...item(
      'Current token',
      c
        ? h(
            'span',
            { id: 'current-token' },
            `${c.account} (${c.token_type}) · expires in `,
            h('span', { 'data-expires-at': c.expires_at }, expiresIn(c.expires_at, now)),
            ` · refreshed ${c.refresh_count}× · used ${c.usage_count}×`,
            c.last_error ? errorBlock(c) : null,
          )
        : h(
            'span',
            { id: 'current-token' },
            cfg.token_type === 'delegated'
              ? 'none — use "Sign in the service account"'
              : 'none — use Acquire',
          ),
    ),
    ...item(
      'Token types',
      h(
        'span',
        { id: 'token-types' },
        ...Object.entries(status.types).map(([type, t]) =>
          h(
            'span',
            { class: 'block', 'data-type': type, 'data-state': t.state },
            `${type}${type === cfg.token_type ? ' (configured)' : ''}: `,
            h('span', { class: t.state === 'ok' ? 'ok' : t.state === 'none' ? 'muted' : 'bad' }, t.state),
            t.current ? ` · ${t.current.account}, expires in ${expiresIn(t.current.expires_at, now)}` : '',
            t.sign_in_required
              ? h(
                  'span',
                  { class: 'hint' },
                  h('span', { class: 'code' }, t.sign_in_required.code),
                  ` since ${t.sign_in_required.since}: ${t.sign_in_required.reason} — Hint: ${t.sign_in_required.hint}`,
                )
              : null,
          ),
        ),
      ),
    ),
    ...(status.blocked
      ? item(
          'Blocked',
          h(
            'span',
            { class: 'bad', id: 'blocked' },
            h('span', { class: 'code' }, status.blocked.code),
            ` since ${status.blocked.blocked_at} (${relative(status.blocked.blocked_at, now)})`,
            h('span', { class: 'block', id: 'blocked-description' }, status.blocked.description),
            h('span', { class: 'hint' }, `Hint: ${status.blocked.hint}`),
          ),
        )
      : []),
  );
}

function errorBlock(r: TokenRecord): HTMLElement {
  return h(
    'span',
    { class: 'last-error' },
    r.last_error_code ? h('span', { class: 'code' }, r.last_error_code) : null,
    ` ${r.last_error ?? ''}`,
    r.last_error_hint ? h('span', { class: 'hint' }, `Hint: ${r.last_error_hint}`) : null,
  );
}

export function renderTokenRow(r: TokenRecord, selected: boolean, now: number): HTMLTableRowElement {
  const active = r.is_active ? 'yes' : `no (${r.deactivation_reason ?? 'inactive'})`;
  return h(
    'tr',
    { 'data-id': r.id, 'data-active': String(r.is_active), class: r.is_active ? 'active' : 'inactive' },
    h(
      'td',
      { class: 'check' },
      h('input', {
        type: 'checkbox',
        'data-id': r.id,
        'aria-label': `Select token ${r.id} (${r.account}, ${r.is_active ? 'active' : 'inactive'})`,
        checked: selected,
      }),
    ),
    h('td', {}, r.token_type),
    h('td', {}, r.account),
    h('td', { class: r.is_active ? 'ok' : 'muted' }, active),
    h('td', r.is_active ? { 'data-expires-at': r.expires_at } : {}, expiresIn(r.expires_at, now)),
    h('td', { class: 'num' }, String(r.usage_count)),
    h('td', { class: r.error_count > 0 ? 'num bad' : 'num' }, String(r.error_count)),
    h('td', { class: 'error-cell' }, r.last_error ? errorBlock(r) : '—'),
    h('td', { class: 'id' }, h('code', {}, r.id)),
  );
}

export function renderAudit(entries: readonly AuditEntry[]): HTMLTableRowElement[] {
  if (entries.length === 0) {
    return [h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No audit entries yet.'))];
  }
  return entries.map((e) =>
    h(
      'tr',
      { class: e.outcome === 'failure' ? 'failure' : '' },
      h('td', { class: 'time' }, h('time', { datetime: e.time }, new Date(e.time).toLocaleString())),
      h('td', { title: e.actor }, e.actor_name ?? e.actor),
      h('td', {}, e.operation),
      h('td', { class: 'id' }, e.target),
      h(
        'td',
        { class: e.outcome === 'failure' ? 'bad' : 'ok' },
        e.error_code ? `${e.outcome} (${e.error_code})` : e.outcome,
      ),
      h('td', { class: 'detail' }, e.detail ?? ''),
    ),
  );
}
