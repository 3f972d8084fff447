import { GraphTokenError } from '../../../src/lib/errors';
import {
  planSync,
  type CurrentItem,
  type DesiredItem,
  type PlanInput,
} from '../../../src/lib/calendar/sync/plan';

/** A tiny event: the managed fields are subject and start; the hash is their canonical join. */
interface Ev {
  subject: string;
  start: string;
}
const hashOf = (e: Ev): string => `${e.subject}|${e.start}`;
const diff = (a: Ev, b: Ev): string[] =>
  (['subject', 'start'] as const).filter((field) => a[field] !== b[field]);

const want = (external_id: string, subject: string, start = '09:00'): DesiredItem<Ev> => ({
  external_id,
  event: { subject, start },
});
/** An event as the service last wrote it, possibly changed since (`now`). */
const has = (
  external_id: string,
  written: Ev,
  opts: { now?: Ev; id?: string; cancelled?: boolean; attendees?: boolean } = {},
): CurrentItem<Ev> => {
  const now = opts.now ?? written;
  return {
    id: opts.id ?? `id-${external_id}`,
    external_id,
    written: hashOf(written),
    hash: hashOf(now),
    cancelled: opts.cancelled ?? false,
    has_attendees: opts.attendees ?? true,
    event: now,
  };
};
const plan = (input: Omit<PlanInput<Ev, Ev>, 'diff'>) => planSync({ ...input, diff });

describe('sync plan', () => {
  it('creates what is missing, updates only the differing fields, leaves equal events alone', () => {
    const result = plan({
      desired: [want('a', 'Algebra'), want('b', 'Biology', '10:00'), want('c', 'Chemistry')],
      current: [
        has('b', { subject: 'Biology', start: '09:00' }),
        has('c', { subject: 'Chemistry', start: '09:00' }),
      ],
    });
    expect(result.actions).toEqual([
      { action: 'create', index: 0, external_id: 'a', event: { subject: 'Algebra', start: '09:00' } },
      {
        action: 'update',
        index: 1,
        external_id: 'b',
        id: 'id-b',
        changes: ['start'],
        event: { subject: 'Biology', start: '10:00' },
        overwrites_drift: false,
      },
      { action: 'unchanged', index: 2, external_id: 'c', id: 'id-c', restamp: false },
    ]);
    expect(result.counts).toEqual({ create: 1, update: 1, unchanged: 1, remove: 0, drifted: 0, failed: 0 });
  });

  it('removes events absent from the input: cancel with attendees, delete without, or keep', () => {
    const current = [
      has('x', { subject: 'X', start: '09:00' }, { attendees: true }),
      has('y', { subject: 'Y', start: '09:00' }, { attendees: false }),
    ];
    const removals = (remove: 'cancel' | 'delete' | 'keep') =>
      plan({ desired: [], current, remove }).actions.map((a) =>
        a.action === 'remove' ? `${a.external_id}:${a.how}` : a.action,
      );
    expect(removals('cancel')).toEqual(['x:cancel', 'y:delete']);
    expect(removals('delete')).toEqual(['x:delete', 'y:delete']);
    expect(removals('keep')).toEqual([]);
    // The default is cancel.
    expect(plan({ desired: [], current }).counts.remove).toBe(2);
  });

  it('reports drift (current hash ≠ Written) and keeps it, or overwrites it on request', () => {
    const written = { subject: 'Physics', start: '09:00' };
    const current = [has('p', written, { now: { subject: 'Physics (moved)', start: '11:00' } })];
    const desired = [want('p', 'Physics', '09:30')];
    const kept = plan({ desired, current });
    expect(kept.actions).toEqual([
      { action: 'drifted', index: 0, external_id: 'p', id: 'id-p', changes: ['subject', 'start'] },
    ]);
    expect(kept.counts.drifted).toBe(1);
    const overwritten = plan({ desired, current, drift: 'overwrite' });
    expect(overwritten.actions[0]).toMatchObject({
      action: 'update',
      changes: ['subject', 'start'],
      overwrites_drift: true,
    });
  });

  it('a drifted event absent from the input is left alone with drift keep, removed with overwrite', () => {
    const current = [has('p', { subject: 'P', start: '09:00' }, { now: { subject: 'P!', start: '09:00' } })];
    expect(plan({ desired: [], current }).actions).toEqual([
      { action: 'drifted', external_id: 'p', id: 'id-p', changes: [] },
    ]);
    expect(plan({ desired: [], current, drift: 'overwrite' }).actions[0]).toMatchObject({
      action: 'remove',
      how: 'cancel',
    });
  });

  it('an input equal to a drifted event is unchanged, with only the stale stamp to rewrite', () => {
    const now = { subject: 'Moved', start: '11:00' };
    const current = [has('m', { subject: 'Old', start: '09:00' }, { now })];
    expect(plan({ desired: [want('m', 'Moved', '11:00')], current }).actions).toEqual([
      { action: 'unchanged', index: 0, external_id: 'm', id: 'id-m', restamp: true },
    ]);
  });

  it('an event with no Written stamp counts as drifted (the service cannot show it wrote it)', () => {
    const current: CurrentItem<Ev>[] = [
      { ...has('n', { subject: 'N', start: '09:00' }), written: undefined },
    ];
    expect(plan({ desired: [want('n', 'N2')], current }).actions[0]!.action).toBe('drifted');
  });

  it('an event cancelled outside the service counts as missing and is created again', () => {
    const current = [has('c', { subject: 'C', start: '09:00' }, { cancelled: true })];
    const result = plan({ desired: [want('c', 'C')], current });
    expect(result.actions).toEqual([
      { action: 'create', index: 0, external_id: 'c', event: { subject: 'C', start: '09:00' } },
    ]);
    // A cancelled event absent from the input is already gone: nothing to remove.
    expect(plan({ desired: [], current }).actions).toEqual([]);
  });

  it('a bad item fails on its own; its existing event is not removed', () => {
    const problem = { status: 400, code: 'INVALID_REQUEST', detail: 'end: must be after start', hint: 'h' };
    const result = plan({
      desired: [{ ...want('bad', 'Bad'), problem }, want('ok', 'OK')],
      current: [has('bad', { subject: 'Bad', start: '09:00' })],
    });
    expect(result.actions).toEqual([
      { action: 'failed', index: 0, external_id: 'bad', problem },
      { action: 'create', index: 1, external_id: 'ok', event: { subject: 'OK', start: '09:00' } },
    ]);
  });

  it('duplicate external ids in the input are a 400 naming both indexes', () => {
    let caught: unknown;
    try {
      plan({ desired: [want('a', 'A'), want('b', 'B'), want('a', 'A again')], current: [] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GraphTokenError);
    expect((caught as GraphTokenError).status).toBe(400);
    expect((caught as GraphTokenError).message).toMatch(/events\[2\]\.external_id.*events\[0\]/);
  });

  it('a second live copy of an external id is removed even with remove keep', () => {
    const ev = { subject: 'D', start: '09:00' };
    const current = [has('d', ev, { id: 'id-2' }), has('d', ev, { id: 'id-1', attendees: false })];
    const result = plan({ desired: [want('d', 'D')], current, remove: 'keep' });
    expect(result.actions).toEqual([
      { action: 'unchanged', index: 0, external_id: 'd', id: 'id-1', restamp: false },
      { action: 'remove', external_id: 'd', id: 'id-2', how: 'cancel', duplicate: true },
    ]);
  });

  it('removals come after the input, sorted by external id, so the plan reads the same every run', () => {
    const current = ['q', 'a', 'm'].map((id) => has(id, { subject: id, start: '09:00' }));
    const ids = plan({ desired: [want('z', 'Z')], current }).actions.map((a) => a.external_id);
    expect(ids).toEqual(['z', 'a', 'm', 'q']);
  });
});
