import { randomUUID } from 'node:crypto';
import { ERRORS, GraphTokenError, toGraphTokenError } from '../errors';
import type { TokenEntity } from '../store';
import type { TokenType } from '../types';
import { fromStorage, sharesRecentToken, stillValid, usable, withinForcedWindow } from './storedToken';
import type { Obtained, ObtainOptions, ServiceCore } from './context';
import { refreshNow } from './refresh';

/** Longest a waiter waits for another instance's exchange, however often its lease is renewed. */
const MAX_WAIT_MS = 120_000;

/**
 * A lease owned by one flow (one exchange), renewed every third of its lifetime while the exchange runs.
 * When it cannot be renewed in time the flow's signal aborts, before the lease lapses, so a second
 * instance can never start while this one may still be talking to Entra ID.
 */
export class FlowLease {
  readonly owner: string;
  private readonly controller = new AbortController();
  private renewTimer: NodeJS.Timeout | undefined;
  private abortTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly core: ServiceCore,
    private readonly type: TokenType,
    private etag: string,
    owner: string,
  ) {
    this.owner = owner;
    this.schedule();
  }

  /** Aborted when the lease could not be renewed before it lapses. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private get leaseMs(): number {
    return this.core.config.lifecycle.leaseSeconds * 1000;
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.renewTimer);
    clearTimeout(this.abortTimer);
    this.renewTimer = setTimeout(() => void this.renew(), Math.floor(this.leaseMs / 3));
    // Abort with a margin before the lease would lapse without a successful renewal.
    this.abortTimer = setTimeout(
      () => this.abort('lease not renewed'),
      this.leaseMs - Math.min(2000, this.leaseMs / 5),
    );
    this.renewTimer.unref();
    this.abortTimer.unref();
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    try {
      this.etag = await this.core.store.renewLease(
        this.type,
        this.owner,
        this.etag,
        this.core.config.lifecycle.leaseSeconds,
      );
      this.schedule();
    } catch (error) {
      if (this.stopped) return;
      const code = toGraphTokenError(error).code;
      this.core.logger.log('warn', 'lease_renew_failed', { token_type: this.type, code });
      // Taken by someone else: stop at once. A storage hiccup: try again soon; the abort timer stands.
      if ((error as { cause?: { statusCode?: number } }).cause?.statusCode === 412) this.abort('lease lost');
      else {
        this.renewTimer = setTimeout(() => void this.renew(), 1000);
        this.renewTimer.unref();
      }
    }
  }

  private abort(reason: string): void {
    if (this.stopped || this.controller.signal.aborted) return;
    this.core.logger.log('warn', 'lease_abort', { token_type: this.type, reason });
    this.controller.abort(new Error(reason));
  }

  /** Throws unless this flow still holds the lease (checked right before a password is sent). */
  async verify(): Promise<void> {
    if (this.controller.signal.aborted || !(await this.core.store.holdsLease(this.type, this.owner))) {
      throw new GraphTokenError(
        ERRORS.REFRESH_IN_PROGRESS,
        `The ${this.type} refresh lease was lost; nothing was sent`,
      );
    }
  }

  async release(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.renewTimer);
    clearTimeout(this.abortTimer);
    await this.core.store.releaseLease(this.type, this.owner);
  }
}

/**
 * Fleet-wide single flight: the flow holding the lease talks to Entra ID; the others poll the table for
 * its result, for as long as its lease is alive (renewed), up to MAX_WAIT_MS. A crashed holder's lease
 * expires and is taken over.
 */
export async function refreshUnderLease(
  core: ServiceCore,
  type: TokenType,
  options: ObtainOptions,
  startedAt: number,
): Promise<Obtained> {
  const { store, clock, config } = core;
  const leaseSeconds = config.lifecycle.leaseSeconds;
  let deadline = startedAt + leaseSeconds * 1000 + 5000;
  // A forced call takes a token created after it began, or (plain forced calls) one a forced refresh
  // created within the forced-refresh window: also another instance's, so the window holds fleet-wide.
  const sharedForced = (t: TokenEntity): boolean =>
    sharesRecentToken(options) && withinForcedWindow(t.forced_refresh === true, t, startedAt);
  const fresh = (t: TokenEntity | null): t is TokenEntity =>
    t !== null &&
    usable(core, t) &&
    (!options.force || Date.parse(t.created_at) >= startedAt - 1000 || sharedForced(t));
  for (let attempt = 0; ; attempt++) {
    const owner = `${core.holder}-${randomUUID().slice(0, 8)}`;
    const taken = await store.tryAcquireLease(type, owner, leaseSeconds);
    if (taken.acquired) {
      const lease = new FlowLease(core, type, taken.etag, owner);
      try {
        const active = await store.getActive(type);
        if (fresh(active) && (attempt > 0 || !options.force || sharedForced(active)))
          return await fromStorage(core, active);
        return await refreshNow(core, type, active, options, lease);
      } finally {
        await lease.release();
      }
    }
    // Another flow holds the lease: wait while it is alive (it renews while its exchange runs).
    if (taken.heldUntil !== null)
      deadline = Math.min(startedAt + MAX_WAIT_MS, Math.max(deadline, taken.heldUntil + 5000));
    core.stats.lease_waits++;
    await clock.sleep(150 + Math.floor(Math.random() * 100));
    const active = await store.getActive(type);
    if (fresh(active)) return fromStorage(core, active);
    if (clock.now() > deadline) {
      if (options.degrade && stillValid(core, active)) return fromStorage(core, active, true);
      throw new GraphTokenError(
        ERRORS.REFRESH_IN_PROGRESS,
        `Timed out waiting for another instance to refresh the ${type} token`,
      );
    }
  }
}
