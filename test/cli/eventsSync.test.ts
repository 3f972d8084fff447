/** `graph-tokens events sync` as an operator runs it: a separate process against the sandbox. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventFromCsvRow } from '../../src/cli/events-file';
import { ensureSandboxCertificate, startSandbox, type Sandbox } from '../../src/sandbox';
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

const header = 'external_id,subject,start,end,time_zone,location,attendees';
const row = (n: number, subject = `Lecture ${n}`, attendees = '') =>
  `cs101-${n},${subject},2027-02-0${n}T09:00:00Z,2027-02-0${n}T10:00:00Z,UTC,Hall ${n},${attendees}`;

it('prints the plan on --dry-run, applies it, then shows only what changed', async () => {
  writeFileSync(
    join(cwd, 'timetable.csv'),
    [header, row(1), row(2), row(3, 'Lecture 3', 'ana@contoso.example')].join('\n'),
  );
  const dry = await runCli(['events', 'sync', 'timetable.csv', '--scope', 'cs101', '--dry-run'], {
    env,
    cwd,
  });
  expect(dry.code).toBe(0);
  expect(dry.stdout).toBe(
    [
      'Scope cs101 in calendar default (dry run: nothing sent):',
      '  + cs101-1',
      '  + cs101-2',
      '  + cs101-3',
      'Plan: 3 to create, 0 to update, 0 to remove, 0 unchanged, 0 drifted, 0 failed.',
      '',
    ].join('\n'),
  );
  const applied = await runCli(['events', 'sync', 'timetable.csv', '--scope', 'cs101'], { env, cwd });
  expect(applied.code).toBe(0);
  expect(applied.stdout).toContain(
    'Applied: 3 created, 0 updated, 0 removed, 0 unchanged, 0 drifted, 0 failed.',
  );

  writeFileSync(join(cwd, 'timetable.csv'), [header, row(1, 'Lecture 1 (moved)'), row(2)].join('\n'));
  const next = await runCli(['events', 'sync', 'timetable.csv', '--scope', 'cs101', '--json'], { env, cwd });
  expect(next.code).toBe(0);
  const answer = JSON.parse(next.stdout);
  expect(answer.counts).toEqual({ create: 0, update: 1, unchanged: 1, remove: 1, drifted: 0, failed: 0 });
  expect(answer.results.find((r: { action: string }) => r.action === 'update').changes).toEqual(['subject']);

  const again = await runCli(['events', 'sync', 'timetable.csv', '--scope', 'cs101'], { env, cwd });
  expect(again.stdout).toContain('No changes. The calendar follows the file.');
});

it('a bad row fails on its own (exit 1); bad options and columns are usage errors (exit 2)', async () => {
  writeFileSync(
    join(cwd, 'bad.csv'),
    [header, row(4), 'cs101-5,Broken,2027-02-05T10:00:00Z,2027-02-05T09:00:00Z,UTC,,'].join('\n'),
  );
  const run = await runCli(['events', 'sync', 'bad.csv', '--scope', 'cs102'], { env, cwd });
  expect(run.code).toBe(1);
  expect(run.stdout).toContain('  + cs101-4');
  expect(run.stdout).toContain('  x cs101-5  [INVALID_REQUEST] events[1].end: must be after start');
  const choice = await runCli(['events', 'sync', 'bad.csv', '--scope', 's', '--remove', 'purge'], {
    env,
    cwd,
  });
  expect(choice.code).toBe(2);
  writeFileSync(join(cwd, 'cols.csv'), 'external_id,subject,colour\nx,y,red\n');
  const cols = await runCli(['events', 'sync', 'cols.csv', '--scope', 's'], { env, cwd });
  expect([cols.code, cols.stderr]).toEqual([2, expect.stringContaining('unknown column colour')]);
  const noScope = await runCli(['events', 'sync', 'bad.csv'], { env, cwd });
  expect(noScope.code).toBe(2);
});

it('reads the new CSV columns: recurrence (one compact cell), categories, online meeting, reminder, show as', () => {
  expect(
    eventFromCsvRow(
      {
        external_id: 'cs101-lecture',
        recurrence: 'weekly;interval=1;days=mon,wed;until=2027-05-31',
        categories: 'CS101; Lecture',
        online_meeting: 'yes',
        reminder_minutes: '15',
        show_as: 'busy',
        body: 'Bring the book',
      },
      2,
    ),
  ).toEqual({
    external_id: 'cs101-lecture',
    recurrence: {
      pattern: 'weekly',
      interval: 1,
      days_of_week: ['monday', 'wednesday'],
      until: '2027-05-31',
    },
    categories: ['CS101', 'Lecture'],
    online_meeting: true,
    reminder_minutes: 15,
    show_as: 'busy',
    body: 'Bring the book',
  });
  expect(() => eventFromCsvRow({ online_meeting: 'maybe' }, 3)).toThrow(
    /line 3: online_meeting must be true or false/,
  );
  expect(() => eventFromCsvRow({ recurrence: 'fortnightly' }, 4)).toThrow(/line 4: recurrence/);
});
