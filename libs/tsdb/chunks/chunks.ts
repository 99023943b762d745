// Block chunk segment files (`<block>/chunks/000001`, …) in Prometheus' format v1: an 8-byte
// header (magic 0x85BD40DD, version 1, 3 bytes padding), then records of
// uvarint(len) | encoding byte | data | CRC32C(encoding + data) big-endian. See FORMAT.md.

import { fsync, close as fsClose, openSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32c } from '../encoding/index.ts';
import { ChunkCorruptError, chunkFromBytes } from '../chunkenc/index.ts';
import type { Chunk } from '../chunkenc/index.ts';

export const MAGIC_CHUNKS = 0x85bd40dd;
export const CHUNKS_FORMAT_V1 = 1;
export const SEGMENT_HEADER_SIZE = 8;
/** A chunk's length field is a uvarint of at most 5 bytes (Go's MaxVarintLen32). */
export const MAX_CHUNK_LENGTH_FIELD_SIZE = 5;
export const CHUNK_ENCODING_SIZE = 1;
export const CRC_SIZE = 4;
export const DEFAULT_CHUNK_SEGMENT_SIZE = 512 * 1024 * 1024;

const TWO_32 = 4294967296;
const WRITE_BUFFER_SIZE = 4 * 1024 * 1024;

const fsyncAsync = promisify(fsync);
const closeAsync = promisify(fsClose);

/**
 * A chunk reference inside a block: segment index (0 for file 000001) in the upper 32 bits,
 * byte offset in the segment in the lower 32, held in a JS number.
 */
export function newBlockChunkRef(segmentIndex: number, offset: number): number {
  return segmentIndex * TWO_32 + offset;
}

/** [segmentIndex, offset] of a block chunk reference. */
export function unpackBlockChunkRef(ref: number): [segmentIndex: number, offset: number] {
  return [Math.floor(ref / TWO_32), ref % TWO_32];
}

/** A chunk of a series with its time range (ms, inclusive) and, once written or read, its ref. */
export interface ChunkMeta {
  ref: number;
  minTime: number;
  maxTime: number;
  chunk?: Chunk;
}

/** A chunk ref that points nowhere valid (wrong segment, offset, or past the end of a file). */
export class ChunkRefError extends Error {
  readonly code = 'chunk_ref_invalid';
  constructor(message: string) {
    super(message);
    this.name = 'ChunkRefError';
  }
}

/** `000001` for segment sequence number 1 (the file of segment index 0). */
export function segmentFileName(seq: number): string {
  return String(seq).padStart(6, '0');
}

/** Full paths of the segment files in `dir` (names that are decimal numbers), in numeric order. */
export async function listSegmentFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => /^[0-9]+$/.test(n));
  names.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
  return names.map((n) => join(dir, n));
}

/**
 * Writes chunks into numbered segment files, cutting a new segment before one would exceed
 * `segmentSize` (a single chunk larger than that still gets a segment of its own).
 * `writeChunks` is synchronous: it fills a 4 MiB buffer and writes it out with writeSync when
 * full, so memory stays bounded however fast the caller produces chunks. Finished segments are
 * fsynced asynchronously; `close` flushes, fsyncs everything and the directory. No chunks, no files.
 */
export class ChunkWriter {
  private readonly buf = Buffer.allocUnsafe(WRITE_BUFFER_SIZE);
  private bufLen = 0;
  private readonly scratch = new Uint8Array(MAX_CHUNK_LENGTH_FIELD_SIZE + CHUNK_ENCODING_SIZE);
  private fd = -1;
  /**
   * Index of the current segment in refs: its sequence number - 1, which is its position in the
   * reader's listing when the files are numbered from 1 without gaps (Prometheus counts only the
   * writer's own files instead; the two agree in the usual, initially empty directory).
   */
  private segment = -1;
  /** Bytes in the current segment, buffered ones included. */
  private n = 0;
  private readonly pending: Promise<void>[] = [];
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly segmentSize: number,
    private nextSeq: number,
  ) {}

  /** A writer into `dir` (the block's `chunks/` directory), created if missing. */
  static async create(dir: string, opts?: { segmentSize?: number }): Promise<ChunkWriter> {
    const segmentSize = opts?.segmentSize ?? DEFAULT_CHUNK_SEGMENT_SIZE;
    if (!(segmentSize > 0) || segmentSize > TWO_32) throw new RangeError(`invalid chunk segment size ${segmentSize}`);
    await mkdir(dir, { recursive: true });
    // Like Prometheus, continue after the highest existing sequence number.
    const existing = await listSegmentFiles(dir);
    const last = existing.length > 0 ? Number(existing[existing.length - 1]!.slice(dir.length + 1)) : 0;
    return new ChunkWriter(dir, segmentSize, last + 1);
  }

  /** Appends the chunks and sets each meta's `ref`. Throws if a meta has no chunk. */
  writeChunks(metas: ChunkMeta[]): void {
    if (this.closed) throw new Error('chunk writer is closed');
    for (const meta of metas) {
      const chunk = meta.chunk;
      if (chunk === undefined) throw new Error('chunk meta without a chunk');
      const data = chunk.bytes();
      const est = MAX_CHUNK_LENGTH_FIELD_SIZE + CHUNK_ENCODING_SIZE + data.length + CRC_SIZE;
      if (this.fd < 0 || (this.n > SEGMENT_HEADER_SIZE && this.n + est > this.segmentSize)) this.cut();

      meta.ref = newBlockChunkRef(this.segment, this.n);
      const s = this.scratch;
      let k = 0;
      let len = data.length;
      while (len >= 0x80) {
        s[k++] = (len & 0x7f) | 0x80;
        len >>>= 7;
      }
      s[k++] = len;
      s[k] = chunk.encoding;
      this.put(s.subarray(0, k + 1));
      this.put(data);
      const crc = crc32c(data, 0, data.length, crc32c(s, k, k + 1));
      s[0] = crc >>> 24;
      s[1] = crc >>> 16;
      s[2] = crc >>> 8;
      s[3] = crc;
      this.put(s.subarray(0, CRC_SIZE));
    }
  }

  /** Flushes, fsyncs and closes the last segment, waits for earlier ones, fsyncs the directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.fd >= 0) {
      this.flush();
      const fd = this.fd;
      this.fd = -1;
      this.pending.push(finishFile(fd));
    }
    const results = await Promise.allSettled(this.pending);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    await syncDir(this.dir);
  }

  private cut(): void {
    if (this.fd >= 0) {
      this.flush();
      this.pending.push(finishFile(this.fd));
      this.fd = -1;
    }
    const path = join(this.dir, segmentFileName(this.nextSeq));
    this.fd = openSync(path, 'wx');
    this.segment = this.nextSeq - 1;
    this.nextSeq++;
    this.n = 0;
    const h = Buffer.alloc(SEGMENT_HEADER_SIZE);
    h.writeUInt32BE(MAGIC_CHUNKS, 0);
    h[4] = CHUNKS_FORMAT_V1;
    this.put(h);
  }

  private put(b: Uint8Array): void {
    if (this.bufLen + b.length > this.buf.length) {
      this.flush();
      if (b.length > this.buf.length) {
        writeAll(this.fd, b);
        this.n += b.length;
        return;
      }
    }
    this.buf.set(b, this.bufLen);
    this.bufLen += b.length;
    this.n += b.length;
  }

  private flush(): void {
    if (this.bufLen === 0) return;
    writeAll(this.fd, this.buf.subarray(0, this.bufLen));
    this.bufLen = 0;
  }
}

function writeAll(fd: number, b: Uint8Array): void {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off);
}

async function finishFile(fd: number): Promise<void> {
  try {
    await fsyncAsync(fd);
  } finally {
    await closeAsync(fd);
  }
}

async function syncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } catch (e) {
    // Some platforms/filesystems cannot fsync a directory; the files themselves are synced.
    if ((e as NodeJS.ErrnoException).code !== 'EISDIR' && (e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
  } finally {
    await h.close();
  }
}

/** Throws unless `b` starts with a valid segment header. */
export function checkSegmentHeader(b: Uint8Array, name: string): void {
  if (b.length < SEGMENT_HEADER_SIZE) throw new ChunkCorruptError(`invalid segment header in ${name}: file too short`);
  const magic = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  if (magic !== MAGIC_CHUNKS) throw new ChunkCorruptError(`invalid magic number ${magic.toString(16)} in ${name}`);
  if (b[4] !== CHUNKS_FORMAT_V1) throw new ChunkCorruptError(`invalid chunk format version ${b[4]} in ${name}`);
}

/** Location of one chunk record in a segment, or a reason it is not valid. */
interface RecordPos {
  encStart: number;
  dataStart: number;
  dataEnd: number;
}

/** Parses the record at `off`; returns an error message instead of throwing. */
function parseRecord(b: Uint8Array, off: number, out: RecordPos): string | undefined {
  let len = 0;
  let i = off;
  for (let shift = 0; ; shift += 7) {
    if (i >= b.length) return `chunk length at offset ${off} runs past the end of the segment (${b.length} bytes)`;
    if (i - off >= MAX_CHUNK_LENGTH_FIELD_SIZE) return `chunk length at offset ${off} is not a valid uvarint`;
    const x = b[i++]!;
    len += (x & 0x7f) * 2 ** shift;
    if (x < 0x80) break;
  }
  out.encStart = i;
  out.dataStart = i + CHUNK_ENCODING_SIZE;
  out.dataEnd = out.dataStart + len;
  if (out.dataEnd + CRC_SIZE > b.length) {
    return `chunk at offset ${off} needs ${out.dataEnd + CRC_SIZE - off} bytes, segment has ${b.length - off} left`;
  }
  return undefined;
}

function checkCRC(b: Uint8Array, p: RecordPos, where: string): void {
  const want = ((b[p.dataEnd]! << 24) | (b[p.dataEnd + 1]! << 16) | (b[p.dataEnd + 2]! << 8) | b[p.dataEnd + 3]!) >>> 0;
  const got = crc32c(b, p.encStart, p.dataEnd);
  if (got !== want) {
    throw new ChunkCorruptError(`checksum mismatch for chunk ${where}: expected ${want.toString(16)}, actual ${got.toString(16)}`);
  }
}

/**
 * Reads chunks of a block by ref. Segment files are read whole into memory at `open` (simple
 * for now; a later version may read ranges or mmap). `chunk(ref)` checks bounds every time and,
 * unless `verifyChecksums: false`, the chunk's CRC32C on every call (like Prometheus), not at open.
 * Returned chunks wrap the segment buffer without copying.
 */
export class ChunkReader {
  private readonly pos: RecordPos = { encStart: 0, dataStart: 0, dataEnd: 0 };

  private constructor(
    private segments: Buffer[],
    private readonly verifyChecksums: boolean,
    private readonly totalSize: number,
  ) {}

  /** Opens the segment files in `dir` (a block's `chunks/` directory). */
  static async open(dir: string, opts?: { verifyChecksums?: boolean }): Promise<ChunkReader> {
    const files = await listSegmentFiles(dir);
    const segments: Buffer[] = [];
    let size = 0;
    for (const f of files) {
      const b = await readFile(f);
      checkSegmentHeader(b, f);
      segments.push(b);
      size += b.length;
    }
    return new ChunkReader(segments, opts?.verifyChecksums ?? true, size);
  }

  /** The chunk at `ref`. Throws ChunkRefError for a bad ref, ChunkCorruptError for a bad CRC. */
  chunk(ref: number): Chunk {
    const [seg, off] = unpackBlockChunkRef(ref);
    const b = this.segments[seg];
    if (b === undefined) throw new ChunkRefError(`segment index ${seg} out of range (${this.segments.length} segments)`);
    if (off < SEGMENT_HEADER_SIZE) throw new ChunkRefError(`chunk offset ${off} inside the segment header`);
    const p = this.pos;
    const msg = parseRecord(b, off, p);
    if (msg !== undefined) throw new ChunkRefError(`segment ${seg}: ${msg}`);
    if (this.verifyChecksums) checkCRC(b, p, `ref ${ref} (segment ${seg}, offset ${off})`);
    return chunkFromBytes(b[p.encStart]!, b.subarray(p.dataStart, p.dataEnd));
  }

  /** Total bytes of all segment files. */
  size(): number {
    return this.totalSize;
  }

  close(): void {
    this.segments = [];
  }
}

/** One record of a segment file, as found by a sequential scan. `bytes` is a view, not a copy. */
export interface SegmentChunk {
  ref: number;
  encoding: number;
  bytes: Uint8Array;
}

/**
 * Yields every chunk record of a segment file's contents in order, with refs for segment
 * `segmentIndex`. Throws ChunkCorruptError on a bad header, a truncated record or (unless
 * `verifyChecksums: false`) a CRC mismatch. A zero-filled tail is treated as the end.
 */
export function* scanSegment(
  data: Uint8Array,
  segmentIndex = 0,
  opts?: { verifyChecksums?: boolean; name?: string },
): Generator<SegmentChunk> {
  const name = opts?.name ?? `segment ${segmentIndex}`;
  const verify = opts?.verifyChecksums ?? true;
  checkSegmentHeader(data, name);
  const p: RecordPos = { encStart: 0, dataStart: 0, dataEnd: 0 };
  let off = SEGMENT_HEADER_SIZE;
  while (off < data.length) {
    if (data[off] === 0 && isZero(data, off)) return;
    const msg = parseRecord(data, off, p);
    if (msg !== undefined) throw new ChunkCorruptError(`${name}: ${msg}`);
    if (verify) checkCRC(data, p, `at offset ${off} of ${name}`);
    yield { ref: newBlockChunkRef(segmentIndex, off), encoding: data[p.encStart]!, bytes: data.subarray(p.dataStart, p.dataEnd) };
    off = p.dataEnd + CRC_SIZE;
  }
}

/** Reads a segment file and scans it (see scanSegment). */
export async function* scanSegmentFile(
  path: string,
  segmentIndex = 0,
  opts?: { verifyChecksums?: boolean },
): AsyncGenerator<SegmentChunk> {
  const data = await readFile(path);
  yield* scanSegment(data, segmentIndex, { ...opts, name: path });
}

function isZero(b: Uint8Array, from: number): boolean {
  for (let i = from; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}
