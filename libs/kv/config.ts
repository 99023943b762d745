// The KV store config section, embeddable wherever a ring or the HA tracker needs one (Mimir keeps
// one per ring: `ingester.ring.kvstore`, …). Defaults give the in-process store.
import { z } from 'zod';
import { duration, section } from '../services/index.ts';

export const KVStoreKind = { Memory: 'memory', Nats: 'nats' } as const;
export type KVStoreKind = (typeof KVStoreKind)[keyof typeof KVStoreKind];

export const natsKVConfigSchema = section({
  url: z.string().min(1).default('nats://127.0.0.1:4222').describe('NATS server URL(s), comma-separated.'),
  bucket: z
    .string()
    .regex(/^[-\w]+$/, 'expected letters, digits, "-" and "_" only (a JetStream bucket name)')
    .default('strata')
    .describe('JetStream KV bucket; created on first use.'),
  replicas: z.number().int().min(1).max(5).default(1).describe('Replicas of the bucket when it is created (NATS cluster).'),
  connect_timeout: duration('10s').describe('How long start-up keeps trying to reach NATS and the bucket.'),
  request_timeout: duration('5s').describe('Timeout of one request to NATS.'),
  reconnect_wait: duration('500ms').describe('Wait between reconnect attempts; the client retries for ever.'),
  max_cas_retries: z.number().int().min(1).default(10).describe('Attempts of one compare-and-swap before it gives up on conflicts.'),
});

export const kvConfigSchema = section({
  store: z.enum([KVStoreKind.Memory, KVStoreKind.Nats]).default(KVStoreKind.Memory).describe('KV store backend: memory (one process) or nats (JetStream KV).'),
  nats: natsKVConfigSchema,
});

export type NatsKVConfig = z.output<typeof natsKVConfigSchema>;
export type KVConfig = z.output<typeof kvConfigSchema>;
