import { formatLabels } from './quote.ts';

// Labels: an immutable, sorted set of name/value pairs identifying a series.
// Stored as one flat array [name0, value0, name1, value1, ...] sorted by name, so that
// comparison, hashing and iteration need no per-label objects.

export const METRIC_NAME = '__name__';

export interface Label {
  readonly name: string;
  readonly value: string;
}

export class Labels {
  static readonly EMPTY: Labels = new Labels([]);

  // `flat` must already be sorted by name with unique names; use the factories otherwise.
  private constructor(private readonly flat: readonly string[]) {}

  /** Builds labels from pairs in any order. Empty values are dropped, as in Prometheus. Throws on duplicate names. */
  static fromPairs(pairs: Iterable<readonly [string, string]>): Labels {
    const arr: [string, string][] = [];
    for (const [n, v] of pairs) if (v !== '') arr.push([n, v]);
    arr.sort((a, b) => compareStrings(a[0], b[0]));
    const flat: string[] = [];
    for (let i = 0; i < arr.length; i++) {
      if (i > 0 && arr[i]![0] === arr[i - 1]![0]) throw new Error(`duplicate label name "${arr[i]![0]}"`);
      flat.push(arr[i]![0], arr[i]![1]);
    }
    return new Labels(flat);
  }

  /** Builds labels from an object `{name: value}`. */
  static fromRecord(rec: Readonly<Record<string, string>>): Labels {
    return Labels.fromPairs(Object.entries(rec));
  }

  /** `fromStrings('a', '1', 'b', '2')` in any order. */
  static fromStrings(...nv: string[]): Labels {
    if (nv.length % 2 !== 0) throw new Error('Labels.fromStrings: odd number of strings');
    const pairs: [string, string][] = [];
    for (let i = 0; i < nv.length; i += 2) pairs.push([nv[i]!, nv[i + 1]!]);
    return Labels.fromPairs(pairs);
  }

  /**
   * Wraps an already sorted flat array without copying (trusted callers: decoders whose
   * input is sorted by contract). Use `validateSorted` on untrusted input first.
   */
  static fromSortedFlat(flat: readonly string[]): Labels {
    return flat.length === 0 ? Labels.EMPTY : new Labels(flat);
  }

  /** Returns why a flat name/value array is not valid sorted labels, or undefined when it is. */
  static validateSorted(flat: readonly string[]): string | undefined {
    if (flat.length % 2 !== 0) return 'odd number of label strings';
    for (let i = 2; i < flat.length; i += 2) {
      const c = compareStrings(flat[i - 2]!, flat[i]!);
      if (c === 0) return `duplicate label name "${flat[i]}"`;
      if (c > 0) return `labels not sorted: "${flat[i - 2]}" before "${flat[i]}"`;
    }
    return undefined;
  }

  get length(): number {
    return this.flat.length >> 1;
  }

  isEmpty(): boolean {
    return this.flat.length === 0;
  }

  nameAt(i: number): string {
    return this.flat[2 * i]!;
  }

  valueAt(i: number): string {
    return this.flat[2 * i + 1]!;
  }

  /** The value of `name`, or '' when absent (Prometheus semantics: absent and empty are the same). */
  get(name: string): string {
    // Label sets are small: a linear scan beats binary search below ~16 labels.
    const f = this.flat;
    for (let i = 0; i < f.length; i += 2) if (f[i] === name) return f[i + 1]!;
    return '';
  }

  has(name: string): boolean {
    const f = this.flat;
    for (let i = 0; i < f.length; i += 2) if (f[i] === name) return true;
    return false;
  }

  /** The metric name (`__name__`), or ''. */
  metricName(): string {
    return this.get(METRIC_NAME);
  }

  /** The flat sorted [name, value, ...] array; must not be mutated. */
  toFlat(): readonly string[] {
    return this.flat;
  }

  forEach(fn: (name: string, value: string) => void): void {
    const f = this.flat;
    for (let i = 0; i < f.length; i += 2) fn(f[i]!, f[i + 1]!);
  }

  *[Symbol.iterator](): IterableIterator<Label> {
    const f = this.flat;
    for (let i = 0; i < f.length; i += 2) yield { name: f[i]!, value: f[i + 1]! };
  }

  names(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.flat.length; i += 2) out.push(this.flat[i]!);
    return out;
  }

  toRecord(): Record<string, string> {
    const out: Record<string, string> = {};
    this.forEach((n, v) => (out[n] = v));
    return out;
  }

  equals(o: Labels): boolean {
    if (this === o) return true;
    const a = this.flat;
    const b = o.flat;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /** Copy without `__name__`. */
  withoutMetricName(): Labels {
    return this.without(METRIC_NAME);
  }

  /** Copy without the given names. */
  without(...names: string[]): Labels {
    const f = this.flat;
    const out: string[] = [];
    for (let i = 0; i < f.length; i += 2) if (!names.includes(f[i]!)) out.push(f[i]!, f[i + 1]!);
    return out.length === f.length ? this : Labels.fromSortedFlat(out);
  }

  /** Copy with only the given names. */
  keep(...names: string[]): Labels {
    const f = this.flat;
    const out: string[] = [];
    for (let i = 0; i < f.length; i += 2) if (names.includes(f[i]!)) out.push(f[i]!, f[i + 1]!);
    return out.length === f.length ? this : Labels.fromSortedFlat(out);
  }

  /** A builder starting from these labels. */
  builder(): LabelsBuilder {
    return new LabelsBuilder(this);
  }

  /**
   * Stable 64-bit hash of the sorted names and values (two independent 32-bit lanes).
   * Stable across processes and versions: it is used for sharding and must never change.
   */
  hash(): bigint {
    hashInto(this.flat, HASH_OUT);
    return (BigInt(HASH_OUT[0]!) << 32n) | BigInt(HASH_OUT[1]!);
  }

  /** The same hash folded into 53 bits, usable as a Map key without BigInt. */
  hash53(): number {
    hashInto(this.flat, HASH_OUT);
    return (HASH_OUT[0]! & 0x1fffff) * 0x100000000 + HASH_OUT[1]!;
  }

  /** Prometheus' text form: `{__name__="up", job="x"}` (Go quoting; no special-casing of the name). */
  toString(): string {
    return formatLabels(this.flat);
  }
}

/** Mutable builder; `labels()` returns a new immutable, sorted set. */
export class LabelsBuilder {
  private readonly map = new Map<string, string>();

  constructor(base: Labels = Labels.EMPTY) {
    base.forEach((n, v) => this.map.set(n, v));
  }

  /** Sets a label; an empty value deletes it, as in Prometheus. */
  set(name: string, value: string): this {
    if (value === '') this.map.delete(name);
    else this.map.set(name, value);
    return this;
  }

  del(...names: string[]): this {
    for (const n of names) this.map.delete(n);
    return this;
  }

  get(name: string): string {
    return this.map.get(name) ?? '';
  }

  labels(): Labels {
    return Labels.fromPairs(this.map);
  }
}

/** Orders label sets the way Prometheus does (labels.Compare): name, then value, pairwise; shorter first. */
export function compareLabels(a: Labels, b: Labels): number {
  const fa = a.toFlat();
  const fb = b.toFlat();
  const n = Math.min(fa.length, fb.length);
  for (let i = 0; i < n; i += 2) {
    if (fa[i] !== fb[i]) return compareStrings(fa[i]!, fb[i]!);
    if (fa[i + 1] !== fb[i + 1]) return compareStrings(fa[i + 1]!, fb[i + 1]!);
  }
  return fa.length - fb.length;
}

/**
 * Byte-wise comparison of the UTF-8 encodings, as Go compares strings. JavaScript's `<`
 * compares UTF-16 code units, which orders astral characters differently from U+E000–U+FFFF.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) {
      // Surrogates (0xD800–0xDFFF) encode code points above 0xFFFF, which sort after 0xE000–0xFFFF in UTF-8.
      const sa = ca >= 0xd800 && ca <= 0xdfff;
      const sb = cb >= 0xd800 && cb <= 0xdfff;
      if (sa !== sb) return sa ? (cb >= 0xe000 ? 1 : ca - cb) : ca >= 0xe000 ? -1 : ca - cb;
      return ca - cb;
    }
  }
  return a.length - b.length;
}

const HASH_OUT = new Uint32Array(2);

function hashInto(flat: readonly string[], out: Uint32Array): void {
  let h1 = 0x9747b28c;
  let h2 = 0x85ebca6b;
  for (let i = 0; i < flat.length; i++) {
    const s = flat[i]!;
    for (let j = 0; j < s.length; j++) {
      const c = s.charCodeAt(j);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    // 0xffff separates strings so ("ab","c") and ("a","bc") differ. U+FFFF is a noncharacter, so only
    // strings containing it can collide structurally (("a\uffff","b") and ("a","\uffffb")); a hash
    // collision must be tolerated by every user anyway.
    h1 = Math.imul(h1 ^ 0xffff, 0x01000193);
    h2 = Math.imul(h2 ^ 0xffff, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  out[0] = fmix32(h1 ^ flat.length);
  out[1] = fmix32(h2 ^ Math.imul(flat.length, 0x27d4eb2d));
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
