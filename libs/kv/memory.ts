// The in-process KV store (the single-process default). Clients that name the same store share it,
// so several rings in one process, or several "processes" in one test, see each other's writes.
import type { Logger } from '../log/index.ts';
import { nopLogger } from '../log/index.ts';
import { Service } from '../services/index.ts';
import { decodeForWatch, decodeValue, encodeValue } from './codec.ts';
import { KVError, KVErrorCode, checkKey } from './errors.ts';
import type { Codec, KVClient, KVUpdate } from './interface.ts';
import { LatestQueue } from './latest.ts';

type Watcher = (key: string, value: Uint8Array | null) => void;

/** One store: encoded values (so no client can alias another's objects) and the watchers to notify. */
class MemoryStore {
  readonly values = new Map<string, Uint8Array>();
  readonly watchers = new Set<Watcher>();

  set(key: string, value: Uint8Array | null): void {
    if (value === null) this.values.delete(key);
    else this.values.set(key, value);
    for (const w of this.watchers) w(key, value);
  }
}

// Stores live as long as the process; they are small, and tests use a fresh name each.
const stores = new Map<string, MemoryStore>();

export interface MemoryKVOptions {
  /** Which in-process store to use; clients with the same name share one. */
  readonly store?: string;
  /** The service name. */
  readonly name?: string;
  readonly logger?: Logger;
}

export class MemoryKV<T> extends Service implements KVClient<T> {
  readonly #codec: Codec<T>;
  readonly #storeName: string;
  readonly #logger: Logger;
  #store: MemoryStore | undefined;
  // Aborted by stop(), which ends every watch of this client.
  readonly #stopped = new AbortController();

  constructor(codec: Codec<T>, opts: MemoryKVOptions = {}) {
    super(opts.name ?? 'kv-memory');
    this.#codec = codec;
    this.#storeName = opts.store ?? 'default';
    this.#logger = opts.logger ?? nopLogger;
  }

  protected override starting(): Promise<void> {
    let store = stores.get(this.#storeName);
    if (!store) stores.set(this.#storeName, (store = new MemoryStore()));
    this.#store = store;
    return Promise.resolve();
  }

  protected override stopping(): Promise<void> {
    this.#stopped.abort();
    return Promise.resolve();
  }

  #running(): MemoryStore {
    if (this.state() !== 'Running' || !this.#store) {
      throw new KVError(KVErrorCode.Unavailable, `kv "${this.name}": client is not running (state ${this.state()})`);
    }
    return this.#store;
  }

  // The methods are async only to share the contract: each runs in one synchronous step.
  async get(key: string): Promise<T | null> {
    checkKey(key);
    const bytes = this.#running().values.get(key);
    return bytes === undefined ? null : decodeValue(this.#codec, key, bytes);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.#running().values.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    const store = this.#running();
    if (store.values.has(key)) store.set(key, null);
  }

  async cas(key: string, f: (current: T | null) => T | null): Promise<void> {
    // Read, f and write happen in one step, so there is never a conflict to retry.
    checkKey(key);
    const store = this.#running();
    const bytes = store.values.get(key);
    const next = f(bytes === undefined ? null : decodeValue(this.#codec, key, bytes));
    // A copy: the codec may reuse its output buffer.
    if (next !== null) store.set(key, encodeValue(this.#codec, key, next).slice());
  }

  watchKey(key: string, signal: AbortSignal): AsyncIterable<T | null> {
    return this.#watchKey(key, signal);
  }

  watchPrefix(prefix: string, signal: AbortSignal): AsyncIterable<KVUpdate<T>> {
    return this.#watch((k) => k.startsWith(prefix), signal, (values) => [...values].filter(([k]) => k.startsWith(prefix)));
  }

  async *#watchKey(key: string, signal: AbortSignal): AsyncGenerator<T | null> {
    checkKey(key);
    const updates = this.#watch((k) => k === key, signal, (values) => [[key, values.get(key) ?? null]]);
    for await (const u of updates) yield u.value;
  }

  /** Yields `initial(current values)` first, then every change of a key that `match`es. */
  async *#watch(
    match: (key: string) => boolean,
    signal: AbortSignal,
    initial: (values: ReadonlyMap<string, Uint8Array>) => Iterable<[string, Uint8Array | null]>,
  ): AsyncGenerator<KVUpdate<T>> {
    const store = this.#running();
    const queue = new LatestQueue<Uint8Array | null>(AbortSignal.any([signal, this.#stopped.signal]));
    const watcher: Watcher = (k, v) => {
      if (match(k)) queue.put(k, v);
    };
    // Registered before the initial values are queued, in the same step: no change can fall between.
    store.watchers.add(watcher);
    try {
      for (const [k, v] of initial(store.values)) queue.put(k, v);
      for await (const [k, bytes] of queue) {
        const value = decodeForWatch(this.#codec, this.#logger, k, bytes);
        if (value !== undefined) yield { key: k, value };
      }
    } finally {
      store.watchers.delete(watcher);
    }
  }
}
