// The ingesters as one Queryable for a tenant (Mimir's distributor query path): every read goes
// to all healthy ingesters of the ring; replies are merged into one sorted series set in which
// replicated samples appear once and a gap on one replica is filled from another. Up to the
// replication set's maxErrors ingesters may fail; with more the read fails as `unavailable`.

import { compareLabels, compareStrings, type Labels, type Matcher } from '../../libs/model/index.ts';
import { Operation, RingError, type Instance, type ReadRing, type ReplicationSet } from '../../libs/ring/index.ts';
import {
  MergedSeries, type Querier, type Queryable, type QueryOptions, type SelectHints, type Series, type SeriesSet,
} from '../../libs/storage/index.ts';
import { ChunkSeries, type TimedChunk } from '../../libs/tsdb/index.ts';
import { compareMetadata } from '../ingester/index.ts';
import type {
  LabelNamesRequest, LabelValuesRequest, MetricMetadata, MetricsMetadataRequest, QueryRequest, ReadCallOptions, StreamedSeries,
} from '../ingester/index.ts';
import type { MetadataQuerier } from './api.ts';
import { ErrorType, messageOf } from './errors.ts';

/** The read calls of one ingester: an IngesterClient, or the ingester of this process behind the same shape. */
export interface IngesterReader {
  /** Series sorted by labels, each once, with chunks as stored; throws the call's error while iterating. */
  queryStream(tenant: string, req: QueryRequest, opts?: ReadCallOptions): AsyncIterable<StreamedSeries>;
  labelNames(tenant: string, req: LabelNamesRequest, opts?: ReadCallOptions): Promise<string[]>;
  labelValues(tenant: string, req: LabelValuesRequest, opts?: ReadCallOptions): Promise<string[]>;
  /** Metadata by metric family name in byte order, each name's entries together. */
  metricsMetadata(tenant: string, req: MetricsMetadataRequest, opts?: ReadCallOptions): Promise<MetricMetadata[]>;
}

export interface IngesterReaderPool {
  get(instance: Instance): IngesterReader;
}

export interface IngestersQueryableOptions {
  /** The current ring, asked once per read (so each read sees the latest membership). */
  readonly ring: () => ReadRing;
  readonly pool: IngesterReaderPool;
  readonly tenant: string;
  /** Deadline of each call to an ingester; the client's default when unset. */
  readonly timeoutMs?: number;
}

/** Too many ingesters failed (or too few are healthy) to answer a read completely. */
export class IngestersUnavailableError extends Error {
  readonly code = 'ingesters_unavailable';
  /** The query API answers it with Prometheus' errorType `unavailable`. */
  readonly type = ErrorType.Unavailable;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IngestersUnavailableError';
  }
}

interface Failure {
  readonly instance: Instance;
  readonly err: unknown;
}

function tooManyFailures(failures: readonly Failure[], rs: ReplicationSet): IngestersUnavailableError {
  const which = failures.map((f) => `${f.instance.id} (${f.instance.addr}): ${messageOf(f.err)}`).join('; ');
  return new IngestersUnavailableError(
    `failed to query ingesters: ${failures.length} of ${rs.instances.length} failed, at most ${rs.maxErrors} may: ${which}`,
    { cause: failures[0]?.err },
  );
}

function replicationSet(ring: () => ReadRing): ReplicationSet {
  try {
    return ring().getAllHealthy(Operation.Read);
  } catch (err) {
    if (err instanceof RingError) throw new IngestersUnavailableError(`cannot query ingesters: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * `new IngestersQueryable({ ring, pool, tenant })`: what one tenant's queries read from the
 * ingesters. Queriers are cheap; nothing is called before a series set is iterated or a label
 * call is made.
 */
export class IngestersQueryable implements Queryable {
  constructor(private readonly opts: IngestersQueryableOptions) {}

  querier(mint: number, maxt: number): Querier {
    return new IngestersQuerier(this.opts, mint, maxt);
  }
}

class IngestersQuerier implements Querier {
  constructor(
    private readonly o: IngestersQueryableOptions,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  /** Always sorted: the merge needs every reply sorted, and so the result is. */
  select(_sorted: boolean, hints: SelectHints | undefined, matchers: readonly Matcher[], opts?: QueryOptions): SeriesSet {
    const start = Math.max(this.mint, hints?.start ?? -Infinity);
    const end = Math.min(this.maxt, hints?.end ?? Infinity);
    return new IngestersSeriesSet(this.o, { start, end, matchers, seriesOnly: hints?.seriesOnly === true }, opts?.signal);
  }

  async labelNames(matchers: readonly Matcher[], opts?: QueryOptions): Promise<string[]> {
    const req = { start: this.mint, end: this.maxt, matchers };
    return union(await fanOut(this.o, opts?.signal, (r, callOpts) => r.labelNames(this.o.tenant, req, callOpts)));
  }

  async labelValues(name: string, matchers: readonly Matcher[], opts?: QueryOptions): Promise<string[]> {
    const req = { name, start: this.mint, end: this.maxt, matchers };
    return union(await fanOut(this.o, opts?.signal, (r, callOpts) => r.labelValues(this.o.tenant, req, callOpts)));
  }

  close(): void {}
}

/**
 * A tenant's metric metadata from the ingesters: every healthy ingester is asked (each holds the
 * names of its tokens), up to maxErrors may fail, and the replies are merged without duplicates.
 */
export class IngestersMetadata implements MetadataQuerier {
  constructor(private readonly o: IngestersQueryableOptions) {}

  async metricsMetadata(req: MetricsMetadataRequest, opts?: QueryOptions): Promise<MetricMetadata[]> {
    return mergeMetadata(await fanOut(this.o, opts?.signal, (r, callOpts) => r.metricsMetadata(this.o.tenant, req, callOpts)), req);
  }
}

/** The distinct entries of several replies, by name then entry order, within the request's limits. */
export function mergeMetadata(replies: readonly (readonly MetricMetadata[])[], req: MetricsMetadataRequest): MetricMetadata[] {
  const byName = new Map<string, Map<string, MetricMetadata>>();
  for (const reply of replies) {
    for (const m of reply) {
      let entries = byName.get(m.metricFamilyName);
      if (!entries) byName.set(m.metricFamilyName, (entries = new Map()));
      entries.set(`${m.type}\u0000${m.help}\u0000${m.unit}`, m);
    }
  }
  let names = [...byName.keys()].sort(compareStrings);
  if (req.limit > 0 && names.length > req.limit) names = names.slice(0, req.limit);
  const out: MetricMetadata[] = [];
  for (const name of names) {
    const entries = [...byName.get(name)!.values()].sort(compareMetadata);
    out.push(...(req.limitPerMetric > 0 ? entries.slice(0, req.limitPerMetric) : entries));
  }
  return out;
}

function union(lists: readonly string[][]): string[] {
  return [...new Set(lists.flat())].sort(compareStrings);
}

function callOptions(o: IngestersQueryableOptions, signal: AbortSignal): ReadCallOptions {
  return o.timeoutMs === undefined ? { signal } : { signal, timeoutMs: o.timeoutMs };
}

/**
 * Calls every ingester of the read replication set; resolves with the replies once all answered
 * or failed within the tolerance, rejects as soon as failures exceed it (cancelling the rest).
 */
function fanOut<T>(o: IngestersQueryableOptions, signal: AbortSignal | undefined, call: (r: IngesterReader, opts: ReadCallOptions) => Promise<T>): Promise<T[]> {
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  let rs: ReplicationSet;
  try {
    rs = replicationSet(o.ring);
  } catch (err) {
    return Promise.reject(err as Error);
  }
  const ac = new AbortController();
  const callOpts = callOptions(o, signal ? AbortSignal.any([signal, ac.signal]) : ac.signal);
  return new Promise<T[]>((resolve, reject) => {
    const replies: T[] = [];
    const failures: Failure[] = [];
    let pending = rs.instances.length;
    let done = false;
    const settle = (): void => {
      if (done) return;
      if (signal?.aborted) {
        done = true;
        reject(signal.reason as Error);
      } else if (failures.length > rs.maxErrors) {
        done = true;
        ac.abort();
        reject(tooManyFailures(failures, rs));
      } else if (pending === 0) {
        done = true;
        resolve(replies);
      }
    };
    for (const instance of rs.instances) {
      let p: Promise<T>;
      try {
        p = call(o.pool.get(instance), callOpts);
      } catch (err) {
        p = Promise.reject(err as Error);
      }
      p.then(
        (v) => replies.push(v),
        (err: unknown) => failures.push({ instance, err }),
      ).finally(() => {
        pending--;
        settle();
      });
    }
    if (rs.instances.length === 0) settle();
  });
}

/** The merged replies of one QueryStream per ingester, streamed: memory holds one head series per ingester. */
class IngestersSeriesSet implements SeriesSet {
  constructor(
    private readonly o: IngestersQueryableOptions,
    private readonly req: QueryRequest,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<Series> {
    this.signal?.throwIfAborted();
    if (this.req.start > this.req.end) return;
    const rs = replicationSet(this.o.ring);
    const ac = new AbortController();
    const callOpts = callOptions(this.o, this.signal ? AbortSignal.any([this.signal, ac.signal]) : ac.signal);
    const streams = rs.instances.map((instance) => {
      let it: AsyncIterator<StreamedSeries>;
      try {
        it = this.o.pool.get(instance).queryStream(this.o.tenant, this.req, callOpts)[Symbol.asyncIterator]();
      } catch (err) {
        it = { next: () => Promise.reject(err as Error) };
      }
      return { instance, it };
    });
    const failures: Failure[] = [];
    // The next series of stream i; a failed stream counts against maxErrors and then ends.
    const pull = async (i: number): Promise<StreamedSeries | undefined> => {
      const s = streams[i]!;
      try {
        const r = await s.it.next();
        return r.done ? undefined : r.value;
      } catch (err) {
        // A canceled query is not the ingesters' fault.
        this.signal?.throwIfAborted();
        failures.push({ instance: s.instance, err });
        if (failures.length > rs.maxErrors) throw tooManyFailures(failures, rs);
        return undefined;
      }
    };
    try {
      const heads = await Promise.all(streams.map((_, i) => pull(i)));
      for (;;) {
        let min: Labels | undefined;
        for (const h of heads) if (h && (!min || compareLabels(h.labels, min) < 0)) min = h.labels;
        if (!min) return;
        const replicas: StreamedSeries[] = [];
        const refill: number[] = [];
        for (let i = 0; i < heads.length; i++) {
          const h = heads[i];
          if (h && compareLabels(h.labels, min) === 0) {
            replicas.push(h);
            refill.push(i);
          }
        }
        const next = await Promise.all(refill.map(pull));
        refill.forEach((i, k) => (heads[i] = next[k]));
        yield replicatedSeries(min, replicas, this.req.start, this.req.end);
      }
    } finally {
      // Cancels the calls still open: the consumer stopped early, or the read failed.
      ac.abort();
      for (const s of streams) s.it.return?.().catch(() => undefined);
    }
  }

  warnings(): readonly string[] {
    return [];
  }
}

function sameChunk(a: TimedChunk, b: TimedChunk): boolean {
  if (a.minTime !== b.minTime || a.maxTime !== b.maxTime || a.chunk.encoding !== b.chunk.encoding) return false;
  const x = a.chunk.bytes();
  const y = b.chunk.bytes();
  return x.length === y.length && Buffer.from(x.buffer, x.byteOffset, x.length).equals(y);
}

/**
 * One series from its replicas' chunks, read within [mint, maxt]. Identical chunks (the usual
 * case: replicas cut the same chunks from the same samples) are decoded once; chunks that still
 * overlap go to separate lanes whose samples are merged by timestamp (MergedSeries), which
 * drops equal timestamps and fills one replica's gaps from another.
 */
export function replicatedSeries(labels: Labels, replicas: readonly StreamedSeries[], mint: number, maxt: number): Series {
  const all = replicas.flatMap((r) => r.chunks).sort((a, b) => a.minTime - b.minTime || a.maxTime - b.maxTime);
  const lanes: TimedChunk[][] = [];
  for (const c of all) {
    let placed = false;
    for (const lane of lanes) {
      const last = lane[lane.length - 1]!;
      // Sorted by minTime, an identical chunk is still the last of its lane when its copy comes.
      if (sameChunk(last, c)) {
        placed = true;
        break;
      }
      if (last.maxTime < c.minTime) {
        lane.push(c);
        placed = true;
        break;
      }
    }
    if (!placed) lanes.push([c]);
  }
  if (lanes.length <= 1) return new ChunkSeries(labels, lanes[0] ?? [], mint, maxt);
  return new MergedSeries(labels, lanes.map((l) => new ChunkSeries(labels, l, mint, maxt)));
}
