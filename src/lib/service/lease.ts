import { ERRORS, GraphTokenError } from '../errors';
import type { TokenEntity } from '../store';
import type { TokenType } from '../types';
import { fromStorage, stillValid, usable } from './acquire';
import type { Obtained, ObtainOptions, ServiceCore } from './context';
import { refreshNow } from './refresh';

/**
 * Fleet-wide single flight: the instance holding the lease talks to Entra ID; the others poll the table
 * for its result. A crashed holder's lease expires and is taken over.
 */
export async function refreshUnderLease(
  core: ServiceCore,
  type: TokenType,
  options: ObtainOptions,
  startedAt: number,
): Promise<Obtained> {
  const { store, clock, config } = core;
  const leaseSeconds = config.lifecycle.leaseSeconds;
  const deadline = startedAt + leaseSeconds * 1000 + 5000;
  const fresh = (t: TokenEntity | null): t is TokenEntity =>
    t !== null && usable(core, t) && (!options.force || Date.parse(t.created_at) >= startedAt - 1000);
  for (let attempt = 0; ; attempt++) {
    if (await store.tryAcquireLease(type, core.holder, leaseSeconds)) {
      try {
        const active = await store.getActive(type);
        if (fresh(active) && (attempt > 0 || !options.force)) return await fromStorage(core, active);
        return await refreshNow(core, type, active, options);
      } finally {
        await store.releaseLease(type, core.holder);
      }
    }
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
