// The PromQL parts the query API uses, gathered in one place: the parser's entry points, the
// value and annotation types, and the shape of the engine the handlers drive.

import type { Queryable } from '../../libs/storage/index.ts';
import type { Annotations, Value } from '../../libs/promql/engine/index.ts';

export type { Expr, VectorSelector } from '../../libs/promql/parser/index.ts';
export { parseExpr, parseMetricSelector, prettify } from '../../libs/promql/parser/index.ts';
export type { Annotation, FloatHistogram, Matrix, Value, Vector } from '../../libs/promql/engine/index.ts';
export { Annotations, Engine, renderAnnotation } from '../../libs/promql/engine/index.ts';
export type { EngineOptions } from '../../libs/promql/engine/index.ts';

/** Per-query options the API passes on (Prometheus' QueryOpts plus the request's cancellation). */
export interface QueryOptions {
  /** Aborted when the client goes away (reason: AbortError) or `timeout` passes (reason: TimeoutError). */
  signal?: AbortSignal;
  /** Overrides the engine's lookback delta, in ms, when > 0. */
  lookbackDelta?: number;
}

/** Sample statistics an engine may report with a result (Prometheus' stats.QuerySamples). */
export interface QuerySampleStats {
  totalQueryableSamples: number;
  peakSamples: number;
  samplesRead?: number;
  /** [timestamp ms, samples] per step, when the engine collects per-step statistics. */
  totalQueryableSamplesPerStep?: ReadonlyArray<readonly [number, number]>;
  samplesReadPerStep?: ReadonlyArray<readonly [number, number]>;
}

export interface QueryResult {
  value: Value;
  annotations?: Annotations;
  stats?: QuerySampleStats;
}

export interface Query {
  exec(): Promise<QueryResult>;
}

/**
 * What the handlers need of libs/promql's Engine. Creating a query parses and checks it: errors
 * thrown there are the query's fault (bad_data); errors from exec carry their type (PromQLError.type).
 */
export interface QueryEngine {
  instantQuery(queryable: Queryable, qs: string, t: number, opts?: QueryOptions): Query | Promise<Query>;
  rangeQuery(queryable: Queryable, qs: string, start: number, end: number, step: number, opts?: QueryOptions): Query | Promise<Query>;
}
