// PromQL benchmarks side by side with a real Prometheus: parse time, evaluation time and peak
// memory of typical dashboard queries over ~10k series in the head, with Prometheus' own engine
// time (stats=all evalTotalTime) for the same queries on the same samples, results cross-checked.
// Run: node --expose-gc --import tsx libs/promql/bench/promql.bench.ts [--series=N] [--runs=N]
//   [--only=<query name part>] [--no-prometheus]   (add --cpu-prof to profile)

import { pathToFileURL } from 'node:url';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import type { Labels } from '../../model/index.ts';
import { Head } from '../../tsdb/index.ts';
import { WriteRequestEncoder, encodeLabels } from '../../remotewrite/index.ts';
import { Engine, type Value } from '../engine/index.ts';
import { parseExpr } from '../parser/index.ts';
import { Dataset, SCRAPE_INTERVAL } from './dataset.ts';
import { Prometheus, type PromQueryResult } from './prometheus.ts';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** Prometheus' figure in the same unit, measured in the same run. */
  reference?: number;
}

export interface PromqlBenchOptions {
  /** Series in the head (default 10,000). */
  series?: number;
  /** Least timed runs per query (quick queries run more); the median is reported (default 9). */
  runs?: number;
  /** Compare with Prometheus (default true; skipped with a note when the binary cannot start). */
  prometheus?: boolean;
  /** Only the queries whose name contains this (for profiling one query). */
  only?: string;
}

interface BenchQuery {
  name: string;
  query: string;
  /** A 1h range query with a 15s step ending at the dataset's end, else an instant query there. */
  range?: boolean;
}

export const PROMQL_BENCH_QUERIES: readonly BenchQuery[] = [
  { name: 'sum by job rate, instant', query: 'sum by (job) (rate(x[5m]))' },
  { name: 'sum by job rate, 1h range', query: 'sum by (job) (rate(x[5m]))', range: true },
  { name: 'histogram_quantile, instant', query: 'histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))' },
  { name: 'histogram_quantile, 1h range', query: 'histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))', range: true },
  { name: 'topk rate, instant', query: 'topk(5, rate(x[5m]))' },
  { name: 'subquery max_over_time, instant', query: 'max_over_time(sum by (job) (rate(x[1m]))[30m:1m])' },
];

const RANGE = 3_600_000;
const RW_BATCH = 2_000;
const gc = (globalThis as { gc?: () => void }).gc;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Parse time, ns per query. */
function parseNs(q: string, minMs = 200): number {
  for (let i = 0; i < 500; i++) parseExpr(q);
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 50; i++) parseExpr(q);
    n += 50;
    elapsed = performance.now() - start;
  }
  return (elapsed * 1e6) / n;
}

/** JS heap plus external memory (ArrayBuffer backing stores), as V8's GC statistics count them. */
function heapNow(): number {
  const h = getHeapStatistics();
  return h.used_heap_size + h.external_memory;
}

/**
 * Peak memory during a query: the largest heap + external memory seen just before any GC in the
 * run, or at its end, above the collected baseline. Garbage counts, as it does in a process's
 * footprint (the young generation's size bounds it).
 */
async function peakBytes(run: () => Promise<unknown>): Promise<number> {
  gc?.();
  gc?.();
  const base = heapNow();
  const profiler = new GCProfiler();
  profiler.start();
  await run();
  let peak = heapNow();
  const { statistics } = profiler.stop();
  for (const s of statistics) {
    const before = s.beforeGC.heapStatistics;
    peak = Math.max(peak, before.usedHeapSize + before.externalMemory);
  }
  return Math.max(0, peak - base);
}

/** Loads the dataset into our head (one appender per scrape round) and, when given, Prometheus. */
async function load(ds: Dataset, head: Head, prom: Prometheus | undefined): Promise<void> {
  const n = ds.numSeries;
  const refs = new Array<number>(n).fill(0);
  const encoded = prom ? ds.labels.map(encodeLabels) : [];
  const writers = Array.from({ length: Math.ceil(n / RW_BATCH) }, () => new WriteRequestEncoder());
  for (const [round, values] of ds.roundValues()) {
    const rt = ds.roundTime(round);
    const app = head.appender();
    for (let i = 0; i < n; i++) refs[i] = app.append(refs[i]!, ds.labels[i]!, rt - ds.offsets[i]!, values[i]!);
    await app.commit();
    if (prom) {
      // Batches of one round are in flight together; rounds go in order, as Prometheus 2.42
      // rejects out-of-order samples and anything older than half a block behind its newest.
      await Promise.all(
        writers.map((w, b) => {
          w.reset();
          for (let i = b * RW_BATCH; i < Math.min(n, (b + 1) * RW_BATCH); i++) w.sampleSeries(encoded[i]!, rt - ds.offsets[i]!, values[i]!);
          return prom.remoteWrite(w.finish());
        }),
      );
    }
  }
}

/** Series key → [ms, value][] of our result. */
function ourPoints(v: Value): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  const key = (l: Labels) => JSON.stringify(l.toRecord());
  switch (v.type) {
    case 'vector':
      for (const s of v.value) out.set(key(s.metric), [[s.t, s.f]]);
      break;
    case 'matrix':
      for (const s of v.value) out.set(key(s.metric), s.floats.map((p) => [p.t, p.f]));
      break;
    case 'scalar':
      out.set('{}', [[v.value.t, v.value.v]]);
      break;
    default:
      throw new Error(`unexpected result type ${v.type}`);
  }
  return out;
}

function promFloat(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

function promPoints(r: PromQueryResult): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const s of r.result) {
    const sorted = Object.fromEntries(Object.entries(s.metric).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    out.set(JSON.stringify(sorted), s.values.map(([t, f]) => [Math.round(t * 1000), promFloat(f)]));
  }
  return out;
}

function close(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/** Throws, naming the first difference, unless both results have the same series and points. */
export function assertSameResult(name: string, ours: Value, theirs: PromQueryResult): void {
  const fail = (msg: string): never => {
    throw new Error(`promql bench: "${name}" differs from Prometheus: ${msg}`);
  };
  if (ours.type !== theirs.resultType) fail(`result type ${ours.type} vs ${theirs.resultType}`);
  const a = ourPoints(ours);
  const b = promPoints(theirs);
  if (a.size !== b.size) fail(`${a.size} series vs ${b.size}`);
  if (a.size === 0) fail('both results are empty: the query tests nothing');
  for (const [k, pa] of a) {
    const pb = b.get(k) ?? fail(`series ${k} missing in Prometheus' result`);
    if (pa.length !== pb.length) fail(`series ${k}: ${pa.length} points vs ${pb.length}`);
    for (let i = 0; i < pa.length; i++) {
      const [ta, fa] = pa[i]!;
      const [tb, fb] = pb[i]!;
      if (ta !== tb || !close(fa, fb)) fail(`series ${k} point ${i}: ${fa} @${ta} vs ${fb} @${tb}`);
    }
  }
}

export async function runPromqlBench(opts: PromqlBenchOptions = {}): Promise<BenchResult[]> {
  const runs = opts.runs ?? 9;
  const queries = PROMQL_BENCH_QUERIES.filter((q) => opts.only === undefined || q.name.includes(opts.only));
  const ds = new Dataset({ series: opts.series ?? 10_000 });
  const seriesLabel = `${Math.round(ds.numSeries / 1000)}k series`;
  let prom: Prometheus | undefined;
  if (opts.prometheus ?? true) {
    try {
      prom = await Prometheus.start();
    } catch (err) {
      process.stderr.write(`prometheus reference skipped: ${(err as Error).message}\n`);
    }
  }
  try {
    const head = new Head({ chunkRange: 7_200_000 });
    await load(ds, head, prom);
    const engine = new Engine();
    const t = ds.end;
    const newQuery = (q: BenchQuery) =>
      q.range ? engine.rangeQuery(head, q.query, t - RANGE, t, SCRAPE_INTERVAL) : engine.instantQuery(head, q.query, t);
    const rows: BenchResult[] = [];

    const parsed = new Set<string>();
    for (const q of queries) {
      if (parsed.has(q.query)) continue;
      parsed.add(q.query);
      rows.push({ name: `promql parse ${q.name.replace(/, .*/, '')}`, value: round3(parseNs(q.query) / 1000), unit: 'µs/query' });
    }

    for (const q of queries) {
      const range = q.range ? { start: t - RANGE, end: t, step: SCRAPE_INTERVAL } : undefined;
      const ours = await newQuery(q).exec();
      if (prom) assertSameResult(q.name, ours.value, await prom.query(q.query, t, range));
      // Warm-up; no forced GC before timing: V8 shrinks the young generation after a full GC,
      // and the first runs after one pay for growing it back.
      for (let i = 0; i < 3; i++) {
        await newQuery(q).exec();
        await prom?.query(q.query, t, range);
      }
      // Runs alternate between the two engines, so that both see the same machine load; quick
      // queries run more often (at least `runs`, until each side has had ~1s).
      const times: number[] = [];
      const evals: number[] = [];
      const trips: number[] = [];
      let total = 0;
      while (times.length < runs || (total < 1_000 && times.length < 200)) {
        const query = newQuery(q); // parsing is not part of Prometheus' evalTotalTime either
        const start = performance.now();
        await query.exec();
        const ms = performance.now() - start;
        times.push(ms);
        total += ms;
        if (prom) {
          const r = await prom.query(q.query, t, range);
          evals.push(r.evalMs);
          trips.push(r.roundTripMs);
        }
      }
      if (process.env.BENCH_DEBUG) {
        process.stderr.write(`${q.name}: strata ${times.map((x) => x.toFixed(1)).join(' ')}\n  prometheus ${evals.map((x) => x.toFixed(1)).join(' ')}\n`);
      }
      const reference = prom ? { reference: round3(median(evals)) } : {};
      rows.push({ name: `promql eval ${q.name} (${seriesLabel})`, value: round3(median(times)), unit: 'ms', ...reference });
      if (prom) rows.push({ name: `  prometheus HTTP round trip, ${q.name}`, value: round3(median(trips)), unit: 'ms' });
    }

    if (gc) {
      for (const q of queries) {
        const bytes = await peakBytes(() => newQuery(q).exec());
        rows.push({ name: `promql peak memory ${q.name}`, value: round3(bytes / 1_048_576), unit: 'MiB' });
      }
    }
    return rows;
  } finally {
    await prom?.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const rows = await runPromqlBench({
    ...(flag('series') ? { series: Number(flag('series')) } : {}),
    ...(flag('runs') ? { runs: Number(flag('runs')) } : {}),
    ...(flag('only') ? { only: flag('only')! } : {}),
    prometheus: !process.argv.includes('--no-prometheus'),
  });
  for (const r of rows) {
    const ref = r.reference !== undefined ? `  prometheus ${r.reference}  ratio ${(r.value / r.reference).toFixed(2)}` : '';
    console.log(`${r.name.padEnd(52)} ${String(r.value).padStart(10)} ${r.unit}${ref}`);
  }
}
