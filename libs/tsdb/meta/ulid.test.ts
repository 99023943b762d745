import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isULID, newULID, ulidTime } from './index.ts';

test('newULID encodes its time and ulidTime decodes it', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (t) => {
      const u = newULID(t);
      assert.match(u, /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
      assert.equal(ulidTime(u), t);
      assert.equal(ulidTime(u.toLowerCase()), t);
    }),
  );
});

test('ULIDs match the reference encoding and sort by time', () => {
  // From the ULID spec / oklog/ulid: time 1469918176385 encodes as 01ARYZ6S41.
  assert.equal(newULID(1469918176385).slice(0, 10), '01ARYZ6S41');
  assert.equal(ulidTime('01ARYZ6S41TSV4RRFFQ69G5FAV'), 1469918176385);
  assert.equal(newULID(0).slice(0, 10), '0000000000');
  assert.equal(newULID(2 ** 48 - 1).slice(0, 10), '7ZZZZZZZZZ');
  const a = newULID(1000);
  const b = newULID(1001);
  assert.ok(a < b);
});

test('the random part differs between calls', () => {
  const seen = new Set(Array.from({ length: 100 }, () => newULID(42).slice(10)));
  assert.equal(seen.size, 100);
});

test('invalid ULIDs and times are rejected', () => {
  for (const bad of ['', '01ARYZ6S41TSV4RRFFQ69G5FA', '01ARYZ6S41TSV4RRFFQ69G5FAVV', '81ARYZ6S41TSV4RRFFQ69G5FAV', '01ARYZ6S41TSV4RRFFQ69G5FAU', '01ARYZ6S41TSV4RRFFQ69G5FA!']) {
    assert.equal(isULID(bad), false, bad);
    assert.throws(() => ulidTime(bad), /invalid ULID/);
  }
  assert.throws(() => newULID(-1), RangeError);
  assert.throws(() => newULID(2 ** 48), RangeError);
  assert.throws(() => newULID(1.5), RangeError);
});
