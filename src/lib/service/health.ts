import { iso } from '../clock';
import { ERRORS, toGraphTokenError } from '../errors';
import { RefreshingValue } from '../refreshingValue';
import { nextOccurrence, schedulePeriodSeconds } from '../schedule';
import type { HealthCheck, HealthReport, HealthStatus, TokenType } from '../types';
import type { StateEntity, TimerRun } from '../store';
import type { ServiceCore } from './context';
import { currentRejection } from './lockoutRules';
import { describeBlock } from './status';

/**
 * Health that means something (docs/operations.md, "Health"): configuration, storage, Key Vault, an
 * active token valid past the refresh offset for each configured type, no credential block, no
 * `sign_in_required`, and a refresh timer run within two periods. The worst check is the status.
 *
 * A platform probe recycles an instance whose health is `failing`, so `failing` is kept for what will not
 * recover by itself: an invalid configuration, storage or Key Vault unreachable, no valid token while the
 * credential is blocked or a sign-in is required, a token that is missing or expired while the refresh
 * fails. A fresh start (no token yet, no timer run yet) is `degraded`/`ok` and answers 200.
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
    // When this process started: a timer that has not had its first period since is not late.
    const startedAt = core.clock.now();
    const evaluate = (): Promise<HealthReport> => {
      this.evaluations++;
      return evaluateHealth(core, startedAt, extraChecks);
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

export async function evaluateHealth(
  core: ServiceCore,
  startedAt: number,
  extraChecks?: ExtraChecks,
): Promise<HealthReport> {
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
      // Without the data key no stored token can be read or written: nothing recovers until it answers.
      const error = toGraphTokenError(key.error);
      checks.key_vault = { status: 'failing', detail: error.message, hint: error.hint };
    }
  }

  if (bookkeeping.ok) {
    const offsetMs = config.lifecycle.refreshOffsetSeconds * 1000;
    const refreshRun = bookkeeping.value[0]?.timers.refresh;
    const nextRefresh = nextOccurrence(config.schedules.refresh, now);
    for (const [i, type] of types.entries()) {
      const { state } = bookkeeping.value[i]!;
      let expiresAt = state?.active_expires_at ? Date.parse(state.active_expires_at) : NaN;
      if (state?.active_id && Number.isNaN(expiresAt)) {
        // A pointer written before the expiry was kept beside it.
        const active = await store.getToken(type, state.active_id).catch(() => null);
        if (active?.is_active) expiresAt = Date.parse(active.expires_at);
      }
      const rejection = state && !state.corrupt ? currentRejection(state.credentials) : null;
      checks[`token.${type}`] = tokenCheck({
        type,
        expiresAt: state?.active_id ? expiresAt : NaN,
        now,
        offsetMs,
        // What keeps the service from getting a token by itself, if anything.
        stuck: state?.corrupt
          ? 'the credential state cannot be read'
          : rejection
            ? `the credential is blocked (${rejection.code})`
            : state?.sign_in_required
              ? `a sign-in is required (${state.sign_in_required.code})`
              : undefined,
        refreshRun,
        nextRefresh,
      });
      if (state?.corrupt) {
        checks[`credentials.${type}`] = {
          status: 'failing',
          detail: `The ${type} credential state in storage cannot be read; no password is sent`,
          hint: ERRORS.CREDENTIALS_BLOCKED.hint,
        };
      } else {
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
    checks.refresh_timer = timerCheck(refreshRun?.at, now, startedAt, config.schedules.refresh, nextRefresh);
  }

  // Only with a valid token: health must never make the service ask the identity provider for one.
  if (extraChecks && types.every((type) => checks[`token.${type}`]?.status === 'ok')) {
    Object.assign(checks, await extraChecks().catch(() => ({})));
  }

  const failing = Object.entries(checks).filter(([, c]) => c.status !== 'ok');
  const status = failing.reduce<HealthStatus>(
    (worst, [, c]) => (RANK[c.status] > RANK[worst] ? c.status : worst),
    'ok',
  );
  return { status, checked_at: iso(now), failing_checks: failing.map(([name]) => name), checks };
}

/** "HH:MM UTC" of a time, for details that say when something happens next. */
export function clockTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`;
}

export interface TokenCheckInput {
  type: TokenType;
  /** Expiry of the active token; NaN when there is none. */
  expiresAt: number;
  now: number;
  offsetMs: number;
  /** Why the service cannot get a token by itself (blocked credential, sign-in required), if so. */
  stuck: string | undefined;
  refreshRun: TimerRun | undefined;
  nextRefresh: number | undefined;
}

/** Pure: the `token.<type>` check (exported for unit tests). */
export function tokenCheck(input: TokenCheckInput): HealthCheck {
  const { type, expiresAt, now, offsetMs, stuck, refreshRun, nextRefresh } = input;
  const hint = ERRORS.NO_ACTIVE_TOKEN.hint;
  const none = Number.isNaN(expiresAt);
  if (!none && expiresAt > now) {
    const seconds = Math.floor((expiresAt - now) / 1000);
    if (expiresAt - now <= offsetMs) {
      return {
        status: 'degraded',
        detail: `The active token expires in ${seconds} s, inside the refresh offset: the refresh is late`,
        hint: 'Check the refresh timer and the last errors (GET /api/graph-tokens/status).',
      };
    }
    return { status: 'ok', detail: `expires in ${seconds} s` };
  }
  const what = none ? 'No active token' : `The active token expired at ${new Date(expiresAt).toISOString()}`;
  if (stuck !== undefined) {
    return { status: 'failing', detail: `${what} and ${stuck}: nothing renews it by itself`, hint };
  }
  // A refresh run that failed while no valid token existed (for an expired token: after its expiry).
  const failedAt = refreshRun?.outcome === 'failure' ? Date.parse(refreshRun.at) : NaN;
  if (!Number.isNaN(failedAt) && (none || failedAt >= expiresAt)) {
    return {
      status: 'failing',
      detail: `${what} and the refresh timer's last run (${refreshRun!.at}) failed`,
      hint,
    };
  }
  if (type === 'delegated' && none) {
    return {
      status: 'degraded',
      detail: 'no token yet: an administrator signs the service account in (docs/delegated.md)',
      hint: ERRORS.SIGN_IN_REQUIRED.hint,
    };
  }
  const timer =
    nextRefresh !== undefined ? `the refresh timer at ${clockTime(nextRefresh)}` : 'the refresh timer';
  return {
    status: 'degraded',
    detail: none
      ? `no token yet: the first call or ${timer} acquires one`
      : `${what}: the next call or ${timer} acquires a new one`,
    hint,
  };
}

function timerCheck(
  lastRun: string | undefined,
  now: number,
  startedAt: number,
  schedule: string,
  next: number | undefined,
): HealthCheck {
  const periodMs = schedulePeriodSeconds(schedule) * 1000;
  const hint =
    'The refresh timer is not running: check that the function app is started and REFRESH_SCHEDULE.';
  const age = lastRun ? now - Date.parse(lastRun) : Infinity;
  if (age <= 2 * periodMs) return { status: 'ok', detail: `last run ${lastRun!}` };
  // This process has not yet had two periods to run it (a fresh start or a new deployment): not late.
  if (now - startedAt <= 2 * periodMs) {
    const first = next !== undefined ? `first run at ${clockTime(next)}` : 'first run within one period';
    return { status: 'ok', detail: lastRun ? `${first} (last run ${lastRun})` : first };
  }
  if (!lastRun) return { status: 'degraded', detail: 'No refresh timer run recorded yet', hint };
  return {
    status: 'degraded',
    detail: `The refresh timer last ran ${Math.floor(age / 1000)} s ago (period ${periodMs / 1000} s)`,
    hint,
  };
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
