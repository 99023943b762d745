import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Labels, Matcher, MatchType, STALE_NAN, isStaleNaN, newHistogram, type FloatHistogram } from '../model/index.ts';
import { ValueType, collectSamples, type CollectedSamples, type Queryable } from '../storage/index.ts';
import { DB, HOUR } from './index.ts';

const name = (v: string) => new Matcher(MatchType.Equal, '__name__', v);

async function tmp(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-db-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function dump(q: Queryable, mint: number, maxt: number, ...ms: Matcher[]) {
  const querier = q.querier(mint, maxt);
  const out = new Map<string, CollectedSamples>();
  for await (const s of querier.select(true, undefined, ms.length ? ms : [new Matcher(MatchType.Regexp, '__name__', '.+')])) {
    out.set(s.labels.toString(), collectSamples(s.iterator()));
  }
  querier.close();
  return out;
}

test('the WAL is replayed on reopen, stale markers included', async (t) => {
  const dir = await tmp(t);
  let db = await DB.open(dir);
  const a = db.appender();
  const ref = a.append(0, Labels.fromStrings('__name__', 'm', 'i', '1'), 1000, 1.5);
  a.append(ref, Labels.EMPTY, 2000, STALE_NAN);
  a.append(0, Labels.fromStrings('__name__', 'm', 'i', '2'), 1000, -7);
  await a.commit();
  await db.close();

  db = await DB.open(dir);
  const got = await dump(db, 0, 10_000);
  assert.deepEqual([...got.keys()], ['{__name__="m", i="1"}', '{__name__="m", i="2"}']);
  assert.deepEqual(got.get('{__name__="m", i="1"}')!.ts, [1000, 2000]);
  assert.ok(isStaleNaN(got.get('{__name__="m", i="1"}')!.vs[1]!));
  // Appends continue after replay with the replayed ordering state.
  const b = db.appender();
  assert.throws(() => b.append(0, Labels.fromStrings('__name__', 'm', 'i', '2'), 500, 1), /out of order/);
  await db.close();
});

test('a block is cut once the head spans 1.5 block ranges; queries merge block and head', async (t) => {
  const dir = await tmp(t);
  let db = await DB.open(dir, { blockRange: 2 * HOUR });
  let ref = 0;
  for (let ts = 0; ts <= 3 * HOUR + 60_000; ts += 60_000) {
    const a = db.appender();
    ref = a.append(ref, Labels.fromStrings('__name__', 'c', 'job', 'x'), ts, ts / 1000);
    await a.commit();
  }
  await db.compact();
  assert.equal(db.blocks().length, 1);
  const meta = db.blocks()[0]!.meta;
  assert.equal(meta.minTime, 0);
  assert.equal(meta.maxTime, 2 * HOUR);
  assert.equal(meta.stats.numSamples, 120);
  assert.equal(db.head.minTime, 2 * HOUR);

  const all = await dump(db, 0, 4 * HOUR);
  const s = all.get('{__name__="c", job="x"}')!;
  assert.equal(s.ts.length, 3 * 60 + 2);
  assert.deepEqual(s.ts.slice(118, 122), [118 * 60_000, 119 * 60_000, 120 * 60_000, 121 * 60_000]);
  await db.close();

  // After reopening, the WAL checkpoint holds only what is not in the block: no duplicates.
  db = await DB.open(dir, { blockRange: 2 * HOUR });
  const again = await dump(db, 0, 4 * HOUR);
  assert.deepEqual(again.get('{__name__="c", job="x"}')!.ts, s.ts);
  const walFiles = await readdir(join(dir, 'wal'));
  assert.ok(walFiles.some((f) => f.startsWith('checkpoint.')), `no checkpoint in ${walFiles.join(',')}`);
  await db.close();
});

test('flush writes the whole head into blocks; retention deletes old blocks', async (t) => {
  const dir = await tmp(t);
  const db = await DB.open(dir, { blockRange: 2 * HOUR, retention: 4 * HOUR, autoCompact: false });
  for (let h = 0; h < 9; h++) {
    const a = db.appender();
    a.append(0, Labels.fromStrings('__name__', 'g'), h * HOUR + 1, h);
    await a.commit();
    if (h % 2 === 1) await db.flush();
  }
  await db.flush();
  assert.ok(db.head.isEmpty());
  const ranges = db.blocks().map((b) => [b.meta.minTime / HOUR, b.meta.maxTime]);
  // Blocks older than 4h before the newest block's end are gone.
  assert.deepEqual(ranges.map((r) => r[0]), [4, 6, 8]);
  const got = await dump(db, 0, 10 * HOUR);
  assert.deepEqual([...got.get('{__name__="g"}')!.vs], [4, 5, 6, 7, 8]);
  await db.close();
});

test('a WAL whose last record is torn still opens, keeping every complete commit', async (t) => {
  const dir = await tmp(t);
  let db = await DB.open(dir);
  for (let i = 1; i <= 20; i++) {
    const a = db.appender();
    a.append(0, Labels.fromStrings('__name__', 'w'), i * 1000, i);
    await a.commit();
  }
  await db.close();
  const walDir = join(dir, 'wal');
  const segs = (await readdir(walDir)).filter((f) => /^\d+$/.test(f)).sort();
  // The last non-empty segment: cut a few bytes off its end (a torn write).
  let cut = false;
  for (const f of segs.reverse()) {
    const p = join(walDir, f);
    const { size } = await stat(p);
    if (size === 0) continue;
    // Find the end of real data: segments are zero-padded to pages; drop the last 5 data bytes.
    const data = (await import('node:fs')).readFileSync(p);
    let end = data.length;
    while (end > 0 && data[end - 1] === 0) end--;
    await truncate(p, end - 5);
    cut = true;
    break;
  }
  assert.ok(cut);
  db = await DB.open(dir);
  const got = await dump(db, 0, 100_000);
  const ts = got.get('{__name__="w"}')!.ts;
  assert.equal(ts.length, 19, 'only the torn last commit is lost');
  assert.deepEqual(ts, Array.from({ length: 19 }, (_, i) => (i + 1) * 1000));
  await db.close();
});

test('crash safety: every commit acknowledged before SIGKILL is there after restart', async (t) => {
  const dir = await tmp(t);
  const script = fileURLToPath(new URL('./testdata/crash-writer.ts', import.meta.url));
  for (let round = 0; round < 3; round++) {
    // Each round restarts on the same directory: replay, then continue appending after the last time.
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir, '50'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    // Kill at a random moment once the child is committing (startup and replay take a while).
    let killTimer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (killTimer === undefined && out.split('\n').length > 20) {
        killTimer = setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 500));
      }
    });
    const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await new Promise<void>((resolve, reject) => {
      child.on('exit', () => {
        clearTimeout(deadline);
        resolve();
      });
      child.on('error', reject);
    });
    const acked = out.split('\n').filter((l) => l !== '').map(Number);
    assert.ok(acked.length > 10, `round ${round}: child acknowledged only ${acked.length} commits`);
    const db = await DB.open(dir);
    const got = await dump(db, 0, Number.MAX_SAFE_INTEGER, name('crash_test'));
    assert.equal(got.size, 50);
    for (const [labels, s] of got) {
      const have = new Set(s.ts);
      for (const i of acked) assert.ok(have.has(i * 1000), `${labels}: acknowledged commit ${i} lost (round ${round})`);
      // Samples are contiguous from the first commit: nothing in the middle went missing.
      for (let k = 0; k < s.ts.length; k++) assert.equal(s.ts[k], (k + 1) * 1000, `${labels}: gap at ${k}`);
    }
    await db.close();
  }
});

/** A series' samples as comparable text (histograms by their counts; stale markers named). */
async function histogramDump(q: Queryable, mint: number, maxt: number): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const [labels, s] of await dump(q, mint, maxt)) {
    out.set(labels, s.ts.map((t, i) => {
      const h = s.hs[i];
      if (h === undefined) return `${t} ${isStaleNaN(s.vs[i]!) ? 'stale' : s.vs[i]}`;
      const kind = s.types[i] === ValueType.Histogram ? 'h' : 'fh';
      if (isStaleNaN(h.sum)) return `${t} ${kind} stale`;
      return `${t} ${kind} ${h.count} ${h.sum} ${h.schema} ${h.positiveBuckets.join(',')}|${h.negativeBuckets.join(',')}${h.customValues ? ` cv ${h.customValues.join(',')}` : ''}`;
    }));
  }
  return out;
}

function histAt(i: number, float: boolean): FloatHistogram {
  const c = float ? i + 0.5 : i;
  return {
    ...newHistogram(), count: 2 * c + i, sum: i * 1.5, zeroCount: i, schema: 2,
    positiveSpans: [{ offset: -1, length: 1 }], positiveBuckets: [c], negativeSpans: [{ offset: 3, length: 1 }], negativeBuckets: [c],
  };
}

test('histograms survive WAL replay, block cuts and checkpoints', async (t) => {
  const dir = await tmp(t);
  let db = await DB.open(dir, { blockRange: 2 * HOUR });
  const ih = Labels.fromStrings('__name__', 'ih');
  const fh = Labels.fromStrings('__name__', 'fh');
  const nhcb = Labels.fromStrings('__name__', 'nhcb');
  const mixed = Labels.fromStrings('__name__', 'mixed');
  for (let ts = 0, i = 1; ts <= 3 * HOUR + 120_000; ts += 60_000, i++) {
    const a = db.appender();
    a.appendHistogram(0, ih, ts, i % 50 === 0 ? { ...newHistogram(), sum: STALE_NAN } : histAt(i, false));
    a.appendHistogram(0, fh, ts, undefined, histAt(i, true));
    a.appendHistogram(0, nhcb, ts, {
      ...newHistogram(), schema: -53, count: i, sum: i, customValues: [0.5, 1], positiveSpans: [{ offset: 1, length: 1 }], positiveBuckets: [i],
    });
    if (i % 3 === 0) a.append(0, mixed, ts, i);
    else a.appendHistogram(0, mixed, ts, histAt(i, false));
    await a.commit();
  }
  const before = await histogramDump(db, 0, 4 * HOUR);
  assert.equal(before.get('{__name__="ih"}')!.length, 3 * 60 + 3);
  assert.equal(before.get('{__name__="ih"}')![49], `${49 * 60_000} h stale`);
  await db.close();

  // Replayed from the WAL alone.
  db = await DB.open(dir, { blockRange: 2 * HOUR, autoCompact: false });
  assert.deepEqual(await histogramDump(db, 0, 4 * HOUR), before);
  await db.compact();
  assert.equal(db.blocks().length, 1);
  const stats = db.blocks()[0]!.meta.stats;
  assert.equal(stats.numSamples, 4 * 120);
  assert.equal(stats.numFloatSamples, 40);
  assert.equal(stats.numHistogramSamples, 4 * 120 - 40);
  // Block and head merged, then block and checkpoint + WAL after reopening.
  assert.deepEqual(await histogramDump(db, 0, 4 * HOUR), before);
  await db.close();
  db = await DB.open(dir, { blockRange: 2 * HOUR });
  assert.deepEqual(await histogramDump(db, 0, 4 * HOUR), before);
  assert.ok((await readdir(join(dir, 'wal'))).some((f) => f.startsWith('checkpoint.')));
  await db.close();
});
