import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  STALE_NAN, float64FromBits, forEachBucket, isStaleNaN, newHistogram, sameFloatBits, spansFromIndexes, staleHistogram,
  validateFloatHistogram, validateHistogram, type FloatHistogram, type Span,
} from '../../model/index.ts';
import { ValueType } from '../../storage/index.ts';
import {
  ChunkCorruptError, CounterResetHeader, Encoding, FloatHistogramChunk, FloatHistogramIterator, HistogramChunk, HistogramIterator, chunkFromBytes,
  type HistogramChunkBase, type HistogramAppenderBase,
} from './index.ts';
import { HistogramBitReader, HistogramBitWriter } from './histogram_meta.ts';

type AnyChunk = HistogramChunkBase<HistogramAppenderBase>;
interface Appended {
  t: number;
  h: FloatHistogram;
}

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

/** Spans over sorted indexes, sometimes split oddly (offset-0 gaps, zero-length spans) as clients may send them. */
function spansFor(idx: number[], r: () => number, custom: boolean): Span[] {
  const spans = spansFromIndexes(idx);
  if (r() < 0.3 || spans.length === 0) return spans;
  const out: Span[] = [];
  for (const s of spans) {
    if (s.length > 1 && r() < 0.5) {
      const k = 1 + Math.floor(r() * (s.length - 1));
      out.push({ offset: s.offset, length: k }, { offset: 0, length: s.length - k });
    } else out.push(s);
    // (Zero-length spans count towards custom bounds' coverage in Prometheus' check.)
    if (!custom && r() < 0.2) out.push({ offset: Math.floor(r() * 3), length: 0 });
  }
  // A zero-length span moves the next one: fold its offset back so the indexes stay the same.
  for (let i = 0; i < out.length - 1; i++) {
    if (out[i]!.length === 0) {
      out[i + 1]!.offset -= out[i]!.offset;
      if (out[i + 1]!.offset < 0) {
        out[i]!.offset += out[i + 1]!.offset;
        out[i + 1]!.offset = 0;
      }
    }
  }
  return out;
}

function buildHistogram(
  schema: number,
  zt: number,
  custom: number[] | undefined,
  pos: Map<number, number>,
  neg: Map<number, number>,
  zc: number,
  sum: number,
  extra: number,
  r: () => number,
): FloatHistogram {
  const pIdx = [...pos.keys()].sort((a, b) => a - b);
  const nIdx = [...neg.keys()].sort((a, b) => a - b);
  const h = newHistogram();
  h.schema = schema;
  h.zeroThreshold = zt;
  h.zeroCount = zc;
  h.sum = sum;
  h.positiveSpans = spansFor(pIdx, r, custom !== undefined);
  h.positiveBuckets = pIdx.map((i) => pos.get(i)!);
  h.negativeSpans = spansFor(nIdx, r, false);
  h.negativeBuckets = nIdx.map((i) => neg.get(i)!);
  if (custom) h.customValues = custom.slice();
  h.count = h.positiveBuckets.reduce((a, b) => a + b, 0) + h.negativeBuckets.reduce((a, b) => a + b, 0) + zc + extra;
  return h;
}

const NAN_SUMS = [STALE_NAN, float64FromBits(0x7ff80000, 1), float64FromBits(0xfff80000, 0), NaN];

/**
 * A random series of histograms: counters that grow, sometimes reset, gain and lose buckets,
 * change schema or zero threshold, switch to gauge, carry NaN sums and stale markers.
 */
function randomSeries(seed: number, float: boolean, n: number): Appended[] {
  const r = rng(seed);
  const out: Appended[] = [];
  const count = (max: number): number => (float ? (r() < 0.5 ? Math.floor(r() * max) : r() * max) : Math.floor(r() * max));
  let t = Math.floor(r() * 2 ** 41) * (r() < 0.1 ? -1 : 1);
  let schema = 0;
  let zt = 0;
  let custom: number[] | undefined;
  let gauge = false;
  let pos = new Map<number, number>();
  let neg = new Map<number, number>();
  let zc = 0;
  const newLayout = (): void => {
    const kind = r();
    custom = undefined;
    if (kind < 0.2) {
      schema = -53;
      custom = [];
      let b = r() < 0.5 ? -r() * 10 : 0;
      for (let i = 0, m = 1 + Math.floor(r() * 6); i < m; i++) custom.push((b += r() < 0.5 ? Math.ceil(r() * 50) / 10 : r() * 3 + 0.001));
      if (r() < 0.1) custom.push(33554.43, 1e9);
      zt = 0;
    } else {
      schema = Math.floor(r() * 13) - 4;
      zt = [0, 2 ** -128, 0.001, 2 ** 10, 2 ** -243, 1e-300][Math.floor(r() * 6)]!;
    }
    pos = new Map();
    neg = new Map();
    const maxIdx = custom ? custom.length : 12;
    for (let i = custom ? 0 : -12; i <= maxIdx; i++) if (r() < 0.3) pos.set(i, count(20));
    if (!custom) for (let i = -12; i <= 12; i++) if (r() < 0.2) neg.set(i, count(20));
    zc = custom ? 0 : count(5);
  };
  newLayout();
  for (let i = 0; i < n; i++) {
    const step = r();
    t += r() < 0.9 ? 15_000 + (r() < 0.8 ? 0 : Math.floor(r() * 40) - 20) : Math.floor(r() * 2 ** 40);
    const hint: FloatHistogram['counterResetHint'] = gauge ? 'gauge' : r() < 0.05 ? 'reset' : r() < 0.05 ? 'not_reset' : 'unknown';
    if (step < 0.05) {
      const s = staleHistogram();
      out.push({ t, h: s });
      continue;
    }
    if (step < 0.1) newLayout();
    else if (step < 0.13) gauge = !gauge;
    else if (step < 0.2) {
      // A counter reset: some count goes down.
      for (const m of [pos, neg]) for (const [k, v] of m) m.set(k, r() < 0.5 ? count(v + 1) : v);
      if (!custom) zc = count(zc + 1);
    } else {
      const maxIdx = custom ? custom.length : 14;
      for (const m of custom ? [pos] : [pos, neg]) {
        for (const [k, v] of m) {
          if (gauge) m.set(k, count(30));
          else m.set(k, v + count(10));
          if (v === 0 && r() < 0.1) m.delete(k); // an empty bucket disappears
        }
        if (r() < 0.3) m.set(Math.floor(r() * (maxIdx + (custom ? 1 : 15))) - (custom ? 0 : 14), count(5)); // a new one
        if (r() < 0.1) m.delete([...m.keys()][0]!); // one in use disappears (a reset for counters)
      }
      if (!custom) zc = gauge ? count(9) : zc + count(3);
    }
    const nanSum = r() < 0.05;
    const sum = nanSum ? NAN_SUMS[Math.floor(r() * NAN_SUMS.length)]! : r() < 0.5 ? Math.floor(r() * 1e6) : (r() - 0.3) * 1e9;
    if (isStaleNaN(sum)) {
      out.push({ t, h: staleHistogram() });
      continue;
    }
    const h = buildHistogram(schema, zt, custom, pos, neg, zc, sum, nanSum ? count(3) : 0, r);
    h.counterResetHint = hint;
    const bad = float ? validateFloatHistogram(h) : validateHistogram(h);
    assert.equal(bad, undefined, `generated an invalid histogram: ${bad}`);
    out.push({ t, h });
  }
  return out;
}

/** Appends through the returned chunks (replacing recoded ones); returns the chunk list. */
function appendAll(samples: readonly Appended[], float: boolean, chunks: AnyChunk[] = []): AnyChunk[] {
  let cur = chunks[chunks.length - 1] ?? (float ? new FloatHistogramChunk() : new HistogramChunk());
  if (chunks.length === 0) chunks.push(cur);
  for (const { t, h } of samples) {
    const app = cur.appender();
    const got = app.appendHistogram(t, h);
    if (got !== cur) {
      if (app.recoded) chunks[chunks.length - 1] = got;
      else {
        cur.compact();
        chunks.push(got);
      }
      cur = got;
    }
  }
  return chunks;
}

/** Index → count of one side. */
function bucketMap(spans: readonly Span[], buckets: readonly number[]): Map<number, number> {
  const m = new Map<number, number>();
  forEachBucket(spans, buckets, (i, c) => m.set(i, c));
  return m;
}

function assertSameSide(what: string, exp: Map<number, number>, got: Map<number, number>): void {
  for (const [i, c] of exp) assert.ok(Object.is(got.get(i), c), `${what} bucket ${i}: expected ${c}, got ${got.get(i)}`);
  // Buckets added by layout merges are empty.
  for (const [i, c] of got) if (!exp.has(i)) assert.equal(c, 0, `${what} extra bucket ${i} has count ${c}`);
}

/** A decoded sample is what was appended, up to empty buckets added by layout merges. */
function assertSameHistogram(where: string, exp: FloatHistogram, got: FloatHistogram): void {
  assert.ok(sameFloatBits(got.sum, exp.sum), `${where}: sum bits`);
  if (isStaleNaN(exp.sum)) {
    assert.equal(got.positiveBuckets.length + got.negativeBuckets.length, 0, `${where}: stale marker without buckets`);
    return;
  }
  assert.equal(got.schema, exp.schema, `${where}: schema`);
  assert.equal(got.zeroThreshold, exp.zeroThreshold, `${where}: zero threshold`);
  assert.ok(Object.is(got.count, exp.count), `${where}: count ${got.count} vs ${exp.count}`);
  assert.ok(Object.is(got.zeroCount, exp.zeroCount), `${where}: zero count`);
  assert.deepEqual(got.customValues, exp.schema === -53 ? exp.customValues : undefined, `${where}: custom values`);
  assertSameSide(`${where} positive`, bucketMap(exp.positiveSpans, exp.positiveBuckets), bucketMap(got.positiveSpans, got.positiveBuckets));
  assertSameSide(`${where} negative`, bucketMap(exp.negativeSpans, exp.negativeBuckets), bucketMap(got.negativeSpans, got.negativeBuckets));
}

function decodeAll(chunks: readonly AnyChunk[]): { t: number; h: FloatHistogram; chunk: number; first: boolean }[] {
  const out: { t: number; h: FloatHistogram; chunk: number; first: boolean }[] = [];
  let it: HistogramIterator | FloatHistogramIterator | undefined;
  chunks.forEach((c, ci) => {
    it = c.iterator(it) as HistogramIterator | FloatHistogramIterator;
    let first = true;
    while (it.next() !== ValueType.None) {
      out.push({ t: it.atT(), h: it.atFH(), chunk: ci, first });
      first = false;
    }
    assert.equal(it.err(), undefined);
  });
  return out;
}

function checkRoundTrip(samples: readonly Appended[], chunks: readonly AnyChunk[]): void {
  const got = decodeAll(chunks);
  assert.equal(got.length, samples.length);
  for (let i = 0; i < samples.length; i++) {
    const e = samples[i]!;
    const g = got[i]!;
    assert.equal(g.t, e.t, `t of sample ${i}`);
    assertSameHistogram(`sample ${i}`, e.h, g.h);
    if (isStaleNaN(e.h.sum)) continue;
    // The hint: gauge for gauges, otherwise only "not the first sample of its chunk" is known.
    const want = e.h.counterResetHint === 'gauge' ? 'gauge' : g.first ? 'unknown' : 'not_reset';
    assert.equal(g.h.counterResetHint, want, `hint of sample ${i}`);
    // An explicit reset hint always starts a chunk.
    if (e.h.counterResetHint === 'reset') assert.ok(g.first, `sample ${i} (reset hint) starts a chunk`);
    // Within a counter chunk nothing ever decreases: resets cut chunks.
    const p = got[i - 1];
    if (p !== undefined && p.chunk === g.chunk && g.h.counterResetHint === 'not_reset' && !isStaleNaN(p.h.sum)) {
      assert.ok(!(g.h.count < p.h.count) && !(g.h.zeroCount < p.h.zeroCount), `sample ${i}: counts decrease within a chunk`);
      const prevPos = bucketMap(p.h.positiveSpans, p.h.positiveBuckets);
      const curPos = bucketMap(g.h.positiveSpans, g.h.positiveBuckets);
      for (const [k, c] of prevPos) assert.ok(!(c > (curPos.get(k) ?? 0)), `sample ${i}: bucket ${k} decreases within a chunk`);
    }
  }
  // Every chunk is one encoding and its bytes decode the same when wrapped (as read from disk).
  for (const c of chunks) {
    const again = chunkFromBytes(c.encoding, c.bytes().slice());
    assert.equal(again.numSamples(), c.numSamples());
  }
}

for (const float of [false, true]) {
  const kind = float ? 'float histogram' : 'histogram';

  test(`${kind} chunks: random series round-trip (resets, layout changes, NaN and stale sums, custom buckets)`, () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 150 }), (seed, n) => {
        const samples = randomSeries(seed, float, n);
        checkRoundTrip(samples, appendAll(samples, float));
      }),
      { numRuns: 300 },
    );
  });

  test(`${kind} chunks: an appender resumed from the bytes continues the same samples`, () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 2, max: 80 }), fc.integer({ min: 1, max: 79 }), (seed, n, k) => {
        const samples = randomSeries(seed, float, n);
        const split = Math.min(k, n - 1);
        const chunks = appendAll(samples.slice(0, split), float);
        // Re-open the last chunk from its bytes, as after reading it from disk.
        const last = chunks[chunks.length - 1]!;
        const reopened = chunkFromBytes(last.encoding, last.bytes().slice()) as AnyChunk;
        chunks[chunks.length - 1] = reopened;
        appendAll(samples.slice(split), float, chunks);
        checkRoundTrip(samples, chunks);
      }),
      { numRuns: 200 },
    );
  });

  test(`${kind} chunks: seek`, () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.integer({ min: 0, max: 59 }), { minLength: 1, maxLength: 5 }), (seed, targets) => {
        const samples = randomSeries(seed, float, 60).map((s, i) => ({ t: 1000 * i, h: s.h }));
        const chunks = appendAll(samples, float);
        const all = decodeAll(chunks);
        for (const c of chunks) {
          const it = c.iterator();
          let pos = -Infinity;
          for (const target of targets.sort((a, b) => a - b)) {
            const t = target * 1000 - 1;
            const vt = it.seek(t);
            const want = all.find((s) => s.t >= Math.max(t, pos) && chunks[s.chunk] === c);
            if (want === undefined) assert.equal(vt, ValueType.None);
            else {
              assert.equal(vt, float ? ValueType.FloatHistogram : ValueType.Histogram);
              assert.equal(it.atT(), want.t);
              pos = it.atT();
            }
          }
        }
      }),
      { numRuns: 100 },
    );
  });
}

function h(fields: Partial<FloatHistogram>): FloatHistogram {
  return { ...newHistogram(), ...fields };
}

test('new buckets recode the chunk in place of the old one, which stays as it was', () => {
  const c = new HistogramChunk();
  const app = c.appender();
  app.appendHistogram(1000, h({ count: 0, sum: 0, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [0] }));
  const before = c.bytes().slice();
  const got = app.appendHistogram(2000, h({ count: 2, sum: 2, positiveSpans: [{ offset: 0, length: 2 }], positiveBuckets: [0, 2] }));
  assert.notEqual(got, c);
  assert.ok(app.recoded);
  assert.deepEqual(c.bytes(), before);
  const it = got.iterator() as HistogramIterator;
  assert.equal(it.next(), ValueType.Histogram);
  assert.deepEqual(it.atH().positiveBuckets, [0, 0]);
  assert.equal(it.next(), ValueType.Histogram);
  assert.deepEqual(it.atH().positiveBuckets, [0, 2]);
  // An empty bucket missing from the next histograms is filled in, without a new chunk.
  const app2 = got.appender();
  assert.equal(app2.appendHistogram(3000, h({ count: 3, sum: 3, positiveSpans: [{ offset: 1, length: 1 }], positiveBuckets: [3] })), got);
  assert.equal(app2.appendHistogram(4000, h({ count: 4, sum: 3, positiveSpans: [{ offset: 1, length: 1 }], positiveBuckets: [4] })), got);
  assert.equal(got.numSamples(), 4);
  const it2 = got.iterator() as HistogramIterator;
  it2.seek(4000);
  assert.deepEqual(it2.atH().positiveSpans, [{ offset: 0, length: 2 }]);
  assert.deepEqual(it2.atH().positiveBuckets, [0, 4]);
});

test('counter resets, schema changes and gauges cut chunks with Prometheus headers', () => {
  const base = h({ count: 3, sum: 1, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [3] });
  const cases: [string, FloatHistogram, number][] = [
    ['count decreases', { ...base, count: 2, positiveBuckets: [2] }, CounterResetHeader.CounterReset],
    ['reset hint', { ...base, counterResetHint: 'reset', count: 4, positiveBuckets: [4] }, CounterResetHeader.CounterReset],
    ['bucket in use disappears', { ...base, count: 4, positiveSpans: [{ offset: 1, length: 1 }], positiveBuckets: [4] }, CounterResetHeader.CounterReset],
    ['schema change', { ...base, schema: 1, count: 4, positiveBuckets: [4] }, CounterResetHeader.Unknown],
    ['zero threshold change', { ...base, zeroThreshold: 0.5, count: 4, positiveBuckets: [4] }, CounterResetHeader.Unknown],
    ['gauge', { ...base, counterResetHint: 'gauge' }, CounterResetHeader.Gauge],
  ];
  for (const float of [false, true]) {
    for (const [name, next, header] of cases) {
      const c = float ? new FloatHistogramChunk() : new HistogramChunk();
      const app = c.appender();
      app.appendHistogram(1000, base);
      const got = app.appendHistogram(2000, next);
      assert.notEqual(got, c, name);
      assert.equal(app.recoded, false, name);
      assert.equal(got.counterResetHeader(), header, `${name} (${float ? 'float' : 'int'})`);
      assert.equal(got.bytes()[2]! & 0xc0, header, name);
    }
  }
});

test('a new chunk continuing a series gets its header from the previous appender', () => {
  for (const float of [false, true]) {
    const prev = float ? new FloatHistogramChunk() : new HistogramChunk();
    const prevApp = prev.appender();
    const base = h({ count: 3, sum: 1, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [3] });
    prevApp.appendHistogram(1000, base);
    prev.compact();
    const next = float ? new FloatHistogramChunk() : new HistogramChunk();
    next.appender().appendHistogram(2000, { ...base, count: 4, positiveBuckets: [4] }, prevApp);
    assert.equal(next.counterResetHeader(), CounterResetHeader.NotCounterReset);
    const reset = float ? new FloatHistogramChunk() : new HistogramChunk();
    reset.appender().appendHistogram(2000, { ...base, count: 1, positiveBuckets: [1] }, prevApp);
    assert.equal(reset.counterResetHeader(), CounterResetHeader.CounterReset);
  }
});

test('after a stale marker only stale markers join the chunk', () => {
  const c = new FloatHistogramChunk();
  const app = c.appender();
  app.appendHistogram(1000, h({ count: 1, sum: 1, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [1] }));
  assert.equal(app.appendHistogram(2000, staleHistogram()), c);
  assert.equal(app.appendHistogram(3000, staleHistogram()), c);
  assert.notEqual(app.appendHistogram(4000, h({ count: 1, sum: 1, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [1] })), c);
  const it = c.iterator();
  assert.equal(it.next(), ValueType.FloatHistogram);
  assert.equal(it.next(), ValueType.FloatHistogram);
  assert.ok(isStaleNaN(it.atFH().sum));
});

test('the integer iterator gives float histograms too; the float one refuses atH', () => {
  const c = new HistogramChunk();
  c.appender().appendHistogram(5, h({ count: 3, sum: 2, zeroCount: 1, negativeSpans: [{ offset: -1, length: 2 }], negativeBuckets: [1, 1] }));
  const it = c.iterator();
  it.next();
  const reuse = h({ positiveBuckets: [9, 9], positiveSpans: [{ offset: 0, length: 2 }] });
  const fh = it.atFH(reuse);
  assert.equal(fh, reuse);
  assert.deepEqual(fh.positiveBuckets, []);
  assert.deepEqual(fh.negativeBuckets, [1, 1]);
  assert.throws(() => it.atF());
  const f = new FloatHistogramChunk();
  f.appender().appendHistogram(5, h({ count: 1 }));
  const fit = f.iterator();
  fit.next();
  assert.throws(() => fit.atH());
});

test('corrupt or truncated chunks end iteration with an error', () => {
  const c = new HistogramChunk();
  const app = c.appender();
  for (let i = 0; i < 20; i++) app.appendHistogram(i * 1000, h({ count: i, sum: i, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [i] }));
  const bytes = c.bytes();
  const it = new HistogramIterator();
  it.reset(bytes.subarray(0, bytes.length - 6));
  let n = 0;
  while (it.next() !== ValueType.None) n++;
  assert.ok(n < 20);
  assert.ok(it.err() instanceof ChunkCorruptError);
  it.reset(new Uint8Array([0, 1]));
  assert.equal(it.next(), ValueType.None);
  assert.ok(it.err() instanceof ChunkCorruptError);
  // An unknown schema (here 100) is refused.
  const bad = Uint8Array.from([0, 1, 0, 0, 0b11111110, 0, 0, 0, 0, 0, 0, 100]);
  it.reset(bad);
  assert.equal(it.next(), ValueType.None);
  assert.match(String(it.err()), /schema|layout/);
  assert.throws(() => new HistogramChunk(bytes.subarray(0, bytes.length - 6)).appender(), ChunkCorruptError);
});

test('varbit integers round-trip at every bucket edge', () => {
  const edges = [0, 1, -1, 4, 5, -3, -4, 32, 33, -31, -32, 256, 257, -255, -256, 2048, 2049, -2047, -2048, 131072, 131073, -131071, -131072,
    16777216, 16777217, -16777215, -16777216, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
  const w = new HistogramBitWriter(new Uint8Array(8), 0);
  for (const v of edges) w.putVarbitInt(v);
  const unsigned = edges.filter((v) => v >= 0).concat([7, 8, 63, 64, 511, 512, 4095, 4096, 262143, 262144, 33554431, 33554432]);
  for (const v of unsigned) w.putVarbitUint(v);
  const bytes = w.bytes();
  const r = new HistogramBitReader();
  r.reset(bytes, 0, bytes.length);
  for (const v of edges) assert.equal(r.readVarbitInt(), v);
  for (const v of unsigned) assert.equal(r.readVarbitUint(), v);
  assert.equal(r.overflow, false);
  // Prometheus' bucket sizes: 4 takes 5 bits, 5 takes 9.
  const w2 = new HistogramBitWriter(new Uint8Array(8), 0);
  w2.putVarbitInt(4);
  assert.equal(w2.len, 1);
  w2.putVarbitInt(5);
  assert.equal(w2.len, 2);
});

test('zero thresholds and custom bounds use Prometheus short forms', () => {
  const layout = (zt: number, cv?: number[]): Uint8Array => {
    const w = new HistogramBitWriter(new Uint8Array(8), 0);
    w.putLayout(cv ? -53 : 0, zt, [], [], cv);
    return w.bytes();
  };
  assert.equal(layout(0)[0], 0);
  assert.equal(layout(2 ** -128)[0], 116); // Prometheus' default threshold, one byte
  assert.equal(layout(2 ** 10)[0], 254);
  assert.equal(layout(2 ** -243)[0], 1);
  assert.equal(layout(0.001)[0], 255);
  assert.equal(layout(0.001).length, 1 + 8 + 1);
  for (const [zt, cv] of [[0.001, undefined], [2 ** 11, undefined], [0, [0.005, 1, 33554.43, 33554.431, -1, 0.1 + 0.2, 1e20]]] as const) {
    const b = layout(zt, cv ? [...cv] : undefined);
    const r = new HistogramBitReader();
    r.reset(b, 0, b.length);
    const out = { schema: 0, zeroThreshold: 0, positiveSpans: [], negativeSpans: [], customValues: undefined as number[] | undefined };
    r.readLayout(out);
    assert.equal(out.zeroThreshold, zt);
    assert.deepEqual(out.customValues, cv);
  }
});

test('chunkFromBytes knows both histogram encodings', () => {
  const c = new FloatHistogramChunk();
  c.appender().appendHistogram(1, h({ count: 1.5, sum: -2 }));
  c.compact();
  const back = chunkFromBytes(Encoding.FloatHistogram, c.bytes());
  assert.ok(back instanceof FloatHistogramChunk);
  assert.equal(back.numSamples(), 1);
  assert.equal(chunkFromBytes(Encoding.Histogram, new HistogramChunk().bytes()).numSamples(), 0);
});
