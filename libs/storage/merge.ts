// Merging sorted series sets into one: series with equal labels become one series whose samples
// are the union by timestamp (the first source wins on equal timestamps). This is how a DB merges
// its head and blocks, and later how queriers merge replicas.

import { compareLabels, type FloatHistogram, type Histogram, type Labels } from '../model/index.ts';
import { ValueType, type SampleIterator, type Series, type SeriesSet } from './interface.ts';

/** Merges series sets that are each sorted by labels. */
export function mergeSeriesSets(sets: readonly SeriesSet[]): SeriesSet {
  if (sets.length === 1) return sets[0]!;
  return new MergedSeriesSet(sets);
}

class MergedSeriesSet implements SeriesSet {
  constructor(private readonly sets: readonly SeriesSet[]) {}

  async *[Symbol.asyncIterator](): AsyncIterator<Series> {
    const iters = this.sets.map((s) => s[Symbol.asyncIterator]());
    const heads: (Series | undefined)[] = await Promise.all(iters.map(async (it) => (await it.next()).value as Series | undefined));
    for (;;) {
      let min: Labels | undefined;
      for (const h of heads) if (h && (!min || compareLabels(h.labels, min) < 0)) min = h.labels;
      if (!min) return;
      const same: Series[] = [];
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h && compareLabels(h.labels, min) === 0) {
          same.push(h);
          heads[i] = (await iters[i]!.next()).value as Series | undefined;
        }
      }
      yield same.length === 1 ? same[0]! : new MergedSeries(min, same);
    }
  }

  warnings(): readonly string[] {
    return this.sets.flatMap((s) => s.warnings());
  }
}

export class MergedSeries implements Series {
  constructor(
    readonly labels: Labels,
    private readonly series: readonly Series[],
  ) {}

  iterator(): SampleIterator {
    return new MergedSampleIterator(this.series.map((s) => s.iterator()));
  }
}

/** Union of sample iterators by timestamp; on equal timestamps the earliest iterator's sample is kept. */
export class MergedSampleIterator implements SampleIterator {
  private readonly state: ValueType[];
  private cur = -1;
  private started = false;

  constructor(private readonly its: readonly SampleIterator[]) {
    this.state = its.map(() => ValueType.None);
  }

  private pick(): ValueType {
    let best = -1;
    let bestT = Infinity;
    for (let i = 0; i < this.its.length; i++) {
      if (this.state[i] === ValueType.None) continue;
      const t = this.its[i]!.atT();
      if (t < bestT) {
        bestT = t;
        best = i;
      }
    }
    this.cur = best;
    return best < 0 ? ValueType.None : this.state[best]!;
  }

  next(): ValueType {
    if (!this.started) {
      this.started = true;
      for (let i = 0; i < this.its.length; i++) this.state[i] = this.its[i]!.next();
      return this.pick();
    }
    if (this.cur < 0) return ValueType.None;
    const t = this.its[this.cur]!.atT();
    // Advance every iterator positioned at t, so duplicates are skipped.
    for (let i = 0; i < this.its.length; i++) {
      if (this.state[i] !== ValueType.None && this.its[i]!.atT() === t) this.state[i] = this.its[i]!.next();
    }
    return this.pick();
  }

  seek(t: number): ValueType {
    if (this.started && this.cur >= 0 && this.its[this.cur]!.atT() >= t) return this.state[this.cur]!;
    this.started = true;
    for (let i = 0; i < this.its.length; i++) this.state[i] = this.its[i]!.seek(t);
    return this.pick();
  }

  atT(): number {
    return this.its[this.cur]!.atT();
  }

  atF(): number {
    return this.its[this.cur]!.atF();
  }

  atH(h?: Histogram): Histogram {
    return this.its[this.cur]!.atH(h);
  }

  atFH(fh?: FloatHistogram): FloatHistogram {
    return this.its[this.cur]!.atFH(fh);
  }

  err(): Error | undefined {
    for (const it of this.its) {
      const e = it.err();
      if (e) return e;
    }
    return undefined;
  }
}
