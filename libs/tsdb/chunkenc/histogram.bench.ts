// Histogram chunk throughput: append and iterate 120-sample chunks of request-latency-like native
// histograms (schema 3, about 30 populated buckets of a slowly moving distribution, 15s scrapes),
// integer and float. Run: node --import tsx <this file>

import { pathToFileURL } from 'node:url';
import { newHistogram, type FloatHistogram } from '../../model/index.ts';
import { ValueType } from '../../storage/index.ts';
import { FloatHistogramChunk, FloatHistogramIterator, HistogramChunk, HistogramIterator } from './index.ts';
import { rng, type BenchResult } from './xor.bench.ts';

const SAMPLES_PER_CHUNK = 120;
const SERIES = 200;

/** Series of cumulative latency histograms; `float` gives fractional (e.g. rate-like) counts. */
function generate(float: boolean): { ts: Float64Array; hs: FloatHistogram[] } {
  const r = rng(float ? 7 : 3);
  const ts = new Float64Array(SERIES * SAMPLES_PER_CHUNK);
  const hs: FloatHistogram[] = [];
  for (let s = 0; s < SERIES; s++) {
    // Buckets around 2^-3..2^1 seconds at schema 3: indexes -24..8, a few empty in between.
    const first = -24 + Math.floor(r() * 4);
    const counts = new Array<number>(30).fill(0);
    const spans = [{ offset: first, length: 12 }, { offset: 2, length: 18 }];
    let t = 1_700_000_000_000 + Math.floor(r() * 15_000);
    let sum = 0;
    let zero = 0;
    for (let i = 0; i < SAMPLES_PER_CHUNK; i++) {
      t += 15_000 + (r() < 0.85 ? 0 : Math.floor(r() * 11) - 5);
      let total = 0;
      for (let b = 0; b < counts.length; b++) {
        // A bell of requests over the buckets, about 200 requests per scrape.
        const w = Math.exp(-(((b - 15) / 5) ** 2));
        const inc = float ? Math.round(r() * w * 14 * 1000) / 1000 : Math.floor(r() * w * 14);
        counts[b]! += inc;
        total += counts[b]!;
      }
      zero += r() < 0.1 ? 1 : 0;
      sum += r() * 40;
      const h = newHistogram();
      h.schema = 3;
      h.zeroThreshold = 2 ** -128;
      h.zeroCount = zero;
      h.count = total + zero;
      h.sum = sum;
      h.positiveSpans = spans;
      h.positiveBuckets = counts.slice();
      ts[s * SAMPLES_PER_CHUNK + i] = t;
      hs.push(h);
    }
  }
  return { ts, hs };
}

function encodeAll(ts: Float64Array, hs: FloatHistogram[], float: boolean): (HistogramChunk | FloatHistogramChunk)[] {
  const chunks: (HistogramChunk | FloatHistogramChunk)[] = [];
  for (let s = 0; s < SERIES; s++) {
    const c = float ? new FloatHistogramChunk() : new HistogramChunk();
    const app = c.appender();
    const base = s * SAMPLES_PER_CHUNK;
    for (let i = 0; i < SAMPLES_PER_CHUNK; i++) app.appendHistogram(ts[base + i]!, hs[base + i]!);
    chunks.push(c);
  }
  return chunks;
}

let sink = 0;

function iterateAll(chunks: (HistogramChunk | FloatHistogramChunk)[], it: HistogramIterator | FloatHistogramIterator, into: FloatHistogram): number {
  let n = 0;
  let sum = 0;
  for (const c of chunks) {
    c.iterator(it);
    while (it.next() !== ValueType.None) {
      const h = it.atFH(into);
      sum += it.atT() + h.count + h.positiveBuckets[3]!;
      n++;
    }
  }
  sink += sum;
  return n;
}

/** Best-of-rounds rate of `fn`, which processes `samples` samples per call. */
function measure(samples: number, fn: () => void): number {
  for (let i = 0; i < 5; i++) fn(); // warm up the JIT
  let best = 0;
  for (let round = 0; round < 5; round++) {
    let calls = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    do {
      fn();
      calls++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    } while (elapsed < 0.2);
    best = Math.max(best, (calls * samples) / elapsed);
  }
  return best;
}

export async function runHistogramBench(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const float of [false, true]) {
    const kind = float ? 'float_histogram' : 'histogram';
    const { ts, hs } = generate(float);
    const total = SERIES * SAMPLES_PER_CHUNK;
    const chunks = encodeAll(ts, hs, float);
    const bytes = chunks.reduce((a, c) => a + c.bytes().length, 0);
    const it = float ? new FloatHistogramIterator() : new HistogramIterator();
    const into = newHistogram();
    const appendRate = measure(total, () => {
      encodeAll(ts, hs, float);
    });
    const iterRate = measure(total, () => {
      iterateAll(chunks, it, into);
    });
    out.push(
      { name: `${kind}_append_120 (30 buckets)`, value: Math.round(appendRate), unit: 'histograms/s' },
      { name: `${kind}_iterate_120 (30 buckets, into one histogram)`, value: Math.round(iterRate), unit: 'histograms/s' },
      { name: `${kind}_bytes_per_sample (30 buckets)`, value: Math.round((bytes / total) * 1000) / 1000, unit: 'bytes' },
    );
  }
  if (sink === 42) console.log(sink); // keep the work observable
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await runHistogramBench()) console.log(`${r.name}\t${r.value.toLocaleString('en-US')} ${r.unit}`);
}
