// Reads a block index in Prometheus' format v2 from a byte buffer: symbols, series by ref,
// label names and values, and postings through the postings offset table.

import { readFile } from 'node:fs/promises';
import { Labels, compareStrings } from '../../model/index.ts';
import { crc32c, Decbuf, DecodeError } from '../encoding/index.ts';
import {
  INDEX_FORMAT_V1,
  INDEX_FORMAT_V2,
  INDEX_HEADER_LEN,
  INDEX_TOC_LEN,
  IndexError,
  IndexErrorCode,
  MAGIC_INDEX,
  SERIES_BYTE_ALIGN,
  type IndexChunkMeta,
  type TOC,
} from './format.ts';
import { mergePostings } from './postings.ts';

/**
 * Like Prometheus, only every POSTINGS_SAMPLE-th value of a label name (plus its last one) is kept
 * in memory with its position in the postings offset table; a lookup binary-searches the samples
 * and then decodes at most that many table entries.
 */
const POSTINGS_SAMPLE = 32;

/** Sampled postings offset table entries of one label name. */
interface NameEntries {
  /** Sampled values, ascending; the first and last values of the name are always present. */
  values: string[];
  /** File offset of the table entry of each sampled value. */
  entryOffs: number[];
}

const EMPTY = new Uint32Array(0);

export class IndexReader {
  private readonly toc: TOC;
  // Decoded once: series reference symbols by index, so lookups must be O(1).
  private readonly syms: string[];
  private readonly names = new Map<string, NameEntries>();
  private readonly sortedNames: string[];
  private readonly tableEnd: number;
  private readonly seriesEnd: number;
  private b: Uint8Array;

  private constructor(b: Uint8Array) {
    this.b = b;
    if (b.length < INDEX_HEADER_LEN + INDEX_TOC_LEN) throw corrupted(`index too small (${b.length} bytes)`);
    const d = new Decbuf(b);
    const magic = d.be32();
    if (magic !== MAGIC_INDEX) throw corrupted(`invalid magic number ${magic.toString(16)}`);
    const version = d.byte();
    if (version === INDEX_FORMAT_V1) {
      throw new IndexError(IndexErrorCode.UnsupportedVersion, 'index format v1 (Prometheus < 2.0 era blocks) is not supported; rewrite the block with a current Prometheus');
    }
    if (version !== INDEX_FORMAT_V2) throw new IndexError(IndexErrorCode.UnsupportedVersion, `unknown index file version ${version}`);

    this.toc = readTOC(b);
    this.syms = this.readSymbols();

    // Postings offset table: len | #entries | entries | CRC.
    const pt = this.section(this.toc.postingsTable, 'postings offset table');
    this.tableEnd = pt.end;
    let count = pt.be32();
    let curName: string | undefined;
    let cur: NameEntries | undefined;
    let lastValue = '';
    let lastOff = 0;
    let n = 0;
    try {
      while (count > 0 && pt.remaining() > 0) {
        const entryOff = pt.off;
        const keys = pt.uvarint();
        if (keys !== 2) throw corrupted(`unexpected number of keys for postings offset table ${keys}`);
        const name = pt.uvarintStr();
        const value = pt.uvarintStr();
        pt.uvarint();
        if (name !== curName) {
          if (cur !== undefined) addLast(cur, lastValue, lastOff);
          if (this.names.has(name)) throw corrupted(`postings offset table not sorted at label name ${JSON.stringify(name)}`);
          curName = name;
          cur = { values: [], entryOffs: [] };
          this.names.set(name, cur);
          n = 0;
        }
        if (n % POSTINGS_SAMPLE === 0) {
          cur!.values.push(value);
          cur!.entryOffs.push(entryOff);
        }
        lastValue = value;
        lastOff = entryOff;
        n++;
        count--;
      }
    } catch (e) {
      throw wrapDecode(e, 'read postings offset table');
    }
    if (cur !== undefined) addLast(cur, lastValue, lastOff);
    if (count !== 0) throw corrupted('postings offset table truncated');

    this.sortedNames = [...this.names.keys()].filter((n) => n !== '').sort(compareStrings);
    this.seriesEnd = this.toc.labelIndices || this.toc.postings || b.length;
  }

  /** Reads the whole file into memory. */
  static async open(path: string): Promise<IndexReader> {
    const b = await readFile(path);
    try {
      return new IndexReader(b);
    } catch (e) {
      if (e instanceof IndexError) e.message = `${path}: ${e.message}`;
      throw e;
    }
  }

  /** A reader over `b`, which must not change while the reader is in use. */
  static fromBytes(b: Uint8Array): IndexReader {
    return new IndexReader(b);
  }

  /** Every symbol, sorted. */
  symbols(): string[] {
    return this.syms.slice();
  }

  /** Label names of all series, sorted. */
  labelNames(): string[] {
    return this.sortedNames.slice();
  }

  /** Values of label `name`, sorted; empty when the name is absent. */
  labelValues(name: string): string[] {
    const e = this.names.get(name);
    if (e === undefined || name === '') return [];
    const out: string[] = [];
    this.scanEntries(e.entryOffs[0]!, name, (v) => {
      out.push(v);
      return true;
    });
    return out;
  }

  /** Sorted union of the postings of `name=v` for each `v`; values without postings are skipped. */
  postings(name: string, values: readonly string[]): Uint32Array {
    const e = this.names.get(name);
    if (e === undefined || values.length === 0) return EMPTY;
    const lists: Uint32Array[] = [];
    for (const v of values) {
      const off = this.postingsOffset(e, name, v);
      if (off !== undefined) lists.push(this.readPostings(off, name, v));
    }
    return lists.length === 1 ? lists[0]! : mergePostings(lists);
  }

  /** Every series ref, sorted. */
  allPostings(): Uint32Array {
    const e = this.names.get('');
    if (e === undefined) return EMPTY;
    const off = this.postingsOffset(e, '', '');
    return off === undefined ? EMPTY : this.readPostings(off, '', '');
  }

  /** The labels and chunk metas of the series at `ref` (offset / 16). */
  series(ref: number): { labels: Labels; chunks: IndexChunkMeta[] } {
    const off = ref * SERIES_BYTE_ALIGN;
    if (!Number.isInteger(ref) || ref < 0 || off < this.toc.series || off >= this.seriesEnd) {
      throw corrupted(`series ref ${ref} out of range`);
    }
    try {
      const d = new Decbuf(this.b, off, this.seriesEnd);
      const len = d.uvarint();
      const start = d.off;
      if (start + len + 4 > this.seriesEnd) throw corrupted(`series ref ${ref}: length ${len} out of range`);
      const want = new Decbuf(this.b, start + len, start + len + 4).be32();
      if (crc32c(this.b, start, start + len) !== want) throw corrupted(`series ref ${ref}: checksum mismatch`);
      return decodeSeries(this.b, start, start + len, (i) => this.symbol(i));
    } catch (e) {
      throw wrapDecode(e, `series ref ${ref}`);
    }
  }

  /** Size of the index in bytes. */
  size(): number {
    return this.b.length;
  }

  /** Releases the buffer; the reader must not be used afterwards. */
  close(): void {
    this.b = new Uint8Array(0);
    this.syms.length = 0;
    this.names.clear();
  }

  private symbol(i: number): string {
    const s = this.syms[i];
    if (s === undefined) throw corrupted(`unknown symbol ref ${i}`);
    return s;
  }

  private readSymbols(): string[] {
    const d = this.section(this.toc.symbols, 'symbol table');
    try {
      const n = d.be32();
      if (n > d.remaining()) throw corrupted(`symbol table: ${n} symbols do not fit in ${d.remaining()} bytes`);
      const out = new Array<string>(n);
      for (let i = 0; i < n; i++) out[i] = d.uvarintStr();
      return out;
    } catch (e) {
      throw wrapDecode(e, 'read symbols');
    }
  }

  /** A decoder over the body of the `len <4b> | body | CRC32C <4b>` section at `off`, checksum verified. */
  private section(off: number, what: string): Decbuf {
    const b = this.b;
    if (off < INDEX_HEADER_LEN || off + 4 > b.length) throw corrupted(`${what}: offset ${off} out of range`);
    const len = new Decbuf(b, off, off + 4).be32();
    const start = off + 4;
    const end = start + len;
    if (end + 4 > b.length) throw corrupted(`${what}: length ${len} at offset ${off} exceeds the file`);
    const want = new Decbuf(b, end, end + 4).be32();
    if (crc32c(b, start, end) !== want) throw corrupted(`${what} at offset ${off}: checksum mismatch`);
    return new Decbuf(b, start, end);
  }

  /** Decodes table entries from `entryOff` while they belong to `name`; `fn` returns false to stop. */
  private scanEntries(entryOff: number, name: string, fn: (value: string, postingsOff: number) => boolean): void {
    const d = new Decbuf(this.b, entryOff, this.tableEnd);
    try {
      while (d.remaining() > 0) {
        d.uvarint(); // Key count, checked at open.
        if (d.uvarintStr() !== name) return;
        const v = d.uvarintStr();
        if (!fn(v, d.uvarint())) return;
      }
    } catch (e) {
      throw wrapDecode(e, 'read postings offset table');
    }
  }

  private postingsOffset(e: NameEntries, name: string, value: string): number | undefined {
    // Last sample <= value.
    let lo = 0;
    let hi = e.values.length;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (compareStrings(e.values[m]!, value) <= 0) lo = m + 1;
      else hi = m;
    }
    if (lo === 0) return undefined;
    let found: number | undefined;
    this.scanEntries(e.entryOffs[lo - 1]!, name, (v, off) => {
      const c = compareStrings(v, value);
      if (c === 0) found = off;
      return c < 0;
    });
    return found;
  }

  private readPostings(off: number, name: string, value: string): Uint32Array {
    const what = `postings list for ${name}=${JSON.stringify(value)}`;
    const d = this.section(off, what);
    const n = d.be32();
    if (d.remaining() !== n * 4) throw corrupted(`${what}: ${n} entries but ${d.remaining()} bytes`);
    const out = new Uint32Array(n);
    const b = this.b;
    let o = d.off;
    for (let i = 0; i < n; i++, o += 4) out[i] = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
    return out;
  }
}

/**
 * Decodes the body of a series entry (`b[start, end)`, after its length and before its CRC):
 * labels as symbol numbers resolved by `symbol`, then the chunk metas. Shared with readers that
 * fetch series by range (the store-gateway).
 */
export function decodeSeries(b: Uint8Array, start: number, end: number, symbol: (i: number) => string): { labels: Labels; chunks: IndexChunkMeta[] } {
  const s = new Decbuf(b, start, end);
  const nl = s.uvarint();
  const flat = new Array<string>(nl * 2);
  for (let i = 0; i < nl * 2; i++) flat[i] = symbol(s.uvarint());
  const nc = s.uvarint();
  const chunks: IndexChunkMeta[] = new Array(nc);
  let t0 = 0;
  let ref0 = 0;
  for (let i = 0; i < nc; i++) {
    let minTime: number;
    let chunkRef: number;
    if (i === 0) {
      minTime = s.varint();
      const maxTime = minTime + s.uvarint();
      chunkRef = s.uvarint();
      chunks[i] = { ref: chunkRef, minTime, maxTime };
      t0 = maxTime;
    } else {
      minTime = t0 + s.uvarint();
      const maxTime = minTime + s.uvarint();
      chunkRef = ref0 + s.varint();
      chunks[i] = { ref: chunkRef, minTime, maxTime };
      t0 = maxTime;
    }
    ref0 = chunkRef;
  }
  return { labels: Labels.fromSortedFlat(flat), chunks };
}

function addLast(e: NameEntries, value: string, entryOff: number): void {
  if (e.entryOffs[e.entryOffs.length - 1] !== entryOff) {
    e.values.push(value);
    e.entryOffs.push(entryOff);
  }
}

function readTOC(b: Uint8Array): TOC {
  const start = b.length - INDEX_TOC_LEN;
  const d = new Decbuf(b, start, b.length);
  const toc: TOC = {
    symbols: d.be64(),
    series: d.be64(),
    labelIndices: d.be64(),
    labelIndicesTable: d.be64(),
    postings: d.be64(),
    postingsTable: d.be64(),
  };
  if (crc32c(b, start, b.length - 4) !== d.be32()) throw corrupted('read TOC: checksum mismatch');
  for (const [k, v] of Object.entries(toc)) if (v > start) throw corrupted(`read TOC: ${k} offset ${v} beyond the TOC`);
  return toc;
}

function corrupted(msg: string): IndexError {
  return new IndexError(IndexErrorCode.Corrupted, msg);
}

function wrapDecode(e: unknown, what: string): unknown {
  if (e instanceof DecodeError) return new IndexError(IndexErrorCode.Corrupted, `${what}: ${e.message}`, { cause: e });
  return e;
}
