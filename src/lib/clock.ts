/** Time is a dependency: every rule about minutes and days reads this, so tests can move it. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Waits (for backoff and lease polling). Tests substitute a clock whose sleep advances time. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
});

/** A clock that only moves when told to; `sleep` advances it instantly. */
export class ManualClock implements Clock {
  constructor(private current: number = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(ms: number): void {
    this.current = ms;
  }
  async sleep(ms: number): Promise<void> {
    this.current += ms;
    await Promise.resolve();
  }
}

export const iso = (ms: number): string => new Date(ms).toISOString();
