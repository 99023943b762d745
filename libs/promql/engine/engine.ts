// The PromQL engine (Prometheus' promql.Engine): turns a query string and a time range into a
// Query whose exec() reads one storage querier and evaluates the expression.

import { compareLabels } from '../../model/index.ts';
import type { Queryable } from '../../storage/index.ts';
import type { Expr } from '../parser/ast.ts';
import { parseExpr } from '../parser/index.ts';
import { Annotations } from './annotations.ts';
import { documentedType, exprType } from './ast_util.ts';
import { ENV_EXPRESSION_EVALUATION, ENV_QUERY_EXECUTION, PromQLError, QueryCanceledError } from './errors.ts';
import { Evaluator, QueryContext, cleanupMetricLabels, type SelectorState } from './evaluator.ts';
import { FUNCTION_CALLS } from './functions.ts';
import { findMinMaxTime, preprocessExpr, selectorsWithHints, setOffsetForAtModifier, statsOnlySelectors, type EvalStatement } from './preprocess.ts';
import type { FunctionCall, Matrix, Value, Vector } from './value.ts';

export interface EngineOptions {
  /** How far back an instant selector looks for a sample, ms (default 5m). */
  lookbackDelta?: number;
  /** The most samples a query may hold in memory at once (default 50,000,000). */
  maxSamples?: number;
  /** Query timeout, ms (default 2m). */
  timeout?: number;
  /** Allow experimental functions and aggregations (limitk, limit_ratio, …). */
  enableExperimental?: boolean;
  /** Step of a subquery written without one (`[30m:]`), from its range in ms (default: always 1m). */
  noStepSubqueryIntervalFn?: (rangeMs: number) => number;
  /** Function implementations (default: every built-in function); for tests and embedding. */
  functions?: Readonly<Record<string, FunctionCall>>;
}

export interface QueryOptions {
  /** Look-back delta for this query, ms (0 or absent: the engine's). */
  lookbackDelta?: number;
  /** Aborts the query (`query was canceled in …`). */
  signal?: AbortSignal;
}

export interface QueryResult {
  value: Value;
  annotations: Annotations;
}

export interface Query {
  /** The query text. */
  readonly query: string;
  /** The preprocessed expression (exec mutates offsets in it). */
  readonly expr: Expr;
  /** Evaluates the query; can be called once. Rejects with a PromQLError. */
  exec(): Promise<QueryResult>;
  /** Aborts a running exec. */
  cancel(): void;
}

const MINUTE = 60_000;

interface ResolvedOptions {
  lookbackDelta: number;
  maxSamples: number;
  timeout: number;
  enableExperimental: boolean;
  noStepSubqueryIntervalFn: (rangeMs: number) => number;
  functions: Readonly<Record<string, FunctionCall>>;
}

export class Engine {
  private readonly opts: Readonly<ResolvedOptions>;

  constructor(opts: EngineOptions = {}) {
    this.opts = Object.freeze({
      lookbackDelta: opts.lookbackDelta && opts.lookbackDelta > 0 ? opts.lookbackDelta : 5 * MINUTE,
      maxSamples: opts.maxSamples ?? 50_000_000,
      timeout: opts.timeout ?? 2 * MINUTE,
      enableExperimental: opts.enableExperimental ?? false,
      noStepSubqueryIntervalFn: opts.noStepSubqueryIntervalFn ?? (() => MINUTE),
      functions: opts.functions ?? FUNCTION_CALLS,
    });
  }

  /** An instant query at time t (ms). Throws a `bad_data` PromQLError when the query is invalid. */
  instantQuery(queryable: Queryable, qs: string, t: number, opts: QueryOptions = {}): Query {
    const expr = this.parse(qs);
    return this.newQuery(queryable, qs, expr, t, t, 0, opts);
  }

  /**
   * A range query from start to end (ms, inclusive) every step ms. Throws a `bad_data`
   * PromQLError when the query is invalid or does not produce an instant vector or scalar.
   */
  rangeQuery(queryable: Queryable, qs: string, start: number, end: number, step: number, opts: QueryOptions = {}): Query {
    if (!(step > 0)) throw new PromQLError('bad_data', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    if (end < start) throw new PromQLError('bad_data', 'end timestamp must not be before start time');
    const expr = this.parse(qs);
    const t = exprType(expr);
    if (t !== 'vector' && t !== 'scalar') {
      throw new PromQLError('bad_data', `invalid expression type "${documentedType(t)}" for range query, must be Scalar or instant Vector`);
    }
    return this.newQuery(queryable, qs, expr, start, end, step, opts);
  }

  private parse(qs: string): Expr {
    try {
      return parseExpr(qs, { enableExperimentalFunctions: this.opts.enableExperimental });
    } catch (err) {
      if (err instanceof PromQLError) throw err;
      throw new PromQLError('bad_data', err instanceof Error ? err.message : String(err), { cause: err });
    }
  }

  private newQuery(queryable: Queryable, qs: string, expr: Expr, start: number, end: number, interval: number, opts: QueryOptions): Query {
    const stmt: EvalStatement = {
      expr: preprocessExpr(expr, start, end, interval),
      start,
      end,
      interval,
      lookbackDelta: opts.lookbackDelta && opts.lookbackDelta > 0 ? opts.lookbackDelta : this.opts.lookbackDelta,
    };
    return new EngineQuery(this.opts, queryable, qs, stmt, opts.signal);
  }
}

class EngineQuery implements Query {
  private executed = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly opts: Readonly<ResolvedOptions>,
    private readonly queryable: Queryable,
    readonly query: string,
    private readonly stmt: EvalStatement,
    private readonly signal: AbortSignal | undefined,
  ) {}

  get expr(): Expr {
    return this.stmt.expr;
  }

  cancel(): void {
    this.abort.abort();
  }

  async exec(): Promise<QueryResult> {
    if (this.executed) throw new PromQLError('internal', 'query already executed');
    this.executed = true;
    const annos = new Annotations();
    const signal = this.signal ? AbortSignal.any([this.signal, this.abort.signal]) : this.abort.signal;
    const q = new QueryContext(
      this.opts.functions,
      annos,
      new Map<never, SelectorState>(),
      this.stmt.lookbackDelta,
      this.opts.maxSamples,
      this.opts.noStepSubqueryIntervalFn,
      performance.now() + this.opts.timeout,
      signal,
    );
    try {
      q.check(ENV_QUERY_EXECUTION);
      const value = await this.run(q);
      return { value, annotations: annos };
    } catch (err) {
      const e = toPromQLError(err);
      e.annotations = annos;
      throw e;
    }
  }

  private async run(q: QueryContext): Promise<Value> {
    const s = this.stmt;
    const [mint, maxt] = findMinMaxTime(s);
    const querier = this.queryable.querier(mint, maxt);
    try {
      const statsOnly = statsOnlySelectors(s.expr);
      for (const { selector, hints } of selectorsWithHints(s, this.opts.noStepSubqueryIntervalFn)) {
        const set = querier.select(false, hints, selector.matchers, q.signal ? { signal: q.signal } : {});
        q.selectors.set(selector, statsOnly.has(selector) ? { set, inferResets: true } : { set });
      }
      // Offsets for `@` are relative to the start: there is one evaluation of those selectors.
      setOffsetForAtModifier(s.start, s.expr);
      const instant = s.start === s.end && s.interval === 0;
      // An instant query is a range evaluation with one step.
      const ev = new Evaluator(q, querier, s.start, s.end, instant ? 1 : s.interval);
      const val = await ev.eval(s.expr);
      if (!Array.isArray(val)) return { type: 'string', value: val };
      const mat = cleanupMetricLabels(val);
      if (instant) {
        switch (exprType(s.expr)) {
          case 'vector': {
            const vec: Vector = mat.map((series) => {
              const hp = series.floats.length === 0 ? series.histograms?.[0] : undefined;
              return hp ? { metric: series.metric, t: s.start, f: 0, h: hp.h } : { metric: series.metric, t: s.start, f: series.floats[0]!.f };
            });
            return { type: 'vector', value: vec };
          }
          case 'scalar':
            return { type: 'scalar', value: { t: s.start, v: mat[0]?.floats[0]?.f ?? NaN } };
          case 'matrix':
            return { type: 'matrix', value: sortMatrix(mat) };
          default:
            throw new PromQLError('internal', `unexpected expression type "${exprType(s.expr)}"`);
        }
      }
      q.check(ENV_EXPRESSION_EVALUATION);
      return { type: 'matrix', value: sortMatrix(mat) };
    } finally {
      querier.close();
    }
  }
}

function sortMatrix(mat: Matrix): Matrix {
  return mat.sort((a, b) => compareLabels(a.metric, b.metric));
}

/** Every failure leaves exec as a PromQLError; anything unexpected is an execution error, as a panic is in Prometheus. */
function toPromQLError(err: unknown): PromQLError {
  if (err instanceof PromQLError) return err;
  if (err instanceof Error && err.name === 'AbortError') return new QueryCanceledError(ENV_EXPRESSION_EVALUATION);
  const e = err as { type?: unknown; message?: unknown } | undefined;
  const message = err instanceof Error ? err.message : String(err);
  // Function errors carry Prometheus' category.
  if (e && typeof e.type === 'string' && ['bad_data', 'execution', 'timeout', 'canceled', 'internal', 'unavailable'].includes(e.type)) {
    return new PromQLError(e.type as PromQLError['type'], message, { cause: err });
  }
  return new PromQLError('execution', message, { cause: err });
}
