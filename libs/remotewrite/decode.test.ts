// The WriteRequest decoder and encoder against protobufjs (loading our .proto files) as the
// reference, on random requests with every field; plus flags, hashes, byte ranges, the caches,
// unknown fields, precise errors and corrupt-input fuzzing.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { Labels, STALE_NAN, float64Bits, float64FromBits, isValidUTF8 } from '../model/index.ts';
import {
  type DecodedWriteRequest,
  type HistogramInput,
  type TimeSeriesInput,
  type WriteRequestInput,
  HistogramFlag,
  HistogramPart,
  ProtoDecodeError,
  RemoteWriteError,
  RemoteWriteErrorCode,
  SeriesFlag,
  WriteRequestDecoder,
  WriteRequestEncoder,
  encodeLabels,
  encodeWriteRequest,
} from './index.ts';

const root = protobuf.loadSync(fileURLToPath(new URL('../../proto/prometheus/remote.proto', import.meta.url)));
const PbWriteRequest = root.lookupType('prometheus.WriteRequest');

// --- a normal form every side is compared in: doubles as bit patterns, integers as numbers ---

interface NormSeries {
  labels: string[];
  samples: [string, number][];
  exemplars: [string[], string, number][];
  histograms: Record<string, unknown>[];
}
interface Norm {
  series: NormSeries[];
  metadata: [number, string, string, string][];
}

const bits = (v: number): string => float64Bits(v).map((x) => x.toString(16).padStart(8, '0')).join('');
const int = (s: string | number | undefined): number => (s === undefined ? 0 : Number(BigInt(s)));

function normHistogram(h: HistogramInput): Record<string, unknown> {
  return {
    count: h.countFloat === true ? `f${bits(h.count)}` : `i${h.count}`,
    zeroCount: h.zeroCountFloat === true ? `f${bits(h.zeroCount)}` : `i${h.zeroCount}`,
    sum: bits(h.sum),
    schema: h.schema,
    zeroThreshold: bits(h.zeroThreshold),
    negativeSpans: (h.negativeSpans ?? []).map((s) => [s.offset, s.length]),
    negativeDeltas: Array.from(h.negativeDeltas ?? []),
    negativeCounts: Array.from(h.negativeCounts ?? [], bits),
    positiveSpans: (h.positiveSpans ?? []).map((s) => [s.offset, s.length]),
    positiveDeltas: Array.from(h.positiveDeltas ?? []),
    positiveCounts: Array.from(h.positiveCounts ?? [], bits),
    resetHint: h.resetHint ?? 0,
    timestamp: h.timestamp,
    customValues: Array.from(h.customValues ?? [], bits),
  };
}

function normInput(req: WriteRequestInput): Norm {
  return {
    series: (req.timeseries ?? []).map((ts) => ({
      labels: [...(ts.labels as readonly string[])],
      samples: (ts.samples ?? []).map((s) => [bits(s.value), s.timestamp]),
      exemplars: (ts.exemplars ?? []).map((e) => [[...(e.labels as readonly string[])], bits(e.value), e.timestamp]),
      histograms: (ts.histograms ?? []).map(normHistogram),
    })),
    metadata: (req.metadata ?? []).map((m) => [m.type, m.metricFamilyName, m.help, m.unit]),
  };
}

function normOurs(r: DecodedWriteRequest): Norm {
  const series: NormSeries[] = [];
  for (let s = 0; s < r.seriesCount; s++) {
    const samples: [string, number][] = [];
    for (let k = r.sampleStart[s]!; k < r.sampleStart[s + 1]!; k++) samples.push([bits(r.sampleValues[k]!), r.sampleTimestamps[k]!]);
    const exemplars: [string[], string, number][] = [];
    for (let x = r.exemplarStart[s]!; x < r.exemplarStart[s + 1]!; x++) {
      exemplars.push([r.exemplarLabelsFlat(x), bits(r.exemplarValues[x]!), r.exemplarTimestamps[x]!]);
    }
    const histograms: Record<string, unknown>[] = [];
    for (let h = r.histogramStart[s]!; h < r.histogramStart[s + 1]!; h++) {
      // Doubles straight from the typed arrays: JS arrays need not keep NaN payloads.
      const n = normHistogram(r.histogram(h));
      const part = (p: HistogramPart, a: Float64Array) => Array.from(a.subarray(r.partStart(h, p), r.partStart(h + 1, p)), (_, i) => bits(a[r.partStart(h, p) + i]!));
      n['negativeCounts'] = part(HistogramPart.NegativeCounts, r.negativeCounts);
      n['positiveCounts'] = part(HistogramPart.PositiveCounts, r.positiveCounts);
      n['customValues'] = part(HistogramPart.CustomValues, r.customValues);
      histograms.push(n);
    }
    series.push({ labels: [...r.labelsFlat(s)], samples, exemplars, histograms });
  }
  const metadata: [number, string, string, string][] = [];
  for (let m = 0; m < r.metadataCount; m++) metadata.push([r.metadataType[m]!, r.metadataFamilyName[m]!, r.metadataHelp[m]!, r.metadataUnit[m]!]);
  return { series, metadata };
}

function normProtobufjs(bytes: Uint8Array): Norm {
  const o = PbWriteRequest.toObject(PbWriteRequest.decode(bytes), { longs: String, arrays: true, defaults: true, oneofs: true }) as any;
  const labels = (ls: any[]): string[] => ls.flatMap((l) => [l.name, l.value]);
  return {
    series: o.timeseries.map((ts: any) => ({
      labels: labels(ts.labels),
      samples: ts.samples.map((s: any) => [bits(s.value), int(s.timestamp)]),
      exemplars: ts.exemplars.map((e: any) => [labels(e.labels), bits(e.value), int(e.timestamp)]),
      histograms: ts.histograms.map((h: any) =>
        normHistogram({
          count: h.count === 'countFloat' ? h.countFloat : int(h.countInt),
          countFloat: h.count === 'countFloat',
          zeroCount: h.zeroCount === 'zeroCountFloat' ? h.zeroCountFloat : int(h.zeroCountInt),
          zeroCountFloat: h.zeroCount === 'zeroCountFloat',
          sum: h.sum,
          schema: h.schema,
          zeroThreshold: h.zeroThreshold,
          negativeSpans: h.negativeSpans,
          negativeDeltas: h.negativeDeltas.map(int),
          negativeCounts: h.negativeCounts,
          positiveSpans: h.positiveSpans,
          positiveDeltas: h.positiveDeltas.map(int),
          positiveCounts: h.positiveCounts,
          resetHint: h.resetHint,
          timestamp: int(h.timestamp),
          customValues: h.customValues,
        }),
      ),
    })),
    metadata: o.metadata.map((m: any) => [m.type, m.metricFamilyName, m.help, m.unit]),
  };
}

/** Encodes with protobufjs (int64s as exact decimal strings). */
function encodeProtobufjs(req: WriteRequestInput): Uint8Array {
  const lbl = (flat: readonly string[]) => {
    const out = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ name: flat[i], value: flat[i + 1] });
    return out;
  };
  const i64 = (n: number) => BigInt(n).toString();
  const obj = {
    timeseries: (req.timeseries ?? []).map((ts) => ({
      labels: lbl(ts.labels as readonly string[]),
      samples: (ts.samples ?? []).map((s) => ({ value: s.value, timestamp: i64(s.timestamp) })),
      exemplars: (ts.exemplars ?? []).map((e) => ({ labels: lbl(e.labels as readonly string[]), value: e.value, timestamp: i64(e.timestamp) })),
      histograms: (ts.histograms ?? []).map((h) => ({
        ...(h.countFloat === true ? { countFloat: h.count } : { countInt: i64(h.count) }),
        ...(h.zeroCountFloat === true ? { zeroCountFloat: h.zeroCount } : { zeroCountInt: i64(h.zeroCount) }),
        sum: h.sum,
        schema: h.schema,
        zeroThreshold: h.zeroThreshold,
        negativeSpans: h.negativeSpans ?? [],
        negativeDeltas: Array.from(h.negativeDeltas ?? [], i64),
        negativeCounts: h.negativeCounts ?? [],
        positiveSpans: h.positiveSpans ?? [],
        positiveDeltas: Array.from(h.positiveDeltas ?? [], i64),
        positiveCounts: h.positiveCounts ?? [],
        resetHint: h.resetHint ?? 0,
        timestamp: i64(h.timestamp),
        customValues: h.customValues ?? [],
      })),
    })),
    metadata: req.metadata ?? [],
  };
  return PbWriteRequest.encode(PbWriteRequest.fromObject(obj)).finish();
}

// --- arbitraries ---

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const anyDouble = fc.oneof(
  fc.constantFrom(STALE_NAN, NaN, Infinity, -Infinity, -0, 0, 1, 0.1 + 0.2, Number.MAX_VALUE, Number.MIN_VALUE),
  fc.tuple(fc.integer({ min: 0, max: 0xfffff }), u32).map(([h, l]) => float64FromBits((0x7ff00000 | h) >>> 0, l)), // NaN payloads
  fc.tuple(u32, u32).map(([h, l]) => float64FromBits(h, l)),
  fc.double(),
);
// V8 may quiet or canonicalize NaNs kept in JS arrays of doubles (typed arrays keep them): in
// arrays the NaN is the canonical one; single values keep every payload (the stale marker is a
// signaling NaN), and 'NaN payloads in histogram counts' covers the pools with Float64Arrays.
const arrayDouble = anyDouble.map((v) => (v === v ? v : NaN));
const timestamp = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }) },
  fc.constantFrom(0, 1, -1, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), -(2 ** 53) - 2, 2 ** 63 - 1024, -(2 ** 63)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(Number).filter((n) => n < 2 ** 63),
);
const labelString = fc.oneof(
  fc.constantFrom('', '__name__', 'job', 'instance', 'le', 'ü', '😀', 'a'.repeat(200)),
  fc.string({ unit: 'binary', maxLength: 12 }).filter(isValidUTF8),
);
const flatLabels = fc.array(fc.tuple(labelString, labelString), { maxLength: 6 }).map((ps) => ps.flat());
const safeInt = fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 });
const span = fc.record({ offset: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), length: u32 });
const histogram: fc.Arbitrary<HistogramInput> = fc.record({
  count: fc.nat({ max: 2 ** 53 - 1 }),
  countFloat: fc.boolean(),
  zeroCount: fc.nat({ max: 2 ** 53 - 1 }),
  zeroCountFloat: fc.boolean(),
  sum: anyDouble,
  schema: fc.oneof(fc.integer({ min: -4, max: 8 }), fc.constant(-53), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
  zeroThreshold: anyDouble,
  negativeSpans: fc.array(span, { maxLength: 3 }),
  negativeDeltas: fc.array(safeInt, { maxLength: 4 }),
  negativeCounts: fc.array(arrayDouble, { maxLength: 4 }),
  positiveSpans: fc.array(span, { maxLength: 3 }),
  positiveDeltas: fc.array(safeInt, { maxLength: 4 }),
  positiveCounts: fc.array(arrayDouble, { maxLength: 4 }),
  resetHint: fc.integer({ min: 0, max: 3 }),
  timestamp,
  customValues: fc.array(arrayDouble, { maxLength: 3 }),
});
const series: fc.Arbitrary<TimeSeriesInput> = fc.record({
  labels: flatLabels,
  samples: fc.array(fc.record({ value: anyDouble, timestamp }), { maxLength: 4 }),
  exemplars: fc.array(fc.record({ labels: flatLabels, value: anyDouble, timestamp }), { maxLength: 2 }),
  histograms: fc.array(histogram, { maxLength: 2 }),
});
const writeRequest: fc.Arbitrary<WriteRequestInput> = fc.record({
  timeseries: fc.array(series, { maxLength: 6 }),
  metadata: fc.array(
    fc.record({ type: fc.integer({ min: 0, max: 7 }), metricFamilyName: labelString, help: labelString, unit: labelString }),
    { maxLength: 2 },
  ),
});

// --- round trips ---

test('decodes what protobufjs encodes, field by field and bit by bit', () => {
  const dec = new WriteRequestDecoder();
  fc.assert(
    fc.property(writeRequest, (req) => {
      assert.deepEqual(normOurs(dec.decode(encodeProtobufjs(req))), normInput(req));
    }),
    { numRuns: 400 },
  );
});

test('protobufjs decodes what we encode, and so do we', () => {
  const dec = new WriteRequestDecoder();
  fc.assert(
    fc.property(writeRequest, (req) => {
      const bytes = encodeWriteRequest(req);
      const want = normInput(req);
      assert.deepEqual(normProtobufjs(bytes), want);
      assert.deepEqual(normOurs(dec.decode(bytes)), want);
    }),
    { numRuns: 400 },
  );
});

test('stale markers, -0, infinities and huge timestamps survive exactly', () => {
  const req: WriteRequestInput = {
    timeseries: [
      {
        labels: ['__name__', 'up'],
        samples: [
          { value: STALE_NAN, timestamp: 1_717_000_000_000 },
          { value: -0, timestamp: -1 },
          { value: Infinity, timestamp: 2 ** 53 - 1 },
          { value: -Infinity, timestamp: -(2 ** 53) },
        ],
      },
      { labels: ['__name__', 'far'], samples: [{ value: 1, timestamp: 2 ** 60 }] },
      { labels: ['__name__', 'before'], samples: [{ value: 1, timestamp: -(2 ** 62) }] },
    ],
  };
  for (const bytes of [encodeWriteRequest(req), encodeProtobufjs(req)]) {
    const r = new WriteRequestDecoder().decode(bytes);
    assert.equal(bits(r.sampleValues[0]!), '7ff0000000000002');
    assert.ok(Object.is(r.sampleValues[1], -0));
    assert.deepEqual([...r.sampleTimestamps.subarray(0, 6)], [1_717_000_000_000, -1, 2 ** 53 - 1, -(2 ** 53), 2 ** 60, -(2 ** 62)]);
    assert.equal(r.seriesFlags[0]! & SeriesFlag.Inexact, 0);
    assert.equal(r.seriesFlags[1]! & SeriesFlag.Inexact, SeriesFlag.Inexact);
    assert.equal(r.seriesFlags[2]! & SeriesFlag.Inexact, SeriesFlag.Inexact);
  }
  // 2^53 + 1 is not a double: protobufjs carries it exactly, we round to nearest and flag it.
  const exact = PbWriteRequest.encode(
    PbWriteRequest.fromObject({ timeseries: [{ labels: [{ name: 'a', value: 'b' }], samples: [{ value: 1, timestamp: '9007199254740993' }] }] }),
  ).finish();
  const r = new WriteRequestDecoder().decode(exact);
  assert.equal(r.sampleTimestamps[0], 2 ** 53);
  assert.equal(r.seriesFlags[0], SeriesFlag.Inexact);
});

test('histogram flags: float vs integer counts, and integers beyond 2^53', () => {
  const h = (x: Partial<HistogramInput>): HistogramInput => ({ count: 3, zeroCount: 1, sum: 2, schema: 0, zeroThreshold: 0, timestamp: 5, ...x });
  const r = new WriteRequestDecoder().decode(
    encodeWriteRequest({
      timeseries: [
        { labels: ['__name__', 'h'], histograms: [h({}), h({ countFloat: true, zeroCountFloat: true }), h({ count: 2 ** 60 })] },
      ],
    }),
  );
  assert.deepEqual([...r.histFlags.subarray(0, 3)], [0, HistogramFlag.CountFloat | HistogramFlag.ZeroCountFloat, HistogramFlag.Inexact]);
  assert.equal(r.seriesFlags[0], SeriesFlag.Inexact);
});

test('NaN payloads in histogram counts survive exactly from Float64Arrays', () => {
  const nans = Float64Array.of(STALE_NAN, float64FromBits(0x7ff80000, 0x1234), float64FromBits(0xfff00000, 7));
  const r = new WriteRequestDecoder().decode(
    encodeWriteRequest({
      timeseries: [
        { labels: [], histograms: [{ count: 1, countFloat: true, zeroCount: 0, sum: STALE_NAN, schema: 0, zeroThreshold: 0, timestamp: 1, positiveCounts: nans, negativeCounts: nans, customValues: nans }] },
      ],
    }),
  );
  const want = Array.from(nans, bits);
  assert.deepEqual(Array.from(r.positiveCounts.subarray(0, 3), bits), want);
  assert.deepEqual(Array.from(r.negativeCounts.subarray(0, 3), bits), want);
  assert.deepEqual(Array.from(r.customValues.subarray(0, 3), bits), want);
  assert.equal(bits(r.histSum[0]!), '7ff0000000000002');
});

// --- labels: hash, flags, caches, byte ranges ---

test('series hash equals Labels.hash(); flags report unsorted, duplicate, empty and invalid labels', () => {
  fc.assert(
    fc.property(fc.array(flatLabels, { minLength: 1, maxLength: 8 }), (sets) => {
      const r = new WriteRequestDecoder().decode(encodeWriteRequest({ timeseries: sets.map((labels) => ({ labels })) }));
      for (let s = 0; s < sets.length; s++) {
        const flat = sets[s]!;
        const labels = Labels.fromSortedFlat(flat);
        assert.equal(r.hash(s), labels.hash());
        assert.equal(r.hash53(s), labels.hash53());
        let want = 0;
        for (let i = 0; i < flat.length; i += 2) {
          if (flat[i + 1] === '') want |= SeriesFlag.EmptyLabelValue;
          if (i >= 2 && flat[i - 2] === flat[i]) want |= SeriesFlag.DuplicateLabelName;
        }
        const why = Labels.validateSorted(flat);
        if (why?.startsWith('labels not sorted')) assert.ok(r.seriesFlags[s]! & SeriesFlag.LabelsUnsorted, why);
        if (why === undefined) assert.equal(r.seriesFlags[s]! & (SeriesFlag.LabelsUnsorted | SeriesFlag.DuplicateLabelName), 0);
        assert.equal(r.seriesFlags[s]! & want, want);
        if (why === undefined && want === 0) assert.equal(r.seriesFlags[s], 0);
      }
    }),
    { numRuns: 300 },
  );
  // Sorted by UTF-8 bytes, as Go compares: U+FFFF sorts before U+10000 although its UTF-16 unit is larger.
  const r = new WriteRequestDecoder().decode(encodeWriteRequest({ timeseries: [{ labels: ['\uffff', 'a', '😀', 'b'] }, { labels: ['😀', 'b', '\uffff', 'a'] }] }));
  assert.deepEqual([r.seriesFlags[0], r.seriesFlags[1]], [0, SeriesFlag.LabelsUnsorted]);
});

test('invalid UTF-8 in a label is flagged, not thrown', () => {
  const e = new WriteRequestEncoder();
  e.timeSeries({ labels: ['__name__', 'x'] });
  const bytes = e.finish();
  // "x" → 0xff, which is never valid UTF-8.
  bytes[bytes.length - 1] = 0xff;
  const r = new WriteRequestDecoder().decode(bytes);
  assert.equal(r.seriesFlags[0], SeriesFlag.InvalidUTF8);
  assert.deepEqual(r.labelsFlat(0), ['__name__', '\ufffd']);
});

test('the series cache and the interner never change results (disabled, tiny, reused across requests)', () => {
  const decoders = [
    new WriteRequestDecoder(),
    new WriteRequestDecoder({ seriesCacheEntries: 0 }),
    new WriteRequestDecoder({ seriesCacheEntries: 3, seriesCacheBytes: 200, internEntries: 5, internBytes: 64 }),
  ];
  fc.assert(
    fc.property(fc.array(writeRequest, { minLength: 1, maxLength: 4 }), (reqs) => {
      for (const req of reqs) {
        const bytes = encodeWriteRequest(req);
        const want = normInput(req);
        for (const d of decoders) assert.deepEqual(normOurs(d.decode(bytes)), want);
      }
    }),
    { numRuns: 150 },
  );
  assert.ok(decoders[2]!.cacheStats().seriesGenerations > 0, 'the tiny cache was cleared when full');
  assert.equal(decoders[1]!.cacheStats().series, 0);
});

test('labels(i) is the same Labels object for the same series across requests', () => {
  const d = new WriteRequestDecoder();
  const req = { timeseries: [{ labels: Labels.fromStrings('__name__', 'up', 'job', 'a'), samples: [{ value: 1, timestamp: 1 }] }] };
  const a = d.decode(encodeWriteRequest(req)).labels(0);
  const b = d.decode(encodeWriteRequest(req)).labels(0);
  assert.equal(a, b);
  assert.ok(a.equals(Labels.fromStrings('job', 'a', '__name__', 'up')));
});

test('labels interleaved with samples are all found', () => {
  // TimeSeries { label a=1, sample, label b=2 }: legal protobuf, not contiguous.
  const e = new WriteRequestEncoder();
  const lab = (n: string, v: string) => encodeLabels([n, v]);
  const sample = new WriteRequestEncoder();
  sample.sampleSeries(new Uint8Array(0), 7, 1.5);
  const sampleField = sample.view().subarray(2); // strip the TimeSeries tag and length
  const body = new Uint8Array([...lab('a', '1'), ...sampleField, ...lab('b', '2')]);
  e.rawTimeSeries(body);
  for (const d of [new WriteRequestDecoder(), new WriteRequestDecoder({ seriesCacheEntries: 0 })]) {
    const r = d.decode(e.finish());
    assert.deepEqual(r.labelsFlat(0), ['a', '1', 'b', '2']);
    assert.equal(r.hash(0), Labels.fromStrings('a', '1', 'b', '2').hash());
    assert.deepEqual([r.sampleTimestamps[0], r.sampleValues[0]], [7, 1.5]);
  }
});

test('a series forwarded by its byte range decodes to the same series', () => {
  fc.assert(
    fc.property(writeRequest, fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), (req, keep) => {
      const r = new WriteRequestDecoder().decode(encodeWriteRequest(req));
      const e = new WriteRequestEncoder();
      const kept: TimeSeriesInput[] = [];
      for (let s = 0; s < r.seriesCount; s++) {
        if (!keep[s]) continue;
        e.rawTimeSeries(r.rawSeries(s));
        kept.push(req.timeseries![s]!);
      }
      assert.deepEqual(normOurs(new WriteRequestDecoder().decode(e.finish())).series, normInput({ timeseries: kept }).series);
    }),
    { numRuns: 200 },
  );
});

// --- dropping a label (the HA replica label) ---

const DROP = '__replica__';
// A series with the label to drop put in anywhere (once, twice or not at all; sorted or not).
const seriesWithDrop: fc.Arbitrary<TimeSeriesInput> = fc
  .tuple(series, fc.array(fc.tuple(fc.nat(), labelString), { maxLength: 2 }))
  .map(([ts, inserts]) => {
    const pairs: string[][] = [];
    const flat = ts.labels as readonly string[];
    for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
    for (const [at, value] of inserts) pairs.splice(at % (pairs.length + 1), 0, [DROP, value]);
    return { ...ts, labels: pairs.flat() };
  });
const without = (req: WriteRequestInput): WriteRequestInput => ({
  ...req,
  timeseries: (req.timeseries ?? []).map((ts) => {
    const flat = ts.labels as readonly string[];
    const kept: string[] = [];
    for (let i = 0; i < flat.length; i += 2) if (flat[i] !== DROP) kept.push(flat[i]!, flat[i + 1]!);
    return { ...ts, labels: kept };
  }),
});

test('dropLabel gives each series the labels, hash, flags and bytes it would have without the label', () => {
  const decoders = [new WriteRequestDecoder(), new WriteRequestDecoder({ seriesCacheEntries: 0 }), new WriteRequestDecoder({ seriesCacheEntries: 3, seriesCacheBytes: 200 })];
  const reference = new WriteRequestDecoder({ seriesCacheEntries: 0 });
  const req = fc.record({ timeseries: fc.array(seriesWithDrop, { maxLength: 6 }) });
  fc.assert(
    fc.property(req, (withLabel) => {
      const bytes = encodeWriteRequest(withLabel);
      const wantBytes = encodeWriteRequest(without(withLabel));
      const want = reference.decode(wantBytes);
      const wantNorm = normOurs(want);
      const had = withLabel.timeseries.map((ts) => (ts.labels as readonly string[]).some((v, i) => i % 2 === 0 && v === DROP));
      for (const d of decoders) {
        const r = d.decode(bytes);
        assert.equal(d.dropLabel(DROP), had.filter(Boolean).length);
        assert.deepEqual(normOurs(r), wantNorm);
        const forwarded = new WriteRequestEncoder();
        for (let s = 0; s < r.seriesCount; s++) {
          assert.equal(r.hash(s), want.hash(s));
          assert.equal(r.seriesFlags[s]! & ~SeriesFlag.Rewritten, want.seriesFlags[s]);
          assert.equal((r.seriesFlags[s]! & SeriesFlag.Rewritten) !== 0, had[s]);
          assert.deepEqual(r.rawSeries(s), want.rawSeries(s));
          forwarded.rawTimeSeries(r.rawSeries(s));
        }
        assert.deepEqual(forwarded.finish(), wantBytes);
        // A second drop finds nothing more.
        assert.equal(d.dropLabel(DROP), 0);
      }
    }),
    { numRuns: 300 },
  );
});

test('dropLabel gives the same results on repeated requests, alternating names, with any cache size', () => {
  const decoders = [new WriteRequestDecoder(), new WriteRequestDecoder({ seriesCacheEntries: 5, seriesCacheBytes: 300 })];
  const reference = new WriteRequestDecoder({ seriesCacheEntries: 0 });
  const labels = (i: number): string[] => ['__name__', 'm', 'a', `a${i % 3}`, 'b', `b${i % 2}`, 'i', String(i)];
  const bytes = encodeWriteRequest({ timeseries: Array.from({ length: 12 }, (_, i) => ({ labels: labels(i), samples: [{ value: i, timestamp: i }] })) });
  const expect = (drop: string) => {
    const flat = (i: number) => labels(i).filter((_, k, l) => l[k - (k % 2)] !== drop);
    return normOurs(reference.decode(encodeWriteRequest({ timeseries: Array.from({ length: 12 }, (_, i) => ({ labels: flat(i), samples: [{ value: i, timestamp: i }] })) })));
  };
  const want = { a: expect('a'), b: expect('b'), x: expect('x') };
  for (let round = 0; round < 4; round++) {
    for (const name of ['a', 'a', 'b', 'x', 'b', 'a'] as const) {
      for (const d of decoders) {
        const r = d.decode(bytes);
        assert.equal(d.dropLabel(name), name === 'x' ? 0 : 12);
        assert.deepEqual(normOurs(r), want[name], `round ${round}, drop ${name}`);
        for (let s = 0; s < r.seriesCount; s++) assert.equal(r.hash(s), Labels.fromStrings(...(want[name].series[s]!.labels)).hash());
      }
    }
  }
});

test('dropLabel keeps other fields and their order, with labels split by a sample', () => {
  const lab = (n: string, v: string) => encodeLabels([n, v]);
  const sample = new WriteRequestEncoder();
  sample.sampleSeries(new Uint8Array(0), 7, 1.5);
  const sampleField = sample.view().subarray(2);
  const e = new WriteRequestEncoder();
  e.rawTimeSeries(new Uint8Array([...lab('a', '1'), ...lab(DROP, 'r1'), ...sampleField, ...lab('b', '2')]));
  e.rawTimeSeries(new Uint8Array([...lab('a', '1'), ...sampleField, ...lab(DROP, 'r1')]));
  e.rawTimeSeries(new Uint8Array([...lab('a', '1'), ...sampleField]));
  for (const d of [new WriteRequestDecoder(), new WriteRequestDecoder({ seriesCacheEntries: 0 })]) {
    const r = d.decode(e.finish());
    assert.equal(d.dropLabel(DROP), 2);
    assert.deepEqual(r.rawSeries(0), new Uint8Array([...lab('a', '1'), ...sampleField, ...lab('b', '2')]));
    assert.deepEqual(r.rawSeries(1), new Uint8Array([...lab('a', '1'), ...sampleField]));
    assert.deepEqual([r.labelsFlat(0), r.labelsFlat(1), r.labelsFlat(2)], [['a', '1', 'b', '2'], ['a', '1'], ['a', '1']]);
    assert.equal(r.hash(1), Labels.fromStrings('a', '1').hash());
    assert.equal(r.seriesFlags[2], 0, 'a series without the label is left as sent');
    assert.equal(r.sampleValues[r.sampleStart[1]!], 1.5);
  }
});

test('sampleSeries with pre-encoded labels equals timeSeries', () => {
  fc.assert(
    fc.property(flatLabels, timestamp, anyDouble, (labels, t, v) => {
      const a = new WriteRequestEncoder();
      a.sampleSeries(encodeLabels(labels), t, v);
      const b = new WriteRequestEncoder();
      b.timeSeries({ labels, samples: [{ value: v, timestamp: t }] });
      assert.deepEqual(a.finish(), b.finish());
    }),
    { numRuns: 300 },
  );
});

// --- unknown fields ---

/** Test-only protobuf writer: a message is a list of [field number, wire type, payload]. */
type Field = [number, 0, bigint] | [number, 1 | 5, Uint8Array] | [number, 2, Uint8Array] | [number, 3, Field[]];
function varint(n: bigint): number[] {
  const out: number[] = [];
  let x = BigInt.asUintN(64, n);
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}
function wire(fields: Field[]): Uint8Array {
  const out: number[] = [];
  for (const [no, wt, v] of fields) {
    out.push(...varint((BigInt(no) << 3n) | BigInt(wt)));
    if (wt === 0) out.push(...varint(v));
    else if (wt === 2) out.push(...varint(BigInt(v.length)), ...v);
    else if (wt === 3) out.push(...wire(v), ...varint((BigInt(no) << 3n) | 4n));
    else out.push(...v);
  }
  return Uint8Array.from(out);
}
const str = (s: string) => new TextEncoder().encode(s);
const f64 = (v: number) => new Uint8Array(Float64Array.of(v).buffer);
const unknown: Field[] = [
  [100, 0, 2n ** 63n],
  [101, 1, f64(1)],
  [102, 2, str('skip me')],
  [103, 5, Uint8Array.of(1, 2, 3, 4)],
  [104, 3, [[1, 0, 5n], [2, 3, [[1, 2, str('nested')]]]]],
  [536_870_911, 0, 1n], // the largest field number
];

test('unknown fields of every wire type, groups included, are skipped in every message', () => {
  const label = (n: string, v: string): Field[] => [[1, 2, str(n)], ...unknown, [2, 2, str(v)]];
  const ts: Field[] = [
    [1, 2, wire(label('__name__', 'x'))],
    ...unknown,
    [2, 2, wire([...unknown, [1, 1, f64(2.5)], [2, 0, 1000n], ...unknown])],
    [3, 2, wire([[1, 2, wire(label('trace_id', 't'))], ...unknown, [2, 1, f64(1)], [3, 0, 999n]])],
    [4, 2, wire([[1, 0, 4n], ...unknown, [11, 2, wire([[1, 0, 3n], ...unknown, [2, 0, 2n]])], [12, 2, Uint8Array.of(2, 3)], [15, 0, 1000n]])],
    [1, 2, wire(label('job', 'j'))],
  ];
  const md: Field[] = [[1, 0, 1n], ...unknown, [2, 2, str('x')], [4, 2, str('help')], [5, 2, str('s')]];
  const bytes = wire([...unknown, [1, 2, wire(ts)], [2, 2, str('reserved field 2')], [3, 2, wire(md)], ...unknown]);
  const got = normOurs(new WriteRequestDecoder().decode(bytes));
  assert.deepEqual(got, normProtobufjs(bytes));
  assert.deepEqual(got.series[0]!.labels, ['__name__', 'x', 'job', 'j']);
  assert.deepEqual(got.series[0]!.samples, [[bits(2.5), 1000]]);
  assert.deepEqual(got.series[0]!.histograms[0]!['positiveSpans'], [[-2, 2]]);
  assert.deepEqual(got.series[0]!.histograms[0]!['positiveDeltas'], [1, -2]);
  assert.deepEqual(got.metadata, [[1, 'x', 'help', 's']]);
});

test('repeated numbers are read packed and unpacked', () => {
  const h: Field[] = [
    [9, 0, 3n], [9, 0, 4n], // negative_deltas unpacked: -2, 2
    [10, 1, f64(1.5)], [10, 2, new Uint8Array([...f64(2.5), ...f64(3.5)])], // negative_counts mixed
    [12, 2, new Uint8Array(0)], // an empty packed field
    [16, 1, f64(0.25)],
  ];
  const bytes = wire([[1, 2, wire([[4, 2, wire(h)]])]]);
  const got = normOurs(new WriteRequestDecoder().decode(bytes)).series[0]!.histograms[0]!;
  assert.deepEqual(got['negativeDeltas'], [-2, 2]);
  assert.deepEqual(got['negativeCounts'], [1.5, 2.5, 3.5].map(bits));
  assert.deepEqual(got['customValues'], [bits(0.25)]);
  assert.deepEqual(got, normProtobufjs(bytes).series[0]!.histograms[0]);
});

// --- errors ---

function decodeError(bytes: Uint8Array | number[]): ProtoDecodeError {
  try {
    new WriteRequestDecoder().decode(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes));
  } catch (e) {
    assert.ok(e instanceof ProtoDecodeError, `not a ProtoDecodeError: ${String(e)}`);
    return e;
  }
  assert.fail('decoded without error');
}

test('malformed protobuf fails with the field, the reason and the offset', () => {
  const cases: [number[] | Uint8Array, RemoteWriteErrorCode, string, number, RegExp][] = [
    [[0x0a, 0x05, 0x0a], RemoteWriteErrorCode.ProtoLengthOverrun, 'prometheus.WriteRequest.timeseries', 2, /length 5 runs past the end/],
    [[0x0a, 0x02, 0x10, 0x01], RemoteWriteErrorCode.ProtoBadWireType, 'prometheus.TimeSeries.samples', 2, /wire type 0/],
    [[0x08, 0x01], RemoteWriteErrorCode.ProtoBadWireType, 'prometheus.WriteRequest.timeseries', 0, /wire type 0/],
    [[0x00], RemoteWriteErrorCode.ProtoInvalidField, 'prometheus.WriteRequest', 0, /field number 0/],
    [[0x0f], RemoteWriteErrorCode.ProtoBadWireType, 'prometheus.WriteRequest.timeseries', 0, /wire type 7/],
    [[0x2f], RemoteWriteErrorCode.ProtoBadWireType, 'prometheus.WriteRequest field 5', 0, /wire type 7/],
    [[0x0a, 0x04, 0x12, 0x02, 0x09, 0x00], RemoteWriteErrorCode.ProtoTruncated, 'prometheus.Sample.value', 5, /truncated double/],
    [
      [0x0a, 0x0e, 0x12, 0x0c, 0x10, ...new Array<number>(11).fill(0xff)],
      RemoteWriteErrorCode.ProtoVarintOverflow,
      'prometheus.Sample.timestamp',
      5,
      /longer than 64 bits/,
    ],
    [[0x0a, 0x03, 0x12, 0x01, 0x10], RemoteWriteErrorCode.ProtoTruncated, 'prometheus.Sample.timestamp', 5, /truncated varint/],
    [[0x0a, 0x04, 0x0a, 0x02, 0x0a, 0x05], RemoteWriteErrorCode.ProtoLengthOverrun, 'prometheus.Label.name', 6, /length 5/],
    [[0x0a, 0x04, 0x22, 0x02, 0x52, 0x01], RemoteWriteErrorCode.ProtoLengthOverrun, 'prometheus.Histogram.negative_counts', 6, /length 1/],
    [[0x0a, 0x05, 0x22, 0x03, 0x52, 0x01, 0x00], RemoteWriteErrorCode.ProtoInvalidField, 'prometheus.Histogram.negative_counts', 6, /not a multiple of 8/],
    [[0x33, 0x3c], RemoteWriteErrorCode.ProtoInvalidField, 'prometheus.WriteRequest field 6', 1, /mismatched end-group/],
    [[0x23, 0x08], RemoteWriteErrorCode.ProtoTruncated, 'prometheus.WriteRequest field 4', 2, /truncated varint/],
    [[0x23, 0x08, 0x01], RemoteWriteErrorCode.ProtoTruncated, 'prometheus.WriteRequest field 4', 0, /truncated group/],
    [[0x0a, 0x02, 0x1a, 0x00, 0x2c], RemoteWriteErrorCode.ProtoInvalidField, 'prometheus.WriteRequest field 5', 4, /unexpected end-group/],
    [[0x1a, 0x02, 0x08, 0x80], RemoteWriteErrorCode.ProtoTruncated, 'prometheus.MetricMetadata.type', 3, /truncated varint/],
    [[0x0a, 0x80, 0x80, 0x80, 0x80, 0x10], RemoteWriteErrorCode.ProtoLengthOverrun, 'prometheus.WriteRequest.timeseries', 6, /runs past/],
  ];
  for (const [bytes, code, field, offset, re] of cases) {
    const e = decodeError(bytes);
    assert.deepEqual([e.code, e.field, e.offset], [code, field, offset], e.message);
    assert.match(e.message, re);
    assert.equal(e.category, 'bad_data');
    assert.ok(e.message.includes(field) && e.message.includes(`at offset ${offset}`), e.message);
  }
});

test('every truncation of a valid request decodes (at a boundary) or fails with ProtoDecodeError', () => {
  const bytes = encodeWriteRequest({
    timeseries: [
      {
        labels: ['__name__', 'x', 'job', 'y'],
        samples: [{ value: 1.5, timestamp: 1_717_000_000_000 }],
        exemplars: [{ labels: ['trace_id', 'abc'], value: 1, timestamp: -5 }],
        histograms: [{ count: 3, zeroCount: 1, sum: 2, schema: 3, zeroThreshold: 1e-3, positiveSpans: [{ offset: 1, length: 2 }], positiveDeltas: [1, 1], timestamp: 9 }],
      },
    ],
    metadata: [{ type: 2, metricFamilyName: 'x', help: 'h', unit: '' }],
  });
  let decoded = 0;
  for (let n = 0; n < bytes.length; n++) {
    try {
      new WriteRequestDecoder().decode(bytes.subarray(0, n));
      decoded++;
    } catch (e) {
      assert.ok(e instanceof ProtoDecodeError, String(e));
    }
  }
  assert.equal(decoded, 2, 'only the empty prefix and the one ending after the series decode');
});

test('random and mutated bytes only ever raise the codec error class', () => {
  const valid = encodeWriteRequest({
    timeseries: [
      { labels: ['__name__', 'x', 'job', 'y'], samples: [{ value: 1.5, timestamp: 1_717_000_000_000 }], exemplars: [{ labels: ['t', 'a'], value: 1, timestamp: 2 }] },
      { labels: ['__name__', 'h'], histograms: [{ count: 3, zeroCount: 1, sum: 2, schema: -53, zeroThreshold: 0, negativeSpans: [{ offset: -1, length: 1 }], negativeDeltas: [-3], customValues: [1, 2], timestamp: 9 }] },
    ],
    metadata: [{ type: 1, metricFamilyName: 'x', help: 'h', unit: 'u' }],
  });
  const d = new WriteRequestDecoder();
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 5 }).map((muts) => {
          const b = valid.slice();
          for (const [i, v] of muts) b[i] = v;
          return b;
        }),
      ),
      (bytes) => {
        try {
          const r = d.decode(bytes);
          // Whatever decodes must be consistent: every range within its pool.
          assert.equal(r.sampleStart[r.seriesCount], r.sampleCount);
          for (let s = 0; s < r.seriesCount; s++) assert.ok(r.seriesStart[s]! <= r.seriesEnd[s]! && r.seriesEnd[s]! <= bytes.length);
        } catch (e) {
          assert.ok(e instanceof RemoteWriteError, `unexpected ${String(e)}`);
        }
      },
    ),
    { numRuns: 5000 },
  );
});
