// The ingester ring as the ingester's config describes it: the KV key every process uses, how a
// ReadRing judges instances, and this ingester's own entry (Mimir's ingester.ring.* settings).
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { LifecyclerConfig, RingOptions } from '../../libs/ring/index.ts';
import type { DeepReadonly } from '../../libs/services/index.ts';
import type { IngesterConfig } from './config.ts';

/** KV key of the ingester ring document (Mimir keeps it under "collectors/ring" too). */
export const INGESTER_RING_KEY = 'collectors/ring';

type RingConfig = DeepReadonly<IngesterConfig['ring']>;

export function ingesterRingOptions(cfg: RingConfig): RingOptions {
  return { replicationFactor: cfg.replication_factor, heartbeatTimeout: cfg.heartbeat_timeout, zoneAwareness: cfg.zone_awareness_enabled };
}

/** This ingester's id: the configured one, or the hostname (as Mimir). */
export function ingesterInstanceId(cfg: RingConfig): string {
  return cfg.instance_id || hostname();
}

/** The first non-internal IPv4 address of this machine, else 127.0.0.1. */
export function defaultInstanceAddr(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export function ingesterLifecyclerConfig(cfg: RingConfig, grpcPort: number, storageDir: string): LifecyclerConfig {
  const host = cfg.instance_addr || defaultInstanceAddr();
  const port = cfg.instance_port || grpcPort;
  return {
    key: INGESTER_RING_KEY,
    instanceId: ingesterInstanceId(cfg),
    addr: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    zone: cfg.instance_availability_zone,
    numTokens: cfg.num_tokens,
    heartbeatPeriod: cfg.heartbeat_period,
    tokensFile: cfg.tokens_file_path || join(storageDir, 'ingester-tokens.json'),
    unregisterOnShutdown: cfg.unregister_on_shutdown,
  };
}
