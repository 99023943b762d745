import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Labels, STALE_NAN, isStaleNaN } from '../../model/index.ts';
import { DecodeError, Encbuf } from '../encoding/index.ts';
import {
  RecordType,
  SampleBatch,
  decodeSamples,
  decodeSeries,
  decodeTombstones,
  encodeSamples,
  encodeSamplesRecord,
  encodeSeries,
  encodeTombstones,
  recordType,
} from './index.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function batchOf(rows: { ref: number; t: number; hi: number; lo: number }[]): SampleBatch {
  const b = new SampleBatch(1);
  for (const r of rows) {
    b.push(r.ref, r.t, 0);
    // Set the value through its bits so that every NaN payload is represented.
    b.vsBits[2 * (b.length - 1) + 1] = r.hi; // little-endian test hosts: word 1 is the high word
    b.vsBits[2 * (b.length - 1)] = r.lo;
  }
  return b;
}

test('samples record matches the Prometheus byte layout', () => {
  const b = new SampleBatch();
  b.push(1, 1000, 1.5);
  b.push(0, 999, STALE_NAN);
  b.push(300, 1064, -0);
  const rec = encodeSamplesRecord(b);
  assert.equal(
    hex(rec),
    '02' + '0000000000000001' + '00000000000003e8' +
      '00' + '00' + '3ff8000000000000' +
      '01' + '01' + '7ff0000000000002' + // ref -1, t -1 as zig-zag varints
      'd604' + '8001' + '8000000000000000', // ref +299, t +64; -0 keeps its sign bit
  );
  assert.equal(recordType(rec), RecordType.Samples);
  const out = new SampleBatch(1);
  assert.equal(decodeSamples(rec, out), 3);
  assert.deepEqual([...out.refs.subarray(0, 3)], [1, 0, 300]);
  assert.deepEqual([...out.ts.subarray(0, 3)], [1000, 999, 1064]);
  assert.ok(isStaleNaN(out.vs[1]!));
  assert.ok(Object.is(out.vs[2], -0));
});

test('samples round-trip bit-exact (property)', () => {
  const row = fc.record({
    ref: fc.oneof(fc.nat(1000), fc.maxSafeNat()),
    t: fc.oneof(fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }), fc.integer({ min: -(2 ** 51), max: 2 ** 51 })),
    hi: fc.oneof(fc.constant(0x7ff00000), fc.constant(0x7ff80000), fc.constant(0xfff00000), fc.integer({ min: 0, max: 0xffffffff })),
    lo: fc.oneof(fc.constant(2), fc.constant(0), fc.constant(1), fc.integer({ min: 0, max: 0xffffffff })),
  });
  fc.assert(
    fc.property(fc.array(row, { maxLength: 200 }), fc.nat(5), (rows, prefix) => {
      const b = batchOf(rows);
      const enc = new Encbuf(8);
      enc.putBytes(new Uint8Array(prefix)); // the record is appended after existing bytes
      const rec = encodeSamples(b, 0, b.length, enc);
      assert.equal(enc.len, prefix + rec.length);
      const out = new SampleBatch(1);
      out.push(7, 7, 7); // decoding appends
      assert.equal(decodeSamples(rec, out), rows.length);
      assert.equal(out.length, rows.length + 1);
      for (let i = 0; i < rows.length; i++) {
        assert.equal(out.refs[i + 1], rows[i]!.ref);
        assert.equal(out.ts[i + 1], rows[i]!.t);
        assert.equal(out.vsBits[2 * (i + 1) + 1], rows[i]!.hi);
        assert.equal(out.vsBits[2 * (i + 1)], rows[i]!.lo);
      }
    }),
  );
});

test('encodeSamples encodes a sub-range with deltas to its own first sample', () => {
  const b = new SampleBatch();
  for (let i = 0; i < 10; i++) b.push(100 - i, 5000 + i * 15, i);
  const rec = encodeSamples(b, 4, 7, new Encbuf());
  const out = new SampleBatch();
  decodeSamples(rec, out);
  assert.deepEqual([...out.refs.subarray(0, out.length)], [96, 95, 94]);
  assert.deepEqual([...out.vs.subarray(0, out.length)], [4, 5, 6]);
  assert.equal(hex(encodeSamplesRecord(b, 3, 3)), '02'); // empty record is just the type
  assert.equal(decodeSamples(encodeSamplesRecord(b, 3, 3), out), 0);
});

test('decodeSamples rejects malformed records and leaves the batch untouched', () => {
  const b = new SampleBatch();
  b.push(1, 10, 1);
  b.push(2, 20, 2);
  const rec = encodeSamplesRecord(b);
  const out = new SampleBatch();
  out.push(9, 9, 9);
  for (let cut = 2; cut < rec.length; cut++) {
    if (cut === 17 || cut === 27) continue; // after the base row, after the first sample: valid
    assert.throws(() => decodeSamples(rec.subarray(0, cut), out), DecodeError);
    assert.equal(out.length, 1);
  }
  assert.equal(decodeSamples(rec.subarray(0, 27), out), 1);
  assert.throws(() => decodeSamples(encodeTombstones([]), out), DecodeError);
});

test('series round-trip (property) and layout', () => {
  const rec = encodeSeries([{ ref: 5, labels: Labels.fromStrings('__name__', 'up', 'job', 'a') }]);
  assert.equal(hex(rec), '01' + '0000000000000005' + '02' + '085f5f6e616d655f5f' + '027570' + '036a6f62' + '0161');
  const labelsArb = fc
    .dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme' }), { maxKeys: 8 })
    .map((d) => Labels.fromRecord(d));
  fc.assert(
    fc.property(fc.array(fc.record({ ref: fc.maxSafeNat(), labels: labelsArb }), { maxLength: 20 }), (series) => {
      const got = decodeSeries(encodeSeries(series));
      assert.equal(got.length, series.length);
      for (let i = 0; i < series.length; i++) {
        assert.equal(got[i]!.ref, series[i]!.ref);
        assert.ok(got[i]!.labels.equals(series[i]!.labels), `${got[i]!.labels} != ${series[i]!.labels}`);
      }
    }),
  );
});

test('decodeSeries rejects unsorted labels and truncated records', () => {
  const enc = new Encbuf();
  enc.putByte(RecordType.Series);
  enc.putBE64(1);
  enc.putUvarint(2);
  for (const s of ['b', '1', 'a', '2']) enc.putUvarintStr(s);
  assert.throws(() => decodeSeries(enc.get()), /not sorted/);
  const good = encodeSeries([{ ref: 1, labels: Labels.fromStrings('a', 'b') }]);
  assert.throws(() => decodeSeries(good.subarray(0, good.length - 1)), DecodeError);
});

test('tombstones round-trip, including int64 sentinels', () => {
  const rec = encodeTombstones([
    { ref: 3, mint: -5, maxt: 2 ** 63 }, // Prometheus deletes "until forever" with math.MaxInt64
    { ref: 2 ** 53 - 1, mint: -(2 ** 63), maxt: 12345 },
  ]);
  assert.equal(
    hex(rec),
    '03' + '0000000000000003' + '09' + 'feffffffffffffffff01' +
      '001fffffffffffff' + 'ffffffffffffffffff01' + 'f2c001',
  );
  assert.deepEqual(decodeTombstones(rec), [
    { ref: 3, mint: -5, maxt: 2 ** 63 },
    { ref: 2 ** 53 - 1, mint: -(2 ** 63), maxt: 12345 },
  ]);
  fc.assert(
    fc.property(
      fc.array(fc.record({ ref: fc.maxSafeNat(), mint: fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), maxt: fc.maxSafeInteger() })),
      (stones) => {
        assert.deepEqual(decodeTombstones(encodeTombstones(stones)), stones.map((s) => ({ ...s })));
      },
    ),
  );
});

test('recordType', () => {
  assert.equal(recordType(new Uint8Array(0)), 0);
  assert.equal(recordType(new Uint8Array([4, 0])), 0); // exemplars: not ours to decode
  assert.equal(recordType(new Uint8Array([1])), RecordType.Series);
  assert.equal(recordType(new Uint8Array([3])), RecordType.Tombstones);
});
