// Writes a block index in Prometheus' format v2, byte for byte as Prometheus 2.x writes it:
// symbols, series, label indices, postings, label offset table, postings offset table, TOC.

import { writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { compareLabels, compareStrings, type Labels } from '../../model/index.ts';
import { crc32c, Encbuf } from '../encoding/index.ts';
import {
  INDEX_FORMAT_V2,
  IndexError,
  IndexErrorCode,
  MAGIC_INDEX,
  SERIES_BYTE_ALIGN,
  type IndexChunkMeta,
  type TOC,
} from './format.ts';

/** Bytes buffered before they are written out; sections are only ever flushed whole. */
const FLUSH_THRESHOLD = 1 << 20;
const MAX_SERIES_REF = 0xffffffff;

const Stage = { Symbols: 0, Series: 1, Done: 2 } as const;
type Stage = (typeof Stage)[keyof typeof Stage];

/** A growable list of series refs (one per label pair: most hold a handful). */
class RefList {
  a = new Uint32Array(4);
  n = 0;

  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }

  get(): Uint32Array {
    return this.a.subarray(0, this.n);
  }
}

/**
 * Usage: `addSymbol` for every label name and value in sorted order, then `addSeries` in
 * label order, then `close`. The symbol table and the postings (label pair → series refs) are
 * kept in memory until `close`; the series section is streamed to the file as it is written.
 * Not safe for concurrent use; a failed `addSeries`/`addSymbol` leaves the writer usable.
 */
export class IndexWriter {
  private stage: Stage = Stage.Symbols;
  private readonly toc: TOC = { symbols: 0, series: 0, labelIndices: 0, labelIndicesTable: 0, postings: 0, postingsTable: 0 };
  private readonly out = new Encbuf(1 << 16);
  private readonly scratch = new Encbuf(256);
  private flushed = 0;

  private readonly symbols: string[] = [];
  private readonly symbolRefs = new Map<string, number>();

  private lastSeries: Labels | undefined;
  private lastChunkRef = 0;
  private readonly allRefs = new RefList();
  // Name symbol → value symbol → series refs. Symbol order is string order, so sorting the
  // keys numerically sorts the label pairs.
  private readonly postings = new Map<number, Map<number, RefList>>();

  private constructor(
    private readonly path: string,
    private fh: FileHandle | undefined,
  ) {
    this.out.putBE32(MAGIC_INDEX);
    this.out.putByte(INDEX_FORMAT_V2);
  }

  /** Creates (or truncates) the index file at `path`. */
  static async create(path: string): Promise<IndexWriter> {
    return new IndexWriter(path, await open(path, 'w'));
  }

  /** Adds the next symbol; symbols must be strictly increasing in UTF-8 byte order. */
  addSymbol(s: string): void {
    if (this.stage !== Stage.Symbols) throw invalid(`symbol ${JSON.stringify(s)} added after series`);
    const last = this.symbols.length > 0 ? this.symbols[this.symbols.length - 1]! : undefined;
    if (last !== undefined && compareStrings(s, last) <= 0) throw invalid(`symbol ${JSON.stringify(s)} out-of-order`);
    this.symbolRefs.set(s, this.symbols.length);
    this.symbols.push(s);
  }

  /**
   * Adds the next series, strictly after the previous one in `compareLabels` order, with its
   * chunks in time order (non-overlapping, refs non-decreasing across all series). Every label
   * name and value must have been added as a symbol. Returns the series ref (offset / 16).
   */
  addSeries(labels: Labels, chunks: readonly IndexChunkMeta[]): number {
    if (this.stage === Stage.Done) throw invalid('series added after close');
    if (labels.isEmpty()) throw invalid('series with an empty label set');
    if (this.lastSeries !== undefined && compareLabels(labels, this.lastSeries) <= 0) {
      throw invalid(`out-of-order series added with label set ${labels.toString()}, last label set ${this.lastSeries.toString()}`);
    }
    let lastRef = this.lastChunkRef;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      if (c.ref < lastRef) throw invalid(`unsorted chunk reference: ${c.ref}, previous: ${lastRef}`);
      lastRef = c.ref;
      if (c.maxTime < c.minTime) throw invalid(`chunk maxT ${c.maxTime} is less than minT ${c.minTime}`);
      if (i > 0 && c.minTime <= chunks[i - 1]!.maxTime) {
        throw invalid(`chunk minT ${c.minTime} is not higher than previous chunk maxT ${chunks[i - 1]!.maxTime}`);
      }
    }
    const syms = new Array<number>(labels.length * 2);
    for (let i = 0; i < labels.length; i++) {
      syms[2 * i] = this.symbolRef(labels.nameAt(i));
      syms[2 * i + 1] = this.symbolRef(labels.valueAt(i));
    }
    this.ensureSeriesStage();

    this.pad(SERIES_BYTE_ALIGN);
    const ref = this.pos() / SERIES_BYTE_ALIGN;
    if (ref > MAX_SERIES_REF) throw invalid('index exceeds the maximum size of 64GiB');

    const e = this.scratch;
    e.reset();
    e.putUvarint(labels.length);
    for (const s of syms) e.putUvarint(s);
    e.putUvarint(chunks.length);
    if (chunks.length > 0) {
      const c0 = chunks[0]!;
      e.putVarint(c0.minTime);
      e.putUvarint(c0.maxTime - c0.minTime);
      e.putUvarint(c0.ref);
      for (let i = 1; i < chunks.length; i++) {
        const c = chunks[i]!;
        const p = chunks[i - 1]!;
        e.putUvarint(c.minTime - p.maxTime);
        e.putUvarint(c.maxTime - c.minTime);
        e.putVarint(c.ref - p.ref);
      }
    }
    this.out.putUvarint(e.len);
    this.out.putBytes(e.get());
    this.out.putBE32(crc32c(e.buf, 0, e.len));

    this.allRefs.push(ref);
    for (let i = 0; i < syms.length; i += 2) {
      let byValue = this.postings.get(syms[i]!);
      if (byValue === undefined) this.postings.set(syms[i]!, (byValue = new Map()));
      let list = byValue.get(syms[i + 1]!);
      if (list === undefined) byValue.set(syms[i + 1]!, (list = new RefList()));
      list.push(ref);
    }
    this.lastSeries = labels;
    this.lastChunkRef = lastRef;
    this.maybeFlush();
    return ref;
  }

  /** Writes label indices, postings, the offset tables and the TOC, then fsyncs and closes the file. */
  async close(): Promise<void> {
    if (this.stage === Stage.Done) throw invalid('index writer already closed');
    const fh = this.fh;
    if (fh === undefined) throw invalid('index writer already closed');
    try {
      this.ensureSeriesStage();
      this.stage = Stage.Done;
      this.writeTail();
      this.flush();
      await fh.sync();
    } finally {
      this.fh = undefined;
      await fh.close();
    }
  }

  private writeTail(): void {
    const names = [...this.postings.keys()].sort((a, b) => a - b);
    const valuesOf = new Map<number, number[]>();
    for (const n of names) valuesOf.set(n, [...this.postings.get(n)!.keys()].sort((a, b) => a - b));

    // Label indices: unused by readers since Prometheus 2.x, still written by it up to 3.5
    // (older readers and tools rely on them).
    this.toc.labelIndices = this.pos();
    const labelIndexOffsets: number[] = [];
    for (const n of names) {
      this.pad(4);
      labelIndexOffsets.push(this.pos());
      const values = valuesOf.get(n)!;
      const start = this.beginSection();
      this.out.putBE32(1); // Number of names in the tuple.
      this.out.putBE32(values.length);
      for (const v of values) this.out.putBE32(v);
      this.endSection(start);
      this.maybeFlush();
    }

    // Postings, the all-postings list first under the empty name and value.
    this.toc.postings = this.pos();
    this.pad(4);
    const table = new Encbuf(1 << 12);
    let tableEntries = 0;
    const writePostings = (name: string, value: string, refs: Uint32Array): void => {
      this.pad(4);
      table.putUvarint(2);
      table.putUvarintStr(name);
      table.putUvarintStr(value);
      table.putUvarint(this.pos());
      tableEntries++;
      const start = this.beginSection();
      this.out.putBE32(refs.length);
      for (let i = 0; i < refs.length; i++) this.out.putBE32(refs[i]!);
      this.endSection(start);
      this.maybeFlush();
    };
    writePostings('', '', this.allRefs.get());
    for (const n of names) {
      const byValue = this.postings.get(n)!;
      for (const v of valuesOf.get(n)!) writePostings(this.symbols[n]!, this.symbols[v]!, byValue.get(v)!.get());
    }

    this.toc.labelIndicesTable = this.pos();
    {
      const start = this.beginSection();
      this.out.putBE32(names.length);
      for (let i = 0; i < names.length; i++) {
        this.out.putUvarint(1);
        this.out.putUvarintStr(this.symbols[names[i]!]!);
        this.out.putUvarint(labelIndexOffsets[i]!);
      }
      this.endSection(start);
      this.maybeFlush();
    }

    this.toc.postingsTable = this.pos();
    {
      const start = this.beginSection();
      this.out.putBE32(tableEntries);
      this.out.putBytes(table.get());
      this.endSection(start);
    }

    const tocStart = this.out.len;
    const t = this.toc;
    for (const off of [t.symbols, t.series, t.labelIndices, t.labelIndicesTable, t.postings, t.postingsTable]) this.out.putBE64(off);
    this.out.putBE32(crc32c(this.out.buf, tocStart, this.out.len));
  }

  private symbolRef(s: string): number {
    const r = this.symbolRefs.get(s);
    if (r === undefined) throw invalid(`symbol entry for ${JSON.stringify(s)} does not exist`);
    return r;
  }

  /** Writes the symbol table on the first series (or at close). */
  private ensureSeriesStage(): void {
    if (this.stage !== Stage.Symbols) return;
    this.toc.symbols = this.pos();
    const start = this.beginSection();
    this.out.putBE32(this.symbols.length);
    for (const s of this.symbols) this.out.putUvarintStr(s);
    this.endSection(start);
    this.toc.series = this.pos();
    this.stage = Stage.Series;
    this.maybeFlush();
  }

  /** Reserves the 4-byte length of a `len | body | CRC32C` section; returns its buffer position. */
  private beginSection(): number {
    const start = this.out.len;
    this.out.putBE32(0);
    return start;
  }

  private endSection(start: number): void {
    const bodyLen = this.out.len - start - 4;
    if (bodyLen > 0xffffffff) throw invalid('index section exceeds 4GiB');
    this.out.setBE32(start, bodyLen);
    this.out.putBE32(crc32c(this.out.buf, start + 4, this.out.len));
  }

  private pos(): number {
    return this.flushed + this.out.len;
  }

  private pad(align: number): void {
    const r = this.pos() % align;
    if (r !== 0) for (let i = r; i < align; i++) this.out.putByte(0);
  }

  private maybeFlush(): void {
    if (this.out.len >= FLUSH_THRESHOLD) this.flush();
  }

  private flush(): void {
    const fh = this.fh;
    if (fh === undefined) throw invalid(`index writer for ${this.path} is closed`);
    let off = 0;
    while (off < this.out.len) off += writeSync(fh.fd, this.out.buf, off, this.out.len - off);
    this.flushed += this.out.len;
    this.out.reset();
  }
}

function invalid(msg: string): IndexError {
  return new IndexError(IndexErrorCode.InvalidInput, msg);
}
