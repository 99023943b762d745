// Set operations over postings lists: strictly increasing Uint32Arrays of series refs.
// Inputs must be sorted and duplicate-free; outputs are new arrays with the same property.

const EMPTY = new Uint32Array(0);

/**
 * Smallest index `i >= lo` with `a[i] >= v`, or `a.length`. Gallops (1, 2, 4, ...) before a
 * binary search, so a scan that advances through a long list costs O(log gap) per step.
 */
export function seekPostings(a: Uint32Array, lo: number, v: number): number {
  const n = a.length;
  if (lo >= n || a[lo]! >= v) return lo;
  let step = 1;
  let prev = lo;
  let hi = lo + 1;
  while (hi < n && a[hi]! < v) {
    prev = hi;
    step *= 2;
    hi = lo + step;
  }
  // a[prev] < v, and a[hi] >= v or hi >= n.
  let l = prev + 1;
  let h = Math.min(hi, n);
  while (l < h) {
    const m = (l + h) >>> 1;
    if (a[m]! < v) l = m + 1;
    else h = m;
  }
  return l;
}

/** Series present in every list. Walks the shortest list and gallops through the others. */
export function intersectPostings(lists: readonly Uint32Array[]): Uint32Array {
  if (lists.length === 0) return EMPTY;
  if (lists.length === 1) return lists[0]!.slice();
  const sorted = [...lists].sort((x, y) => x.length - y.length);
  const base = sorted[0]!;
  if (base.length === 0) return EMPTY;
  const others = sorted.slice(1);
  const pos = new Array<number>(others.length).fill(0);
  const out = new Uint32Array(base.length);
  let n = 0;
  outer: for (let i = 0; i < base.length; i++) {
    const v = base[i]!;
    for (let k = 0; k < others.length; k++) {
      const o = others[k]!;
      const p = seekPostings(o, pos[k]!, v);
      pos[k] = p;
      if (p >= o.length) break outer; // One list is exhausted: nothing more can match.
      if (o[p]! !== v) continue outer;
    }
    out[n++] = v;
  }
  return out.slice(0, n);
}

/** Union of the lists, deduplicated. Merges pairwise in a balanced tree: O(total · log k). */
export function mergePostings(lists: readonly Uint32Array[]): Uint32Array {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return EMPTY;
  if (nonEmpty.length === 1) return nonEmpty[0]!.slice();
  let level = nonEmpty;
  while (level.length > 1) {
    const next: Uint32Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? merge2(level[i]!, level[i + 1]!) : level[i]!);
    level = next;
  }
  return level[0]!;
}

function merge2(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x < y) {
      out[n++] = x;
      i++;
    } else if (y < x) {
      out[n++] = y;
      j++;
    } else {
      out[n++] = x;
      i++;
      j++;
    }
  }
  while (i < a.length) out[n++] = a[i++]!;
  while (j < b.length) out[n++] = b[j++]!;
  return n === out.length ? out : out.slice(0, n);
}

/** Series in `a` that are not in `b`. */
export function withoutPostings(a: Uint32Array, b: Uint32Array): Uint32Array {
  if (b.length === 0 || a.length === 0) return a.slice();
  const out = new Uint32Array(a.length);
  let n = 0;
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    j = seekPostings(b, j, v);
    if (j >= b.length) {
      // Nothing left to subtract: copy the rest.
      out.set(a.subarray(i), n);
      n += a.length - i;
      break;
    }
    if (b[j]! !== v) out[n++] = v;
  }
  return out.slice(0, n);
}
