/**
 * A sync answer as a terminal shows it (docs/sync.md), in the manner of `terraform plan`: one line per
 * change — `+` create, `~` update with the fields it changes, `-` remove, `!` drifted (changed in
 * Outlook, left alone), `x` failed — then the counts. Unchanged events get no line, only a count.
 */
import type { SyncAnswer } from '../lib/calendar/sync/request';
import { terminalSafe } from '../lib/format';

/** The caller's text (external ids, Graph's messages) on one line, without control characters. */
const safe = (text: string): string => terminalSafe(text).replace(/[\r\n\t]+/g, ' ');

const MARK = { create: '+', update: '~', remove: '-', drifted: '!', failed: 'x' } as const;

export function renderSyncAnswer(answer: SyncAnswer, options: { maxLines?: number } = {}): string {
  const max = options.maxLines ?? 200;
  const lines: string[] = [];
  const changes = answer.results.filter((r) => r.action !== 'unchanged');
  for (const r of changes.slice(0, max)) {
    // External ids are the caller's text: printed without control characters.
    const id = safe(r.external_id);
    if (r.action === 'unchanged') continue; // narrows the type; filtered above
    const mark = MARK[r.action];
    if (r.action === 'update') lines.push(`  ${mark} ${id}  (${(r.changes ?? []).join(', ')})`);
    else if (r.action === 'drifted') {
      const fields = r.changes && r.changes.length > 0 ? `; differs in ${r.changes.join(', ')}` : '';
      lines.push(`  ${mark} ${id}  changed in Outlook since the last sync, left as it is${fields}`);
    } else if (r.action === 'failed') {
      lines.push(`  ${mark} ${id}  [${r.problem?.code ?? 'FAILED'}] ${safe(r.problem?.detail ?? '')}`);
    } else lines.push(`  ${mark} ${id}`);
  }
  if (changes.length > max) lines.push(`  … and ${changes.length - max} more (--json lists them all)`);
  const c = answer.counts;
  const tail = `${c.unchanged} unchanged, ${c.drifted} drifted, ${c.failed} failed.`;
  const summary = answer.dry_run
    ? `Plan: ${c.create} to create, ${c.update} to update, ${c.remove} to remove, ${tail}`
    : `Applied: ${c.create} created, ${c.update} updated, ${c.remove} removed, ${tail}`;
  const head = `Scope ${answer.scope} in calendar ${answer.group}${answer.dry_run ? ' (dry run: nothing sent)' : ''}:`;
  const body = lines.length > 0 ? lines : ['  No changes. The calendar follows the file.'];
  return [head, ...body, summary].join('\n');
}
