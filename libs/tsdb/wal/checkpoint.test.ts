import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels, STALE_NAN, isStaleNaN, newHistogram, type FloatHistogram } from '../../model/index.ts';
import { Encbuf } from '../encoding/index.ts';
import {
  PAGE_SIZE,
  RecordType,
  SampleBatch,
  WAL,
  checkpoint,
  decodeHistogramSamples,
  decodeSamples,
  decodeSeries,
  decodeTombstones,
  encodeHistogramSamples,
  encodeSamplesRecord,
  encodeSeries,
  encodeTombstones,
  lastCheckpoint,
  listSegments,
  readRecords,
  recordType,
  replayRecords,
} from './index.ts';
import type { RefHistogramSample, RefSeries, Tombstone } from './index.ts';

function tempDir(t: TestContext): string {
  const d = mkdtempSync(join(tmpdir(), 'strata-wal-cp-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

interface Replayed {
  series: Map<number, string>;
  samples: [ref: number, t: number, v: number | 'stale'][]; // plain arrays may canonicalise NaN bits
  tombstones: Tombstone[];
  other: number;
}

function replay(records: Iterable<Uint8Array>): Replayed {
  const out: Replayed = { series: new Map(), samples: [], tombstones: [], other: 0 };
  const batch = new SampleBatch();
  for (const rec of records) {
    switch (recordType(rec)) {
      case RecordType.Series:
        for (const s of decodeSeries(rec)) out.series.set(s.ref, s.labels.toString());
        break;
      case RecordType.Samples:
        batch.reset();
        decodeSamples(rec, batch);
        for (let i = 0; i < batch.length; i++) out.samples.push([batch.refs[i]!, batch.ts[i]!, isStaleNaN(batch.vs[i]!) ? 'stale' : batch.vs[i]!]);
        break;
      case RecordType.Tombstones:
        decodeTombstones(rec, out.tombstones);
        break;
      case 0:
        out.other++;
        break;
    }
  }
  return out;
}

const seriesOf = (ref: number): RefSeries => ({ ref, labels: Labels.fromStrings('__name__', 'm', 'i', String(ref)) });

/** Series 1..10 in segment 0; then one segment per "minute" with a sample of every series. */
async function writeWal(dir: string): Promise<WAL> {
  const wal = await WAL.open(dir, { segmentSize: 4 * PAGE_SIZE });
  await wal.log(encodeSeries(Array.from({ length: 10 }, (_, i) => seriesOf(i + 1))));
  for (let m = 0; m < 6; m++) {
    await wal.nextSegment();
    const b = new SampleBatch();
    for (let ref = 1; ref <= 10; ref++) b.push(ref, m * 60_000, m === 5 && ref === 2 ? STALE_NAN : ref * 100 + m);
    await wal.log(encodeSamplesRecord(b));
    if (m === 2) {
      await wal.log(
        encodeTombstones([
          { ref: 4, mint: 0, maxt: 10 }, // below mint: dropped
          { ref: 4, mint: 0, maxt: 200_000 },
          { ref: 3, mint: 0, maxt: 200_000 }, // series 3 not kept
        ]),
      );
      await wal.log(new Uint8Array([4, 1, 2, 3])); // an exemplars record: not checkpointed
    }
  }
  return wal;
}

test('checkpoint keeps what keep and mint say; replay = checkpoint + later segments', async (t) => {
  const dir = tempDir(t);
  const wal = await writeWal(dir);
  assert.deepEqual(wal.segments(), { first: 0, last: 6 });
  const keep = (ref: number) => ref % 2 === 0;
  const mint = 120_000;
  await assert.rejects(checkpoint(wal, 0, 6, keep, mint), /still being written/);

  mkdirSync(join(dir, 'checkpoint.00000001.tmp')); // a leftover of an interrupted checkpoint
  const { dir: cpdir, stats } = await checkpoint(wal, 0, 3, keep, mint);
  assert.equal(cpdir, join(dir, 'checkpoint.00000003'));
  assert.deepEqual(lastCheckpoint(dir), { dir: cpdir, index: 3 });
  assert.ok(!existsSync(join(dir, 'checkpoint.00000001.tmp')));
  assert.deepEqual(stats, {
    totalSeries: 10,
    droppedSeries: 5,
    totalSamples: 30,
    droppedSamples: 30 - 5, // minutes 0..2 of segments 1..3: only minute 2 of even series
    totalTombstones: 3,
    droppedTombstones: 2,
    droppedRecords: 1,
  });

  const cp = replay(readRecords(cpdir));
  assert.deepEqual([...cp.series.keys()], [2, 4, 6, 8, 10]);
  assert.deepEqual(cp.samples, [2, 4, 6, 8, 10].map((ref) => [ref, 120_000, ref * 100 + 2]));
  assert.deepEqual(cp.tombstones, [{ ref: 4, mint: 0, maxt: 200_000 }]);
  assert.equal(cp.other, 0);

  // The head deletes the checkpointed segments, then keeps writing.
  await wal.truncate(4);
  assert.deepEqual(listSegments(dir), [4, 5, 6]);
  await wal.log(encodeSeries([seriesOf(11)]));

  const all = replay(replayRecords(dir));
  assert.deepEqual([...all.series.keys()], [2, 4, 6, 8, 10, 11]);
  // Checkpoint samples first, then segments 4..6 (minutes 3..5 of all ten series).
  assert.equal(all.samples.length, 5 + 30);
  assert.deepEqual(all.samples.slice(0, 5).map((s) => s[1]), [120_000, 120_000, 120_000, 120_000, 120_000]);
  assert.deepEqual(all.samples.slice(5).map((s) => s[1]), [...Array(10).fill(180_000), ...Array(10).fill(240_000), ...Array(10).fill(300_000)]);
  assert.equal(all.samples.find((s) => s[0] === 2 && s[1] === 300_000)![2], 'stale');

  // A second checkpoint starts from the first one and replaces it.
  await wal.nextSegment();
  const second = await checkpoint(wal, 4, 6, (ref) => ref === 2 || ref === 11, 240_000);
  assert.equal(second.dir, join(dir, 'checkpoint.00000006'));
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.startsWith('checkpoint')),
    ['checkpoint.00000006'],
  );
  const cp2 = replay(readRecords(second.dir));
  assert.deepEqual([...cp2.series.keys()], [2, 11]);
  assert.deepEqual(cp2.samples.map((s) => [s[0], s[1]]), [[2, 240_000], [2, 300_000]]);
  assert.equal(cp2.samples[1]![2], 'stale', 'stale marker survives checkpointing bit-exact');
  assert.deepEqual(cp2.tombstones, []); // series 4 is gone
  await assert.rejects(checkpoint(wal, 8, 9, () => true, 0), /gap|covers|still/);
  await wal.close();
});

test('checkpoint from a directory; a failure leaves no checkpoint behind', async (t) => {
  const dir = tempDir(t);
  const wal = await writeWal(dir);
  await wal.close();
  // Corrupt segment 2: the checkpoint must fail rather than silently lose series.
  const { openSync, writeSync, closeSync } = await import('node:fs');
  const fd = openSync(join(dir, '00000002'), 'r+');
  writeSync(fd, new Uint8Array([0xff]), 0, 1, 20);
  closeSync(fd);
  await assert.rejects(checkpoint(dir, 0, 3, () => true, 0), /corruption/i);
  assert.equal(lastCheckpoint(dir), undefined);
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('checkpoint')), []);
  const ok = await checkpoint(dir, 0, 1, () => true, 0);
  assert.equal(replay(readRecords(ok.dir)).samples.length, 10);
});

test('checkpoint keeps histogram records (integer, float, custom buckets) of kept series after mint', async (t) => {
  const dir = tempDir(t);
  const wal = await WAL.open(dir, { segmentSize: 4 * PAGE_SIZE });
  await wal.log(encodeSeries([seriesOf(1), seriesOf(2), seriesOf(3)]));
  const hist = (count: number, schema = 0): FloatHistogram => ({
    ...newHistogram(), schema, count, sum: count === 0 ? STALE_NAN : count / 2, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [count],
    ...(schema === -53 ? { customValues: [1] } : {}),
  });
  for (let m = 0; m < 4; m++) {
    const samples = [1, 2, 3].map((ref) => ({ ref, t: m * 60_000, h: hist(m + ref, ref === 3 ? -53 : 0) }));
    await wal.log(...encodeHistogramSamples(samples, false, new Encbuf()), ...encodeHistogramSamples(samples, true, new Encbuf()));
  }
  await wal.log(...encodeHistogramSamples([{ ref: 2, t: 300_000, h: { ...hist(0), positiveSpans: [], positiveBuckets: [] } }], true, new Encbuf()));
  await wal.nextSegment();
  const { dir: cp, stats } = await checkpoint(wal, 0, 0, (ref) => ref !== 1, 120_000);
  assert.equal(stats.totalSamples, 4 * 3 * 2 + 1);
  // Kept: series 2 and 3, minutes 2 and 3, both kinds; and the stale marker.
  assert.equal(stats.totalSamples - stats.droppedSamples, 2 * 2 * 2 + 1);
  const kept: string[] = [];
  for (const rec of readRecords(cp)) {
    const type = recordType(rec);
    if (type === RecordType.Series || type === 0) continue;
    const out: RefHistogramSample[] = [];
    const n = decodeHistogramSamples(rec, out);
    for (const s of out.slice(0, n)) kept.push(`${type}:${s.ref}@${s.t}=${s.h.count}${isStaleNaN(s.h.sum) ? ' stale' : ''}`);
  }
  assert.deepEqual(kept, [
    '7:2@120000=4', '9:3@120000=5', '8:2@120000=4', '10:3@120000=5',
    '7:2@180000=5', '9:3@180000=6', '8:2@180000=5', '10:3@180000=6',
    '8:2@300000=0 stale',
  ]);
  await wal.close();
});
