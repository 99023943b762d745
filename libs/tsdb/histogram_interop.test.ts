// Native histograms against the real Prometheus (Debian 2.42; skipped when not installed):
// - Prometheus' own histogram chunks (remote write, then an admin snapshot to a block) decode in
//   Strata to what was sent, and Strata's appender encodes the same samples to the same bytes;
// - Prometheus' WAL histogram records decode in Strata;
// - a block and a WAL written by Strata load in Prometheus, whose query API returns what we stored.
// Custom buckets (schema -53) are left out: Prometheus 2.42 predates them. So are, for the
// snapshot, gauge histograms: 2.42 re-encodes the open head chunk with counter rules and fails
// ("detected unexpected counter reset"). And 2.42's remote-write receiver takes a float
// histogram for an integer one unless its count is non-zero, so a float series' stale marker
// arrives as an integer histogram.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Labels, Matcher, MatchType, STALE_NAN, bucketBound, forEachBucket, isStaleNaN, newHistogram, type FloatHistogram } from '../model/index.ts';
import { ValueType } from '../storage/index.ts';
import { FloatHistogramChunk, HistogramChunk } from './chunkenc/index.ts';
import type { HistogramAppenderBase, HistogramChunkBase } from './chunkenc/index.ts';
import { Block, DB, postingsForMatchers } from './index.ts';
import { RecordType, decodeHistogramSamples, decodeSeries, readRecords, recordType, type RefHistogramSample } from './wal/index.ts';
import { HAS_PROMETHEUS, PrometheusServer, encodeHistogramWriteRequest, type ApiHistogram, type SentHistogram } from './testdata/prometheus.ts';

const skip = !HAS_PROMETHEUS && 'prometheus not installed';
const STEP = 15_000;
const N = 240;
// Recent, so that Prometheus' retention and head bounds never get in the way.
const T0 = Math.floor((Date.now() - 3 * 3_600_000) / 1000) * 1000;

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

/**
 * A histogram series as an instrumented client would send it: a counter that grows, gains
 * buckets (Prometheus recodes), resets once, or a gauge; float or integer counts.
 */
function makeSeries(seed: number, float: boolean, gauge: boolean, stale: boolean): SentHistogram[] {
  const r = rng(seed);
  const out: SentHistogram[] = [];
  const pos = new Map<number, number>([[-1, 0], [0, 0], [1, 0]]);
  const neg = new Map<number, number>([[2, 0]]);
  let zc = 0;
  let sum = 0;
  const schema = Math.floor(r() * 13) - 4;
  const zt = r() < 0.5 ? 2 ** -128 : 0.001;
  for (let i = 0; i < N; i++) {
    const inc = () => (float ? Math.round(r() * 800) / 100 : Math.floor(r() * 9));
    if (i === 120 && !gauge) {
      for (const m of [pos, neg]) for (const k of m.keys()) m.set(k, 0); // a counter reset
      zc = 0;
    }
    if (i === 60 || i === 170) pos.set(5 + i / 10, 0); // a new bucket
    for (const m of [pos, neg]) for (const [k, v] of m) m.set(k, gauge ? inc() : v + inc());
    zc = gauge ? inc() : zc + inc();
    sum += r() * 100 - 20;
    const h = newHistogram();
    h.schema = schema;
    h.zeroThreshold = zt;
    h.zeroCount = zc;
    h.sum = sum;
    h.counterResetHint = gauge ? 'gauge' : 'unknown';
    const side = (m: Map<number, number>) => {
      const idx = [...m.keys()].sort((a, b) => a - b);
      const spans: FloatHistogram['positiveSpans'] = [];
      let last = 0;
      for (const x of idx) {
        if (spans.length > 0 && x === last + 1) spans[spans.length - 1]!.length++;
        else spans.push({ offset: spans.length === 0 ? x : x - last - 1, length: 1 });
        last = x;
      }
      return { spans, buckets: idx.map((x) => m.get(x)!) };
    };
    const p = side(pos);
    const n = side(neg);
    h.positiveSpans = p.spans;
    h.positiveBuckets = p.buckets;
    h.negativeSpans = n.spans;
    h.negativeBuckets = n.buckets;
    h.count = zc + p.buckets.reduce((a, b) => a + b, 0) + n.buckets.reduce((a, b) => a + b, 0);
    // Prometheus 2.42 takes a histogram for a float one only with a non-zero float count.
    if (float && h.count === 0) h.count = h.zeroCount = 0.5;
    out.push({ t: T0 + i * STEP + (i % 4 === 0 ? 3 : 0), h, float });
  }
  if (stale) out.push({ t: T0 + N * STEP, h: { ...newHistogram(), sum: STALE_NAN }, float });
  return out;
}

const SERIES: { name: string; samples: SentHistogram[] }[] = [
  { name: 'int_counter', samples: makeSeries(1, false, false, true) },
  { name: 'int_gauge', samples: makeSeries(2, false, true, false) },
  { name: 'float_counter', samples: makeSeries(3, true, false, true) },
  { name: 'float_gauge', samples: makeSeries(4, true, true, false) },
];
const labelsOf = (name: string) => Labels.fromStrings('__name__', name, 'job', 'interop');

/** What a decoded sample must equal: the same counts, buckets and sum (bits). */
function assertSame(where: string, got: FloatHistogram, exp: FloatHistogram): void {
  assert.ok(Object.is(got.sum, exp.sum) || (isStaleNaN(got.sum) && isStaleNaN(exp.sum)), `${where}: sum ${got.sum} vs ${exp.sum}`);
  if (isStaleNaN(exp.sum)) return;
  assert.equal(got.count, exp.count, `${where}: count`);
  assert.equal(got.zeroCount, exp.zeroCount, `${where}: zero count`);
  assert.equal(got.schema, exp.schema, `${where}: schema`);
  assert.equal(got.zeroThreshold, exp.zeroThreshold, `${where}: zero threshold`);
  const nonEmpty = (spans: FloatHistogram['positiveSpans'], b: number[]) => {
    const out: string[] = [];
    forEachBucket(spans, b, (i, c) => c !== 0 && out.push(`${i}:${c}`));
    return out;
  };
  assert.deepEqual(nonEmpty(got.positiveSpans, got.positiveBuckets), nonEmpty(exp.positiveSpans, exp.positiveBuckets), `${where}: positive buckets`);
  assert.deepEqual(nonEmpty(got.negativeSpans, got.negativeBuckets), nonEmpty(exp.negativeSpans, exp.negativeBuckets), `${where}: negative buckets`);
}

async function remoteWriteAll(prom: PrometheusServer, series = SERIES): Promise<void> {
  // Several requests, as a sender batches them. The stale markers go alone: 2.42 commits integer
  // histograms before float ones, so a float series' (integer) stale marker would overtake them.
  for (let i = 0; i < N; i += 50) {
    await prom.remoteWrite(encodeHistogramWriteRequest(series.map((s) => ({ labels: labelsOf(s.name), histograms: s.samples.slice(i, Math.min(i + 50, N)) }))));
  }
  await prom.remoteWrite(encodeHistogramWriteRequest(series.map((s) => ({ labels: labelsOf(s.name), histograms: s.samples.slice(N) }))));
}

const COUNTERS = SERIES.filter((s) => s.samples[0]!.h.counterResetHint !== 'gauge');

test('histogram chunks written by Prometheus decode in Strata and re-encode to the same bytes', { skip }, async (t: TestContext) => {
  const prom = await PrometheusServer.start();
  t.after(() => prom.stop());
  await remoteWriteAll(prom, COUNTERS);
  const snap = await prom.snapshot();
  const seen = new Map<string, number>();
  let compared = 0;
  for (const dir of await readdir(snap)) {
    const block = await Block.open(join(snap, dir));
    try {
      const refs = postingsForMatchers(block.index, [new Matcher(MatchType.Equal, 'job', 'interop')]);
      for (let k = 0; k < refs.length; k++) {
        const { labels, chunks } = block.index.series(refs[k]!);
        const sent = SERIES.find((s) => s.name === labels.metricName())!;
        for (const meta of chunks) {
          const chunk = block.chunkReader.chunk(meta.ref) as HistogramChunkBase<HistogramAppenderBase>;
          const staleOnly = meta.minTime === sent.samples[sent.samples.length - 1]!.t && isStaleNaN(sent.samples[sent.samples.length - 1]!.h.sum);
          if (!staleOnly) assert.equal(chunk.encoding, sent.samples[0]!.float ? 3 : 2, `${sent.name}: chunk encoding`);
          // Decode Prometheus' chunk and encode the same samples with a fresh appender of ours.
          const mine = chunk.encoding === 3 ? new FloatHistogramChunk() : new HistogramChunk();
          let cur: HistogramChunkBase<HistogramAppenderBase> = mine;
          const it = chunk.iterator();
          for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) {
            const exp = sent.samples.find((s) => s.t === it.atT());
            assert.ok(exp !== undefined, `${sent.name}: no sample sent at ${it.atT()}`);
            assertSame(`${sent.name}@${it.atT()}`, it.atFH(), exp.h);
            const next = cur.appender().appendHistogram(exp.t, exp.h);
            assert.ok(next === cur || cur.appender().recoded, `${sent.name}@${exp.t}: Prometheus kept in one chunk what we would cut`);
            cur = next;
            seen.set(sent.name, (seen.get(sent.name) ?? 0) + 1);
          }
          assert.equal(it.err(), undefined);
          const theirs = Buffer.from(chunk.bytes());
          let ours = Buffer.from(cur.bytes());
          // The header's counter-reset bits depend on the chunk before; Prometheus 2.x may end a
          // chunk with one zero byte more (its bstream.writeByte, fixed in 3.0).
          ours[2] = theirs[2]!;
          if (theirs.length === ours.length + 1 && theirs[theirs.length - 1] === 0) ours = Buffer.concat([ours, Buffer.of(0)]);
          assert.equal(ours.toString('hex'), theirs.toString('hex'), `${sent.name}: chunk bytes`);
          compared++;
        }
      }
    } finally {
      block.close();
    }
  }
  for (const s of COUNTERS) assert.equal(seen.get(s.name), s.samples.length, `${s.name}: every sample in the snapshot`);
  // Each counter: before and after the reset (both recoded for a new bucket); the float one's stale marker alone.
  assert.ok(compared >= 5, `${compared} chunks compared`);
});

test('histogram WAL records written by Prometheus decode in Strata', { skip }, async (t: TestContext) => {
  const prom = await PrometheusServer.start();
  t.after(() => prom.stop());
  await remoteWriteAll(prom);
  await prom.stop({ keep: true, kill: true }); // the WAL as a crash leaves it
  const names = new Map<number, string>();
  const got = new Map<string, RefHistogramSample[]>();
  for (const rec of readRecords(join(prom.dataDir, 'wal'))) {
    const type = recordType(rec);
    if (type === RecordType.Series) for (const s of decodeSeries(rec)) names.set(s.ref, s.labels.metricName());
    if (type === RecordType.HistogramSamples || type === RecordType.FloatHistogramSamples) {
      const out: RefHistogramSample[] = [];
      const n = decodeHistogramSamples(rec, out);
      for (const s of out.slice(0, n)) {
        const name = names.get(s.ref)!;
        const sent = SERIES.find((x) => x.name === name)!;
        if (!isStaleNaN(s.h.sum)) assert.equal(type === RecordType.FloatHistogramSamples, sent.samples[0]!.float, `${name}: record type`);
        if (!got.has(name)) got.set(name, []);
        got.get(name)!.push(s);
      }
    }
  }
  for (const s of SERIES) {
    const recs = got.get(s.name)!;
    assert.equal(recs.length, s.samples.length, s.name);
    recs.forEach((r, i) => {
      assert.equal(r.t, s.samples[i]!.t);
      assertSame(`${s.name} WAL sample ${i}`, r.h, s.samples[i]!.h);
      // The hint travels too (gauge, or what the sender said).
      if (!isStaleNaN(r.h.sum)) assert.equal(r.h.counterResetHint, s.samples[i]!.h.counterResetHint);
    });
  }
});

/**
 * Prometheus' JSON histogram for one of ours (its AllBucketIterator): count, sum, the non-empty
 * buckets with their bounds, bucket bounds inside the zero bucket clipped to it.
 */
function apiHistogram(h: FloatHistogram): { count: number; sum: number; buckets: string[] } {
  const zt = h.zeroThreshold;
  const buckets: string[] = [];
  forEachBucket(h.negativeSpans, h.negativeBuckets, (i, c) => {
    let upper = -bucketBound(i - 1, h.schema, undefined);
    if (upper > -zt) upper = -zt;
    if (c !== 0) buckets.push(`1 ${-bucketBound(i, h.schema, undefined)} ${upper} ${c}`);
  });
  if (h.zeroCount > 0) buckets.push(`3 ${-zt} ${zt} ${h.zeroCount}`);
  forEachBucket(h.positiveSpans, h.positiveBuckets, (i, c) => {
    let lower = bucketBound(i - 1, h.schema, undefined);
    if (lower < zt) lower = zt;
    if (c !== 0) buckets.push(`0 ${lower} ${bucketBound(i, h.schema, undefined)} ${c}`);
  });
  return { count: h.count, sum: h.sum, buckets: buckets.sort() };
}

function fromApi(h: ApiHistogram): { count: number; sum: number; buckets: string[] } {
  return {
    count: Number(h.count),
    sum: Number(h.sum),
    buckets: (h.buckets ?? []).map(([rule, lo, hi, c]) => `${rule} ${Number(lo)} ${Number(hi)} ${Number(c)}`).sort(),
  };
}

/** Every raw sample of each series through Prometheus' query API (a range selector). */
async function assertPrometheusHas(prom: PrometheusServer): Promise<void> {
  const end = T0 + (N + 1) * STEP;
  for (const s of SERIES) {
    const res = await prom.query(`${s.name}{job="interop"}[1d]`, end);
    assert.equal(res.length, 1, `${s.name}: one series`);
    const hs = res[0]!.histograms ?? [];
    const want = s.samples.filter((x) => !isStaleNaN(x.h.sum)); // range selectors drop stale markers
    assert.equal(hs.length, want.length, `${s.name}: samples`);
    hs.forEach(([ts, h], i) => {
      assert.equal(Math.round(ts * 1000), want[i]!.t, `${s.name}: timestamp ${i}`);
      assert.deepEqual(fromApi(h), apiHistogram(want[i]!.h), `${s.name}@${want[i]!.t}`);
    });
  }
}

async function fillStrata(dir: string): Promise<DB> {
  const db = await DB.open(dir, { autoCompact: false });
  for (let i = 0; i < N + 1; i++) {
    const app = db.appender();
    for (const s of SERIES) {
      const x = s.samples[i];
      if (x === undefined) continue;
      if (x.float) app.appendHistogram(0, labelsOf(s.name), x.t, undefined, x.h);
      else app.appendHistogram(0, labelsOf(s.name), x.t, x.h);
    }
    await app.commit();
  }
  return db;
}

test('a block written by Strata loads in Prometheus, which returns the same histograms', { skip }, async (t: TestContext) => {
  const prom = await PrometheusServer.start(async (data) => {
    await mkdir(data, { recursive: true });
    const db = await fillStrata(join(data, 'strata'));
    await db.flush();
    await db.close();
    // Move our blocks into Prometheus' data directory (without our WAL).
    for (const b of db.blocks()) await rename(b.dir, join(data, b.ulid));
    await rm(join(data, 'strata'), { recursive: true, force: true });
  });
  t.after(() => prom.stop());
  await assertPrometheusHas(prom);
});

test('a WAL written by Strata is replayed by Prometheus, which returns the same histograms', { skip }, async (t: TestContext) => {
  const prom = await PrometheusServer.start(async (data) => {
    const db = await fillStrata(data); // our DB's WAL is data/wal, where Prometheus looks for its own
    await db.close();
  });
  t.after(() => prom.stop());
  await assertPrometheusHas(prom);
});
