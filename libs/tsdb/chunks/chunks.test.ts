import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValueType } from '../../storage/index.ts';
import { crc32c } from '../encoding/index.ts';
import { ChunkCorruptError, Encoding, XORChunk, UnsupportedEncodingError } from '../chunkenc/index.ts';
import {
  ChunkReader, ChunkRefError, ChunkWriter, scanSegment, scanSegmentFile, listSegmentFiles, newBlockChunkRef, unpackBlockChunkRef,
} from './index.ts';
import type { ChunkMeta } from './index.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-chunks-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Chunks of varied sizes with samples derived from `seed`. */
function makeMetas(count: number): ChunkMeta[] {
  const metas: ChunkMeta[] = [];
  for (let s = 0; s < count; s++) {
    const c = new XORChunk();
    const app = c.appender();
    const n = 1 + ((s * 37) % 130);
    const t0 = 1_700_000_000_000 + s * 1000;
    for (let i = 0; i < n; i++) app.append(t0 + i * 15_000 + ((i * s) % 5), s % 3 === 0 ? i : Math.sqrt(i * s + 1));
    c.compact();
    metas.push({ ref: 0, minTime: t0, maxTime: t0 + (n - 1) * 15_000, chunk: c });
  }
  return metas;
}

function samplesOf(c: { iterator(): { next(): number; atT(): number; atF(): number } }): [number, number][] {
  const it = c.iterator();
  const out: [number, number][] = [];
  while (it.next() !== ValueType.None) out.push([it.atT(), it.atF()]);
  return out;
}

test('block chunk refs pack segment index and offset', () => {
  assert.equal(newBlockChunkRef(0, 8), 8);
  assert.equal(newBlockChunkRef(3, 0xfffffff0), 3 * 2 ** 32 + 0xfffffff0);
  assert.deepEqual(unpackBlockChunkRef(newBlockChunkRef(70000, 123456)), [70000, 123456]);
});

test('segment layout: header, uvarint length, encoding, data, CRC32C big-endian', async () => {
  await withTmp(async (dir) => {
    const c = new XORChunk();
    c.appender().append(1000, 1.5);
    const w = await ChunkWriter.create(join(dir, 'chunks'));
    const metas: ChunkMeta[] = [{ ref: 0, minTime: 1000, maxTime: 1000, chunk: c }];
    w.writeChunks(metas);
    await w.close();
    assert.equal(metas[0]!.ref, 8);
    const file = await readFile(join(dir, 'chunks', '000001'));
    const data = Buffer.from(c.bytes());
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32c(Buffer.concat([Buffer.from([1]), data])));
    const want = Buffer.concat([Buffer.from('85bd40dd01000000', 'hex'), Buffer.from([data.length, 1]), data, crc]);
    assert.equal(file.toString('hex'), want.toString('hex'));
  });
});

test('writer and reader round trip, with the sequential scan', async () => {
  await withTmp(async (dir) => {
    const metas = makeMetas(300);
    const w = await ChunkWriter.create(dir);
    w.writeChunks(metas.slice(0, 100));
    w.writeChunks(metas.slice(100));
    await w.close();
    assert.deepEqual(await readdir(dir), ['000001']);
    const r = await ChunkReader.open(dir);
    assert.equal(r.size(), (await stat(join(dir, '000001'))).size);
    for (const m of metas) {
      const c = r.chunk(m.ref);
      assert.equal(c.encoding, Encoding.XOR);
      assert.equal(hex(c.bytes()), hex(m.chunk!.bytes()));
      assert.deepEqual(samplesOf(c), samplesOf(m.chunk!));
    }
    r.close();
    const scanned = [];
    for await (const sc of scanSegmentFile(join(dir, '000001'))) scanned.push(sc);
    assert.deepEqual(scanned.map((s) => s.ref), metas.map((m) => m.ref));
    assert.deepEqual(scanned.map((s) => Buffer.from(s.bytes).toString('hex')), metas.map((m) => Buffer.from(m.chunk!.bytes()).toString('hex')));
    assert.ok(scanned.every((s) => s.encoding === Encoding.XOR));
  });
});

test('multiple segments with a tiny segment size', async () => {
  await withTmp(async (dir) => {
    const metas = makeMetas(60);
    const segmentSize = 400;
    const w = await ChunkWriter.create(dir, { segmentSize });
    for (let i = 0; i < metas.length; i += 7) w.writeChunks(metas.slice(i, i + 7));
    await w.close();
    const files = await listSegmentFiles(dir);
    assert.ok(files.length > 5, `${files.length} segments`);
    assert.deepEqual(files.map((f) => f.slice(dir.length + 1)), files.map((_, i) => String(i + 1).padStart(6, '0')));
    for (const f of files) {
      const size = (await stat(f)).size;
      const chunksIn = metas.filter((m) => unpackBlockChunkRef(m.ref)[0] === files.indexOf(f));
      assert.ok(chunksIn.length >= 1);
      // Only a segment holding a single oversized chunk may exceed the limit.
      assert.ok(size <= segmentSize || chunksIn.length === 1, `${f}: ${size} bytes, ${chunksIn.length} chunks`);
    }
    const r = await ChunkReader.open(dir);
    const segs = new Set<number>();
    for (const m of metas) {
      segs.add(unpackBlockChunkRef(m.ref)[0]);
      assert.equal(hex(r.chunk(m.ref).bytes()), hex(m.chunk!.bytes()));
    }
    assert.equal(segs.size, files.length);
    // The scan of each file yields exactly its chunks, with matching refs.
    const all = [];
    for (let i = 0; i < files.length; i++) for await (const sc of scanSegmentFile(files[i]!, i)) all.push(sc.ref);
    assert.deepEqual(all, metas.map((m) => m.ref));
  });
});

test('CRC corruption is detected by the reader and the scan', async () => {
  await withTmp(async (dir) => {
    const metas = makeMetas(10);
    const w = await ChunkWriter.create(dir);
    w.writeChunks(metas);
    await w.close();
    const path = join(dir, '000001');
    const file = await readFile(path);
    const victim = metas[4]!;
    const [, off] = unpackBlockChunkRef(victim.ref);
    file[off + 5] ^= 0x10; // inside the chunk data
    await writeFile(path, file);

    const r = await ChunkReader.open(dir);
    assert.throws(() => r.chunk(victim.ref), ChunkCorruptError);
    assert.equal(hex(r.chunk(metas[3]!.ref).bytes()), hex(metas[3]!.chunk!.bytes()));
    const lax = await ChunkReader.open(dir, { verifyChecksums: false });
    assert.equal(lax.chunk(victim.ref).bytes().length, victim.chunk!.bytes().length);
    assert.throws(() => [...scanSegment(file)], ChunkCorruptError);
    assert.equal([...scanSegment(file, 0, { verifyChecksums: false })].length, metas.length);
  });
});

test('bad refs, bad headers, unsupported encodings', async () => {
  await withTmp(async (dir) => {
    const metas = makeMetas(3);
    const w = await ChunkWriter.create(dir);
    w.writeChunks(metas);
    await w.close();
    const r = await ChunkReader.open(dir);
    assert.throws(() => r.chunk(newBlockChunkRef(1, 8)), ChunkRefError);
    assert.throws(() => r.chunk(newBlockChunkRef(0, 2)), ChunkRefError);
    assert.throws(() => r.chunk(newBlockChunkRef(0, r.size() - 3)), ChunkRefError);
    assert.throws(() => r.chunk(metas[2]!.ref + 1), (e: unknown) => e instanceof ChunkRefError || e instanceof ChunkCorruptError);

    const file = await readFile(join(dir, '000001'));
    // A histogramST (5) record with a valid CRC: the reader reports the encoding, the scan yields it.
    const [, off] = unpackBlockChunkRef(metas[0]!.ref);
    const len = file[off]!;
    file[off + 1] = 5;
    file.writeUInt32BE(crc32c(file, off + 1, off + 2 + len), off + 2 + len);
    await writeFile(join(dir, '000001'), file);
    const r2 = await ChunkReader.open(dir);
    assert.throws(() => r2.chunk(metas[0]!.ref), UnsupportedEncodingError);
    assert.equal([...scanSegment(file)][0]!.encoding, 5);

    file.writeUInt32BE(0xdeadbeef, 0);
    await writeFile(join(dir, '000001'), file);
    await assert.rejects(ChunkReader.open(dir), ChunkCorruptError);
    await writeFile(join(dir, '000001'), file.subarray(0, 5));
    await assert.rejects(ChunkReader.open(dir), ChunkCorruptError);
    // Truncated record.
    const good = Buffer.from(file);
    good.writeUInt32BE(0x85bd40dd, 0);
    assert.throws(() => [...scanSegment(good.subarray(0, good.length - 2))], ChunkCorruptError);
    // A zero-filled (preallocated) tail ends the scan.
    assert.equal([...scanSegment(Buffer.concat([good, Buffer.alloc(64)]), 0, { verifyChecksums: false })].length, 3);
  });
});

test('a writer given no chunks creates no segment files; a closed writer refuses writes', async () => {
  await withTmp(async (dir) => {
    const w = await ChunkWriter.create(join(dir, 'chunks'));
    w.writeChunks([]);
    await w.close();
    assert.deepEqual(await readdir(join(dir, 'chunks')), []);
    assert.throws(() => w.writeChunks(makeMetas(1)));
    const r = await ChunkReader.open(join(dir, 'chunks'));
    assert.equal(r.size(), 0);
  });
});

test('a chunk meta without a chunk is rejected', async () => {
  await withTmp(async (dir) => {
    const w = await ChunkWriter.create(dir);
    assert.throws(() => w.writeChunks([{ ref: 0, minTime: 0, maxTime: 0 }]), /without a chunk/);
    await w.close();
  });
});

test('a second writer in the same directory continues the numbering and its refs resolve', async () => {
  await withTmp(async (dir) => {
    const first = makeMetas(5);
    const w1 = await ChunkWriter.create(dir, { segmentSize: 600 });
    w1.writeChunks(first);
    await w1.close();
    const before = (await listSegmentFiles(dir)).length;
    const second = makeMetas(4);
    const w2 = await ChunkWriter.create(dir);
    w2.writeChunks(second);
    await w2.close();
    const files = await listSegmentFiles(dir);
    assert.equal(files.length, before + 1);
    assert.equal(unpackBlockChunkRef(second[0]!.ref)[0], before);
    const r = await ChunkReader.open(dir);
    for (const m of [...first, ...second]) assert.equal(hex(r.chunk(m.ref).bytes()), hex(m.chunk!.bytes()));
  });
});
