import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc32c, Encbuf, Decbuf, DecodeError } from './index.ts';

test('crc32c matches the Castagnoli check value', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  // 32 zero bytes (RFC 3720 test vector).
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
});

test('crc32c is incremental', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (b, k) => {
      const cut = b.length === 0 ? 0 : k % b.length;
      assert.equal(crc32c(b, cut, b.length, crc32c(b, 0, cut)), crc32c(b));
    }),
  );
});

test('varints and fixed ints round-trip', () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), fc.string(), (u, s, str) => {
      const e = new Encbuf(4);
      e.putUvarint(u);
      e.putVarint(s);
      e.putBE64(u);
      e.putUvarintStr(str);
      const d = new Decbuf(e.get());
      assert.equal(d.uvarint(), u);
      assert.equal(d.varint(), s);
      assert.equal(d.be64(), u);
      assert.equal(d.uvarintStr(), Buffer.from(str).toString());
      assert.equal(d.remaining(), 0);
    }),
  );
});

test('strings are written as uvarint length + UTF-8, ASCII fast path or not', () => {
  const strings = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ minLength: 100, maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 130 }), fc.string({ unit: 'binary', maxLength: 130 }));
  fc.assert(
    fc.property(fc.array(strings, { maxLength: 5 }), (strs) => {
      const e = new Encbuf(2);
      const want: number[] = [];
      for (const str of strs) {
        e.putUvarintStr(str);
        const b = Buffer.from(str);
        const len = new Encbuf(10);
        len.putUvarint(b.length);
        want.push(...len.get(), ...b);
      }
      assert.deepEqual([...e.get()], want);
    }),
  );
});

test('varint encoding matches Go binary.PutUvarint', () => {
  const e = new Encbuf();
  e.putUvarint(300);
  assert.deepEqual([...e.get()], [0xac, 0x02]);
  e.reset();
  e.putVarint(-1);
  assert.deepEqual([...e.get()], [0x01]);
});

test('reading past the end is a DecodeError', () => {
  assert.throws(() => new Decbuf(new Uint8Array([0x80])).uvarint(), DecodeError);
  assert.throws(() => new Decbuf(new Uint8Array([1, 2])).be32(), DecodeError);
});
