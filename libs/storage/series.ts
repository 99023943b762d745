// Ready-made series and series sets: in-memory lists, and the empty set.

import type { FloatHistogram, Labels } from '../model/index.ts';
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

  /** Float samples only. */
  atH(): never {
    throw new Error('atH() on a float sample');
  }

  atFH(): never {
    throw new Error('atFH() on a float sample');
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

  // Hand-written rather than an async generator, which costs several microtask turns per series.
  [Symbol.asyncIterator](): AsyncIterator<Series> {
    const series = this.series;
    let i = 0;
    return {
      next: (): Promise<IteratorResult<Series>> =>
        Promise.resolve(i < series.length ? { value: series[i++]!, done: false } : { value: undefined, done: true }),
    };
  }

  all(): readonly Series[] {
    return this.series;
  }

  warnings(): readonly string[] {
    return this.warns;
  }
}

export const EMPTY_SERIES_SET: SeriesSet = new ListSeriesSet([]);

/** A series' samples drained into arrays; see collectSamples. */
export interface CollectedSamples {
  ts: number[];
  /** Float values (0 for histogram samples), in a typed array so that NaN bits survive. */
  vs: Float64Array;
  /** The value type of each sample. */
  types: ValueType[];
  /** The histogram of each Histogram / FloatHistogram sample; undefined for floats. */
  hs: (FloatHistogram | undefined)[];
}

/** Drains an iterator into arrays (tests, tools; not for hot paths). */
export function collectSamples(it: SampleIterator): CollectedSamples {
  const ts: number[] = [];
  const types: ValueType[] = [];
  const hs: (FloatHistogram | undefined)[] = [];
  let vs = new Float64Array(16);
  for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) {
    if (ts.length === vs.length) {
      const grown = new Float64Array(vs.length * 2);
      grown.set(vs);
      vs = grown;
    }
    if (vt === ValueType.Float) {
      vs[ts.length] = it.atF();
      hs.push(undefined);
    } else {
      hs.push(vt === ValueType.Histogram ? it.atH() : it.atFH());
    }
    types.push(vt);
    ts.push(it.atT());
  }
  const err = it.err();
  if (err) throw err;
  return { ts, vs: vs.slice(0, ts.length), types, hs };
}
