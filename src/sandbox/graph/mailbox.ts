/**
 * Outlook's limits per mailbox, each group calendar being one mailbox (docs/sandbox.md, "Mailbox
 * limits"): at most 4 requests running at once, and at most 10 000 requests in any 10 minutes (Graph's
 * throttling limits page: "evaluated for each app ID and mailbox combination"; the sandbox has one
 * app). Both refusals are 429 `ApplicationThrottled` with `Retry-After`. The clock is injectable so a
 * test shows the budget with small numbers and no sleeping.
 */
export interface MailboxBudget {
  /** Requests admitted per window (Outlook: 10 000). */
  requests: number;
  /** Window length in ms (Outlook: 10 minutes). */
  windowMs: number;
}

export const OUTLOOK_BUDGET: MailboxBudget = { requests: 10_000, windowMs: 600_000 };

export type Admission =
  | { ok: true; running: number }
  | { ok: false; reason: 'concurrency' }
  | { ok: false; reason: 'budget'; retryAfterSeconds: number };

export class Mailboxes {
  private readonly inFlight = new Map<string, number>();
  /** Admission times per mailbox within the current window, oldest first. */
  private readonly admitted = new Map<string, number[]>();

  constructor(
    public concurrency: number,
    public budget: MailboxBudget,
    private readonly now: () => number,
  ) {}

  /**
   * Admits a request to `mailbox` or says why not. Refused requests are not counted against the
   * budget (Graph does not document whether they are; the sandbox's choice keeps Retry-After exact).
   */
  admit(mailbox: string): Admission {
    const now = this.now();
    const times = (this.admitted.get(mailbox) ?? []).filter((t) => t > now - this.budget.windowMs);
    this.admitted.set(mailbox, times);
    if (times.length >= this.budget.requests) {
      const frees = times[times.length - this.budget.requests]! + this.budget.windowMs;
      return { ok: false, reason: 'budget', retryAfterSeconds: Math.max(1, Math.ceil((frees - now) / 1000)) };
    }
    const running = this.inFlight.get(mailbox) ?? 0;
    if (running >= this.concurrency) return { ok: false, reason: 'concurrency' };
    this.inFlight.set(mailbox, running + 1);
    times.push(now);
    return { ok: true, running: running + 1 };
  }

  release(mailbox: string): void {
    this.inFlight.set(mailbox, Math.max(0, (this.inFlight.get(mailbox) ?? 1) - 1));
  }

  /** Requests admitted to `mailbox` in the current window. */
  used(mailbox: string): number {
    const now = this.now();
    return (this.admitted.get(mailbox) ?? []).filter((t) => t > now - this.budget.windowMs).length;
  }

  /** Forgets the budget's history (not the requests running). */
  resetBudget(): void {
    this.admitted.clear();
  }
}
