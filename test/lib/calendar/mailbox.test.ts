import { ManualClock } from '../../../src/lib/clock';
import { MailboxGate, MailboxGates } from '../../../src/lib/calendar/sync/mailbox';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
const tick = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('mailbox gate', () => {
  it('never lets more than 4 requests at the mailbox at once; a freed slot goes to the next in line', async () => {
    const gate = new MailboxGate(new ManualClock());
    const holds = Array.from({ length: 10 }, deferred);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const all = holds.map((hold, i) =>
      gate.run(async () => {
        running++;
        peak = Math.max(peak, running);
        order.push(i);
        await hold.promise;
        running--;
      }),
    );
    await tick();
    expect(running).toBe(4);
    holds[2]!.resolve();
    await tick();
    expect(running).toBe(4);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    holds.forEach((h) => h.resolve());
    await Promise.all(all);
    expect(peak).toBe(4);
    expect(gate.stats).toMatchObject({ sent: 10, peak: 4 });
  });

  it('paces past 10 000 requests in 10 minutes instead of refusing them', async () => {
    const clock = new ManualClock(0);
    const gate = new MailboxGate(clock, { concurrency: 4, windowMs: 600_000, windowRequests: 5 });
    const startedAt: number[] = [];
    for (let i = 0; i < 12; i++) {
      await gate.run(async () => {
        startedAt.push(clock.now());
        clock.advance(1000);
      });
    }
    // 5 in the first window, the 6th waits until the 1st is 10 minutes old, and so on.
    expect(startedAt.slice(0, 5)).toEqual([0, 1000, 2000, 3000, 4000]);
    expect(startedAt[5]).toBe(600_000);
    expect(startedAt[10]).toBe(1_200_000);
    // No 10-minute window ever holds more than 5.
    for (const t of startedAt)
      expect(startedAt.filter((s) => s > t - 600_000 && s <= t).length).toBeLessThanOrEqual(5);
    expect(gate.stats.pacedMs).toBeGreaterThan(0);
  });

  it("a 429's Retry-After pauses the whole mailbox", async () => {
    const clock = new ManualClock(0);
    const gate = new MailboxGate(clock);
    await gate.run(
      async () => ({ status: 429 }),
      () => 5000,
    );
    let at = -1;
    await gate.run(async () => void (at = clock.now()));
    expect(at).toBe(5000);
  });

  it('keeps one gate per group, so two calendars do not share a limit', async () => {
    const gates = new MailboxGates(new ManualClock());
    expect(gates.for('a')).toBe(gates.for('a'));
    expect(gates.for('a')).not.toBe(gates.for('b'));
    const holds = Array.from({ length: 8 }, deferred);
    let running = 0;
    const all = holds.map((hold, i) =>
      gates.for(i % 2 ? 'a' : 'b').run(async () => {
        running++;
        await hold.promise;
      }),
    );
    await tick();
    expect(running).toBe(8);
    holds.forEach((h) => h.resolve());
    await Promise.all(all);
  });
});
