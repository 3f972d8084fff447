import { RefreshingValue } from '../refreshingValue';
import { ERRORS } from '../errors';
import { publicRecord, type StateEntity, type TokenEntity } from '../store';
import type {
  CredentialBlock,
  CurrentToken,
  StatusReport,
  TokenCounts,
  TokenType,
  TokenTypeStatus,
} from '../types';
import { TOKEN_TYPES } from '../types';
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
    const { store, clock, config } = this.core;
    const [tokens, recent, ...perType] = await Promise.all([
      this.counts.get(),
      store.recentAudit(10),
      ...TOKEN_TYPES.map((type) => Promise.all([store.getActive(type), store.getState(type)])),
    ]);
    const now = clock.now();
    const current = (active: TokenEntity | null): CurrentToken | null =>
      active
        ? {
            ...publicRecord(active),
            expires_in_seconds: Math.floor((Date.parse(active.expires_at) - now) / 1000),
          }
        : null;
    const types = {} as Record<TokenType, TokenTypeStatus>;
    let blocked: CredentialBlock | null = null;
    TOKEN_TYPES.forEach((type, i) => {
      const [active, state] = perType[i] as [TokenEntity | null, StateEntity | null];
      const block = state ? blockOf(type, state) : null;
      if (block && !blocked) blocked = block;
      const signIn = state?.sign_in_required ?? null;
      const valid = active !== null && Date.parse(active.expires_at) > now;
      types[type] = {
        state: signIn ? 'sign_in_required' : block ? 'blocked' : valid ? 'ok' : 'none',
        current: current(active),
        sign_in_required: signIn
          ? {
              code: signIn.code,
              hint: ERRORS.SIGN_IN_REQUIRED.hint,
              reason: signIn.reason,
              upstream_code: signIn.upstream_code,
              since: signIn.since,
            }
          : null,
      };
    });
    return {
      configuration: { ...config.report, password_source: this.core.secrets.passwordSource },
      tokens,
      current: types[config.tokenType].current,
      blocked,
      types,
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

function blockOf(type: TokenType, state: StateEntity): CredentialBlock | null {
  const rejection = currentRejection(state.credentials);
  return rejection
    ? {
        token_type: type,
        code: rejection.code,
        hint: rejection.hint,
        blocked_at: rejection.last_at,
        credential: rejection.label,
        rejections: rejection.rejections,
        description: describeBlock(rejection.label, rejection.rejections),
      }
    : null;
}

/** The block in words: which credential, how often rejected, whether an override may still send it. */
export function describeBlock(label: string, rejections: number): string {
  const times = `${rejections} time${rejections === 1 ? '' : 's'}`;
  const left = MAX_REJECTIONS - rejections;
  return left > 0
    ? `${label} rejected ${times}; not sent again unless an administrator retries it (${left} more attempt${left === 1 ? '' : 's'} allowed)`
    : `${label} rejected ${times}; never sent again — store a corrected password`;
}
