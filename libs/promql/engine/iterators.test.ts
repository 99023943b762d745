// Look-back selection and sliding windows against naive definitions, on random series and steps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Labels, STALE_NAN, staleHistogram, type FloatHistogram } from '../../model/index.ts';
import { ListSampleIterator, type Series } from '../../storage/index.ts';
import { LookbackIterator, PointsSeries, WindowReader } from './iterators.ts';

/** Sorted unique timestamps with values; some values are stale markers (flag). Long enough for a window to outgrow its arrays. */
const seriesArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 2000 }), { maxLength: 200 })
  .chain((ts) => fc.tuple(fc.constant([...ts].sort((a, b) => a - b)), fc.array(fc.boolean(), { minLength: ts.length, maxLength: ts.length })));

function series(ts: number[], stale: boolean[]): Series {
  const vs = new Float64Array(ts.length);
  ts.forEach((t, i) => (vs[i] = stale[i] ? STALE_NAN : t * 10));
  return { labels: Labels.EMPTY, iterator: () => new ListSampleIterator(ts, vs) };
}

describe('LookbackIterator', () => {
  it('finds the latest sample in (t - lookback, t] unless it is a stale marker', () => {
    fc.assert(
      // The iterator may forget samples older than its delta: the engine uses the look-back delta or one less.
      fc.property(seriesArb, fc.integer({ min: 2, max: 300 }), fc.integer({ min: 1, max: 200 }), fc.boolean(), ([ts, stale], lookback, step, less) => {
        const it = new LookbackIterator(less ? lookback - 1 : lookback);
        it.reset(series(ts, stale));
        for (let t = 0; t <= 2300; t += step) {
          let want: number | undefined;
          for (let i = ts.length - 1; i >= 0; i--) {
            if (ts[i]! <= t) {
              if (ts[i]! > t - lookback && !stale[i]) want = ts[i];
              break;
            }
          }
          const got = it.select(t, lookback) ? it.t : undefined;
          assert.equal(got, want, `t=${t}`);
          if (got !== undefined) assert.equal(it.f, got * 10);
        }
      }),
    );
  });
});

describe('WindowReader', () => {
  it('holds exactly the non-stale samples of (maxt - range, maxt] as the window slides', () => {
    fc.assert(
      fc.property(seriesArb, fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 500 }), ([ts, stale], range, step) => {
        const r = new WindowReader();
        r.reset(series(ts, stale));
        let held = 0;
        for (let maxt = 0; maxt <= 2300; maxt += step) {
          held += r.fill(maxt - range, maxt);
          const want = ts.filter((t, i) => t > maxt - range && t <= maxt && !stale[i]);
          assert.deepEqual(r.points().map((p) => p.t), want, `maxt=${maxt}`);
          assert.deepEqual(r.points().map((p) => p.f), want.map((t) => t * 10));
          assert.deepEqual([...r.ts.subarray(r.lo, r.hi)], want);
          assert.deepEqual([...r.fs.subarray(r.lo, r.hi)], want.map((t) => t * 10));
          assert.equal(held, want.length);
        }
      }),
    );
  });
});

describe('histogram samples', () => {
  const hist = (count: number): FloatHistogram => ({
    counterResetHint: 'unknown', schema: 0, zeroThreshold: 0, zeroCount: 0, count, sum: count,
    positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [count], negativeSpans: [], negativeBuckets: [],
  });
  // Floats at 10 and 40, histograms at 20 (count 5), 30 (count 2: a reset) and 50 (stale).
  const mixed = (): PointsSeries =>
    new PointsSeries(Labels.EMPTY, [{ t: 10, f: 1 }, { t: 40, f: 4 }], false, [
      { t: 20, h: hist(5) }, { t: 30, h: hist(2) }, { t: 50, h: staleHistogram() },
    ]);

  it('are selected next to floats, and a stale histogram ends the series', () => {
    const it = new LookbackIterator(100);
    it.reset(mixed());
    const got: string[] = [];
    for (const t of [10, 25, 35, 45, 55]) got.push(it.select(t, 100) ? (it.h ? `h${it.h.count}` : `f${it.f}`) : '-');
    assert.deepEqual(got, ['f1', 'h5', 'h2', 'f4', '-']);
  });

  it('fill windows beside the floats, with inferred resets for statistics-only reads', () => {
    const w = new WindowReader();
    w.reset(mixed(), true);
    assert.equal(w.fill(0, 60), 4);
    assert.deepEqual(w.histPoints().map((p) => [p.t, p.h.counterResetHint]), [[20, 'unknown'], [30, 'reset']]);
    w.fill(25, 60);
    assert.equal(w.histCount, 1);
    assert.equal(w.length, 2);
  });
});
