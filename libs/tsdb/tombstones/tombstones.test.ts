import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { addInterval, decodeTombstones, encodeTombstones, readTombstones, writeTombstones, type Interval, type Tombstones } from './index.ts';

test('an empty tombstones file is byte-identical to Prometheus', () => {
  // What every Prometheus block without deletions carries.
  assert.deepEqual([...encodeTombstones(new Map())], [0x01, 0x30, 0xba, 0x30, 0x01, 0, 0, 0, 0]);
});

test('encode/decode round trip, including MinInt64/MaxInt64 bounds', () => {
  const t: Tombstones = new Map([
    [16, [{ mint: -(2 ** 63), maxt: 2 ** 63 }]],
    [3, [{ mint: 1, maxt: 5 }, { mint: 10, maxt: 20 }]],
    [0, [{ mint: -1000, maxt: -1 }]],
  ]);
  const b = encodeTombstones(t);
  const got = decodeTombstones(b);
  assert.deepEqual([...got.keys()].sort((a, b) => a - b), [0, 3, 16]);
  assert.deepEqual(got.get(3), [{ mint: 1, maxt: 5 }, { mint: 10, maxt: 20 }]);
  assert.deepEqual(got.get(16), [{ mint: -(2 ** 63), maxt: 2 ** 63 }]);
  // MinInt64 is zig-zag 2^64-1: ten 0xff/0x01 bytes, exactly as Go's PutVarint writes it.
  const ref16 = b.indexOf(16, 5);
  assert.deepEqual([...b.subarray(ref16 + 1, ref16 + 11)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  // Infinity stands for "forever" and is written as the int64 bounds.
  assert.deepEqual(encodeTombstones(new Map([[1, [{ mint: -Infinity, maxt: Infinity }]]])), encodeTombstones(new Map([[1, [{ mint: -(2 ** 63), maxt: 2 ** 63 }]]])));
});

test('addInterval merges like Prometheus Intervals.Add', () => {
  const naive = (ivs: Interval[]) => {
    // Reference: mark covered points, read intervals back (adjacent points merge).
    const pts = new Set<number>();
    for (const iv of ivs) for (let t = iv.mint; t <= iv.maxt; t++) pts.add(t);
    const sorted = [...pts].sort((a, b) => a - b);
    const out: Interval[] = [];
    for (const t of sorted) {
      const last = out[out.length - 1];
      if (last !== undefined && last.maxt === t - 1) last.maxt = t;
      else out.push({ mint: t, maxt: t });
    }
    return out;
  };
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.nat(8)), { maxLength: 12 }), (specs) => {
      const ivs = specs.map(([a, d]) => ({ mint: a, maxt: a + d }));
      const got: Interval[] = [];
      for (const iv of ivs) addInterval(got, iv);
      assert.deepEqual(got, naive(ivs));
    }),
    { numRuns: 500 },
  );
});

test('write/read files; a missing file means no tombstones; corruption is detected', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-tomb-'));
  try {
    assert.deepEqual(await readTombstones(dir), new Map());
    const t: Tombstones = new Map([[7, [{ mint: 100, maxt: 200 }]]]);
    assert.equal(await writeTombstones(dir, t), 5 + 1 + 2 + 2 + 4);
    assert.deepEqual(await readdir(dir), ['tombstones']);
    assert.deepEqual(await readTombstones(dir), t);

    const b = await readFile(join(dir, 'tombstones'));
    const bad = Buffer.from(b);
    bad[6]! ^= 1;
    await writeFile(join(dir, 'tombstones'), bad);
    await assert.rejects(readTombstones(dir), /tombstones: checksum did not match/);
    const badMagic = Buffer.from(b);
    badMagic[0] = 9;
    await writeFile(join(dir, 'tombstones'), badMagic);
    await assert.rejects(readTombstones(dir), /invalid magic number/);
    await writeFile(join(dir, 'tombstones'), b.subarray(0, 6));
    await assert.rejects(readTombstones(dir), /too small/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
