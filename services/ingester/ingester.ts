// The ingester (Mimir's ingester, single-instance part): appends pushed series to the tenant's
// TSDB and acknowledges only after the WAL write, keeps the metric metadata pushed with them;
// serves the tenant's head, local blocks and metadata to queriers. Ring membership and the gRPC
// service wrap this.
import type { Logger } from '../../libs/log/index.ts';
import { nopLogger } from '../../libs/log/index.ts';
import { Labels, type Matcher } from '../../libs/model/index.ts';
import { SeriesFlag, modelHistogram, type DecodedWriteRequest } from '../../libs/remotewrite/index.ts';
import { Service } from '../../libs/services/index.ts';
import { AppendError, EMPTY_SERIES_SET, type Querier, type Queryable } from '../../libs/storage/index.ts';
import type { Overrides } from '../../libs/tenant/index.ts';
import { selectChunkSeries, type ChunkSeriesEntry } from '../../libs/tsdb/index.ts';
import { MetricMetadataStore } from './metadata.ts';
import { TenantDBs, type RingShare, type TenantDBsConfig } from './tsdbs.ts';

export interface IngesterStorageConfig extends TenantDBsConfig {
  /** Metadata not received again for this long is forgotten (ms; default 10m, as the config's). */
  readonly metadataRetainPeriod?: number;
  /** How often forgotten metadata is removed (ms; default 5m, as the config's). */
  readonly metadataPurgePeriod?: number;
}

/** Why a sample of a push was not stored. */
export interface Rejection {
  /** Index of the series in the request. */
  readonly series: number;
  /** A stable code (the `reason` label of rejection counters). */
  readonly reason: string;
  readonly message: string;
}

export interface PushResult {
  readonly accepted: number;
  readonly rejected: number;
  /** The first rejections (at most MAX_REPORTED), for the response to the sender. */
  readonly rejections: readonly Rejection[];
}

export const MAX_REPORTED = 10;

/**
 * The sample timestamps a tenant may write (the distributor's creation and past grace periods),
 * ms, inclusive; samples outside are refused with Mimir's reasons.
 */
export interface TimeBounds {
  readonly minT: number;
  readonly maxT: number;
}

/** A series' labels without empty values, which Prometheus treats as absent. */
function withoutEmptyValues(flat: readonly string[]): Labels {
  const kept: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (flat[i + 1] !== '') kept.push(flat[i]!, flat[i + 1]!);
  return Labels.fromStrings(...kept);
}

const truncate = (s: string): string => (s.length > 200 ? s.slice(0, 200) : s);

const NO_CHUNK_SERIES: AsyncIterable<ChunkSeriesEntry> = { [Symbol.asyncIterator]: async function* () {} };

/** Receives rejection counts for metrics (tenant, reason, samples). */
export type RejectionCounter = (tenant: string, reason: string, samples: number) => void;

export class Ingester extends Service {
  readonly dbs: TenantDBs;
  readonly metadata: MetricMetadataStore;
  /** Samples and histograms stored since start (for strata_ingester_ingested_samples_total). */
  ingestedSamples = 0;
  private readonly metadataRetainPeriod: number;
  private readonly metadataPurgePeriod: number;
  private purgeTimer: NodeJS.Timeout | undefined;

  private shipTimer: NodeJS.Timeout | undefined;
  private shipping: Promise<void> | undefined;

  constructor(
    private readonly cfg: IngesterStorageConfig,
    private readonly overrides: Overrides,
    private readonly log: Logger = nopLogger,
    private readonly countRejected: RejectionCounter = () => {},
    ring?: RingShare,
    /** Ring membership (a Lifecycler): joined once the WALs are replayed, left before the TSDBs close. */
    private readonly membership?: Service,
    /** How often cut blocks are shipped when the config has a bucket; 0 ships only on flush. */
    private readonly shipInterval = 60_000,
  ) {
    super('ingester');
    this.dbs = new TenantDBs(cfg, overrides, log, ring);
    this.metadata = new MetricMetadataStore(overrides, ring);
    this.metadataRetainPeriod = cfg.metadataRetainPeriod ?? 10 * 60_000;
    this.metadataPurgePeriod = cfg.metadataPurgePeriod ?? 5 * 60_000;
  }

  protected override async starting(): Promise<void> {
    await this.dbs.openExisting();
    try {
      await this.membership?.start();
    } catch (err) {
      await this.dbs.closeAll();
      throw err;
    }
    this.purgeTimer = setInterval(() => this.metadata.purge(this.metadataRetainPeriod), this.metadataPurgePeriod);
    this.purgeTimer.unref();
    if (this.cfg.bucketFor && this.shipInterval > 0) {
      this.shipTimer = setInterval(() => void this.ship(), this.shipInterval);
      this.shipTimer.unref();
    }
  }

  protected override async stopping(): Promise<void> {
    clearInterval(this.purgeTimer);
    clearInterval(this.shipTimer);
    // Leave the ring first, so distributors stop sending before the TSDBs close.
    await this.membership?.stop();
    await this.shipping;
    await this.dbs.closeAll();
  }

  /** Ships the blocks cut since the last time (every ship interval, and after a flush). */
  ship(): Promise<void> {
    this.shipping ??= this.dbs
      .shipAll()
      .then(() => undefined, (err: unknown) => this.log.error({ err }, 'shipping blocks failed'))
      .finally(() => (this.shipping = undefined));
    return this.shipping;
  }

  /**
   * POST /ingester/shutdown: cuts the heads into blocks, leaves the ring and stops this ingester;
   * the process keeps running until it is told to exit.
   */
  async shutdown(): Promise<void> {
    await this.flush();
    await this.stop();
  }

  /**
   * Appends the samples and native histograms of the given series of `req` (all when `series` is
   * omitted) as one transaction; resolves after the WAL write. Samples the TSDB refuses are
   * reported, the rest are stored. Samples outside the
   * tenant's grace periods are refused (`bounds`, by default from the tenant's limits at `now`).
   * The given metadata entries of `req` (all when `metadata` is omitted) are kept in memory;
   * those over the tenant's metadata limits are counted, not reported (as Mimir).
   */
  async push(
    tenant: string,
    req: DecodedWriteRequest,
    series?: ArrayLike<number>,
    metadata?: ArrayLike<number>,
    bounds: TimeBounds = this.bounds(tenant, Date.now()),
  ): Promise<PushResult> {
    const nMd = metadata ? metadata.length : req.metadataCount;
    for (let j = 0; j < nMd; j++) {
      const m = metadata ? metadata[j]! : j;
      this.metadata.add(tenant, { type: req.metadataType[m]!, metricFamilyName: req.metadataFamilyName[m]!, help: req.metadataHelp[m]!, unit: req.metadataUnit[m]! });
    }
    const n = series ? series.length : req.seriesCount;
    // Metadata-only requests (Prometheus sends metadata apart) open no TSDB.
    if (n === 0) return { accepted: 0, rejected: 0, rejections: [] };
    const db = await this.dbs.getOrCreate(tenant);
    const app = db.appender();
    const rejections: Rejection[] = [];
    const byReason = new Map<string, number>();
    let accepted = 0;
    let rejected = 0;
    const reject = (s: number, reason: string, message: string, n: number): void => {
      rejected += n;
      byReason.set(reason, (byReason.get(reason) ?? 0) + n);
      if (rejections.length < MAX_REPORTED) rejections.push({ series: s, reason, message });
    };
    const inBounds = (i: number, t: number, labels: Labels): boolean => {
      if (t > bounds.maxT) {
        reject(i, 'sample_too_far_in_future', `received a sample whose timestamp is too far in the future, timestamp: ${t} series: '${truncate(labels.toString())}' (err-mimir-too-far-in-future)`, 1);
        return false;
      }
      if (t < bounds.minT) {
        reject(i, 'sample_too_far_in_past', `received a sample whose timestamp is too far in the past, timestamp: ${t} series: '${truncate(labels.toString())}' (err-mimir-too-far-in-past)`, 1);
        return false;
      }
      return true;
    };
    const ts = req.sampleTimestamps;
    const vs = req.sampleValues;
    for (let j = 0; j < n; j++) {
      const i = series ? series[j]! : j;
      const labels = (req.seriesFlags[i]! & SeriesFlag.EmptyLabelValue) !== 0 ? withoutEmptyValues(req.labelsFlat(i)) : req.labels(i);
      let ref = 0;
      for (let k = req.sampleStart[i]!, end = req.sampleStart[i + 1]!; k < end; k++) {
        const t = ts[k]!;
        if (!inBounds(i, t, labels)) continue;
        try {
          ref = app.append(ref, labels, t, vs[k]!);
          accepted++;
        } catch (err) {
          if (!(err instanceof AppendError)) throw err;
          reject(i, err.code, `${err.message}. timestamp=${new Date(t).toISOString()}, series=${labels.toString()}`, 1);
        }
      }
      for (let h = req.histogramStart[i]!, end = req.histogramStart[i + 1]!; h < end; h++) {
        const t = req.histTimestamp[h]!;
        if (!inBounds(i, t, labels)) continue;
        const x = modelHistogram(req, h);
        try {
          ref = app.appendHistogram(ref, labels, t, x.h, x.fh);
          accepted++;
        } catch (err) {
          if (!(err instanceof AppendError)) throw err;
          reject(i, err.code, `${err.message}. timestamp=${new Date(t).toISOString()}, series=${labels.toString()}`, 1);
        }
      }
    }
    await app.commit();
    this.ingestedSamples += accepted;
    for (const [reason, count] of byReason) this.countRejected(tenant, reason, count);
    return { accepted, rejected, rejections };
  }

  /** The timestamps a tenant may write at `now`: within its creation and past grace periods. */
  bounds(tenant: string, now: number): TimeBounds {
    const l = this.overrides.forTenant(tenant);
    return {
      maxT: l.creation_grace_period > 0 ? now + l.creation_grace_period : Infinity,
      minT: l.past_grace_period > 0 ? now - l.past_grace_period : -Infinity,
    };
  }

  /** What a tenant's queries read from this ingester (nothing before its first write). */
  queryable(tenant: string): Queryable {
    return {
      querier: (mint: number, maxt: number): Querier => {
        const db = this.dbs.get(tenant);
        if (db) return db.querier(mint, maxt);
        return {
          select: () => EMPTY_SERIES_SET,
          labelNames: () => Promise.resolve([]),
          labelValues: () => Promise.resolve([]),
          close: () => {},
        };
      },
    };
  }

  /**
   * The tenant's series matching `matchers` with chunks overlapping [mint, maxt], sorted by
   * labels, with their chunks as stored (what QueryStream sends); nothing before its first write.
   */
  selectChunks(tenant: string, mint: number, maxt: number, matchers: readonly Matcher[], seriesOnly = false): AsyncIterable<ChunkSeriesEntry> {
    const db = this.dbs.get(tenant);
    return db ? selectChunkSeries(db, mint, maxt, matchers, seriesOnly) : NO_CHUNK_SERIES;
  }

  /** Cuts every tenant's head into blocks and ships them (POST /ingester/flush). */
  async flush(): Promise<void> {
    await this.dbs.flushAll();
    if (this.cfg.bucketFor) {
      await this.shipping;
      await this.ship();
    }
  }
}
