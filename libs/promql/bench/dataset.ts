// The PromQL bench's data: counters `x` (job × instance) and classic histograms `h` (10 `le`
// buckets, _sum, _count) scraped every 15s for 2h up to "now", generated deterministically so our
// head and Prometheus get bit-identical samples.

import { Labels } from '../../model/index.ts';

export const SCRAPE_INTERVAL = 15_000;
export const JOBS = 10;
export const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
const BOUNDS = BUCKETS.map(Number);
/** Series per histogram: one per bucket, _sum and _count. */
const PER_HISTOGRAM = BUCKETS.length + 2;

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DatasetOptions {
  /** Total series (default 10,000): ~90% `x`, the rest whole histograms. */
  series?: number;
  /** Scrape rounds (default 481: 2h at 15s). */
  rounds?: number;
  /** Wall clock to end at (default Date.now()). */
  now?: number;
}

export class Dataset {
  readonly labels: Labels[] = [];
  /**
   * Scrape offset of each series inside its 15s slot, 1–14s, so that no sample sits exactly on a
   * window boundary: Prometheus 2.42 closes range windows on the left and 3.x does not.
   */
  readonly offsets: Int32Array;
  readonly rounds: number;
  /**
   * The instant-query time: a multiple of 15s that is 30s past a minute, so neither range windows
   * nor 1m subquery steps meet a boundary sample; at most 90s before now.
   */
  readonly end: number;
  readonly counters: number;
  readonly histograms: number;

  constructor(opts: DatasetOptions = {}) {
    const n = opts.series ?? 10_000;
    this.rounds = opts.rounds ?? 481;
    const now = opts.now ?? Date.now();
    this.end = Math.floor(now / 60_000) * 60_000 - 30_000;
    this.histograms = Math.max(1, Math.round((n * 0.1) / PER_HISTOGRAM));
    this.counters = Math.max(JOBS, n - this.histograms * PER_HISTOGRAM);
    const offsets: number[] = [];
    const offsetOf = (instance: number) => 1_000 + ((instance * 7_919) % 13_001);
    for (let i = 0; i < this.counters; i++) {
      this.labels.push(Labels.fromStrings('__name__', 'x', 'job', `job-${i % JOBS}`, 'instance', `host-${i}:9100`));
      offsets.push(offsetOf(i));
    }
    for (let h = 0; h < this.histograms; h++) {
      const base = ['job', `job-${h % JOBS}`, 'instance', `hist-${h}:8080`];
      for (const le of BUCKETS) this.labels.push(Labels.fromStrings('__name__', 'h_bucket', ...base, 'le', le));
      this.labels.push(Labels.fromStrings('__name__', 'h_sum', ...base));
      this.labels.push(Labels.fromStrings('__name__', 'h_count', ...base));
      for (let k = 0; k < PER_HISTOGRAM; k++) offsets.push(offsetOf(this.counters + h));
    }
    this.offsets = Int32Array.from(offsets);
  }

  get numSeries(): number {
    return this.labels.length;
  }

  /** Start of round r's 15s slot; series i's sample of that round is at roundTime(r) - offsets[i]. */
  roundTime(r: number): number {
    return this.end - (this.rounds - 1 - r) * SCRAPE_INTERVAL;
  }

  /**
   * Yields each round, in time order, with every series' value of that round (the same array
   * each time). Counters grow by quarters (exact in binary) and reset now and then.
   */
  *roundValues(): Generator<[round: number, values: Float64Array]> {
    const r = rng(20_240_601);
    const values = new Float64Array(this.numSeries);
    const obs = new Float64Array(BUCKETS.length);
    for (let round = 0; round < this.rounds; round++) {
      for (let i = 0; i < this.counters; i++) {
        values[i] = r() < 0.0005 ? 0 : values[i]! + Math.floor(r() * 400) / 4;
      }
      for (let h = 0; h < this.histograms; h++) {
        const o = this.counters + h * PER_HISTOGRAM;
        obs.fill(0);
        let sum = 0;
        const count = Math.floor(r() * 40);
        for (let k = 0; k < count; k++) {
          const v = 0.002 * Math.exp(r() * 7); // 2ms .. 2.2s, log-uniform
          sum += v;
          let b = 0;
          while (v > BOUNDS[b]!) b++;
          obs[b]!++;
        }
        let cum = 0;
        for (let b = 0; b < BUCKETS.length; b++) {
          cum += obs[b]!;
          values[o + b] = values[o + b]! + cum;
        }
        values[o + BUCKETS.length] = values[o + BUCKETS.length]! + sum;
        values[o + BUCKETS.length + 1] = values[o + BUCKETS.length + 1]! + count;
      }
      yield [round, values];
    }
  }
}
