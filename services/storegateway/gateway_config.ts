// The `store_gateway` config section (Mimir's names): the sharding ring of the store-gateways.
import { z } from 'zod';
import { kvConfigSchema } from '../../libs/kv/index.ts';
import { duration, section } from '../../libs/services/index.ts';

export const storeGatewayConfigSchema = section({
  sharding_ring: section({
    kvstore: kvConfigSchema,
    replication_factor: z.number().int().min(1).default(3).describe('Number of store-gateways each block is loaded by.'),
    heartbeat_period: duration('15s').describe('How often a store-gateway updates its heartbeat in the ring.'),
    heartbeat_timeout: duration('1m').describe('A store-gateway whose heartbeat is older than this is unhealthy.'),
    num_tokens: z.number().int().min(1).default(512).describe('Tokens a store-gateway owns in the ring.'),
    instance_id: z.string().default('').describe('This store-gateway\'s id in the ring; empty means the hostname.'),
    instance_addr: z.string().default('').describe('Address queriers reach this store-gateway at; empty means the first non-loopback IPv4 address.'),
    instance_port: z.number().int().min(0).max(65535).default(0).describe('gRPC port advertised in the ring; 0 means server.grpc_listen_port.'),
  }),
});

export type StoreGatewayConfig = z.output<typeof storeGatewayConfigSchema>;
