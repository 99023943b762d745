// An in-process LRU cache bounded by the bytes of its keys and values.
import { newStats, type Cache, type CacheStats } from './interface.ts';

export interface MemoryCacheOptions {
  /** Bound on the sum of key and value lengths; the least recently used entries go first. */
  readonly maxSizeBytes: number;
  /** Values larger than this are not stored (default: maxSizeBytes / 4, so one item cannot flush the cache). */
  readonly maxItemSizeBytes?: number;
}

interface Entry {
  value: Uint8Array;
  /** Date.now() after which the entry is gone; 0 = never. */
  expires: number;
}

/** Per-entry overhead counted on top of key and value bytes (Map slot, entry object). */
const ENTRY_OVERHEAD = 64;

export class MemoryCache implements Cache {
  // A Map iterates in insertion order: re-inserting on a hit makes the first key the LRU one.
  private readonly entries = new Map<string, Entry>();
  private size = 0;
  private readonly maxItem: number;
  private readonly counters = newStats();

  constructor(private readonly opts: MemoryCacheOptions) {
    this.maxItem = opts.maxItemSizeBytes ?? Math.floor(opts.maxSizeBytes / 4);
  }

  getMulti(keys: readonly string[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const now = Date.now();
    this.counters.requests += keys.length;
    for (const k of keys) {
      const e = this.entries.get(k);
      if (e === undefined || (e.expires !== 0 && e.expires <= now)) {
        if (e !== undefined) this.remove(k, e);
        this.counters.misses++;
        continue;
      }
      this.entries.delete(k);
      this.entries.set(k, e);
      out.set(k, e.value);
      this.counters.hits++;
    }
    return Promise.resolve(out);
  }

  setMulti(entries: ReadonlyArray<readonly [string, Uint8Array]>, ttlMs = 0): Promise<void> {
    const expires = ttlMs > 0 ? Date.now() + ttlMs : 0;
    for (const [k, value] of entries) {
      const cost = sizeOf(k, value);
      if (value.length > this.maxItem || cost > this.opts.maxSizeBytes) continue;
      const old = this.entries.get(k);
      if (old !== undefined) this.remove(k, old);
      this.entries.set(k, { value, expires });
      this.size += cost;
      for (const [ek, ev] of this.entries) {
        if (this.size <= this.opts.maxSizeBytes) break;
        this.remove(ek, ev);
      }
    }
    return Promise.resolve();
  }

  /** Bytes held (keys, values and per-entry overhead). */
  sizeBytes(): number {
    return this.size;
  }

  stats(): CacheStats {
    return { ...this.counters };
  }

  close(): Promise<void> {
    this.entries.clear();
    this.size = 0;
    return Promise.resolve();
  }

  private remove(k: string, e: Entry): void {
    this.entries.delete(k);
    this.size -= sizeOf(k, e.value);
  }
}

function sizeOf(k: string, v: Uint8Array): number {
  return k.length * 2 + v.length + ENTRY_OVERHEAD;
}
