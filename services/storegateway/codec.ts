// Hand-written codecs of the store-gateway's messages (proto/strata/storegateway.proto), over
// libs/protowire like the ingester's; chunk bytes go out and come back as views, never re-encoded.
import type { Matcher } from '../../libs/model/index.ts';
import { Reader, Writer, readChunkSeries, readMatcher, writeChunkSeries, writeMatchers, type Fail } from '../../libs/protowire/index.ts';
import type { StoreSeries } from './bucket_store.ts';

export class StoreGatewayMessageError extends Error {
  readonly code = 'storegateway_message_invalid';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreGatewayMessageError';
  }
}

const fail: Fail = (message, cause) => new StoreGatewayMessageError(message, cause === undefined ? undefined : { cause });

/** Series request: start and end inclusive ms (±Infinity = unbounded). */
export interface SeriesRequestMessage {
  readonly start: number;
  readonly end: number;
  readonly matchers: readonly Matcher[];
  readonly skipChunks?: boolean;
  readonly blockIds?: readonly string[];
}

export interface LabelNamesRequestMessage {
  readonly start: number;
  readonly end: number;
  readonly matchers: readonly Matcher[];
  readonly blockIds?: readonly string[];
}

export interface LabelValuesRequestMessage extends LabelNamesRequestMessage {
  readonly name: string;
}

/** LabelNamesResponse / LabelValuesResponse. */
export interface LabelsResponseMessage {
  readonly values: readonly string[];
  readonly queriedBlocks: readonly string[];
}

export function encodeSeriesRequest(q: SeriesRequestMessage): Buffer {
  const w = new Writer();
  w.int64(1, q.start);
  w.int64(2, q.end);
  writeMatchers(w, 3, q.matchers);
  w.bool(4, q.skipChunks === true);
  for (const id of q.blockIds ?? []) w.string(5, id, true);
  return w.finish();
}

export function decodeSeriesRequest(buf: Uint8Array): SeriesRequestMessage {
  const r = new Reader(buf, fail);
  let start = 0;
  let end = 0;
  let skipChunks = false;
  const matchers: Matcher[] = [];
  const blockIds: string[] = [];
  for (let k = r.key(); k; k = r.key()) {
    const [f, wire] = k;
    if (f === 1 && wire === 0) start = r.int64();
    else if (f === 2 && wire === 0) end = r.int64();
    else if (f === 3 && wire === 2) matchers.push(readMatcher(r.sub()));
    else if (f === 4 && wire === 0) skipChunks = r.varint() !== 0;
    else if (f === 5 && wire === 2) blockIds.push(r.string());
    else r.skip(wire);
  }
  return { start, end, matchers, skipChunks, ...(blockIds.length > 0 ? { blockIds } : {}) };
}

export function encodeLabelNamesRequest(q: LabelNamesRequestMessage): Buffer {
  const w = new Writer();
  w.int64(1, q.start);
  w.int64(2, q.end);
  writeMatchers(w, 3, q.matchers);
  for (const id of q.blockIds ?? []) w.string(4, id, true);
  return w.finish();
}

export function decodeLabelNamesRequest(buf: Uint8Array): LabelNamesRequestMessage {
  const r = new Reader(buf, fail);
  let start = 0;
  let end = 0;
  const matchers: Matcher[] = [];
  const blockIds: string[] = [];
  for (let k = r.key(); k; k = r.key()) {
    const [f, wire] = k;
    if (f === 1 && wire === 0) start = r.int64();
    else if (f === 2 && wire === 0) end = r.int64();
    else if (f === 3 && wire === 2) matchers.push(readMatcher(r.sub()));
    else if (f === 4 && wire === 2) blockIds.push(r.string());
    else r.skip(wire);
  }
  return { start, end, matchers, ...(blockIds.length > 0 ? { blockIds } : {}) };
}

export function encodeLabelValuesRequest(q: LabelValuesRequestMessage): Buffer {
  const w = new Writer();
  w.string(1, q.name);
  w.int64(2, q.start);
  w.int64(3, q.end);
  writeMatchers(w, 4, q.matchers);
  for (const id of q.blockIds ?? []) w.string(5, id, true);
  return w.finish();
}

export function decodeLabelValuesRequest(buf: Uint8Array): LabelValuesRequestMessage {
  const r = new Reader(buf, fail);
  let name = '';
  let start = 0;
  let end = 0;
  const matchers: Matcher[] = [];
  const blockIds: string[] = [];
  for (let k = r.key(); k; k = r.key()) {
    const [f, wire] = k;
    if (f === 1 && wire === 2) name = r.string();
    else if (f === 2 && wire === 0) start = r.int64();
    else if (f === 3 && wire === 0) end = r.int64();
    else if (f === 4 && wire === 2) matchers.push(readMatcher(r.sub()));
    else if (f === 5 && wire === 2) blockIds.push(r.string());
    else r.skip(wire);
  }
  return { name, start, end, matchers, ...(blockIds.length > 0 ? { blockIds } : {}) };
}

export function encodeLabelsResponse(res: LabelsResponseMessage): Buffer {
  const w = new Writer();
  for (const v of res.values) w.string(1, v, true);
  for (const id of res.queriedBlocks) w.string(2, id, true);
  return w.finish();
}

export function decodeLabelsResponse(buf: Uint8Array): LabelsResponseMessage {
  const r = new Reader(buf, fail);
  const values: string[] = [];
  const queriedBlocks: string[] = [];
  for (let k = r.key(); k; k = r.key()) {
    const [f, wire] = k;
    if (f === 1 && wire === 2) values.push(r.string());
    else if (f === 2 && wire === 2) queriedBlocks.push(r.string());
    else r.skip(wire);
  }
  return { values, queriedBlocks };
}

// --- the series stream -----------------------------------------------------------------------

/**
 * Batches series into SeriesResponse messages: `add` returns a finished message once the batch
 * holds `maxSeries` series or `maxBytes` bytes; `finish` the rest with the queried blocks.
 */
export class SeriesBatcher {
  private w = new Writer(64 * 1024);
  private n = 0;

  constructor(
    private readonly maxSeries = 128,
    private readonly maxBytes = 1 << 20,
  ) {}

  add(s: StoreSeries): Buffer | undefined {
    const w = this.w;
    writeChunkSeries(w, 1, s.labels, s.chunks);
    this.n++;
    return this.n >= this.maxSeries || w.length >= this.maxBytes ? this.take() : undefined;
  }

  /** The last message: pending series and the queried blocks. */
  finish(queriedBlocks: readonly string[]): Buffer {
    for (const id of queriedBlocks) this.w.string(2, id, true);
    return this.take();
  }

  private take(): Buffer {
    const out = this.w.finish();
    this.w = new Writer(Math.min(2 * out.length + 1024, this.maxBytes + (64 << 10)));
    this.n = 0;
    return out;
  }
}

export function decodeSeriesResponse(buf: Uint8Array): { series: StoreSeries[]; queriedBlocks: string[] } {
  const r = new Reader(buf, fail);
  const series: StoreSeries[] = [];
  const queriedBlocks: string[] = [];
  for (let k = r.key(); k; k = r.key()) {
    if (k[0] === 2 && k[1] === 2) {
      queriedBlocks.push(r.string());
      continue;
    }
    if (k[0] !== 1 || k[1] !== 2) {
      r.skip(k[1]);
      continue;
    }
    series.push(readChunkSeries(r.sub()));
  }
  return { series, queriedBlocks };
}
