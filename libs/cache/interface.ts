// The cache contract shared by the store-gateway's index and chunks caches (and later the
// query-frontend): opaque byte values under string keys. Caches are an optimisation: a failing
// backend makes lookups misses and writes no-ops, it never fails the caller.

/** Counters of a cache since it was made; `errors` counts backend failures (each a miss or a lost write). */
export interface CacheStats {
  requests: number;
  hits: number;
  misses: number;
  errors: number;
}

/**
 * A byte cache. Concurrency: any number of calls may be in flight. Lifetime: values may vanish at
 * any time (eviction, TTL, restart of the backend). Callers must put everything that identifies a
 * value (tenant, block, range) into its key; keys are compared byte for byte.
 */
export interface Cache {
  /** The values present for `keys`; absent keys (misses, failures) are not in the map. Never rejects. */
  getMulti(keys: readonly string[]): Promise<Map<string, Uint8Array>>;
  /**
   * Stores entries, best effort; `ttlMs` 0 (the default) means no expiry. Never rejects. The
   * cache may keep the given buffers: callers must not change them afterwards.
   */
  setMulti(entries: ReadonlyArray<readonly [key: string, value: Uint8Array]>, ttlMs?: number): Promise<void>;
  stats(): CacheStats;
  /** Releases connections; the cache must not be used afterwards. */
  close(): Promise<void>;
}

export function newStats(): CacheStats {
  return { requests: 0, hits: 0, misses: 0, errors: 0 };
}
