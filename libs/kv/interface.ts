// The KV store contract behind the hash rings and the HA tracker, modelled on dskit's kv.Client.
// Implementations: memory.ts (one process) and nats.ts (NATS JetStream KV); both pass testing.ts.

/**
 * Turns values into bytes and back. Every value a client writes or reads goes through its codec,
 * so readers get their own copy and may mutate it. Values are never null: null means "no value".
 */
export interface Codec<T> {
  encode(value: T): Uint8Array;
  /** Throws when the bytes are not a valid T. */
  decode(bytes: Uint8Array): T;
}

/** One change seen by watchPrefix: the key's latest value, or null once it was deleted. */
export interface KVUpdate<T> {
  readonly key: string;
  readonly value: T | null;
}

/**
 * A client of one KV store. Keys are non-empty strings; `/` separates levels ("collectors/ring"),
 * which backends may use to narrow prefix scans. `null` always means "no value under the key".
 *
 * Lifetime: a client is a service (see Service in libs/services). It works between start() and
 * stop(); calls before start() or after stop() reject with KVError `kv_unavailable`, and stop()
 * ends its watches.
 *
 * Concurrency: any number of calls may run at once, from any number of clients and processes on
 * the same store. Each key is linearizable: a `cas` applies `f` to the value current at the
 * moment of its write and is retried if another write came first, so concurrent cas calls never
 * lose an update. A call that rejects with `kv_unavailable` may or may not have been applied (the
 * store may have gone away after the write), as with any networked store.
 */
export interface KVClient<T> {
  /** The value under `key`, or null when there is none. */
  get(key: string): Promise<T | null>;

  /** Every key that starts with `prefix` (plain string prefix; "" lists all), sorted. */
  list(prefix: string): Promise<string[]>;

  /** Removes `key`. Deleting a missing key succeeds and notifies no watcher. */
  delete(key: string): Promise<void>;

  /**
   * Compare-and-swap. Calls `f` with the current value (null when missing) and writes what it
   * returns, provided nobody wrote `key` in between; otherwise calls `f` again with the newer
   * value, up to the backend's retry bound, then rejects with KVError `kv_cas_conflict`.
   * Returning null means "no change": nothing is written. `f` may therefore run several times and
   * must not have side effects beyond computing its result; if it throws, nothing is written and
   * cas rejects with that error. To delete, use delete().
   */
  cas(key: string, f: (current: T | null) => T | null): Promise<void>;

  /**
   * Follows one key. Yields the current value first (null when missing), then the latest value
   * after each change, null after a deletion. A watcher slower than the writers skips
   * intermediate values but always gets the last one; it never gets an older value after a newer
   * one. Transient store failures do not end the watch: it resumes once the store is back.
   * Ends (returns, without error) when `signal` aborts, the consumer stops iterating, or the
   * client stops. Iterate at most once.
   */
  watchKey(key: string, signal: AbortSignal): AsyncIterable<T | null>;

  /**
   * Like watchKey, for every key that starts with `prefix`: yields one update for each existing
   * key first, then an update after each change. Per key, the watchKey guarantees hold; across
   * keys there is no ordering.
   */
  watchPrefix(prefix: string, signal: AbortSignal): AsyncIterable<KVUpdate<T>>;
}
