// PromQL values (promql/value.go): scalars, strings, instant vectors and range vectors (matrices),
// and the calling convention of PromQL functions. Points carry a float or a float histogram.

import type { FloatHistogram, Labels } from '../../model/index.ts';
import type { Expr } from '../parser/ast.ts';
import type { Annotations } from './annotations.ts';

/** A native float histogram: the storage model's type (libs/model/histogram.ts). */
export type { FloatHistogram };

export interface FPoint {
  t: number;
  f: number;
}

export interface HPoint {
  t: number;
  h: FloatHistogram;
}

/** One element of an instant vector. Exactly one of `f`/`h` is meaningful (`h` set → histogram). */
export interface Sample {
  metric: Labels;
  t: number;
  f: number;
  h?: FloatHistogram;
  /** The metric name is to be dropped at the end of evaluation (delayed name removal). */
  dropName?: boolean;
}

export type Vector = Sample[];

/** One series of a range vector; points sorted by time. */
export interface Series {
  metric: Labels;
  floats: FPoint[];
  histograms?: HPoint[];
  dropName?: boolean;
}

export type Matrix = Series[];

export interface Scalar {
  t: number;
  v: number;
}

export interface StringValue {
  t: number;
  v: string;
}

export type Value =
  | { type: 'scalar'; value: Scalar }
  | { type: 'string'; value: StringValue }
  | { type: 'vector'; value: Vector }
  | { type: 'matrix'; value: Matrix };

/** Per-step state handed to functions (promql.EvalNodeHelper): the step's timestamp and scratch. */
/** The float samples of a range window: timestamps ts[lo..hi) and their values fs[lo..hi), oldest first. */
export interface FloatWindow {
  readonly ts: Float64Array;
  readonly fs: Float64Array;
  readonly lo: number;
  readonly hi: number;
}

export interface EvalNodeHelper {
  /** Evaluation timestamp of the current step, ms. */
  ts: number;
  /** Output buffer the function may reuse (engine clears it between steps). */
  out: Vector;
  /** Per-call caches a function may keep across steps (keyed by the function's own needs). */
  cache: Map<string, unknown>;
  /**
   * The engine's delayed name removal (Prometheus' EnableDelayedNameRemoval). When false or
   * unset, functions drop `__name__` from their output metrics themselves; when true they keep
   * it and only mark samples `dropName`, and the engine removes it at the end.
   */
  enableDelayedNameRemoval?: boolean;
}

/**
 * A PromQL function, with Prometheus' calling convention (promql.FunctionCall):
 * - `vectorVals[i]` is argument i evaluated at this step when it is an instant vector; a scalar
 *   argument arrives as a one-sample vector (its value in `[0].f`); string arguments are read
 *   from `args[i]` (a StringLiteral).
 * - `matrixVals` is, for functions over a range vector, the one series being processed with the
 *   points inside the current window (and `args` tells which argument it was).
 * - Instant-vector functions return a vector with the right metrics and values (timestamps are
 *   set by the engine); range-vector functions return at most one sample whose metric the engine
 *   replaces with the input series' metric (dropping `__name__` where Prometheus does).
 * - Scalar results are returned as the value of a one-sample vector.
 * Annotations (warnings/infos) are added to `annos` with the position of the relevant argument.
 */
export type FunctionCall = (
  vectorVals: Vector[],
  matrixVals: Matrix,
  args: readonly Expr[],
  enh: EvalNodeHelper,
  annos: Annotations,
) => Vector;
