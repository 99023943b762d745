import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { Labels, STALE_NAN, float64Bits } from '../../libs/model/index.ts';
import { AppendError } from '../../libs/storage/index.ts';
import {
  RecordType, SampleBatch, decodeSamples, decodeSeries, lastCheckpoint, listSegments, recordType, replayRecords,
} from '../../libs/tsdb/wal/index.ts';
import { AgentStorage, type AgentStorageOptions } from './wal_storage.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'agent-wal-'));
}

function readWal(dir: string): { series: Map<number, string>; samples: [number, number, [number, number]][] } {
  const series = new Map<number, string>();
  const samples: [number, number, [number, number]][] = [];
  const b = new SampleBatch();
  for (const rec of replayRecords(join(dir, 'wal'))) {
    const t = recordType(rec);
    if (t === RecordType.Series) for (const s of decodeSeries(rec)) series.set(s.ref, s.labels.toString());
    if (t === RecordType.Samples) {
      b.reset();
      decodeSamples(rec, b);
      for (let i = 0; i < b.length; i++) samples.push([b.refs[i]!, b.ts[i]!, [b.vsBits[2 * i + 1]!, b.vsBits[2 * i]!]]); // bits: a JS array may quiet a NaN
    }
  }
  return { series, samples };
}

async function open(dir: string, o: Partial<AgentStorageOptions> = {}): Promise<AgentStorage> {
  const s = new AgentStorage({ dataDir: dir, truncateInterval: 0, ...o });
  await s.start();
  return s;
}

const A = Labels.fromStrings('__name__', 'up', 'job', 'a');
const B = Labels.fromStrings('__name__', 'up', 'job', 'b');

test('commit writes series then samples records; refs survive a restart; stale markers are kept bit for bit', async () => {
  const dir = tmp();
  try {
    let s = await open(dir);
    const app = s.appender();
    const ra = app.append(0, A, 1000, 1);
    const rb = app.append(0, B, 1000, 2);
    assert.equal(app.append(ra, A, 2000, STALE_NAN), ra);
    await app.commit();
    assert.notEqual(ra, rb);
    const w = readWal(dir);
    assert.equal(w.series.get(ra), A.toString());
    assert.equal(w.series.get(rb), B.toString());
    assert.deepEqual(w.samples.map(([r, t]) => [r, t]), [[ra, 1000], [rb, 1000], [ra, 2000]]);
    assert.deepEqual(w.samples[2]![2], float64Bits(STALE_NAN));
    await s.stop();

    s = await open(dir);
    assert.equal(s.refOf(A), ra);
    assert.equal(s.refOf(B), rb);
    const app2 = s.appender();
    assert.equal(app2.append(0, B, 3000, 5), rb);
    // Older than the last committed sample of A (2000), even after the restart.
    assert.throws(() => app2.append(0, A, 1500, 1), (e: unknown) => e instanceof AppendError && e.code === 'out_of_order_sample');
    assert.throws(() => app2.appendHistogram(0, A, 4000, undefined), /native histograms not supported/);
    const c = s.appender();
    c.append(0, Labels.fromStrings('__name__', 'rolled_back'), 1, 1);
    c.rollback();
    await app2.commit();
    await s.stop();
    const w2 = readWal(dir);
    assert.deepEqual(w2.samples.slice(3).map(([r, t]) => [r, t]), [[rb, 3000]]);
    // The rolled-back series got a ref but no record was written for it.
    assert.equal(w2.series.size, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('metrics: active series, WAL size, out-of-order samples', async () => {
  const dir = tmp();
  const registry = new Registry();
  try {
    const s = await open(dir, { registry });
    const app = s.appender();
    app.append(0, A, 2000, 1);
    await app.commit();
    const late = s.appender();
    assert.throws(() => late.append(0, A, 1000, 1));
    await late.commit();
    const text = await registry.metrics();
    assert.match(text, /^strata_agent_active_series 1$/m);
    assert.match(text, /^strata_agent_out_of_order_samples_total 1$/m);
    const size = Number(/^strata_agent_wal_size_bytes (\d+)$/m.exec(text)![1]);
    assert.ok(size > 0);
    await s.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('truncate checkpoints finished segments below retainFrom, GCs idle series, and replay keeps refs', async () => {
  const dir = tmp();
  let clock = 1_000_000;
  let retain: number | undefined = 0;
  const opts = { segmentSize: 32 * 1024, now: () => clock, seriesMaxAge: 60_000, retainFrom: () => retain };
  try {
    let s = await open(dir, opts);
    const refs: number[] = [];
    // Enough samples for several 32 KiB segments.
    for (let round = 0; round < 400; round++) {
      const app = s.appender();
      for (let i = 0; i < 50; i++) refs[i] = app.append(refs[i] ?? 0, Labels.fromStrings('__name__', 'm', 'i', String(i)), round * 1000, round);
      await app.commit();
    }
    const idle = s.appender();
    const idleRef = idle.append(0, Labels.fromStrings('__name__', 'idle'), 1, 1);
    await idle.commit();
    const walDir = join(dir, 'wal');
    const before = listSegments(walDir);
    assert.ok(before.length >= 4, `segments: ${before.join(',')}`);

    // A reader still at segment 0: nothing may go.
    await s.truncate();
    assert.deepEqual(listSegments(walDir), before);

    // Readers past segment 2: segments 0 and 1 are checkpointed and deleted.
    retain = 2;
    await s.truncate();
    assert.equal(listSegments(walDir)[0], 2);
    assert.equal(lastCheckpoint(walDir)!.index, 1);

    // No reader needs anything: all but the active segment go; the idle series is dropped,
    // the live ones (committed "recently" on the fake clock) are kept.
    clock += 120_000;
    const app = s.appender();
    for (let i = 0; i < 50; i++) app.append(refs[i]!, Labels.EMPTY, 500_000, 1);
    await app.commit();
    retain = undefined;
    clock += 1000;
    await s.truncate();
    const after = listSegments(walDir);
    assert.ok(after.length <= 2, `segments: ${after.join(',')}`);
    assert.equal(s.seriesCount(), 50);
    assert.equal(s.refOf(Labels.fromStrings('__name__', 'idle')), 0);
    // Its series record stays until the segment of its last sample is checkpointed: write on, truncate again.
    for (let round = 0; round < 400; round++) {
      const a = s.appender();
      for (let i = 0; i < 50; i++) a.append(refs[i]!, Labels.EMPTY, 1_000_000 + round * 1000, round);
      await a.commit();
    }
    await s.truncate();
    await s.stop();

    s = await open(dir, opts);
    for (let i = 0; i < 50; i++) assert.equal(s.refOf(Labels.fromStrings('__name__', 'm', 'i', String(i))), refs[i]);
    assert.equal(s.refOf(Labels.fromStrings('__name__', 'idle')), 0);
    // A new series never takes the ref of a live one.
    const n = s.appender();
    const fresh = n.append(0, Labels.fromStrings('__name__', 'idle'), 5, 1);
    await n.commit();
    assert.ok(!refs.includes(fresh) && fresh >= idleRef);
    assert.ok(existsSync(lastCheckpoint(walDir)!.dir));
    await s.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
