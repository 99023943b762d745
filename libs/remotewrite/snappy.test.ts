// Snappy block codec: round trips (also against the reference implementations in `snappy` and
// `snappyjs`), the size bound, and corrupt input that must fail with SnappyError, never hang.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import fc from 'fast-check';
import { RemoteWriteError, RemoteWriteErrorCode, SnappyError, snappyDecode, snappyDecodedLength, snappyEncode } from './index.ts';

const require = createRequire(import.meta.url);
const napi = require('snappy') as { compressSync(b: Uint8Array): Buffer; uncompressSync(b: Uint8Array): Buffer };
const snappyjs = require('snappyjs') as { compress(b: Uint8Array): Uint8Array; uncompress(b: Uint8Array): Uint8Array };

/** Bytes that compress: runs, repeats at several distances, and noise. */
const compressible = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.record({ b: fc.integer({ min: 0, max: 255 }), n: fc.integer({ min: 1, max: 300 }) }).map(({ b, n }) => new Uint8Array(n).fill(b)),
      fc.constantFrom(...['__name__', 'node_cpu_seconds_total', 'instance', 'job', 'le="0.25"'].map((s) => new TextEncoder().encode(s))),
    ),
    { maxLength: 400 },
  )
  .map((parts) => {
    const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  });

test('snappy: encode/decode round-trips, and agrees with the reference implementations', () => {
  fc.assert(
    fc.property(fc.oneof(compressible, fc.uint8Array({ maxLength: 5000 })), (data) => {
      const enc = snappyEncode(data);
      assert.deepEqual(snappyDecode(enc), data);
      assert.deepEqual(new Uint8Array(napi.uncompressSync(enc)), data);
      assert.deepEqual(snappyDecode(napi.compressSync(data)), data);
      assert.deepEqual(snappyDecode(snappyjs.compress(data)), data);
    }),
    { numRuns: 300 },
  );
});

test('snappy: blocks larger than 64 KiB, long literals and long copies', () => {
  const big = new Uint8Array(300_000);
  for (let i = 0; i < big.length; i++) big[i] = i % 251 < 100 ? 7 : (i * 2654435761) >>> 24;
  for (const data of [big, new Uint8Array(200_000).fill(1), Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff)]) {
    const enc = snappyEncode(data);
    assert.deepEqual(snappyDecode(enc), data);
    assert.deepEqual(new Uint8Array(napi.uncompressSync(enc)), data);
  }
  assert.ok(snappyEncode(new Uint8Array(200_000).fill(1)).length < 10_000, 'runs compress');
  for (const n of [0, 1, 16, 17, 60, 61, 256, 257, 65_536, 65_537]) {
    const d = Uint8Array.from({ length: n }, (_, i) => i * 31);
    assert.deepEqual(snappyDecode(snappyEncode(d)), d);
  }
});

test('snappy: decodes into a caller buffer when it is large enough', () => {
  const data = new TextEncoder().encode('hello hello hello hello hello');
  const into = new Uint8Array(100);
  const out = snappyDecode(snappyEncode(data), { into });
  assert.equal(out.buffer, into.buffer);
  assert.deepEqual(out, data);
  const small = snappyDecode(snappyEncode(data), { into: new Uint8Array(4) });
  assert.deepEqual(small, data);
});

test('snappy: the declared length is checked against the limit before allocating', () => {
  // Preamble 0xffffffff (4 GiB - 1) then nothing: must fail on the limit, not try to allocate.
  const huge = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f);
  assert.equal(snappyDecodedLength(huge), 0xffffffff);
  assert.throws(() => snappyDecode(huge), (e: unknown) => e instanceof SnappyError && e.code === RemoteWriteErrorCode.SnappyTooLarge && e.category === 'too_large');
  const enc = snappyEncode(new Uint8Array(1000));
  assert.throws(() => snappyDecode(enc, { maxLength: 999 }), /exceeds the limit of 999 bytes/);
  assert.equal(snappyDecode(enc, { maxLength: 1000 }).length, 1000);
});

function corruptCase(bytes: number[], re: RegExp): void {
  assert.throws(
    () => snappyDecode(Uint8Array.from(bytes)),
    (e: unknown) => e instanceof SnappyError && e.code === RemoteWriteErrorCode.SnappyCorrupt && re.test(e.message),
  );
}

test('snappy: corrupt inputs fail with a precise SnappyError', () => {
  corruptCase([], /empty input/);
  corruptCase([0x80], /truncated length preamble/);
  corruptCase([0x80, 0x80, 0x80, 0x80, 0x80, 0x01], /longer than 5 bytes/);
  corruptCase([0xff, 0xff, 0xff, 0xff, 0x7f], /exceeds 2\^32-1/);
  corruptCase([5, 0x00], /literal of 1 bytes runs past the end of the input/);
  corruptCase([5, 4 << 2, 1, 2], /runs past the end of the input/);
  corruptCase([2, 4 << 2, 1, 2, 3, 4, 5], /overflows the declared length 2/);
  corruptCase([5, 60 << 2], /truncated literal length/);
  corruptCase([5, 0x01], /truncated copy/);
  corruptCase([5, 0x02, 0x01], /truncated copy/);
  corruptCase([5, 0x03, 0x01, 0, 0], /truncated copy/);
  corruptCase([8, 0x00, 0x61, 0x01, 0x00], /offset 0/);
  corruptCase([8, 0x00, 0x61, 0x01, 0x05], /before the start of the output/);
  corruptCase([5, 0x00, 0x61, 0x0d, 0x01], /overflows the declared length 5/);
  corruptCase([3, 0x00, 0x61], /decoded 1 bytes, the preamble declares 3/);
});

test('snappy: random and mutated inputs only ever raise SnappyError', () => {
  const valid = snappyEncode(new TextEncoder().encode('node_cpu_seconds_total{cpu="0",mode="idle"} node_cpu_seconds_total{cpu="1",mode="idle"}'));
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((muts) => {
          const b = valid.slice();
          for (const [i, v] of muts) b[i] = v;
          return b;
        }),
        fc.nat(valid.length).map((n) => valid.slice(0, n)),
      ),
      (bytes) => {
        try {
          const out = snappyDecode(bytes, { maxLength: 1 << 20 });
          assert.equal(out.length, snappyDecodedLength(bytes));
        } catch (e) {
          assert.ok(e instanceof SnappyError && e instanceof RemoteWriteError, `unexpected ${String(e)}`);
        }
      },
    ),
    { numRuns: 3000 },
  );
});
