import { iso } from '../clock';
import { ERRORS, GraphTokenError } from '../errors';
import type { StateEntity } from '../store';
import type { TokenType } from '../types';
import type { ObtainOptions, ServiceCore } from './context';

/**
 * Lockout protection (docs/architecture.md, "Lockout rules"): the password is read only when a grant
 * needs it, and refused when Entra ID already rejected that credential.
 */
export class PasswordGate {
  /** Fingerprint of the password handed to the identity client, if one was. */
  usedFingerprint: string | undefined;

  constructor(
    private readonly core: ServiceCore,
    private readonly state: StateEntity | null,
    private readonly options: ObtainOptions,
  ) {}

  /** The password for a grant, unless Entra ID rejected this very credential before. */
  readonly password = async (): Promise<string> => {
    const secret = await this.core.secrets.getPassword();
    const blocked = this.state?.block_fingerprint;
    if (blocked && blocked === secret.fingerprint && !this.options.overrideBlock) {
      throw new GraphTokenError(
        ERRORS.CREDENTIALS_BLOCKED,
        `Password not sent: Entra ID rejected this password before (${this.state?.block_code ?? 'credential error'})`,
      );
    }
    this.usedFingerprint = secret.fingerprint;
    return secret.value;
  };

  /** After a failure: a credential rejection blocks the credential that was (or would be) sent. */
  async afterFailure(type: TokenType, error: GraphTokenError): Promise<void> {
    if (error.category !== 'credential' || error.code === ERRORS.CREDENTIALS_BLOCKED.code) return;
    const fp =
      this.usedFingerprint ??
      (await this.core.secrets.getPassword().then(
        (p) => p.fingerprint,
        () => undefined,
      ));
    if (fp) {
      await this.core.store.saveBlock(type, {
        code: error.code,
        hint: error.hint,
        fingerprint: fp,
        at: iso(this.core.clock.now()),
      });
    }
    // A rotated secret should be seen on the next attempt, not after the cache lifetime.
    this.core.secrets.invalidate();
  }

  /** After a success: a block of an earlier credential no longer applies. */
  async afterSuccess(type: TokenType): Promise<void> {
    if (this.state?.block_code) await this.core.store.saveBlock(type, null);
  }
}
