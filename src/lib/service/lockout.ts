import { iso } from '../clock';
import { ERRORS, GraphTokenError } from '../errors';
import type { CredentialState } from '../store';
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
  withRejection,
  withSuccess,
  withUncertain,
} from './lockoutRules';

/**
 * Lockout protection for one exchange (docs/architecture.md, "Lockout rules"). The password is read only
 * when a grant needs it; right before it is sent the shared state is re-read and the lease re-verified;
 * after the answer, a rejection or an uncertain attempt is written *before* the error is returned (kept
 * in memory, and nothing sent, while that write fails).
 */
export class PasswordGate {
  /** The credential handed to the identity client, if one was. */
  private sent: { fingerprint: string; label: string; override: boolean } | undefined;
  private overrideUsed = false;
  /** True when this gate refused to send (a block, an uncertain wait, a lost lease): not a token error. */
  refused = false;

  /** A password was handed to the identity client in this exchange. */
  get passwordSent(): boolean {
    return this.sent !== undefined;
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
    const stored = await core.store.getState(type);
    if (stored?.corrupt) {
      throw new GraphTokenError(
        ERRORS.CREDENTIALS_BLOCKED,
        `Password not sent: the ${type} credential state in storage cannot be read`,
      );
    }
    const state = mergeCredentialStates(
      stored?.credentials ?? emptyCredentialState(),
      core.pendingCredentials.get(type),
    );
    const secret = await core.secrets.getPassword();
    const fingerprint = credentialFingerprint(core.config, secret.fingerprint);
    const decision = decidePasswordSend(state, fingerprint, core.clock.now(), {
      override: this.options.overrideBlock && !this.overrideUsed,
      uncertainRetryMs: core.config.lifecycle.uncertainRetrySeconds * 1000,
    });
    if (!decision.send) throw decision.error;
    const label = credentialLabel(core.config, secret.fingerprint);
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
    this.sent = { fingerprint, label, override: decision.override };
    return secret.value;
  }

  /** After a failure: a rejection blocks the credential that was sent; no answer is an uncertain attempt. */
  async afterFailure(error: GraphTokenError): Promise<void> {
    const sent = this.sent;
    if (!sent) return;
    const at = iso(this.core.clock.now());
    if (error.category === 'credential' && error.code !== ERRORS.CREDENTIALS_BLOCKED.code) {
      await this.write((s) => withRejection(s, { ...sent, code: error.code, hint: error.hint }, at));
      this.core.logger.log('warn', 'credentials_blocked', {
        token_type: this.type,
        code: error.code,
        credential: sent.label,
      });
      await openIncident(
        this.core,
        this.type,
        'credentials_blocked',
        { code: error.code, hint: error.hint, credential: sent.label },
        this.options.ctx,
      );
      // A rotated secret should be seen on the next attempt, not after the cache lifetime.
      this.core.secrets.invalidate();
    } else if (error.category === 'uncertain') {
      await this.write((s) => withUncertain(s, sent, at));
    }
  }

  /**
   * After a success: a password that worked is no longer blocked or uncertain. A refresh-token success
   * proves nothing about the password, so its block (if any) stands.
   */
  async afterSuccess(): Promise<void> {
    const sent = this.sent;
    if (!sent) return;
    const at = iso(this.core.clock.now());
    await this.write((s) => withSuccess(s, sent.fingerprint, at));
  }

  /**
   * Writes a state change; if the write fails the change is kept in memory (and applied to every later
   * decision of this process) and retried before the next password is sent.
   */
  private async write(change: (s: CredentialState) => CredentialState): Promise<void> {
    const { core, type } = this;
    try {
      await core.store.updateCredentials(type, (s) =>
        change(mergeCredentialStates(s, core.pendingCredentials.get(type))),
      );
      core.pendingCredentials.delete(type);
    } catch (error) {
      const held = core.pendingCredentials.get(type) ?? emptyCredentialState();
      core.pendingCredentials.set(type, change(held));
      core.logger.log('error', 'credential_state_write_failed', {
        token_type: type,
        code: (error as GraphTokenError).code ?? 'INTERNAL',
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
