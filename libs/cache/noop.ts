// A cache that keeps nothing: every lookup misses (a disabled cache).
import { newStats, type Cache, type CacheStats } from './interface.ts';

export class NoopCache implements Cache {
  private readonly counters = newStats();

  getMulti(keys: readonly string[]): Promise<Map<string, Uint8Array>> {
    this.counters.requests += keys.length;
    this.counters.misses += keys.length;
    return Promise.resolve(new Map());
  }

  setMulti(_entries: ReadonlyArray<readonly [string, Uint8Array]>, _ttlMs?: number): Promise<void> {
    return Promise.resolve();
  }

  stats(): CacheStats {
    return { ...this.counters };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
