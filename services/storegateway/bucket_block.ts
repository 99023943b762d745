// One block in the bucket as a store-gateway reads it: label names and values from its
// index-header, postings, series and chunks fetched by byte ranges (coalesced) through the
// index and chunks caches. Postings for matchers are resolved by libs/tsdb's postingsForMatchers,
// so matching is the same as on a local block.
import type { Cache } from '../../libs/cache/index.ts';
import type { Labels, Matcher } from '../../libs/model/index.ts';
import { Decbuf, crc32c } from '../../libs/tsdb/encoding/index.ts';
import {
  IndexError, IndexErrorCode, SEGMENT_HEADER_SIZE, SERIES_BYTE_ALIGN, chunkFromBytes, decodeSeries, mergePostings, postingsForMatchers,
  segmentFileName, unpackBlockChunkRef, type Chunk, type IndexChunkMeta, type PostingsIndex,
} from '../../libs/tsdb/index.ts';
import type { StoreBucket } from './bucket.ts';
import type { IndexHeader } from './index_header.ts';
import { readRanges, type ByteRange } from './ranges.ts';

export interface BlockReadOptions {
  /** Ranges at most this far apart are read as one (Mimir's partitioner_max_gap_bytes). */
  readonly maxGapBytes: number;
  /** Bytes read for a series whose size is unknown; a longer one is read again whole. */
  readonly estimatedMaxSeriesSizeBytes: number;
  /** The same for a chunk record. */
  readonly estimatedMaxChunkSizeBytes: number;
}

export interface BucketBlockDeps {
  /** The tenant's bucket (names relative to the tenant). */
  readonly bucket: StoreBucket;
  /** Part of every cache key: caches may be shared by tenants. */
  readonly tenant: string;
  readonly indexCache: Cache;
  readonly chunksCache: Cache;
  readonly options: BlockReadOptions;
}

/** A series of a block: its ref, labels and chunk metas (all of them, not cut to a range). */
export interface BlockSeries {
  readonly ref: number;
  readonly labels: Labels;
  readonly chunks: readonly IndexChunkMeta[];
}

/** Counters of one block's reads, for tests and metrics. */
export interface BlockReadStats {
  rangeReads: number;
  bytesRead: number;
}

const EMPTY = new Uint32Array(0);
// Stands for "some postings" while recording which lists postingsForMatchers needs.
const SOME = new Uint32Array(1);

function corrupted(msg: string): IndexError {
  return new IndexError(IndexErrorCode.Corrupted, msg);
}

const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b);

/** [value, bytes used] of the uvarint at `b[off]`, or undefined when it runs past the end. */
function uvarintAt(b: Uint8Array, off: number): [number, number] | undefined {
  let v = 0;
  for (let i = 0, mul = 1; i < 10; i++, mul *= 0x80) {
    if (off + i >= b.length) return undefined;
    const x = b[off + i]!;
    v += (x & 0x7f) * mul;
    if (x < 0x80) return [v, i + 1];
  }
  throw corrupted(`bad uvarint at offset ${off}`);
}

export class BucketBlock {
  readonly stats: BlockReadStats = { rangeReads: 0, bytesRead: 0 };
  private readonly keyPrefix: string;

  constructor(
    readonly id: string,
    /** The block's [minTime, maxTime) in ms, as in meta.json. */
    readonly minTime: number,
    readonly maxTime: number,
    readonly header: IndexHeader,
    private readonly deps: BucketBlockDeps,
  ) {
    this.keyPrefix = `${deps.tenant}:${id}`;
  }

  /** Whether [mint, maxt] (inclusive) overlaps the block. */
  overlaps(mint: number, maxt: number): boolean {
    return mint < this.maxTime && maxt >= this.minTime;
  }

  labelNames(): string[] {
    return this.header.labelNames();
  }

  labelValues(name: string): string[] {
    return this.header.labelValues(name);
  }

  /** Sorted refs of the series matching all `matchers`. */
  async postings(matchers: readonly Matcher[]): Promise<Uint32Array> {
    const h = this.header;
    // First pass: which lists the matchers need (values come from the header, lists are stand-ins).
    const wanted = new Map<number, ByteRange>();
    const record: PostingsIndex = {
      labelValues: (name) => h.labelValues(name),
      postings: (name, values) => {
        let any = false;
        for (const v of values) {
          const r = h.postingsRange(name, v);
          if (r !== undefined) {
            wanted.set(r.start, r);
            any = true;
          }
        }
        return any ? SOME : EMPTY;
      },
      allPostings: () => {
        const r = h.allPostingsRange();
        if (r === undefined) return EMPTY;
        wanted.set(r.start, r);
        return SOME;
      },
    };
    postingsForMatchers(record, matchers);
    const lists = await this.fetchPostings([...wanted.values()]);
    // Second pass: the same resolution over the real lists.
    const real: PostingsIndex = {
      labelValues: (name) => h.labelValues(name),
      postings: (name, values) => {
        const found: Uint32Array[] = [];
        for (const v of values) {
          const r = h.postingsRange(name, v);
          if (r !== undefined) found.push(lists.get(r.start)!);
        }
        return found.length === 1 ? found[0]! : mergePostings(found);
      },
      allPostings: () => {
        const r = h.allPostingsRange();
        return r === undefined ? EMPTY : lists.get(r.start)!;
      },
    };
    return postingsForMatchers(real, matchers);
  }

  /** The series at `refs` (sorted ascending, as postings are), in that order. */
  async series(refs: ArrayLike<number>): Promise<BlockSeries[]> {
    const n = refs.length;
    const keys = Array.from({ length: n }, (_, i) => `S:${this.keyPrefix}:${refs[i]}`);
    const hits = await this.deps.indexCache.getMulti(keys);
    const raw = new Array<Uint8Array | undefined>(n);
    const missing: number[] = [];
    for (let i = 0; i < n; i++) {
      raw[i] = hits.get(keys[i]!);
      if (raw[i] === undefined) missing.push(i);
    }
    if (missing.length > 0) {
      const h = this.header;
      const est = this.deps.options.estimatedMaxSeriesSizeBytes;
      const ranges = missing.map((i, k): ByteRange => {
        const start = refs[i]! * SERIES_BYTE_ALIGN;
        if (start < h.toc.series || start >= h.seriesEnd) throw corrupted(`block ${this.id}: series ref ${refs[i]} out of range`);
        // A series ends before the next one starts.
        const next = k + 1 < missing.length ? refs[missing[k + 1]!]! * SERIES_BYTE_ALIGN : h.seriesEnd;
        return { start, end: Math.min(start + est, next, h.seriesEnd) };
      });
      const bufs = await this.readIndexRanges(ranges);
      const toCache: [string, Uint8Array][] = [];
      const again: number[] = [];
      missing.forEach((i, k) => {
        const len = this.seriesEntryLength(bufs[k]!);
        if (len === undefined || len > bufs[k]!.length) again.push(k);
        else {
          raw[i] = copy(bufs[k]!.subarray(0, len));
          toCache.push([keys[i]!, raw[i]]);
        }
      });
      // Series larger than the estimate: read again, now that their length is known.
      for (const k of again) {
        const start = ranges[k]!.start;
        const head = await this.readIndex(start, 16);
        const len = this.seriesEntryLength(head);
        if (len === undefined || start + len > h.seriesEnd) throw corrupted(`block ${this.id}: series at offset ${start} runs past the series section`);
        const b = await this.readIndex(start, len);
        raw[missing[k]!] = b;
        toCache.push([keys[missing[k]!]!, b]);
      }
      await this.deps.indexCache.setMulti(toCache);
    }
    return raw.map((b, i) => this.decodeSeriesEntry(refs[i]!, b!));
  }

  /**
   * The chunks at `refs`, by ref, with their data as stored (views into the read buffers) and
   * the total of their data bytes.
   */
  async chunks(refs: readonly number[]): Promise<{ chunks: Map<number, Chunk>; bytes: number }> {
    const uniq = [...new Set(refs)].sort((a, b) => a - b);
    const keys = uniq.map((r) => `C:${this.keyPrefix}:${r}`);
    const hits = await this.deps.chunksCache.getMulti(keys);
    const out = new Map<number, Chunk>();
    let bytes = 0;
    const add = (ref: number, rec: Uint8Array): void => {
      const c = this.decodeChunkRecord(ref, rec);
      bytes += c.bytes().length;
      out.set(ref, c);
    };
    const bySegment = new Map<number, number[]>();
    uniq.forEach((ref, i) => {
      const hit = hits.get(keys[i]!);
      if (hit !== undefined) return add(ref, hit);
      const seg = unpackBlockChunkRef(ref)[0];
      let l = bySegment.get(seg);
      if (l === undefined) bySegment.set(seg, (l = []));
      l.push(ref);
    });
    const toCache: [string, Uint8Array][] = [];
    await Promise.all([...bySegment].map(async ([seg, segRefs]) => {
      const size = this.header.segmentSizes[seg];
      if (size === undefined) throw corrupted(`block ${this.id}: chunk segment ${seg} does not exist`);
      const name = `${this.id}/chunks/${segmentFileName(seg + 1)}`;
      const est = this.deps.options.estimatedMaxChunkSizeBytes;
      const ranges = segRefs.map((ref, k): ByteRange => {
        const off = unpackBlockChunkRef(ref)[1];
        if (off < SEGMENT_HEADER_SIZE || off >= size) throw corrupted(`block ${this.id}: chunk ref ${ref} out of range`);
        // Chunks are contiguous in a segment: one ends before the next one starts.
        const next = k + 1 < segRefs.length ? unpackBlockChunkRef(segRefs[k + 1]!)[1] : size;
        return { start: off, end: Math.min(off + est, next, size) };
      });
      const bufs = await readRanges((o, l) => this.read(name, o, l), ranges, this.deps.options.maxGapBytes);
      for (let k = 0; k < segRefs.length; k++) {
        let rec = bufs[k]!;
        let len = chunkRecordLength(rec);
        if (len === undefined || len > rec.length) {
          // Larger than the estimate: its length is known now (or after reading its head).
          if (len === undefined) len = chunkRecordLength(await this.read(name, ranges[k]!.start, 16));
          if (len === undefined || ranges[k]!.start + len > size) throw corrupted(`block ${this.id}: chunk ref ${segRefs[k]} runs past its segment`);
          rec = await this.read(name, ranges[k]!.start, len);
        } else rec = rec.subarray(0, len);
        add(segRefs[k]!, rec);
        toCache.push([`C:${this.keyPrefix}:${segRefs[k]}`, copy(rec)]);
      }
    }));
    await this.deps.chunksCache.setMulti(toCache);
    return { chunks: out, bytes };
  }

  /** The postings lists at `ranges`, by start offset, from the cache or the index. */
  private async fetchPostings(ranges: readonly ByteRange[]): Promise<Map<number, Uint32Array>> {
    const out = new Map<number, Uint32Array>();
    if (ranges.length === 0) return out;
    const keys = ranges.map((r) => `P:${this.keyPrefix}:${r.start}:${r.end - r.start}`);
    const hits = await this.deps.indexCache.getMulti(keys);
    const missing: number[] = [];
    ranges.forEach((r, i) => {
      const hit = hits.get(keys[i]!);
      if (hit !== undefined) out.set(r.start, this.decodePostings(r.start, hit));
      else missing.push(i);
    });
    if (missing.length === 0) return out;
    const bufs = await this.readIndexRanges(missing.map((i) => ranges[i]!));
    const toCache: [string, Uint8Array][] = [];
    missing.forEach((i, k) => {
      const b = bufs[k]!;
      out.set(ranges[i]!.start, this.decodePostings(ranges[i]!.start, b));
      toCache.push([keys[i]!, copy(b)]);
    });
    await this.deps.indexCache.setMulti(toCache);
    return out;
  }

  /** `len <4b> | n <4b> | n × ref <4b> | CRC32C <4b>`, possibly followed by padding. */
  private decodePostings(off: number, b: Uint8Array): Uint32Array {
    if (b.length < 8) throw corrupted(`block ${this.id}: postings list at offset ${off} truncated`);
    const len = new Decbuf(b, 0, 4).be32();
    if (len + 8 > b.length || len < 4) throw corrupted(`block ${this.id}: postings list at offset ${off}: length ${len} out of range`);
    if (crc32c(b, 4, 4 + len) !== new Decbuf(b, 4 + len, 8 + len).be32()) throw corrupted(`block ${this.id}: postings list at offset ${off}: checksum mismatch`);
    const n = new Decbuf(b, 4, 8).be32();
    if (n * 4 !== len - 4) throw corrupted(`block ${this.id}: postings list at offset ${off}: ${n} entries but ${len - 4} bytes`);
    const out = new Uint32Array(n);
    for (let i = 0, o = 8; i < n; i++, o += 4) out[i] = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
    return out;
  }

  /** Bytes of the series entry starting `b` (length, body, CRC), or undefined when its length is cut off. */
  private seriesEntryLength(b: Uint8Array): number | undefined {
    const v = uvarintAt(b, 0);
    return v === undefined ? undefined : v[1] + v[0] + 4;
  }

  private decodeSeriesEntry(ref: number, b: Uint8Array): BlockSeries {
    const v = uvarintAt(b, 0);
    if (v === undefined || v[1] + v[0] + 4 > b.length) throw corrupted(`block ${this.id}: series ref ${ref} truncated`);
    const start = v[1];
    const end = start + v[0];
    if (crc32c(b, start, end) !== new Decbuf(b, end, end + 4).be32()) throw corrupted(`block ${this.id}: series ref ${ref}: checksum mismatch`);
    const s = decodeSeries(b, start, end, (i) => this.header.symbol(i));
    return { ref, labels: s.labels, chunks: s.chunks };
  }

  private decodeChunkRecord(ref: number, rec: Uint8Array): Chunk {
    const v = uvarintAt(rec, 0);
    if (v === undefined || v[1] + 1 + v[0] + 4 > rec.length) throw corrupted(`block ${this.id}: chunk ref ${ref} truncated`);
    const enc = v[1];
    const end = enc + 1 + v[0];
    if (crc32c(rec, enc, end) !== new Decbuf(rec, end, end + 4).be32()) throw corrupted(`block ${this.id}: chunk ref ${ref}: checksum mismatch`);
    return chunkFromBytes(rec[enc]!, rec.subarray(enc + 1, end));
  }

  private readIndexRanges(ranges: readonly ByteRange[]): Promise<Uint8Array[]> {
    return readRanges((o, l) => this.readIndex(o, l), ranges, this.deps.options.maxGapBytes);
  }

  private readIndex(offset: number, length: number): Promise<Uint8Array> {
    return this.read(`${this.id}/index`, offset, length);
  }

  private async read(name: string, offset: number, length: number): Promise<Uint8Array> {
    this.stats.rangeReads++;
    const b = await this.deps.bucket.getRange(name, offset, length);
    this.stats.bytesRead += b.length;
    return b;
  }
}

/** Bytes of the chunk record starting `b` (length, encoding, data, CRC), or undefined when its length is cut off. */
function chunkRecordLength(b: Uint8Array): number | undefined {
  const v = uvarintAt(b, 0);
  return v === undefined ? undefined : v[1] + 1 + v[0] + 4;
}
