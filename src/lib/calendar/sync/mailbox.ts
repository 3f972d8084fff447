/**
 * Outlook's limits per mailbox (docs/sync.md, "Within Outlook's limits"), kept by every request a sync
 * sends to one group calendar:
 * - at most 4 requests at the mailbox at once (Outlook's per-mailbox concurrency limit; a 5th gets a
 *   429 `MailboxConcurrency`);
 * - at most 10 000 requests per 10 minutes per app and mailbox: a larger sync waits for the oldest
 *   request to leave the window (paced, never refused);
 * - a 429's `Retry-After` pauses the whole mailbox, not only the request that got it: the others would
 *   only collect 429s of their own.
 * One gate per group (each group calendar is its own mailbox), shared by everything in this process
 * that writes there, so two calendars' work runs side by side and one calendar's never doubles up.
 */
import type { Clock } from '../../clock';

export const MAILBOX_CONCURRENCY = 4;
export const MAILBOX_WINDOW_MS = 10 * 60 * 1000;
export const MAILBOX_WINDOW_REQUESTS = 10_000;

export interface MailboxLimits {
  concurrency: number;
  windowMs: number;
  windowRequests: number;
}

const DEFAULT_LIMITS: MailboxLimits = {
  concurrency: MAILBOX_CONCURRENCY,
  windowMs: MAILBOX_WINDOW_MS,
  windowRequests: MAILBOX_WINDOW_REQUESTS,
};

export interface MailboxStats {
  /** Requests sent through the gate. */
  sent: number;
  /** Most requests in flight at once. */
  peak: number;
  /** Milliseconds spent waiting for the 10-minute budget. */
  pacedMs: number;
}

export class MailboxGate {
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  /** Start times of the requests of the current window (a ring buffer, oldest at `head`). */
  private readonly starts: number[];
  private head = 0;
  private count = 0;
  private pausedUntil = 0;
  readonly stats: MailboxStats = { sent: 0, peak: 0, pacedMs: 0 };

  constructor(
    private readonly clock: Clock,
    readonly limits: MailboxLimits = DEFAULT_LIMITS,
  ) {
    this.starts = new Array<number>(limits.windowRequests);
  }

  /** Runs `send` once a slot is free and the budget allows; `send` returns the `Retry-After` ms of a 429. */
  async run<T>(send: () => Promise<T>, retryAfterMs?: (result: T) => number | undefined): Promise<T> {
    await this.acquire();
    try {
      await this.pace();
      const result = await send();
      const pause = retryAfterMs?.(result);
      if (pause !== undefined && pause > 0) this.pause(pause);
      return result;
    } finally {
      this.release();
    }
  }

  /** Holds every request of this mailbox until `ms` from now (a 429's `Retry-After`). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }

  private async acquire(): Promise<void> {
    if (this.inFlight >= this.limits.concurrency) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.inFlight += 1;
    }
    this.stats.peak = Math.max(this.stats.peak, this.inFlight);
  }

  private release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter, so a newcomer can never slip in between.
    if (next) next();
    else this.inFlight -= 1;
  }

  /** Waits out a pause and the 10-minute budget, then records this request's start. */
  private async pace(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      while (this.count > 0 && this.starts[this.head]! <= now - this.limits.windowMs) {
        this.head = (this.head + 1) % this.starts.length;
        this.count -= 1;
      }
      let wait = this.pausedUntil - now;
      if (this.count >= this.limits.windowRequests) {
        const budget = this.starts[this.head]! + this.limits.windowMs - now;
        this.stats.pacedMs += Math.max(0, budget);
        wait = Math.max(wait, budget);
      }
      if (wait <= 0) break;
      await this.clock.sleep(wait);
    }
    this.starts[(this.head + this.count) % this.starts.length] = this.clock.now();
    this.count += 1;
    this.stats.sent += 1;
  }
}

/** The gates of a process, one per group id. */
export class MailboxGates {
  private readonly gates = new Map<string, MailboxGate>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: MailboxLimits = DEFAULT_LIMITS,
  ) {}

  for(groupId: string): MailboxGate {
    let gate = this.gates.get(groupId);
    if (!gate) {
      gate = new MailboxGate(this.clock, this.limits);
      this.gates.set(groupId, gate);
    }
    return gate;
  }
}
