/** Turns the API's action results into what the page shows: a title and one line per token. */
import { expiresIn } from '../../lib/format';
import type { AcquireResult, CleanupSummary, RefreshSummary, ValidateSummary } from '../../lib/types';

export interface ResultLine {
  text: string;
  code?: string;
  hint?: string;
}

export interface ResultView {
  /** `false` when the API reports `success: false` (some tokens failed). */
  ok: boolean;
  title: string;
  lines: ResultLine[];
}

const SOURCES: Record<string, string> = {
  memory: 'the memory cache',
  storage: 'Table Storage',
  refresh: 'a refresh-token grant',
  ropc: 'a password (ROPC) grant',
};

export const describeResult = {
  acquire(result: AcquireResult, now: number = Date.now()): ResultView {
    const t = result.token;
    return {
      ok: true,
      title: `Token ${t.id} from ${SOURCES[t.source] ?? t.source}, expires in ${expiresIn(t.expires_at, now)}.`,
      lines: [],
    };
  },

  refresh(result: RefreshSummary, now: number = Date.now()): ResultView {
    return {
      ok: result.success,
      title:
        result.results.length === 0
          ? 'Nothing to refresh: no active token matched.'
          : `Refreshed ${result.refreshed}, failed ${result.failed}.`,
      lines: result.results.map((r) => ({
        text: `${r.id ?? 'new token'}: ${r.outcome}${r.expires_at ? `, expires in ${expiresIn(r.expires_at, now)}` : ''}${r.error ? ` — ${r.error.message}` : ''}`,
        code: r.error?.code,
        hint: r.error?.hint,
      })),
    };
  },

  validate(result: ValidateSummary): ResultView {
    return {
      ok: result.success,
      title:
        result.validated === 0
          ? 'Nothing to validate: no active token matched.'
          : `Validated ${result.validated}: ${result.valid} valid, ${result.invalid} invalid, ${result.unreachable} unreachable.`,
      lines: result.results.map((r) => ({
        text: `${r.id}: ${r.outcome}${r.status !== null ? ` (HTTP ${r.status})` : ''}${r.error ? ` — ${r.error.message}` : ''}`,
        code: r.error?.code,
        hint: r.error?.hint,
      })),
    };
  },

  cleanup(result: CleanupSummary): ResultView {
    return {
      ok: result.success,
      title: `Cleanup done: ${result.deactivated} expired token(s) deactivated, ${result.deleted} inactive token(s) deleted, ${result.audit_deleted} old audit entr${result.audit_deleted === 1 ? 'y' : 'ies'} deleted.`,
      lines: [],
    };
  },
};
