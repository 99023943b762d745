// Runs a test script against a PromQL engine: loads data into a TSDB head through its appender
// (as the ingester does), evaluates every eval command the way Prometheus' promqltest does, and
// reports each case as passed, failed or skipped (with one of the accepted skip reasons).

import { CUSTOM_BUCKETS_SCHEMA, Labels, METRIC_NAME, isStaleNaN, type FloatHistogram } from '../../model/index.ts';
import type { Queryable } from '../../storage/index.ts';
import { Head } from '../../tsdb/index.ts';
import type { Annotation } from '../engine/index.ts';
import type { Value, Vector } from '../engine/index.ts';
import type { Expr } from '../parser/index.ts';
import { QUERY_CONTEXT_FUNCS, selectsAny, setAtModifier, usesExperimental } from './ast.ts';
import {
  checkAnnotations, checkExpectedFailure, checkMatrixSorted, compareResult, diffLines, expectedLines, quote, resultLines,
} from './compare.ts';
import { parseGoFloat } from './numbers.ts';
import { isFail, isOrdered, parseScript, type EvalCmd, type LoadCmd } from './script.ts';

/** The only reasons a case may be skipped. */
export const SkipReason = {
  NativeHistograms: 'native histograms',
  ExperimentalFeature: 'experimental feature',
} as const;
export type SkipReason = (typeof SkipReason)[keyof typeof SkipReason];

/** Test files of features behind feature flags in Prometheus. */
export const EXPERIMENTAL_FILES: readonly string[] = [
  'duration_expression', 'extended_vectors', 'fill-modifier', 'info', 'start_timestamps', 'type_and_unit',
];

export type CaseStatus = 'passed' | 'failed' | 'skipped';

/** One eval command's outcome (or a load/command problem, reported as a failed case). */
export interface CaseResult {
  /** 1-based line in the script. */
  line: number;
  /** The query (or the failing command's first word, e.g. "load"). */
  expr: string;
  status: CaseStatus;
  /** Set when skipped. */
  reason?: SkipReason;
  /** Set when failed. */
  message?: string;
  /** Expected-versus-got lines when a result did not match (see compare.diffLines). */
  diff?: string[];
}

export interface FileReport {
  name: string;
  passed: number;
  failed: number;
  skipped: number;
  cases: CaseResult[];
}

/** A started query, as the engine returns it. */
export interface TestQuery {
  exec(): Promise<{ value: Value; annotations: { all(): Annotation[] } }>;
  close?(): void;
}

/** The engine contract the runner needs (libs/promql/engine's Engine satisfies it). */
export interface TestEngine {
  instantQuery(queryable: Queryable, qs: string, t: number): TestQuery | Promise<TestQuery>;
  rangeQuery(queryable: Queryable, qs: string, start: number, end: number, step: number): TestQuery | Promise<TestQuery>;
}

/** The parser functions the runner needs (libs/promql/parser provides them). */
export interface TestParser {
  parseExpr(input: string): Expr;
  exprToString(expr: Expr): string;
}

export interface RunOptions {
  engine: TestEngine;
  parser: TestParser;
  /**
   * The engine was built with experimental features enabled: run experimental files and cases
   * instead of skipping them.
   */
  enableExperimental?: boolean;
  /**
   * The engine evaluates native histograms: run the cases that need them instead of skipping
   * them ("native histograms"). Histogram points (and the NHCB series `load_with_nhcb` derives)
   * are loaded into the head either way. A case the engine declares unsupported
   * (NATIVE_HISTOGRAMS_UNSUPPORTED) is skipped.
   */
  nativeHistograms?: boolean;
}

/** Chunk range of the test head: wide enough that no load is out of bounds. */
const HEAD_CHUNK_RANGE = 100 * 86_400_000;

/** The base name of a test file without `.test`. */
function fileStem(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? name;
  return base.endsWith('.test') ? base.slice(0, -'.test'.length) : base;
}

class Failure {
  constructor(
    readonly message: string,
    readonly diff?: string[],
  ) {}
}

/** Per-file state: the head and what the cases on it need. */
class TestStorage {
  head = new Head({ chunkRange: HEAD_CHUNK_RANGE });
  /** Series with native-histogram points, NHCB included (their cases need an engine that evaluates them). */
  histogramSeries: Labels[] = [];
  /** Series loaded with start timestamps (not stored). */
  startTimestampSeries: Labels[] = [];

  clear(): void {
    this.head = new Head({ chunkRange: HEAD_CHUNK_RANGE });
    this.histogramSeries = [];
    this.startTimestampSeries = [];
  }

  /**
   * One appender per load, committed at the end, as Prometheus' runner does; histogram points
   * are appended as float histograms, as there.
   */
  async load(cmd: LoadCmd): Promise<void> {
    const app = this.head.appender();
    try {
      for (const s of cmd.series) {
        let hasHistogram = false;
        for (let i = 0; i < s.values.length; i++) {
          const v = s.values[i]!;
          if (v.omitted) continue;
          if (v.histogram) {
            hasHistogram = true;
            app.appendHistogram(0, s.labels, i * cmd.interval, undefined, v.histogram);
            continue;
          }
          app.append(0, s.labels, i * cmd.interval, v.value);
        }
        if (hasHistogram) this.histogramSeries.push(s.labels);
        if (s.hasStartTimestamps) this.startTimestampSeries.push(s.labels);
      }
      if (cmd.withNHCB) {
        for (const n of nhcbSeries(cmd)) {
          for (const p of n.points) app.appendHistogram(0, n.labels, p.t, undefined, p.h);
          this.histogramSeries.push(n.labels);
        }
      }
    } catch (e) {
      app.rollback();
      throw e;
    }
    await app.commit();
  }
}

/** One classic histogram's values at one timestamp. */
interface ClassicPoint {
  /** Cumulative count by upper bound. */
  buckets: Map<number, number>;
  count?: number;
  sum?: number;
}

/**
 * The native histograms with custom buckets that `load_with_nhcb` derives from classic ones: per
 * series (labels without `le`, name without the suffix) and timestamp, the bucket bounds seen in
 * any of its samples, the `_bucket` counts made non-cumulative, `_count` (else the +Inf bucket)
 * and `_sum` (else 0).
 */
function nhcbSeries(cmd: LoadCmd): { labels: Labels; points: { t: number; h: FloatHistogram }[] }[] {
  const byBase = new Map<string, { labels: Labels; bounds: Set<number>; at: Map<number, ClassicPoint> }>();
  for (const s of cmd.series) {
    const name = s.labels.metricName();
    const suffix = ['_bucket', '_count', '_sum'].find((x) => name.endsWith(x));
    if (suffix === undefined) continue;
    let le = 0;
    if (suffix === '_bucket') {
      const v = parseGoFloat(s.labels.get('le'));
      if (!s.labels.has('le') || v === undefined || Number.isNaN(v)) continue;
      le = v;
    }
    const base = s.labels.builder().del('le').set(METRIC_NAME, name.slice(0, -suffix.length)).labels();
    const key = base.toString();
    let e = byBase.get(key);
    if (!e) byBase.set(key, (e = { labels: base, bounds: new Set(), at: new Map() }));
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i]!;
      if (v.omitted || v.histogram || isStaleNaN(v.value)) continue;
      const t = i * cmd.interval;
      let p = e.at.get(t);
      if (!p) e.at.set(t, (p = { buckets: new Map() }));
      if (suffix === '_bucket') {
        e.bounds.add(le);
        p.buckets.set(le, v.value);
      } else if (suffix === '_count') {
        p.count = v.value;
      } else {
        p.sum = v.value;
      }
    }
  }
  const out: { labels: Labels; points: { t: number; h: FloatHistogram }[] }[] = [];
  for (const e of byBase.values()) {
    if (e.bounds.size === 0) continue;
    const bounds = [...e.bounds].filter((b) => b !== Infinity).sort((a, b) => a - b);
    const points: { t: number; h: FloatHistogram }[] = [];
    for (const [t, p] of [...e.at].sort((a, b) => a[0] - b[0])) {
      const buckets = new Array<number>(bounds.length + 1).fill(0);
      let prev = 0;
      for (const [ub, cum] of [...p.buckets].sort((a, b) => a[0] - b[0])) {
        const idx = ub === Infinity ? bounds.length : bounds.indexOf(ub);
        buckets[idx] = cum - prev;
        prev = cum;
      }
      const count = p.count ?? prev;
      if (!p.buckets.has(Infinity)) buckets[bounds.length] = count - prev;
      points.push({
        t,
        h: {
          counterResetHint: 'unknown', schema: CUSTOM_BUCKETS_SCHEMA, zeroThreshold: 0, zeroCount: 0, count, sum: p.sum ?? 0,
          positiveSpans: [{ offset: 0, length: buckets.length }], negativeSpans: [], positiveBuckets: buckets, negativeBuckets: [],
          customValues: bounds,
        },
      });
    }
    out.push({ labels: e.labels, points });
  }
  return out;
}

/** Text that only experimental syntax produces (checked when our parser rejects a query). */
const EXPERIMENTAL_SYNTAX = [
  /\b(?:anchored|smoothed)\b/,
  /\bfill(?:_left|_right)?\s*\(/,
  /(?<!@\s*)\b(?:start|end|range|step|info|double_exponential_smoothing|mad_over_time|ts_of_(?:first|last|min|max)_over_time|max_of|min_of|start_timestamp|limitk|limit_ratio)\s*\(/,
  /\[[^\]]*(?:[-+*/%^(]|\bstep\b|\brange\b)[^\]]*\]/,
  /\boffset\s*[-+]?\s*\(/,
];

function isCrash(err: unknown): boolean {
  return (
    !(err instanceof Error) ||
    err instanceof TypeError ||
    err instanceof ReferenceError ||
    err instanceof RangeError ||
    err instanceof SyntaxError ||
    err instanceof EvalError
  );
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function crashMessage(err: unknown): string {
  const stack = err instanceof Error && err.stack ? `\n${err.stack.split('\n').slice(1, 6).join('\n')}` : '';
  return `engine crashed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}${stack}`;
}

/** Runs one script. Never throws for problems in the script or the engine: they become failed cases. */
export async function runScript(name: string, text: string, opts: RunOptions): Promise<FileReport> {
  const report: FileReport = { name, passed: 0, failed: 0, skipped: 0, cases: [] };
  const add = (c: CaseResult): void => {
    report.cases.push(c);
    report[c.status]++;
  };
  const script = parseScript(text);
  for (const e of script.errors) add({ line: e.line, expr: '', status: 'failed', message: e.message });
  const experimentalFile = !opts.enableExperimental && EXPERIMENTAL_FILES.includes(fileStem(name));
  const storage = new TestStorage();
  for (const cmd of script.commands) {
    switch (cmd.kind) {
      case 'clear':
        storage.clear();
        break;
      case 'load':
        if (experimentalFile) break;
        if (cmd.error) {
          add({ line: cmd.line, expr: 'load', status: 'failed', message: cmd.error });
          break;
        }
        try {
          await storage.load(cmd);
        } catch (e) {
          add({ line: cmd.line, expr: 'load', status: 'failed', message: `error loading data (line ${cmd.line}): ${errorMessage(e)}` });
        }
        break;
      case 'eval': {
        const base = { line: cmd.line, expr: cmd.expr };
        if (experimentalFile) {
          add({ ...base, status: 'skipped', reason: SkipReason.ExperimentalFeature });
          break;
        }
        if (cmd.error) {
          add({ ...base, status: 'failed', message: cmd.error });
          break;
        }
        const skip = skipReason(cmd, storage, opts);
        if (skip) {
          add({ ...base, status: 'skipped', reason: skip });
          break;
        }
        const f = await evaluate(cmd, storage.head, opts);
        if (f === 'unsupported') {
          // Only with native histograms enabled does the engine reach this error.
          add({ ...base, status: 'skipped', reason: SkipReason.NativeHistograms });
          break;
        }
        add(f ? { ...base, status: 'failed', message: f.message, ...(f.diff ? { diff: f.diff } : {}) } : { ...base, status: 'passed' });
        break;
      }
    }
  }
  report.cases.sort((a, b) => a.line - b.line);
  return report;
}

function skipReason(cmd: EvalCmd, storage: TestStorage, opts: RunOptions): SkipReason | undefined {
  const skipHistograms = opts.nativeHistograms !== true;
  if (skipHistograms) for (const e of cmd.expected.values()) if (e.values.some((v) => v.histogram)) return SkipReason.NativeHistograms;
  const histogramSeries = skipHistograms ? storage.histogramSeries : [];
  let expr: Expr | undefined;
  try {
    expr = opts.parser.parseExpr(cmd.expr);
  } catch (e) {
    // Experimental syntax the parser does not support at all is skipped even when enabled.
    if (/experimental|is not enabled/.test(errorMessage(e))) return SkipReason.ExperimentalFeature;
    if (!opts.enableExperimental && EXPERIMENTAL_SYNTAX.some((re) => re.test(cmd.expr))) return SkipReason.ExperimentalFeature;
  }
  if (expr === undefined) {
    // Without a syntax tree, a histogram series' name in the query is the best evidence.
    const names = histogramSeries.map((l) => l.metricName()).filter((n) => n !== '');
    return names.some((n) => new RegExp(`(?<![\\w:])${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w:])`).test(cmd.expr))
      ? SkipReason.NativeHistograms
      : undefined;
  }
  if (!opts.enableExperimental && usesExperimental(expr)) return SkipReason.ExperimentalFeature;
  // The head cannot store start timestamps, so such series cannot be tested even when enabled.
  if (selectsAny(expr, storage.startTimestampSeries)) return SkipReason.ExperimentalFeature;
  if (selectsAny(expr, histogramSeries)) return SkipReason.NativeHistograms;
  return undefined;
}

/** The error Strata's engine gives for native-histogram evaluation it does not implement. */
export const NATIVE_HISTOGRAMS_UNSUPPORTED = 'native histograms are not supported by this engine yet';

/** Thrown out of a case when the engine declared its native-histogram evaluation unsupported. */
class Unsupported extends Error {}

function checkUnsupported(err: unknown): void {
  if (errorMessage(err).includes(NATIVE_HISTOGRAMS_UNSUPPORTED)) throw new Unsupported();
}

/** A failure, nothing (passed), or 'unsupported' when the engine declared the case unsupported. */
async function evaluate(cmd: EvalCmd, queryable: Queryable, opts: RunOptions): Promise<Failure | 'unsupported' | undefined> {
  try {
    return cmd.isRange ? await evalRange(cmd, queryable, opts) : await evalInstant(cmd, queryable, opts);
  } catch (e) {
    if (e instanceof Unsupported) return 'unsupported';
    return new Failure(crashMessage(e));
  }
}

async function startQuery(make: () => TestQuery | Promise<TestQuery>): Promise<{ q: TestQuery } | { err: unknown }> {
  try {
    return { q: await make() };
  } catch (err) {
    if (isCrash(err)) throw err;
    checkUnsupported(err);
    return { err };
  }
}

async function execQuery(q: TestQuery): Promise<{ res: Awaited<ReturnType<TestQuery['exec']>> } | { err: unknown }> {
  try {
    return { res: await q.exec() };
  } catch (err) {
    if (isCrash(err)) throw err;
    checkUnsupported(err);
    return { err };
  } finally {
    q.close?.();
  }
}

function mismatch(cmd: EvalCmd, value: Value, message: string): Failure {
  const labels = new Map<string, Labels>();
  for (const [k, e] of cmd.expected) labels.set(k, e.labels);
  if (value.type === 'vector') for (const s of value.value) labels.set(s.metric.toString(), s.metric);
  if (value.type === 'matrix') for (const s of value.value) labels.set(s.metric.toString(), s.metric);
  const exp = value.type === 'string' ? new Map([['', `string ${quote(cmd.expectedString)}`]]) : expectedLines(cmd);
  return new Failure(message, diffLines(exp, resultLines(cmd, value), (k) => labels.get(k)));
}

async function evalRange(cmd: EvalCmd, queryable: Queryable, opts: RunOptions): Promise<Failure | undefined> {
  const started = await startQuery(() => opts.engine.rangeQuery(queryable, cmd.expr, cmd.start, cmd.end, cmd.step));
  if ('err' in started) {
    if (isFail(cmd) && checkExpectedFailure(cmd, errorMessage(started.err)) === undefined) return undefined;
    return new Failure(`error creating range query for ${quote(cmd.expr)} (line ${cmd.line}): ${errorMessage(started.err)}`);
  }
  const r = await execQuery(started.q);
  if ('err' in r) {
    if (isFail(cmd)) {
      const m = checkExpectedFailure(cmd, errorMessage(r.err));
      return m === undefined ? undefined : new Failure(m);
    }
    return new Failure(`error evaluating query ${quote(cmd.expr)} (line ${cmd.line}): ${errorMessage(r.err)}`);
  }
  if (isFail(cmd)) return new Failure(`expected error evaluating query ${quote(cmd.expr)} (line ${cmd.line}) but got none`);
  const a = checkAnnotations(cmd, cmd.expr, r.res.annotations.all());
  if (a) return new Failure(a);
  const c = compareResult(cmd, r.res.value);
  if (c) return mismatch(cmd, r.res.value, `error in eval ${cmd.expr} (line ${cmd.line}): ${c}`);
  return undefined;
}

/** An instant query, then the same query with `@` on every selector at other times. */
async function evalInstant(cmd: EvalCmd, queryable: Queryable, opts: RunOptions): Promise<Failure | undefined> {
  const runs: { expr: string; t: number }[] = [{ expr: cmd.expr, t: cmd.evalTime }];
  let expr: Expr;
  try {
    expr = opts.parser.parseExpr(cmd.expr);
  } catch (e) {
    if (isCrash(e)) throw e;
    // Prometheus parses every query before running any; a query our parser rejects can only
    // pass when the case expects a failure.
    if (!isFail(cmd)) return new Failure(`error parsing query ${quote(cmd.expr)} (line ${cmd.line}): ${errorMessage(e)}`);
    return runInstant(runs[0]!, cmd, queryable, opts);
  }
  const t = cmd.evalTime;
  if (setAtModifier(expr, t)) {
    const atExpr = opts.parser.exprToString(expr);
    const times = t === 0 ? [-1000, 0, 1000] : [-10 * t, 0, Math.trunc(t / 5), t, 10 * t];
    for (const et of times) runs.push({ expr: atExpr, t: et });
  }
  for (const run of runs) {
    const f = await runInstant(run, cmd, queryable, opts);
    if (f) return f;
  }
  return undefined;
}

async function runInstant(run: { expr: string; t: number }, cmd: EvalCmd, queryable: Queryable, opts: RunOptions): Promise<Failure | undefined> {
  const at = run.expr === cmd.expr && run.t === cmd.evalTime ? '' : ` (re-run at t=${run.t}ms with @ modifiers)`;
  const started = await startQuery(() => opts.engine.instantQuery(queryable, run.expr, run.t));
  if ('err' in started) {
    if (isFail(cmd) && checkExpectedFailure(cmd, errorMessage(started.err)) === undefined) return undefined;
    return new Failure(`error creating instant query for ${quote(run.expr)} (line ${cmd.line})${at}: ${errorMessage(started.err)}`);
  }
  const r = await execQuery(started.q);
  if ('err' in r) {
    if (isFail(cmd)) {
      const m = checkExpectedFailure(cmd, errorMessage(r.err));
      return m === undefined ? undefined : new Failure(m + at);
    }
    return new Failure(`error evaluating query ${quote(run.expr)} (line ${cmd.line})${at}: ${errorMessage(r.err)}`);
  }
  if (isFail(cmd)) return new Failure(`expected error evaluating query ${quote(run.expr)} (line ${cmd.line}) but got none${at}`);
  const a = checkAnnotations(cmd, run.expr, r.res.annotations.all());
  if (a) return new Failure(a + at);
  const value = r.res.value;
  const c = compareResult(cmd, value);
  if (c) return mismatch(cmd, value, `error in eval ${run.expr} (line ${cmd.line})${at}: ${c}`);

  // The same query as a range query must give the same result at the evaluation time.
  if (cmd.excludeFromRangeQuery || QUERY_CONTEXT_FUNCS.test(run.expr)) return undefined;
  const rs = await startQuery(() => opts.engine.rangeQuery(queryable, run.expr, run.t - 60_000, run.t + 60_000, 60_000));
  if ('err' in rs) return new Failure(`error creating range query for ${quote(cmd.expr)} (line ${cmd.line})${at}: ${errorMessage(rs.err)}`);
  const rr = await execQuery(rs.q);
  if ('err' in rr) return new Failure(`error evaluating query ${quote(run.expr)} (line ${cmd.line}) in range mode${at}: ${errorMessage(rr.err)}`);
  // Range results are always sorted by labels, so an expected order cannot be checked there.
  if (isOrdered(cmd)) return undefined;
  if (rr.res.value.type !== 'matrix') {
    return new Failure(`range query for ${quote(run.expr)} (line ${cmd.line}) returned a ${rr.res.value.type}, not a matrix${at}`);
  }
  const mat = rr.res.value.value;
  const sorted = checkMatrixSorted(mat);
  if (sorted) return new Failure(sorted + at);
  const vec: Vector = [];
  for (const s of mat) {
    const fp = s.floats.find((p) => p.t === run.t);
    if (fp) vec.push({ metric: s.metric, t: fp.t, f: fp.f });
    const hp = s.histograms?.find((p) => p.t === run.t);
    if (hp) vec.push({ metric: s.metric, t: hp.t, f: 0, h: hp.h });
  }
  let asValue: Value;
  if (value.type === 'scalar') {
    if (vec.length === 0) return new Failure(`range query for ${quote(run.expr)} (line ${cmd.line}) returned no point at t=${run.t}${at}`);
    asValue = { type: 'scalar', value: { t: run.t, v: vec[0]!.f } };
  } else {
    asValue = { type: 'vector', value: vec };
  }
  const rc = compareResult(cmd, asValue);
  if (rc) return mismatch(cmd, asValue, `error in eval ${run.expr} (line ${cmd.line}) range mode${at}: ${rc}`);
  return undefined;
}

/** Totals over files. */
export interface RunReport {
  files: FileReport[];
  passed: number;
  failed: number;
  skipped: number;
}

export function totals(files: FileReport[]): RunReport {
  const r: RunReport = { files, passed: 0, failed: 0, skipped: 0 };
  for (const f of files) {
    r.passed += f.passed;
    r.failed += f.failed;
    r.skipped += f.skipped;
  }
  return r;
}
