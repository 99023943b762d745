import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { intersectPostings, mergePostings, seekPostings, withoutPostings } from './index.ts';

// Sorted, duplicate-free lists; a small value range makes overlaps likely.
const list = (max: number) => fc.uniqueArray(fc.integer({ min: 0, max }), { maxLength: 60 }).map((a) => Uint32Array.from(a.sort((x, y) => x - y)));
const lists = fc.oneof(fc.array(list(100), { maxLength: 6 }), fc.array(list(0xffffffff), { maxLength: 4 }));

const sorted = (s: Iterable<number>) => [...s].sort((a, b) => a - b);

test('intersectPostings matches a naive set intersection', () => {
  fc.assert(
    fc.property(lists, (ls) => {
      const want = ls.length === 0 ? [] : sorted([...new Set(ls[0])].filter((v) => ls.every((l) => l.includes(v))));
      assert.deepEqual([...intersectPostings(ls)], want);
    }),
    { numRuns: 500 },
  );
});

test('mergePostings matches a naive set union', () => {
  fc.assert(
    fc.property(lists, (ls) => {
      const want = sorted(new Set(ls.flatMap((l) => [...l])));
      assert.deepEqual([...mergePostings(ls)], want);
    }),
    { numRuns: 500 },
  );
});

test('withoutPostings matches a naive set difference', () => {
  fc.assert(
    fc.property(list(100), list(100), (a, b) => {
      const bs = new Set(b);
      assert.deepEqual([...withoutPostings(a, b)], [...a].filter((v) => !bs.has(v)));
    }),
    { numRuns: 500 },
  );
});

test('seekPostings finds the first element >= v from any start', () => {
  fc.assert(
    fc.property(list(1000), fc.nat(70), fc.integer({ min: 0, max: 1001 }), (a, lo, v) => {
      const start = Math.min(lo, a.length);
      let want = start;
      while (want < a.length && a[want]! < v) want++;
      assert.equal(seekPostings(a, start, v), want);
    }),
    { numRuns: 1000 },
  );
});

test('results never alias their inputs', () => {
  const a = Uint32Array.of(1, 2, 3);
  for (const r of [intersectPostings([a]), mergePostings([a]), withoutPostings(a, new Uint32Array(0))]) {
    r[0] = 99;
    assert.equal(a[0], 1);
  }
});
