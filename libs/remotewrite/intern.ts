// Byte-keyed hash tables: the label-string interner and the series-labels cache of the decoder.
// A key is a byte range of the request; a hit returns the stored value without building a
// string, so the label strings that repeat in every request cost a hash and a compare.

/** murmur3_32 over bytes [a, end) of `v`, reading 4 bytes per round (DataView loads need no alignment). */
export function hashBytes(v: DataView, a: number, end: number): number {
  let h = 0x2f0b3c1d ^ (end - a);
  let i = a;
  for (; i + 4 <= end; i += 4) {
    let k = v.getInt32(i, true);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = end - i;
  if (rest > 0) {
    let k = v.getUint8(i);
    if (rest > 1) k ^= v.getUint8(i + 1) << 8;
    if (rest > 2) k ^= v.getUint8(i + 2) << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const ENTRY = 8;
const E_OFF = 0;
const E_LEN = 1;
const E_NEXT = 2;
const E_NEXT_FP = 3;
const E_DATA = 4;
/** Int32 words of caller data per entry (see ByteKeyTable.data). */
export const DATA_WORDS = 3;

/**
 * A cheap fingerprint of key bytes [a, end): its length and four words spread over it. Keys of
 * one metric family differ in a few bytes anywhere, so this rejects most wrong predictions
 * without touching the predicted entry (a cache miss); a match is still checked in full.
 */
export function fingerprint(v: DataView, a: number, end: number): number {
  const len = end - a;
  if (len < 4) return len;
  const q = (len - 4) >>> 2;
  return (len ^ v.getInt32(a + q, true) ^ Math.imul(v.getInt32(a + 2 * q, true), 0x9e3779b1) ^ Math.imul(v.getInt32(a + 3 * q, true), 0x85ebca77) ^ Math.imul(v.getInt32(end - 4, true), 0xc2b2ae3d)) | 0;
}

// Slot records: [hash, entry + 1 (0 = empty), key offset in the arena, key length]. One record
// is one cache line fetch for a probe, where separate arrays cost one miss each.
const SLOT = 4;

/**
 * Open-addressing table from byte strings to values, bounded by entry count and key bytes.
 * When either bound is reached the table is cleared (a new generation starts): simple, and a
 * working set that fits stays warm while one that does not cannot grow memory. Not thread-safe;
 * one per decoder.
 */
export class ByteKeyTable<T> {
  private slots = new Int32Array(1024 * SLOT);
  private mask = 1023;
  /**
   * Per entry, one record of ENTRY int32s: the key's arena offset and length, the entry looked
   * up after it last time, and DATA_WORDS words for the caller. One record is one cache miss.
   */
  private rec = new Int32Array(512 * ENTRY);
  private arena = new Uint8Array(16_384);
  private arenaView = new DataView(this.arena.buffer);
  private arenaLen = 0;
  readonly values: T[] = [];
  size = 0;
  /** How many times the table was cleared because it was full. */
  generations = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxKeyBytes: number,
  ) {}

  /** Index of the entry with key bytes [a, end) of `v` (hash h from hashBytes), or -1. */
  find(v: DataView, a: number, end: number, h: number): number {
    const slots = this.slots;
    const mask = this.mask;
    const len = end - a;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const r = i * SLOT;
      const e = slots[r + 1]! - 1;
      if (e < 0) return -1;
      if (slots[r] === h && slots[r + 3] === len && this.keyEquals(slots[r + 2]!, v, a, end)) return e;
    }
  }

  /**
   * The entry looked up after `prev` last time (see `link`), if its key is bytes [a, end) of
   * `v` (fingerprint `fp`); else -1. Requests list series in much the same order every time (a scrape's order),
   * so this finds most keys without hashing them or probing the slots at random.
   */
  predict(prev: number, fp: number, v: DataView, a: number, end: number): number {
    if (prev < 0 || prev >= this.size) return -1;
    const rec = this.rec;
    if (rec[prev * ENTRY + E_NEXT_FP] !== fp) return -1;
    const e = rec[prev * ENTRY + E_NEXT]!;
    if (e < 0 || e >= this.size || rec[e * ENTRY + E_LEN] !== end - a) return -1;
    return this.keyEquals(rec[e * ENTRY + E_OFF]!, v, a, end) ? e : -1;
  }

  /** Records that `e` (key fingerprint `fp`) was looked up right after `prev`. */
  link(prev: number, e: number, fp: number): void {
    if (prev >= 0 && prev < this.size) {
      this.rec[prev * ENTRY + E_NEXT] = e;
      this.rec[prev * ENTRY + E_NEXT_FP] = fp;
    }
  }

  /** Caller data word `k` (< DATA_WORDS) of entry e. */
  data(e: number, k: number): number {
    return this.rec[e * ENTRY + E_DATA + k]!;
  }

  setData(e: number, k: number, v: number): void {
    this.rec[e * ENTRY + E_DATA + k] = v;
  }

  private keyEquals(o: number, v: DataView, a: number, end: number): boolean {
    const av = this.arenaView;
    let j = a;
    while (j + 4 <= end && av.getInt32(o, true) === v.getInt32(j, true)) {
      o += 4;
      j += 4;
    }
    while (j < end && av.getUint8(o) === v.getUint8(j)) {
      o++;
      j++;
    }
    return j === end;
  }

  /** Adds key bytes [a, end) of `v` (not present) with `value`; returns its index, or -1 if it can never fit. May clear the table first. */
  insert(v: DataView, a: number, end: number, h: number, value: T): number {
    const len = end - a;
    if (len > this.maxKeyBytes) return -1;
    if (this.size >= this.maxEntries || this.arenaLen + len > this.maxKeyBytes) this.clear();
    if ((this.size + 1) * 2 > this.mask + 1) this.rehash((this.mask + 1) * 2);
    if (this.arenaLen + len > this.arena.length) {
      let cap = this.arena.length * 2;
      while (cap < this.arenaLen + len) cap *= 2;
      const na = new Uint8Array(Math.max(this.arenaLen + len, Math.min(cap, this.maxKeyBytes)));
      na.set(this.arena.subarray(0, this.arenaLen));
      this.arena = na;
      this.arenaView = new DataView(na.buffer);
    }
    const e = this.size++;
    if ((e + 1) * ENTRY > this.rec.length) {
      const r = new Int32Array(this.rec.length * 2);
      r.set(this.rec);
      this.rec = r;
    }
    const off = this.arenaLen;
    // Keys are short: copying words beats creating a view for set().
    const av = this.arenaView;
    let j = a;
    let o = off;
    for (; j + 4 <= end; j += 4, o += 4) av.setInt32(o, v.getInt32(j, true), true);
    for (; j < end; j++, o++) av.setUint8(o, v.getUint8(j));
    this.arenaLen += len;
    const r = e * ENTRY;
    this.rec.fill(0, r, r + ENTRY);
    this.rec[r + E_OFF] = off;
    this.rec[r + E_LEN] = len;
    this.rec[r + E_NEXT] = -1;
    this.values[e] = value;
    this.place(this.slots, this.mask, h, e, off, len);
    return e;
  }

  clear(): void {
    if (this.size > 0) this.generations++;
    this.slots.fill(0);
    this.values.length = 0;
    this.size = 0;
    this.arenaLen = 0;
  }

  private place(slots: Int32Array, mask: number, h: number, e: number, off: number, len: number): void {
    let i = h & mask;
    while (slots[i * SLOT + 1] !== 0) i = (i + 1) & mask;
    const r = i * SLOT;
    slots[r] = h;
    slots[r + 1] = e + 1;
    slots[r + 2] = off;
    slots[r + 3] = len;
  }

  private rehash(n: number): void {
    const old = this.slots;
    const slots = new Int32Array(n * SLOT);
    const mask = n - 1;
    for (let r = 0; r < old.length; r += SLOT) {
      if (old[r + 1] !== 0) this.place(slots, mask, old[r]!, old[r + 1]! - 1, old[r + 2]!, old[r + 3]!);
    }
    this.slots = slots;
    this.mask = mask;
  }
}
