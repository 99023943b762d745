// Metric metadata (TYPE, HELP, UNIT) per tenant, in memory (Mimir's userMetricsMetadata): for each
// metric family name the distinct entries received, each with the last time it was received.
// Senders resend metadata every minute, so nothing is persisted and entries expire.
import { compareStrings } from '../../libs/model/index.ts';
import type { Overrides } from '../../libs/tenant/index.ts';
import type { MetricMetadata, MetricsMetadataRequest } from './query_codec.ts';
import { localSeriesLimit, type RingShare } from './tsdbs.ts';

/** Why a metadata entry was not stored (the `reason` label of discarded-metadata counters). */
export const MetadataDiscardReason = {
  PerUserLimit: 'per_user_metadata_limit',
  PerMetricLimit: 'per_metric_metadata_limit',
} as const;
export type MetadataDiscardReason = (typeof MetadataDiscardReason)[keyof typeof MetadataDiscardReason];

interface Entry {
  readonly md: MetricMetadata;
  lastSeen: number;
}

const SINGLE: RingShare = { ingesters: () => 1, replicationFactor: () => 1 };

const entryKey = (md: MetricMetadata): string => `${md.type}\u0000${md.help}\u0000${md.unit}`;

export class MetricMetadataStore {
  /** tenant → metric family name → entry key → entry. */
  private readonly tenants = new Map<string, Map<string, Map<string, Entry>>>();
  /** Refused entries since start, by tenant and reason (for metrics). */
  readonly discarded = new Map<string, Map<MetadataDiscardReason, number>>();

  constructor(
    private readonly overrides: Overrides,
    private readonly ring: RingShare = SINGLE,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Stores one entry (an empty family name is ignored), or refreshes its last-seen time. Returns
   * why it was refused, if it was: the tenant's limits only bound new metric names and new entries.
   */
  add(tenant: string, md: MetricMetadata): MetadataDiscardReason | undefined {
    if (md.metricFamilyName === '') return undefined;
    let families = this.tenants.get(tenant);
    const limits = this.overrides.forTenant(tenant);
    let entries = families?.get(md.metricFamilyName);
    const key = entryKey(md);
    const known = entries?.get(key);
    if (known) {
      known.lastSeen = this.now();
      return undefined;
    }
    if (!entries) {
      // Metric names are spread over the ring like series: this ingester holds its share of them.
      const perUser = localSeriesLimit(limits.max_global_metadata_per_user, this.ring);
      if (perUser > 0 && (families?.size ?? 0) >= perUser) return this.refuse(tenant, MetadataDiscardReason.PerUserLimit);
    } else {
      // A metric name's entries all live on the same ingesters: the global limit applies as is.
      const perMetric = limits.max_global_metadata_per_metric;
      if (perMetric > 0 && entries.size >= perMetric) return this.refuse(tenant, MetadataDiscardReason.PerMetricLimit);
    }
    if (!families) this.tenants.set(tenant, (families = new Map()));
    if (!entries) families.set(md.metricFamilyName, (entries = new Map()));
    entries.set(key, { md: { type: md.type, metricFamilyName: md.metricFamilyName, help: md.help, unit: md.unit }, lastSeen: this.now() });
    return undefined;
  }

  private refuse(tenant: string, reason: MetadataDiscardReason): MetadataDiscardReason {
    let byReason = this.discarded.get(tenant);
    if (!byReason) this.discarded.set(tenant, (byReason = new Map()));
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
    return reason;
  }

  /**
   * The tenant's entries, by metric family name: names in byte order (so that `limit`, applied
   * by every ingester alike, keeps the same names), entries of a name by type, help and unit.
   */
  list(tenant: string, req: MetricsMetadataRequest): MetricMetadata[] {
    const families = this.tenants.get(tenant);
    if (!families) return [];
    let names: string[];
    if (req.metric !== '') names = families.has(req.metric) ? [req.metric] : [];
    else names = [...families.keys()].sort(compareStrings);
    if (req.limit > 0 && names.length > req.limit) names.length = req.limit;
    const out: MetricMetadata[] = [];
    for (const name of names) {
      const mds = [...families.get(name)!.values()].map((e) => e.md).sort(compareMetadata);
      if (req.limitPerMetric > 0 && mds.length > req.limitPerMetric) mds.length = req.limitPerMetric;
      out.push(...mds);
    }
    return out;
  }

  /** Entries held, all tenants. */
  size(): number {
    let n = 0;
    for (const families of this.tenants.values()) for (const entries of families.values()) n += entries.size;
    return n;
  }

  /** Forgets entries last received before `now - retainPeriod`; returns how many. */
  purge(retainPeriod: number): number {
    const cutoff = this.now() - retainPeriod;
    let n = 0;
    for (const [tenant, families] of this.tenants) {
      for (const [name, entries] of families) {
        for (const [key, e] of entries) {
          if (e.lastSeen >= cutoff) continue;
          entries.delete(key);
          n++;
        }
        if (entries.size === 0) families.delete(name);
      }
      if (families.size === 0) this.tenants.delete(tenant);
    }
    return n;
  }
}

/** Order of entries of one metric name: type, then help, then unit. */
export function compareMetadata(a: MetricMetadata, b: MetricMetadata): number {
  return a.type - b.type || compareStrings(a.help, b.help) || compareStrings(a.unit, b.unit);
}
