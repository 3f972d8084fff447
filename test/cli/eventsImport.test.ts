/**
 * `graph-tokens events import` run twice on the same file, as a newcomer does by accident: one line per
 * row, replays counted apart from creations, and rows without an idempotency key created once, not twice.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withDerivedKeys } from '../../src/cli/events-command';
import { ensureSandboxCertificate, startSandbox, type Sandbox } from '../../src/sandbox';
import type { BulkEventInput } from '../../src/lib/types';
import { runCli, tempDir } from './helpers';

jest.setTimeout(120_000);

let sandbox: Sandbox;
let env: Record<string, string>;
let cwd: string;

beforeAll(async () => {
  sandbox = await startSandbox({ keyVault: false });
  env = { ...sandbox.env, NODE_EXTRA_CA_CERTS: ensureSandboxCertificate().certPath };
  cwd = tempDir();
});
afterAll(async () => {
  await sandbox?.close();
});

const TERM = [
  'subject,start,end,time_zone,all_day,attendees,location,idempotency_key',
  'Open day,2026-12-01T09:00:00+01:00,2026-12-01T11:00:00+01:00,Europe/Amsterdam,,ana@contoso.example,"Main hall",open-day-2026',
  'Holiday,2026-12-24,2026-12-27,Europe/Amsterdam,true,,,',
  // The same row twice on purpose: two events, each imported once.
  'Drill,2026-12-10T10:00:00Z,2026-12-10T10:30:00Z,,,,,',
  'Drill,2026-12-10T10:00:00Z,2026-12-10T10:30:00Z,,,,,',
  'Broken,2026-12-03T10:00:00Z,2026-12-03T09:00:00Z,,,,,',
].join('\n');

it('prints a line per row, counts replays apart, and never creates a keyless row twice', async () => {
  writeFileSync(join(cwd, 'term.csv'), `${TERM}\n`);
  const before = sandbox.graph.events.length;

  const first = await runCli(['events', 'import', 'term.csv'], { env, cwd });
  expect(first.code).toBe(1); // the broken row
  const ids = [...first.stdout.matchAll(/^ {2}#(\d): created {2}(\S+)$/gm)].map((m) => [m[1], m[2]]);
  expect(ids.map(([row]) => row)).toEqual(['1', '2', '3', '4']);
  expect(first.stdout).toMatch(/^ {2}#5: failed \[INVALID_REQUEST\] events\[4\]\.end: must be after start$/m);
  expect(first.stdout).toContain('4 created, 0 replayed, 1 failed');
  expect(sandbox.graph.events.length).toBe(before + 4);

  const second = await runCli(['events', 'import', 'term.csv'], { env, cwd });
  expect(second.code).toBe(1);
  for (const [row, id] of ids) expect(second.stdout).toContain(`  #${row}: replayed ${id} `);
  expect(second.stdout).toContain('0 created, 4 replayed, 1 failed');
  expect(sandbox.graph.events.length).toBe(before + 4);
  expect(sandbox.graph.events.filter((e) => e.body.subject === 'Holiday')).toHaveLength(1);
  expect(sandbox.graph.events.filter((e) => e.body.subject === 'Drill')).toHaveLength(2);
});

it('derives a key from the row content only: same content, same key; a given key is kept', () => {
  const row = { subject: 'A', start: '2026-12-01T09:00:00Z', end: '2026-12-01T10:00:00Z' };
  const reordered = { end: row.end, start: row.start, subject: 'A' } as BulkEventInput;
  const [a, b, c, d] = withDerivedKeys([
    row,
    reordered,
    { ...row, subject: 'B' },
    { ...row, idempotency_key: 'k' },
  ]);
  expect(a!.idempotency_key).toMatch(/^import-[\w-]{32}$/);
  expect(b!.idempotency_key).toBe(`${a!.idempotency_key}-2`);
  expect(c!.idempotency_key).not.toBe(a!.idempotency_key);
  expect(d!.idempotency_key).toBe('k');
  expect(withDerivedKeys([row])[0]!.idempotency_key).toBe(a!.idempotency_key);
});
