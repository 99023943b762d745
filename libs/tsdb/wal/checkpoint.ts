// WAL checkpoints: the still-needed part of a range of segments (plus the previous checkpoint),
// rewritten as a small WAL in `checkpoint.<to>` so that the segments can be deleted. Series,
// float and histogram samples and tombstones are kept; other record types are dropped.

import { closeSync, fdatasyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, constants as fsConstants } from 'node:fs';
import { join } from 'node:path';
import { Encbuf } from '../encoding/index.ts';
import { nopLogger } from '../../log/index.ts';
import type { Logger } from '../../log/index.ts';
import { WALReader, segmentRange } from './reader.ts';
import {
  RecordType,
  SampleBatch,
  decodeSamples,
  decodeSeries,
  decodeTombstones,
  encodeSamples,
  encodeSeries,
  encodeTombstones,
  recordType,
} from './records.ts';
import type { RefSeries, Tombstone } from './records.ts';
import { decodeHistogramSamples, encodeHistogramSamples, isFloatHistogramRecord, type RefHistogramSample } from './histogram_records.ts';
import { CHECKPOINT_TMP_SUFFIX, checkpointDirName, lastCheckpoint, listCheckpoints } from './segments.ts';
import { WAL } from './wal.ts';

export interface CheckpointStats {
  totalSeries: number;
  droppedSeries: number;
  /** Float and histogram samples. */
  totalSamples: number;
  droppedSamples: number;
  totalTombstones: number;
  droppedTombstones: number;
  /** Records of types we do not checkpoint (exemplars, metadata): dropped. */
  droppedRecords: number;
}

const FLUSH_BYTES = 1024 * 1024;

function syncDir(dir: string): void {
  const fd = openSync(dir, fsConstants.O_RDONLY);
  try {
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `checkpoint.<to>` for segments [from, to] of the WAL (a WAL or its directory), starting
 * from the last checkpoint if there is one (then `from` may be at most its index + 1, and is moved
 * there). Keeps series whose ref passes `keep`, samples (float and histogram) of kept series with t >= mint, and
 * tombstones of kept series whose interval ends at or after mint. The checkpoint is written to
 * `checkpoint.<to>.tmp`, synced and renamed; then older checkpoints are deleted. `keep` must give
 * the same answer for a ref throughout the call. Segments are not deleted: call `WAL.truncate(to + 1)`.
 */
export async function checkpoint(
  wal: WAL | string,
  from: number,
  to: number,
  keep: (ref: number) => boolean,
  mint: number,
  opts: { logger?: Logger } = {},
): Promise<{ dir: string; stats: CheckpointStats }> {
  const logger = opts.logger ?? nopLogger;
  const dir = typeof wal === 'string' ? wal : wal.dir;
  if (typeof wal !== 'string' && to >= wal.segments().last) {
    throw new Error(`cannot checkpoint up to segment ${to}: segment ${wal.segments().last} is still being written`);
  }
  const prev = lastCheckpoint(dir);
  const segs = [];
  if (prev !== undefined) {
    if (prev.index >= to) throw new Error(`checkpoint ${prev.index} already covers segment ${to}`);
    if (from > prev.index + 1) throw new Error(`unexpected gap to last checkpoint: expected ${prev.index + 1}, requested ${from}`);
    from = prev.index + 1;
    segs.push(...segmentRange(prev.dir));
  }
  segs.push(...segmentRange(dir, { from, to }));
  logger.info({ from, to, mint }, 'creating WAL checkpoint');

  for (const name of readdirSync(dir)) {
    if (/^checkpoint\.\d+\.tmp$/.test(name)) rmSync(join(dir, name), { recursive: true, force: true });
  }
  const cpdir = checkpointDirName(dir, to);
  const tmp = cpdir + CHECKPOINT_TMP_SUFFIX;
  mkdirSync(tmp);

  const stats: CheckpointStats = {
    totalSeries: 0,
    droppedSeries: 0,
    totalSamples: 0,
    droppedSamples: 0,
    totalTombstones: 0,
    droppedTombstones: 0,
    droppedRecords: 0,
  };
  const reader = new WALReader(segs);
  let cp: WAL | undefined;
  try {
    cp = await WAL.open(tmp, { fsync: 'never', logger });
    const enc = new Encbuf(FLUSH_BYTES + 64 * 1024);
    const recs: Uint8Array[] = [];
    const series: RefSeries[] = [];
    const stones: Tombstone[] = [];
    const samples = new SampleBatch(1024);
    const kept = new SampleBatch(1024);
    const histograms: RefHistogramSample[] = [];
    const keptHistograms: RefHistogramSample[] = [];
    while (reader.next()) {
      const rec = reader.record();
      switch (recordType(rec)) {
        case RecordType.Series: {
          series.length = 0;
          decodeSeries(rec, series);
          const repl = series.filter((s) => keep(s.ref));
          stats.totalSeries += series.length;
          stats.droppedSeries += series.length - repl.length;
          if (repl.length > 0) recs.push(encodeSeries(repl, enc));
          break;
        }
        case RecordType.Samples: {
          samples.reset();
          kept.reset();
          const n = decodeSamples(rec, samples);
          // Samples of one series tend to be adjacent: remember the last keep() answer.
          let lastRef = -1;
          let lastKeep = false;
          for (let i = 0; i < n; i++) {
            if (samples.ts[i]! < mint) continue;
            const ref = samples.refs[i]!;
            if (ref !== lastRef) {
              lastRef = ref;
              lastKeep = keep(ref);
            }
            if (lastKeep) kept.pushFrom(samples, i);
          }
          stats.totalSamples += n;
          stats.droppedSamples += n - kept.length;
          if (kept.length > 0) recs.push(encodeSamples(kept, 0, kept.length, enc));
          break;
        }
        case RecordType.Tombstones: {
          stones.length = 0;
          decodeTombstones(rec, stones);
          const repl = stones.filter((s) => s.maxt >= mint && keep(s.ref));
          stats.totalTombstones += stones.length;
          stats.droppedTombstones += stones.length - repl.length;
          if (repl.length > 0) recs.push(encodeTombstones(repl, enc));
          break;
        }
        case RecordType.HistogramSamples:
        case RecordType.FloatHistogramSamples:
        case RecordType.CustomBucketsHistogramSamples:
        case RecordType.CustomBucketsFloatHistogramSamples: {
          const n = decodeHistogramSamples(rec, histograms);
          keptHistograms.length = 0;
          for (let i = 0; i < n; i++) {
            const h = histograms[i]!;
            if (h.t >= mint && keep(h.ref)) keptHistograms.push(h);
          }
          stats.totalSamples += n;
          stats.droppedSamples += n - keptHistograms.length;
          if (keptHistograms.length > 0) recs.push(...encodeHistogramSamples(keptHistograms, isFloatHistogramRecord(rec[0]!), enc));
          break;
        }
        case 0:
          stats.droppedRecords++;
          break;
      }
      if (enc.len >= FLUSH_BYTES) {
        await cp.log(...recs);
        recs.length = 0;
        enc.reset();
        await new Promise<void>((resolve) => setImmediate(resolve)); // let the process ingest meanwhile
      }
    }
    if (recs.length > 0) await cp.log(...recs);
    await cp.close();
    cp = undefined;
    syncDir(tmp);
    renameSync(tmp, cpdir);
    syncDir(dir);
  } catch (err) {
    reader.close();
    await cp?.close().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  deleteCheckpoints(dir, to);
  logger.info({ dir: cpdir, ...stats }, 'WAL checkpoint created');
  return { dir: cpdir, stats };
}

/** Deletes the checkpoints in `walDir` with index < `maxIndex`. */
export function deleteCheckpoints(walDir: string, maxIndex: number): void {
  for (const cp of listCheckpoints(walDir)) {
    if (cp.index >= maxIndex) break;
    rmSync(cp.dir, { recursive: true, force: true });
  }
}
