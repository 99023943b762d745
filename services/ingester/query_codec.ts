// Hand-written codecs of the ingester's read messages (proto/strata/ingester.proto): QueryRequest,
// the QueryStreamResponse chunk stream (chunk bytes go out and come back as views, never
// re-encoded), and the small label and metadata messages.
import type { Labels, Matcher } from '../../libs/model/index.ts';
import { Reader, Writer, readChunkSeries, readMatcher, writeChunkSeries, writeMatchers, type Fail } from '../../libs/protowire/index.ts';
import type { TimedChunk } from '../../libs/tsdb/index.ts';

/** One series as streamed: its labels and its chunks (not cut to the query range). */
export interface StreamedSeries {
  readonly labels: Labels;
  readonly chunks: readonly TimedChunk[];
}

/** Start and end are inclusive ms; ±Infinity (or anything beyond int64) means unbounded. */
export interface QueryRequest {
  readonly start: number;
  readonly end: number;
  readonly matchers: readonly Matcher[];
  /** Only labels are wanted: series come without chunks. */
  readonly seriesOnly?: boolean;
}

export interface LabelNamesRequest {
  readonly start: number;
  readonly end: number;
  readonly matchers: readonly Matcher[];
}

export interface LabelValuesRequest extends LabelNamesRequest {
  readonly name: string;
}

/** prometheus.MetricMetadata; `type` is its MetricType number (0 unknown, 1 counter, 2 gauge, ...). */
export interface MetricMetadata {
  readonly type: number;
  readonly metricFamilyName: string;
  readonly help: string;
  readonly unit: string;
}

/** Which metadata a MetricsMetadata call wants. */
export interface MetricsMetadataRequest {
  /** Most metric names, the first in byte order; 0: no limit. */
  readonly limit: number;
  /** Most entries per metric name; 0: no limit. */
  readonly limitPerMetric: number;
  /** Only this metric name; '': every name. */
  readonly metric: string;
}

export class IngesterMessageError extends Error {
  readonly code = 'ingester_message_invalid';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IngesterMessageError';
  }
}

const fail: Fail = (message, cause) => new IngesterMessageError(message, cause === undefined ? undefined : { cause });


export function encodeQueryRequest(q: QueryRequest): Buffer {
  const w = new Writer();
  w.int64(1, q.start);
  w.int64(2, q.end);
  writeMatchers(w, 3, q.matchers);
  w.bool(4, q.seriesOnly === true);
  return w.finish();
}

export function decodeQueryRequest(buf: Uint8Array): QueryRequest {
  const r = new Reader(buf, fail);
  let start = 0;
  let end = 0;
  let seriesOnly = false;
  const matchers: Matcher[] = [];
  for (let k = r.key(); k; k = r.key()) {
    const [f, wire] = k;
    if (f === 1 && wire === 0) start = r.int64();
    else if (f === 2 && wire === 0) end = r.int64();
    else if (f === 3 && wire === 2) matchers.push(readMatcher(r.sub()));
    else if (f === 4 && wire === 0) seriesOnly = r.varint() !== 0;
    else r.skip(wire);
  }
  return { start, end, matchers, seriesOnly };
}

export function encodeLabelNamesRequest(q: LabelNamesRequest): Buffer {
  const w = new Writer();
  w.int64(1, q.start);
  w.int64(2, q.end);
  writeMatchers(w, 3, q.matchers);
  return w.finish();
}

export function decodeLabelNamesRequest(buf: Uint8Array): LabelNamesRequest {
  const r = new Reader(buf, fail);
  let start = 0;
  let end = 0;
  const matchers: Matcher[] = [];
  for (let k = r.key(); k; k = r.key()) {
    const [f, wire] = k;
    if (f === 1 && wire === 0) start = r.int64();
    else if (f === 2 && wire === 0) end = r.int64();
    else if (f === 3 && wire === 2) matchers.push(readMatcher(r.sub()));
    else r.skip(wire);
  }
  return { start, end, matchers };
}

export function encodeLabelValuesRequest(q: LabelValuesRequest): Buffer {
  const w = new Writer();
  w.string(1, q.name);
  w.int64(2, q.start);
  w.int64(3, q.end);
  writeMatchers(w, 4, q.matchers);
  return w.finish();
}

export function decodeLabelValuesRequest(buf: Uint8Array): LabelValuesRequest {
  const r = new Reader(buf, fail);
  let name = '';
  let start = 0;
  let end = 0;
  const matchers: Matcher[] = [];
  for (let k = r.key(); k; k = r.key()) {
    const [f, wire] = k;
    if (f === 1 && wire === 2) name = r.string();
    else if (f === 2 && wire === 0) start = r.int64();
    else if (f === 3 && wire === 0) end = r.int64();
    else if (f === 4 && wire === 2) matchers.push(readMatcher(r.sub()));
    else r.skip(wire);
  }
  return { name, start, end, matchers };
}

/** LabelNamesResponse and LabelValuesResponse: both one repeated string, field 1. */
export function encodeStrings(values: readonly string[]): Buffer {
  const w = new Writer();
  for (const v of values) w.string(1, v, true);
  return w.finish();
}

export function decodeStrings(buf: Uint8Array): string[] {
  const r = new Reader(buf, fail);
  const out: string[] = [];
  for (let k = r.key(); k; k = r.key()) {
    const [f, wire] = k;
    if (f === 1 && wire === 2) out.push(r.string());
    else r.skip(wire);
  }
  return out;
}

export function encodeMetricsMetadataRequest(q: MetricsMetadataRequest): Buffer {
  const w = new Writer();
  w.uint(1, Math.max(0, Math.trunc(q.limit)));
  w.uint(2, Math.max(0, Math.trunc(q.limitPerMetric)));
  w.string(3, q.metric);
  return w.finish();
}

export function decodeMetricsMetadataRequest(buf: Uint8Array): MetricsMetadataRequest {
  const r = new Reader(buf, fail);
  let limit = 0;
  let limitPerMetric = 0;
  let metric = '';
  for (let k = r.key(); k; k = r.key()) {
    const [f, wire] = k;
    if (f === 1 && wire === 0) limit = r.varint();
    else if (f === 2 && wire === 0) limitPerMetric = r.varint();
    else if (f === 3 && wire === 2) metric = r.string();
    else r.skip(wire);
  }
  return { limit, limitPerMetric, metric };
}

export function encodeMetricsMetadataResponse(ms: readonly MetricMetadata[]): Buffer {
  const w = new Writer();
  for (const m of ms) {
    const at = w.begin(1);
    w.uint(1, m.type);
    w.string(2, m.metricFamilyName);
    w.string(4, m.help);
    w.string(5, m.unit);
    w.end(at);
  }
  return w.finish();
}

export function decodeMetricsMetadataResponse(buf: Uint8Array): MetricMetadata[] {
  const r = new Reader(buf, fail);
  const out: MetricMetadata[] = [];
  for (let k = r.key(); k; k = r.key()) {
    if (k[0] !== 1 || k[1] !== 2) {
      r.skip(k[1]);
      continue;
    }
    const m = r.sub();
    let type = 0;
    let metricFamilyName = '';
    let help = '';
    let unit = '';
    for (let j = m.key(); j; j = m.key()) {
      const [f, wire] = j;
      if (f === 1 && wire === 0) type = m.varint();
      else if (f === 2 && wire === 2) metricFamilyName = m.string();
      else if (f === 4 && wire === 2) help = m.string();
      else if (f === 5 && wire === 2) unit = m.string();
      else m.skip(wire);
    }
    out.push({ type, metricFamilyName, help, unit });
  }
  return out;
}

// --- the chunk stream ------------------------------------------------------------------------

/**
 * Batches series into QueryStreamResponse messages: `add` returns a finished message once the
 * batch holds `maxSeries` series or `maxBytes` bytes, `flush` the rest.
 */
export class QueryStreamBatcher {
  private w = new Writer(64 * 1024);
  private n = 0;

  constructor(
    private readonly maxSeries = 128,
    private readonly maxBytes = 1 << 20,
  ) {}

  add(s: StreamedSeries): Buffer | undefined {
    const w = this.w;
    writeChunkSeries(w, 1, s.labels, s.chunks);
    this.n++;
    return this.n >= this.maxSeries || w.length >= this.maxBytes ? this.flush() : undefined;
  }

  /** The pending batch, or undefined when empty. */
  flush(): Buffer | undefined {
    if (this.n === 0) return undefined;
    const out = this.w.finish();
    this.w = new Writer(Math.min(2 * out.length + 1024, this.maxBytes + (64 << 10)));
    this.n = 0;
    return out;
  }
}

export function encodeQueryStreamResponse(series: readonly StreamedSeries[]): Buffer {
  const b = new QueryStreamBatcher(Infinity, Infinity);
  for (const s of series) b.add(s);
  return b.flush() ?? Buffer.alloc(0);
}

export function decodeQueryStreamResponse(buf: Uint8Array): StreamedSeries[] {
  const r = new Reader(buf, fail);
  const out: StreamedSeries[] = [];
  for (let k = r.key(); k; k = r.key()) {
    if (k[0] !== 1 || k[1] !== 2) {
      r.skip(k[1]);
      continue;
    }
    out.push(readChunkSeries(r.sub()));
  }
  return out;
}
