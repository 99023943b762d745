// Public face of libs/server: the HTTP + gRPC server service, its config section and the metrics registry.
export { Server, errorBody } from './server.ts';
export type { ServerDeps, ListenAddress } from './server.ts';
export { serverConfigSchema } from './config.ts';
export type { ServerConfig } from './config.ts';
export { createMetricsRegistry } from './metrics.ts';
export { GrpcStatusError, grpc, toServiceError, writeWithBackpressure } from './grpc.ts';
export type { RegisteredService } from './grpc.ts';
export type { BuildInfo } from './metrics.ts';
export { escapeHTML, htmlTablePage } from './html.ts';
