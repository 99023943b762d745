// Tests of the PromQL bench's own machinery: snappy blocks, WriteRequest encoding, the dataset's
// invariants and the result cross-check (the bench's verdict depends on all four).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Labels } from '../../model/index.ts';
import type { Value } from '../engine/index.ts';
import { BUCKETS, Dataset, SCRAPE_INTERVAL } from './dataset.ts';
import { assertSameResult } from './promql.bench.ts';
import type { PromQueryResult } from './prometheus.ts';
import { ProtoWriter, encodeLabels, writeTimeSeries } from './remote_write.ts';
import { snappyEncode } from './snappy.ts';

function uvarint(b: Uint8Array, pos: { i: number }): number {
  let x = 0;
  let mul = 1;
  for (;;) {
    const c = b[pos.i++]!;
    x += (c & 0x7f) * mul;
    if (c < 0x80) return x;
    mul *= 128;
  }
}

/** A snappy block decoder for literals and copies (per the format description). */
function snappyDecode(b: Uint8Array): Uint8Array {
  const pos = { i: 0 };
  const out = new Uint8Array(uvarint(b, pos));
  let o = 0;
  while (pos.i < b.length) {
    const tag = b[pos.i++]!;
    assert.equal(tag & 3, 0, 'only literals expected');
    let len = tag >> 2;
    if (len >= 60) {
      const extra = len - 59;
      len = 0;
      for (let k = 0; k < extra; k++) len |= b[pos.i++]! << (8 * k);
    }
    len += 1;
    out.set(b.subarray(pos.i, pos.i + len), o);
    pos.i += len;
    o += len;
  }
  assert.equal(o, out.length);
  return out;
}

test('snappy blocks decode to their input', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200_000 }), (data) => {
      assert.deepEqual(snappyDecode(snappyEncode(data)), data);
    }),
    { numRuns: 30 },
  );
  for (const n of [0, 1, 60, 61, 256, 257, 65_536, 65_537]) {
    const d = Uint8Array.from({ length: n }, (_, i) => i * 31);
    assert.deepEqual(snappyDecode(snappyEncode(d)), d);
  }
});

/** Decodes a WriteRequest into [labels record, t, v][]. */
function decodeWriteRequest(b: Uint8Array): [Record<string, string>, number, number][] {
  const out: [Record<string, string>, number, number][] = [];
  const dec = new TextDecoder();
  const pos = { i: 0 };
  while (pos.i < b.length) {
    assert.equal(uvarint(b, pos), (1 << 3) | 2);
    const end = uvarint(b, pos) + pos.i;
    const labels: Record<string, string> = {};
    let t = NaN;
    let v = NaN;
    while (pos.i < end) {
      const key = uvarint(b, pos);
      const fend = uvarint(b, pos) + pos.i;
      if (key === ((1 << 3) | 2)) {
        assert.equal(uvarint(b, pos), (1 << 3) | 2);
        const name = dec.decode(b.subarray(pos.i + 1, pos.i + 1 + b[pos.i]!));
        pos.i += 1 + b[pos.i]!;
        assert.equal(uvarint(b, pos), (2 << 3) | 2);
        const value = dec.decode(b.subarray(pos.i + 1, pos.i + 1 + b[pos.i]!));
        pos.i += 1 + b[pos.i]!;
        labels[name] = value;
      } else {
        assert.equal(key, (2 << 3) | 2);
        assert.equal(b[pos.i++], (1 << 3) | 1);
        v = new DataView(b.buffer, b.byteOffset + pos.i, 8).getFloat64(0, true);
        pos.i += 8;
        assert.equal(b[pos.i++], 2 << 3);
        t = uvarint(b, pos);
      }
      assert.equal(pos.i, fend);
    }
    out.push([labels, t, v]);
  }
  return out;
}

test('WriteRequest encoding carries labels, timestamps and exact doubles', () => {
  const w = new ProtoWriter();
  const a = Labels.fromStrings('__name__', 'x', 'job', 'job-1', 'instance', 'host-1:9100');
  const b = Labels.fromStrings('__name__', 'h_bucket', 'le', '+Inf', 'ünï', 'côdé');
  writeTimeSeries(w, encodeLabels(a), 1_717_000_000_123, 0.1 + 0.2);
  writeTimeSeries(w, encodeLabels(b), 5, -0);
  for (let i = 0; i < 3000; i++) writeTimeSeries(w, encodeLabels(a), i, i / 3); // grows the buffer
  const got = decodeWriteRequest(w.finish());
  assert.deepEqual(got[0], [a.toRecord(), 1_717_000_000_123, 0.1 + 0.2]);
  assert.deepEqual(got[1], [b.toRecord(), 5, -0]);
  assert.equal(got.length, 3002);
  assert.deepEqual(got[3001], [a.toRecord(), 2999, 2999 / 3]);
  w.reset();
  assert.equal(w.finish().length, 0);
});

test('dataset: cumulative buckets, +Inf equals count, no sample on a 15s boundary', () => {
  const ds = new Dataset({ series: 500, rounds: 30, now: 1_717_000_000_000 });
  assert.equal(ds.end % SCRAPE_INTERVAL, 0);
  assert.equal(ds.end % 60_000, 30_000);
  for (const off of ds.offsets) assert.ok(off > 0 && off < SCRAPE_INTERVAL);
  const hist = ds.labels.findIndex((l) => l.metricName() === 'h_bucket');
  assert.ok(hist > 0 && ds.labels.length - hist === ds.histograms * (BUCKETS.length + 2));
  let prev: Float64Array | undefined;
  for (const [, values] of ds.roundValues()) {
    for (let h = 0; h < ds.histograms; h++) {
      const o = hist + h * (BUCKETS.length + 2);
      for (let k = 1; k < BUCKETS.length; k++) assert.ok(values[o + k]! >= values[o + k - 1]!);
      assert.equal(values[o + BUCKETS.length - 1], values[o + BUCKETS.length + 1]);
    }
    prev = Float64Array.from(values);
  }
  assert.ok(prev !== undefined && prev.some((v) => v > 0));
});

test('assertSameResult accepts equal results and names a difference', () => {
  const m = Labels.fromStrings('job', 'a');
  const ours: Value = { type: 'matrix', value: [{ metric: m, floats: [{ t: 15_000, f: 1.5 }, { t: 30_000, f: NaN }] }] };
  const theirs = (vals: [number, string][], metric = { job: 'a' }): PromQueryResult => ({
    resultType: 'matrix',
    result: [{ metric, values: vals }],
    evalMs: 1,
    roundTripMs: 1,
  });
  assertSameResult('q', ours, theirs([[15, '1.5000000000001'], [30, 'NaN']]));
  assert.throws(() => assertSameResult('q', ours, theirs([[15, '1.50001'], [30, 'NaN']])), /point 0/);
  assert.throws(() => assertSameResult('q', ours, theirs([[15, '1.5'], [45, 'NaN']])), /point 1/);
  assert.throws(() => assertSameResult('q', ours, theirs([[15, '1.5']])), /2 points vs 1/);
  assert.throws(() => assertSameResult('q', ours, theirs([[15, '1.5'], [30, 'NaN']], { job: 'b' })), /missing/);
  const inf: Value = { type: 'vector', value: [{ metric: m, t: 15_000, f: Infinity }] };
  assertSameResult('q', inf, { resultType: 'vector', result: [{ metric: { job: 'a' }, values: [[15, '+Inf']] }], evalMs: 1, roundTripMs: 1 });
  assert.throws(() => assertSameResult('q', { type: 'vector', value: [] }, { resultType: 'vector', result: [], evalMs: 1, roundTripMs: 1 }), /empty/);
});
