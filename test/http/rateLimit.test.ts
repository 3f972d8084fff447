import { RateLimiter } from '../../src/http/rateLimit';

describe('RateLimiter', () => {
  it('allows the limit per window, then refuses with the seconds left, and renews after the window', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 60_000, () => now);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(true);
    now = 15_000;
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 45 });
    expect(limiter.take('b').allowed).toBe(true);
    now = 60_000;
    expect(limiter.take('a').allowed).toBe(true);
  });

  it('when full, forgets the oldest windows first, never a renewed busy address', () => {
    let now = 0;
    const limiter = new RateLimiter(1, 60_000, () => now);
    limiter.take('busy'); // the first address ever seen
    for (let i = 0; i < 9_998; i++) limiter.take(`quiet-${i}`);
    now = 60_000; // every window has ended; 'busy' renews and is now the newest
    expect(limiter.take('busy').allowed).toBe(true);
    now = 61_000;
    limiter.take('newcomer'); // full: the ended windows go, the renewed one stays
    expect(limiter.take('busy')).toEqual({ allowed: false, retryAfterSeconds: 59 });
  });
});
