// Deduplication of HA pairs at query time (Thanos' `--query.replica-label`, here
// `querier.replica_labels`): series that differ only in a replica label become one series, and
// its samples come from one replica at a time: the one with the earliest next sample, where the
// replica not followed must be ahead by a penalty (twice the last gap) to be switched to, so that
// two replicas scraping at different offsets do not interleave, and a gap in one is filled from
// the other.
import { compareLabels, type FloatHistogram, type Histogram, type Labels, type Matcher } from '../../libs/model/index.ts';
import {
  ValueType, type Querier, type Queryable, type QueryOptions, type SampleIterator, type SelectHints, type Series, type SeriesSet,
} from '../../libs/storage/index.ts';

/** Penalty before the first gap is known (Thanos' initial penalty). */
const INITIAL_PENALTY = 5_000;

/** Follows one of two replicas' iterators, switching when the followed one falls behind. */
export class DedupSampleIterator implements SampleIterator {
  private aType: ValueType = ValueType.None;
  private bType: ValueType = ValueType.None;
  private started = false;
  private useA = true;
  private lastT = -Infinity;
  private penA = 0;
  private penB = 0;

  constructor(
    private readonly a: SampleIterator,
    private readonly b: SampleIterator,
  ) {}

  next(): ValueType {
    if (!this.started) {
      this.started = true;
      this.aType = this.a.next();
      this.bType = this.b.next();
    } else {
      // Each replica moves past the last sample plus its penalty.
      if (this.aType !== ValueType.None) this.aType = this.a.seek(this.lastT + 1 + this.penA);
      if (this.bType !== ValueType.None) this.bType = this.b.seek(this.lastT + 1 + this.penB);
    }
    return this.pick();
  }

  seek(t: number): ValueType {
    if (this.started && this.cur() !== ValueType.None && this.atT() >= t) return this.cur();
    if (!this.started) {
      this.started = true;
      this.aType = this.a.seek(t);
      this.bType = this.b.seek(t);
    } else {
      if (this.aType !== ValueType.None) this.aType = this.a.seek(t);
      if (this.bType !== ValueType.None) this.bType = this.b.seek(t);
    }
    this.penA = 0;
    this.penB = 0;
    this.lastT = -Infinity;
    return this.pick();
  }

  private pick(): ValueType {
    const last = this.lastT;
    if (this.aType === ValueType.None && this.bType === ValueType.None) return ValueType.None;
    if (this.bType === ValueType.None || (this.aType !== ValueType.None && this.a.atT() <= this.b.atT())) {
      this.useA = true;
      this.lastT = this.a.atT();
      this.penB = last === -Infinity ? INITIAL_PENALTY : 2 * (this.lastT - last);
      this.penA = 0;
      return this.aType;
    }
    this.useA = false;
    this.lastT = this.b.atT();
    this.penA = last === -Infinity ? INITIAL_PENALTY : 2 * (this.lastT - last);
    this.penB = 0;
    return this.bType;
  }

  private cur(): ValueType {
    return this.useA ? this.aType : this.bType;
  }

  atT(): number {
    return this.useA ? this.a.atT() : this.b.atT();
  }

  atF(): number {
    return this.useA ? this.a.atF() : this.b.atF();
  }

  atH(h?: Histogram): Histogram {
    return this.useA ? this.a.atH(h) : this.b.atH(h);
  }

  atFH(fh?: FloatHistogram): FloatHistogram {
    return this.useA ? this.a.atFH(fh) : this.b.atFH(fh);
  }

  err(): Error | undefined {
    return this.a.err() ?? this.b.err();
  }
}

class DedupSeries implements Series {
  constructor(
    readonly labels: Labels,
    private readonly replicas: readonly Series[],
  ) {}

  iterator(): SampleIterator {
    let it = this.replicas[0]!.iterator();
    for (let i = 1; i < this.replicas.length; i++) it = new DedupSampleIterator(it, this.replicas[i]!.iterator());
    return it;
  }
}

/** `inner` with the series of HA replicas merged (no-op without replica labels). */
export class ReplicaDedupQueryable implements Queryable {
  constructor(
    private readonly inner: Queryable,
    private readonly replicaLabels: readonly string[],
  ) {}

  querier(mint: number, maxt: number): Querier {
    const q = this.inner.querier(mint, maxt);
    const drop = this.replicaLabels;
    return {
      select: (_sorted: boolean, hints: SelectHints | undefined, matchers: readonly Matcher[], opts?: QueryOptions): SeriesSet => {
        const set = q.select(true, hints, matchers, opts);
        return {
          async *[Symbol.asyncIterator](): AsyncIterator<Series> {
            // Without the replica labels the order changes: collect, sort, group.
            const all: { labels: Labels; series: Series }[] = [];
            for await (const s of set) all.push({ labels: s.labels.without(...drop), series: s });
            all.sort((x, y) => compareLabels(x.labels, y.labels));
            for (let i = 0; i < all.length; ) {
              const labels = all[i]!.labels;
              const group: Series[] = [];
              for (; i < all.length && compareLabels(all[i]!.labels, labels) === 0; i++) group.push(all[i]!.series);
              yield group.length === 1 ? { labels, iterator: (r?: SampleIterator) => group[0]!.iterator(r) } : new DedupSeries(labels, group);
            }
          },
          warnings: () => set.warnings(),
        };
      },
      labelNames: async (matchers, opts) => (await q.labelNames(matchers, opts)).filter((n) => !drop.includes(n)),
      labelValues: (name, matchers, opts) => (drop.includes(name) ? Promise.resolve([]) : q.labelValues(name, matchers, opts)),
      close: () => q.close(),
    };
  }
}
