/**
 * Human-readable renderings of the service's results. `--json` bypasses these and prints the objects
 * unchanged (they are what the HTTP API returns).
 */
import type {
  AcquireResult,
  AuditEntry,
  CleanupSummary,
  ErrorSummary,
  RefreshSummary,
  RotateKeySummary,
  StatusReport,
  TokenListResult,
  TokenRecord,
  ValidateSummary,
} from '../lib/types';
import { expiresIn, fields, plural, relative, table } from '../lib/format';

export function renderStatus(status: StatusReport, now: number): string {
  const cfg = status.configuration;
  const configLines = [
    `${cfg.valid ? 'valid' : 'INVALID'} (${
      // A delegated service has no password: it lives on the refresh token of an interactive sign-in.
      cfg.token_type === 'delegated'
        ? 'delegated: signed in interactively, no password'
        : `password from ${cfg.password_source.replace('_', ' ')}`
    })`,
    ...(cfg.missing.length > 0 ? [`missing: ${cfg.missing.join(', ')}`] : []),
    ...cfg.problems.map((p) => `problem: ${p}`),
  ];
  const t = status.tokens;
  const pairs: Array<[string, string]> = [
    ['Configuration', configLines.join('\n')],
    [
      'Tokens',
      `total ${t.total} · active ${t.active} · expired ${t.expired} · inactive ${t.inactive} · errored ${t.errored}`,
    ],
  ];
  const c = status.current;
  if (c) {
    const lines = [
      `${c.id} (${c.token_type}, ${c.account})`,
      `expires ${c.expires_at} (${expiresIn(c.expires_at, now)})`,
      `refreshed ${plural(c.refresh_count, 'time')}, last ${relative(c.last_refreshed_at, now)} · used ${plural(c.usage_count, 'time')}`,
    ];
    if (c.last_error)
      lines.push(...errorLines(c.error_count, c.last_error, c.last_error_code, c.last_error_hint));
    pairs.push(['Current token', lines.join('\n')]);
  } else {
    pairs.push([
      'Current token',
      `none (run: graph-tokens ${cfg.token_type === 'delegated' ? 'sign-in' : 'acquire'})`,
    ]);
  }
  if (status.blocked) {
    const b = status.blocked;
    pairs.push([
      'Blocked',
      `${b.code} since ${b.blocked_at} (${b.token_type})\n${b.description}\nhint: ${b.hint}`,
    ]);
  }
  const typeLines = Object.entries(status.types).map(([type, t]) => {
    const head = `${type}: ${t.state}${t.current ? ` · ${t.current.account}, expires ${expiresIn(t.current.expires_at, now)}` : ''}`;
    if (!t.sign_in_required) return head;
    const s = t.sign_in_required;
    return `${head}\n  ${s.code} since ${s.since}${s.reason ? `: ${s.reason}` : ''}\n  hint: ${s.hint}`;
  });
  pairs.push(['Token types', `${typeLines.join('\n')}\n(configured: ${cfg.token_type})`]);
  const out = [fields(pairs)];
  if (status.recent_audit.length > 0) out.push('', 'Recent audit', renderAudit(status.recent_audit, now));
  return out.join('\n');
}

function errorLines(count: number, message: string, code: string | null, hint: string | null): string[] {
  const lines = [`last error (${plural(count, 'consecutive error')}): ${code ? `[${code}] ` : ''}${message}`];
  if (hint) lines.push(`hint: ${hint}`);
  return lines;
}

export function renderAudit(entries: readonly AuditEntry[], now: number): string {
  return table(entries, [
    { header: 'TIME', value: (e) => `${e.time} (${relative(e.time, now)})` },
    {
      header: 'ACTOR',
      value: (e) => (e.actor_name ? `${e.actor_name} (${e.actor})` : e.actor),
      maxWidth: 48,
    },
    { header: 'OPERATION', value: (e) => e.operation },
    { header: 'TARGET', value: (e) => e.target, maxWidth: 48 },
    { header: 'OUTCOME', value: (e) => (e.error_code ? `${e.outcome} (${e.error_code})` : e.outcome) },
    { header: 'DETAIL', value: (e) => e.detail ?? '', maxWidth: 60 },
  ]);
}

export function renderTokens(list: TokenListResult, now: number): string {
  if (list.items.length === 0) return 'No tokens stored. Run: graph-tokens acquire';
  const out = [
    table(list.items, [
      { header: 'ID', value: (r) => r.id },
      { header: 'TYPE', value: (r) => r.token_type },
      { header: 'ACCOUNT', value: (r) => r.account, maxWidth: 32 },
      {
        header: 'ACTIVE',
        value: (r) => (r.is_active ? 'yes' : `no (${r.deactivation_reason ?? 'inactive'})`),
      },
      { header: 'EXPIRES IN', value: (r) => expiresIn(r.expires_at, now) },
      { header: 'USAGE', value: (r) => String(r.usage_count), align: 'right' },
      { header: 'ERRORS', value: (r) => String(r.error_count), align: 'right' },
      {
        header: 'LAST ERROR',
        value: (r) =>
          r.last_error ? `${r.last_error_code ? `[${r.last_error_code}] ` : ''}${r.last_error}` : '-',
        maxWidth: 60,
      },
    ]),
  ];
  const hinted = list.items.filter((r) => r.last_error_hint);
  if (hinted.length > 0) {
    out.push('', ...hinted.map((r) => `hint for ${r.id}: ${r.last_error_hint}`));
  }
  if (list.continuation_token) {
    out.push('', `More tokens: graph-tokens list --continuation-token ${list.continuation_token}`);
  }
  return out.join('\n');
}

export function renderRecord(record: TokenRecord, now: number): string {
  const pairs: Array<[string, string]> = [
    ['Token', `${record.id} (${record.token_type}, ${record.account})`],
    [
      'Active',
      record.is_active
        ? 'yes'
        : `no (${record.deactivation_reason ?? 'inactive'} ${relative(record.deactivated_at, now)})`,
    ],
    ['Expires', `${record.expires_at} (${expiresIn(record.expires_at, now)})`],
    ['Usage', `${record.usage_count}, last ${relative(record.last_used_at, now)}`],
    ['Errors', String(record.error_count)],
  ];
  if (record.last_error) {
    pairs.push([
      'Last error',
      errorLines(record.error_count, record.last_error, record.last_error_code, record.last_error_hint).join(
        '\n',
      ),
    ]);
  }
  return fields(pairs);
}

export function renderAcquire(result: AcquireResult, now: number): string {
  const t = result.token;
  const from: Record<string, string> = {
    memory: 'the memory cache',
    storage: 'Table Storage (still valid)',
    refresh: 'a refresh-token grant',
    ropc: 'a password (ROPC) grant',
    sign_in: 'an interactive sign-in',
  };
  return fields([
    ['Token', `${t.id} (${t.token_type}, ${t.account})`],
    ['Source', from[t.source] ?? t.source],
    ['Expires', `${t.expires_at} (${expiresIn(t.expires_at, now)})`],
    ['Scopes', t.scopes.join(' ')],
  ]);
}

export function renderRefresh(summary: RefreshSummary, now: number): string {
  const head = `Refreshed ${summary.refreshed}, failed ${summary.failed}.`;
  if (summary.results.length === 0) return `${head} No active token matched.`;
  return [
    head,
    '',
    table(summary.results, [
      { header: 'ID', value: (r) => r.id ?? '(new)' },
      { header: 'TYPE', value: (r) => r.token_type },
      { header: 'OUTCOME', value: (r) => r.outcome },
      { header: 'SOURCE', value: (r) => r.source ?? '-' },
      { header: 'EXPIRES IN', value: (r) => expiresIn(r.expires_at, now) },
      { header: 'ERROR', value: (r) => errorCell(r.error), maxWidth: 70 },
    ]),
    ...hints(summary.results),
    ...(summary.results.some((r) => r.outcome === 'skipped' && r.expires_at)
      ? [
          '',
          'Skipped tokens are not due yet (they are refreshed shortly before they expire).',
          'Refresh one now with --id <id>, or get a new token with: graph-tokens acquire --force',
        ]
      : []),
  ].join('\n');
}

export function renderCleanup(summary: CleanupSummary): string {
  return [
    `Deactivated ${plural(summary.deactivated, 'expired token')}.`,
    `Deleted ${plural(summary.deleted, 'inactive token')}.`,
    `Deleted ${plural(summary.audit_deleted, 'old audit entry', 'old audit entries')}.`,
  ].join('\n');
}

export function renderValidate(summary: ValidateSummary): string {
  const head = `Validated ${summary.validated}: ${summary.valid} valid, ${summary.invalid} invalid, ${summary.unreachable} unreachable.`;
  if (summary.results.length === 0) return `${head} No active token to validate.`;
  return [
    head,
    '',
    table(summary.results, [
      { header: 'ID', value: (r) => r.id },
      { header: 'TYPE', value: (r) => r.token_type },
      { header: 'OUTCOME', value: (r) => r.outcome },
      { header: 'HTTP', value: (r) => (r.status === null ? '-' : String(r.status)) },
      { header: 'ERROR', value: (r) => errorCell(r.error), maxWidth: 70 },
    ]),
    ...hints(summary.results),
  ].join('\n');
}

export function renderRotateKey(summary: RotateKeySummary): string {
  return `Re-encrypted ${plural(summary.rotated, 'token')} with key version ${summary.key_version}.`;
}

function errorCell(error: ErrorSummary | undefined): string {
  return error ? `[${error.code}] ${error.message}` : '-';
}

function hints(results: ReadonlyArray<{ id: string | null; error?: ErrorSummary }>): string[] {
  const withError = results.filter((r) => r.error);
  if (withError.length === 0) return [];
  return ['', ...withError.map((r) => `hint for ${r.id ?? 'new token'}: ${r.error!.hint}`)];
}
