// One TSDB per tenant (Mimir's userTSDB): <dir>/<tenant>/ with its own WAL, head and local blocks,
// opened on the tenant's first write or, at start-up, for every tenant directory found (so the
// WAL is replayed before the ingester takes writes). Series limits are enforced here, per tenant.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../libs/log/index.ts';
import { METRIC_NAME, type Labels } from '../../libs/model/index.ts';
import { AppendError, AppendErrorCode } from '../../libs/storage/index.ts';
import { type Overrides, validateTenantId } from '../../libs/tenant/index.ts';
import { DB, type FsyncPolicy, type Head } from '../../libs/tsdb/index.ts';
import { Shipper, type ShipperBucket } from './shipper.ts';

export interface TenantDBsConfig {
  /** Parent of the tenants' directories. */
  readonly dir: string;
  readonly blockRange: number;
  /** Local blocks older than this (behind the newest) are deleted. */
  readonly retention: number;
  readonly walFsync: FsyncPolicy;
  /** Where each tenant's blocks are shipped (its prefix of the bucket); none keeps blocks local only. */
  readonly bucketFor?: (tenant: string) => ShipperBucket;
  /** Recorded in shipped blocks' meta.json (`thanos.labels.__ingester_id__`), as Cortex does. */
  readonly ingesterId?: string;
}

/**
 * The share of a tenant's cluster-wide series limit one ingester enforces: each series lives on
 * `replicationFactor` of `ingesters` ingesters, so each holds about RF/N of them (Mimir's rule).
 */
export interface RingShare {
  ingesters(): number;
  replicationFactor(): number;
}

const SINGLE: RingShare = { ingesters: () => 1, replicationFactor: () => 1 };

export function localSeriesLimit(globalLimit: number, ring: RingShare): number {
  if (globalLimit === 0) return 0;
  const n = Math.max(1, ring.ingesters());
  return Math.ceil((globalLimit * Math.min(ring.replicationFactor(), n)) / n);
}

export class TenantDBs {
  private readonly dbs = new Map<string, DB>();
  private readonly shippers = new Map<string, Shipper>();
  private readonly opening = new Map<string, Promise<DB>>();
  private closed = false;

  constructor(
    private readonly cfg: TenantDBsConfig,
    private readonly overrides: Overrides,
    private readonly log: Logger,
    private readonly ring: RingShare = SINGLE,
  ) {}

  /** Opens every tenant directory under `dir` (replaying WALs). Entries that are not tenant ids are skipped with a warning. */
  async openExisting(): Promise<void> {
    let entries;
    try {
      entries = await readdir(this.cfg.dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      try {
        validateTenantId(e.name);
      } catch {
        this.log.warn({ dir: join(this.cfg.dir, e.name) }, 'skipping a directory that is not a tenant id');
        continue;
      }
      await this.getOrCreate(e.name);
    }
  }

  get(tenant: string): DB | undefined {
    return this.dbs.get(tenant);
  }

  tenants(): string[] {
    return [...this.dbs.keys()].sort();
  }

  /** The tenant's TSDB, opened once even when several first writes race. */
  getOrCreate(tenant: string): Promise<DB> {
    const db = this.dbs.get(tenant);
    if (db) return Promise.resolve(db);
    if (this.closed) return Promise.reject(new Error('ingester TSDBs are closed'));
    let p = this.opening.get(tenant);
    if (!p) {
      p = this.open(tenant).finally(() => this.opening.delete(tenant));
      this.opening.set(tenant, p);
    }
    return p;
  }

  private async open(tenant: string): Promise<DB> {
    validateTenantId(tenant);
    const dir = join(this.cfg.dir, tenant);
    const log = this.log.child({ tenant });
    const shipper = this.cfg.bucketFor ? await Shipper.open(dir, this.cfg.bucketFor(tenant), { logger: log }) : undefined;
    const labels: Record<string, string> = { __org_id__: tenant };
    if (this.cfg.ingesterId) labels.__ingester_id__ = this.cfg.ingesterId;
    const db = await DB.open(dir, {
      blockRange: this.cfg.blockRange,
      retention: this.cfg.retention,
      walFsync: this.cfg.walFsync,
      logger: log,
      // As Cortex's ingesters label their blocks: the compactor groups by __org_id__ and drops
      // __ingester_id__ when it merges the replicas' blocks.
      thanos: { labels, downsample: { resolution: 0 }, source: 'receive' },
      // A block leaves the disk only once it is in the bucket.
      ...(shipper ? { deletable: (ulid: string) => shipper.isShipped(ulid) } : {}),
    });
    if (shipper) this.shippers.set(tenant, shipper);
    db.head.seriesLimiter = (labels, head) => this.admitSeries(tenant, labels, head);
    this.dbs.set(tenant, db);
    this.log.info({ tenant, series: db.head.numSeries() }, 'opened tenant TSDB');
    return db;
  }

  private admitSeries(tenant: string, labels: Labels, head: Head): AppendError | undefined {
    const limits = this.overrides.forTenant(tenant);
    const perUser = localSeriesLimit(limits.max_global_series_per_user, this.ring);
    if (perUser > 0 && head.numSeries() >= perUser) {
      return new AppendError(
        AppendErrorCode.PerUserSeriesLimit,
        `the write request has been rejected because the tenant exceeded the per-user series limit of ${limits.max_global_series_per_user} (err-mimir-max-series-per-user). To adjust the related per-tenant limit, configure limits.max_global_series_per_user, or contact your service administrator.`,
      );
    }
    const perMetric = localSeriesLimit(limits.max_global_series_per_metric, this.ring);
    if (perMetric > 0) {
      const name = labels.get(METRIC_NAME);
      if (head.postings(METRIC_NAME, [name]).length >= perMetric) {
        return new AppendError(
          AppendErrorCode.PerMetricSeriesLimit,
          `the write request has been rejected because the per-metric series limit of ${limits.max_global_series_per_metric} for metric '${name}' was exceeded (err-mimir-max-series-per-metric). To adjust the related per-tenant limit, configure limits.max_global_series_per_metric, or contact your service administrator.`,
        );
      }
    }
    return undefined;
  }

  /** Cuts every tenant's head into blocks (POST /ingester/flush, shutdown). */
  async flushAll(): Promise<void> {
    for (const db of this.dbs.values()) await db.flush();
  }

  /** Uploads every tenant's blocks not shipped yet, then lets retention delete shipped ones; resolves with how many were shipped. */
  async shipAll(): Promise<number> {
    let n = 0;
    for (const [tenant, db] of this.dbs) {
      const shipper = this.shippers.get(tenant);
      if (!shipper) continue;
      n += await shipper.sync(db.blocks().map((b) => ({ ulid: b.ulid, dir: b.dir })));
      await db.retain();
    }
    return n;
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.opening.values());
    for (const [tenant, db] of this.dbs) {
      await db.close();
      this.log.info({ tenant }, 'closed tenant TSDB');
    }
    this.dbs.clear();
    this.shippers.clear();
  }
}
