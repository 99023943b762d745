// Byte-keyed hash tables: the label-string interner and the series-labels cache of the decoder.
// A key is a byte range of the request; a hit returns the stored value without building a
// string, so the label strings that repeat in every request cost a hash and a compare.

/** murmur3_32 over b[a:end], reading 4 bytes per round. */
export function hashBytes(b: Uint8Array, a: number, end: number): number {
  let h = 0x2f0b3c1d ^ (end - a);
  let i = a;
  for (; i + 4 <= end; i += 4) {
    let k = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = end - i;
  if (rest > 0) {
    let k = b[i]!;
    if (rest > 1) k ^= b[i + 1]! << 8;
    if (rest > 2) k ^= b[i + 2]! << 16;
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

/**
 * Open-addressing table from byte strings to values, bounded by entry count and key bytes.
 * When either bound is reached the table is cleared (a new generation starts): simple, and a
 * working set that fits stays warm while one that does not cannot grow memory. Not thread-safe;
 * one per decoder.
 */
export class ByteKeyTable<T> {
  private slots = new Int32Array(1024); // entry index + 1; 0 = empty
  private keyOff = new Uint32Array(512);
  private keyLen = new Uint32Array(512);
  private keyHash = new Int32Array(512);
  /** A small integer per entry, for the caller (the interner keeps UTF-8 validity here). */
  tags = new Uint8Array(512);
  private arena = new Uint8Array(16_384);
  private arenaLen = 0;
  readonly values: T[] = [];
  size = 0;
  /** How many times the table was cleared because it was full. */
  generations = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxKeyBytes: number,
  ) {}

  /** Index of the entry with key b[a:end] (hash h from hashBytes), or -1. */
  find(b: Uint8Array, a: number, end: number, h: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    const len = end - a;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = slots[i]! - 1;
      if (e < 0) return -1;
      if (this.keyHash[e] !== h || this.keyLen[e] !== len) continue;
      const arena = this.arena;
      let o = this.keyOff[e]!;
      let j = a;
      while (j < end && arena[o] === b[j]) {
        o++;
        j++;
      }
      if (j === end) return e;
    }
  }

  /** Adds key b[a:end] (not present) with `value`; returns its index. May clear the table first. */
  insert(b: Uint8Array, a: number, end: number, h: number, value: T, tag = 0): number {
    const len = end - a;
    if (len > this.maxKeyBytes) return -1; // would never fit; the caller keeps the value uncached
    if (this.size >= this.maxEntries || this.arenaLen + len > this.maxKeyBytes) this.clear();
    if ((this.size + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    if (this.arenaLen + len > this.arena.length) {
      let cap = this.arena.length * 2;
      while (cap < this.arenaLen + len) cap *= 2;
      const na = new Uint8Array(Math.min(cap, Math.max(this.maxKeyBytes, this.arenaLen + len)));
      na.set(this.arena.subarray(0, this.arenaLen));
      this.arena = na;
    }
    const e = this.size++;
    if (e >= this.keyOff.length) this.growEntries();
    this.arena.set(b.subarray(a, end), this.arenaLen);
    this.keyOff[e] = this.arenaLen;
    this.keyLen[e] = len;
    this.keyHash[e] = h;
    this.tags[e] = tag;
    this.values[e] = value;
    this.arenaLen += len;
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = h & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = e + 1;
    return e;
  }

  clear(): void {
    if (this.size > 0) this.generations++;
    this.slots.fill(0);
    this.values.length = 0;
    this.size = 0;
    this.arenaLen = 0;
  }

  private growEntries(): void {
    const n = this.keyOff.length * 2;
    const grow = <A extends Uint32Array | Int32Array | Uint8Array>(a: A, make: (n: number) => A): A => {
      const na = make(n);
      na.set(a);
      return na;
    };
    this.keyOff = grow(this.keyOff, (k) => new Uint32Array(k));
    this.keyLen = grow(this.keyLen, (k) => new Uint32Array(k));
    this.keyHash = grow(this.keyHash, (k) => new Int32Array(k));
    this.tags = grow(this.tags, (k) => new Uint8Array(k));
  }

  private rehash(n: number): void {
    const slots = new Int32Array(n);
    const mask = n - 1;
    for (let e = 0; e < this.size; e++) {
      let i = this.keyHash[e]! & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = e + 1;
    }
    this.slots = slots;
  }
}
