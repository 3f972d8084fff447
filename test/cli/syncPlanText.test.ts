import { renderSyncAnswer } from '../../src/cli/sync-plan-text';
import type { SyncAnswer } from '../../src/lib/calendar/sync/request';

const answer: SyncAnswer = {
  scope: 'cs101-2027-spring',
  group: 'maths',
  dry_run: true,
  counts: { create: 1, update: 1, unchanged: 2, remove: 1, drifted: 1, failed: 1 },
  results: [
    { external_id: 'lesson-1', action: 'create' },
    { external_id: 'lesson-2', action: 'update', id: 'g2', changes: ['subject', 'start'] },
    { external_id: 'lesson-3', action: 'unchanged', id: 'g3' },
    { external_id: 'lesson-4', action: 'drifted', id: 'g4', changes: ['location'] },
    {
      external_id: 'lesson-5\x1b[2J',
      action: 'failed',
      problem: {
        status: 400,
        code: 'INVALID_REQUEST',
        detail: 'events[4].end: must be after start',
        hint: '',
      },
    },
    { external_id: 'lesson-6', action: 'unchanged', id: 'g6' },
    { external_id: 'lesson-9', action: 'remove', id: 'g9' },
  ],
};

it('prints the plan as + ~ - ! x lines and counts, unchanged events only counted', () => {
  expect(renderSyncAnswer(answer)).toBe(
    [
      'Scope cs101-2027-spring in calendar maths (dry run: nothing sent):',
      '  + lesson-1',
      '  ~ lesson-2  (subject, start)',
      '  ! lesson-4  changed in Outlook since the last sync, left as it is; differs in location',
      '  x lesson-5  [INVALID_REQUEST] events[4].end: must be after start',
      '  - lesson-9',
      'Plan: 1 to create, 1 to update, 1 to remove, 2 unchanged, 1 drifted, 1 failed.',
    ].join('\n'),
  );
});

it('says what was done after an apply, and that nothing changed when nothing did', () => {
  const applied = renderSyncAnswer({ ...answer, dry_run: false, results: answer.results.slice(0, 1) });
  expect(applied.split('\n').at(-1)).toBe(
    'Applied: 1 created, 1 updated, 1 removed, 2 unchanged, 1 drifted, 1 failed.',
  );
  const none = renderSyncAnswer({
    ...answer,
    dry_run: false,
    counts: { create: 0, update: 0, unchanged: 2, remove: 0, drifted: 0, failed: 0 },
    results: [answer.results[2]!, answer.results[5]!],
  });
  expect(none).toContain('No changes. The calendar follows the file.');
  const many = renderSyncAnswer(
    {
      ...answer,
      results: Array.from({ length: 5 }, (_, i) => ({ external_id: `e${i}`, action: 'create' as const })),
    },
    { maxLines: 2 },
  );
  expect(many).toContain('… and 3 more (--json lists them all)');
});
