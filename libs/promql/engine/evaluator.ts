// The PromQL evaluator (Prometheus' promql.evaluator): evaluates an expression at every step of
// [start, end] at once, as a matrix, node by node. Instant queries are one-step range
// evaluations. Series sets are read from storage when a selector is first evaluated; samples are
// read forward through iterators, one series at a time.

import { Labels, LabelsBuilder, METRIC_NAME, MatchType, compareStrings, goQuote, isValidUTF8Name } from '../../model/index.ts';
import type { Querier, Series as StorageSeries, SeriesSet } from '../../storage/index.ts';
import type {
  AggregateExpr, BinaryExpr, Call, Expr, MatrixSelector, PositionRange, SubqueryExpr, VectorMatching, VectorSelector,
} from '../parser/ast.ts';
import { FParams, SERIES_MAJOR_OPS, SeriesAggregation, countValues, rangeEvalAgg, type AggregationEnv } from './aggregate.ts';
import type { Annotations } from './annotations.ts';
import { exprType, posRangeOf, unwrapParens } from './ast_util.ts';
import { MatchState, scalarBinop, vectorScalarBinop, type BinopContext } from './binop.ts';
import {
  ENV_EXPRESSION_EVALUATION, ENV_QUERY_EXECUTION, PromQLError, QueryCanceledError, QueryTimeoutError, TooManySamplesError,
} from './errors.ts';
import { compileLabelJoin, compileLabelReplace, dropNameAfterRelabel } from './functions_label.ts';
import { WINDOW_FUNCTIONS } from './functions_range.ts';
import { LookbackIterator, PointBuffer, PointsSeries, WindowReader } from './iterators.ts';
import { dropMetadata, keyWith, keyWithout, labelsKey } from './labels_util.ts';
import { setOffsetForAtModifier } from './preprocess.ts';
import { scaleHistogram } from './functions_native.ts';
import type { EvalNodeHelper, FPoint, FunctionCall, HPoint, Matrix, Sample, Series, StringValue, Vector } from './value.ts';

/** A selector's series: selected before evaluation, read from storage when first evaluated. */
export interface SelectorState {
  set: SeriesSet;
  series?: readonly StorageSeries[];
  /** Its histograms only feed histogram_count/sum/avg: infer counter resets (see LookbackIterator). */
  inferResets?: boolean;
}

/** State shared by every evaluator of one query. */
export class QueryContext {
  private lastPause: number;
  private seriesTicks = 0;

  constructor(
    readonly functions: Readonly<Record<string, FunctionCall>>,
    readonly annos: Annotations,
    readonly selectors: Map<VectorSelector, SelectorState>,
    readonly lookbackDelta: number,
    readonly maxSamples: number,
    readonly noStepSubqueryInterval: (rangeMs: number) => number,
    /** performance.now() after which the query times out. */
    private readonly deadline: number,
    readonly signal: AbortSignal | undefined,
  ) {
    this.lastPause = performance.now();
  }

  /** Throws when the query was canceled or ran out of time (Prometheus' contextDone). */
  check(where: string = ENV_EXPRESSION_EVALUATION): void {
    if (this.signal?.aborted) throw new QueryCanceledError(where);
    if (performance.now() > this.deadline) throw new QueryTimeoutError(where);
  }

  /** True when evaluation has run long enough without yielding that timers and aborts should get a turn. */
  shouldPause(): boolean {
    return performance.now() - this.lastPause > 20;
  }

  /**
   * Called once per series: every 64th call checks (throws) and says whether to pause. Reading
   * the clock per series cost as much as selecting a short series.
   */
  checkEverySeries(): boolean {
    if ((this.seriesTicks++ & 63) !== 0) return false;
    this.check();
    return this.shouldPause();
  }

  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.lastPause = performance.now();
    this.check();
  }
}

function evalError(msg: string): PromQLError {
  return new PromQLError('execution', msg);
}

function totalSamples(m: Matrix): number {
  let n = 0;
  for (const s of m) n += s.floats.length + (s.histograms?.length ?? 0);
  return n;
}

const RANGE_FUNCTIONS_KEEPING_NAME = new Set(['last_over_time', 'first_over_time']);
const SORT_FUNCTIONS = new Set(['sort', 'sort_desc', 'sort_by_label', 'sort_by_label_desc']);
const COUNTER_SUFFIXES = ['_total', '_sum', '_count', '_bucket'];

/**
 * The labels absent() and absent_over_time() give their result: the equality matchers of a
 * selector, except names matched more than once (createLabelsForAbsentFunction).
 */
export function labelsForAbsent(e: Expr): Labels {
  let vs: VectorSelector;
  if (e.kind === 'VectorSelector') vs = e;
  else if (e.kind === 'MatrixSelector') vs = e.vectorSelector;
  else return Labels.EMPTY;
  const b = new LabelsBuilder();
  const has = new Set<string>();
  for (const m of vs.matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.type === MatchType.Equal && !has.has(m.name)) {
      b.set(m.name, m.value);
      has.add(m.name);
    } else {
      b.del(m.name);
    }
  }
  return b.labels();
}

/**
 * Merges series that ended up with the same labels (after `__name__` removal or relabelling)
 * when their timestamps don't overlap; overlapping ones are an error.
 */
export function mergeSeriesWithSameLabelset(mat: Matrix): Matrix {
  if (mat.length <= 1) return mat;
  const byKey = new Map<string, number[]>();
  let dup = false;
  for (let i = 0; i < mat.length; i++) {
    const k = labelsKey(mat[i]!.metric);
    const idx = byKey.get(k);
    if (idx) {
      idx.push(i);
      dup = true;
    } else {
      byKey.set(k, [i]);
    }
  }
  if (!dup) return mat;
  const merged: Matrix = [];
  for (const idx of byKey.values()) {
    if (idx.length === 1) {
      merged.push(mat[idx[0]!]!);
      continue;
    }
    const base = mat[idx[0]!]!;
    let floats = base.floats;
    let histograms = base.histograms ?? [];
    for (const i of idx.slice(1)) {
      floats = floats.concat(mat[i]!.floats);
      histograms = histograms.concat(mat[i]!.histograms ?? []);
    }
    floats.sort((a, b) => a.t - b.t);
    histograms.sort((a, b) => a.t - b.t);
    const times = new Set<number>();
    for (const p of floats) times.add(p.t);
    for (const p of histograms) times.add(p.t);
    if (times.size !== floats.length + histograms.length) throw evalError('vector cannot contain metrics with the same labelset');
    merged.push(histograms.length > 0 ? { ...base, floats, histograms } : { ...base, floats });
  }
  return merged;
}

/**
 * A subquery's histograms are taken out of their chunks: "not a reset" no longer relates to the
 * sample before, so it becomes unknown and range functions detect resets themselves.
 */
function outOfContext(hs: HPoint[]): HPoint[] {
  return hs.map((p) => (p.h.counterResetHint === 'not_reset' ? { t: p.t, h: { ...p.h, counterResetHint: 'unknown' } } : p));
}

/**
 * Receives evaluated series one at a time. A series and its points are valid only during the
 * call: the evaluator reuses them for the next series.
 */
type SeriesSink = (s: Series) => void;

interface OutputSeries {
  series: Series;
  /** The last step that added a point. */
  ts: number;
}

/** Where a range-vector function reads its windows from: a matrix selector or an evaluated subquery. */
interface RangeSource {
  series: readonly StorageSeries[];
  offset: number;
  range: number;
  timestamp: number | undefined;
  /** Position used for annotations about the argument. */
  pos: PositionRange;
}

export class Evaluator implements AggregationEnv {
  currentSamples = 0;

  constructor(
    private readonly q: QueryContext,
    readonly querier: Querier | undefined,
    readonly startTimestamp: number,
    readonly endTimestamp: number,
    readonly interval: number,
  ) {}

  get annos(): Annotations {
    return this.q.annos;
  }

  check(): void {
    this.q.check();
  }

  private child(start: number, end: number, interval: number): Evaluator {
    const ev = new Evaluator(this.q, this.querier, start, end, interval);
    ev.currentSamples = this.currentSamples;
    return ev;
  }

  private numSteps(): number {
    return Math.floor((this.endTimestamp - this.startTimestamp) / this.interval) + 1;
  }

  private addSamples(n: number): void {
    this.currentSamples += n;
    if (this.currentSamples > this.q.maxSamples) throw new TooManySamplesError(ENV_QUERY_EXECUTION);
  }

  /** Evaluates an expression: a matrix with one point per step (or a range per series), or a string. */
  async eval(e: Expr): Promise<Matrix | StringValue> {
    this.q.check();
    if (this.endTimestamp < this.startTimestamp) return [];
    switch (e.kind) {
      case 'AggregateExpr':
        return this.evalAggregate(e);
      case 'Call':
        return this.evalCall(e);
      case 'ParenExpr':
        return this.eval(e.expr);
      case 'UnaryExpr': {
        const mat = await this.evalMatrix(e.expr);
        if (e.op === '-') {
          for (const s of mat) {
            s.dropName = true;
            for (const p of s.floats) p.f = -p.f;
            if (s.histograms) for (const p of s.histograms) p.h = scaleHistogram(p.h, -1);
          }
        }
        return mat;
      }
      case 'BinaryExpr':
        return this.evalBinary(e);
      case 'NumberLiteral': {
        const val = e.val;
        return this.rangeEval(undefined, (_v, _s, enh) => {
          enh.out.push({ metric: Labels.EMPTY, t: enh.ts, f: val });
          return enh.out;
        }, []);
      }
      case 'StringLiteral':
        return { t: this.startTimestamp, v: e.val };
      case 'VectorSelector': {
        const series = await this.expand(e);
        return await this.evalSeries(series, e.offset, undefined, this.inferResets(e));
      }
      case 'MatrixSelector':
        if (this.startTimestamp !== this.endTimestamp) throw new PromQLError('internal', 'cannot do range evaluation of matrix selector');
        return this.matrixSelector(e);
      case 'SubqueryExpr':
        return this.runSubquery(e);
      case 'StepInvariantExpr':
        return this.evalStepInvariant(e.expr);
    }
  }

  /**
   * Evaluates `e` and hands each result series to `sink`. Selectors and range-vector functions
   * produce their series one at a time, so their result never exists as a whole matrix.
   */
  private async evalEachSeries(e: Expr, sink: SeriesSink): Promise<void> {
    this.q.check();
    if (this.endTimestamp < this.startTimestamp) return;
    const u = unwrapParens(e);
    if (u.kind === 'VectorSelector') {
      await this.evalSeries(await this.expand(u), u.offset, sink, this.inferResets(u));
      return;
    }
    const mat = u.kind === 'Call' ? await this.evalCall(u, sink) : await this.evalMatrix(u);
    for (const s of mat) sink(s);
  }

  async evalMatrix(e: Expr): Promise<Matrix> {
    const v = await this.eval(e);
    if (!Array.isArray(v)) throw new PromQLError('internal', `unexpected string result evaluating ${e.kind}`);
    return v;
  }

  private inferResets(vs: VectorSelector): boolean {
    return this.q.selectors.get(vs)?.inferResets === true;
  }

  /** Reads a selector's series from storage, once per query. */
  private async expand(vs: VectorSelector): Promise<readonly StorageSeries[]> {
    const st = this.q.selectors.get(vs);
    if (!st) throw new PromQLError('internal', 'selector was not prepared for evaluation');
    if (st.series) return st.series;
    const all = st.set.all?.();
    if (all) {
      st.series = all;
      for (const w of st.set.warnings()) this.q.annos.warn(w);
      return st.series;
    }
    const out: StorageSeries[] = [];
    try {
      for await (const s of st.set) {
        if (this.q.checkEverySeries()) await this.q.pause();
        out.push(s);
      }
    } catch (err) {
      if (err instanceof PromQLError) throw err;
      throw new PromQLError('execution', `expanding series: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    for (const w of st.set.warnings()) this.q.annos.warn(w);
    st.series = out;
    return out;
  }

  /**
   * Evaluates `exprs` over the whole range, then calls `fn` once per step with each one's vector at
   * that step, and assembles the results into series (Prometheus' rangeEval). With `matching`, the
   * per-series join signatures are computed once and handed to `fn` per step.
   */
  private async rangeEval(
    matching: VectorMatching | undefined,
    fn: (vectors: Vector[], sigs: number[][], enh: EvalNodeHelper, state: MatchState) => Vector,
    exprs: readonly Expr[],
  ): Promise<Matrix> {
    const matrixes: (Matrix | undefined)[] = [];
    const originalNumSamples = this.currentSamples;
    for (const e of exprs) {
      // Functions take string arguments from the expressions, not from values.
      matrixes.push(exprType(e) === 'string' ? undefined : await this.evalMatrix(e));
    }
    const state = new MatchState();
    let seriesSigs: Int32Array[] | undefined;
    if (matching) {
      const names = [...matching.matchingLabels];
      const without = [METRIC_NAME, ...names];
      const ord = new Map<string, number>();
      seriesSigs = matrixes.map((m) => {
        const sigs = new Int32Array(m?.length ?? 0);
        m?.forEach((s, i) => {
          const k = matching.on ? keyWith(s.metric, names) : keyWithout(s.metric, without);
          let o = ord.get(k);
          if (o === undefined) {
            o = ord.size;
            ord.set(k, o);
          }
          sigs[i] = o;
        });
        return sigs;
      });
      state.numSigs = ord.size;
    }
    const vectors: Vector[] = exprs.map(() => []);
    const bufSigs: number[][] = exprs.map(() => []);
    const cursors = matrixes.map((m) => new Int32Array(m?.length ?? 0));
    const hcursors = matrixes.map((m) => new Int32Array(m?.length ?? 0));
    const enh: EvalNodeHelper = { ts: 0, out: [], cache: new Map(), enableDelayedNameRemoval: true };
    // Output series by label set; most steps see the same Labels objects again, so look those up
    // by identity before falling back to the exact key.
    const seriess = new Map<string, OutputSeries>();
    const byObject = new Map<Labels, OutputSeries>();
    // One sample object per input series, refilled at every step (nobody keeps them past a step).
    const pools: Sample[][] = matrixes.map((m) => (m ?? []).map((s) => ({ metric: s.metric, t: 0, f: 0, h: undefined, dropName: false })));
    let tempNumSamples = this.currentSamples;

    for (let ts = this.startTimestamp; ts <= this.endTimestamp; ts += this.interval) {
      // A step is work over every series: check at each one.
      this.q.check();
      if (this.q.shouldPause()) await this.q.pause();
      this.currentSamples = tempNumSamples;
      for (let i = 0; i < exprs.length; i++) {
        this.gather(ts, matrixes[i], cursors[i]!, hcursors[i]!, pools[i]!, vectors[i]!, bufSigs[i]!, seriesSigs?.[i]);
      }
      enh.ts = ts;
      const result = fn(vectors, bufSigs, enh, state);
      enh.out = [];
      this.currentSamples += result.length;
      tempNumSamples += result.length;
      if (this.currentSamples > this.q.maxSamples) throw new TooManySamplesError(ENV_QUERY_EXECUTION);

      if (this.startTimestamp === this.endTimestamp) {
        // An instant evaluation keeps the order the function produced.
        const mat: Matrix = result.map((s) =>
          s.h
            ? { metric: s.metric, floats: [], histograms: [{ t: ts, h: s.h }], dropName: s.dropName ?? false }
            : { metric: s.metric, floats: [{ t: ts, f: s.f }], dropName: s.dropName ?? false },
        );
        this.currentSamples = originalNumSamples + mat.length;
        return mat;
      }
      for (const s of result) {
        let entry = byObject.get(s.metric);
        if (!entry) {
          const k = labelsKey(s.metric);
          entry = seriess.get(k);
          if (!entry) {
            entry = { series: { metric: s.metric, floats: [], dropName: s.dropName ?? false }, ts: Number.NaN };
            seriess.set(k, entry);
          }
          byObject.set(s.metric, entry);
        }
        if (entry.ts === ts) throw evalError('vector cannot contain metrics with the same labelset');
        entry.ts = ts;
        if (s.h) (entry.series.histograms ??= []).push({ t: ts, h: s.h });
        else entry.series.floats.push({ t: ts, f: s.f });
      }
    }
    const mat: Matrix = [];
    for (const e of seriess.values()) mat.push(e.series);
    this.currentSamples = originalNumSamples + totalSamples(mat);
    return mat;
  }

  /** The vector of `input` at ts (Prometheus' gatherVector); advances the per-series cursors. */
  private gather(
    ts: number,
    input: Matrix | undefined,
    cursors: Int32Array,
    hcursors: Int32Array,
    pool: Sample[],
    out: Vector,
    bufSigs: number[],
    sigs: Int32Array | undefined,
  ): void {
    out.length = 0;
    bufSigs.length = 0;
    if (!input) return;
    for (let i = 0; i < input.length; i++) {
      const s = input[i]!;
      const fl = s.floats;
      let c = cursors[i]!;
      while (c < fl.length && fl[c]!.t < ts) c++;
      if (c < fl.length && fl[c]!.t === ts) {
        const smpl = pool[i]!;
        smpl.metric = s.metric;
        smpl.t = ts;
        smpl.f = fl[c]!.f;
        smpl.h = undefined;
        smpl.dropName = s.dropName ?? false;
        out.push(smpl);
        cursors[i] = c + 1;
      } else {
        cursors[i] = c;
        const hs = s.histograms;
        if (hs === undefined || hs.length === 0) continue;
        let hc = hcursors[i]!;
        while (hc < hs.length && hs[hc]!.t < ts) hc++;
        hcursors[i] = hc;
        if (hc >= hs.length || hs[hc]!.t !== ts) continue;
        const smpl = pool[i]!;
        smpl.metric = s.metric;
        smpl.t = ts;
        smpl.f = 0;
        smpl.h = hs[hc]!.h;
        smpl.dropName = s.dropName ?? false;
        out.push(smpl);
        hcursors[i] = hc + 1;
      }
      if (sigs) bufSigs.push(sigs[i]!);
      this.addSamples(1);
    }
  }

  /**
   * An instant vector selector at every step (Prometheus' evalSeries). With a sink, the series go
   * there one by one and the returned matrix is empty.
   */
  private async evalSeries(series: readonly StorageSeries[], offset: number, sink?: SeriesSink, inferResets = false): Promise<Matrix> {
    const it = new LookbackIterator(this.q.lookbackDelta);
    const lookback = this.q.lookbackDelta;
    const mat: Matrix = [];
    const buf = new PointBuffer(sink !== undefined);
    for (const s of series) {
      if (this.q.checkEverySeries()) await this.q.pause();
      it.reset(s, inferResets);
      const floats = buf.reset();
      let histograms: HPoint[] | undefined;
      for (let ts = this.startTimestamp; ts <= this.endTimestamp; ts += this.interval) {
        if (!it.select(ts - offset, lookback)) continue;
        this.addSamples(1);
        if (it.h !== undefined) (histograms ??= []).push({ t: ts, h: it.h });
        else buf.push(ts, it.f);
      }
      if (histograms !== undefined) {
        const ss: Series = { metric: s.labels, floats, histograms };
        if (sink) sink(ss);
        else mat.push(ss);
        continue;
      }
      if (floats.length === 0) continue;
      if (sink) sink({ metric: s.labels, floats });
      else mat.push({ metric: s.labels, floats });
    }
    return mat;
  }

  /** A range vector selector evaluated at one instant: every series' points in (t - range, t]. */
  private async matrixSelector(node: MatrixSelector): Promise<Matrix> {
    const vs = node.vectorSelector;
    const maxt = this.startTimestamp - vs.offset;
    const mint = maxt - node.range;
    const series = await this.expand(vs);
    const reader = new WindowReader();
    const mat: Matrix = [];
    const infer = this.inferResets(vs);
    for (const s of series) {
      if (this.q.checkEverySeries()) await this.q.pause();
      reader.reset(s, infer);
      this.addSamples(reader.fill(mint, maxt));
      if (reader.length === 0) continue;
      const floats = reader.points().map((p) => ({ t: p.t, f: p.f }));
      if (reader.histCount > 0) mat.push({ metric: s.labels, floats, histograms: reader.histPoints() });
      else mat.push({ metric: s.labels, floats });
    }
    return mat;
  }

  /** Start, end and step of a subquery's own evaluation: steps aligned to multiples of its step. */
  private subqueryTimeRange(e: SubqueryExpr): [number, number, number] {
    const offset = e.offset;
    const range = e.range;
    // The parent only consumes its aligned steps: stop the subquery at the last of them.
    let parentEnd = this.endTimestamp;
    if (this.interval > 0) {
      parentEnd = this.startTimestamp + Math.floor((this.endTimestamp - this.startTimestamp) / this.interval) * this.interval;
    }
    const end = parentEnd - offset;
    const interval = e.step !== 0 ? e.step : this.q.noStepSubqueryInterval(range);
    // The first multiple of the step after start - offset - range (Go's truncating division).
    const from = this.startTimestamp - offset - range;
    let start = interval * Math.trunc(from / interval);
    if (start <= from) start += interval;
    return [start, end, interval];
  }

  private async runSubquery(e: SubqueryExpr): Promise<Matrix> {
    const [start, end, interval] = this.subqueryTimeRange(e);
    const ev = this.child(start, end, interval);
    // Offsets for `@` are relative to the evaluator's start, which differs inside the subquery.
    if (start !== this.startTimestamp) setOffsetForAtModifier(start, e.expr);
    const res = await ev.evalMatrix(e.expr);
    this.currentSamples = ev.currentSamples;
    return res;
  }

  private async evalStepInvariant(inner: Expr): Promise<Matrix | StringValue> {
    const ev = this.child(this.startTimestamp, this.startTimestamp, this.interval);
    const res = await ev.eval(inner);
    this.currentSamples = ev.currentSamples;
    // Range selectors and subqueries have their own timestamps, independent of the step.
    if (inner.kind === 'MatrixSelector' || inner.kind === 'SubqueryExpr') return res;
    if (!Array.isArray(res)) throw new PromQLError('internal', 'unexpected string result in step invariant evaluation');
    for (const s of res) {
      const hp = s.histograms?.[0];
      if (hp !== undefined && s.floats.length === 0 && s.histograms!.length === 1) {
        for (let ts = this.startTimestamp + this.interval; ts <= this.endTimestamp; ts += this.interval) {
          s.histograms!.push({ t: ts, h: hp.h });
          this.addSamples(1);
        }
        continue;
      }
      if (s.floats.length !== 1) throw new PromQLError('internal', 'unexpected number of samples');
      const f = s.floats[0]!.f;
      for (let ts = this.startTimestamp + this.interval; ts <= this.endTimestamp; ts += this.interval) {
        s.floats.push({ t: ts, f });
        this.addSamples(1);
      }
    }
    return res;
  }

  // --- Aggregations ---

  private async evalAggregate(e: AggregateExpr): Promise<Matrix> {
    // Grouping labels must be sorted.
    const grouping = [...e.grouping].sort(compareStrings);
    if (e.op === 'count_values') {
      const param = e.param ? unwrapParens(e.param) : undefined;
      if (!param || param.kind !== 'StringLiteral') throw new PromQLError('internal', 'count_values without a string parameter');
      const valueLabel = param.val;
      if (!isValidUTF8Name(valueLabel)) throw evalError(`invalid label name ${goQuote(valueLabel)}`);
      const g = e.without ? grouping : [...grouping, valueLabel].sort(compareStrings);
      return this.rangeEval(undefined, (v, _s, enh) => countValues(v[0]!, g, e.without, valueLabel, enh), [e.expr]);
    }
    const original = this.currentSamples;
    if (SERIES_MAJOR_OPS.has(e.op)) {
      // These take their input series by series: it need not be held in memory at once.
      const agg = new SeriesAggregation(this, e.op, grouping, e.without, posRangeOf(e.expr));
      await this.evalEachSeries(e.expr, (s) => agg.add(s));
      const result = agg.result();
      this.currentSamples = original + totalSamples(result);
      return result;
    }
    const params = await this.fParams(e.param);
    const input = await this.evalMatrix(e.expr);
    const result = rangeEvalAgg(this, e, grouping, input, params);
    this.currentSamples = original + totalSamples(result);
    return result;
  }

  private async fParams(param: Expr | undefined): Promise<FParams> {
    if (!param) return FParams.none();
    const mat = await this.eval(param);
    if (!Array.isArray(mat) || mat.length === 0) return FParams.none();
    if (param.kind === 'NumberLiteral') return FParams.constant(mat[0]!.floats[0]!.f);
    return FParams.series(mat[0]!.floats.map((p) => p.f));
  }

  // --- Binary operators ---

  private evalBinary(e: BinaryExpr): Promise<Matrix> {
    const lt = exprType(e.lhs);
    const rt = exprType(e.rhs);
    const op = e.op;
    const ctx: BinopContext = { annos: this.q.annos, pos: posRangeOf(e) };
    if (lt === 'scalar' && rt === 'scalar') {
      return this.rangeEval(undefined, (v, _s, enh) => {
        enh.out.push({ metric: Labels.EMPTY, t: enh.ts, f: scalarBinop(op, v[0]![0]!.f, v[1]![0]!.f) });
        return enh.out;
      }, [e.lhs, e.rhs]);
    }
    if (lt === 'vector' && rt === 'vector') {
      const m = e.vectorMatching;
      if (!m) throw new PromQLError('internal', 'vector matching missing on a binary expression between vectors');
      switch (op) {
        case 'and':
          return this.rangeEval(m, (v, sh, enh, st) => st.and(v[0]!, v[1]!, sh[0]!, sh[1]!, enh.out), [e.lhs, e.rhs]);
        case 'or':
          return this.rangeEval(m, (v, sh, enh, st) => st.or(v[0]!, v[1]!, sh[0]!, sh[1]!, enh.out), [e.lhs, e.rhs]);
        case 'unless':
          return this.rangeEval(m, (v, sh, enh, st) => st.unless(v[0]!, v[1]!, sh[0]!, sh[1]!, enh.out), [e.lhs, e.rhs]);
        default:
          return this.rangeEval(m, (v, sh, enh, st) => st.binop(op, v[0]!, v[1]!, m, e.returnBool, sh[0]!, sh[1]!, enh.out, ctx), [e.lhs, e.rhs]);
      }
    }
    if (lt === 'vector' && rt === 'scalar') {
      return this.rangeEval(undefined, (v, _s, enh) => vectorScalarBinop(op, v[0]!, v[1]![0]!.f, false, e.returnBool, enh.out, ctx), [e.lhs, e.rhs]);
    }
    if (lt === 'scalar' && rt === 'vector') {
      return this.rangeEval(undefined, (v, _s, enh) => vectorScalarBinop(op, v[1]!, v[0]![0]!.f, true, e.returnBool, enh.out, ctx), [e.lhs, e.rhs]);
    }
    throw new PromQLError('internal', `binary expression between ${lt} and ${rt}`);
  }

  // --- Function calls ---

  /** With a sink, range-vector functions hand it their series and return the rest (none). */
  private async evalCall(e: Call, sink?: SeriesSink): Promise<Matrix> {
    const name = e.func.name;
    const call = this.q.functions[name];
    if (name === 'timestamp' && call) {
      // Evaluating the selector as usual would stamp samples with the step time: read them directly.
      const arg = unwrapParens(e.args[0]!);
      if (arg.kind === 'VectorSelector') return this.evalTimestampOverSelector(arg, call, e);
    }
    if (name === 'label_replace' || name === 'label_join') return this.evalRelabel(e);

    // Find the range-vector argument, if any (a subquery is evaluated into one).
    let matrixArgIndex = -1;
    let source: RangeSource | undefined;
    let subquerySamples = 0;
    for (let i = 0; i < e.args.length; i++) {
      const a = e.args[i]!;
      if (a.kind === 'MatrixSelector') {
        matrixArgIndex = i;
        source = {
          series: [],
          offset: a.vectorSelector.offset,
          range: a.range,
          timestamp: a.vectorSelector.timestamp,
          pos: posRangeOf(a),
        };
        break;
      }
      if (a.kind === 'SubqueryExpr') {
        matrixArgIndex = i;
        const mat = await this.runSubquery(a);
        subquerySamples = totalSamples(mat);
        source = {
          series: mat.map((s) => new PointsSeries(s.metric, s.floats, s.dropName ?? false, s.histograms && outOfContext(s.histograms))),
          // With `@`, the subquery's result is at fixed times: read it at an offset from this start.
          offset: a.timestamp !== undefined ? a.originalOffset + (this.startTimestamp - a.timestamp) : a.offset,
          range: a.range,
          timestamp: a.timestamp,
          // Prometheus reports these on a synthesized selector without a position.
          pos: { start: 0, end: 0 },
        };
        break;
      }
    }

    if (!call) throw new PromQLError('execution', `function "${name}" is not implemented`);

    if (SORT_FUNCTIONS.has(name) && this.startTimestamp !== this.endTimestamp) {
      this.q.annos.warn('sort is ineffective for range queries since results are always ordered by labels', e.posRange);
    }

    if (!source) {
      return this.rangeEval(undefined, (v, _s, enh) => call(v, [], e.args, enh, this.q.annos), e.args);
    }
    try {
      // absent_over_time looks at all series before it answers.
      return await this.evalRangeCall(e, call, matrixArgIndex, source, name === 'absent_over_time' ? undefined : sink);
    } finally {
      // The subquery's result is released after the call.
      this.currentSamples -= subquerySamples;
    }
  }

  /** A function over a range vector: per series, per step, with the points of that step's window. */
  private async evalRangeCall(e: Call, call: FunctionCall, matrixArgIndex: number, src: RangeSource, sink: SeriesSink | undefined): Promise<Matrix> {
    const name = e.func.name;
    // The other arguments are scalars (one value per step).
    const evalVals: (Matrix | undefined)[] = [];
    for (let i = 0; i < e.args.length; i++) {
      evalVals.push(i === matrixArgIndex || exprType(e.args[i]!) === 'string' ? undefined : await this.evalMatrix(e.args[i]!));
    }
    const arg = e.args[matrixArgIndex]!;
    const infer = arg.kind === 'MatrixSelector' && this.inferResets(arg.vectorSelector);
    if (arg.kind === 'MatrixSelector') src.series = await this.expand(arg.vectorSelector);
    const dropName = !RANGE_FUNCTIONS_KEEPING_NAME.has(name);
    const reader = new WindowReader();
    const inMatrix: Matrix = [{ metric: Labels.EMPTY, floats: reader.points() }];
    // rate and its kin read the window's typed arrays directly (no point objects).
    const windowCall = WINDOW_FUNCTIONS.get(call);
    const enh: EvalNodeHelper = { ts: 0, out: [], cache: new Map(), enableDelayedNameRemoval: true };
    // The scalar arguments, one reused sample each, refilled at every step.
    const scalarArgs: { values: Matrix; sample: Sample }[] = [];
    const vectorVals: Vector[] = [];
    for (let j = 0; j < e.args.length; j++) {
      const m = evalVals[j];
      if (j === matrixArgIndex || !m) continue;
      const sample: Sample = { metric: Labels.EMPTY, t: 0, f: 0 };
      scalarArgs.push({ values: m, sample });
      vectorVals.push([sample]);
    }
    const mat: Matrix = [];
    const counterCheck = name === 'rate' || name === 'increase';
    let counterInfoName = '';
    const buf = new PointBuffer(sink !== undefined);

    // Indexed loops: this async function runs once per query, often before V8 optimizes it, and
    // unoptimized for-of allocates an iterator result per element.
    const series = src.series;
    for (let si = 0; si < series.length; si++) {
      const s = series[si]!;
      if (this.q.checkEverySeries()) await this.q.pause();
      this.currentSamples -= reader.length;
      reader.reset(s, infer);
      const inputDropName = s instanceof PointsSeries && s.dropName;
      const ss: Series = { metric: s.labels, floats: buf.reset(), dropName: dropName || inputDropName };
      inMatrix[0]!.metric = s.labels;
      let step = -1;
      for (let ts = this.startTimestamp; ts <= this.endTimestamp; ts += this.interval) {
        step++;
        for (let j = 0; j < scalarArgs.length; j++) {
          const a = scalarArgs[j]!;
          a.sample.t = ts;
          a.sample.f = a.values[0]!.floats[step]!.f;
        }
        // With `@` the window is the same at every step: read it once.
        if (ts === this.startTimestamp || src.timestamp === undefined) {
          const maxt = ts - src.offset;
          this.addSamples(reader.fill(maxt - src.range, maxt));
        }
        if (reader.length === 0) continue;
        enh.ts = ts;
        // The typed-array fast path is for float-only windows.
        const hasHist = reader.histCount > 0;
        if (windowCall && !hasHist) {
          const f = windowCall(reader, e.args, enh);
          if (f !== undefined) buf.push(ts, f);
          continue;
        }
        reader.points();
        if (hasHist) inMatrix[0]!.histograms = reader.histPoints();
        else if (inMatrix[0]!.histograms !== undefined) inMatrix[0]!.histograms = undefined;
        const out = call(vectorVals, inMatrix, e.args, enh, this.q.annos);
        if (out.length > 0) {
          const h = out[0]!.h;
          if (h !== undefined) (ss.histograms ??= []).push({ t: ts, h });
          else buf.push(ts, out[0]!.f);
        }
        // pop, not `length = 0`, which drops the backing store and reallocates it at the next push.
        while (enh.out.length > 0) enh.out.pop();
      }
      const outSamples = ss.floats.length + (ss.histograms?.length ?? 0);
      if (outSamples > 0) {
        this.addSamples(outSamples);
        if (sink) sink(ss);
        else mat.push(ss);
      }
      if (counterCheck) {
        const metricName = s.labels.get(METRIC_NAME);
        // Once per name: a repeat would be the same annotation at the same position.
        if (metricName !== '' && metricName !== counterInfoName && outSamples > 0 && !COUNTER_SUFFIXES.some((x) => metricName.endsWith(x))) {
          counterInfoName = metricName;
          this.q.annos.info(
            `metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${goQuote(metricName)}`,
            src.pos,
          );
        }
      }
    }
    this.currentSamples -= reader.length;
    reader.clear();

    if (name === 'absent_over_time') {
      // One series with 1 at the steps where no input series had a value.
      const steps = this.numSteps();
      const found = new Set<number>();
      for (const s of mat) {
        if (s.floats.length === steps) return [];
        for (const p of s.floats) found.add(p.t);
      }
      if (found.size === steps) return [];
      const floats: FPoint[] = [];
      for (let ts = this.startTimestamp; ts <= this.endTimestamp; ts += this.interval) {
        if (!found.has(ts)) floats.push({ t: ts, f: 1 });
      }
      return [{ metric: labelsForAbsent(e.args[0]!), floats, dropName }];
    }
    return mat;
  }

  /** timestamp(selector): the samples' own timestamps, which normal selection would replace. */
  private async evalTimestampOverSelector(vs: VectorSelector, call: FunctionCall, e: Call): Promise<Matrix> {
    const series = await this.expand(vs);
    const lookback = this.q.lookbackDelta;
    const its = series.map((s) => {
      const it = new LookbackIterator(lookback - 1);
      it.reset(s);
      return it;
    });
    return this.rangeEval(undefined, (_v, _s, enh) => {
      // With `@`, every step looks at the same time.
      if (vs.timestamp !== undefined) vs.offset = enh.ts - vs.timestamp;
      const vec: Vector = [];
      for (let i = 0; i < series.length; i++) {
        const it = its[i]!;
        if (!it.select(enh.ts - vs.offset, lookback)) continue;
        vec.push({ metric: series[i]!.labels, t: it.t, f: it.f });
        this.addSamples(1);
      }
      return call([vec], [], e.args, enh, this.q.annos);
    }, []);
  }

  /** label_replace and label_join work on series, not samples: relabel each once. */
  private async evalRelabel(e: Call): Promise<Matrix> {
    const { dst, relabel } = e.func.name === 'label_replace' ? compileLabelReplace(e.args) : compileLabelJoin(e.args);
    const mat = await this.evalMatrix(e.args[0]!);
    for (const s of mat) {
      const m = relabel(s.metric);
      if (m === undefined) continue;
      s.metric = m;
      s.dropName = dropNameAfterRelabel(dst, s.dropName);
    }
    return mergeSeriesWithSameLabelset(mat);
  }
}

/** Applies delayed `__name__` removal to a final result and merges what became identical. */
export function cleanupMetricLabels(mat: Matrix): Matrix {
  for (const s of mat) if (s.dropName) s.metric = dropMetadata(s.metric);
  return mergeSeriesWithSameLabelset(mat);
}
