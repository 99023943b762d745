// The HA tracker (Mimir's): for each tenant and HA cluster (a pair of Prometheus servers scraping
// the same targets), which replica's samples are accepted. The election lives in the KV store so
// that every distributor agrees; each distributor keeps a watched copy and writes only when the
// elected replica's last-seen time is due for a refresh or a fail-over is due.
import { Counter, Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import { createKV, jsonCodec, type Codec, type KVClientService } from '../../libs/kv/index.ts';
import type { Logger } from '../../libs/log/index.ts';
import { nopLogger } from '../../libs/log/index.ts';
import type { DeepReadonly } from '../../libs/services/index.ts';
import { Service } from '../../libs/services/index.ts';
import type { HATrackerConfig } from './config.ts';

/**
 * The elected replica of one cluster: the KV value under `ha-tracker/<tenant>/<cluster>`
 * (JSON; see README.md). Times are unix milliseconds of the distributors' clocks.
 */
export interface ReplicaDesc {
  /** The value of the replica label whose samples are accepted. */
  readonly replica: string;
  /** When a distributor last accepted a request from it (refreshed at most every update timeout). */
  readonly received_at: number;
  /** When it was elected. */
  readonly elected_at: number;
}

const replicaDescSchema = z.object({
  replica: z.string(),
  received_at: z.number(),
  elected_at: z.number(),
});

export const replicaDescCodec: Codec<ReplicaDesc> = jsonCodec((v) => replicaDescSchema.parse(v));

export const HA_KEY_PREFIX = 'ha-tracker/';

/** The KV key of a tenant's cluster. Tenant ids have no "/", so the first one after the prefix splits. */
export function haKey(tenant: string, cluster: string): string {
  return `${HA_KEY_PREFIX}${tenant}/${cluster}`;
}

function parseHAKey(key: string): { tenant: string; cluster: string } | undefined {
  if (!key.startsWith(HA_KEY_PREFIX)) return undefined;
  const rest = key.slice(HA_KEY_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  return { tenant: rest.slice(0, slash), cluster: rest.slice(slash + 1) };
}

export const HACheckKind = {
  /** The request's replica is the elected one: accept it (and drop the replica label). */
  Elected: 'elected',
  /** Another replica is elected: the request is a duplicate (202, samples counted as deduplicated). */
  NotElected: 'not_elected',
  /** A new cluster over the tenant's ha_max_clusters (400). */
  TooManyClusters: 'too_many_clusters',
} as const;

export type HACheck =
  | { readonly kind: typeof HACheckKind.Elected }
  | { readonly kind: typeof HACheckKind.NotElected; readonly elected: string }
  | { readonly kind: typeof HACheckKind.TooManyClusters; readonly limit: number };

const ELECTED: HACheck = { kind: HACheckKind.Elected };

/** Records nobody refreshed for this long belong to clusters that stopped sending: deleted, so they no longer count against ha_max_clusters. */
export const HA_STALE_RECORD_AGE = 30 * 60_000;
const CLEANUP_PERIOD = 10 * 60_000;

export interface HATrackerDeps {
  readonly logger?: Logger;
  /** For kvstore.store "memory": which in-process store (tests give each "process" the same one). */
  readonly memoryStore?: string;
  /** In [0, 1); picks the update timeout's jitter, once per tracker. */
  readonly random?: () => number;
  /** The clock of the periodic cleanup (checks take `now` as an argument). */
  readonly now?: () => number;
}

export class HATracker extends Service {
  /** The update timeout with this tracker's jitter. */
  readonly updateTimeout: number;
  private readonly failoverTimeout: number;
  private readonly kv: KVClientService<ReplicaDesc>;
  private readonly log: Logger;
  private readonly now: () => number;
  /** tenant → cluster → elected replica, as last seen in the store (watched) or written by us. */
  private readonly elected = new Map<string, Map<string, ReplicaDesc>>();
  /** KV round trips in flight per key: requests arriving meanwhile wait and decide on the outcome. */
  private readonly inflight = new Map<string, Promise<unknown>>();
  private watchCtl: AbortController | undefined;
  private watchDone: Promise<void> | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private readonly electedChanges: Counter<'tenant' | 'cluster'>;
  private readonly electedTimestamp: Gauge<'tenant' | 'cluster'>;
  private readonly casCalls: Counter<'tenant' | 'cluster'>;

  constructor(cfg: DeepReadonly<HATrackerConfig>, registry: Registry, deps: HATrackerDeps = {}) {
    super('ha-tracker');
    this.log = deps.logger ?? nopLogger;
    this.now = deps.now ?? Date.now;
    const random = deps.random ?? Math.random;
    this.updateTimeout = cfg.ha_tracker_update_timeout + Math.floor(random() * cfg.ha_tracker_update_timeout_jitter_max);
    this.failoverTimeout = cfg.ha_tracker_failover_timeout;
    this.kv = createKV(cfg.kvstore, replicaDescCodec, { name: 'ha-tracker-kv', logger: this.log, memoryStore: deps.memoryStore });
    this.electedChanges = new Counter({
      name: 'strata_ha_tracker_elected_replica_changes_total',
      help: 'Times the elected replica of an HA cluster changed, as seen by this distributor.',
      labelNames: ['tenant', 'cluster'],
      registers: [registry],
    });
    this.electedTimestamp = new Gauge({
      name: 'strata_ha_tracker_elected_replica_timestamp_seconds',
      help: 'When the elected replica of an HA cluster was last seen, as stored in the KV store.',
      labelNames: ['tenant', 'cluster'],
      registers: [registry],
    });
    this.casCalls = new Counter({
      name: 'strata_ha_tracker_kv_store_cas_total',
      help: 'Compare-and-swap calls of the HA tracker to the KV store.',
      labelNames: ['tenant', 'cluster'],
      registers: [registry],
    });
  }

  protected override async starting(): Promise<void> {
    await this.kv.start();
    const ctl = new AbortController();
    this.watchCtl = ctl;
    this.watchDone = this.watch(ctl.signal);
    this.cleanupTimer = setInterval(() => {
      this.deleteStale(this.now()).catch((err: unknown) => this.log.warn({ err }, 'ha tracker: cleanup of stale replicas failed'));
    }, CLEANUP_PERIOD);
    this.cleanupTimer.unref();
  }

  protected override async stopping(): Promise<void> {
    clearInterval(this.cleanupTimer);
    this.watchCtl?.abort();
    await this.watchDone;
    await this.kv.stop();
  }

  /**
   * Whether `replica` of `cluster` is the one to accept for `tenant` at `now` (ms), electing it
   * when the cluster has no replica yet or the elected one has sent nothing for the fail-over
   * timeout. `maxClusters` (0: no limit) bounds the clusters a tenant may have. Rejects with a
   * KVError when the store cannot be reached and the cached state cannot decide.
   */
  async checkReplica(tenant: string, cluster: string, replica: string, maxClusters: number, now: number): Promise<HACheck> {
    const key = haKey(tenant, cluster);
    for (;;) {
      const local = this.decideLocally(tenant, cluster, replica, maxClusters, now);
      if (local !== undefined) return local;
      const pending = this.inflight.get(key);
      if (pending === undefined) break;
      await pending.catch(() => {});
    }
    const p = this.casReplica(tenant, cluster, replica, now);
    this.inflight.set(key, p);
    try {
      return await p;
    } finally {
      if (this.inflight.get(key) === p) this.inflight.delete(key);
    }
  }

  /** The answer from the cached election, or undefined when the store must be asked. */
  private decideLocally(tenant: string, cluster: string, replica: string, maxClusters: number, now: number): HACheck | undefined {
    const clusters = this.elected.get(tenant);
    const cur = clusters?.get(cluster);
    if (cur === undefined) {
      if (maxClusters > 0 && (clusters?.size ?? 0) >= maxClusters) return { kind: HACheckKind.TooManyClusters, limit: maxClusters };
      return undefined;
    }
    const age = now - cur.received_at;
    if (cur.replica === replica) return age < this.updateTimeout ? ELECTED : undefined;
    // The store's record can only be fresher than ours, so no fail-over can be due before this.
    return age < this.failoverTimeout ? { kind: HACheckKind.NotElected, elected: cur.replica } : undefined;
  }

  private async casReplica(tenant: string, cluster: string, replica: string, now: number): Promise<HACheck> {
    let result: HACheck = ELECTED;
    let seen: ReplicaDesc | null = null;
    let newlyElected = false;
    this.casCalls.inc({ tenant, cluster });
    await this.kv.cas(haKey(tenant, cluster), (cur) => {
      // Runs again on a conflict: each run sets every outcome variable.
      newlyElected = false;
      seen = cur;
      if (cur !== null) {
        const age = now - cur.received_at;
        if (cur.replica === replica && age < this.updateTimeout) {
          result = ELECTED;
          return null;
        }
        if (cur.replica !== replica && age < this.failoverTimeout) {
          result = { kind: HACheckKind.NotElected, elected: cur.replica };
          return null;
        }
      }
      newlyElected = cur === null || cur.replica !== replica;
      const next: ReplicaDesc = { replica, received_at: now, elected_at: newlyElected ? now : cur!.elected_at };
      seen = next;
      result = ELECTED;
      return next;
    });
    if (seen !== null) this.remember(tenant, cluster, seen);
    if (newlyElected) {
      this.electedChanges.inc({ tenant, cluster });
      this.log.info({ tenant, cluster, replica }, 'ha tracker: elected replica');
    }
    return result;
  }

  /** The elected replica of a cluster as this tracker knows it (for status pages and tests). */
  electedReplica(tenant: string, cluster: string): ReplicaDesc | undefined {
    return this.elected.get(tenant)?.get(cluster);
  }

  /** Every elected replica this tracker knows, by tenant and cluster (the status page). */
  electedReplicas(): { tenant: string; cluster: string; desc: ReplicaDesc }[] {
    const out: { tenant: string; cluster: string; desc: ReplicaDesc }[] = [];
    for (const [tenant, clusters] of this.elected) for (const [cluster, desc] of clusters) out.push({ tenant, cluster, desc });
    return out.sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
  }

  /** Milliseconds without samples after which another replica takes over. */
  failoverAfter(): number {
    return this.failoverTimeout;
  }

  /** How many clusters of `tenant` this tracker knows. */
  clusterCount(tenant: string): number {
    return this.elected.get(tenant)?.size ?? 0;
  }

  /**
   * Deletes the records of clusters whose elected replica was not seen for HA_STALE_RECORD_AGE,
   * checked against the store. Deleting one that just came back is harmless: its next request
   * elects a replica again.
   */
  async deleteStale(now: number): Promise<void> {
    for (const [tenant, clusters] of [...this.elected]) {
      for (const [cluster, desc] of [...clusters]) {
        if (now - desc.received_at < HA_STALE_RECORD_AGE) continue;
        const key = haKey(tenant, cluster);
        const stored = await this.kv.get(key);
        if (stored !== null && now - stored.received_at < HA_STALE_RECORD_AGE) {
          this.remember(tenant, cluster, stored);
          continue;
        }
        await this.kv.delete(key);
        this.forget(tenant, cluster);
      }
    }
  }

  private async watch(signal: AbortSignal): Promise<void> {
    try {
      for await (const u of this.kv.watchPrefix(HA_KEY_PREFIX, signal)) {
        const k = parseHAKey(u.key);
        if (k === undefined) continue;
        if (u.value === null) this.forget(k.tenant, k.cluster);
        else this.remember(k.tenant, k.cluster, u.value);
      }
    } catch (err) {
      // Watches survive store outages; an error here is a bug, and a tracker without its watch is stale.
      if (signal.aborted) return;
      this.log.error({ err }, 'ha tracker: the KV watch failed');
      this.fail(err);
    }
  }

  private remember(tenant: string, cluster: string, desc: ReplicaDesc): void {
    let clusters = this.elected.get(tenant);
    if (clusters === undefined) this.elected.set(tenant, (clusters = new Map()));
    clusters.set(cluster, desc);
    this.electedTimestamp.set({ tenant, cluster }, desc.received_at / 1000);
  }

  private forget(tenant: string, cluster: string): void {
    const clusters = this.elected.get(tenant);
    if (clusters?.delete(cluster) !== true) return;
    if (clusters.size === 0) this.elected.delete(tenant);
    this.electedTimestamp.remove({ tenant, cluster });
  }
}
