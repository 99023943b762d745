// The gRPC half of the server (@grpc/grpc-js): services that modules register before start,
// status mapping for errors, and a graceful stop that gives in-flight calls a bounded time.
import * as grpc from '@grpc/grpc-js';

export { grpc };

/** An error with a gRPC status: what handlers throw (or pass to callbacks) to choose the code. */
export class GrpcStatusError extends Error implements Partial<grpc.StatusObject> {
  constructor(
    readonly code: grpc.status,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GrpcStatusError';
  }

  /** grpc-js reads `details` for the status message. */
  get details(): string {
    return this.message;
  }
}

/** The status of any error a handler ends with: its own code if it carries one, else INTERNAL. */
export function toServiceError(err: unknown): grpc.ServiceError {
  if (err instanceof GrpcStatusError) return Object.assign(err, { metadata: new grpc.Metadata() });
  const e = err instanceof Error ? err : new Error(String(err));
  return Object.assign(e, { code: grpc.status.INTERNAL, details: e.message, metadata: new grpc.Metadata() });
}

export interface RegisteredService {
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
}

/** Starts a grpc-js server on address:port; resolves with the bound port. */
export function bindGrpc(server: grpc.Server, address: string, port: number): Promise<number> {
  // IPv6 literals need brackets in a gRPC target.
  const host = address.includes(':') ? `[${address}]` : address;
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) reject(new Error(`gRPC server cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
      else resolve(bound);
    });
  });
}

/** Stops accepting calls and waits up to `graceMs` for running ones, then cancels what is left. */
export function shutdownGrpc(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Writes one message of a server stream; when grpc-js' buffer is full, resolves once the client
 * has drained it (or cancelled), so a slow client slows the sender instead of growing memory.
 */
export async function writeWithBackpressure(call: grpc.ServerWritableStream<unknown, Buffer>, msg: Buffer | undefined): Promise<void> {
  if (msg === undefined || call.write(msg)) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
  });
}
