// Public face of libs/kv: the KV store contract used by the hash rings and the HA tracker, its
// memory and NATS JetStream implementations, the JSON codec and the config section.
export type { Codec, KVClient, KVUpdate } from './interface.ts';
export { jsonCodec } from './codec.ts';
export { KVError, KVErrorCode } from './errors.ts';
export { MemoryKV } from './memory.ts';
export type { MemoryKVOptions } from './memory.ts';
export { NatsKV } from './nats.ts';
export type { NatsKVDeps } from './nats.ts';
export { KVStoreKind, kvConfigSchema, natsKVConfigSchema } from './config.ts';
export type { KVConfig, NatsKVConfig } from './config.ts';
export { createKV } from './create.ts';
export type { KVClientService, KVDeps } from './create.ts';
