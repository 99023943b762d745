// Resolves label matchers to a sorted postings list over any index (head or block), with
// Prometheus' semantics: a matcher that matches the empty string also selects series that
// lack the label.

import { MatchType, type Matcher } from '../model/index.ts';
import { intersectPostings, mergePostings, withoutPostings } from './index/index.ts';

/** The read side of an index that matchers need; implemented by the head and block indexes. */
export interface PostingsIndex {
  /** Sorted values of a label name. */
  labelValues(name: string): string[];
  /** Sorted union of the postings of `name=value` for every given value. */
  postings(name: string, values: readonly string[]): Uint32Array;
  /** Every series, sorted. */
  allPostings(): Uint32Array;
}

export function postingsForMatchers(ix: PostingsIndex, matchers: readonly Matcher[]): Uint32Array {
  if (matchers.length === 0) return ix.allPostings();
  const its: Uint32Array[] = [];
  const notIts: Uint32Array[] = [];
  // Matchers that don't match "" narrow the set; do them first so an empty result short-circuits.
  for (const m of matchers) {
    if (m.matches('')) continue;
    const p = postingsMatching(ix, m, true);
    if (p.length === 0) return p;
    its.push(p);
  }
  for (const m of matchers) {
    if (!m.matches('')) continue;
    // Series carrying the label with a value the matcher rejects are excluded; series without it match.
    const excluded = postingsMatching(ix, m, false);
    if (excluded.length > 0) notIts.push(excluded);
  }
  const base = its.length > 0 ? intersectPostings(its) : ix.allPostings();
  return notIts.length > 0 ? withoutPostings(base, mergePostings(notIts)) : base;
}

/** Postings of series whose value for `m.name` is non-empty and does (`want`) / does not match. */
function postingsMatching(ix: PostingsIndex, m: Matcher, want: boolean): Uint32Array {
  if (want && m.type === MatchType.Equal) return ix.postings(m.name, [m.value]);
  const set = want ? m.setMatches() : undefined;
  if (set) return ix.postings(m.name, set);
  const values = ix.labelValues(m.name).filter((v) => m.matches(v) === want);
  return values.length === 0 ? EMPTY : ix.postings(m.name, values);
}

const EMPTY = new Uint32Array(0);
