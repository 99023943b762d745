// Ready-made series and series sets: in-memory lists, and the empty set.

import type { Labels } from '../model/index.ts';
import { ValueType, type SampleIterator, type Series, type SeriesSet } from './interface.ts';

/** Iterates samples held in typed arrays (or plain arrays of timestamps with a Float64Array of values). */
export class ListSampleIterator implements SampleIterator {
  private i = -1;

  constructor(
    private readonly ts: ArrayLike<number>,
    private readonly vs: Float64Array,
  ) {}

  next(): ValueType {
    if (this.i < this.ts.length) this.i++;
    return this.i < this.ts.length ? ValueType.Float : ValueType.None;
  }

  seek(t: number): ValueType {
    if (this.i < 0) this.i = 0;
    while (this.i < this.ts.length && this.ts[this.i]! < t) this.i++;
    return this.i < this.ts.length ? ValueType.Float : ValueType.None;
  }

  atT(): number {
    return this.ts[this.i]!;
  }

  atF(): number {
    return this.vs[this.i]!;
  }

  err(): Error | undefined {
    return undefined;
  }
}

export class ListSeries implements Series {
  constructor(
    readonly labels: Labels,
    private readonly ts: ArrayLike<number>,
    private readonly vs: Float64Array,
  ) {}

  iterator(): SampleIterator {
    return new ListSampleIterator(this.ts, this.vs);
  }
}

export class ListSeriesSet implements SeriesSet {
  constructor(
    private readonly series: readonly Series[],
    private readonly warns: readonly string[] = [],
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<Series> {
    for (const s of this.series) yield s;
  }

  warnings(): readonly string[] {
    return this.warns;
  }
}

export const EMPTY_SERIES_SET: SeriesSet = new ListSeriesSet([]);

/** Drains an iterator into arrays (tests, tools; not for hot paths). Values stay in a typed array so NaN bits survive. */
export function collectSamples(it: SampleIterator): { ts: number[]; vs: Float64Array } {
  const ts: number[] = [];
  let vs = new Float64Array(16);
  while (it.next() !== ValueType.None) {
    if (ts.length === vs.length) {
      const grown = new Float64Array(vs.length * 2);
      grown.set(vs);
      vs = grown;
    }
    vs[ts.length] = it.atF();
    ts.push(it.atT());
  }
  const err = it.err();
  if (err) throw err;
  return { ts, vs: vs.slice(0, ts.length) };
}
