// The ingester's gRPC service (proto/strata/ingester.proto) and its client. Push carries the
// WriteRequest bytes untouched in both directions: the distributor forwards series' original
// bytes, the ingester decodes them with the same hand-written decoder as the HTTP receiver.
import { GrpcStatusError, grpc, toServiceError } from '../../libs/server/index.ts';
import { RemoteWriteError, WriteRequestDecoder } from '../../libs/remotewrite/index.ts';
import { ORG_ID_HEADER, TenantError, tenantOfRequest } from '../../libs/tenant/index.ts';
import { decodePushResponse, encodePushResponse } from './grpc_codec.ts';
import type { Ingester, PushResult } from './ingester.ts';

const raw = (b: Buffer): Buffer => b;

export const INGESTER_SERVICE: grpc.ServiceDefinition = {
  Push: {
    path: '/strata.ingester.v1.Ingester/Push',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Uint8Array) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
    requestDeserialize: raw,
    responseSerialize: encodePushResponse,
    responseDeserialize: decodePushResponse,
  },
};

/** The gRPC handlers over an ingester. Decoders are pooled: one per push in flight. */
export function ingesterGrpcService(ingester: Ingester): grpc.UntypedServiceImplementation {
  const free: WriteRequestDecoder[] = [];
  return {
    Push: (call: grpc.ServerUnaryCall<Buffer, PushResult>, cb: grpc.sendUnaryData<PushResult>) => {
      let tenant: string;
      try {
        const values = call.metadata.get(ORG_ID_HEADER).map(String);
        tenant = tenantOfRequest(values.length > 0 ? values : undefined, true);
      } catch (err) {
        const code = err instanceof TenantError && err.status === 401 ? grpc.status.UNAUTHENTICATED : grpc.status.INVALID_ARGUMENT;
        cb(toServiceError(new GrpcStatusError(code, (err as Error).message)));
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

/** A connection to one ingester. */
export class IngesterClient {
  private readonly client: grpc.Client & { Push: PushMethod };

  constructor(readonly addr: string) {
    const Ctor = grpc.makeGenericClientConstructor(INGESTER_SERVICE, 'Ingester');
    this.client = new Ctor(addr, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    }) as unknown as grpc.Client & { Push: PushMethod };
  }

  /** Sends a WriteRequest (protobuf, not compressed) for `tenant`; rejects with the gRPC error. */
  push(tenant: string, writeRequest: Uint8Array, timeoutMs = 10_000): Promise<PushResult> {
    const md = new grpc.Metadata();
    md.set(ORG_ID_HEADER, tenant);
    return new Promise((resolve, reject) => {
      this.client.Push(writeRequest, md, { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(err);
        else resolve(res!);
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
