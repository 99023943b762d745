import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STALE_NAN, isStaleNaN, newHistogram, type FloatHistogram } from '../../model/index.ts';
import { DecodeError, Encbuf } from '../encoding/index.ts';
import { RecordType, decodeHistogramSamples, encodeHistogramSamples, recordType, type RefHistogramSample } from './index.ts';

function h(fields: Partial<FloatHistogram>): FloatHistogram {
  return { ...newHistogram(), ...fields };
}

const exp = h({
  counterResetHint: 'not_reset', schema: 3, zeroThreshold: 2 ** -128, zeroCount: 2, count: 14, sum: 123.25,
  positiveSpans: [{ offset: -2, length: 2 }, { offset: 3, length: 1 }], positiveBuckets: [1, 5, 2],
  negativeSpans: [{ offset: 0, length: 1 }], negativeBuckets: [4],
});
const nhcb = h({ counterResetHint: 'gauge', schema: -53, count: 3, sum: 1, customValues: [0.1, 1, 10], positiveSpans: [{ offset: 0, length: 2 }], positiveBuckets: [1, 2] });

test('histogram records round-trip; custom buckets go to their own record type', () => {
  const samples: RefHistogramSample[] = [
    { ref: 7, t: 1_700_000_000_000, h: exp },
    { ref: 3, t: 1_699_999_999_000, h: nhcb },
    { ref: 2 ** 40, t: -5, h: h({ sum: STALE_NAN }) },
  ];
  for (const float of [false, true]) {
    const enc = new Encbuf(16);
    const recs = encodeHistogramSamples(samples, float, enc);
    assert.deepEqual(recs.map((r) => recordType(r)), float
      ? [RecordType.FloatHistogramSamples, RecordType.CustomBucketsFloatHistogramSamples]
      : [RecordType.HistogramSamples, RecordType.CustomBucketsHistogramSamples]);
    const out: RefHistogramSample[] = [];
    assert.equal(decodeHistogramSamples(recs[0]!, out), 2);
    assert.deepEqual(out[0], samples[0]);
    assert.equal(out[1]!.ref, 2 ** 40);
    assert.equal(out[1]!.t, -5);
    assert.ok(isStaleNaN(out[1]!.h.sum));
    // Entries are reused: decoding the second record fills out[0] in place.
    const first = out[0]!;
    assert.equal(decodeHistogramSamples(recs[1]!, out), 1);
    assert.equal(out[0], first);
    assert.deepEqual(out[0], samples[1]);
  }
});

test('integer buckets are deltas on the wire, float ones float64s (Prometheus tsdb/record)', () => {
  const one = h({ count: 7, sum: 0.5, positiveSpans: [{ offset: 1, length: 2 }], positiveBuckets: [3, 4] });
  const enc = new Encbuf(16);
  const [rec] = encodeHistogramSamples([{ ref: 1, t: 2, h: one }], false, enc);
  // type, ref, t, ref/t deltas, hint, schema, zero threshold, zero count, count, sum,
  // 1 span (offset 1 → zig-zag 2, length 2), 2 buckets (3, +1 → zig-zag 6, 2), no negative ones.
  assert.equal(Buffer.from(rec!).toString('hex'),
    '07' + '0000000000000001' + '0000000000000002' + '00' + '00' + '00' + '00' + '0000000000000000' + '00' + '07' + '3fe0000000000000' +
    '01' + '02' + '02' + '00' + '02' + '06' + '02' + '00');
  const [frec] = encodeHistogramSamples([{ ref: 1, t: 2, h: { ...one, count: 7.5 } }], true, new Encbuf());
  assert.equal(frec![0], RecordType.FloatHistogramSamples);
  const out: RefHistogramSample[] = [];
  decodeHistogramSamples(frec!, out);
  assert.equal(out[0]!.h.count, 7.5);
  assert.deepEqual(out[0]!.h.positiveBuckets, [3, 4]);
});

test('truncated histogram records fail with DecodeError; unknown schemas are skipped', () => {
  const [rec] = encodeHistogramSamples([{ ref: 1, t: 2, h: exp }], false, new Encbuf());
  // (At 17 bytes the record is a valid one with no samples: type, base ref, base t.)
  for (let n = 2; n < rec!.length; n++) if (n !== 17) assert.throws(() => decodeHistogramSamples(rec!.subarray(0, n), []), DecodeError);
  assert.equal(decodeHistogramSamples(Uint8Array.of(7), []), 0);
  assert.throws(() => decodeHistogramSamples(Uint8Array.of(2), []), DecodeError);
  const [odd] = encodeHistogramSamples([{ ref: 1, t: 2, h: { ...exp, schema: 60 } }, { ref: 2, t: 3, h: exp }], false, new Encbuf());
  const out: RefHistogramSample[] = [];
  assert.equal(decodeHistogramSamples(odd!, out), 1);
  assert.equal(out[0]!.ref, 2);
});
