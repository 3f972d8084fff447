import type { Clock } from '../clock';
import type { Config } from '../config';
import { publicRecord, type TokenEntity } from '../store';
import type { TokenRecord, TokenType } from '../types';

/** What the memory cache holds for a type: the hot path reads only this. */
export interface MemoryEntry {
  id: string;
  accessToken: string;
  expiresAt: number;
  /** Never past the refresh point, never longer than the memory-cache lifetime. */
  validUntil: number;
  record: TokenRecord;
  /** Created by a forced refresh (the forced-refresh window, storedToken.ts). */
  forced: boolean;
  /** Uses since the last usage flush (written aggregated, see usage.ts). */
  uses: number;
  lastUsed: number;
}

/** While degraded (refresh failing, old token still valid) look again this soon, never past expiry. */
const DEGRADED_RECHECK_MS = 30_000;

/** The per-process token cache: one entry per type, no I/O. */
export class MemoryCache {
  private readonly entries = new Map<TokenType, MemoryEntry>();
  /** Called with an entry that is replaced while it still has unflushed uses. */
  onReplaced: (entry: MemoryEntry) => void = () => undefined;

  constructor(
    private readonly clock: Clock,
    private readonly lifecycle: Config['lifecycle'],
  ) {}

  get(type: TokenType): MemoryEntry | undefined {
    return this.entries.get(type);
  }

  /** The entry if it may be served now without looking anywhere else. */
  fresh(type: TokenType): MemoryEntry | undefined {
    const hit = this.entries.get(type);
    return hit !== undefined && this.clock.now() < hit.validUntil ? hit : undefined;
  }

  values(): IterableIterator<MemoryEntry> {
    return this.entries.values();
  }

  entriesByType(): IterableIterator<[TokenType, MemoryEntry]> {
    return this.entries.entries();
  }

  remember(token: TokenEntity, accessToken: string, degraded: boolean): void {
    const now = this.clock.now();
    const expiresAt = Date.parse(token.expires_at);
    const refreshPoint = expiresAt - this.lifecycle.refreshOffsetSeconds * 1000;
    const validUntil = degraded
      ? Math.min(expiresAt, now + DEGRADED_RECHECK_MS)
      : Math.min(refreshPoint, now + this.lifecycle.memoryCacheSeconds * 1000);
    const previous = this.entries.get(token.token_type);
    const carried = previous && previous.id === token.id ? previous.uses : 0;
    if (previous && previous.id !== token.id && previous.uses > 0) this.onReplaced(previous);
    this.entries.set(token.token_type, {
      id: token.id,
      accessToken,
      expiresAt,
      validUntil,
      record: publicRecord(token),
      forced: token.forced_refresh === true,
      uses: carried,
      lastUsed: previous?.lastUsed ?? 0,
    });
  }

  /** Keeps serving a held token a little longer (storage or Key Vault down), never past its expiry. */
  holdBriefly(entry: MemoryEntry): void {
    entry.validUntil = Math.min(entry.expiresAt, this.clock.now() + DEGRADED_RECHECK_MS);
  }

  /** Forgets the type's entry if it is token `id` (after a deactivation). */
  forget(type: TokenType, id: string): void {
    if (this.entries.get(type)?.id === id) this.entries.delete(type);
  }

  /** Updates the public record of a held token (error counters) without touching what is served. */
  patchRecord(type: TokenType, id: string, fields: Partial<TokenRecord>): void {
    const entry = this.entries.get(type);
    if (entry?.id === id) entry.record = { ...entry.record, ...fields };
  }
}
