import type { Clock } from '../clock';
import type { Config } from '../config';
import type { GraphClient } from '../graph';
import type { IdentityClient } from '../identity';
import type { DelegatedIdentity } from '../identity/delegated';
import type { Logger } from '../logger';
import type { SecretSource } from '../secrets';
import type { CredentialState, TokenStore } from '../store';
import type { OperationContext, TokenRecord, TokenSource, TokenType } from '../types';
import type { MemoryCache } from './memoryCache';

/** Plain counters (cheap on the hot path); also exported as OpenTelemetry observables. */
export interface ServiceStats {
  memory_hits: number;
  storage_hits: number;
  lease_waits: number;
  usage_writes: number;
}

/** A token obtained by `acquire`, with where it came from. */
export interface Obtained {
  accessToken: string;
  record: TokenRecord;
  source: TokenSource;
}

export interface ObtainOptions {
  force: boolean;
  /** An administrator's explicit acquire may try a blocked password again (docs/architecture.md, "Lockout"). */
  overrideBlock: boolean;
  /** Return a still-valid current token when the refresh fails (graceful degradation). */
  degrade: boolean;
  ctx: OperationContext;
  /** A resource's claims challenge (CAE) to redeem the refresh token with (delegated only). */
  claims?: string;
}

/**
 * What every room of the service receives: the outside systems (each behind its one module), the clock,
 * the memory cache and the shared bookkeeping. Built once by the façade.
 */
export interface ServiceCore {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: TokenStore;
  readonly secrets: SecretSource;
  readonly identity: IdentityClient;
  /** The delegated sign-in and its refresh-token grants (docs/delegated.md). */
  readonly delegated: DelegatedIdentity;
  readonly graph: GraphClient;
  readonly memory: MemoryCache;
  readonly stats: ServiceStats;
  /** In-process single flight: the running exchange per type. */
  readonly inflight: Map<TokenType, { force: boolean; promise: Promise<Obtained> }>;
  /** Credential-state changes whose write failed: applied to every decision until written. */
  readonly pendingCredentials: Map<TokenType, CredentialState>;
  /** This process's lease holder name (each flow adds its own random suffix). */
  readonly holder: string;
  /** The current token's consecutive errors by type, for the metric (kept after the token left memory). */
  readonly consecutiveErrors: Map<TokenType, number>;
  /** Drops the cached status and counts, so an operator sees the effect of their own action at once. */
  invalidateViews(): void;
}
