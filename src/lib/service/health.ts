import { iso } from '../clock';
import { ERRORS, toGraphTokenError } from '../errors';
import { RefreshingValue } from '../refreshingValue';
import { schedulePeriodSeconds } from '../schedule';
import type { HealthCheck, HealthReport, HealthStatus, TokenType } from '../types';
import type { StateEntity } from '../store';
import type { ServiceCore } from './context';
import { currentRejection } from './lockoutRules';
import { describeBlock } from './status';

/**
 * Health that means something (docs/operations.md, "Health"): configuration, storage, Key Vault, an
 * active token valid past the refresh offset for each configured type, no credential block, no
 * `sign_in_required`, and a refresh timer run within two periods. The worst check is the status.
 *
 * Anonymous callers are served from a cache rebuilt at most every 10 s (one evaluation: one range query
 * per token type, one point read of the timer row, and the Key Vault key the secret cache holds), so any
 * request rate costs storage and Key Vault the same. Detailed reports (GraphTokens.Read) are evaluated
 * afresh, concurrent requests sharing one evaluation.
 */
const ANONYMOUS_CACHE_MS = 10_000;
/** Detailed reports are rebuilt per request (concurrent ones share one evaluation): callers are authenticated. */
const DETAILED_CACHE_MS = 0;
const CHECK_TIMEOUT_MS = 3_000;

const RANK: Record<HealthStatus, number> = { ok: 0, degraded: 1, failing: 2 };

export class HealthView {
  private readonly anonymous: RefreshingValue<HealthReport>;
  private readonly full: RefreshingValue<HealthReport>;
  /** Evaluations run (each is one round of storage reads). */
  evaluations = 0;

  constructor(core: ServiceCore, extraChecks?: ExtraChecks) {
    const evaluate = (): Promise<HealthReport> => {
      this.evaluations++;
      return evaluateHealth(core, extraChecks);
    };
    this.anonymous = new RefreshingValue(evaluate, core.clock, ANONYMOUS_CACHE_MS, ANONYMOUS_CACHE_MS);
    this.full = new RefreshingValue(evaluate, core.clock, DETAILED_CACHE_MS, DETAILED_CACHE_MS);
  }

  /** Status and the names of the checks that are not ok; nothing else. */
  async summary(): Promise<HealthReport> {
    const { status, checked_at, failing_checks } = await this.anonymous.get();
    return { status, checked_at, failing_checks };
  }

  detailed(): Promise<HealthReport> {
    return this.full.get();
  }
}

/** The token types health expects a token for. The delegated type joins once it has been signed in. */
/** The types health judges: the one GRAPH_TOKEN_TYPE makes the service use. */
export function configuredTypes(core: ServiceCore): TokenType[] {
  return [core.config.tokenType];
}

/**
 * The delegated sign-in: `degraded` while a type is in `sign_in_required` (its token may still be valid
 * for a while — the `token.<type>` check fails once it is not — but nothing renews it until an
 * administrator signs in), or before the first sign-in.
 */
export function signInCheck(
  core: ServiceCore,
  states: ReadonlyArray<{
    type: TokenType;
    state: Pick<StateEntity, 'active_id' | 'sign_in_required'> | null;
  }>,
): HealthCheck {
  for (const { type, state } of states) {
    if (state?.sign_in_required) {
      return {
        status: 'degraded',
        detail: `${type}: sign_in_required since ${state.sign_in_required.since} (${state.sign_in_required.code})`,
        hint: ERRORS.SIGN_IN_REQUIRED.hint,
      };
    }
    if (type === 'delegated' && type === core.config.tokenType && !state?.active_id) {
      return { status: 'degraded', detail: 'delegated: never signed in', hint: ERRORS.SIGN_IN_REQUIRED.hint };
    }
  }
  return { status: 'ok' };
}

/** Checks of other rooms (the calendars' `calendar.<alias>`), run only while a valid token exists. */
export type ExtraChecks = () => Promise<Record<string, HealthCheck>>;

export async function evaluateHealth(core: ServiceCore, extraChecks?: ExtraChecks): Promise<HealthReport> {
  const { config, clock, store } = core;
  const now = clock.now();
  const checks: Record<string, HealthCheck> = {};
  checks.configuration = config.report.valid
    ? { status: 'ok' }
    : {
        status: 'failing',
        detail: [
          ...(config.report.missing.length > 0 ? [`missing: ${config.report.missing.join(', ')}`] : []),
          ...config.report.problems,
        ].join('; '),
        hint: ERRORS.CONFIGURATION_INVALID.hint,
      };

  const types = configuredTypes(core);
  // One range query per judged type (state, incidents and timer runs live in its partition).
  const [bookkeeping, key] = await Promise.all([
    settle(Promise.all(types.map((type) => store.readBookkeeping(type)))),
    config.keyVaultUrl !== undefined ? settle(core.secrets.current()) : undefined,
  ]);

  if (bookkeeping.ok) checks.storage = { status: 'ok' };
  else {
    const error = toGraphTokenError(bookkeeping.error);
    checks.storage = { status: 'failing', detail: error.message, hint: error.hint };
  }
  if (key !== undefined) {
    if (key.ok) checks.key_vault = { status: 'ok' };
    else {
      const error = toGraphTokenError(key.error);
      checks.key_vault = {
        status: error.category === 'transient' ? 'degraded' : 'failing',
        detail: error.message,
        hint: error.hint,
      };
    }
  }

  if (bookkeeping.ok) {
    const offsetMs = config.lifecycle.refreshOffsetSeconds * 1000;
    for (const [i, type] of types.entries()) {
      const { state } = bookkeeping.value[i]!;
      let expiresAt = state?.active_expires_at ? Date.parse(state.active_expires_at) : NaN;
      if (state?.active_id && Number.isNaN(expiresAt)) {
        // A pointer written before the expiry was kept beside it.
        const active = await store.getToken(type, state.active_id).catch(() => null);
        if (active?.is_active) expiresAt = Date.parse(active.expires_at);
      }
      checks[`token.${type}`] = tokenCheck(state?.active_id ? expiresAt : NaN, now, offsetMs);
      if (state?.corrupt) {
        checks[`credentials.${type}`] = {
          status: 'failing',
          detail: `The ${type} credential state in storage cannot be read; no password is sent`,
          hint: ERRORS.CREDENTIALS_BLOCKED.hint,
        };
      } else {
        const rejection = state ? currentRejection(state.credentials) : null;
        checks[`credentials.${type}`] = rejection
          ? {
              status: 'degraded',
              detail: `${rejection.code}: ${describeBlock(rejection.label, rejection.rejections)}`,
              hint: rejection.hint,
            }
          : { status: 'ok' };
      }
    }
    checks.sign_in = signInCheck(
      core,
      types.map((type, i) => ({ type, state: bookkeeping.value[i]!.state })),
    );
  }

  // Only with a valid token: health must never make the service ask the identity provider for one.
  if (extraChecks && types.every((type) => checks[`token.${type}`]?.status === 'ok')) {
    Object.assign(checks, await extraChecks().catch(() => ({})));
  }

  if (bookkeeping.ok) {
    const refresh = bookkeeping.value[0]?.timers.refresh;
    checks.refresh_timer = timerCheck(refresh?.at, now, config.schedules.refresh);
  }

  const failing = Object.entries(checks).filter(([, c]) => c.status !== 'ok');
  const status = failing.reduce<HealthStatus>(
    (worst, [, c]) => (RANK[c.status] > RANK[worst] ? c.status : worst),
    'ok',
  );
  return { status, checked_at: iso(now), failing_checks: failing.map(([name]) => name), checks };
}

function tokenCheck(expiresAt: number, now: number, offsetMs: number): HealthCheck {
  if (Number.isNaN(expiresAt)) {
    return {
      status: 'failing',
      detail: 'No active token',
      hint: ERRORS.NO_ACTIVE_TOKEN.hint,
    };
  }
  const seconds = Math.floor((expiresAt - now) / 1000);
  if (expiresAt <= now) {
    return { status: 'failing', detail: 'The active token has expired', hint: ERRORS.NO_ACTIVE_TOKEN.hint };
  }
  if (expiresAt - now <= offsetMs) {
    return {
      status: 'degraded',
      detail: `The active token expires in ${seconds} s, inside the refresh offset: the refresh is late`,
      hint: 'Check the refresh timer and the last errors (GET /api/graph-tokens/status).',
    };
  }
  return { status: 'ok', detail: `expires in ${seconds} s` };
}

function timerCheck(lastRun: string | undefined, now: number, schedule: string): HealthCheck {
  const periodMs = schedulePeriodSeconds(schedule) * 1000;
  const hint =
    'The refresh timer is not running: check that the function app is started and REFRESH_SCHEDULE.';
  if (!lastRun) return { status: 'degraded', detail: 'No refresh timer run recorded yet', hint };
  const age = now - Date.parse(lastRun);
  if (age > 2 * periodMs) {
    return {
      status: 'degraded',
      detail: `The refresh timer last ran ${Math.floor(age / 1000)} s ago (period ${periodMs / 1000} s)`,
      hint,
    };
  }
  return { status: 'ok', detail: `last run ${lastRun}` };
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Settles within the check budget: a dependency that hangs is a failing check, not a hanging health. */
async function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer within 3 s')), CHECK_TIMEOUT_MS);
    timer.unref();
  });
  try {
    return { ok: true, value: await Promise.race([promise, timeout]) };
  } catch (error) {
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}
