/**
 * A per-client-address request limit for anonymous routes that do work for anyone (the sign-in
 * callback, docs/operations.md "Unauthenticated routes"). A fixed window per address, in memory: each
 * instance limits on its own, which bounds what one address costs one instance — enough for a route a
 * real administrator calls once per sign-in.
 */
import type { ErrorInfo } from '../lib/errors';

/** 429 problem of a route's per-address limit (with `Retry-After`). */
export const TOO_MANY_REQUESTS: ErrorInfo = Object.freeze({
  code: 'TOO_MANY_REQUESTS',
  category: 'request',
  status: 429,
  hint: 'Wait for the seconds in Retry-After, then try again.',
});

export interface RateLimitDecision {
  allowed: boolean;
  /** Whole seconds until the address may call again (only when refused). */
  retryAfterSeconds: number;
}

/** Addresses remembered at most; past it, windows that have ended are dropped first, then the oldest. */
const MAX_ADDRESSES = 10_000;

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(address: string): RateLimitDecision {
    const now = this.now();
    let window = this.windows.get(address);
    if (window === undefined || now - window.start >= this.windowMs) {
      // Re-inserted, so the Map's order is the order the windows started: the oldest is always first.
      this.windows.delete(address);
      if (this.windows.size >= MAX_ADDRESSES) this.prune(now);
      window = { start: now, count: 0 };
      this.windows.set(address, window);
    }
    window.count++;
    if (window.count <= this.limit) return { allowed: true, retryAfterSeconds: 0 };
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000)),
    };
  }

  /** Drops ended windows from the front (oldest first), then, while still full, the oldest live ones. */
  private prune(now: number): void {
    for (const [address, window] of this.windows) {
      if (now - window.start < this.windowMs && this.windows.size < MAX_ADDRESSES) break;
      this.windows.delete(address);
    }
  }
}

/**
 * The client's address as the platform saw it: the last entry of `X-Forwarded-For` (App Service's front
 * end appends the peer it accepted the connection from, so entries a client sends itself come first),
 * without a port. `unknown` when absent (the local host): every such request then shares one limit.
 */
export function clientAddress(headers: { get(name: string): string | null }): string {
  const forwarded = headers.get('x-forwarded-for');
  const last = forwarded?.split(',').pop()?.trim();
  if (!last) return 'unknown';
  // "203.0.113.7:51234" or "[2001:db8::1]:51234" → the address alone; a bare IPv6 address stays whole.
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(last);
  if (bracketed) return bracketed[1]!.toLowerCase();
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(last);
  return (v4 ? v4[1]! : last).toLowerCase().slice(0, 64);
}
