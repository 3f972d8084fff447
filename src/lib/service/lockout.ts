import { iso } from '../clock';
import { ERRORS, GraphTokenError, toGraphTokenError } from '../errors';
import type { CredentialState, PasswordAttempt } from '../store';
import type { TokenType } from '../types';
import { audit } from './audit';
import type { ObtainOptions, ServiceCore } from './context';
import type { FlowLease } from './lease';
import { openIncident } from './notify';
import {
  credentialFingerprint,
  credentialLabel,
  decidePasswordSend,
  emptyCredentialState,
  mergeCredentialStates,
  settleOrphanedAttempt,
  withAttempt,
  withOutcome,
  type AttemptOutcome,
  type SendDecision,
} from './lockoutRules';

/**
 * Lockout protection for one exchange (docs/architecture.md, "Lockout rules"). The password is read only
 * when a grant needs it. Right before it is sent, the shared state is re-read, the lease re-verified and
 * the attempt written ahead into the state row (ETag-guarded): if that write fails, nothing is sent.
 * The answer's outcome then replaces the record (kept in memory, and nothing sent, while that write
 * fails); a record no outcome ever replaced — its process was killed — is uncertain for every successor.
 */
export class PasswordGate {
  /** A password was handed to the identity client (the attempt itself is `inFlight`, then recorded). */
  private sent = false;
  /** The attempt written ahead whose outcome is not recorded yet. */
  private inFlight: PasswordAttempt | undefined;
  private overrideUsed = false;
  /** True when this gate refused to send (a block, an uncertain wait, a lost lease): not a token error. */
  refused = false;

  /** A password was handed to the identity client in this exchange. */
  get passwordSent(): boolean {
    return this.sent;
  }

  constructor(
    private readonly core: ServiceCore,
    private readonly type: TokenType,
    private readonly options: ObtainOptions,
    private readonly lease: FlowLease,
  ) {}

  /** The password for a grant about to be sent, unless the rules refuse it. */
  readonly password = async (): Promise<string> => {
    try {
      return await this.passwordOrRefusal();
    } catch (error) {
      if (!this.sent) this.refused = true;
      throw error;
    }
  };

  private async passwordOrRefusal(): Promise<string> {
    const { core, type } = this;
    await this.flushPending();
    await this.lease.verify();
    const secret = await core.secrets.getPassword();
    const fingerprint = credentialFingerprint(core.config, secret.fingerprint);
    const label = credentialLabel(core.config, secret.fingerprint);
    const now = core.clock.now();
    const attempt: PasswordAttempt = { fingerprint, label, at: iso(now), flow: this.lease.owner };
    let decision: SendDecision | undefined;
    try {
      // The decision and the write-ahead are one ETag-guarded step: a conflicting writer makes it
      // decide again on the fresh row.
      await core.store.updateCredentials(type, (stored, row) => {
        if (row.corrupt) {
          decision = {
            send: false,
            error: new GraphTokenError(
              ERRORS.CREDENTIALS_BLOCKED,
              `Password not sent: the ${type} credential state in storage cannot be read`,
            ),
          };
          return null;
        }
        const merged = mergeCredentialStates(stored, core.pendingCredentials.get(type));
        const settled = settleOrphanedAttempt(merged);
        decision = decidePasswordSend(settled, fingerprint, now, {
          override: this.options.overrideBlock && !this.overrideUsed,
          uncertainRetryMs: core.config.lifecycle.uncertainRetrySeconds * 1000,
        });
        if (decision.send) return withAttempt(settled, attempt);
        // Refused: still store an orphan's settlement, so status and every instance see it.
        return settled === merged ? null : settled;
      });
    } catch (error) {
      if (decision && !decision.send) throw decision.error;
      throw new GraphTokenError(
        ERRORS.STORAGE_UNAVAILABLE,
        `Password not sent: the attempt could not be recorded first (${toGraphTokenError(error).code})`,
        { cause: error },
      );
    }
    if (!decision) throw new GraphTokenError(ERRORS.INTERNAL, 'No send decision was made');
    if (!decision.send) throw decision.error;
    this.inFlight = attempt;
    this.sent = true;
    if (decision.override) {
      this.overrideUsed = true;
      await audit(
        core,
        this.options.ctx,
        'retry-blocked-password',
        type,
        'success',
        `override: sending ${label} once more`,
      );
    }
    return secret.value;
  }

  /**
   * Runs one identity call and records the outcome of a password written ahead in it, before the
   * result or error goes on (so a retry of a 429/5xx decides on the cleared record).
   */
  async settle<T>(call: Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await call;
    } catch (caught) {
      await this.afterFailure(toGraphTokenError(caught));
      throw caught;
    }
    await this.record({ kind: 'token' });
    return result;
  }

  /**
   * After a failed identity call: a rejection blocks the credential that was sent; no answer is an
   * uncertain attempt; anything else — a 429/5xx answer, or an error before the grant reached the token
   * endpoint (the identity client reports a sent grant as rejected, uncertain or transient, never
   * otherwise) — clears the record.
   */
  private async afterFailure(error: GraphTokenError): Promise<void> {
    if (!this.inFlight) return;
    if (error.category === 'credential' && error.code !== ERRORS.CREDENTIALS_BLOCKED.code) {
      await this.record({ kind: 'rejected', code: error.code, hint: error.hint });
    } else if (error.category === 'uncertain') {
      await this.record({ kind: 'uncertain' });
    } else {
      await this.record({ kind: 'transient' });
    }
  }

  /** Replaces the write-ahead record with its outcome. */
  private async record(outcome: AttemptOutcome): Promise<void> {
    const attempt = this.inFlight;
    if (!attempt) return;
    this.inFlight = undefined;
    const at = iso(this.core.clock.now());
    await this.write((s) => withOutcome(s, attempt, outcome, at), attempt);
    if (outcome.kind !== 'rejected') return;
    this.core.logger.log('warn', 'credentials_blocked', {
      token_type: this.type,
      code: outcome.code,
      credential: attempt.label,
    });
    await openIncident(
      this.core,
      this.type,
      'credentials_blocked',
      { code: outcome.code, hint: outcome.hint, credential: attempt.label },
      this.options.ctx,
    );
    // A rotated secret should be seen on the next attempt, not after the cache lifetime.
    this.core.secrets.invalidate();
  }

  /**
   * Writes an outcome; if the write fails the outcome is kept in memory (and applied to every later
   * decision of this process) and retried before the next password is sent.
   */
  private async write(
    change: (s: CredentialState) => CredentialState,
    attempt: PasswordAttempt,
  ): Promise<void> {
    const { core, type } = this;
    try {
      await core.store.updateCredentials(type, (s) =>
        change(mergeCredentialStates(s, core.pendingCredentials.get(type))),
      );
      core.pendingCredentials.delete(type);
    } catch (error) {
      const held = core.pendingCredentials.get(type) ?? emptyCredentialState();
      const next = change({ ...held, attempt });
      core.pendingCredentials.set(type, { ...next, resolved: [...(held.resolved ?? []), attempt.flow] });
      core.logger.log('error', 'credential_state_write_failed', {
        token_type: type,
        code: toGraphTokenError(error).code,
      });
    }
    core.invalidateViews();
  }

  /** A change held in memory is written before anything else is sent; while it fails, nothing is. */
  private async flushPending(): Promise<void> {
    const { core, type } = this;
    const pending = core.pendingCredentials.get(type);
    if (!pending) return;
    try {
      await core.store.updateCredentials(type, (s) => mergeCredentialStates(s, pending));
      core.pendingCredentials.delete(type);
    } catch {
      throw new GraphTokenError(
        ERRORS.CREDENTIALS_BLOCKED,
        `Password not sent: a credential block for ${type} could not be stored yet (Table Storage unavailable)`,
      );
    }
  }
}
