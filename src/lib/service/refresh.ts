import { ERRORS, toGraphTokenError } from '../errors';
import { withRetry } from '../retry';
import { publicRecord, type TokenEntity } from '../store';
import type { TokenSource, TokenType } from '../types';
import { audit, log } from './audit';
import type { Obtained, ObtainOptions, ServiceCore } from './context';
import { recordError } from './errorRule';
import type { FlowLease } from './lease';
import { refreshDelegated } from './delegatedRefresh';
import { PasswordGate } from './lockout';
import { noteConsecutiveErrors, recordRefreshDuration } from './metrics';
import { INCIDENT_KINDS, resolveIncidents } from './notify';
import { fromStorage, readMsalCache, stillValid, storeNewToken } from './storedToken';

/**
 * Talks to Entra ID (refresh token first, password as fallback) and stores the result as the new active
 * token. Runs only under the type's lease (lease.ts).
 */
export async function refreshNow(
  core: ServiceCore,
  type: TokenType,
  current: TokenEntity | null,
  options: ObtainOptions,
  lease: FlowLease,
): Promise<Obtained> {
  // No password exists for a delegated token: refresh-token grants only (delegatedRefresh.ts).
  if (type === 'delegated') return refreshDelegated(core, current, options, lease);
  const { store, clock } = core;
  const cache = await readMsalCache(core, current);
  const gate = new PasswordGate(core, type, options, lease);
  const started = clock.now();
  try {
    const result = await withRetry(
      () => gate.settle(core.identity.acquire(cache, gate.password, { signal: lease.signal })),
      {
        clock,
        maxAttempts: 4,
        maxTotalMs: 45000,
        onRetry: (error, attempt, delayMs) =>
          log(core, 'warn', 'identity_retry', options.ctx, {
            token_type: type,
            code: error.code,
            attempt,
            delay_ms: delayMs,
          }),
      },
    );
    const entity = await storeNewToken(core, type, current, result, { forced: options.force });
    core.memory.remember(entity, result.accessToken, false);
    core.invalidateViews();
    const now = clock.now();
    const source: TokenSource = result.grant === 'password' ? 'ropc' : 'refresh';
    await audit(
      core,
      options.ctx,
      current ? 'refresh' : 'acquire',
      `${type}/${entity.id}`,
      'success',
      `grant=${result.grant}`,
      null,
      { grant: result.grant, duration_ms: now - started, expires_at: entity.expires_at },
    );
    recordRefreshDuration(now - started, { grant: result.grant, outcome: 'success', token_type: type });
    noteConsecutiveErrors(core, type, 0);
    // A refresh-token success proves nothing about a blocked password: only a password success lifts it.
    await resolveIncidents(
      core,
      type,
      INCIDENT_KINDS.filter((k) => result.grant === 'password' || k !== 'credentials_blocked'),
      { token_id: entity.id, grant: result.grant, expires_at: entity.expires_at },
      options.ctx,
    );
    log(core, 'info', 'token_refreshed', options.ctx, {
      token_id: entity.id,
      token_type: type,
      grant: result.grant,
      duration_ms: now - started,
      outcome: 'success',
    });
    return { accessToken: result.accessToken, record: publicRecord(entity), source };
  } catch (caught) {
    const error = toGraphTokenError(caught);
    // A refusal to send (blocked, waiting after an uncertain attempt) is not a new error of the token:
    // the rejection it stems from was counted.
    if (current && !gate.refused && error.code !== ERRORS.CREDENTIALS_BLOCKED.code)
      await recordError(core, current, error, options.ctx);
    const duration = clock.now() - started;
    const grant = gate.passwordSent ? 'password' : cache ? 'refresh_token' : 'none';
    await audit(
      core,
      options.ctx,
      current ? 'refresh' : 'acquire',
      current ? `${type}/${current.id}` : type,
      'failure',
      error.message,
      error.code,
      { grant, duration_ms: duration },
    );
    recordRefreshDuration(duration, { grant, outcome: 'failure', code: error.code, token_type: type });
    log(core, 'warn', 'token_refresh_failed', options.ctx, {
      token_id: current?.id,
      token_type: type,
      code: error.code,
      duration_ms: duration,
      outcome: 'failure',
    });
    const latest = current ? await store.getToken(type, current.id).catch(() => null) : null;
    if (options.degrade && stillValid(core, latest)) return fromStorage(core, latest, true);
    throw error;
  }
}
