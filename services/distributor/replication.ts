// Sending series to their ingesters (Mimir's distributor + dskit's ring.DoBatch): each series goes
// to the replication set of its token, each metadata entry to that of its metric name's token;
// both are batched per ingester (series as their original bytes) in one WriteRequest; the push
// succeeds once every item reached a quorum of its replicas, and fails (retryably) as soon as
// one cannot.
import type { DecodedWriteRequest } from '../../libs/remotewrite/index.ts';
import { WriteRequestEncoder } from '../../libs/remotewrite/index.ts';
import { Operation, RingError, stringToken, type Instance, type ReadRing } from '../../libs/ring/index.ts';
import { MAX_REPORTED, type PushResult, type Rejection } from '../ingester/index.ts';

/** One ingester as the distributor reaches it (an IngesterClient, or the ingester of this process). */
export interface RemoteIngester {
  push(tenant: string, writeRequest: Uint8Array): Promise<PushResult>;
}

export interface IngesterPool {
  get(instance: Instance): RemoteIngester;
}

/** A series could not reach a quorum of its ingesters: the sender should retry (5xx). */
export class ReplicationError extends Error {
  readonly code = 'replication_failed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplicationError';
  }
}

/**
 * The ring token of a series: its 64-bit label hash mixed with the tenant's (stringToken, so that
 * equal series of different tenants land apart), folded to 32 bits.
 */
export function seriesToken(tenant: number, hashHi: number, hashLo: number): number {
  let h = (hashLo ^ tenant) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul((h ^ hashHi) ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The ring token of a tenant's metadata for metric family `name`: by name only, so that every
 * entry of a metric lands on the same ingesters (Mimir shards metadata by metric name).
 */
export function metadataToken(tenant: string, name: string): number {
  return seriesToken(stringToken(tenant), 0, stringToken(name));
}

/**
 * Pushes `series` and `metadata` (indices of metadata entries) of `req` to their replicas. Resolves with the rejections the ingesters reported
 * (each series' from the first replica that answered; `rejected` counts those the ingesters
 * listed, at most MAX_REPORTED per batch) once every series has a quorum; rejects
 * with a ReplicationError when a series' failures exceed what its replication set tolerates.
 * Batches still in flight after that finish in the background.
 */
export function pushToReplicas(
  ring: ReadRing,
  pool: IngesterPool,
  tenant: string,
  req: DecodedWriteRequest,
  series: ArrayLike<number>,
  metadata: ArrayLike<number> = [],
  now: number = Date.now(),
): Promise<PushResult> {
  const th = stringToken(tenant);
  const n = series.length;
  const items = n + metadata.length;
  // Per item (series by position in `series`, then metadata entries from n on): successes still
  // needed and failures still allowed.
  const needed = new Int32Array(items);
  const allowed = new Int32Array(items);
  const reported = new Uint8Array(n);
  const batches = new Map<string, { instance: Instance; positions: number[]; metadata: number[] }>();
  for (let j = 0; j < items; j++) {
    let rs;
    try {
      const token = j < n
        ? seriesToken(th, req.seriesHashHi[series[j]!]!, req.seriesHashLo[series[j]!]!)
        : seriesToken(th, 0, stringToken(req.metadataFamilyName[metadata[j - n]!]!));
      rs = ring.get(token, Operation.Write, now);
    } catch (err) {
      if (err instanceof RingError) return Promise.reject(new ReplicationError(`cannot push: ${err.message}`, { cause: err }));
      throw err;
    }
    needed[j] = rs.instances.length - rs.maxErrors;
    allowed[j] = rs.maxErrors;
    for (const inst of rs.instances) {
      let b = batches.get(inst.id);
      if (!b) batches.set(inst.id, (b = { instance: inst, positions: [], metadata: [] }));
      if (j < n) b.positions.push(j);
      else b.metadata.push(j);
    }
  }
  if (items === 0) return Promise.resolve({ accepted: 0, rejected: 0, rejections: [] });

  return new Promise((resolve, reject) => {
    let pending = items;
    let done = false;
    let rejected = 0;
    const rejections: Rejection[] = [];
    let samples = 0;
    for (let j = 0; j < n; j++) {
      const i = series[j]!;
      samples += req.sampleStart[i + 1]! - req.sampleStart[i]! + req.histogramStart[i + 1]! - req.histogramStart[i]!;
    }
    for (const { instance, positions, metadata: mdItems } of batches.values()) {
      const enc = new WriteRequestEncoder();
      for (const j of positions) enc.rawTimeSeries(req.rawSeries(series[j]!));
      for (const j of mdItems) {
        const m = metadata[j - n]!;
        enc.metadata({ type: req.metadataType[m]!, metricFamilyName: req.metadataFamilyName[m]!, help: req.metadataHelp[m]!, unit: req.metadataUnit[m]! });
      }
      // The answer counts for every item of the batch, series and metadata entries alike.
      const counted = mdItems.length === 0 ? positions : positions.concat(mdItems);
      pool.get(instance).push(tenant, enc.finish()).then(
        (res) => {
          if (done) return;
          // Rejections index the batch: map them back to the request's series, once per series.
          const firstAnswer = new Set<number>();
          for (const k of positions) if (reported[k] === 0) firstAnswer.add(k);
          for (const r of res.rejections) {
            const j = positions[r.series];
            if (j === undefined || !firstAnswer.has(j)) continue;
            rejected++;
            if (rejections.length < MAX_REPORTED) rejections.push({ ...r, series: series[j]! });
          }
          for (const k of firstAnswer) reported[k] = 1;
          for (const j of counted) {
            if (needed[j]! > 0 && --needed[j]! === 0) pending--;
          }
          if (pending === 0) {
            done = true;
            resolve({ accepted: samples - rejected, rejected, rejections });
          }
        },
        (err: unknown) => {
          if (done) return;
          for (const j of counted) {
            if (needed[j]! > 0 && --allowed[j]! < 0) {
              done = true;
              reject(new ReplicationError(`failed pushing to ingester ${instance.id} (${instance.addr}): ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
              return;
            }
          }
        },
      );
    }
  });
}
