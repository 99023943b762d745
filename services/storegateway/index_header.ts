// The index-header of a block (as in Thanos and Mimir): what a store-gateway keeps on local disk
// and in memory of a block's `index` to resolve label names and values and to locate postings
// lists, built from a few byte-range reads of the index (TOC, symbols, postings offset table).
// Series and postings stay in the bucket and are read by range. Format: INDEX_HEADER.md.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { compareStrings } from '../../libs/model/index.ts';
import { Decbuf, Encbuf, crc32c } from '../../libs/tsdb/encoding/index.ts';
import { INDEX_FORMAT_V2, IndexError, IndexErrorCode, MAGIC_INDEX, type TOC } from '../../libs/tsdb/index.ts';
import type { ByteRange, RangeReader } from './ranges.ts';

export const INDEX_HEADER_MAGIC = 0x53474948; // "SGIH"
export const INDEX_HEADER_VERSION = 1;
export const INDEX_HEADER_FILE = 'index-header';

const INDEX_TOC_LEN = 6 * 8 + 4;
const INDEX_HEADER_LEN = 5;

/** The postings lists of one label name: value symbols ascending, and where each list is in the index. */
interface NamePostings {
  readonly values: Uint32Array;
  readonly starts: Float64Array;
  readonly lengths: Uint32Array;
}

function corrupted(msg: string, cause?: unknown): IndexError {
  return new IndexError(IndexErrorCode.Corrupted, msg, cause === undefined ? undefined : { cause });
}

/** Decodes a `len <4b> | body | CRC32C <4b>` section at the start of `b`; the body's decoder. */
function sectionOf(b: Uint8Array, what: string): Decbuf {
  if (b.length < 8) throw corrupted(`${what}: ${b.length} bytes, too short`);
  const len = new Decbuf(b, 0, 4).be32();
  if (4 + len + 4 > b.length) throw corrupted(`${what}: length ${len} exceeds the ${b.length} bytes read`);
  const want = new Decbuf(b, 4 + len, 8 + len).be32();
  if (crc32c(b, 4, 4 + len) !== want) throw corrupted(`${what}: checksum mismatch`);
  return new Decbuf(b, 4, 4 + len);
}

function readTOC(b: Uint8Array, indexSize: number): TOC {
  const d = new Decbuf(b, 0, INDEX_TOC_LEN);
  const toc: TOC = { symbols: d.be64(), series: d.be64(), labelIndices: d.be64(), labelIndicesTable: d.be64(), postings: d.be64(), postingsTable: d.be64() };
  if (crc32c(b, 0, INDEX_TOC_LEN - 4) !== d.be32()) throw corrupted('read TOC: checksum mismatch');
  for (const [k, v] of Object.entries(toc)) if (v > indexSize - INDEX_TOC_LEN) throw corrupted(`read TOC: ${k} offset ${v} beyond the TOC`);
  if (toc.symbols < INDEX_HEADER_LEN || toc.series <= toc.symbols || toc.postingsTable === 0) throw corrupted('read TOC: sections missing or out of order');
  return toc;
}

/**
 * A block's index-header, in memory. Immutable; safe to share between queries. Label values are
 * symbol numbers (the index's symbol table is sorted, so their order is the values' order).
 */
export class IndexHeader {
  private readonly sortedNames: string[];

  private constructor(
    readonly indexSize: number,
    readonly toc: TOC,
    /** Where the series section ends (the next section's start). */
    readonly seriesEnd: number,
    /** Sizes of the chunk segment files 000001, 000002, … */
    readonly segmentSizes: readonly number[],
    private readonly syms: readonly string[],
    private readonly all: ByteRange | undefined,
    private readonly names: ReadonlyMap<string, NamePostings>,
  ) {
    this.sortedNames = [...names.keys()].sort(compareStrings);
  }

  /**
   * Builds the header from ranges of the index (`read`), an object of `indexSize` bytes: four reads
   * (magic, TOC, symbols, postings offset table).
   */
  static async build(read: RangeReader, indexSize: number, segmentSizes: readonly number[]): Promise<IndexHeader> {
    if (indexSize < INDEX_HEADER_LEN + INDEX_TOC_LEN) throw corrupted(`index too small (${indexSize} bytes)`);
    const [head, tocBytes] = await Promise.all([read(0, INDEX_HEADER_LEN), read(indexSize - INDEX_TOC_LEN, INDEX_TOC_LEN)]);
    const hd = new Decbuf(head);
    const magic = hd.be32();
    if (magic !== MAGIC_INDEX) throw corrupted(`invalid magic number ${magic.toString(16)}`);
    const version = hd.byte();
    if (version !== INDEX_FORMAT_V2) throw new IndexError(IndexErrorCode.UnsupportedVersion, `index format v${version} is not supported (v2 only)`);
    const toc = readTOC(tocBytes, indexSize);
    const [symBytes, tableBytes] = await Promise.all([
      read(toc.symbols, toc.series - toc.symbols),
      read(toc.postingsTable, indexSize - INDEX_TOC_LEN - toc.postingsTable),
    ]);

    const sd = sectionOf(symBytes, 'symbol table');
    const n = sd.be32();
    if (n > sd.remaining()) throw corrupted(`symbol table: ${n} symbols do not fit in ${sd.remaining()} bytes`);
    const syms = new Array<string>(n);
    const symIndex = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const s = sd.uvarintStr();
      syms[i] = s;
      symIndex.set(s, i);
    }

    // Postings offset table: #entries, then (2, name, value, offset) each.
    const pt = sectionOf(tableBytes, 'postings offset table');
    let count = pt.be32();
    const entries: { name: string; value: number; start: number }[] = [];
    let allStart: number | undefined;
    while (count-- > 0) {
      if (pt.uvarint() !== 2) throw corrupted('postings offset table: unexpected number of keys');
      const name = pt.uvarintStr();
      const value = pt.uvarintStr();
      const start = pt.uvarint();
      if (name === '' && value === '') {
        allStart = start;
        continue;
      }
      const v = symIndex.get(value);
      if (v === undefined) throw corrupted(`postings offset table: value ${JSON.stringify(value)} of ${JSON.stringify(name)} is not a symbol`);
      entries.push({ name, value: v, start });
    }
    // A list ends where the next one starts (lists are contiguous); the last at the next section.
    const bound = Math.min(...[toc.labelIndicesTable, toc.postingsTable].filter((o) => o > toc.postings));
    const starts = [...new Set([...entries.map((e) => e.start), ...(allStart === undefined ? [] : [allStart])])].sort((a, b) => a - b);
    const endOf = new Map<number, number>();
    starts.forEach((s, i) => endOf.set(s, i + 1 < starts.length ? starts[i + 1]! : bound));
    const lengthOf = (s: number): number => {
      const len = endOf.get(s)! - s;
      if (s < toc.postings || len < 8) throw corrupted(`postings list at offset ${s} out of range`);
      return len;
    };

    const names = new Map<string, NamePostings>();
    for (let i = 0; i < entries.length; ) {
      const name = entries[i]!.name;
      let j = i;
      while (j < entries.length && entries[j]!.name === name) j++;
      if (names.has(name)) throw corrupted(`postings offset table not sorted at label name ${JSON.stringify(name)}`);
      const values = new Uint32Array(j - i);
      const st = new Float64Array(j - i);
      const lens = new Uint32Array(j - i);
      for (let k = i; k < j; k++) {
        const e = entries[k]!;
        values[k - i] = e.value;
        st[k - i] = e.start;
        lens[k - i] = lengthOf(e.start);
        if (k > i && values[k - i]! <= values[k - i - 1]!) throw corrupted(`postings offset table not sorted at ${JSON.stringify(name)}`);
      }
      names.set(name, { values, starts: st, lengths: lens });
      i = j;
    }
    const all = allStart === undefined ? undefined : { start: allStart, end: allStart + lengthOf(allStart) };
    const seriesEnd = toc.labelIndices || toc.postings || indexSize - INDEX_TOC_LEN;
    return new IndexHeader(indexSize, toc, seriesEnd, [...segmentSizes], syms, all, names);
  }

  /** The header as stored on disk (INDEX_HEADER.md). */
  encode(): Uint8Array {
    const e = new Encbuf(1 << 16);
    e.putBE32(INDEX_HEADER_MAGIC);
    e.putByte(INDEX_HEADER_VERSION);
    e.putUvarint(this.indexSize);
    const t = this.toc;
    for (const off of [t.symbols, t.series, t.labelIndices, t.labelIndicesTable, t.postings, t.postingsTable]) e.putUvarint(off);
    e.putUvarint(this.seriesEnd);
    e.putUvarint(this.segmentSizes.length);
    for (const s of this.segmentSizes) e.putUvarint(s);
    e.putUvarint(this.syms.length);
    for (const s of this.syms) e.putUvarintStr(s);
    e.putUvarint(this.all === undefined ? 0 : this.all.start);
    e.putUvarint(this.all === undefined ? 0 : this.all.end - this.all.start);
    e.putUvarint(this.names.size);
    for (const name of this.sortedNames) {
      const p = this.names.get(name)!;
      e.putUvarintStr(name);
      e.putUvarint(p.values.length);
      for (let i = 0; i < p.values.length; i++) {
        e.putUvarint(p.values[i]!);
        e.putUvarint(p.starts[i]!);
        e.putUvarint(p.lengths[i]!);
      }
    }
    const body = e.get();
    const out = new Uint8Array(body.length + 4);
    out.set(body);
    new DataView(out.buffer).setUint32(body.length, crc32c(body), false);
    return out;
  }

  static decode(b: Uint8Array): IndexHeader {
    if (b.length < 9) throw corrupted('index-header too short');
    if (crc32c(b, 0, b.length - 4) !== new Decbuf(b, b.length - 4, b.length).be32()) throw corrupted('index-header: checksum mismatch');
    const d = new Decbuf(b, 0, b.length - 4);
    if (d.be32() !== INDEX_HEADER_MAGIC) throw corrupted('index-header: invalid magic number');
    const version = d.byte();
    if (version !== INDEX_HEADER_VERSION) throw new IndexError(IndexErrorCode.UnsupportedVersion, `index-header version ${version} is not supported`);
    const indexSize = d.uvarint();
    const toc: TOC = { symbols: d.uvarint(), series: d.uvarint(), labelIndices: d.uvarint(), labelIndicesTable: d.uvarint(), postings: d.uvarint(), postingsTable: d.uvarint() };
    const seriesEnd = d.uvarint();
    const segmentSizes = Array.from({ length: d.uvarint() }, () => d.uvarint());
    const syms = Array.from({ length: d.uvarint() }, () => d.uvarintStr());
    const allStart = d.uvarint();
    const allLen = d.uvarint();
    const names = new Map<string, NamePostings>();
    for (let n = d.uvarint(); n > 0; n--) {
      const name = d.uvarintStr();
      const k = d.uvarint();
      const p: NamePostings = { values: new Uint32Array(k), starts: new Float64Array(k), lengths: new Uint32Array(k) };
      for (let i = 0; i < k; i++) {
        p.values[i] = d.uvarint();
        p.starts[i] = d.uvarint();
        p.lengths[i] = d.uvarint();
        if (p.values[i]! >= syms.length) throw corrupted('index-header: unknown symbol');
      }
      names.set(name, p);
    }
    return new IndexHeader(indexSize, toc, seriesEnd, segmentSizes, syms, allLen > 0 ? { start: allStart, end: allStart + allLen } : undefined, names);
  }

  /** Writes the header to `path` atomically (temporary file, then rename). */
  async save(path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, this.encode());
    await rename(`${path}.tmp`, path);
  }

  static async load(path: string): Promise<IndexHeader> {
    return IndexHeader.decode(await readFile(path));
  }

  /** Label names of all series, sorted. */
  labelNames(): string[] {
    return this.sortedNames.slice();
  }

  /** Sorted values of `name`; empty when absent. */
  labelValues(name: string): string[] {
    const p = this.names.get(name);
    if (p === undefined) return [];
    const out = new Array<string>(p.values.length);
    for (let i = 0; i < p.values.length; i++) out[i] = this.syms[p.values[i]!]!;
    return out;
  }

  /** Where the postings list of name=value is in the index (including its length and CRC), or undefined. */
  postingsRange(name: string, value: string): ByteRange | undefined {
    const p = this.names.get(name);
    if (p === undefined) return undefined;
    const sym = this.symbolOf(value);
    if (sym < 0) return undefined;
    let lo = 0;
    let hi = p.values.length;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (p.values[m]! < sym) lo = m + 1;
      else hi = m;
    }
    if (lo >= p.values.length || p.values[lo] !== sym) return undefined;
    return { start: p.starts[lo]!, end: p.starts[lo]! + p.lengths[lo]! };
  }

  /** The all-series postings list ("" = ""), or undefined for an index without series. */
  allPostingsRange(): ByteRange | undefined {
    return this.all;
  }

  /** The symbol numbered `i` (series refer to symbols by number). */
  symbol(i: number): string {
    const s = this.syms[i];
    if (s === undefined) throw corrupted(`unknown symbol ref ${i}`);
    return s;
  }

  /** Number of the symbol `s`, or -1. */
  private symbolOf(s: string): number {
    let lo = 0;
    let hi = this.syms.length;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      const c = compareStrings(this.syms[m]!, s);
      if (c === 0) return m;
      if (c < 0) lo = m + 1;
      else hi = m;
    }
    return -1;
  }
}
