import { applyPlan, planResults, type SyncWriter } from '../../../src/lib/calendar/sync/apply';
import { planSync, type CurrentItem } from '../../../src/lib/calendar/sync/plan';
import { ManualClock } from '../../../src/lib/clock';
import { ERRORS, GraphTokenError } from '../../../src/lib/errors';

type Ev = { subject: string };
const diff = (a: Ev, b: Ev): string[] => (a.subject === b.subject ? [] : ['subject']);
const cur = (external_id: string, subject: string, written = subject): CurrentItem<Ev> => ({
  id: `id-${external_id}`,
  external_id,
  written,
  hash: subject,
  cancelled: false,
  has_attendees: false,
  event: { subject },
});

function recordingWriter(failOn: string[] = []): SyncWriter<Ev> & { calls: string[] } {
  const calls: string[] = [];
  const maybeFail = (id: string): void => {
    if (failOn.includes(id)) throw new GraphTokenError(ERRORS.GRAPH_UNAVAILABLE, `Graph said no for ${id}`);
  };
  return {
    calls,
    create: async (a) => {
      calls.push(`create ${a.external_id}`);
      maybeFail(a.external_id);
      return { id: `new-${a.external_id}` };
    },
    update: async (a) =>
      void (calls.push(`update ${a.external_id} ${a.changes.join(',')}`), maybeFail(a.external_id)),
    restamp: async (a) => void calls.push(`restamp ${a.external_id}`),
    remove: async (a) => void (calls.push(`${a.how} ${a.external_id}`), maybeFail(a.external_id)),
  };
}

const plan = planSync<Ev, Ev>({
  desired: [
    { external_id: 'a', event: { subject: 'A' } },
    { external_id: 'b', event: { subject: 'B2' } },
    { external_id: 'c', event: { subject: 'C' } },
    { external_id: 'd', event: { subject: 'D2' } },
  ],
  current: [cur('b', 'B'), cur('c', 'C'), cur('d', 'D by a person', 'D'), cur('x', 'X')],
  diff,
});

it('writes only creates, updates and removals; drifted and unchanged events are not touched', async () => {
  const writer = recordingWriter();
  const { results, counts } = await applyPlan(plan.actions, writer, { clock: new ManualClock() });
  expect(writer.calls.sort()).toEqual(['create a', 'delete x', 'update b subject']);
  expect(results).toEqual([
    { external_id: 'a', action: 'create', id: 'new-a' },
    { external_id: 'b', action: 'update', id: 'id-b', changes: ['subject'] },
    { external_id: 'c', action: 'unchanged', id: 'id-c' },
    { external_id: 'd', action: 'drifted', id: 'id-d', changes: ['subject'] },
    { external_id: 'x', action: 'remove', id: 'id-x' },
  ]);
  expect(counts).toEqual({ create: 1, update: 1, unchanged: 1, remove: 1, drifted: 1, failed: 0 });
  // A dry run answers the same plan without a write.
  expect(planResults(plan.actions).map((r) => r.action)).toEqual(results.map((r) => r.action));
});

it('one failing write is failed with its problem; the others go on', async () => {
  const writer = recordingWriter(['a']);
  const { results, counts } = await applyPlan(plan.actions, writer, { clock: new ManualClock() });
  expect(results[0]).toMatchObject({
    external_id: 'a',
    action: 'failed',
    problem: { code: 'GRAPH_UNAVAILABLE' },
  });
  expect(counts).toMatchObject({ failed: 1, update: 1, remove: 1 });
});

it('renews the lease while it works; a lost lease fails the remaining writes', async () => {
  const clock = new ManualClock(0);
  let renewals = 0;
  const slow: SyncWriter<Ev> = {
    ...recordingWriter(),
    create: async (a) => {
      clock.advance(40_000);
      return { id: a.external_id };
    },
  };
  const many = planSync<Ev, Ev>({
    desired: ['1', '2', '3', '4'].map((id) => ({ external_id: id, event: { subject: id } })),
    current: [],
    diff,
  });
  const ok = await applyPlan(many.actions, slow, {
    clock,
    parallel: 1,
    renew: async () => void renewals++,
    renewEveryMs: 30_000,
  });
  expect(renewals).toBe(3);
  expect(ok.counts.create).toBe(4);
  const lost = await applyPlan(many.actions, slow, {
    clock,
    parallel: 1,
    renew: async () => {
      throw new GraphTokenError(ERRORS.SYNC_IN_PROGRESS, 'lost');
    },
    renewEveryMs: 30_000,
  });
  expect(lost.results.map((r) => r.action)).toEqual(['create', 'failed', 'failed', 'failed']);
  expect(lost.results[1]!.problem!.code).toBe('SYNC_IN_PROGRESS');
});
