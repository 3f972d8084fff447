import { ERRORS, GraphTokenError, toGraphTokenError } from '../errors';
import type { AcquiredToken, AcquireResult, OperationContext, TokenRecord, TokenType } from '../types';
import { TOKEN_TYPES } from '../types';
import type { Obtained, ObtainOptions, ServiceCore } from './context';
import { refreshUnderLease } from './lease';
import { fromStorage, sharesRecentToken, usable, withinForcedWindow } from './storedToken';

/**
 * Acquire: memory cache → Table Storage → Entra ID (docs/architecture.md, "Token lifecycle").
 * The memory hit itself lives in the façade's `getAccessToken`, so it stays a map lookup.
 */
export async function acquireToken(
  core: ServiceCore,
  options: { tokenType?: TokenType; forceRefresh?: boolean; retryBlockedPassword?: boolean },
  ctx: OperationContext,
): Promise<AcquireResult> {
  const type = options.tokenType ?? core.config.tokenType;
  // Trying a blocked password again is an explicit override, and it implies a new token.
  const override = options.retryBlockedPassword ?? false;
  const force = (options.forceRefresh ?? false) || override;
  assertTokenType(type);
  let obtained: Obtained;
  const hit = force ? undefined : core.memory.fresh(type);
  if (hit) {
    core.stats.memory_hits++;
    obtained = { accessToken: hit.accessToken, record: hit.record, source: 'memory' };
  } else {
    // An administrator's forced acquire reads the latest secret version at once.
    if (force) core.secrets.invalidate();
    obtained = await obtain(core, type, { force, overrideBlock: override, degrade: !force, ctx });
  }
  return { success: true, token: acquiredToken(obtained.record, obtained.source) };
}

/** What acquire and sign-in answer about a token: its public identity, never the token itself. */
export function acquiredToken(record: TokenRecord, source: AcquiredToken['source']): AcquiredToken {
  const { id, token_type, account, scopes, expires_at } = record;
  return { id, token_type, account, scopes, expires_at, source };
}

/**
 * Strict in-process single flight: at most one exchange per type at a time. Callers that find one
 * running share it; a forced call (or an override) waits for it and then decides — a token created after
 * the forced call began is the new token it asked for; otherwise it starts its own exchange, never a
 * second one beside the first.
 */
export async function obtain(core: ServiceCore, type: TokenType, options: ObtainOptions): Promise<Obtained> {
  const calledAt = core.clock.now();
  if (sharesRecentToken(options)) {
    const held = core.memory.fresh(type);
    if (held && withinForcedWindow(held.forced, held.record, calledAt)) {
      core.stats.memory_hits++;
      return { accessToken: held.accessToken, record: held.record, source: 'memory' };
    }
  }
  for (;;) {
    const running = core.inflight.get(type);
    if (!running) break;
    // A claims challenge needs its own grant: a token from another exchange would not satisfy it.
    const shareable = !options.overrideBlock && !options.claims && (running.force || !options.force);
    if (shareable) return running.promise;
    const outcome = await running.promise.then(
      (obtained) => ({ obtained }),
      () => ({ obtained: undefined }),
    );
    if (
      !options.overrideBlock &&
      !options.claims &&
      outcome.obtained &&
      Date.parse(outcome.obtained.record.created_at) >= calledAt - 1000
    ) {
      return outcome.obtained;
    }
  }
  const promise = obtainOnce(core, type, options).finally(() => {
    if (core.inflight.get(type)?.promise === promise) core.inflight.delete(type);
  });
  core.inflight.set(type, { force: options.force, promise });
  return promise;
}

async function obtainOnce(core: ServiceCore, type: TokenType, options: ObtainOptions): Promise<Obtained> {
  try {
    const startedAt = core.clock.now();
    if (!options.force) {
      const active = await core.store.getActive(type);
      if (active && usable(core, active)) return await fromStorage(core, active);
    }
    return await refreshUnderLease(core, type, options, startedAt);
  } catch (error) {
    // Storage or Key Vault down in the refresh window: the token this instance holds is still valid,
    // so keep serving it (never past its expiry) and look again in a little while.
    const held = core.memory.get(type);
    const now = core.clock.now();
    if (!options.degrade || !held || held.expiresAt <= now) throw error;
    core.memory.holdBriefly(held);
    core.logger.log('warn', 'serving_held_token', {
      token_id: held.id,
      token_type: type,
      code: toGraphTokenError(error).code,
      expires_in_seconds: Math.floor((held.expiresAt - now) / 1000),
    });
    return { accessToken: held.accessToken, record: held.record, source: 'memory' };
  }
}

export function assertTokenType(type: string): asserts type is TokenType {
  if (!(TOKEN_TYPES as readonly string[]).includes(type)) {
    throw new GraphTokenError(
      ERRORS.INVALID_REQUEST,
      `Unknown token_type ${JSON.stringify(type).slice(0, 40)}; supported: ${TOKEN_TYPES.join(', ')}`,
    );
  }
}
