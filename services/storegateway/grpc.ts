// The store-gateway's gRPC service (proto/strata/storegateway.proto) and its client. Series
// streams a tenant's series with raw chunks in batches, with backpressure, and ends with the ids
// of the blocks it read; a limit error is RESOURCE_EXHAUSTED, a bad request INVALID_ARGUMENT.
import { GrpcStatusError, grpc, toServiceError, writeWithBackpressure } from '../../libs/server/index.ts';
import { ORG_ID_HEADER, TenantError, tenantOfRequest } from '../../libs/tenant/index.ts';
import type { BucketStore, StoreSeries } from './bucket_store.ts';
import {
  SeriesBatcher, StoreGatewayMessageError, decodeLabelNamesRequest, decodeLabelValuesRequest, decodeLabelsResponse, decodeSeriesRequest,
  decodeSeriesResponse, encodeLabelNamesRequest, encodeLabelValuesRequest, encodeLabelsResponse, encodeSeriesRequest,
  type LabelNamesRequestMessage, type LabelValuesRequestMessage, type LabelsResponseMessage, type SeriesRequestMessage,
} from './codec.ts';
import { QueryLimitError } from './limits.ts';

const raw = (b: Buffer): Buffer => b;
const bytesOut = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function method(name: string, responseStream: boolean): grpc.MethodDefinition<unknown, unknown> {
  return {
    path: `/strata.storegateway.v1.StoreGateway/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: bytesOut,
    requestDeserialize: raw,
    responseSerialize: bytesOut,
    responseDeserialize: raw,
  } as grpc.MethodDefinition<unknown, unknown>;
}

// Messages cross as bytes; the codecs run in handlers and client methods.
export const STORE_GATEWAY_SERVICE: grpc.ServiceDefinition = {
  Series: method('Series', true),
  LabelNames: method('LabelNames', false),
  LabelValues: method('LabelValues', false),
};

/** Batching of Series messages (as the ingester's QueryStream). */
export interface SeriesStreamLimits {
  readonly maxSeriesPerMessage: number;
  readonly maxBytesPerMessage: number;
}

const DEFAULT_STREAM_LIMITS: SeriesStreamLimits = { maxSeriesPerMessage: 128, maxBytesPerMessage: 1 << 20 };

/** The BucketStore of a tenant, or undefined when this store-gateway has none for it (answers are then empty). */
export type BucketStores = (tenant: string) => BucketStore | undefined;

function tenantOf(md: grpc.Metadata): string {
  try {
    const values = md.get(ORG_ID_HEADER).map(String);
    return tenantOfRequest(values.length > 0 ? values : undefined, true);
  } catch (err) {
    const code = err instanceof TenantError && err.status === 401 ? grpc.status.UNAUTHENTICATED : grpc.status.INVALID_ARGUMENT;
    throw new GrpcStatusError(code, (err as Error).message);
  }
}

/** The one place errors of this service become gRPC statuses. */
function statusOf(err: unknown): grpc.ServiceError {
  if (err instanceof StoreGatewayMessageError) return toServiceError(new GrpcStatusError(grpc.status.INVALID_ARGUMENT, err.message, { cause: err }));
  if (err instanceof QueryLimitError) return toServiceError(new GrpcStatusError(grpc.status.RESOURCE_EXHAUSTED, err.message, { cause: err }));
  return toServiceError(err);
}

async function streamSeries(call: grpc.ServerWritableStream<Buffer, Buffer>, series: AsyncIterable<StoreSeries>, queriedBlocks: readonly string[], limits: SeriesStreamLimits, signal: AbortSignal): Promise<void> {
  const batcher = new SeriesBatcher(limits.maxSeriesPerMessage, limits.maxBytesPerMessage);
  const send = (msg: Buffer | undefined): Promise<void> => writeWithBackpressure(call, msg);
  for await (const s of series) {
    if (signal.aborted) return;
    await send(batcher.add(s));
  }
  if (!signal.aborted) await send(batcher.finish(queriedBlocks));
}

/** The gRPC handlers over the tenants' bucket stores. */
export function storeGatewayGrpcService(stores: BucketStores, limits: SeriesStreamLimits = DEFAULT_STREAM_LIMITS): grpc.UntypedServiceImplementation {
  const unary =
    <R>(decode: (b: Buffer) => R, run: (store: BucketStore | undefined, req: R) => Promise<LabelsResponseMessage>) =>
    (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>): void => {
      let store: BucketStore | undefined;
      let req: R;
      try {
        store = stores(tenantOf(call.metadata));
        req = decode(call.request);
      } catch (err) {
        cb(statusOf(err));
        return;
      }
      run(store, req).then(
        (res) => cb(null, encodeLabelsResponse(res)),
        (err: unknown) => cb(statusOf(err)),
      );
    };
  return {
    Series: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      let store: BucketStore | undefined;
      let req: SeriesRequestMessage;
      try {
        store = stores(tenantOf(call.metadata));
        req = decodeSeriesRequest(call.request);
      } catch (err) {
        call.emit('error', statusOf(err));
        return;
      }
      const ac = new AbortController();
      call.on('cancelled', () => ac.abort(new Error('cancelled by the client')));
      const res = store?.series(req, { signal: ac.signal }) ?? { queriedBlocks: [], series: (async function* () {})() };
      streamSeries(call, res.series, res.queriedBlocks, limits, ac.signal).then(
        () => call.end(),
        (err: unknown) => {
          if (!ac.signal.aborted) call.emit('error', statusOf(err));
        },
      );
    },
    LabelNames: unary(decodeLabelNamesRequest, async (store, req) => store?.labelNames(req) ?? { values: [], queriedBlocks: [] }),
    LabelValues: unary(decodeLabelValuesRequest, async (store, req) => store?.labelValues(req) ?? { values: [], queriedBlocks: [] }),
  };
}

type UnaryMethod = (req: Uint8Array, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Buffer) => void) => grpc.ClientUnaryCall;
type StreamMethod = (req: Uint8Array, md: grpc.Metadata, opts: grpc.CallOptions) => grpc.ClientReadableStream<Buffer>;

export interface StoreGatewayCallOptions {
  /** Deadline from now (default DEFAULT_STORE_GATEWAY_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** Aborting cancels the call; it then rejects (or the stream throws) with the signal's reason. */
  readonly signal?: AbortSignal;
}

export const DEFAULT_STORE_GATEWAY_TIMEOUT_MS = 120_000;

/** A Series call's answer: iterate it once; `queriedBlocks()` is complete once iteration ended without error. */
export interface ClientSeriesStream extends AsyncIterable<StoreSeries> {
  queriedBlocks(): readonly string[];
}

/** A connection to one store-gateway. */
export class StoreGatewayClient {
  private readonly client: grpc.Client & { Series: StreamMethod; LabelNames: UnaryMethod; LabelValues: UnaryMethod };

  constructor(readonly addr: string) {
    const Ctor = grpc.makeGenericClientConstructor(STORE_GATEWAY_SERVICE, 'StoreGateway');
    this.client = new Ctor(addr, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 5_000,
    }) as unknown as StoreGatewayClient['client'];
  }

  private static metadata(tenant: string): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set(ORG_ID_HEADER, tenant);
    return md;
  }

  /**
   * The tenant's series matching the request, sorted by labels, with chunks as stored. The call
   * starts when iteration does; leaving the loop early cancels it.
   */
  series(tenant: string, req: SeriesRequestMessage, opts: StoreGatewayCallOptions = {}): ClientSeriesStream {
    const blocks: string[] = [];
    const client = this.client;
    return {
      queriedBlocks: () => blocks,
      async *[Symbol.asyncIterator]() {
        const { signal } = opts;
        signal?.throwIfAborted();
        const call = client.Series(encodeSeriesRequest(req), StoreGatewayClient.metadata(tenant), { deadline: Date.now() + (opts.timeoutMs ?? DEFAULT_STORE_GATEWAY_TIMEOUT_MS) });
        const cancel = (): void => call.cancel();
        signal?.addEventListener('abort', cancel, { once: true });
        try {
          for await (const msg of call as AsyncIterable<Buffer>) {
            const { series, queriedBlocks } = decodeSeriesResponse(msg);
            blocks.push(...queriedBlocks);
            yield* series;
          }
        } catch (err) {
          if (signal?.aborted) throw signal.reason;
          throw err;
        } finally {
          signal?.removeEventListener('abort', cancel);
          call.cancel();
        }
      },
    };
  }

  labelNames(tenant: string, req: LabelNamesRequestMessage, opts: StoreGatewayCallOptions = {}): Promise<LabelsResponseMessage> {
    return this.unary(this.client.LabelNames, encodeLabelNamesRequest(req), tenant, opts);
  }

  labelValues(tenant: string, req: LabelValuesRequestMessage, opts: StoreGatewayCallOptions = {}): Promise<LabelsResponseMessage> {
    return this.unary(this.client.LabelValues, encodeLabelValuesRequest(req), tenant, opts);
  }

  private async unary(m: UnaryMethod, req: Uint8Array, tenant: string, opts: StoreGatewayCallOptions): Promise<LabelsResponseMessage> {
    const { signal } = opts;
    signal?.throwIfAborted();
    const res = await new Promise<Buffer>((resolve, reject) => {
      const cancel = (): void => call.cancel();
      const call = m.call(this.client, req, StoreGatewayClient.metadata(tenant), { deadline: Date.now() + (opts.timeoutMs ?? DEFAULT_STORE_GATEWAY_TIMEOUT_MS) }, (err, r) => {
        signal?.removeEventListener('abort', cancel);
        if (err) reject(signal?.aborted ? (signal.reason as Error) : err);
        else resolve(r!);
      });
      signal?.addEventListener('abort', cancel, { once: true });
    });
    return decodeLabelsResponse(res);
  }

  close(): void {
    this.client.close();
  }
}
