// The ingester's gRPC service (proto/strata/ingester.proto) and its client. Push carries the
// WriteRequest bytes untouched in both directions: the distributor forwards series' original
// bytes, the ingester decodes them with the same hand-written decoder as the HTTP receiver. The
// read calls serve queriers: QueryStream sends chunks as stored, in batches, with backpressure.
import { GrpcStatusError, grpc, toServiceError, writeWithBackpressure } from '../../libs/server/index.ts';
import { RemoteWriteError, WriteRequestDecoder } from '../../libs/remotewrite/index.ts';
import { ORG_ID_HEADER, TenantError, tenantOfRequest } from '../../libs/tenant/index.ts';
import { decodePushResponse, encodePushResponse } from './grpc_codec.ts';
import type { Ingester, PushResult } from './ingester.ts';
import {
  IngesterMessageError, QueryStreamBatcher, decodeLabelNamesRequest, decodeLabelValuesRequest, decodeMetricsMetadataRequest,
  decodeMetricsMetadataResponse, decodeQueryRequest, decodeQueryStreamResponse, decodeStrings, encodeLabelNamesRequest,
  encodeLabelValuesRequest, encodeMetricsMetadataRequest, encodeMetricsMetadataResponse, encodeQueryRequest, encodeStrings,
  type LabelNamesRequest, type LabelValuesRequest, type MetricMetadata, type MetricsMetadataRequest, type QueryRequest,
  type StreamedSeries,
} from './query_codec.ts';

const raw = (b: Buffer): Buffer => b;
const bytesOut = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function method(name: string, responseStream: boolean, responseDeserialize: (b: Buffer) => unknown = raw): grpc.MethodDefinition<unknown, unknown> {
  return {
    path: `/strata.ingester.v1.Ingester/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: bytesOut,
    requestDeserialize: raw,
    responseSerialize: bytesOut,
    responseDeserialize,
  } as grpc.MethodDefinition<unknown, unknown>;
}

// Messages cross as bytes; the hand-written codecs run in the handlers and client methods, so a
// malformed request becomes INVALID_ARGUMENT rather than a serialization failure.
export const INGESTER_SERVICE: grpc.ServiceDefinition = {
  Push: { ...method('Push', false), responseSerialize: encodePushResponse, responseDeserialize: decodePushResponse },
  QueryStream: method('QueryStream', true),
  LabelNames: method('LabelNames', false),
  LabelValues: method('LabelValues', false),
  MetricsMetadata: method('MetricsMetadata', false),
};

/** The tenant of a call, from its x-scope-orgid metadata; throws a GrpcStatusError. */
function tenantOf(md: grpc.Metadata): string {
  try {
    const values = md.get(ORG_ID_HEADER).map(String);
    return tenantOfRequest(values.length > 0 ? values : undefined, true);
  } catch (err) {
    const code = err instanceof TenantError && err.status === 401 ? grpc.status.UNAUTHENTICATED : grpc.status.INVALID_ARGUMENT;
    throw new GrpcStatusError(code, (err as Error).message);
  }
}

function invalidArgument(err: unknown): unknown {
  return err instanceof IngesterMessageError ? new GrpcStatusError(grpc.status.INVALID_ARGUMENT, err.message, { cause: err }) : err;
}

/** Batches per QueryStream message (Mimir's default is 128 series). */
export interface QueryStreamLimits {
  readonly maxSeriesPerMessage: number;
  readonly maxBytesPerMessage: number;
}

const DEFAULT_STREAM_LIMITS: QueryStreamLimits = { maxSeriesPerMessage: 128, maxBytesPerMessage: 1 << 20 };

/** Writes series in batches, waiting for the client whenever grpc-js' buffer is full; stops when cancelled. */
async function streamSeries(call: grpc.ServerWritableStream<Buffer, Buffer>, series: AsyncIterable<StreamedSeries>, limits: QueryStreamLimits): Promise<void> {
  const batcher = new QueryStreamBatcher(limits.maxSeriesPerMessage, limits.maxBytesPerMessage);
  const send = (msg: Buffer | undefined): Promise<void> => writeWithBackpressure(call, msg);
  for await (const s of series) {
    if (call.cancelled) return;
    await send(batcher.add(s));
  }
  if (!call.cancelled) await send(batcher.flush());
}

/** The gRPC handlers over an ingester. Decoders are pooled: one per push in flight. */
export function ingesterGrpcService(ingester: Ingester, limits: QueryStreamLimits = DEFAULT_STREAM_LIMITS): grpc.UntypedServiceImplementation {
  const free: WriteRequestDecoder[] = [];
  /** A unary read call: tenant and request decoded, `run` answers with the response bytes. */
  const unary =
    <R>(decode: (b: Buffer) => R, run: (tenant: string, req: R) => Promise<Buffer>) =>
    (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>): void => {
      let tenant: string;
      let req: R;
      try {
        tenant = tenantOf(call.metadata);
        req = decode(call.request);
      } catch (err) {
        cb(toServiceError(invalidArgument(err)));
        return;
      }
      run(tenant, req).then(
        (res) => cb(null, res),
        (err: unknown) => cb(toServiceError(err)),
      );
    };
  return {
    QueryStream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      let tenant: string;
      let req: QueryRequest;
      try {
        tenant = tenantOf(call.metadata);
        req = decodeQueryRequest(call.request);
      } catch (err) {
        call.emit('error', toServiceError(invalidArgument(err)));
        return;
      }
      streamSeries(call, ingester.selectChunks(tenant, req.start, req.end, req.matchers, req.seriesOnly), limits).then(
        () => call.end(),
        (err: unknown) => call.emit('error', toServiceError(err)),
      );
    },
    LabelNames: unary(decodeLabelNamesRequest, async (tenant, req) => {
      const q = ingester.queryable(tenant).querier(req.start, req.end);
      try {
        return encodeStrings(await q.labelNames(req.matchers));
      } finally {
        q.close();
      }
    }),
    LabelValues: unary(decodeLabelValuesRequest, async (tenant, req) => {
      const q = ingester.queryable(tenant).querier(req.start, req.end);
      try {
        return encodeStrings(await q.labelValues(req.name, req.matchers));
      } finally {
        q.close();
      }
    }),
    MetricsMetadata: unary(decodeMetricsMetadataRequest, async (tenant, req) => encodeMetricsMetadataResponse(ingester.metadata.list(tenant, req))),
    Push: (call: grpc.ServerUnaryCall<Buffer, PushResult>, cb: grpc.sendUnaryData<PushResult>) => {
      let tenant: string;
      try {
        tenant = tenantOf(call.metadata);
      } catch (err) {
        cb(toServiceError(err));
        return;
      }
      const decoder = free.pop() ?? new WriteRequestDecoder();
      let req;
      try {
        req = decoder.decode(call.request);
      } catch (err) {
        free.push(decoder);
        if (err instanceof RemoteWriteError) cb(toServiceError(new GrpcStatusError(grpc.status.INVALID_ARGUMENT, err.message)));
        else cb(toServiceError(err));
        return;
      }
      ingester.push(tenant, req).then(
        (res) => cb(null, res),
        (err: unknown) => cb(toServiceError(err)),
      ).finally(() => {
        if (free.length < 16) free.push(decoder);
      });
    },
  };
}

type PushMethod = (req: Uint8Array, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: PushResult) => void) => void;
type UnaryMethod = (req: Uint8Array, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Buffer) => void) => grpc.ClientUnaryCall;
type StreamMethod = (req: Uint8Array, md: grpc.Metadata, opts: grpc.CallOptions) => grpc.ClientReadableStream<Buffer>;

/** Per-call options of the read methods. */
export interface ReadCallOptions {
  /** Deadline from now (default DEFAULT_READ_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** Aborting cancels the call; the method then rejects (or the stream throws) with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** The querier's default query timeout: a read call never outlives the query it serves. */
export const DEFAULT_READ_TIMEOUT_MS = 120_000;

/** A connection to one ingester. */
export class IngesterClient {
  private readonly client: grpc.Client & {
    Push: PushMethod;
    QueryStream: StreamMethod;
    LabelNames: UnaryMethod;
    LabelValues: UnaryMethod;
    MetricsMetadata: UnaryMethod;
  };

  constructor(readonly addr: string) {
    const Ctor = grpc.makeGenericClientConstructor(INGESTER_SERVICE, 'Ingester');
    this.client = new Ctor(addr, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      // A restarted ingester gets traffic again within seconds (grpc-js would wait up to 2 minutes).
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 5_000,
    }) as unknown as IngesterClient['client'];
  }

  private static metadata(tenant: string): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set(ORG_ID_HEADER, tenant);
    return md;
  }

  /** Sends a WriteRequest (protobuf, not compressed) for `tenant`; rejects with the gRPC error. */
  push(tenant: string, writeRequest: Uint8Array, timeoutMs = 10_000): Promise<PushResult> {
    return new Promise((resolve, reject) => {
      this.client.Push(writeRequest, IngesterClient.metadata(tenant), { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(err);
        else resolve(res!);
      });
    });
  }

  /**
   * The tenant's series matching the request, sorted by labels, with their chunks as stored.
   * The call starts on the first `next()`; leaving the loop early cancels it. Errors are the
   * gRPC error, or the signal's reason once aborted.
   */
  async *queryStream(tenant: string, req: QueryRequest, opts: ReadCallOptions = {}): AsyncGenerator<StreamedSeries> {
    const { signal } = opts;
    signal?.throwIfAborted();
    const call = this.client.QueryStream(encodeQueryRequest(req), IngesterClient.metadata(tenant), { deadline: Date.now() + (opts.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS) });
    const cancel = (): void => call.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      for await (const msg of call as AsyncIterable<Buffer>) yield* decodeQueryStreamResponse(msg);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw err;
    } finally {
      signal?.removeEventListener('abort', cancel);
      // Ends the call when the consumer stopped early; a no-op after the status arrived.
      call.cancel();
    }
  }

  /** Sorted label names of the tenant's series matching the matchers in [start, end]. */
  async labelNames(tenant: string, req: LabelNamesRequest, opts: ReadCallOptions = {}): Promise<string[]> {
    return decodeStrings(await this.unary(this.client.LabelNames, encodeLabelNamesRequest(req), tenant, opts));
  }

  /** Sorted values of `req.name` among the tenant's series matching the matchers in [start, end]. */
  async labelValues(tenant: string, req: LabelValuesRequest, opts: ReadCallOptions = {}): Promise<string[]> {
    return decodeStrings(await this.unary(this.client.LabelValues, encodeLabelValuesRequest(req), tenant, opts));
  }

  /** The tenant's metric metadata, by metric family name in byte order. */
  async metricsMetadata(tenant: string, req: MetricsMetadataRequest, opts: ReadCallOptions = {}): Promise<MetricMetadata[]> {
    return decodeMetricsMetadataResponse(await this.unary(this.client.MetricsMetadata, encodeMetricsMetadataRequest(req), tenant, opts));
  }

  private unary(m: UnaryMethod, req: Uint8Array, tenant: string, opts: ReadCallOptions): Promise<Buffer> {
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise((resolve, reject) => {
      const cancel = (): void => call.cancel();
      const call = m.call(this.client, req, IngesterClient.metadata(tenant), { deadline: Date.now() + (opts.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS) }, (err, res) => {
        signal?.removeEventListener('abort', cancel);
        if (err) reject(signal?.aborted ? (signal.reason as Error) : err);
        else resolve(res!);
      });
      signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  close(): void {
    this.client.close();
  }
}
