import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newHistogram } from '../../model/index.ts';
import { ValueType } from '../../storage/index.ts';
import { Encoding, XORChunk, XORIterator, chunkFromBytes, UnsupportedEncodingError, ChunkCorruptError } from './index.ts';

// Values travel as [hi, lo] bit patterns: plain JS arrays of doubles may canonicalise NaN payloads.
type Bits = readonly [hi: number, lo: number];
type Sample = readonly [t: number, v: Bits];

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function fromBits([hi, lo]: Bits): number {
  u32[LE ? 1 : 0] = hi;
  u32[LE ? 0 : 1] = lo;
  return f64[0]!;
}
function toBits(v: number): Bits {
  f64[0] = v;
  return [u32[LE ? 1 : 0]!, u32[LE ? 0 : 1]!];
}
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function encode(samples: readonly Sample[]): XORChunk {
  const c = new XORChunk();
  const app = c.appender();
  for (const [t, v] of samples) app.append(t, fromBits(v));
  return c;
}

function assertDecodes(c: XORChunk, samples: readonly Sample[], it?: XORIterator): void {
  const iter = c.iterator(it);
  assert.equal(c.numSamples(), samples.length);
  for (let i = 0; i < samples.length; i++) {
    assert.equal(iter.next(), ValueType.Float, `sample ${i}`);
    assert.equal(iter.atT(), samples[i]![0], `t of sample ${i}`);
    assert.deepEqual(toBits(iter.atF()), samples[i]![1], `bits of sample ${i}`);
  }
  assert.equal(iter.next(), ValueType.None);
  assert.equal(iter.err(), undefined);
}

const STALE: Bits = [0x7ff00000, 0x00000002];
const SPECIAL: Bits[] = [
  STALE,
  [0x7ff80000, 0x00000000], // canonical quiet NaN
  [0x7ff80000, 0x00000001], // Go's math.NaN()
  [0xfff80000, 0x00000000], // negative NaN
  [0x7ff00000, 0x00000001], // signalling NaN
  [0x7fffffff, 0xffffffff],
  [0x7ff00000, 0], // +Inf
  [0xfff00000, 0], // -Inf
  [0x80000000, 0], // -0
  [0, 0],
  [0, 1], // smallest denormal
  [0x000fffff, 0xffffffff], // largest denormal
  [0x80000000, 1], // negative denormal
  [0x3ff00000, 0], // 1
];

const u32Arb = fc.integer({ min: 0, max: 0xffffffff });
const valueArb: fc.Arbitrary<Bits> = fc.oneof(
  fc.constantFrom(...SPECIAL),
  fc.tuple(u32Arb, u32Arb),
  fc.double().map(toBits),
  fc.integer({ min: -1e6, max: 1e6 }).map(toBits),
);

/** Values with runs and repeats, so the XOR window reuse and zero-XOR paths are hit. */
const valuesArb = (n: number): fc.Arbitrary<Bits[]> =>
  fc.array(fc.tuple(valueArb, fc.nat(3)), { minLength: n, maxLength: n }).map((xs) => {
    const out: Bits[] = [];
    let counter = 0;
    for (const [v, mode] of xs) {
      if (mode === 0 && out.length > 0) out.push(out[out.length - 1]!);
      else if (mode === 1) out.push(toBits((counter += 17.25)));
      else out.push(v);
    }
    return out;
  });

const BIG = 2 ** 52;
const timestampsArb: fc.Arbitrary<number[]> = fc.oneof(
  // Increasing with jitter around a scrape interval.
  fc.tuple(fc.integer({ min: -BIG, max: BIG }), fc.array(fc.integer({ min: 0, max: 40000 }), { maxLength: 150 })).map(
    ([start, ds]) => ds.reduce((acc, d) => [...acc, acc[acc.length - 1]! + d], [start]),
  ),
  // Equal deltas.
  fc.tuple(fc.integer({ min: -1e13, max: 1e13 }), fc.integer({ min: 0, max: 1e9 }), fc.nat(150)).map(([start, d, n]) =>
    Array.from({ length: n + 1 }, (_, i) => start + i * d),
  ),
  // Huge and negative deltas in any order: every dod bucket including 64-bit, and |dod| >= 2^53.
  // (-BIG + 1: a delta of exactly 2^53 is not a safe integer, and append rejects it.)
  fc.array(fc.integer({ min: -BIG + 1, max: BIG }), { minLength: 1, maxLength: 60 }),
  // Small deltas of every size class around the bucket edges.
  fc.tuple(fc.integer({ min: -1e12, max: 1e12 }), fc.array(fc.oneof(
    fc.integer({ min: -8192, max: 8193 }), fc.integer({ min: -65536, max: 65537 }),
    fc.integer({ min: -524288, max: 524289 }), fc.constantFrom(8191, 8192, 8193, 65535, 65536, 65537, 524287, 524288, 524289),
  ), { maxLength: 100 })).map(([start, ds]) => ds.reduce((acc, d) => [...acc, acc[acc.length - 1]! + d], [start])),
  // Delta-of-deltas exactly at and around every bucket edge, both signs.
  fc.tuple(
    fc.integer({ min: -1e12, max: 1e12 }),
    fc.integer({ min: 0, max: 1e7 }),
    fc.array(fc.tuple(fc.constantFrom(0, 1, 8191, 8192, 8193, 65535, 65536, 65537, 524287, 524288, 524289, 2 ** 33), fc.boolean()), {
      maxLength: 60,
    }),
  ).map(([start, delta0, dods]) => {
    const ts = [start, start + delta0];
    let delta = delta0;
    for (const [d, neg] of dods) {
      delta += neg ? -d : d;
      ts.push(ts[ts.length - 1]! + delta);
    }
    return ts;
  }),
);

const samplesArb: fc.Arbitrary<Sample[]> = timestampsArb.chain((ts) =>
  valuesArb(ts.length).map((vs) => ts.map((t, i) => [t, vs[i]!] as const)),
);

test('known-answer bytes', () => {
  const cases: [string, Sample[], string][] = [
    ['empty', [], '0000'],
    // t0=1000 → zig-zag 2000 → varint d0 0f; 1.5 raw.
    ['one sample', [[1000, toBits(1.5)]], '0001' + 'd00f' + '3ff8000000000000'],
    ['negative t0', [[-1, [0, 0]]], '0001' + '01' + '0000000000000000'],
    ['stale marker', [[0, STALE]], '0001' + '00' + '7ff0000000000002'],
    // delta 15 → uvarint 0f; same value → bit 0, padded.
    ['two samples, same value', [[1000, toBits(1.5)], [1015, toBits(1.5)]], '0002d00f3ff8000000000000' + '0f' + '00'],
    // 1.5^2.5 = 7ffc000000000000: '11', leading 1 (00001), sigbits 13 (001101), 13 ones; 26 bits.
    ['two samples, new value', [[1000, toBits(1.5)], [1015, toBits(2.5)]], '0002d00f3ff8000000000000' + '0f' + 'c26fffc0'],
    // Third: dod 1 → '10' + 14-bit 1, value unchanged '0': 43 bits.
    [
      'dod in the 14-bit bucket',
      [[1000, toBits(1.5)], [1015, toBits(2.5)], [1031, toBits(2.5)]],
      '0003d00f3ff8000000000000' + '0f' + 'c26fffe00040',
    ],
    // dod 2^40 → '1111' + 64 bits.
    [
      'dod in the 64-bit bucket',
      [[0, [0, 0]], [10, [0, 0]], [20 + 2 ** 40, [0, 0]]],
      '0003' + '00' + '0000000000000000' + '0a' + '780000080000000000',
    ],
    // delta 2^40 → uvarint 808080808020; dod 1-2^40 → '1111' + ffffff0000000001.
    [
      'negative dod in the 64-bit bucket',
      [[0, [0, 0]], [2 ** 40, [0, 0]], [2 ** 40 + 1, [0, 0]]],
      '0003' + '00' + '0000000000000000' + '808080808020' + '7ffffff80000000008',
    ],
    // Negative delta is written as the uvarint of its 64-bit two's complement (10 bytes).
    ['negative second delta', [[5, [0, 0]], [4, [0, 0]]], '0002' + '0a' + '0000000000000000' + 'ffffffffffffffffff01' + '00'],
  ];
  for (const [name, samples, want] of cases) {
    const c = encode(samples);
    assert.equal(hex(c.bytes()), want, name);
    assertDecodes(new XORChunk(Buffer.from(want, 'hex')), samples);
  }
});

test('round trip: timestamps and value bits are exact', () => {
  fc.assert(
    fc.property(samplesArb, (samples) => {
      const c = encode(samples);
      assertDecodes(c, samples);
      // And from a copy of the bytes, as read from disk.
      assertDecodes(new XORChunk(c.bytes().slice()), samples);
    }),
    { numRuns: 500 },
  );
});

test('seek finds the first sample at or after t and never moves backwards', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 30000 }), { minLength: 1, maxLength: 130 }),
      fc.array(fc.integer({ min: -1000, max: 130 * 30000 }), { maxLength: 10 }),
      (deltas, targets) => {
        const ts: number[] = [];
        let t = 0;
        for (const d of deltas) ts.push((t += d));
        const c = encode(ts.map((t) => [t, toBits(t / 7)] as const));
        const it = c.iterator();
        let cur = -1; // index the iterator is at
        for (const target of targets) {
          let want = cur;
          if (cur < 0 || ts[cur]! < target) {
            want = ts.findIndex((x, i) => i > cur && x >= target);
          }
          const vt = it.seek(target);
          if (want < 0) {
            assert.equal(vt, ValueType.None);
            assert.equal(it.seek(-Infinity), ValueType.None, 'exhausted stays exhausted');
            return;
          }
          assert.equal(vt, ValueType.Float);
          assert.equal(it.atT(), ts[want]);
          assert.equal(it.atF(), ts[want]! / 7);
          cur = want;
        }
      },
    ),
  );
});

test('iterator reuse resets to the new chunk', () => {
  const a = encode([[1, toBits(1)], [2, toBits(2)], [3, toBits(3)]]);
  const b = encode([[10, STALE], [20, toBits(-0)]]);
  const it = a.iterator();
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.seek(3), ValueType.Float);
  const again = b.iterator(it);
  assert.equal(again, it);
  assertDecodes(b, [[10, STALE], [20, toBits(-0)]], it);
  // A foreign iterator is not reused.
  const other = { next: () => ValueType.None, seek: () => ValueType.None, atT: () => 0, atF: () => 0, atH: newHistogram, atFH: newHistogram, err: () => undefined };
  assert.notEqual(a.iterator(other), other);
  // reset on raw bytes.
  it.reset(a.bytes());
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.atT(), 1);
});

test('appending to a chunk reopened from bytes gives the same bytes as appending continuously', () => {
  fc.assert(
    fc.property(samplesArb, fc.nat(), (samples, k) => {
      const split = samples.length === 0 ? 0 : k % (samples.length + 1);
      const whole = encode(samples);
      const head = encode(samples.slice(0, split));
      head.compact();
      const onDisk = head.bytes().slice();
      const before = hex(onDisk);
      const reopened = new XORChunk(onDisk);
      const app = reopened.appender();
      for (const [t, v] of samples.slice(split)) app.append(t, fromBits(v));
      assert.equal(hex(reopened.bytes()), hex(whole.bytes()));
      assert.equal(hex(onDisk), before, 'the wrapped bytes are not modified');
      // A second appender on the same live chunk also continues correctly.
      const more = [[samples.length ? samples[samples.length - 1]![0] + 1 : 0, STALE] as const];
      reopened.appender().append(more[0][0], fromBits(more[0][1]));
      whole.appender().append(more[0][0], fromBits(more[0][1]));
      assert.equal(hex(reopened.bytes()), hex(whole.bytes()));
      assertDecodes(reopened, [...samples, ...more]);
    }),
    { numRuns: 300 },
  );
});

test('a new chunk starts small and compact trims to the exact size', () => {
  const c = new XORChunk();
  assert.ok(c.stream.length <= 64, `initial capacity ${c.stream.length}`);
  assert.equal(c.numSamples(), 0);
  assert.equal(c.encoding, Encoding.XOR);
  const app = c.appender();
  const samples: Sample[] = [];
  for (let i = 0; i < 120; i++) samples.push([1_700_000_000_000 + i * 15_000 + (i % 3), toBits(i * 1.5)]);
  for (const [t, v] of samples) app.append(t, fromBits(v));
  const len = c.bytes().length;
  assert.ok(c.stream.length >= len && c.stream.length < 2 * len + 64);
  c.compact();
  assert.equal(c.stream.length, len);
  assertDecodes(c, samples);
  app.append(1_800_000_000_000, 1);
  assertDecodes(c, [...samples, [1_800_000_000_000, toBits(1)]]);
});

test('an iterator sees only the samples present when it was created', () => {
  const c = new XORChunk();
  const app = c.appender();
  app.append(1, 1);
  app.append(2, 2);
  const it = c.iterator();
  for (let i = 3; i < 100; i++) app.append(i, i * 3.3);
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.atF(), 2);
  assert.equal(it.next(), ValueType.None);
  assert.equal(it.err(), undefined);
});

test('capacity is 65535 samples', () => {
  const c = new XORChunk();
  const app = c.appender();
  for (let i = 0; i < 0xffff; i++) app.append(i, 0);
  assert.equal(c.numSamples(), 0xffff);
  assert.throws(() => app.append(0x10000, 0), /capacity/);
  assert.equal(c.numSamples(), 0xffff);
});

test('unsafe timestamps are rejected before anything is written', () => {
  const c = new XORChunk();
  const app = c.appender();
  assert.throws(() => app.append(1.5, 0), RangeError);
  app.append(-(2 ** 52), 0);
  assert.throws(() => app.append(2 ** 53 - 1, 0), RangeError); // delta >= 2^53
  assert.equal(c.numSamples(), 1);
  app.append(2 ** 52 - 1, 1);
  assertDecodes(c, [[-(2 ** 52), [0, 0]], [2 ** 52 - 1, toBits(1)]]);
});

test('corrupt or truncated data ends iteration with err(), never throws', () => {
  const samples: Sample[] = Array.from({ length: 120 }, (_, i) => [i * 15000 + (i % 4) * 7, toBits(Math.sin(i))] as const);
  const good = encode(samples).bytes().slice();
  // Truncation.
  for (let cut = 0; cut < good.length - 1; cut++) {
    const it = new XORChunk(good.subarray(0, cut)).iterator();
    let n = 0;
    while (it.next() === ValueType.Float) n++;
    assert.ok(n < samples.length);
    assert.ok(it.err() instanceof ChunkCorruptError, `cut at ${cut}`);
    assert.equal(it.next(), ValueType.None);
  }
  // Random damage: any outcome but an exception.
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
      const b = good.slice();
      for (const [i, x] of edits) b[i % b.length] = x;
      const it = new XORChunk(b).iterator();
      for (let i = 0; i < 70000 && it.next() !== ValueType.None; i++) it.atF();
      it.seek(Number.MAX_SAFE_INTEGER);
    }),
  );
  assert.throws(() => new XORChunk(good.subarray(0, 20)).appender(), ChunkCorruptError);
});

test('chunkFromBytes', () => {
  const c = encode([[1, toBits(2)]]);
  const d = chunkFromBytes(Encoding.XOR, c.bytes());
  assert.equal(d.encoding, Encoding.XOR);
  assert.equal(d.numSamples(), 1);
  assert.equal(hex(d.bytes()), hex(c.bytes()));
  for (const e of [Encoding.None, 4, 5, 6, 200]) {
    assert.throws(() => chunkFromBytes(e, c.bytes()), UnsupportedEncodingError);
  }
});

/**
 * A slow, independent encoder written from the format description with BigInt and bit strings:
 * Prometheus' bucket bounds (bitRange), the 5-bit leading clamp, 6-bit sigbits with 64 → 0,
 * and the reused leading/trailing window.
 */
function referenceEncode(samples: readonly Sample[]): string {
  let bits = '';
  const put = (v: bigint, n: number): void => {
    if (n > 0) bits += BigInt.asUintN(n, v).toString(2).padStart(n, '0');
  };
  const putUvarint = (v: bigint): void => {
    v = BigInt.asUintN(64, v);
    while (v >= 0x80n) {
      put((v & 0x7fn) | 0x80n, 8);
      v >>= 7n;
    }
    put(v, 8);
  };
  put(BigInt(samples.length), 16);
  let prevT = 0n;
  let prevDelta = 0n;
  let prevV = 0n;
  let lead = -1;
  let trail = 0;
  const xor = (v: bigint): void => {
    const d = v ^ prevV;
    if (d === 0n) return put(0n, 1);
    put(1n, 1);
    let l = 64 - d.toString(2).length;
    if (l >= 32) l = 31;
    let tz = 0;
    while (((d >> BigInt(tz)) & 1n) === 0n) tz++;
    if (lead >= 0 && l >= lead && tz >= trail) {
      put(0n, 1);
      put(d >> BigInt(trail), 64 - lead - trail);
    } else {
      lead = l;
      trail = tz;
      put(1n, 1);
      put(BigInt(l), 5);
      put(BigInt(64 - l - tz), 6);
      put(d >> BigInt(tz), 64 - l - tz);
    }
  };
  const inRange = (x: bigint, n: number): boolean => -(2n ** BigInt(n - 1) - 1n) <= x && x <= 2n ** BigInt(n - 1);
  samples.forEach(([tn, [hi, lo]], i) => {
    const t = BigInt(tn);
    const v = (BigInt(hi) << 32n) | BigInt(lo);
    if (i === 0) {
      putUvarint(t >= 0n ? t * 2n : -t * 2n - 1n);
      put(v, 64);
    } else if (i === 1) {
      prevDelta = t - prevT;
      putUvarint(prevDelta);
      xor(v);
    } else {
      const delta = t - prevT;
      const dod = delta - prevDelta;
      if (dod === 0n) put(0n, 1);
      else if (inRange(dod, 14)) (put(0b10n, 2), put(dod, 14));
      else if (inRange(dod, 17)) (put(0b110n, 3), put(dod, 17));
      else if (inRange(dod, 20)) (put(0b1110n, 4), put(dod, 20));
      else (put(0b1111n, 4), put(dod, 64));
      prevDelta = delta;
      xor(v);
    }
    prevT = t;
    prevV = v;
  });
  bits = bits.padEnd(Math.ceil(bits.length / 8) * 8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 8) out += parseInt(bits.slice(i, i + 8), 2).toString(16).padStart(2, '0');
  return out;
}

test('bytes equal an independent reference encoder of the format', () => {
  fc.assert(
    fc.property(samplesArb, (samples) => {
      assert.equal(hex(encode(samples).bytes()), referenceEncode(samples));
    }),
    { numRuns: 500 },
  );
});
