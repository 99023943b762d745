import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels } from '../../../libs/model/index.ts';
import { newRelabelConfigs } from '../../../libs/relabel/index.ts';
import { RecordType, SampleBatch, WAL, decodeSamples, encodeSamplesRecord, encodeSeries, recordType } from '../../../libs/tsdb/wal/index.ts';
import { parseRetryAfter } from './client.ts';
import { queueLabels } from './queue_manager.ts';
import { EwmaRate, desiredShards, type ShardStats } from './shards_calc.ts';
import { WALTail } from './wal_tail.ts';

const base: ShardStats = { inRate: 10_000, outRate: 10_000, droppedRate: 0, outDurationRate: 1, delaySeconds: 0 };

test('desiredShards: enough senders for the incoming rate at the measured time per sample', () => {
  // 1 s of sending per second of 10k samples: 1 shard keeps up exactly.
  assert.equal(desiredShards(base, 1, 1, 50), 1);
  // Sending takes 4 s per second of data: 4 shards.
  assert.equal(desiredShards({ ...base, outDurationRate: 4 }, 1, 1, 50), 4);
  // Clamped to max_shards and min_shards.
  assert.equal(desiredShards({ ...base, outDurationRate: 400 }, 1, 1, 50), 50);
  assert.equal(desiredShards({ ...base, outDurationRate: 0.01 }, 10, 2, 50), 2);
  // Within ±30% of the current count: no change.
  assert.equal(desiredShards({ ...base, outDurationRate: 11 }, 10, 1, 50), 10);
  assert.equal(desiredShards({ ...base, outDurationRate: 14 }, 10, 1, 50), 14);
  // A backlog adds 5% of it per interval: 100 s behind at 10k/s = 1M samples → +50k/s of demand.
  assert.equal(desiredShards({ ...base, delaySeconds: 100 }, 1, 1, 50), 6);
  // Never shrink while more than 10 s behind.
  assert.equal(desiredShards({ ...base, outDurationRate: 0.1, delaySeconds: 11 }, 10, 1, 50), 10);
  // Samples dropped by relabelling do not count as demand.
  assert.equal(desiredShards({ ...base, outDurationRate: 4, droppedRate: 10_000, inRate: 20_000 }, 1, 1, 50), 4);
  // Nothing sent yet: keep what we have.
  assert.equal(desiredShards({ ...base, outRate: 0 }, 3, 1, 50), 3);
});

test('EwmaRate: first tick takes the instant rate, later ticks move by alpha', () => {
  const r = new EwmaRate(0.2, 10_000);
  r.add(1000);
  r.tick();
  assert.equal(r.rate(), 100);
  r.add(2000);
  r.tick();
  assert.equal(r.rate(), 120);
});

test('parseRetryAfter: seconds or an HTTP date', () => {
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter(undefined), undefined);
  assert.equal(parseRetryAfter('soon'), undefined);
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', now), 5000);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now), 0);
});

test('queueLabels: external labels fill in missing names only, then write relabelling may drop', () => {
  const cfgs = newRelabelConfigs([{ source_labels: ['job'], regex: 'secret', action: 'drop' }]);
  const ext = [['cluster', 'eu'], ['job', 'ext']] as const;
  assert.equal(queueLabels(Labels.fromStrings('__name__', 'up', 'job', 'a'), ext, cfgs)!.toString(), '{__name__="up", cluster="eu", job="a"}');
  assert.equal(queueLabels(Labels.fromStrings('__name__', 'up'), ext, cfgs)!.toString(), '{__name__="up", cluster="eu", job="ext"}');
  assert.equal(queueLabels(Labels.fromStrings('__name__', 'up', 'job', 'secret'), ext, cfgs), undefined);
});

test('WALTail follows a live WAL across writes and segment rotations, and resumes at a position', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wal-tail-'));
  try {
    const wal = await WAL.open(dir, { segmentSize: 32 * 1024 });
    const tail = new WALTail(dir, { segment: 0, offset: 0 });
    assert.equal(tail.next(), undefined);
    await wal.log(encodeSeries([{ ref: 1, labels: Labels.fromStrings('__name__', 'a') }]));
    assert.equal(recordType(tail.next()!), RecordType.Series);
    assert.equal(tail.next(), undefined);
    // Records larger than a page (fragmented) and enough of them to rotate segments.
    const got: number[] = [];
    const drain = () => {
      for (let r = tail.next(); r !== undefined; r = tail.next()) {
        const b = new SampleBatch();
        decodeSamples(r, b);
        got.push(b.ts[0]!);
      }
    };
    for (let k = 0; k < 30; k++) {
      const b = new SampleBatch();
      for (let i = 0; i < 400; i++) b.push(1, k, i);
      await wal.log(encodeSamplesRecord(b));
      if (k % 7 === 0) drain();
    }
    drain();
    assert.deepEqual(got, Array.from({ length: 30 }, (_, k) => k));
    assert.ok(tail.position().segment > 0);
    // A new tail from a saved position sees only what follows it.
    const at = tail.position();
    const b = new SampleBatch();
    b.push(1, 99, 1);
    await wal.log(encodeSamplesRecord(b));
    const t2 = new WALTail(dir, at);
    const r = t2.next()!;
    const out = new SampleBatch();
    decodeSamples(r, out);
    assert.equal(out.ts[0], 99);
    assert.equal(t2.next(), undefined);
    tail.close();
    t2.close();
    await wal.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
