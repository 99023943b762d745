// The storage contracts every data source implements (head, block, DB, and later the
// ingester and store-gateway clients). Modelled on Prometheus' storage/interface.go.
//
// Series are iterated asynchronously (they may come from a remote stream); samples are
// iterated synchronously (a hot loop must not await per sample).

import type { FloatHistogram, Histogram, Labels, Matcher } from '../model/index.ts';

/** What an iterator is positioned on. `None` means exhausted (or error: check `err()`). */
export const ValueType = {
  None: 0,
  Float: 1,
  Histogram: 2,
  FloatHistogram: 3,
} as const;
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/**
 * Iterates the samples of one series in increasing timestamp order. A series may hold float
 * samples, integer histograms and float histograms, even mixed; `next`/`seek` say which one the
 * iterator is on. Timestamps are milliseconds since the epoch; float values are float64 (stale
 * NaN bits preserved; a histogram's stale marker is its `sum`).
 * `atT` is valid after `next`/`seek` returned a value type other than `None`; the value getters
 * only for the value type they serve (they may throw otherwise).
 */
export interface SampleIterator {
  /** Advances to the next sample. */
  next(): ValueType;
  /**
   * Advances to the first sample with timestamp >= t; does not move if already there.
   * Never moves backwards.
   */
  seek(t: number): ValueType;
  atT(): number;
  /** The value of a `Float` sample. */
  atF(): number;
  /**
   * The `Histogram` sample (absolute bucket counts). With `h`, fills it in and returns it,
   * reusing its arrays (like Prometheus' AtHistogram(h)); without, returns a new histogram the
   * caller owns. Either way nothing returned is shared with the iterator.
   */
  atH(h?: Histogram): Histogram;
  /** The `FloatHistogram` sample, or a `Histogram` sample as a float histogram; `fh` as for atH. */
  atFH(fh?: FloatHistogram): FloatHistogram;
  /** The error that ended iteration early, if any. */
  err(): Error | undefined;
}

/** A series: labels plus a way to iterate its samples. `iterator(reuse)` may recycle `reuse`. */
export interface Series {
  readonly labels: Labels;
  iterator(reuse?: SampleIterator): SampleIterator;
}

/**
 * A set of series. When `sorted` was requested, series come in `compareLabels` order, each
 * label set once. Iterate at most once.
 */
export interface SeriesSet extends AsyncIterable<Series> {
  /** Non-fatal problems met while producing the set; complete only after iteration. */
  warnings(): readonly string[];
  /**
   * Optional, for sets already held in memory whole: every series, in iteration order, taken
   * instead of iterating (an await per series cost more than selecting one from the head).
   * Counts as the one iteration; warnings() is complete once it returns.
   */
  all?(): readonly Series[];
}

/** Optional hints about how the selected data will be used (like Prometheus' SelectHints). */
export interface SelectHints {
  /** Start and end of the time range needed, in ms (inclusive). */
  start: number;
  end: number;
  step?: number;
  func?: string;
  /** Only labels are needed (no samples): a series endpoint call. */
  seriesOnly?: boolean;
}

export interface QueryOptions {
  /** Aborted when the client goes away or the query times out. */
  signal?: AbortSignal;
}

/**
 * Reads one time range [mint, maxt] (ms, inclusive) of a data source.
 * Queriers are cheap to create; `close` releases what they hold (pinned blocks, reads).
 */
export interface Querier {
  select(sorted: boolean, hints: SelectHints | undefined, matchers: readonly Matcher[], opts?: QueryOptions): SeriesSet;
  /** Sorted unique label names of series matching all matchers (all series when none). */
  labelNames(matchers: readonly Matcher[], opts?: QueryOptions): Promise<string[]>;
  /** Sorted unique values of `name` among series matching all matchers. */
  labelValues(name: string, matchers: readonly Matcher[], opts?: QueryOptions): Promise<string[]>;
  close(): void;
}

export interface Queryable {
  querier(mint: number, maxt: number): Querier;
}

/**
 * Reference to a series inside an appender's storage, returned by `append` and valid for later
 * appends to the same storage. 0 means "unknown": look the series up by its labels.
 */
export type SeriesRef = number;

/**
 * A write transaction. `append` buffers (and may throw a per-sample error, leaving the rest
 * of the transaction usable); `commit` makes everything appended durable (WAL) and visible,
 * and resolves only after that; `rollback` discards. An appender is used once.
 */
export interface Appender {
  append(ref: SeriesRef, labels: Labels, t: number, v: number): SeriesRef;
  /**
   * Appends a native histogram: the integer histogram `h`, or with `h` undefined the float
   * histogram `fh` (Prometheus' AppendHistogram(ref, l, t, h, fh)). The same rules as `append`,
   * plus validation. The histogram must not change until the commit resolved.
   */
  appendHistogram(ref: SeriesRef, labels: Labels, t: number, h: Histogram | undefined, fh?: FloatHistogram): SeriesRef;
  commit(): Promise<void>;
  rollback(): void;
}

export interface Appendable {
  appender(): Appender;
}
