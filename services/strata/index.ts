// Public face of the strata executable's package: its config loader and target resolution, for
// tests and tools that check command lines (e.g. docker-compose.yml) without starting a process.
export { configSchema, loadStrataConfig } from './config.ts';
export type { Config } from './config.ts';
export { TARGETS, TargetError, resolveTargets } from './modules.ts';
export type { ClusterFile, ClusterProcess } from './tool/local_cluster.ts';
export { S3RVER_ACCESS_KEY_ID, S3RVER_SECRET_ACCESS_KEY, startS3Server } from './tool/s3server.ts';
export type { S3Server } from './tool/s3server.ts';
