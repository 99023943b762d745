// The `ingester` config section (Mimir's names): ring membership and the KV store holding the ring.
import { z } from 'zod';
import { kvConfigSchema } from '../../libs/kv/index.ts';
import { duration, section } from '../../libs/services/index.ts';

export const ingesterConfigSchema = section({
  ring: section({
    kvstore: kvConfigSchema,
    // Mimir's default. A single-process run has one ingester; the ring clamps the replication set to it.
    replication_factor: z.number().int().min(1).default(3).describe('Number of ingesters each series is written to.'),
    heartbeat_period: duration('15s').describe('How often an ingester updates its heartbeat in the ring.'),
    heartbeat_timeout: duration('1m').describe('An ingester whose heartbeat is older than this is unhealthy.'),
    num_tokens: z.number().int().min(1).default(128).describe('Tokens an ingester owns in the ring.'),
    tokens_file_path: z.string().default('').describe('File keeping the ingester\'s tokens across restarts; empty means <storage.dir>/ingester-tokens.json.'),
    instance_id: z.string().default('').describe('This ingester\'s id in the ring; empty means the hostname.'),
    instance_addr: z.string().default('').describe('Address other services reach this ingester at; empty means the first non-loopback IPv4 address.'),
    instance_port: z.number().int().min(0).max(65535).default(0).describe('gRPC port advertised in the ring; 0 means server.grpc_listen_port.'),
    instance_availability_zone: z.string().default('').describe('Availability zone of this ingester.'),
    zone_awareness_enabled: z.boolean().default(false).describe('Spread each series\' replicas over distinct zones.'),
    unregister_on_shutdown: z.boolean().default(true).describe('Leave the ring on shutdown (else stay LEAVING until forgotten or restarted).'),
  }),
  // Senders resend metadata every minute, so it lives in memory only and expires when no longer sent.
  metadata_retain_period: duration('10m').describe('How long an ingester keeps metric metadata not received again.'),
  metadata_purge_period: duration('5m').describe('How often expired metric metadata is removed.'),
});

export type IngesterConfig = z.output<typeof ingesterConfigSchema>;
