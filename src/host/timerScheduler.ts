import { parseNcrontab, type CronSchedule } from './ncrontab';
import type { Registration, RpcBindingInfo } from './functionsCore';
import type { FunctionInvoker, HostLog } from './invoker';

/**
 * Fires the registered timer functions on their NCRONTAB schedules, like the Functions host's timer
 * trigger: `%NAME%` is resolved from the app settings, one invocation runs at a time per function, and
 * an occurrence missed while the previous run was still busy runs once afterwards with `isPastDue`.
 */

/** `setTimeout` cannot wait longer than this; longer waits re-arm. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** Later than this after its occurrence, a run is reported as past due. */
const PAST_DUE_MS = 1_000;

export interface TimerFunction {
  readonly registration: Registration;
  readonly triggerName: string;
  readonly expression: string;
  readonly schedule: CronSchedule;
  readonly runOnStartup: boolean;
}

export function timerTrigger(registration: Registration): [string, RpcBindingInfo] | undefined {
  return Object.entries(registration.metadata.bindings).find(
    ([, b]) => b.direction === 'in' && b.type?.toLowerCase() === 'timertrigger',
  );
}

/**
 * Resolves `%NAME%` references from `settings`. An unresolved reference is an error, as in the Functions
 * host, unless `defaults` names a value for it (the local host's convenience; Azure needs the setting).
 */
export function resolveSchedule(
  schedule: string,
  settings: Readonly<Record<string, string | undefined>>,
  defaults: Readonly<Record<string, string | undefined>> = {},
): { expression: string; defaulted: string[] } {
  const defaulted: string[] = [];
  const expression = schedule.replace(/%([^%]+)%/g, (_m, name: string) => {
    const value = settings[name];
    if (value !== undefined && value.trim() !== '') return value.trim();
    const fallback = defaults[name];
    if (fallback !== undefined) {
      defaulted.push(name);
      return fallback;
    }
    throw new Error(`'%${name}%' does not resolve to a value: set the app setting ${name}.`);
  });
  return { expression, defaulted };
}

export function timerFunctions(
  registrations: readonly Registration[],
  settings: Readonly<Record<string, string | undefined>>,
  defaults: Readonly<Record<string, string | undefined>>,
  options: { timeZone: 'local' | 'utc'; warn: (message: string) => void },
): TimerFunction[] {
  const timers: TimerFunction[] = [];
  for (const registration of registrations) {
    const trigger = timerTrigger(registration);
    if (trigger === undefined) continue;
    const [triggerName, binding] = trigger;
    const { expression, defaulted } = resolveSchedule(String(binding.schedule ?? ''), settings, defaults);
    for (const name of defaulted) {
      options.warn(
        `${registration.metadata.name}: app setting ${name} is not set; using its default "${defaults[name]}" (Azure requires the setting).`,
      );
    }
    timers.push({
      registration,
      triggerName,
      expression,
      schedule: parseNcrontab(expression, { timeZone: options.timeZone }),
      runOnStartup: binding.runOnStartup === true,
    });
  }
  return timers;
}

interface TimerState {
  timeout: NodeJS.Timeout | undefined;
  next: Date;
  last: Date | undefined;
  running: Promise<void> | undefined;
  missed: boolean;
}

export class TimerScheduler {
  readonly #timers: readonly TimerFunction[];
  readonly #invoker: FunctionInvoker;
  readonly #log: HostLog;
  readonly #states = new Map<TimerFunction, TimerState>();
  #stopped = false;

  constructor(timers: readonly TimerFunction[], invoker: FunctionInvoker, log: HostLog) {
    this.#timers = timers;
    this.#invoker = invoker;
    this.#log = log;
  }

  start(): void {
    for (const timer of this.#timers) {
      const state: TimerState = {
        timeout: undefined,
        next: timer.schedule.next(new Date()),
        last: undefined,
        running: undefined,
        missed: false,
      };
      this.#states.set(timer, state);
      if (timer.runOnStartup) this.#run(timer, state, false);
      this.#arm(timer, state);
    }
  }

  nextOccurrence(timer: TimerFunction): Date | undefined {
    return this.#states.get(timer)?.next;
  }

  /** Stops scheduling and waits (at most `graceMs`) for runs in progress. */
  async stop(graceMs = 5_000): Promise<void> {
    this.#stopped = true;
    const running: Promise<void>[] = [];
    for (const state of this.#states.values()) {
      clearTimeout(state.timeout);
      if (state.running) running.push(state.running);
    }
    if (running.length > 0) {
      await Promise.race([Promise.allSettled(running), new Promise((r) => setTimeout(r, graceMs).unref())]);
    }
  }

  #arm(timer: TimerFunction, state: TimerState): void {
    if (this.#stopped) return;
    const delay = state.next.getTime() - Date.now();
    state.timeout = setTimeout(
      () => {
        if (Date.now() < state.next.getTime()) return this.#arm(timer, state);
        const scheduled = state.next;
        state.next = timer.schedule.next(new Date(Math.max(Date.now(), scheduled.getTime())));
        if (state.running) state.missed = true;
        else this.#run(timer, state, Date.now() - scheduled.getTime() > PAST_DUE_MS);
        this.#arm(timer, state);
      },
      Math.min(Math.max(delay, 0), MAX_TIMEOUT_MS),
    );
  }

  #run(timer: TimerFunction, state: TimerState, isPastDue: boolean): void {
    const now = new Date();
    const input = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: (state.last ?? now).toISOString(),
        Next: state.next.toISOString(),
        LastUpdated: now.toISOString(),
      },
      IsPastDue: isPastDue,
    };
    state.last = now;
    const name = timer.registration.metadata.name;
    state.running = this.#invoker
      .invoke(timer.registration, [{ name: timer.triggerName, data: { json: JSON.stringify(input) } }])
      .then(
        () => undefined,
        (error: unknown) =>
          this.#log({
            level: 'error',
            category: 'system',
            function: name,
            message: `Timer function failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
          }),
      )
      .finally(() => {
        state.running = undefined;
        if (state.missed && !this.#stopped) {
          state.missed = false;
          this.#run(timer, state, true);
        }
      });
  }
}
