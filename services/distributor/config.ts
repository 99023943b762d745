// The `distributor` config section (Mimir's names).
import { z } from 'zod';
import { kvConfigSchema } from '../../libs/kv/index.ts';
import { duration, formatDuration, section } from '../../libs/services/index.ts';

export const haTrackerConfigSchema = section({
  enable_ha_tracker: z.boolean().default(false)
    .describe('Deduplicate samples of HA Prometheus pairs (for tenants with limits.accept_ha_samples), electing one replica per cluster in the KV store.'),
  ha_tracker_update_timeout: duration('15s')
    .describe('How long a distributor accepts the elected replica without updating its last-seen time in the KV store.'),
  ha_tracker_update_timeout_jitter_max: duration('5s')
    .describe('Most random time added to the update timeout (picked once per distributor), so that distributors do not write at once.'),
  ha_tracker_failover_timeout: duration('30s')
    .describe('How long the elected replica may send nothing before another replica of its cluster is elected.'),
  kvstore: kvConfigSchema,
}).superRefine((v, ctx) => {
  // A fail-over sooner than the elected replica's own updates would flap between replicas.
  const min = v.ha_tracker_update_timeout + v.ha_tracker_update_timeout_jitter_max + 1000;
  if (v.ha_tracker_failover_timeout < min) {
    ctx.addIssue({
      code: 'custom',
      path: ['ha_tracker_failover_timeout'],
      message: `must be at least ha_tracker_update_timeout + ha_tracker_update_timeout_jitter_max + 1s (${formatDuration(min)})`,
      input: v.ha_tracker_failover_timeout,
    });
  }
});

export const distributorConfigSchema = section({
  max_recv_msg_size: z.number().int().min(1).default(100 * 1024 * 1024)
    .describe('Largest remote-write request accepted, compressed and decompressed, bytes (413 above).'),
  ha_tracker: haTrackerConfigSchema,
});

export type HATrackerConfig = z.output<typeof haTrackerConfigSchema>;
export type DistributorConfig = z.output<typeof distributorConfigSchema>;
