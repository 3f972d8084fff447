import { RefreshingValue } from '../refreshingValue';
import { publicRecord } from '../store';
import type { CredentialBlock, StatusReport, TokenCounts } from '../types';
import type { ServiceCore } from './context';
import { currentRejection, MAX_REJECTIONS } from './lockoutRules';

/**
 * Status is served from memory: rebuilt at most once a second (stale up to 5 s while one rebuild runs),
 * and the counts, which need a table scan, at most every 10 s (stale up to 60 s). Local mutations
 * invalidate both, so an operator sees the effect of their own action at once. Status must never scan the
 * table per request (docs/architecture.md, "Performance").
 */
export class StatusView {
  private readonly counts: RefreshingValue<TokenCounts>;
  private readonly status: RefreshingValue<StatusReport>;

  constructor(private readonly core: ServiceCore) {
    this.counts = new RefreshingValue(() => this.scanCounts(), core.clock, 10_000, 60_000);
    this.status = new RefreshingValue(() => this.build(), core.clock, 1_000, 5_000);
  }

  get(): Promise<StatusReport> {
    return this.status.get();
  }

  invalidate(): void {
    this.counts.invalidate();
    this.status.invalidate();
  }

  private async build(): Promise<StatusReport> {
    const { store, clock } = this.core;
    const [tokens, active, state, recent] = await Promise.all([
      this.counts.get(),
      store.getActive('ropc'),
      store.getState('ropc'),
      store.recentAudit(10),
    ]);
    const now = clock.now();
    const rejection = state ? currentRejection(state.credentials) : null;
    const blocked: CredentialBlock | null = rejection
      ? {
          token_type: 'ropc',
          code: rejection.code,
          hint: rejection.hint,
          blocked_at: rejection.last_at,
          credential: rejection.label,
          rejections: rejection.rejections,
          description: describeBlock(rejection.label, rejection.rejections),
        }
      : null;
    return {
      configuration: { ...this.core.config.report, password_source: this.core.secrets.passwordSource },
      tokens,
      current: active
        ? {
            ...publicRecord(active),
            expires_in_seconds: Math.floor((Date.parse(active.expires_at) - now) / 1000),
          }
        : null,
      blocked,
      recent_audit: recent,
    };
  }

  private async scanCounts(): Promise<TokenCounts> {
    const now = this.core.clock.now();
    const counts: TokenCounts = { total: 0, active: 0, expired: 0, inactive: 0, errored: 0 };
    for await (const t of this.core.store.scanTokens()) {
      counts.total++;
      const expired = Date.parse(t.expires_at) <= now;
      if (t.is_active && !expired) counts.active++;
      if (!t.is_active) counts.inactive++;
      if ((t.is_active && expired) || t.deactivation_reason === 'expired') counts.expired++;
      if (t.error_count > 0) counts.errored++;
    }
    return counts;
  }
}

/** The block in words: which credential, how often rejected, whether an override may still send it. */
export function describeBlock(label: string, rejections: number): string {
  const times = `${rejections} time${rejections === 1 ? '' : 's'}`;
  const left = MAX_REJECTIONS - rejections;
  return left > 0
    ? `${label} rejected ${times}; not sent again unless an administrator retries it (${left} more attempt${left === 1 ? '' : 's'} allowed)`
    : `${label} rejected ${times}; never sent again — store a corrected password`;
}
