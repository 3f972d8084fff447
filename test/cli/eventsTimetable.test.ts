/** `graph-tokens events` with the timetable fields: the import CSV's new columns, `events occurrences`, `--group` and ids checked before anything is sent. */
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
  'subject,start,end,time_zone,recurrence,categories,online_meeting,reminder_minutes,show_as,body,idempotency_key',
  'CS101 lecture,2027-09-06T09:00:00+02:00,2027-09-06T10:45:00+02:00,Europe/Amsterdam,weekly;days=mon,CS101;Lectures,true,none,busy,Room 1.01,cs101-lecture',
  'CS101 exam,2027-12-13T09:00:00+01:00,2027-12-13T12:00:00+01:00,Europe/Amsterdam,,CS101,false,60,oof,,cs101-exam',
].join('\n');

describe('graph-tokens events (timetables)', () => {
  it('imports recurrence, categories, Teams, reminder and show-as columns; lists a series’ occurrences', async () => {
    writeFileSync(join(cwd, 'timetable.csv'), `${CSV}\n`);
    const run = await runCli(['events', 'import', 'timetable.csv', '--json', '--group', 'default'], {
      env,
      cwd,
    });
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { created: number; results: { id: string }[] };
    expect(summary.created).toBe(2);
    const lecture = sandbox.graph.events.find((e) => e.id === summary.results[0]!.id)!;
    expect(lecture.body).toMatchObject({
      recurrence: {
        pattern: { type: 'weekly', daysOfWeek: ['monday'] },
        range: { type: 'noEnd', startDate: '2027-09-06' },
      },
      categories: ['CS101', 'Lectures'],
      isOnlineMeeting: true,
      isReminderOn: false,
      showAs: 'busy',
      start: { dateTime: '2027-09-06T09:00:00', timeZone: 'W. Europe Standard Time' },
    });
    const exam = sandbox.graph.events.find((e) => e.id === summary.results[1]!.id)!;
    expect(exam.body).toMatchObject({ reminderMinutesBeforeStart: 60, isReminderOn: true, showAs: 'oof' });

    const occurrences = await runCli(
      [
        'events',
        'occurrences',
        lecture.id,
        '--from',
        '2027-09-01T00:00:00Z',
        '--to',
        '2027-09-21T00:00:00Z',
        '--json',
      ],
      { env, cwd },
    );
    expect(occurrences.code).toBe(0);
    const list = JSON.parse(occurrences.stdout) as { items: { start: string; type: string }[] };
    expect(list.items.map((o) => [o.start, o.type])).toEqual([
      ['2027-09-06T07:00:00Z', 'occurrence'],
      ['2027-09-13T07:00:00Z', 'occurrence'],
      ['2027-09-20T07:00:00Z', 'occurrence'],
    ]);
    const shown = await runCli(['events', 'get', lecture.id], { env, cwd });
    expect(shown.stdout).toContain('repeats: weekly');
    expect(shown.stdout).toContain('Teams: https://teams.microsoft.com/');
  });

  it('refuses a bad recurrence cell with exit 2, naming the line', async () => {
    writeFileSync(
      join(cwd, 'bad.csv'),
      'subject,start,end,recurrence\nx,2027-09-06T09:00:00Z,2027-09-06T10:00:00Z,fortnightly\n',
    );
    const bad = await runCli(['events', 'import', 'bad.csv'], { env, cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('line 2: recurrence:');
  });

  it('checks ids and groups before anything is sent', async () => {
    sandbox.graph.resetCounts();
    for (const args of [
      ['events', 'delete', '..'],
      ['events', 'cancel', '..'],
      ['events', 'get', 'a/../../x'.replace(/\//g, '.')],
      ['events', 'list', '--group', 'elsewhere'],
    ]) {
      const r = await runCli(args, { env, cwd });
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(/INVALID_REQUEST|GROUP_NOT_ALLOWED/);
    }
    expect(sandbox.graph.counts.mailbox_requests).toBe(0);
  });
});
