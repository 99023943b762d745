// Hand-written decoder of prometheus.WriteRequest (remote write 1.0) straight over the protobuf
// bytes into reusable columns: no object per sample or label. Series labels are cached by their
// encoded bytes, so a series seen before costs one hash and one compare of its label bytes and
// yields its strings, Labels and hash without decoding anything.

import { Labels, compareStrings } from '../model/index.ts';
import { ProtoDecodeError, RemoteWriteErrorCode } from './errors.ts';
import { ByteKeyTable, fingerprint, hashBytes } from './intern.ts';

/** Per-series facts a distributor validates on (bits of `seriesFlags`). */
export const SeriesFlag = {
  /** Label names are not in ascending (UTF-8 byte) order. */
  LabelsUnsorted: 1,
  /** Two labels have the same name. */
  DuplicateLabelName: 2,
  /** A label has an empty value (Prometheus treats it as absent). */
  EmptyLabelValue: 4,
  /** A label name or value is not valid UTF-8 (decoded with U+FFFD replacements). */
  InvalidUTF8: 8,
  /** A sample or histogram carries an integer beyond ±2^53 (timestamp, count, delta), stored as the nearest double. */
  Inexact: 16,
  /**
   * Labels were removed after decoding (WriteRequestDecoder.dropLabel): the series' TimeSeries
   * body was rebuilt without them, and rawSeries returns that body instead of the bytes as sent.
   */
  Rewritten: 32,
} as const;
export type SeriesFlag = (typeof SeriesFlag)[keyof typeof SeriesFlag];

/** Bits of `histFlags` (and Inexact, as in SeriesFlag, for a histogram with an integer beyond ±2^53). */
export const HistogramFlag = {
  /** `count` came from count_float (a float histogram), else from count_int. */
  CountFloat: 1,
  /** `zeroCount` came from zero_count_float, else from zero_count_int. */
  ZeroCountFloat: 2,
  Inexact: 16,
} as const;
export type HistogramFlag = (typeof HistogramFlag)[keyof typeof HistogramFlag];

/** The repeated parts of a histogram, each in its own pool; see DecodedWriteRequest.partStart. */
export const HistogramPart = {
  NegativeSpans: 0,
  NegativeDeltas: 1,
  NegativeCounts: 2,
  PositiveSpans: 3,
  PositiveDeltas: 4,
  PositiveCounts: 5,
  CustomValues: 6,
} as const;
export type HistogramPart = (typeof HistogramPart)[keyof typeof HistogramPart];
const PARTS = 7;
const ROW = 8; // histRanges row stride

/** Histogram.ResetHint. */
export const ResetHint = { Unknown: 0, Yes: 1, No: 2, Gauge: 3 } as const;
export type ResetHint = (typeof ResetHint)[keyof typeof ResetHint];

/** MetricMetadata.MetricType. */
export const MetricType = {
  Unknown: 0,
  Counter: 1,
  Gauge: 2,
  Histogram: 3,
  GaugeHistogram: 4,
  Summary: 5,
  Info: 6,
  StateSet: 7,
} as const;
export type MetricType = (typeof MetricType)[keyof typeof MetricType];

/**
 * One series' labels as decoded, shared by every request that carries the same label bytes.
 * Immutable. `flat` is [name0, value0, …] in wire order; `labels` wraps it without sorting, so
 * it is a valid Labels only when `flags` has neither LabelsUnsorted nor DuplicateLabelName
 * (such series are invalid by the remote-write spec and a distributor rejects them).
 */
export interface SeriesLabels {
  readonly flat: readonly string[];
  readonly labels: Labels;
  /** `labels.hash()` as two uint32 halves (hash = hi << 32 | lo). */
  readonly hashHi: number;
  readonly hashLo: number;
  /** SeriesFlag bits that depend on the labels alone. */
  readonly flags: number;
}

/** A histogram as a plain object; DecodedWriteRequest.histogram builds one (allocating, for tests and slow paths). */
export interface DecodedHistogram {
  count: number;
  countFloat: boolean;
  zeroCount: number;
  zeroCountFloat: boolean;
  sum: number;
  schema: number;
  zeroThreshold: number;
  negativeSpans: { offset: number; length: number }[];
  negativeDeltas: number[];
  negativeCounts: number[];
  positiveSpans: { offset: number; length: number }[];
  positiveDeltas: number[];
  positiveCounts: number[];
  resetHint: number;
  timestamp: number;
  customValues: number[];
}

const EMPTY_BYTES = new Uint8Array(0);

/**
 * The columns of one decoded WriteRequest. Owned by its WriteRequestDecoder and overwritten by
 * its next `decode()`: copy what must outlive that. Arrays may be longer than the counts; only
 * indices below the counts are meaningful.
 *
 * Series i: labels `seriesLabels[i]`, samples `[sampleStart[i], sampleStart[i+1])` of
 * `sampleValues`/`sampleTimestamps`, exemplars `[exemplarStart[i], exemplarStart[i+1])`,
 * histograms `[histogramStart[i], histogramStart[i+1])`, and its TimeSeries message body at
 * `buf[seriesStart[i]:seriesEnd[i]]` (forwardable as is with WriteRequestEncoder.rawTimeSeries),
 * or at `rewritten[seriesStart[i]:seriesEnd[i]]` for a series flagged SeriesFlag.Rewritten.
 */
export class DecodedWriteRequest {
  /** The protobuf bytes decoded; byte ranges refer to it (except for Rewritten series). */
  buf: Uint8Array = EMPTY_BYTES;
  /** The bodies of Rewritten series, rebuilt by WriteRequestDecoder.dropLabel; reused across requests. */
  rewritten: Uint8Array = EMPTY_BYTES;
  rewrittenLen = 0;

  seriesCount = 0;
  seriesStart = new Uint32Array(64);
  seriesEnd = new Uint32Array(64);
  seriesLabels: SeriesLabels[] = [];
  seriesHashHi = new Uint32Array(64);
  seriesHashLo = new Uint32Array(64);
  seriesFlags = new Uint8Array(64);
  /** @internal The decoder's series cache entry of series i's labels as they are now, or -1. */
  seriesEntry = new Int32Array(64);
  /** Prefix indices, seriesCount + 1 of them. */
  sampleStart = new Uint32Array(65);
  exemplarStart = new Uint32Array(65);
  histogramStart = new Uint32Array(65);

  sampleCount = 0;
  sampleValues = new Float64Array(64);
  /** Milliseconds; exact within ±2^53 (else SeriesFlag.Inexact). */
  sampleTimestamps = new Float64Array(64);

  exemplarCount = 0;
  exemplarValues = new Float64Array(16);
  exemplarTimestamps = new Float64Array(16);
  /** SeriesFlag.InvalidUTF8 / Inexact bits per exemplar. */
  exemplarFlags = new Uint8Array(16);
  /** Exemplar x's labels are exemplarLabels[exemplarLabelStart[x] : exemplarLabelStart[x+1]] (flat name, value). */
  exemplarLabelStart = new Uint32Array(17);
  exemplarLabels: string[] = [];

  histogramCount = 0;
  histCount = new Float64Array(16);
  histZeroCount = new Float64Array(16);
  histSum = new Float64Array(16);
  histZeroThreshold = new Float64Array(16);
  histSchema = new Int32Array(16);
  histResetHint = new Int32Array(16);
  histTimestamp = new Float64Array(16);
  histFlags = new Uint8Array(16);
  /** Row h (stride 8) holds each part's start in its pool; row h+1 its end. */
  histRanges = new Uint32Array(17 * ROW);
  negativeSpanOffsets = new Int32Array(16);
  negativeSpanLengths = new Uint32Array(16);
  positiveSpanOffsets = new Int32Array(16);
  positiveSpanLengths = new Uint32Array(16);
  negativeDeltas = new Float64Array(16);
  negativeCounts = new Float64Array(16);
  positiveDeltas = new Float64Array(16);
  positiveCounts = new Float64Array(16);
  customValues = new Float64Array(16);
  /** Elements in each part's pool. */
  readonly partLen = new Uint32Array(PARTS);

  metadataCount = 0;
  metadataType = new Int32Array(8);
  metadataFamilyName: string[] = [];
  metadataHelp: string[] = [];
  metadataUnit: string[] = [];

  /** Labels of series i (see SeriesLabels for when they are valid). */
  labels(i: number): Labels {
    return this.seriesLabels[i]!.labels;
  }

  /** [name, value, …] of series i in wire order. */
  labelsFlat(i: number): readonly string[] {
    return this.seriesLabels[i]!.flat;
  }

  /** Equal to `labels(i).hash()`. */
  hash(i: number): bigint {
    return (BigInt(this.seriesHashHi[i]!) << 32n) | BigInt(this.seriesHashLo[i]!);
  }

  /** Equal to `labels(i).hash53()`. */
  hash53(i: number): number {
    return (this.seriesHashHi[i]! & 0x1fffff) * 0x100000000 + this.seriesHashLo[i]!;
  }

  /** The body of series i's TimeSeries message as its labels now are: a view of `buf` (or of `rewritten`). */
  rawSeries(i: number): Uint8Array {
    const src = (this.seriesFlags[i]! & SeriesFlag.Rewritten) === 0 ? this.buf : this.rewritten;
    return src.subarray(this.seriesStart[i], this.seriesEnd[i]);
  }

  /** Start (in its pool) of histogram h's `part`; the end is partStart(h + 1, part). */
  partStart(h: number, part: HistogramPart): number {
    return this.histRanges[h * ROW + part]!;
  }

  /** Exemplar x's labels as [name, value, …] (a copy). */
  exemplarLabelsFlat(x: number): string[] {
    return this.exemplarLabels.slice(this.exemplarLabelStart[x], this.exemplarLabelStart[x + 1]);
  }

  /** Histogram h as a plain object (allocates; JS arrays may quiet signaling NaNs, the typed pools keep every bit). */
  histogram(h: number): DecodedHistogram {
    const f = this.histFlags[h]!;
    const part = (p: HistogramPart, a: Float64Array): number[] => Array.from(a.subarray(this.partStart(h, p), this.partStart(h + 1, p)));
    const spans = (p: HistogramPart, off: Int32Array, len: Uint32Array) => {
      const out: { offset: number; length: number }[] = [];
      for (let i = this.partStart(h, p); i < this.partStart(h + 1, p); i++) out.push({ offset: off[i]!, length: len[i]! });
      return out;
    };
    return {
      count: this.histCount[h]!,
      countFloat: (f & HistogramFlag.CountFloat) !== 0,
      zeroCount: this.histZeroCount[h]!,
      zeroCountFloat: (f & HistogramFlag.ZeroCountFloat) !== 0,
      sum: this.histSum[h]!,
      schema: this.histSchema[h]!,
      zeroThreshold: this.histZeroThreshold[h]!,
      negativeSpans: spans(HistogramPart.NegativeSpans, this.negativeSpanOffsets, this.negativeSpanLengths),
      negativeDeltas: part(HistogramPart.NegativeDeltas, this.negativeDeltas),
      negativeCounts: part(HistogramPart.NegativeCounts, this.negativeCounts),
      positiveSpans: spans(HistogramPart.PositiveSpans, this.positiveSpanOffsets, this.positiveSpanLengths),
      positiveDeltas: part(HistogramPart.PositiveDeltas, this.positiveDeltas),
      positiveCounts: part(HistogramPart.PositiveCounts, this.positiveCounts),
      resetHint: this.histResetHint[h]!,
      timestamp: this.histTimestamp[h]!,
      customValues: part(HistogramPart.CustomValues, this.customValues),
    };
  }

  /** @internal */
  reset(buf: Uint8Array): void {
    this.buf = buf;
    this.rewrittenLen = 0;
    this.seriesCount = 0;
    this.sampleCount = 0;
    this.exemplarCount = 0;
    this.histogramCount = 0;
    this.metadataCount = 0;
    this.partLen.fill(0);
    this.histRanges.fill(0, 0, ROW);
  }

  /** @internal Room for series index s (and prefix entry s + 1). */
  growSeries(s: number): void {
    const n = Math.max(s + 1, this.seriesStart.length * 2);
    this.seriesStart = grow32(this.seriesStart, n);
    this.seriesEnd = grow32(this.seriesEnd, n);
    this.seriesHashHi = grow32(this.seriesHashHi, n);
    this.seriesHashLo = grow32(this.seriesHashLo, n);
    this.seriesFlags = grow8(this.seriesFlags, n);
    this.seriesEntry = growI32(this.seriesEntry, n);
    this.sampleStart = grow32(this.sampleStart, n + 1);
    this.exemplarStart = grow32(this.exemplarStart, n + 1);
    this.histogramStart = grow32(this.histogramStart, n + 1);
  }

  /** @internal Room for n more bytes in `rewritten`. */
  growRewritten(n: number): void {
    if (this.rewrittenLen + n <= this.rewritten.length) return;
    const b = new Uint8Array(Math.max(this.rewrittenLen + n, this.rewritten.length * 2, 4096));
    b.set(this.rewritten.subarray(0, this.rewrittenLen));
    this.rewritten = b;
  }

  /** @internal */
  growSamples(k: number): void {
    const n = Math.max(k + 1, this.sampleValues.length * 2);
    this.sampleValues = growF64(this.sampleValues, n);
    this.sampleTimestamps = growF64(this.sampleTimestamps, n);
  }

  /** @internal */
  growExemplars(x: number): void {
    const n = Math.max(x + 1, this.exemplarValues.length * 2);
    this.exemplarValues = growF64(this.exemplarValues, n);
    this.exemplarTimestamps = growF64(this.exemplarTimestamps, n);
    this.exemplarFlags = grow8(this.exemplarFlags, n);
    this.exemplarLabelStart = grow32(this.exemplarLabelStart, n + 1);
  }

  /** @internal */
  growHistograms(h: number): void {
    const n = Math.max(h + 1, this.histCount.length * 2);
    this.histCount = growF64(this.histCount, n);
    this.histZeroCount = growF64(this.histZeroCount, n);
    this.histSum = growF64(this.histSum, n);
    this.histZeroThreshold = growF64(this.histZeroThreshold, n);
    this.histSchema = growI32(this.histSchema, n);
    this.histResetHint = growI32(this.histResetHint, n);
    this.histTimestamp = growF64(this.histTimestamp, n);
    this.histFlags = grow8(this.histFlags, n);
    const r = new Uint32Array((n + 1) * ROW);
    r.set(this.histRanges);
    this.histRanges = r;
  }

  /** @internal */
  growMetadata(m: number): void {
    this.metadataType = growI32(this.metadataType, Math.max(m + 1, this.metadataType.length * 2));
  }
}

function grow32(a: Uint32Array, n: number): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}
function growI32(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
function grow8(a: Uint8Array, n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  b.set(a);
  return b;
}
function growF64(a: Float64Array, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

export interface WriteRequestDecoderOptions {
  /** Series label sets cached by their bytes (default 262,144; 0 disables the cache). */
  seriesCacheEntries?: number;
  /** Bound on the cache's key bytes (default 64 MiB). */
  seriesCacheBytes?: number;
  /** Label strings interned (default 262,144). */
  internEntries?: number;
  /** Bound on the interner's key bytes (default 16 MiB). */
  internBytes?: number;
}

// Field names for errors.
const F_WR = 'prometheus.WriteRequest';
const F_WR_TS = 'prometheus.WriteRequest.timeseries';
const F_WR_MD = 'prometheus.WriteRequest.metadata';
const F_TS = 'prometheus.TimeSeries';
const F_TS_LABELS = 'prometheus.TimeSeries.labels';
const F_TS_SAMPLES = 'prometheus.TimeSeries.samples';
const F_TS_EXEMPLARS = 'prometheus.TimeSeries.exemplars';
const F_TS_HISTOGRAMS = 'prometheus.TimeSeries.histograms';
const F_LABEL = 'prometheus.Label';
const F_SAMPLE = 'prometheus.Sample';
const F_SAMPLE_VALUE = 'prometheus.Sample.value';
const F_SAMPLE_TS = 'prometheus.Sample.timestamp';
const F_EXEMPLAR = 'prometheus.Exemplar';
const F_HIST = 'prometheus.Histogram';
const F_SPAN = 'prometheus.BucketSpan';
const F_MD = 'prometheus.MetricMetadata';

const TS_FIELDS = ['', 'labels', 'samples', 'exemplars', 'histograms'];
const LABEL_FIELDS = ['', 'name', 'value'];
const SAMPLE_FIELDS = ['', 'value', 'timestamp'];
const EXEMPLAR_FIELDS = ['', 'labels', 'value', 'timestamp'];
const HIST_FIELDS = [
  '', 'count_int', 'count_float', 'sum', 'schema', 'zero_threshold', 'zero_count_int', 'zero_count_float',
  'negative_spans', 'negative_deltas', 'negative_counts', 'positive_spans', 'positive_deltas', 'positive_counts',
  'reset_hint', 'timestamp', 'custom_values',
];
const SPAN_FIELDS = ['', 'offset', 'length'];
const MD_FIELDS = ['', 'type', 'metric_family_name', '', 'help', 'unit'];

function fieldName(msg: string, names: readonly string[], n: number): string {
  const known = n < names.length ? names[n] : '';
  return known !== '' && known !== undefined ? `${msg}.${known}` : `${msg} field ${n}`;
}

function truncated(field: string, what: string, offset: number): never {
  throw new ProtoDecodeError(RemoteWriteErrorCode.ProtoTruncated, field, `truncated ${what}`, offset);
}

function overrun(field: string, len: number, offset: number, end: number): never {
  throw new ProtoDecodeError(
    RemoteWriteErrorCode.ProtoLengthOverrun,
    field,
    `length ${len} runs past the end of the enclosing message (${end - offset} bytes left)`,
    offset,
  );
}

function badWireType(field: string, wt: number, offset: number): never {
  throw new ProtoDecodeError(RemoteWriteErrorCode.ProtoBadWireType, field, `wire type ${wt} is not valid for this field`, offset);
}

function invalidField(field: string, reason: string, offset: number): never {
  throw new ProtoDecodeError(RemoteWriteErrorCode.ProtoInvalidField, field, reason, offset);
}

// Results of readVarint (module state: no object per varint).
let vp = 0;
let vlo = 0;
let vhi = 0;

/** Reads a varint of up to 64 bits at p into vlo/vhi (uint32 halves); vp is the position after it. */
function readVarint(buf: Uint8Array, p: number, end: number, field: string): void {
  let lo = 0;
  let b = 0;
  let i = p;
  for (let shift = 0; shift < 28; shift += 7) {
    if (i >= end) truncated(field, 'varint', p);
    b = buf[i++]!;
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      vlo = lo >>> 0;
      vhi = 0;
      vp = i;
      return;
    }
  }
  if (i >= end) truncated(field, 'varint', p);
  b = buf[i++]!;
  lo |= (b & 0x0f) << 28;
  let hi = (b & 0x7f) >>> 4;
  if (b >= 0x80) {
    let done = false;
    for (let shift = 3; shift < 31; shift += 7) {
      if (i >= end) truncated(field, 'varint', p);
      b = buf[i++]!;
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) {
        done = true;
        break;
      }
    }
    if (!done) {
      if (i >= end) truncated(field, 'varint', p);
      b = buf[i++]!;
      // The 10th byte holds only bit 63 (protobuf-go rejects anything more, and so do we).
      if (b > 1) throw new ProtoDecodeError(RemoteWriteErrorCode.ProtoVarintOverflow, field, 'varint longer than 64 bits', p);
      hi |= b << 31;
    }
  }
  vlo = lo >>> 0;
  vhi = hi >>> 0;
  vp = i;
}

/** int64 of vhi/vlo as the nearest double. */
function int64(): number {
  return (vhi | 0) * 4294967296 + vlo;
}
function int64Exact(): boolean {
  const h = vhi | 0;
  return h >= -0x200000 && h < 0x200000;
}
function uint64(): number {
  return vhi * 4294967296 + vlo;
}
/** sint64 (zigzag) of vhi/vlo as the nearest double; sets zzExact. */
let zzExact = true;
function sint64(): number {
  let lo = (vlo >>> 1) | (vhi << 31);
  let hi = vhi >>> 1;
  if ((vlo & 1) !== 0) {
    lo = ~lo;
    hi = ~hi;
  }
  hi |= 0;
  zzExact = hi >= -0x200000 && hi < 0x200000;
  return hi * 4294967296 + (lo >>> 0);
}

/** Checks that a fixed64 at p fits before b; returns the position after it. */
function fixed64(p: number, b: number, field: string): number {
  if (b - p < 8) truncated(field, 'fixed64', p);
  return p + 8;
}

/** Reads a field key at p (< end); returns it (field << 3 | wire type), vp after it. */
function readKey(buf: Uint8Array, p: number, end: number, msg: string): number {
  const b = buf[p]!;
  if (b < 0x80) {
    if (b < 8) invalidField(msg, 'field number 0', p);
    vp = p + 1;
    return b;
  }
  readVarint(buf, p, end, msg);
  if (vhi !== 0 || vlo < 8 || vlo >>> 3 > 0x1fffffff) invalidField(msg, 'field number out of range', p);
  return vlo;
}

/** Reads a length at p that must fit before `end`; returns it, vp after the varint. */
function readLen(buf: Uint8Array, p: number, end: number, field: string): number {
  if (p < end && buf[p]! < 0x80) {
    const len = buf[p]!;
    vp = p + 1;
    if (len > end - vp) overrun(field, len, vp, end);
    return len;
  }
  readVarint(buf, p, end, field);
  if (vhi !== 0 || vlo > end - vp) overrun(field, uint64(), vp, end);
  return vlo;
}

/** Skips the value of a field whose key (at keyAt) was just read; p is after the key. */
function skipField(buf: Uint8Array, p: number, end: number, key: number, field: string, keyAt: number, depth: number): number {
  const wt = key & 7;
  switch (wt) {
    case 0:
      readVarint(buf, p, end, field);
      return vp;
    case 1:
      if (end - p < 8) truncated(field, 'fixed64', p);
      return p + 8;
    case 2: {
      const len = readLen(buf, p, end, field);
      return vp + len;
    }
    case 5:
      if (end - p < 4) truncated(field, 'fixed32', p);
      return p + 4;
    case 3: {
      // A proto2 group: skip fields up to the matching end-group.
      if (depth >= 64) invalidField(field, 'groups nested too deeply', keyAt);
      let q = p;
      for (;;) {
        if (q >= end) truncated(field, 'group', keyAt);
        const at = q;
        const k = readKey(buf, q, end, field);
        q = vp;
        if ((k & 7) === 4) {
          if (k >>> 3 !== key >>> 3) invalidField(field, 'mismatched end-group', at);
          return q;
        }
        q = skipField(buf, q, end, k, field, at, depth + 1);
      }
    }
    case 4:
      return invalidField(field, 'unexpected end-group', keyAt);
    default:
      return badWireType(field, wt, keyAt);
  }
}

/** Skips an unknown field of `msg` or rejects a known field number with the wrong wire type. */
function skipUnknown(buf: Uint8Array, p: number, end: number, key: number, msg: string, names: readonly string[], keyAt: number): number {
  const n = key >>> 3;
  if (n < names.length && names[n] !== '') badWireType(fieldName(msg, names, n), key & 7, keyAt);
  return skipField(buf, p, end, key, `${msg} field ${n}`, keyAt, 0);
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lossyUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });
let utf8Invalid = false;

function decodeString(buf: Uint8Array, a: number, b: number): string {
  utf8Invalid = false;
  if (a === b) return '';
  const bytes = buf.subarray(a, b);
  try {
    return fatalUtf8.decode(bytes);
  } catch {
    utf8Invalid = true;
    return lossyUtf8.decode(bytes);
  }
}

const utf8Encoder = new TextEncoder();

/** Copies src[a:b] to dst at n; returns the end. A loop: runs are short, and subarray() allocates. */
function copyBytes(src: Uint8Array, a: number, b: number, dst: Uint8Array, n: number): number {
  if (b - a > 64) {
    dst.set(src.subarray(a, b), n);
    return n + b - a;
  }
  for (let i = a; i < b; i++) dst[n++] = src[i]!;
  return n;
}

function hasLabelName(flat: readonly string[], name: string): boolean {
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) return true;
  return false;
}

/** Whether the Label message buf[a:b] has the name `nameBytes` (its last name field, as label() reads it). */
function labelNameEquals(buf: Uint8Array, a: number, b: number, nameBytes: Uint8Array): boolean {
  let nameAt = a;
  let nameLen = 0;
  let p = a;
  while (p < b) {
    const at = p;
    const key = readKey(buf, p, b, F_LABEL);
    if (key === 0x0a) {
      nameLen = readLen(buf, vp, b, 'prometheus.Label.name');
      nameAt = vp;
      p = vp + nameLen;
    } else {
      p = skipField(buf, vp, b, key, F_LABEL, at, 0);
    }
  }
  if (nameLen !== nameBytes.length) return false;
  for (let i = 0; i < nameLen; i++) if (buf[nameAt + i] !== nameBytes[i]) return false;
  return true;
}

const EMPTY_SERIES: SeriesLabels = makeSeriesLabels([], false);
/** dropMemo: the label set has no label of that name. */
const NO_LABEL = -2;

function makeSeriesLabels(flat: string[], invalidUtf8: boolean): SeriesLabels {
  let flags = invalidUtf8 ? SeriesFlag.InvalidUTF8 : 0;
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i + 1] === '') flags |= SeriesFlag.EmptyLabelValue;
    if (i >= 2) {
      const c = compareStrings(flat[i - 2]!, flat[i]!);
      if (c === 0) flags |= SeriesFlag.DuplicateLabelName;
      else if (c > 0) flags |= SeriesFlag.LabelsUnsorted;
    }
  }
  const labels = Labels.fromSortedFlat(flat);
  const h = labels.hash();
  return { flat, labels, hashHi: Number(h >> 32n), hashLo: Number(h & 0xffffffffn), flags };
}

/**
 * Decodes WriteRequests into one reused DecodedWriteRequest. Keeps a bounded cache of series
 * labels and interned strings across requests. One per thread (not reentrant).
 */
export class WriteRequestDecoder {
  private readonly req = new DecodedWriteRequest();
  private readonly seriesCache: ByteKeyTable<SeriesLabels>;
  private readonly strings: ByteKeyTable<string>;
  private readonly cacheSeries: boolean;
  /** Cache entry of the series decoded last (for ByteKeyTable.predict), or -1. */
  private lastSeries = -1;
  /** The series cache's generation when the last decode() began. */
  private decodeGeneration = 0;
  /**
   * dropLabel's memo, valid for one label name and cache generation: cache entry of a label set
   * → entry of that set without the label (NO_LABEL: it has none; -1: not known yet).
   */
  private dropMemo = new Int32Array(0);
  private dropMemoName = '';
  private dropMemoGeneration = -1;
  private dv: DataView = new DataView(new ArrayBuffer(8));
  // Results of label(): no object per label.
  private labelName = '';
  private labelValue = '';
  private labelInvalid = false;

  constructor(opts: WriteRequestDecoderOptions = {}) {
    const entries = opts.seriesCacheEntries ?? 1 << 18;
    this.cacheSeries = entries > 0;
    this.seriesCache = new ByteKeyTable(Math.max(1, entries), opts.seriesCacheBytes ?? 64 << 20);
    this.strings = new ByteKeyTable(opts.internEntries ?? 1 << 18, opts.internBytes ?? 16 << 20);
  }

  /** Cached series label sets and interned strings (for metrics). */
  cacheStats(): { series: number; strings: number; seriesGenerations: number; stringGenerations: number } {
    return {
      series: this.seriesCache.size,
      strings: this.strings.size,
      seriesGenerations: this.seriesCache.generations,
      stringGenerations: this.strings.generations,
    };
  }

  /**
   * Decodes a WriteRequest (uncompressed protobuf). The result is overwritten by the next call
   * and refers to `buf`, which must not change while the result is used. Throws ProtoDecodeError
   * for malformed protobuf; valid protobuf with invalid content (unsorted labels, …) is reported
   * through the flags, never thrown.
   */
  decode(buf: Uint8Array): DecodedWriteRequest {
    const r = this.req;
    r.reset(buf);
    this.decodeGeneration = this.seriesCache.generations;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const end = buf.length;
    let p = 0;
    while (p < end) {
      const at = p;
      const key = readKey(buf, p, end, F_WR);
      p = vp;
      if (key === 0x0a) {
        const len = readLen(buf, p, end, F_WR_TS);
        p = vp;
        this.series(buf, p, p + len);
        p += len;
      } else if (key === 0x1a) {
        const len = readLen(buf, p, end, F_WR_MD);
        p = vp;
        this.metadata(buf, p, p + len);
        p += len;
      } else if (key >>> 3 === 1 || key >>> 3 === 3) {
        badWireType(key >>> 3 === 1 ? F_WR_TS : F_WR_MD, key & 7, at);
      } else {
        p = skipField(buf, p, end, key, `${F_WR} field ${key >>> 3}`, at, 0);
      }
    }
    return r;
  }

  /**
   * Removes every label named `name` from the series of the request decoded last (as Mimir drops
   * the HA replica label). A series that had it gets the labels, hash and flags it would have had
   * if sent without it, its TimeSeries body is rebuilt without those label fields (the other
   * fields copied as they are), and it is flagged SeriesFlag.Rewritten so that rawSeries returns
   * the rebuilt body. Other series are untouched. Returns how many series changed.
   */
  dropLabel(name: string): number {
    const r = this.req;
    const t = this.seriesCache;
    const nameBytes = utf8Encoder.encode(name);
    // The memo saves looking the rebuilt labels up again; the entries of this request can be
    // used with it only while the cache has not been cleared since decode() began.
    if (this.dropMemoName !== name || this.dropMemoGeneration !== t.generations) {
      this.dropMemo.fill(-1);
      this.dropMemoName = name;
      this.dropMemoGeneration = t.generations;
    }
    let useMemo = this.cacheSeries && t.generations === this.decodeGeneration;
    const old = useMemo ? r.seriesEntry : undefined;
    let changed = 0;
    // First rebuild the bodies (`rewritten` may grow meanwhile), then decode their labels.
    for (let s = 0; s < r.seriesCount; s++) {
      const e = old !== undefined ? old[s]! : -1;
      const m = e >= 0 && e < this.dropMemo.length ? this.dropMemo[e]! : -1;
      if (m === NO_LABEL) continue;
      if (m < 0 && !hasLabelName(r.seriesLabels[s]!.flat, name)) {
        if (e >= 0) this.setDropMemo(e, NO_LABEL);
        continue;
      }
      if (this.rewriteWithout(s, nameBytes)) changed++;
      else if (e >= 0) this.setDropMemo(e, NO_LABEL);
    }
    if (changed === 0) return 0;
    const rw = r.rewritten;
    this.dv = new DataView(rw.buffer, rw.byteOffset, rw.byteLength);
    for (let s = 0; s < r.seriesCount; s++) {
      if ((r.seriesFlags[s]! & SeriesFlag.Rewritten) === 0) continue;
      // Label flags are recomputed; Inexact comes from the samples, which did not change.
      r.seriesFlags[s] = (r.seriesFlags[s]! & SeriesFlag.Inexact) | SeriesFlag.Rewritten;
      // A lookup below may clear the cache: from then on, entries of this request mean nothing.
      useMemo &&= t.generations === this.decodeGeneration;
      const e = useMemo ? r.seriesEntry[s]! : -1;
      const m = e >= 0 && e < this.dropMemo.length ? this.dropMemo[e]! : -1;
      if (m >= 0) {
        r.seriesLabels[s] = t.values[m]!;
        r.seriesHashHi[s] = t.data(m, 0);
        r.seriesHashLo[s] = t.data(m, 1);
        r.seriesFlags[s] |= t.data(m, 2);
        r.seriesEntry[s] = m;
        continue;
      }
      const n = this.seriesLabelsOf(rw, r.seriesStart[s]!, r.seriesEnd[s]!, s);
      r.seriesEntry[s] = n;
      if (e >= 0 && n >= 0 && t.generations === this.decodeGeneration) this.setDropMemo(e, n);
    }
    if (t.generations !== this.dropMemoGeneration) this.dropMemoGeneration = -1;
    this.dv = new DataView(r.buf.buffer, r.buf.byteOffset, r.buf.byteLength);
    return changed;
  }

  private setDropMemo(e: number, v: number): void {
    if (e >= this.dropMemo.length) {
      const m = new Int32Array(Math.max(e + 1, this.dropMemo.length * 2, 1024)).fill(-1);
      m.set(this.dropMemo);
      this.dropMemo = m;
    }
    this.dropMemo[e] = v;
  }

  /** Copies series s's body into `rewritten` without the labels named `nameBytes`; false if it had none. */
  private rewriteWithout(s: number, nameBytes: Uint8Array): boolean {
    const r = this.req;
    const src = (r.seriesFlags[s]! & SeriesFlag.Rewritten) === 0 ? r.buf : r.rewritten;
    const a = r.seriesStart[s]!;
    const b = r.seriesEnd[s]!;
    // Appending cannot overlap the source: the rebuilt body goes after everything written so far.
    r.growRewritten(b - a);
    const out = r.rewritten;
    const start = r.rewrittenLen;
    let n = start;
    let removed = false;
    // Bytes from `run` on are kept; they are copied when a dropped label field ends the run.
    let run = a;
    let p = a;
    while (p < b) {
      const at = p;
      const key = readKey(src, p, b, F_TS);
      if (key === 0x0a) {
        const len = readLen(src, vp, b, F_TS_LABELS);
        p = vp + len;
        if (labelNameEquals(src, vp, p, nameBytes)) {
          n = copyBytes(src, run, at, out, n);
          run = p;
          removed = true;
        }
      } else {
        p = skipField(src, vp, b, key, F_TS, at, 0);
      }
    }
    if (!removed) return false;
    n = copyBytes(src, run, b, out, n);
    r.rewrittenLen = n;
    r.seriesStart[s] = start;
    r.seriesEnd[s] = n;
    r.seriesFlags[s]! |= SeriesFlag.Rewritten;
    return true;
  }

  /** Sets series s's labels from the TimeSeries body buf[start:end] (this.dv must view buf); returns their cache entry or -1. */
  private seriesLabelsOf(buf: Uint8Array, start: number, end: number, s: number): number {
    let labFirst = -1;
    let labEnd = -1;
    let contiguous = true;
    let p = start;
    while (p < end) {
      const at = p;
      const key = readKey(buf, p, end, F_TS);
      if (key === 0x0a) {
        const len = readLen(buf, vp, end, F_TS_LABELS);
        if (labFirst < 0) labFirst = p;
        else if (p !== labEnd) contiguous = false;
        labEnd = vp + len;
        p = labEnd;
      } else {
        p = skipField(buf, vp, end, key, F_TS, at, 0);
      }
    }
    if (contiguous && labFirst >= 0 && this.cacheSeries) return this.cachedLabels(buf, labFirst, labEnd, s);
    this.setSeriesLabels(s, labFirst < 0 ? EMPTY_SERIES : this.parseLabels(buf, contiguous ? labFirst : start, contiguous ? labEnd : end));
    return -1;
  }

  private series(buf: Uint8Array, start: number, end: number): void {
    const r = this.req;
    const s = r.seriesCount;
    if (s + 1 >= r.seriesStart.length) r.growSeries(s + 1);
    r.seriesStart[s] = start;
    r.seriesEnd[s] = end;
    const dv = this.dv;
    let labFirst = -1;
    let labEnd = -1;
    let contiguous = true;
    let inexact = 0;
    let k = r.sampleCount;
    let p = start;
    while (p < end) {
      const at = p;
      const tag = readKey(buf, p, end, F_TS);
      if (tag === 0x12) {
        // Sample { double value = 1; int64 timestamp = 2; }, parsed inline: this is the hot loop.
        let q = vp;
        let len: number;
        if (q < end && buf[q]! < 0x80) {
          len = buf[q++]!;
          if (len > end - q) overrun(F_TS_SAMPLES, len, q, end);
        } else {
          len = readLen(buf, q, end, F_TS_SAMPLES);
          q = vp;
        }
        const sEnd = q + len;
        let v = 0;
        let t = 0;
        while (q < sEnd) {
          const kAt = q;
          const st = readKey(buf, q, sEnd, F_SAMPLE);
          q = vp;
          if (st === 0x09) {
            if (sEnd - q < 8) truncated(F_SAMPLE_VALUE, 'double', q);
            v = dv.getFloat64(q, true);
            q += 8;
          } else if (st === 0x10) {
            // Up to 7 bytes (< 2^49: every timestamp until year 19800) with float arithmetic; longer ones, and negatives, below.
            let i = q;
            let x = 0;
            let mul = 1;
            let b = 0x80;
            const lim = sEnd < q + 7 ? sEnd : q + 7;
            while (i < lim) {
              b = buf[i++]!;
              x += (b & 0x7f) * mul;
              if (b < 0x80) break;
              mul *= 128;
            }
            if (b < 0x80) {
              t = x;
              q = i;
            } else {
              readVarint(buf, q, sEnd, F_SAMPLE_TS);
              t = int64();
              if (!int64Exact()) inexact = SeriesFlag.Inexact;
              q = vp;
            }
          } else {
            q = skipUnknown(buf, q, sEnd, st, F_SAMPLE, SAMPLE_FIELDS, kAt);
          }
        }
        if (k >= r.sampleValues.length) r.growSamples(k);
        r.sampleValues[k] = v;
        r.sampleTimestamps[k] = t;
        k++;
        p = sEnd;
      } else if (tag === 0x0a) {
        const len = readLen(buf, vp, end, F_TS_LABELS);
        if (labFirst < 0) labFirst = p;
        else if (p !== labEnd) contiguous = false;
        labEnd = vp + len;
        p = labEnd;
      } else if (tag === 0x1a) {
        const len = readLen(buf, vp, end, F_TS_EXEMPLARS);
        p = vp;
        this.exemplar(buf, p, p + len);
        p += len;
      } else if (tag === 0x22) {
        const len = readLen(buf, vp, end, F_TS_HISTOGRAMS);
        p = vp;
        if (this.histogram(buf, p, p + len)) inexact = SeriesFlag.Inexact;
        p += len;
      } else {
        p = skipUnknown(buf, vp, end, tag, F_TS, TS_FIELDS, at);
      }
    }
    r.sampleCount = k;
    r.sampleStart[s + 1] = k;
    r.exemplarStart[s + 1] = r.exemplarCount;
    r.histogramStart[s + 1] = r.histogramCount;
    r.seriesFlags[s] = inexact;
    r.seriesEntry[s] = -1;
    if (labFirst < 0) this.setSeriesLabels(s, EMPTY_SERIES);
    else if (contiguous && this.cacheSeries) r.seriesEntry[s] = this.cachedLabels(buf, labFirst, labEnd, s);
    else this.setSeriesLabels(s, this.parseLabels(buf, contiguous ? labFirst : start, contiguous ? labEnd : end));
    r.seriesCount = s + 1;
  }

  /**
   * Series s's labels from the cache (hash and flags from the entry's record, so the
   * SeriesLabels object itself is not touched: one cache miss less per series).
   */
  private cachedLabels(buf: Uint8Array, a: number, b: number, s: number): number {
    const t = this.seriesCache;
    const r = this.req;
    const prev = this.lastSeries;
    const fp = fingerprint(this.dv, a, b);
    let i = t.predict(prev, fp, this.dv, a, b);
    if (i < 0) {
      const h = hashBytes(this.dv, a, b);
      i = t.find(this.dv, a, b, h);
      if (i < 0) {
        const e = this.parseLabels(buf, a, b);
        i = t.insert(this.dv, a, b, h, e);
        t.link(prev, i, fp);
        this.lastSeries = i;
        if (i >= 0) {
          t.setData(i, 0, e.hashHi);
          t.setData(i, 1, e.hashLo);
          t.setData(i, 2, e.flags);
        }
        this.setSeriesLabels(s, e);
        return i;
      }
    }
    t.link(prev, i, fp);
    this.lastSeries = i;
    r.seriesLabels[s] = t.values[i]!;
    r.seriesHashHi[s] = t.data(i, 0);
    r.seriesHashLo[s] = t.data(i, 1);
    r.seriesFlags[s] |= t.data(i, 2);
    return i;
  }

  private setSeriesLabels(s: number, e: SeriesLabels): void {
    const r = this.req;
    r.seriesLabels[s] = e;
    r.seriesHashHi[s] = e.hashHi;
    r.seriesHashLo[s] = e.hashLo;
    r.seriesFlags[s] |= e.flags;
  }

  /** Builds a SeriesLabels from the `labels` fields in buf[a:b] (other TimeSeries fields are skipped). */
  private parseLabels(buf: Uint8Array, a: number, b: number): SeriesLabels {
    const flat: string[] = [];
    let invalid = false;
    let p = a;
    while (p < b) {
      const at = p;
      const key = readKey(buf, p, b, F_TS);
      p = vp;
      if (key === 0x0a) {
        const len = readLen(buf, p, b, F_TS_LABELS);
        p = vp;
        this.label(buf, p, p + len, true);
        flat.push(this.labelName, this.labelValue);
        invalid ||= this.labelInvalid;
        p += len;
      } else {
        p = skipField(buf, p, b, key, F_TS, at, 0);
      }
    }
    return makeSeriesLabels(flat, invalid);
  }

  /** Parses a Label message into labelName/labelValue/labelInvalid. */
  private label(buf: Uint8Array, a: number, b: number, intern: boolean): void {
    let name = '';
    let value = '';
    let invalid = false;
    let p = a;
    while (p < b) {
      const at = p;
      const key = readKey(buf, p, b, F_LABEL);
      p = vp;
      if (key === 0x0a || key === 0x12) {
        const len = readLen(buf, p, b, key === 0x0a ? 'prometheus.Label.name' : 'prometheus.Label.value');
        p = vp;
        const s = intern ? this.intern(buf, p, p + len) : decodeString(buf, p, p + len);
        invalid ||= utf8Invalid;
        if (key === 0x0a) name = s;
        else value = s;
        p += len;
      } else {
        p = skipUnknown(buf, p, b, key, F_LABEL, LABEL_FIELDS, at);
      }
    }
    this.labelName = name;
    this.labelValue = value;
    this.labelInvalid = invalid;
  }

  /** The string of buf[a:b], interned; sets utf8Invalid. */
  private intern(buf: Uint8Array, a: number, b: number): string {
    if (a === b) {
      utf8Invalid = false;
      return '';
    }
    const h = hashBytes(this.dv, a, b);
    const t = this.strings;
    const i = t.find(this.dv, a, b, h);
    if (i >= 0) {
      utf8Invalid = t.data(i, 0) === 1;
      return t.values[i]!;
    }
    const s = decodeString(buf, a, b);
    const e = t.insert(this.dv, a, b, h, s);
    if (e >= 0) t.setData(e, 0, utf8Invalid ? 1 : 0);
    return s;
  }

  private exemplar(buf: Uint8Array, a: number, b: number): void {
    const r = this.req;
    const x = r.exemplarCount;
    if (x + 1 >= r.exemplarValues.length) r.growExemplars(x + 1);
    if (x === 0) r.exemplarLabelStart[0] = 0;
    let n = r.exemplarLabelStart[x]!;
    let v = 0;
    let t = 0;
    let flags = 0;
    let p = a;
    while (p < b) {
      const at = p;
      const key = readKey(buf, p, b, F_EXEMPLAR);
      p = vp;
      switch (key) {
        case 0x0a: {
          const len = readLen(buf, p, b, 'prometheus.Exemplar.labels');
          p = vp;
          // Exemplar label values (trace ids) are unique: decoded, not interned.
          this.label(buf, p, p + len, false);
          if (this.labelInvalid) flags |= SeriesFlag.InvalidUTF8;
          r.exemplarLabels[n++] = this.labelName;
          r.exemplarLabels[n++] = this.labelValue;
          p += len;
          break;
        }
        case 0x11:
          if (b - p < 8) truncated('prometheus.Exemplar.value', 'double', p);
          v = this.dv.getFloat64(p, true);
          p += 8;
          break;
        case 0x18:
          readVarint(buf, p, b, 'prometheus.Exemplar.timestamp');
          t = int64();
          if (!int64Exact()) flags |= SeriesFlag.Inexact;
          p = vp;
          break;
        default:
          p = skipUnknown(buf, p, b, key, F_EXEMPLAR, EXEMPLAR_FIELDS, at);
      }
    }
    r.exemplarValues[x] = v;
    r.exemplarTimestamps[x] = t;
    r.exemplarFlags[x] = flags;
    r.exemplarLabelStart[x + 1] = n;
    r.exemplarCount = x + 1;
  }

  /** Parses a Histogram; returns whether an integer in it was beyond ±2^53. */
  private histogram(buf: Uint8Array, a: number, b: number): boolean {
    const r = this.req;
    const h = r.histogramCount;
    if (h + 1 >= r.histCount.length) r.growHistograms(h + 1);
    const dv = this.dv;
    let count = 0;
    let zeroCount = 0;
    let sum = 0;
    let zt = 0;
    let schema = 0;
    let reset = 0;
    let t = 0;
    let flags = 0;
    let p = a;
    while (p < b) {
      const at = p;
      const key = readKey(buf, p, b, F_HIST);
      p = vp;
      switch (key) {
        case 0x08: // count_int
          readVarint(buf, p, b, 'prometheus.Histogram.count_int');
          count = uint64();
          if (vhi >= 0x200000) flags |= HistogramFlag.Inexact;
          flags &= ~HistogramFlag.CountFloat;
          p = vp;
          break;
        case 0x11: // count_float
          p = fixed64(p, b, 'prometheus.Histogram.count_float');
          count = dv.getFloat64(p - 8, true);
          flags |= HistogramFlag.CountFloat;
          break;
        case 0x19:
          p = fixed64(p, b, 'prometheus.Histogram.sum');
          sum = dv.getFloat64(p - 8, true);
          break;
        case 0x20:
          readVarint(buf, p, b, 'prometheus.Histogram.schema');
          schema = (vlo >>> 1) ^ -(vlo & 1);
          p = vp;
          break;
        case 0x29:
          p = fixed64(p, b, 'prometheus.Histogram.zero_threshold');
          zt = dv.getFloat64(p - 8, true);
          break;
        case 0x30: // zero_count_int
          readVarint(buf, p, b, 'prometheus.Histogram.zero_count_int');
          zeroCount = uint64();
          if (vhi >= 0x200000) flags |= HistogramFlag.Inexact;
          flags &= ~HistogramFlag.ZeroCountFloat;
          p = vp;
          break;
        case 0x39:
          p = fixed64(p, b, 'prometheus.Histogram.zero_count_float');
          zeroCount = dv.getFloat64(p - 8, true);
          flags |= HistogramFlag.ZeroCountFloat;
          break;
        case 0x42:
        case 0x5a: {
          const neg = key === 0x42;
          const len = readLen(buf, p, b, neg ? 'prometheus.Histogram.negative_spans' : 'prometheus.Histogram.positive_spans');
          p = vp;
          this.span(buf, p, p + len, neg);
          p += len;
          break;
        }
        case 0x48: // deltas, unpacked
        case 0x60:
        case 0x4a: // deltas, packed
        case 0x62: {
          const part = key === 0x48 || key === 0x4a ? HistogramPart.NegativeDeltas : HistogramPart.PositiveDeltas;
          const field = part === HistogramPart.NegativeDeltas ? 'prometheus.Histogram.negative_deltas' : 'prometheus.Histogram.positive_deltas';
          let q = p;
          let qEnd = b;
          const packed = (key & 7) === 2;
          if (packed) {
            const len = readLen(buf, p, b, field);
            q = vp;
            qEnd = q + len;
          }
          // Packed: every varint in the length; unpacked: one.
          for (let first = true; packed ? q < qEnd : first; first = false) {
            readVarint(buf, q, qEnd, field);
            q = vp;
            const d = sint64();
            if (!zzExact) flags |= HistogramFlag.Inexact;
            this.pushPart(part, d);
          }
          p = q;
          break;
        }
        case 0x51: // counts / custom values, unpacked
        case 0x69:
        case 0x81:
        case 0x52: // packed
        case 0x6a:
        case 0x82: {
          const fno = key >>> 3;
          const part = fno === 10 ? HistogramPart.NegativeCounts : fno === 13 ? HistogramPart.PositiveCounts : HistogramPart.CustomValues;
          const field = `prometheus.Histogram.${HIST_FIELDS[fno]}`;
          if ((key & 7) === 1) {
            p = fixed64(p, b, field);
            this.pushPart(part, dv.getFloat64(p - 8, true));
          } else {
            const len = readLen(buf, p, b, field);
            p = vp;
            if (len % 8 !== 0) invalidField(field, `packed length ${len} is not a multiple of 8`, p);
            for (const e = p + len; p < e; p += 8) this.pushPart(part, dv.getFloat64(p, true));
          }
          break;
        }
        case 0x70:
          readVarint(buf, p, b, 'prometheus.Histogram.reset_hint');
          reset = vlo | 0;
          p = vp;
          break;
        case 0x78:
          readVarint(buf, p, b, 'prometheus.Histogram.timestamp');
          t = int64();
          if (!int64Exact()) flags |= HistogramFlag.Inexact;
          p = vp;
          break;
        default:
          p = skipUnknown(buf, p, b, key, F_HIST, HIST_FIELDS, at);
      }
    }
    r.histCount[h] = count;
    r.histZeroCount[h] = zeroCount;
    r.histSum[h] = sum;
    r.histZeroThreshold[h] = zt;
    r.histSchema[h] = schema;
    r.histResetHint[h] = reset;
    r.histTimestamp[h] = t;
    r.histFlags[h] = flags;
    const row = (h + 1) * ROW;
    for (let i = 0; i < PARTS; i++) r.histRanges[row + i] = r.partLen[i]!;
    r.histogramCount = h + 1;
    return (flags & HistogramFlag.Inexact) !== 0;
  }

  private pushPart(part: HistogramPart, v: number): void {
    const r = this.req;
    const i = r.partLen[part]!;
    switch (part) {
      case HistogramPart.NegativeDeltas:
        if (i >= r.negativeDeltas.length) r.negativeDeltas = growF64(r.negativeDeltas, i * 2);
        r.negativeDeltas[i] = v;
        break;
      case HistogramPart.NegativeCounts:
        if (i >= r.negativeCounts.length) r.negativeCounts = growF64(r.negativeCounts, i * 2);
        r.negativeCounts[i] = v;
        break;
      case HistogramPart.PositiveDeltas:
        if (i >= r.positiveDeltas.length) r.positiveDeltas = growF64(r.positiveDeltas, i * 2);
        r.positiveDeltas[i] = v;
        break;
      case HistogramPart.PositiveCounts:
        if (i >= r.positiveCounts.length) r.positiveCounts = growF64(r.positiveCounts, i * 2);
        r.positiveCounts[i] = v;
        break;
      case HistogramPart.CustomValues:
        if (i >= r.customValues.length) r.customValues = growF64(r.customValues, i * 2);
        r.customValues[i] = v;
        break;
      default:
        throw new Error(`pushPart: spans are not numbers (part ${part})`);
    }
    r.partLen[part] = i + 1;
  }

  private span(buf: Uint8Array, a: number, b: number, negative: boolean): void {
    let offset = 0;
    let length = 0;
    let p = a;
    while (p < b) {
      const at = p;
      const key = readKey(buf, p, b, F_SPAN);
      p = vp;
      if (key === 0x08) {
        readVarint(buf, p, b, 'prometheus.BucketSpan.offset');
        offset = (vlo >>> 1) ^ -(vlo & 1);
        p = vp;
      } else if (key === 0x10) {
        readVarint(buf, p, b, 'prometheus.BucketSpan.length');
        length = vlo;
        p = vp;
      } else {
        p = skipUnknown(buf, p, b, key, F_SPAN, SPAN_FIELDS, at);
      }
    }
    const r = this.req;
    const part = negative ? HistogramPart.NegativeSpans : HistogramPart.PositiveSpans;
    const i = r.partLen[part]!;
    if (negative) {
      if (i >= r.negativeSpanOffsets.length) {
        r.negativeSpanOffsets = growI32(r.negativeSpanOffsets, i * 2);
        r.negativeSpanLengths = grow32(r.negativeSpanLengths, i * 2);
      }
      r.negativeSpanOffsets[i] = offset;
      r.negativeSpanLengths[i] = length;
    } else {
      if (i >= r.positiveSpanOffsets.length) {
        r.positiveSpanOffsets = growI32(r.positiveSpanOffsets, i * 2);
        r.positiveSpanLengths = grow32(r.positiveSpanLengths, i * 2);
      }
      r.positiveSpanOffsets[i] = offset;
      r.positiveSpanLengths[i] = length;
    }
    r.partLen[part] = i + 1;
  }

  private metadata(buf: Uint8Array, a: number, b: number): void {
    const r = this.req;
    const m = r.metadataCount;
    if (m >= r.metadataType.length) r.growMetadata(m);
    let type = 0;
    let family = '';
    let help = '';
    let unit = '';
    let p = a;
    while (p < b) {
      const at = p;
      const key = readKey(buf, p, b, F_MD);
      p = vp;
      if (key === 0x08) {
        readVarint(buf, p, b, 'prometheus.MetricMetadata.type');
        type = vlo | 0;
        p = vp;
      } else if (key === 0x12 || key === 0x22 || key === 0x2a) {
        const len = readLen(buf, p, b, fieldName(F_MD, MD_FIELDS, key >>> 3));
        p = vp;
        const s = this.intern(buf, p, p + len);
        if (key === 0x12) family = s;
        else if (key === 0x22) help = s;
        else unit = s;
        p += len;
      } else {
        p = skipUnknown(buf, p, b, key, F_MD, MD_FIELDS, at);
      }
    }
    r.metadataType[m] = type;
    r.metadataFamilyName[m] = family;
    r.metadataHelp[m] = help;
    r.metadataUnit[m] = unit;
    r.metadataCount = m + 1;
  }
}
