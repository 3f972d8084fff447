/** `graph-tokens events ...` as an operator runs it: a separate process against the sandbox. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSandboxCertificate, startSandbox, type Sandbox } from '../../src/sandbox';
import { runCli, STACK_FRAME, tempDir } from './helpers';

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

const CSV = [
  'subject,start,end,time_zone,attendees,location',
  'Open day,2026-12-01T09:00:00+01:00,2026-12-01T11:00:00+01:00,Europe/Amsterdam,ana@contoso.example;bo@contoso.example,"Main hall, floor 1"',
  '"Quoted, subject",2026-12-02T09:00:00Z,2026-12-02T10:00:00Z,,,',
  'Broken,2026-12-03T10:00:00Z,2026-12-03T09:00:00Z,,,',
].join('\n');

describe('graph-tokens events', () => {
  it('imports a .csv: --dry-run validates only, then creates the valid rows and reports the bad one', async () => {
    const file = join(cwd, 'events.csv');
    writeFileSync(file, `${CSV}\n`);
    const before = sandbox.graph.events.length;
    const dry = await runCli(['events', 'import', 'events.csv', '--dry-run'], { env, cwd });
    expect(dry.code).toBe(2);
    expect(dry.stdout).toContain('2 valid, 1 invalid (dry run: nothing sent)');
    expect(dry.stdout).toContain('#3: invalid [INVALID_REQUEST] events[2].end: must be after start');
    expect(sandbox.graph.events.length).toBe(before);

    const run = await runCli(['events', 'import', 'events.csv', '--json'], { env, cwd });
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.code).toBe(1);
    const summary = JSON.parse(run.stdout) as { created: number; failed: number; results: { id?: string }[] };
    expect(summary).toMatchObject({ created: 2, failed: 1 });
    const open = sandbox.graph.events.find((e) => e.id === summary.results[0]!.id)!;
    expect(open.start).toBe('2026-12-01T08:00:00.000Z');
    expect(open.body).toMatchObject({ location: { displayName: 'Main hall, floor 1' } });
    expect(JSON.stringify(open.body.attendees)).toContain('bo@contoso.example');
    expect(sandbox.graph.events.find((e) => e.id === summary.results[1]!.id)!.body.subject).toBe(
      'Quoted, subject',
    );

    const listed = await runCli(
      ['events', 'list', '--from', '2026-12-01T00:00:00Z', '--to', '2026-12-03T00:00:00Z'],
      { env, cwd },
    );
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('Open day');

    const cancelled = await runCli(['events', 'cancel', summary.results[0]!.id!, '--comment', 'Sorry'], {
      env,
      cwd,
    });
    expect(cancelled.code).toBe(0);
    expect(open.isCancelled).toBe(true);
    const deleted = await runCli(['events', 'delete', summary.results[1]!.id!, '--json'], { env, cwd });
    expect(deleted.code).toBe(0);
    const missing = await runCli(['events', 'get', summary.results[1]!.id!], { env, cwd });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('code: EVENT_NOT_FOUND');
  });

  it('refuses unknown columns and file types with exit 2', async () => {
    writeFileSync(join(cwd, 'bad.csv'), 'subject,colour\nx,red\n');
    const bad = await runCli(['events', 'import', 'bad.csv'], { env, cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown column colour');
    writeFileSync(join(cwd, 'events.txt'), 'x');
    expect((await runCli(['events', 'import', 'events.txt'], { env, cwd })).code).toBe(2);
  });
});
