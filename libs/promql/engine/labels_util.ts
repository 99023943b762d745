// Label-set keys and projections the evaluator needs: exact string keys for grouping and
// matching (no hash collisions to handle), and Prometheus' MatchLabels / metadata dropping.

import { Labels, METRIC_NAME } from '../../model/index.ts';

const SEP = '\xff';
const keyCache = new WeakMap<Labels, string>();

/** An exact key of the whole label set; cached per Labels object (label sets are shared across steps). */
export function labelsKey(ls: Labels): string {
  let k = keyCache.get(ls);
  if (k === undefined) {
    k = ls.toFlat().join(SEP);
    keyCache.set(ls, k);
  }
  return k;
}

/** Key of the labels named in `sortedNames` (absent and empty are the same, as in Prometheus). */
export function keyWith(ls: Labels, sortedNames: readonly string[]): string {
  const f = ls.toFlat();
  let out = '';
  for (let i = 0; i < f.length; i += 2) {
    if (sortedNames.includes(f[i]!)) out += f[i] + SEP + f[i + 1] + SEP;
  }
  return out;
}

/** Key of every label except those in `names`. */
export function keyWithout(ls: Labels, names: readonly string[]): string {
  const f = ls.toFlat();
  let out = '';
  for (let i = 0; i < f.length; i += 2) {
    if (!names.includes(f[i]!)) out += f[i] + SEP + f[i + 1] + SEP;
  }
  return out;
}

/**
 * Prometheus' Labels.MatchLabels: with `on`, the labels named; otherwise all but those named
 * and `__name__`.
 */
export function matchLabels(ls: Labels, on: boolean, names: readonly string[]): Labels {
  const f = ls.toFlat();
  const out: string[] = [];
  for (let i = 0; i < f.length; i += 2) {
    const n = f[i]!;
    const named = names.includes(n);
    if (on === named && (on || n !== METRIC_NAME)) out.push(n, f[i + 1]!);
  }
  return out.length === f.length ? ls : Labels.fromSortedFlat(out);
}

/** Labels that describe the metric's schema: dropped together when an operation changes its meaning. */
export const METADATA_LABELS: readonly string[] = [METRIC_NAME, '__type__', '__unit__'];

/** Labels.DropReserved(schema.IsMetadataLabel): without `__name__`, `__type__` and `__unit__`. */
export function dropMetadata(ls: Labels): Labels {
  const f = ls.toFlat();
  for (let i = 0; i < f.length; i += 2) {
    if (METADATA_LABELS.includes(f[i]!)) return ls.without(...METADATA_LABELS);
  }
  return ls;
}
