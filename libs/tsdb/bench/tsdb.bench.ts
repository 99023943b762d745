// TSDB benchmarks: head append throughput and memory, block bytes per sample (against a block of
// the same data written by promtool), and reading many series from a block.
// Run: node --expose-gc --import tsx libs/tsdb/bench/tsdb.bench.ts

import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Matcher, MatchType } from '../../model/index.ts';
import { ValueType } from '../../storage/index.ts';
import { DB, Block, headChunkSeries, writeBlock } from '../index.ts';
import { nextValue, nodeSeries, rng, scrapeTime, type GeneratedSeries } from './nodegen.ts';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** Reference value (Prometheus) when measured in the same run. */
  reference?: number;
}

const exec = promisify(execFile);
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % 7_200_000);
const gc = (globalThis as { gc?: () => void }).gc;

/** JS heap plus ArrayBuffer backing stores (chunk buffers over 64 bytes live outside the heap). */
function heapUsed(): number {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Fills a DB's head with `samples` scrapes of the series; one commit per host scrape (~415 samples). */
async function fill(db: DB, series: GeneratedSeries[], samples: number, timed: boolean): Promise<{ appendMs: number; appended: number }> {
  const r = rng(42);
  const refs = new Array<number>(series.length).fill(0);
  const values = new Float64Array(series.length);
  const hostOf = series.map((s) => s.labels.get('instance'));
  const bounds: number[] = [0];
  for (let i = 1; i < series.length; i++) if (hostOf[i] !== hostOf[i - 1]) bounds.push(i);
  bounds.push(series.length);
  const ts = new Float64Array(bounds.length);
  let appendMs = 0;
  let appended = 0;
  for (let round = 0; round < samples; round++) {
    for (let i = 0; i < series.length; i++) values[i] = nextValue(series[i]!.kind, values[i]!, r);
    for (let h = 0; h < bounds.length - 1; h++) ts[h] = scrapeTime(T0, round, r);
    // Round 0 creates the series; the measured rounds append to existing ones.
    const start = performance.now();
    for (let h = 0; h < bounds.length - 1; h++) {
      const app = db.appender();
      const t = ts[h]!;
      for (let i = bounds[h]!; i < bounds[h + 1]!; i++) refs[i] = app.append(refs[i]!, series[i]!.labels, t, values[i]!);
      await app.commit();
    }
    if (round > 0 || !timed) {
      appendMs += performance.now() - start;
      appended += series.length;
    }
  }
  return { appendMs, appended };
}

export async function runHeadBench(opts: { series?: number; samples?: number } = {}): Promise<BenchResult[]> {
  const n = opts.series ?? 100_000;
  const samples = opts.samples ?? 120;
  const dir = await mkdtemp(join(tmpdir(), 'strata-bench-head-'));
  try {
    const series = nodeSeries(n);
    const before = heapUsed();
    const rssBefore = process.memoryUsage().rss;
    const db = await DB.open(dir, { walFsync: 'never', autoCompact: false });
    const cpu0 = process.cpuUsage();
    const { appendMs, appended } = await fill(db, series, samples, true);
    const cpu = process.cpuUsage(cpu0);
    const after = heapUsed();
    const rssAfter = process.memoryUsage().rss;
    const results: BenchResult[] = [
      { name: `head append, ${n} series x ${samples} samples, WAL on (fsync off)`, value: Math.round(appended / (appendMs / 1000)), unit: 'samples/s' },
      { name: 'head append CPU per sample', value: +(((cpu.user + cpu.system) / (appended + n)) * 1000).toFixed(1), unit: 'ns/sample' },
      { name: 'head memory per active series (JS heap + buffers, incl. labels)', value: Math.round((after - before) / n), unit: 'bytes' },
      { name: 'head memory per active series (RSS delta)', value: Math.round((rssAfter - rssBefore) / n), unit: 'bytes' },
    ];
    await db.close();
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await dirBytes(p) : (await stat(p)).size;
  }
  return total;
}

async function blockDataBytes(blockDir: string): Promise<number> {
  return (await dirBytes(join(blockDir, 'chunks'))) + (await stat(join(blockDir, 'index'))).size;
}

/** Bytes per sample of our block vs promtool's block of the same data (2h of 15s scrapes). */
export async function runBlockBytesBench(opts: { series?: number } = {}): Promise<BenchResult[]> {
  const n = opts.series ?? 2_000;
  const samples = 480;
  const dir = await mkdtemp(join(tmpdir(), 'strata-bench-block-'));
  try {
    const series = nodeSeries(n);
    const db = await DB.open(join(dir, 'db'), { walFsync: 'never', autoCompact: false });
    await fill(db, series, samples, false);
    const out = join(dir, 'ours');
    const meta = await writeBlock(out, headChunkSeries(db.head, T0, T0 + 7_200_000 - 1), { minTime: T0, maxTime: T0 + 7_200_000 });
    const ours = (await blockDataBytes(join(out, meta.ulid))) / meta.stats.numSamples;

    // The same samples as OpenMetrics for promtool.
    let reference: number | undefined;
    const lines: string[] = [];
    const q = db.head.querier(-Infinity, Infinity);
    for await (const s of q.select(true, undefined, [new Matcher(MatchType.Regexp, '__name__', '.+')])) {
      const name = s.labels.metricName();
      const parts: string[] = [];
      s.labels.forEach((n, v) => n !== '__name__' && parts.push(`${n}=${JSON.stringify(v)}`));
      const rest = `{${parts.join(',')}}`; // OpenMetrics allows no spaces in label sets
      const it = s.iterator();
      while (it.next() !== ValueType.None) lines.push(`${name}${rest} ${it.atF()} ${(it.atT() / 1000).toFixed(3)}`);
    }
    lines.push('# EOF\n');
    await writeFile(join(dir, 'in.om'), lines.join('\n'));
    try {
      await exec('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'in.om'), join(dir, 'prom')], { maxBuffer: 64 << 20 });
      let bytes = 0;
      let count = 0;
      for (const b of await readdir(join(dir, 'prom'))) {
        const m = JSON.parse(await (await import('node:fs/promises')).readFile(join(dir, 'prom', b, 'meta.json'), 'utf8')) as { stats: { numSamples: number } };
        bytes += await blockDataBytes(join(dir, 'prom', b));
        count += m.stats.numSamples;
      }
      reference = bytes / count;
    } catch (e) {
      process.stderr.write(`promtool reference skipped: ${(e as Error).message}\n`);
      reference = undefined;
    }
    await db.close();
    return [
      {
        name: `block bytes/sample (chunks+index), node_exporter-like, ${n} series x 2h`,
        value: +ours.toFixed(3),
        unit: 'bytes/sample',
        ...(reference !== undefined ? { reference: +reference.toFixed(3) } : {}),
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Selecting and iterating every sample of 10k series x 2h from a block on disk. */
export async function runBlockSelectBench(opts: { series?: number } = {}): Promise<BenchResult[]> {
  const n = opts.series ?? 10_000;
  const dir = await mkdtemp(join(tmpdir(), 'strata-bench-select-'));
  try {
    const series = nodeSeries(n);
    const db = await DB.open(join(dir, 'db'), { walFsync: 'never', autoCompact: false });
    await fill(db, series, 480, false);
    const meta = await writeBlock(join(dir, 'blocks'), headChunkSeries(db.head, T0, T0 + 7_200_000 - 1), { minTime: T0, maxTime: T0 + 7_200_000 });
    await db.close();
    const times: number[] = [];
    let total = 0;
    for (let rep = 0; rep < 5; rep++) {
      const start = performance.now();
      const block = await Block.open(join(dir, 'blocks', meta.ulid));
      const q = block.querier(T0, T0 + 7_200_000);
      let count = 0;
      let sum = 0;
      for await (const s of q.select(false, undefined, [new Matcher(MatchType.Equal, 'job', 'node')])) {
        const it = s.iterator();
        while (it.next() !== ValueType.None) {
          sum += it.atF();
          count++;
        }
      }
      block.close();
      times.push(performance.now() - start);
      total = count;
      if (sum === -1) console.log(sum); // keep the loop observable
    }
    times.sort((a, b) => a - b);
    const median = times[2]!;
    return [
      { name: `select ${n} series x 2h from a block (open + decode ${total} samples), median of 5`, value: +median.toFixed(1), unit: 'ms' },
      { name: 'block read throughput', value: Math.round(total / (median / 1000)), unit: 'samples/s' },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of [...(await runHeadBench()), ...(await runBlockBytesBench()), ...(await runBlockSelectBench())]) {
    console.log(`${r.name}: ${r.value} ${r.unit}${r.reference !== undefined ? ` (promtool: ${r.reference})` : ''}`);
  }
}
