import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BitReader, BitStream, writeBit, writeBits, writeBits64, writeUvarint64 } from './bstream.ts';

test('bits written MSB-first read back, across byte boundaries and buffer growth', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 1, max: 32 }), fc.integer({ min: 0, max: 0xffffffff })), { maxLength: 200 }),
      (items) => {
        const s = new BitStream(1);
        for (const [n, v] of items) writeBits(s, v, n);
        const r = new BitReader();
        r.reset(s.stream, 0, s.len);
        for (const [n, v] of items) {
          const mask = n === 32 ? 0xffffffff : (1 << n) - 1;
          assert.equal(r.readBits(n), (v & mask) >>> 0);
        }
        assert.equal(r.overflow, false);
        assert.equal(s.len, Math.ceil(items.reduce((a, [n]) => a + n, 0) / 8));
      },
    ),
  );
});

test('bit layout is MSB-first with zero padding', () => {
  const s = new BitStream(1);
  writeBit(s, 1);
  writeBits(s, 0b01, 2);
  writeBits(s, 0xabc, 12);
  writeBits64(s, 0x1, 0x80000000, 33);
  // 1 01 101010111100 1 10000000000000000000000000000000 + 6 pad bits
  assert.deepEqual([...s.bytes()], [0b10110101, 0b01111001, 0b10000000, 0, 0, 0]);
});

test('uvarint64 matches Go binary.PutUvarint and reads back', () => {
  const cases: [number, number, number[]][] = [
    [0, 0, [0x00]],
    [0, 127, [0x7f]],
    [0, 128, [0x80, 0x01]],
    [0, 300, [0xac, 0x02]],
    [0xffffffff, 0xffffffff, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
    [0x100, 0, [0x80, 0x80, 0x80, 0x80, 0x80, 0x20]],
  ];
  for (const [hi, lo, want] of cases) {
    const s = new BitStream(1);
    writeUvarint64(s, hi, lo);
    assert.deepEqual([...s.bytes()], want);
    const r = new BitReader();
    r.reset(s.stream, 0, s.len);
    assert.equal(r.readUvarint64(), true);
    assert.equal(r.hi, hi);
    assert.equal(r.lo, lo);
  }
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.nat(7), (hi, lo, pre) => {
      const s = new BitStream(1);
      writeBits(s, 0, pre); // unaligned varints work too
      writeUvarint64(s, hi, lo);
      const r = new BitReader();
      r.reset(s.stream, 0, s.len);
      if (pre > 0) r.readBits(pre);
      assert.equal(r.readUvarint64(), true);
      assert.deepEqual([r.hi, r.lo], [hi, lo]);
    }),
  );
});

test('reading past the end sets overflow instead of throwing', () => {
  const r = new BitReader();
  r.reset(new Uint8Array([0xff, 0x01]), 0, 2);
  assert.equal(r.readBits(12), 0xff0);
  assert.equal(r.overflow, false);
  assert.equal(r.readBits(5), 0);
  assert.equal(r.overflow, true);
  const r2 = new BitReader();
  r2.reset(new Uint8Array([0x80, 0x80]), 0, 2);
  assert.equal(r2.readUvarint64(), false);
  assert.equal(r2.overflow, true);
});
