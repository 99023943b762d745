// The distributor's write path (Mimir's distributor.Push): a remote-write request is decoded,
// deduplicated between HA replicas (when the HA tracker is on), checked against the tenant's
// limits series by series and metadata entry by entry, and the valid ones are sent to the
// ingesters. The good part of a request is always stored; what was refused is counted by reason
// and named in a 400 response.
import { Counter, type Registry } from 'prom-client';
import { KVError } from '../../libs/kv/index.ts';
import { LabelsDiscardReason, formatLabels, validateLabelsDetailed } from '../../libs/model/index.ts';
import {
  RemoteWriteError, RemoteWriteErrorCategory, SeriesFlag, WriteRequestDecoder, snappyDecode, type DecodedWriteRequest,
} from '../../libs/remotewrite/index.ts';
import type { Limits, Overrides } from '../../libs/tenant/index.ts';
import { RateLimiter } from '../../libs/tenant/index.ts';
import { assertNever } from '../../libs/services/index.ts';
import { MAX_REPORTED, type PushResult } from '../ingester/index.ts';
import type { DistributorConfig } from './config.ts';
import { HACheckKind, type HACheck, type HATracker } from './ha_tracker.ts';

/** Where the distributor sends a tenant's valid series and metadata entries: the ingesters. */
export interface IngesterPusher {
  /** `series` and `metadata` index `req`, which must stay unchanged until the returned promise settles. */
  push(tenant: string, req: DecodedWriteRequest, series: ArrayLike<number>, metadata: ArrayLike<number>): Promise<PushResult>;
}

/** Mimir's reasons for refusing a metadata entry in the distributor. */
export const MetadataDiscardReason = {
  MissingMetricName: 'missing_metric_name',
  MetricNameTooLong: 'metric_name_too_long',
  UnitTooLong: 'unit_too_long',
} as const;
export type MetadataDiscardReason = (typeof MetadataDiscardReason)[keyof typeof MetadataDiscardReason];

/** Go's %.200s: at most 200 characters. */
function truncate200(s: string): string {
  if (s.length <= 200) return s;
  return [...s].slice(0, 200).join('');
}

/** The longest prefix of whole characters of `s` within `maxBytes` UTF-8 bytes. */
function truncateUtf8(s: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (bytes > maxBytes) break;
    end += ch.length;
  }
  return s.slice(0, end);
}

/** The answer to one push request, as the remote-write spec wants it. */
export interface PushResponse {
  status: number;
  /** Plain text; empty on success. */
  body: string;
}

/** Decoders keep per-decoder caches and one result each: one per request in flight. */
class DecoderPool {
  private readonly free: WriteRequestDecoder[] = [];

  acquire(): WriteRequestDecoder {
    return this.free.pop() ?? new WriteRequestDecoder();
  }

  release(d: WriteRequestDecoder): void {
    if (this.free.length < 16) this.free.push(d);
  }
}

export class Distributor {
  private readonly decoders = new DecoderPool();
  private readonly limiter = new RateLimiter();
  private readonly received: Counter<'tenant'>;
  private readonly discarded: Counter<'tenant' | 'reason'>;
  private readonly rejectedRequests: Counter<'tenant' | 'reason'>;
  private readonly dedupedSamples: Counter<'tenant' | 'cluster'>;
  private readonly nonHASamples: Counter<'tenant'>;
  private readonly receivedExemplars: Counter<'tenant'>;
  private readonly receivedMetadata: Counter<'tenant'>;
  private readonly discardedExemplars: Counter<'tenant' | 'reason'>;
  private readonly discardedMetadata: Counter<'tenant' | 'reason'>;

  /** `haTracker`: the started HA tracker when `ha_tracker.enable_ha_tracker` is on, else undefined. */
  constructor(
    private readonly cfg: Readonly<DistributorConfig>,
    private readonly overrides: Overrides,
    private readonly ingesters: IngesterPusher,
    registry: Registry,
    private readonly now: () => number = Date.now,
    private readonly haTracker?: HATracker,
  ) {
    this.received = new Counter({
      name: 'strata_distributor_received_samples_total',
      help: 'Samples (floats and histograms) received in remote-write requests, before validation.',
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.discarded = new Counter({
      name: 'strata_discarded_samples_total',
      help: 'Samples refused, by tenant and reason (Mimir\'s reasons).',
      labelNames: ['tenant', 'reason'],
      registers: [registry],
    });
    this.rejectedRequests = new Counter({
      name: 'strata_distributor_rejected_requests_total',
      help: 'Whole remote-write requests refused, by tenant and reason.',
      labelNames: ['tenant', 'reason'],
      registers: [registry],
    });
    this.dedupedSamples = new Counter({
      name: 'strata_distributor_deduped_samples_total',
      help: 'Samples dropped because they came from an HA replica that is not the elected one.',
      labelNames: ['tenant', 'cluster'],
      registers: [registry],
    });
    this.nonHASamples = new Counter({
      name: 'strata_distributor_non_ha_samples_received_total',
      help: 'Samples of tenants with HA deduplication received without both the cluster and the replica label.',
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.receivedExemplars = new Counter({
      name: 'strata_distributor_received_exemplars_total',
      help: 'Exemplars received in remote-write requests.',
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.receivedMetadata = new Counter({
      name: 'strata_distributor_received_metadata_total',
      help: 'Metric metadata entries received in remote-write requests.',
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.discardedExemplars = new Counter({
      name: 'strata_discarded_exemplars_total',
      help: 'Exemplars not stored, by tenant and reason.',
      labelNames: ['tenant', 'reason'],
      registers: [registry],
    });
    this.discardedMetadata = new Counter({
      name: 'strata_discarded_metadata_total',
      help: 'Metric metadata entries not stored, by tenant and reason.',
      labelNames: ['tenant', 'reason'],
      registers: [registry],
    });
  }

  /** Handles one remote-write body (snappy-compressed protobuf) for a tenant already resolved. */
  async push(tenant: string, body: Uint8Array): Promise<PushResponse> {
    const decoder = this.decoders.acquire();
    try {
      let req: DecodedWriteRequest;
      try {
        req = decoder.decode(snappyDecode(body, { maxLength: this.cfg.max_recv_msg_size }));
      } catch (err) {
        if (!(err instanceof RemoteWriteError)) throw err;
        const tooLarge = err.category === RemoteWriteErrorCategory.TooLarge;
        this.rejectedRequests.inc({ tenant, reason: err.code });
        return { status: tooLarge ? 413 : 400, body: err.message };
      }
      return await this.pushDecoded(tenant, req, decoder);
    } finally {
      this.decoders.release(decoder);
    }
  }

  private async pushDecoded(tenant: string, req: DecodedWriteRequest, decoder: WriteRequestDecoder): Promise<PushResponse> {
    const limits = this.overrides.forTenant(tenant);
    const samples = req.sampleCount + req.histogramCount;
    this.received.inc({ tenant }, samples);
    // Parsed and counted; not stored yet (no exemplar storage in the ingesters).
    if (req.exemplarCount > 0) {
      this.receivedExemplars.inc({ tenant }, req.exemplarCount);
      this.discardedExemplars.inc({ tenant, reason: 'exemplars_not_stored' }, req.exemplarCount);
    }
    if (req.metadataCount > 0) this.receivedMetadata.inc({ tenant }, req.metadataCount);
    // Before the rate limit, as in Mimir: a duplicate from the standby replica costs the tenant nothing.
    if (this.haTracker !== undefined && limits.accept_ha_samples && req.seriesCount > 0) {
      const refused = await this.dedupeHA(this.haTracker, tenant, req, decoder, limits, samples);
      if (refused !== undefined) return refused;
    }
    if (!this.limiter.allow(tenant, samples + req.exemplarCount + req.metadataCount, limits.ingestion_rate, limits.ingestion_burst_size, this.now())) {
      this.discarded.inc({ tenant, reason: 'rate_limited' }, samples);
      if (req.metadataCount > 0) this.discardedMetadata.inc({ tenant, reason: 'rate_limited' }, req.metadataCount);
      return {
        status: 429,
        body: `the request has been rejected because the tenant exceeded the ingestion rate limit, set to ${limits.ingestion_rate} items/s with a maximum allowed burst of ${limits.ingestion_burst_size}. This limit is applied on the total number of samples, exemplars and metadata received across all distributors (err-mimir-tenant-max-ingestion-rate). To adjust the related per-tenant limits, configure limits.ingestion_rate and limits.ingestion_burst_size, or contact your service administrator.`,
      };
    }
    const messages: string[] = [];
    const valid = new Uint32Array(req.seriesCount);
    let nValid = 0;
    for (let i = 0; i < req.seriesCount; i++) {
      const problem = this.validateSeries(req, i, limits);
      if (problem === undefined) {
        valid[nValid++] = i;
        continue;
      }
      const n = req.sampleStart[i + 1]! - req.sampleStart[i]! + req.histogramStart[i + 1]! - req.histogramStart[i]!;
      this.discarded.inc({ tenant, reason: problem.reason }, n);
      if (messages.length < MAX_REPORTED) messages.push(problem.message);
    }
    // As Mimir: a refused metadata entry is reported like a refused series; the rest is stored.
    const validMd = new Uint32Array(req.metadataCount);
    let nValidMd = 0;
    for (let m = 0; m < req.metadataCount; m++) {
      const problem = this.validateMetadata(req, m, limits);
      if (problem === undefined) {
        validMd[nValidMd++] = m;
        continue;
      }
      this.discardedMetadata.inc({ tenant, reason: problem.reason });
      if (messages.length < MAX_REPORTED) messages.push(problem.message);
    }
    if (nValid > 0 || nValidMd > 0) {
      // The ingester refuses samples outside the tenant's grace periods; metadata over the
      // tenant's limits it counts and does not report (as Mimir).
      const res = await this.ingesters.push(tenant, req, valid.subarray(0, nValid), validMd.subarray(0, nValidMd));
      for (const r of res.rejections) if (messages.length < MAX_REPORTED) messages.push(r.message);
      if (res.rejected > 0 && messages.length === 0) messages.push(`${res.rejected} samples were refused`);
    }
    if (messages.length > 0) return { status: 400, body: messages.join('\n') };
    return { status: 200, body: '' };
  }

  /**
   * HA deduplication, decided for the whole request on the first series' labels (as Mimir does).
   * Returns the answer to a request that is not to be stored; otherwise, if the request comes
   * from the elected replica, drops the replica label from every series (so a fail-over does not
   * start new series) and returns undefined.
   */
  private async dedupeHA(
    tracker: HATracker, tenant: string, req: DecodedWriteRequest, decoder: WriteRequestDecoder, limits: Limits, samples: number,
  ): Promise<PushResponse | undefined> {
    const flat = req.labelsFlat(0);
    const cluster = labelValue(flat, limits.ha_cluster_label);
    const replica = labelValue(flat, limits.ha_replica_label);
    // Without both labels the request is not from an HA pair and is stored as sent. A replica
    // value over the length limit is not tracked either: validation refuses the series.
    const tooLong = limits.max_label_value_length > 0 && Buffer.byteLength(replica, 'utf8') > limits.max_label_value_length;
    if (cluster === '' || replica === '' || tooLong) {
      this.nonHASamples.inc({ tenant }, samples);
      return undefined;
    }
    let check: HACheck;
    try {
      check = await tracker.checkReplica(tenant, cluster, replica, limits.ha_max_clusters, this.now());
    } catch (err) {
      if (!(err instanceof KVError)) throw err;
      this.rejectedRequests.inc({ tenant, reason: err.code });
      return { status: err.category === 'unavailable' ? 503 : 500, body: `HA tracker: ${err.message}` };
    }
    switch (check.kind) {
      case HACheckKind.Elected:
        decoder.dropLabel(limits.ha_replica_label);
        return undefined;
      case HACheckKind.NotElected:
        this.dedupedSamples.inc({ tenant, cluster }, samples);
        return { status: 202, body: `replicas did not match, rejecting sample: replica=${replica}, elected=${check.elected}` };
      case HACheckKind.TooManyClusters:
        this.discarded.inc({ tenant, reason: 'too_many_ha_clusters' }, samples);
        return {
          status: 400,
          body: `the write request has been rejected because the maximum number of high-availability (HA) clusters has been reached for this tenant (limit: ${check.limit}) (err-mimir-tenant-too-many-ha-clusters). To adjust the related per-tenant limit, configure limits.ha_max_clusters, or contact your service administrator.`,
        };
      default:
        return assertNever(check);
    }
  }

  /**
   * Mimir's metadata checks: a metric name is required, the name and unit must fit in
   * max_metadata_length bytes; a longer help is cut to it (in `req`, so the ingesters get it cut).
   */
  private validateMetadata(req: DecodedWriteRequest, m: number, limits: Limits): { reason: MetadataDiscardReason; message: string } | undefined {
    const name = req.metadataFamilyName[m]!;
    if (name === '') {
      return { reason: MetadataDiscardReason.MissingMetricName, message: 'received a metric metadata with no metric name (err-mimir-metadata-missing-metric-name)' };
    }
    const max = limits.max_metadata_length;
    const help = req.metadataHelp[m]!;
    if (Buffer.byteLength(help, 'utf8') > max) req.metadataHelp[m] = truncateUtf8(help, max);
    const adjust = 'To adjust the related per-tenant limit, configure limits.max_metadata_length, or contact your service administrator.';
    if (Buffer.byteLength(name, 'utf8') > max) {
      return {
        reason: MetadataDiscardReason.MetricNameTooLong,
        message: `received a metric metadata whose metric name length exceeds the limit, metric name: '${truncate200(name)}' (err-mimir-metric-name-too-long). ${adjust}`,
      };
    }
    const unit = req.metadataUnit[m]!;
    if (Buffer.byteLength(unit, 'utf8') > max) {
      return {
        reason: MetadataDiscardReason.UnitTooLong,
        message: `received a metric metadata whose unit name length exceeds the limit, unit: '${truncate200(unit)}' metric name: '${truncate200(name)}' (err-mimir-unit-too-long). ${adjust}`,
      };
    }
    return undefined;
  }

  private validateSeries(req: DecodedWriteRequest, i: number, limits: Limits): { reason: string; message: string } | undefined {
    const flat = req.labelsFlat(i);
    if ((req.seriesFlags[i]! & SeriesFlag.InvalidUTF8) !== 0) {
      return {
        reason: LabelsDiscardReason.InvalidLabelValue,
        message: `received a series with a label name or value that is not valid UTF-8, series: '${formatLabels(flat).slice(0, 200)}' (err-mimir-label-value-invalid)`,
      };
    }
    return validateLabelsDetailed(flat, {
      maxLabelNames: limits.max_label_names_per_series,
      maxLabelNameLength: limits.max_label_name_length,
      maxLabelValueLength: limits.max_label_value_length,
    });
  }
}

/** The value of label `name` in a flat [name, value, …] list; '' when absent (as Prometheus reads it). */
function labelValue(flat: readonly string[], name: string): string {
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) return flat[i + 1]!;
  return '';
}
