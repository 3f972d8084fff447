import { createHash } from 'node:crypto';
import type { Config } from '../config';
import { ERRORS, GraphTokenError } from '../errors';
import type { CredentialState, PasswordAttempt, RejectedCredential } from '../store';

/**
 * The lockout rules as pure functions (docs/architecture.md, "Lockout rules"); lockout.ts does the I/O.
 * Smart lockout locks an account after 10 failed sign-ins by default: with these rules the service
 * causes at most 3 per credential, whatever the number of instances, timers and callers.
 */

/** Rejections of one credential after which nothing sends it again, override or not. */
export const MAX_REJECTIONS = 3;
/** Uncertain attempts in a row that block the credential. */
export const MAX_UNCERTAIN = 3;
/** Rejected credentials remembered, so an instance holding an older secret version never resends it. */
export const REMEMBERED_REJECTIONS = 8;

export const emptyCredentialState = (): CredentialState => ({
  rejected: [],
  uncertain: null,
  last_success_at: null,
});

/**
 * Everything that makes a password attempt: tenant, client id, username, scopes and the secret (its Key
 * Vault version, or a keyed hash of a local password — never the password). Changing any of them is a
 * new credential, which is not blocked.
 */
export function credentialFingerprint(config: Config, secretFingerprint: string): string {
  const parts = [
    config.authorityHost.toLowerCase(),
    config.tenant.toLowerCase(),
    config.clientId.toLowerCase(),
    config.username.toLowerCase(),
    [...config.scopes]
      .map((s) => s.toLowerCase())
      .sort()
      .join(' '),
    secretFingerprint,
  ];
  return createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 32);
}

/** The credential in words, for operators: never the fingerprint itself. */
export function credentialLabel(config: Config, secretFingerprint: string): string {
  const secret = secretFingerprint.startsWith('kv:')
    ? `password version ${secretFingerprint.slice(3, 11)}`
    : 'the local GRAPH_PASSWORD';
  return `${secret} for ${config.username}`;
}

export type SendDecision = { send: true; override: boolean } | { send: false; error: GraphTokenError };

/**
 * May this credential be sent now? Refused while Entra ID's rejection of it stands (unless the one
 * explicit override of this call is used, and never after MAX_REJECTIONS), and while an uncertain
 * attempt is younger than the wait.
 */
export function decidePasswordSend(
  state: CredentialState,
  fingerprint: string,
  now: number,
  options: { override: boolean; uncertainRetryMs: number },
): SendDecision {
  const rejected = state.rejected.find((r) => r.fingerprint === fingerprint);
  if (rejected) {
    const times = `rejected ${rejected.rejections} time${rejected.rejections === 1 ? '' : 's'}`;
    if (rejected.rejections >= MAX_REJECTIONS) {
      return {
        send: false,
        error: new GraphTokenError(
          ERRORS.CREDENTIALS_BLOCKED,
          `Password not sent: ${rejected.label} was ${times} (${rejected.code}); it is never sent again. Store the corrected password: a new version of the Key Vault secret, or a new GRAPH_PASSWORD where it comes from the environment.`,
        ),
      };
    }
    if (!options.override) {
      return {
        send: false,
        error: new GraphTokenError(
          ERRORS.CREDENTIALS_BLOCKED,
          `Password not sent: ${rejected.label} was ${times} (${rejected.code})`,
        ),
      };
    }
    return { send: true, override: true };
  }
  const uncertain = state.uncertain;
  if (uncertain && uncertain.fingerprint === fingerprint) {
    const waitMs = Date.parse(uncertain.at) + options.uncertainRetryMs - now;
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      return {
        send: false,
        error: new GraphTokenError(
          ERRORS.PASSWORD_GRANT_UNCERTAIN,
          `Password not sent: an earlier password grant got no answer; retry in ${seconds} s`,
          { retryAfterSeconds: seconds },
        ),
      };
    }
  }
  return { send: true, override: false };
}

/** Entra ID rejected the credential: remember it (newest first), counting rejections of the same one. */
export function withRejection(
  state: CredentialState,
  entry: { fingerprint: string; label: string; code: string; hint: string },
  at: string,
): CredentialState {
  const previous = state.rejected.find((r) => r.fingerprint === entry.fingerprint);
  // Only the rejection's own fields: an attempt record passed in carries more (its flow, its time).
  const updated: RejectedCredential = {
    fingerprint: entry.fingerprint,
    label: entry.label,
    code: entry.code,
    hint: entry.hint,
    first_at: previous?.first_at ?? at,
    last_at: at,
    rejections: (previous?.rejections ?? 0) + 1,
  };
  const others = state.rejected.filter((r) => r.fingerprint !== entry.fingerprint);
  return {
    ...state,
    rejected: [updated, ...others].slice(0, REMEMBERED_REJECTIONS),
    uncertain: state.uncertain?.fingerprint === entry.fingerprint ? null : state.uncertain,
  };
}

/**
 * A password grant got no answer: remember when, and block the credential at the MAX_UNCERTAIN-th
 * uncertain attempt in a row.
 */
export function withUncertain(
  state: CredentialState,
  entry: { fingerprint: string; label: string },
  at: string,
): CredentialState {
  const count = state.uncertain?.fingerprint === entry.fingerprint ? state.uncertain.count + 1 : 1;
  if (count >= MAX_UNCERTAIN) {
    return withRejection(
      { ...state, uncertain: null },
      { ...entry, code: 'IDENTITY_PROVIDER_UNAVAILABLE', hint: ERRORS.PASSWORD_GRANT_UNCERTAIN.hint },
      at,
    );
  }
  return { ...state, uncertain: { fingerprint: entry.fingerprint, label: entry.label, at, count } };
}

/** The credential worked: it is no longer rejected, and the uncertain streak ends. */
export function withSuccess(state: CredentialState, fingerprint: string, at: string): CredentialState {
  return {
    rejected: state.rejected.filter((r) => r.fingerprint !== fingerprint),
    uncertain: null,
    last_success_at: at,
  };
}

/**
 * Merges a state held in memory (an outcome or block whose write failed) into the stored one: the
 * stricter wins, and a write-ahead record whose outcome the memory holds is dropped (not counted twice).
 */
export function mergeCredentialStates(a: CredentialState, b: CredentialState | undefined): CredentialState {
  if (!b) return a;
  const byFp = new Map<string, RejectedCredential>();
  for (const r of [...a.rejected, ...b.rejected]) {
    const seen = byFp.get(r.fingerprint);
    if (!seen || r.rejections > seen.rejections) byFp.set(r.fingerprint, r);
  }
  const rejected = [...byFp.values()].sort((x, y) => y.last_at.localeCompare(x.last_at));
  const uncertain =
    a.uncertain && b.uncertain
      ? a.uncertain.count >= b.uncertain.count
        ? a.uncertain
        : b.uncertain
      : (a.uncertain ?? b.uncertain);
  const merged: CredentialState = {
    rejected: rejected.slice(0, REMEMBERED_REJECTIONS),
    uncertain,
    last_success_at: a.last_success_at,
  };
  if (a.attempt && !(b.resolved ?? []).includes(a.attempt.flow)) merged.attempt = a.attempt;
  if (b.resolved) merged.resolved = b.resolved;
  return merged;
}

/** The write-ahead: a password grant about to be sent, recorded before it is. */
export function withAttempt(state: CredentialState, attempt: PasswordAttempt): CredentialState {
  return { ...state, attempt };
}

/**
 * A write-ahead record found by another flow has no outcome — its process died, was recycled or lost
 * the answer — so it is an uncertain attempt, dated when it was sent. Only the lease holder sends, so any
 * record a lease holder reads is such an orphan.
 */
export function settleOrphanedAttempt(state: CredentialState): CredentialState {
  const { attempt, ...rest } = state;
  if (!attempt) return state;
  return withUncertain(rest, attempt, attempt.at);
}

/** What came of a password grant that was written ahead. */
export type AttemptOutcome =
  | { kind: 'token' }
  | { kind: 'rejected'; code: string; hint: string }
  /** 429, 5xx, or nothing was written to the wire after all: no judgement, so nothing counts. */
  | { kind: 'transient' }
  | { kind: 'uncertain' };

/**
 * The outcome replaces the write-ahead record. When the record is gone, another flow already settled
 * it as uncertain: an uncertain or transient outcome then adds nothing, a rejection or a token still
 * applies; another flow's newer record is kept.
 */
export function withOutcome(
  state: CredentialState,
  attempt: PasswordAttempt,
  outcome: AttemptOutcome,
  at: string,
): CredentialState {
  const ours = state.attempt?.flow === attempt.flow;
  const { attempt: recorded, ...base } = state;
  let next: CredentialState;
  switch (outcome.kind) {
    case 'token':
      next = { ...withSuccess(base, attempt.fingerprint, at), resolved: base.resolved };
      break;
    case 'rejected':
      next = withRejection(base, { ...attempt, code: outcome.code, hint: outcome.hint }, at);
      break;
    case 'uncertain':
      next = ours ? withUncertain(base, attempt, attempt.at) : base;
      break;
    case 'transient':
      next = base;
      break;
  }
  if (!ours && recorded) next.attempt = recorded;
  if (next.resolved === undefined) delete next.resolved;
  return next;
}

/** The rejection operators should see: the newest one since the last success, if any. */
export function currentRejection(state: CredentialState): RejectedCredential | null {
  const latest = state.rejected[0];
  if (!latest) return null;
  if (state.last_success_at && latest.last_at <= state.last_success_at) return null;
  return latest;
}
