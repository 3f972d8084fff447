import { iso } from '../clock';
import { isConflict } from '../store';
import { toGraphTokenError } from '../errors';
import type { ServiceCore } from './context';
import type { MemoryEntry } from './memoryCache';

/**
 * Usage tracking without a write per call: memory hits count into the cache entry, and a flush writes the
 * sums at most once per type per `usageFlushSeconds` (ETag-guarded read-modify-write, so two instances'
 * counts add up).
 */
export class UsageRecorder {
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(private readonly core: ServiceCore) {
    core.memory.onReplaced = (entry) => void this.flushEntry(entry);
  }

  /** Called on every memory hit: arms one flush timer, nothing else. */
  touched(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.core.config.lifecycle.usageFlushSeconds * 1000);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    if (this.flushing) await this.flushing;
    this.flushing = (async () => {
      for (const entry of this.core.memory.values()) await this.flushEntry(entry);
    })().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush().catch(() => undefined);
  }

  private async flushEntry(entry: MemoryEntry): Promise<void> {
    const uses = entry.uses;
    if (uses === 0) return;
    entry.uses = 0;
    const type = entry.record.token_type;
    const { store } = this.core;
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const row = await store.getToken(type, entry.id);
        if (!row) return;
        try {
          await store.updateToken(
            type,
            entry.id,
            { usage_count: row.usage_count + uses, last_used_at: iso(entry.lastUsed) },
            row.etag,
          );
          this.core.stats.usage_writes++;
          return;
        } catch (error) {
          if (!isConflict(error)) throw error;
        }
      }
    } catch (error) {
      entry.uses += uses;
      this.core.logger.log('warn', 'usage_flush_failed', {
        token_id: entry.id,
        code: toGraphTokenError(error).code,
      });
    }
  }
}
