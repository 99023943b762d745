// Which blocks of a tenant to compact together (a simplified Thanos/Mimir planner). Blocks are
// grouped by their external labels (without the ingester's) and resolution; within a group:
// 1. vertical: blocks of the first range's window that overlap (the RF copies every ingester
//    ships) are merged once every one of them is older than the first-level wait period;
// 2. horizontal: for each larger range, the non-overlapping smaller blocks inside one window of
//    that range are merged once the window is over (the group has data after it).
import { ulidTime, type BlockMeta } from '../../libs/tsdb/index.ts';

/** Dropped from group keys and from compacted blocks: the RF copies differ only in it. */
export const INGESTER_ID_LABEL = '__ingester_id__';

export interface CompactionJob {
  /** Group key: resolution and external labels without the ingester id. */
  readonly group: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly resolution: number;
  /** Source blocks, by minTime. */
  readonly blocks: readonly BlockMeta[];
  /** The window of the range the job fills: [start, end). */
  readonly start: number;
  readonly end: number;
}

export interface PlanOptions {
  /** Block ranges in ms, ascending (Mimir's compactor.block_ranges, default 2h,12h,24h). */
  readonly ranges: readonly number[];
  /** Level-1 blocks younger than this (by ULID time) are left alone: their replicas may still be uploading. */
  readonly firstLevelWait: number;
  readonly now: number;
}

export function groupLabels(meta: BlockMeta): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta.thanos?.labels ?? {})) if (k !== INGESTER_ID_LABEL) out[k] = v;
  return out;
}

function groupKey(meta: BlockMeta): string {
  const labels = groupLabels(meta);
  const sorted = Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${meta.thanos?.downsample.resolution ?? 0}@{${sorted.join(',')}}`;
}

/** Connected runs of blocks that overlap each other (sorted by minTime). */
function overlapping(blocks: readonly BlockMeta[]): BlockMeta[][] {
  const sorted = [...blocks].sort((a, b) => a.minTime - b.minTime || a.maxTime - b.maxTime);
  const runs: BlockMeta[][] = [];
  let cur: BlockMeta[] = [];
  let curMax = -Infinity;
  for (const b of sorted) {
    if (cur.length > 0 && b.minTime >= curMax) {
      runs.push(cur);
      cur = [];
      curMax = -Infinity;
    }
    cur.push(b);
    curMax = Math.max(curMax, b.maxTime);
  }
  if (cur.length > 0) runs.push(cur);
  return runs.filter((r) => r.length > 1);
}

/**
 * The jobs for one pass; no block is in two jobs. Vertical jobs come first: a group with
 * overlapping blocks gets no horizontal job until they are merged.
 */
export function plan(metas: readonly BlockMeta[], opts: PlanOptions): CompactionJob[] {
  const groups = new Map<string, BlockMeta[]>();
  for (const m of metas) {
    const k = groupKey(m);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(m);
  }
  const jobs: CompactionJob[] = [];
  for (const [group, blocks] of groups) {
    const first = blocks[0]!;
    const job = (bs: BlockMeta[], start: number, end: number): CompactionJob => ({
      group,
      labels: groupLabels(first),
      resolution: first.thanos?.downsample.resolution ?? 0,
      blocks: bs,
      start,
      end,
    });
    const runs = overlapping(blocks);
    if (runs.length > 0) {
      for (const run of runs) {
        const fresh = run.some((b) => b.compaction.level === 1 && opts.now - ulidTime(b.ulid) < opts.firstLevelWait);
        if (!fresh) jobs.push(job(run, Math.min(...run.map((b) => b.minTime)), Math.max(...run.map((b) => b.maxTime))));
      }
      continue;
    }
    const newest = Math.max(...blocks.map((b) => b.maxTime));
    const used = new Set<string>();
    for (const range of opts.ranges.slice(1)) {
      const windows = new Map<number, BlockMeta[]>();
      for (const b of blocks) {
        if (used.has(b.ulid) || b.maxTime - b.minTime >= range) continue;
        const start = Math.floor(b.minTime / range) * range;
        if (b.maxTime > start + range) continue; // crosses the window: never merged at this range
        let w = windows.get(start);
        if (!w) windows.set(start, (w = []));
        w.push(b);
      }
      for (const [start, bs] of windows) {
        // An open window may still get blocks; merge once data after it exists.
        if (bs.length < 2 || newest <= start + range) continue;
        for (const b of bs) used.add(b.ulid);
        jobs.push(job(bs.sort((a, b) => a.minTime - b.minTime), start, start + range));
      }
    }
  }
  return jobs;
}
