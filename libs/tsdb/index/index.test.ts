import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Labels, compareLabels, compareStrings } from '../../model/index.ts';
import { IndexError, IndexReader, IndexWriter, type IndexChunkMeta } from './index.ts';

interface TestSeries {
  labels: Labels;
  chunks: IndexChunkMeta[];
}

async function withTmp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-index-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes sorted series with every name and value as a symbol; returns the file bytes and each series' ref. */
async function writeIndex(dir: string, series: readonly TestSeries[], extraSymbols: string[] = []): Promise<{ bytes: Buffer; refs: number[] }> {
  const syms = new Set<string>(extraSymbols);
  for (const s of series) s.labels.forEach((n, v) => (syms.add(n), syms.add(v)));
  const path = join(dir, 'index');
  const w = await IndexWriter.create(path);
  for (const s of [...syms].sort(compareStrings)) w.addSymbol(s);
  const refs = series.map((s) => w.addSeries(s.labels, s.chunks));
  await w.close();
  return { bytes: await readFile(path), refs };
}

/** Distinct, non-empty label sets in compareLabels order, with valid increasing chunk metas. */
const seriesArb = fc
  .array(
    fc.dictionary(fc.constantFrom('__name__', 'job', 'instance', 'a', 'b', 'é', '😀', 'z\u{FFFD}'), fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('x', 'y', '\u{10000}', '\u{E000}')), { minKeys: 1 }),
    { maxLength: 40 },
  )
  .chain((recs) => {
    const sets: Labels[] = [];
    for (const r of recs) {
      const l = Labels.fromRecord(r);
      if (!l.isEmpty() && !sets.some((s) => s.equals(l))) sets.push(l);
    }
    sets.sort(compareLabels);
    return fc.tuple(fc.constant(sets), fc.array(fc.array(fc.tuple(fc.nat(1000), fc.nat(1000), fc.nat(5000)), { maxLength: 4 }), { minLength: sets.length, maxLength: sets.length }), fc.integer({ min: -1e12, max: 1e12 }));
  })
  .map(([sets, chunkSpecs, t0]) => {
    let ref = 8;
    return sets.map((labels, i): TestSeries => {
      let t = t0;
      const chunks = chunkSpecs[i]!.map(([gap, span, size]) => {
        const c = { ref, minTime: t + gap + 1, maxTime: t + gap + 1 + span };
        t = c.maxTime;
        ref += size + 1;
        return c;
      });
      return { labels, chunks };
    });
  });

test('writer → reader round trip', async () => {
  await withTmp(async (dir) => {
    await fc.assert(
      fc.asyncProperty(seriesArb, async (series) => {
        const { bytes, refs } = await writeIndex(dir, series);
        const r = IndexReader.fromBytes(bytes);
        assert.equal(r.size(), bytes.length);

        const byPair = new Map<string, Map<string, number[]>>();
        series.forEach((s, i) =>
          s.labels.forEach((n, v) => {
            if (!byPair.has(n)) byPair.set(n, new Map());
            const m = byPair.get(n)!;
            m.set(v, [...(m.get(v) ?? []), refs[i]!]);
          }),
        );
        assert.deepEqual(r.labelNames(), [...byPair.keys()].sort(compareStrings));
        for (const [n, vals] of byPair) {
          assert.deepEqual(r.labelValues(n), [...vals.keys()].sort(compareStrings));
          for (const [v, want] of vals) assert.deepEqual([...r.postings(n, [v])], want);
          const all = [...vals.keys()];
          assert.deepEqual([...r.postings(n, [...all, 'absent-value'])], [...new Set(all.flatMap((v) => vals.get(v)!))].sort((a, b) => a - b));
        }
        assert.deepEqual([...r.postings('absent-name', ['x'])], []);
        assert.deepEqual(r.labelValues('absent-name'), []);
        assert.deepEqual([...r.allPostings()], refs);
        // Refs are increasing offsets / 16, so sorted refs mean sorted series.
        for (let i = 1; i < refs.length; i++) assert.ok(refs[i]! > refs[i - 1]!);
        series.forEach((s, i) => {
          const got = r.series(refs[i]!);
          assert.ok(got.labels.equals(s.labels), `${got.labels.toString()} != ${s.labels.toString()}`);
          assert.deepEqual(got.chunks, s.chunks);
        });
      }),
      { numRuns: 60 },
    );
  });
});

test('IndexReader.open reads the file and lists symbols', async () => {
  await withTmp(async (dir) => {
    const series = [{ labels: Labels.fromStrings('__name__', 'up', 'job', 'a'), chunks: [{ ref: 8, minTime: 1, maxTime: 2 }] }];
    await writeIndex(dir, series, ['']);
    const r = await IndexReader.open(join(dir, 'index'));
    assert.deepEqual(r.symbols(), ['', '__name__', 'a', 'job', 'up']);
    assert.deepEqual(r.labelNames(), ['__name__', 'job']);
    r.close();
  });
});

test('postings lookups work across the sampled offset table', async () => {
  await withTmp(async (dir) => {
    // 200 values for one name: only every 32nd is kept in memory, the rest are scanned.
    const values = Array.from({ length: 200 }, (_, i) => `v${String(i * 2).padStart(4, '0')}`);
    const series = values.map((v) => ({ labels: Labels.fromStrings('__name__', 'm', 'id', v), chunks: [] }));
    const { bytes, refs } = await writeIndex(dir, series);
    const r = IndexReader.fromBytes(bytes);
    assert.deepEqual(r.labelValues('id'), values);
    values.forEach((v, i) => assert.deepEqual([...r.postings('id', [v])], [refs[i]]));
    for (let i = 0; i < 200; i++) assert.deepEqual([...r.postings('id', [`v${String(i * 2 + 1).padStart(4, '0')}`])], []);
    assert.deepEqual([...r.postings('id', ['a', 'zzz', ''])], []);
    assert.deepEqual([...r.postings('__name__', ['m'])], refs);
    assert.deepEqual([...r.postings('id', [values[199]!, values[0]!, values[33]!])], [refs[0], refs[33], refs[199]]);
  });
});

test('an empty index is valid', async () => {
  await withTmp(async (dir) => {
    const { bytes } = await writeIndex(dir, []);
    const r = IndexReader.fromBytes(bytes);
    assert.deepEqual(r.symbols(), []);
    assert.deepEqual(r.labelNames(), []);
    assert.deepEqual([...r.allPostings()], []);
  });
});

test('the writer rejects out-of-order input', async () => {
  await withTmp(async (dir) => {
    const w = await IndexWriter.create(join(dir, 'index'));
    w.addSymbol('');
    w.addSymbol('a');
    assert.throws(() => w.addSymbol('a'), /out-of-order/);
    assert.throws(() => w.addSymbol('0'), /out-of-order/);
    w.addSymbol('b');
    // UTF-8 byte order: astral characters sort after U+E000–U+FFFF.
    w.addSymbol('\u{E000}');
    w.addSymbol('\u{10000}');
    assert.throws(() => w.addSymbol('\u{FFFF}'), /out-of-order/);
    assert.throws(() => w.addSeries(Labels.fromStrings('a', 'c'), []), /symbol entry for "c" does not exist/);
    assert.throws(() => w.addSeries(Labels.EMPTY, []), /empty label set/);
    assert.throws(() => w.addSeries(Labels.fromStrings('a', 'b'), [{ ref: 8, minTime: 5, maxTime: 4 }]), /less than minT/);
    assert.throws(
      () => w.addSeries(Labels.fromStrings('a', 'b'), [{ ref: 8, minTime: 1, maxTime: 4 }, { ref: 9, minTime: 4, maxTime: 6 }]),
      /not higher than previous chunk maxT/,
    );
    assert.throws(() => w.addSeries(Labels.fromStrings('a', 'b'), [{ ref: 9, minTime: 1, maxTime: 4 }, { ref: 8, minTime: 5, maxTime: 6 }]), /unsorted chunk reference/);
    // A failed call leaves the writer usable.
    w.addSeries(Labels.fromStrings('a', 'b'), [{ ref: 20, minTime: 1, maxTime: 4 }]);
    assert.throws(() => w.addSeries(Labels.fromStrings('a', 'a'), []), /out-of-order series/);
    assert.throws(() => w.addSeries(Labels.fromStrings('a', 'b'), []), /out-of-order series/);
    assert.throws(() => w.addSeries(Labels.fromStrings('b', 'a'), [{ ref: 19, minTime: 1, maxTime: 4 }]), /unsorted chunk reference/);
    assert.throws(() => w.addSymbol('zz'), /after series/);
    w.addSeries(Labels.fromStrings('b', 'a'), [{ ref: 20, minTime: 1, maxTime: 4 }]);
    await w.close();
    await assert.rejects(w.close(), /closed/);
    assert.throws(() => w.addSeries(Labels.fromStrings('b', 'b'), []), /after close/);
    const r = await IndexReader.open(join(dir, 'index'));
    assert.equal(r.allPostings().length, 2);
  });
});

/** Offsets from the TOC at the end of the file. */
function toc(b: Buffer) {
  const o = b.length - 52;
  return { symbols: Number(b.readBigUInt64BE(o)), series: Number(b.readBigUInt64BE(o + 8)), postings: Number(b.readBigUInt64BE(o + 32)) };
}

function flip(b: Buffer, off: number): Buffer {
  const c = Buffer.from(b);
  c[off]! ^= 0x20;
  return c;
}

function assertCorrupted(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof IndexError && e.code === 'corrupted' && re.test(e.message));
}

test('corruption is reported as a clear error', async () => {
  await withTmp(async (dir) => {
    const series = [
      { labels: Labels.fromStrings('__name__', 'up', 'job', 'a'), chunks: [1, 2, 3, 4, 5].map((i) => ({ ref: 8 * i, minTime: 10 * i, maxTime: 10 * i + 5 })) },
      { labels: Labels.fromStrings('__name__', 'up', 'job', 'b'), chunks: [{ ref: 50, minTime: 1, maxTime: 2 }] },
    ];
    const { bytes, refs } = await writeIndex(dir, series);
    IndexReader.fromBytes(bytes); // The pristine file reads.
    const t = toc(bytes);

    assertCorrupted(() => IndexReader.fromBytes(flip(bytes, bytes.length - 10)), /TOC: checksum mismatch/);
    assertCorrupted(() => IndexReader.fromBytes(flip(bytes, bytes.length - 1)), /TOC: checksum mismatch/);
    assertCorrupted(() => IndexReader.fromBytes(flip(bytes, t.symbols + 10)), /symbol table.*checksum mismatch/);
    assertCorrupted(() => IndexReader.fromBytes(flip(bytes, 0)), /invalid magic number/);
    assertCorrupted(() => IndexReader.fromBytes(bytes.subarray(0, 20)), /too small/);

    // Postings and series are checked when read. The all-postings list comes first.
    const badPostings = IndexReader.fromBytes(flip(bytes, t.postings + 9));
    assertCorrupted(() => badPostings.allPostings(), /postings list for =.*checksum mismatch/);
    assert.deepEqual([...badPostings.postings('job', ['a'])], [refs[0]]);

    const badSeries = IndexReader.fromBytes(flip(bytes, refs[1]! * 16 + 2));
    assertCorrupted(() => badSeries.series(refs[1]!), /series ref \d+: checksum mismatch/);
    assert.ok(badSeries.series(refs[0]!).labels.equals(series[0]!.labels));

    const r = IndexReader.fromBytes(bytes);
    assertCorrupted(() => r.series(0), /out of range/);
    assertCorrupted(() => r.series(refs[1]! + 1000), /out of range/);
    assert.equal(refs[1]! - refs[0]!, 2); // The first series spans two 16-byte slots.
    assertCorrupted(() => r.series(refs[0]! + 1), /series ref/);

    await writeFile(join(dir, 'bad'), flip(bytes, bytes.length - 10));
    await assert.rejects(IndexReader.open(join(dir, 'bad')), /bad: read TOC: checksum mismatch/);
  });
});

test('version 1 indexes are refused with a clear error', () => {
  const b = Buffer.alloc(100);
  b.writeUInt32BE(0xbaaad700, 0);
  b[4] = 1;
  assert.throws(
    () => IndexReader.fromBytes(b),
    (e: unknown) => e instanceof IndexError && e.code === 'unsupported_version' && /v1/.test(e.message),
  );
  b[4] = 7;
  assert.throws(() => IndexReader.fromBytes(b), /unknown index file version 7/);
});

test('an index larger than the write buffer streams correctly', async () => {
  await withTmp(async (dir) => {
    // ~60k series of 48 bytes each: several flushes of the 1 MiB buffer during addSeries.
    const n = 60000;
    const ids = Array.from({ length: n }, (_, i) => `id-${String(i).padStart(6, '0')}`);
    const series = ids.map((id, i) => ({ labels: Labels.fromStrings('__name__', 'm', 'id', id, 'shard', String(i % 7)), chunks: [{ ref: 8 + i * 20, minTime: i, maxTime: i + 10 }] }));
    const { bytes, refs } = await writeIndex(dir, series);
    assert.ok(bytes.length > 3 << 20);
    const r = IndexReader.fromBytes(bytes);
    assert.deepEqual([...r.allPostings()], refs);
    for (const i of [0, 1, 31, 32, 33, 4097, n - 2, n - 1]) {
      assert.deepEqual([...r.postings('id', [ids[i]!])], [refs[i]]);
      assert.deepEqual(r.series(refs[i]!), { labels: series[i]!.labels, chunks: series[i]!.chunks });
    }
    assert.equal(r.postings('shard', ['3']).length, refs.filter((_, i) => i % 7 === 3).length);
    assert.equal(r.labelValues('id').length, n);
  });
});
