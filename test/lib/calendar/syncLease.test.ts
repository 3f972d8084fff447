/** The sync lease against Azurite: one sync per (owner, calendar, scope), renewed, taken over after expiry. */
import { TableClient } from '@azure/data-tables';
import { ManualClock } from '../../../src/lib/clock';
import { GraphTokenError } from '../../../src/lib/errors';
import { SyncLeaseStore } from '../../../src/lib/store/syncLease';
import { startAzurite, type AzuriteHandle } from '../../../src/sandbox';

let azurite: AzuriteHandle;
let n = 0;

beforeAll(async () => {
  azurite = await startAzurite();
}, 60_000);
afterAll(async () => {
  await azurite?.stop();
});

function store(clock: ManualClock): SyncLeaseStore {
  n++;
  const table = TableClient.fromConnectionString(azurite.connectionString, `SyncLease${process.pid}x${n}`, {
    allowInsecureConnection: true,
  });
  return new SyncLeaseStore(table, clock, 120);
}

const KEY = { owner: 'tid:oid-a', groupId: 'g1', scope: 'cs101-2027-spring' };

async function refused(promise: Promise<unknown>): Promise<GraphTokenError> {
  try {
    await promise;
  } catch (error) {
    return error as GraphTokenError;
  }
  throw new Error('acquired');
}

it('a second sync of the same owner, calendar and scope is SYNC_IN_PROGRESS (409) while the first runs', async () => {
  const clock = new ManualClock(Date.UTC(2027, 0, 1));
  const leases = store(clock);
  const first = await leases.acquire(KEY);
  const error = await refused(leases.acquire(KEY));
  expect([error.code, error.status]).toEqual(['SYNC_IN_PROGRESS', 409]);
  expect(error.retryAfterSeconds).toBe(120);
  // Another scope, owner or calendar is independent.
  await (await leases.acquire({ ...KEY, scope: 'other' })).release();
  await (await leases.acquire({ ...KEY, owner: 'tid:oid-b' })).release();
  await (await leases.acquire({ ...KEY, groupId: 'g2' })).release();
  // Released: the next sync gets it.
  await first.release();
  await (await leases.acquire(KEY)).release();
});

it('renewals keep it; a holder that died lets it expire and another sync takes it over', async () => {
  const clock = new ManualClock(Date.UTC(2027, 0, 1));
  const leases = store(clock);
  const first = await leases.acquire(KEY);
  clock.advance(100_000);
  await first.renew();
  clock.advance(100_000); // 200 s after the start, 100 s after the renewal: still held
  expect((await refused(leases.acquire(KEY))).code).toBe('SYNC_IN_PROGRESS');
  clock.advance(21_000); // past the renewed expiry: the holder is presumed dead
  const second = await leases.acquire(KEY);
  expect(second.holder).not.toBe(first.holder);
  // The old holder finds out at its next renewal and must stop writing.
  expect((await refused(first.renew())).code).toBe('SYNC_IN_PROGRESS');
  await second.release();
});

it('two syncs racing for a free scope: exactly one wins', async () => {
  const clock = new ManualClock(Date.UTC(2027, 0, 1));
  const leases = store(clock);
  const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => leases.acquire(KEY)));
  expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
  for (const o of outcomes)
    if (o.status === 'rejected') expect((o.reason as GraphTokenError).code).toBe('SYNC_IN_PROGRESS');
});
