import type { Clock } from './clock';

/**
 * A value loaded on demand and kept fresh for `freshMs`; after that, served stale (up to `maxStaleMs`)
 * while one background load replaces it. `invalidate` forces the next read to wait for a new load.
 * Used where a read must not cost a table scan per request (status counts, docs/architecture.md, "Performance").
 */
export class RefreshingValue<T> {
  private value: { data: T; at: number } | undefined;
  private loading: Promise<T> | undefined;
  private generation = 0;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly clock: Clock,
    private readonly freshMs: number,
    private readonly maxStaleMs: number,
  ) {}

  get(): Promise<T> {
    const age = this.value ? this.clock.now() - this.value.at : Infinity;
    if (this.value && age < this.freshMs) return Promise.resolve(this.value.data);
    if (this.value && age < this.maxStaleMs) {
      this.reload().catch(() => undefined);
      return Promise.resolve(this.value.data);
    }
    return this.reload();
  }

  invalidate(): void {
    this.value = undefined;
    this.loading = undefined;
    this.generation++;
  }

  private reload(): Promise<T> {
    if (this.loading) return this.loading;
    const generation = this.generation;
    const loading = this.load()
      .then((data) => {
        if (generation === this.generation) this.value = { data, at: this.clock.now() };
        return data;
      })
      .finally(() => {
        if (this.loading === loading) this.loading = undefined;
      });
    this.loading = loading;
    return loading;
  }
}
