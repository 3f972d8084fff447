import type { InvocationContext, Timer, TimerHandler } from '@azure/functions';
import type { TokenServiceApi } from '../lib/api';
import { invalidVariables } from '../lib/config';
import type { OperationContext } from '../lib/types';
import { describeError, logEvent } from './logging';
import { appConfig, tokenService } from './service';

/** Jobs that have already said they are not running (fail closed): one log line per job and process. */
const refusedJobs = new Set<string>();

/**
 * The adapter every timer shares (docs/http.md, "Timers"): the work is audited as actor `timer`, a past-due run still
 * runs once (the platform calls once, however late), and the outcome is logged with its counts.
 * A failure is rethrown so the platform records the invocation as failed.
 */
export function timerHandler(
  job: 'refresh' | 'cleanup' | 'validate',
  work: (service: TokenServiceApi, ctx: OperationContext) => Promise<{ success: boolean }>,
): TimerHandler {
  return async (timer: Timer, context: InvocationContext): Promise<void> => {
    const ctx: OperationContext = { actor: 'timer', correlationId: context.invocationId };
    const config = appConfig();
    if (config.failClosed) {
      // Fail closed (docs/operations.md): no service, no storage write, nothing sent; said once, not per run.
      if (!refusedJobs.has(job)) {
        refusedJobs.add(job);
        logEvent(context, 'error', 'timer.disabled', {
          job,
          code: 'CONFIGURATION_INVALID',
          variables: invalidVariables(config.report),
          correlation_id: ctx.correlationId,
        });
      }
      return;
    }
    const started = Date.now();
    if (timer.isPastDue) {
      logEvent(context, 'warn', 'timer.past_due', {
        job,
        correlation_id: ctx.correlationId,
        last: timer.scheduleStatus?.last ?? null,
        next: timer.scheduleStatus?.next ?? null,
      });
    }
    const service = tokenService();
    try {
      const summary = await work(service, ctx);
      await noteRun(service, job, summary.success ? 'success' : 'failure', context);
      logEvent(context, summary.success ? 'info' : 'warn', 'timer.completed', {
        job,
        outcome: summary.success ? 'success' : 'failure',
        duration_ms: Date.now() - started,
        correlation_id: ctx.correlationId,
        past_due: timer.isPastDue,
        ...counts(summary),
      });
    } catch (error) {
      await noteRun(service, job, 'failure', context);
      logEvent(context, 'error', 'timer.failed', {
        job,
        duration_ms: Date.now() - started,
        correlation_id: ctx.correlationId,
        ...describeError(error),
      });
      throw error;
    }
  };
}

/** The run is recorded for health ("the refresh timer ran within two periods"); never fails the run. */
async function noteRun(
  service: TokenServiceApi,
  job: 'refresh' | 'cleanup' | 'validate',
  outcome: 'success' | 'failure',
  context: InvocationContext,
): Promise<void> {
  try {
    await service.recordTimerRun(job, outcome);
  } catch (error) {
    logEvent(context, 'warn', 'timer.record_failed', { job, ...describeError(error) });
  }
}

function counts(summary: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(summary)) if (typeof value === 'number') out[key] = value;
  return out;
}
