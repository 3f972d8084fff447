import { assertExternalId, assertSyncRequest, MAX_SYNC_EVENTS } from '../../../src/lib/calendar/sync/request';

const message = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  return 'ok';
};

it('external ids are 1–128 printable characters', () => {
  expect(assertExternalId('lesson-42')).toBe('lesson-42');
  expect(assertExternalId('Кафедра/лекция #7 (ü)')).toBe('Кафедра/лекция #7 (ü)');
  expect(assertExternalId('x'.repeat(128))).toHaveLength(128);
  for (const bad of ['', 'x'.repeat(129), 'a\nb', 'tab\there', ' padded', 42, null]) {
    expect(message(() => assertExternalId(bad))).toMatch(/^external_id: must be 1–128 printable characters/);
  }
});

it('a sync names its scope, its policies and at most 5 000 events; each mistake names the field', () => {
  expect(message(() => assertSyncRequest({ scope: 'cs101-2027-spring', events: [] }))).toBe('ok');
  expect(
    message(() => assertSyncRequest({ scope: 'a:b.c_d-e', events: [], remove: 'keep', drift: 'overwrite' })),
  ).toBe('ok');
  expect(message(() => assertSyncRequest({ scope: 'with space', events: [] }))).toMatch(/^scope: /);
  expect(message(() => assertSyncRequest({ scope: 'x'.repeat(65), events: [] }))).toMatch(/^scope: /);
  expect(message(() => assertSyncRequest({ scope: 's', events: {} }))).toMatch(/^events: /);
  expect(
    message(() => assertSyncRequest({ scope: 's', events: new Array(MAX_SYNC_EVENTS + 1).fill({}) })),
  ).toBe('events: at most 5000 per sync (this one has 5001)');
  expect(message(() => assertSyncRequest({ scope: 's', events: [], remove: 'purge' }))).toBe(
    'remove: must be one of cancel, delete, keep',
  );
  expect(message(() => assertSyncRequest({ scope: 's', events: [], drift: 'merge' }))).toBe(
    'drift: must be one of keep, overwrite',
  );
});
