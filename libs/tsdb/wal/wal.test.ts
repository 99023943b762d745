import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { pino } from 'pino';
import { crc32c } from '../encoding/index.ts';
import {
  CorruptionError,
  PAGE_SIZE,
  UnsupportedRecordError,
  WAL,
  WALReader,
  listSegments,
  readRecords,
  segmentName,
} from './index.ts';
import type { FsyncPolicy } from './index.ts';
import { fixtureIndex, fixtureRecord } from './testdata/fixture.ts';

function tempDir(t: TestContext): string {
  const d = mkdtempSync(join(tmpdir(), 'strata-wal-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function capturingLogger(): { logger: pino.Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

function randomBytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x;
  }
  return b;
}

function readAll(dir: string, opts?: { from?: number; to?: number }): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const r of readRecords(dir, opts)) out.push(r.slice()); // records are reused between iterations
  return out;
}

function assertRecords(got: Uint8Array[], want: Uint8Array[]): void {
  assert.equal(got.length, want.length, 'record count');
  for (let i = 0; i < want.length; i++) assert.ok(Buffer.from(got[i]!).equals(want[i]!), `record ${i} differs`);
}

const EDGE_SIZES = [
  0, 1, 100, PAGE_SIZE - 7, PAGE_SIZE - 8, PAGE_SIZE - 14, PAGE_SIZE - 15, PAGE_SIZE, PAGE_SIZE + 1,
  2 * PAGE_SIZE - 14, 3 * PAGE_SIZE + 17, 5 * PAGE_SIZE, 0, 7, 3,
];

test('log/read round trip across page boundaries', async (t) => {
  const dir = tempDir(t);
  const wal = await WAL.open(dir);
  const recs = EDGE_SIZES.map((n, i) => randomBytes(n, i + 1));
  // Some calls with one record, some with several.
  await wal.log(recs[0]!);
  await wal.log(...recs.slice(1, 6));
  for (const r of recs.slice(6)) await wal.log(r);
  assertRecords(readAll(dir), recs); // readable while open: the last page is partial
  await wal.close();
  assert.equal(statSync(segmentName(dir, 0)).size % PAGE_SIZE, 0, 'closed segment is padded to a page');
  assertRecords(readAll(dir), recs);

  // Reopening starts a new segment and keeps the old records.
  const wal2 = await WAL.open(dir);
  assert.deepEqual(wal2.segments(), { first: 0, last: 1 });
  const more = [randomBytes(40_000, 99), randomBytes(5, 98)];
  await wal2.log(...more);
  await wal2.close();
  assertRecords(readAll(dir), [...recs, ...more]);
  assertRecords(readAll(dir, { from: 1 }), more);
});

test('log/read round trip of random record sizes and batches (property)', async (t) => {
  const root = tempDir(t);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(fc.nat(300), fc.integer({ min: PAGE_SIZE - 20, max: PAGE_SIZE + 20 }), fc.nat(4 * PAGE_SIZE)), {
        minLength: 1,
        maxLength: 40,
      }),
      fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 10 }),
      fc.constantFrom(2, 4, 64),
      async (sizes, groups, pagesPerSegment) => {
        const dir = join(root, String(run++));
        const wal = await WAL.open(dir, { segmentSize: pagesPerSegment * PAGE_SIZE });
        const recs = sizes.map((n, i) => randomBytes(n, run * 1000 + i));
        for (let i = 0, g = 0; i < recs.length; g++) {
          const k = groups[g % groups.length]!;
          await wal.log(...recs.slice(i, i + k));
          i += k;
        }
        await wal.close();
        assertRecords(readAll(dir), recs);
        // Records never cross segments: each segment reads alone without a torn record.
        const segs = listSegments(dir);
        const perSegment = segs.flatMap((i) => readAll(dir, { from: i, to: i }));
        assertRecords(perSegment, recs);
      },
    ),
    { numRuns: 40 },
  );
});

test('segment rotation with a tiny segment size', async (t) => {
  const dir = tempDir(t);
  const segmentSize = 2 * PAGE_SIZE;
  const wal = await WAL.open(dir, { segmentSize });
  const recs: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) recs.push(fixtureRecord(i));
  for (const r of recs) await wal.log(r);
  const { first, last } = wal.segments();
  assert.equal(first, 0);
  assert.ok(last > 10, `expected many segments, got ${last}`);
  await wal.close();
  assert.deepEqual(listSegments(dir), Array.from({ length: last + 1 }, (_, i) => i));
  for (const i of listSegments(dir)) {
    const size = statSync(segmentName(dir, i)).size;
    const recsIn = readAll(dir, { from: i, to: i });
    // Only a segment holding a single record bigger than a segment may exceed the size.
    if (size > segmentSize) assert.equal(recsIn.length, 1);
  }
  assertRecords(readAll(dir), recs);
  assertRecords(readAll(dir, { from: 3, to: 5 }), [3, 4, 5].flatMap((i) => readAll(dir, { from: i, to: i })));
});

test('nextSegment and truncate', async (t) => {
  const dir = tempDir(t);
  const wal = await WAL.open(dir, { segmentSize: 4 * PAGE_SIZE });
  await wal.log(fixtureRecord(0));
  assert.equal(await wal.nextSegment(), 1);
  await wal.log(fixtureRecord(1));
  assert.equal(await wal.nextSegment(), 2);
  await wal.log(fixtureRecord(2));
  assert.deepEqual(wal.segments(), { first: 0, last: 2 });
  await wal.truncate(2);
  assert.deepEqual(wal.segments(), { first: 2, last: 2 });
  assert.deepEqual(listSegments(dir), [2]);
  await wal.truncate(10); // never deletes the active segment
  assert.deepEqual(listSegments(dir), [2]);
  await wal.log(fixtureRecord(3));
  await wal.close();
  assert.deepEqual(readAll(dir).map(fixtureIndex), [2, 3]);
  await assert.rejects(wal.log(fixtureRecord(4)), /closed/);
});

test("fsync 'always' group-commits concurrent log() calls in call order", async (t) => {
  const dir = tempDir(t);
  const wal = await WAL.open(dir, { fsync: 'always', segmentSize: 4 * PAGE_SIZE });
  const pending: Promise<void>[] = [];
  for (let i = 0; i < 300; i++) pending.push(wal.log(fixtureRecord(i)));
  await Promise.all(pending);
  assert.ok(wal.segments().last > 0, 'rotated while syncs were in flight');
  await wal.close();
  assert.deepEqual(
    readAll(dir).map(fixtureIndex),
    Array.from({ length: 300 }, (_, i) => i),
  );
});

/** Writes records (one log() each) and returns the bytes of the segment and each record's end offset. */
async function writeOneSegment(dir: string, n: number): Promise<{ recs: Uint8Array[]; ends: number[] }> {
  const wal = await WAL.open(dir);
  const recs: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    recs.push(fixtureRecord(i));
    await wal.log(recs[i]!);
  }
  await wal.close();
  const ends: number[] = [];
  const r = new WALReader([{ dir, index: 0 }]);
  while (r.next()) ends.push(r.offset());
  r.close();
  assert.equal(ends.length, n);
  return { recs, ends };
}

test('torn tail: WAL.open truncates to the last complete record', async (t) => {
  const root = tempDir(t);
  const src = join(root, 'src');
  const { recs, ends } = await writeOneSegment(src, 60);
  const full = readFileSync(segmentName(src, 0));
  const size = ends[ends.length - 1]!;
  const cuts = new Set<number>([1, 6, 7, 8, ends[0]!, ends[0]! - 1, PAGE_SIZE, PAGE_SIZE + 3, size - 1]);
  for (let i = 0; i < 60; i++) cuts.add(1 + Math.floor(Math.random() * (size - 1)));
  for (const e of ends.slice(0, 10)) cuts.add(e);
  let k = 0;
  for (const cut of cuts) {
    const dir = join(root, `cut${k++}`);
    mkdirSync(dir);
    writeFileSync(segmentName(dir, 0), full.subarray(0, cut));
    const complete = ends.filter((e) => e <= cut).length;
    const { logger, lines } = capturingLogger();
    const wal = await WAL.open(dir, { logger });
    assert.deepEqual(wal.segments(), { first: 0, last: 1 });
    await wal.close();
    const torn = !ends.includes(cut) && cut > 0;
    // A cut inside page padding after a complete record is clean, not torn.
    const insidePadding = complete > 0 && cut > ends[complete - 1]! && full.subarray(ends[complete - 1]!, cut).every((b) => b === 0);
    assert.equal(lines.some((l) => l.level === 40 && /torn or corrupt/.test(l.msg)), torn && !insidePadding, `warning at cut ${cut}`);
    assertRecords(readAll(dir), recs.slice(0, complete));
    const repaired = statSync(segmentName(dir, 0)).size;
    assert.equal(repaired % PAGE_SIZE, 0, 'repaired segment is page-aligned');
    // The WAL is usable after the repair.
    const wal2 = await WAL.open(dir);
    await wal2.log(recs[complete] ?? new Uint8Array([1]));
    await wal2.close();
    assert.equal(readAll(dir).length, complete + 1);
  }
});

test('corrupt CRC in the middle of the last segment: earlier records survive, the rest is cut', async (t) => {
  const dir = tempDir(t);
  const { recs, ends } = await writeOneSegment(dir, 40);
  const victim = 20;
  const bytes = readFileSync(segmentName(dir, 0));
  // Flip a data byte inside record 20's first fragment (its header starts at ends[19], unless padded).
  let hdr = ends[victim - 1]!;
  if (PAGE_SIZE - (hdr % PAGE_SIZE) <= 7) hdr += PAGE_SIZE - (hdr % PAGE_SIZE);
  bytes[hdr + 7] = bytes[hdr + 7]! ^ 0x40;
  writeFileSync(segmentName(dir, 0), bytes);
  assert.throws(() => readAll(dir), (err: unknown) => err instanceof CorruptionError && err.segment === 0 && err.offset === ends[victim - 1]);
  const { logger, lines } = capturingLogger();
  const wal = await WAL.open(dir, { logger });
  await wal.log(fixtureRecord(1000));
  await wal.close();
  assert.ok(lines.some((l) => l.level === 40 && /torn or corrupt/.test(l.msg)));
  assertRecords(readAll(dir), [...recs.slice(0, victim), fixtureRecord(1000)]);
});

test('the tail segment is found behind empty segments left by restarts', async (t) => {
  const dir = tempDir(t);
  const { recs, ends } = await writeOneSegment(dir, 30);
  for (let i = 0; i < 3; i++) await (await WAL.open(dir)).close(); // each restart leaves an empty segment
  assert.deepEqual(listSegments(dir), [0, 1, 2, 3]);
  truncateSync(segmentName(dir, 0), ends[9]! + 5);
  const wal = await WAL.open(dir);
  assert.deepEqual(listSegments(dir), [0, 1]); // empty segments after the repaired one are removed
  await wal.close();
  assertRecords(readAll(dir), recs.slice(0, 10));
});

test('repair() of a corruption found while replaying an earlier segment', async (t) => {
  const dir = tempDir(t);
  const wal = await WAL.open(dir, { segmentSize: 2 * PAGE_SIZE });
  for (let i = 0; i < 100; i++) await wal.log(fixtureRecord(i));
  await wal.close();
  const segs = listSegments(dir);
  assert.ok(segs.length > 5);
  const bad = 2;
  const inBad = readAll(dir, { from: bad, to: bad }).length;
  const beforeBad = readAll(dir, { to: bad - 1 }).length;
  const r = new WALReader([{ dir, index: bad }]);
  for (let i = 0; i < 3; i++) assert.ok(r.next());
  const victim = r.offset() - 1; // the last data byte of the segment's third record
  r.close();
  const bytes = readFileSync(segmentName(dir, bad));
  bytes[victim] = bytes[victim]! ^ 0xff;
  writeFileSync(segmentName(dir, bad), bytes);

  const w2 = await WAL.open(dir, { segmentSize: 2 * PAGE_SIZE }); // only the tail is checked at open
  let err: unknown;
  const got: number[] = [];
  try {
    for (const r of readRecords(dir)) got.push(fixtureIndex(r));
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof CorruptionError && err.segment === bad, String(err));
  await w2.repair(err);
  assert.deepEqual(w2.segments(), { first: 0, last: bad + 1 });
  await w2.log(fixtureRecord(5000));
  await w2.close();
  const after = readAll(dir).map(fixtureIndex);
  assert.deepEqual(after, [...got, 5000]);
  assert.deepEqual(got, Array.from({ length: got.length }, (_, i) => i));
  assert.equal(got.length, beforeBad + 2, 'the records before the damaged one survive');
  assert.ok(inBad > 3);
});

test('compressed records are rejected with a clear error and left untouched', async (t) => {
  const dir = tempDir(t);
  const data = new TextEncoder().encode('snappy-compressed record');
  const seg = new Uint8Array(7 + data.length);
  seg[0] = 1 | (1 << 3); // full fragment, snappy flag
  seg[1] = 0;
  seg[2] = data.length;
  const crc = crc32c(data);
  seg.set([crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff], 3);
  seg.set(data, 7);
  writeFileSync(segmentName(dir, 0), seg);
  assert.throws(() => readAll(dir), (err: unknown) => err instanceof UnsupportedRecordError && /snappy/.test(err.message));
  await assert.rejects(WAL.open(dir), UnsupportedRecordError);
  assert.equal(statSync(segmentName(dir, 0)).size, seg.length);
  seg[0] = 1 | (1 << 4);
  writeFileSync(segmentName(dir, 0), seg);
  assert.throws(() => readAll(dir), /zstd-compressed/);
});

test('a gap in the segment sequence is an error', async (t) => {
  const dir = tempDir(t);
  writeFileSync(segmentName(dir, 0), new Uint8Array(0));
  writeFileSync(segmentName(dir, 2), new Uint8Array(0));
  await assert.rejects(WAL.open(dir), /not sequential/);
});

// ---- crash test ----

const CRASH_WRITER = fileURLToPath(new URL('./testdata/crash-writer.ts', import.meta.url));

/** Runs the writer from `start`, SIGKILLs it after it printed a few numbers; returns the last number printed. */
function crashRun(dir: string, fsync: FsyncPolicy, start: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CRASH_WRITER, dir, fsync, String(4 * PAGE_SIZE), String(start)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let errOut = '';
    let timer: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`crash writer printed nothing: ${errOut}`));
    }, 30_000);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => (errOut += s));
    child.stdout.on('data', (s: string) => {
      out += s;
      timer ??= setTimeout(() => child.kill('SIGKILL'), 20 + Math.random() * 300);
    });
    child.on('exit', (_code, signal) => {
      clearTimeout(deadline);
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`crash writer exited by itself: ${errOut}`));
      const lines = out.split('\n');
      lines.pop(); // an unfinished line was not printed completely
      if (lines.length === 0) return reject(new Error('no complete line printed'));
      resolve(Number(lines[lines.length - 1]));
    });
  });
}

for (const fsync of ['never', 'always'] as const) {
  test(`crash test: records acknowledged before SIGKILL survive (fsync ${fsync})`, async (t) => {
    const dir = tempDir(t);
    let next = 0;
    for (let round = 0; round < 3; round++) {
      const lastPrinted = await crashRun(dir, fsync, next);
      assert.ok(lastPrinted >= next);
      // Open repairs a torn tail (if the kill hit mid-write) before reading.
      await (await WAL.open(dir)).close();
      const got = readAll(dir);
      const idx = got.map(fixtureIndex);
      for (let i = 0; i < idx.length; i++) {
        assert.equal(idx[i], i, `gap or reordering at record ${i}`);
        assert.ok(Buffer.from(got[i]!).equals(fixtureRecord(i)), `record ${i} differs`);
      }
      assert.ok(idx.length - 1 >= lastPrinted, `record ${lastPrinted} was acknowledged but only ${idx.length} survived`);
      t.diagnostic(`round ${round}: ${idx.length} records readable, last acknowledged ${lastPrinted}`);
      next = idx.length;
    }
    assert.ok(readdirSync(dir).length > 3);
  });
}
