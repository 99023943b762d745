// `strata tool block create --from-openmetrics FILE --out DIR [--block-duration 2h]`: backfill,
// like `promtool tsdb create-blocks-from openmetrics`. One block per aligned block range holding
// data; each block's time range is that of its samples (maxTime exclusive).

import { readFile, mkdir } from 'node:fs/promises';
import { compareLabels, type Labels } from '../../../../libs/model/index.ts';
import { readOpenMetricsSamples, ParseError } from '../../../../libs/exposition/index.ts';
import { chunksFromSamples, writeBlock, type BlockMeta, type ChunkSeriesEntry } from '../../../../libs/tsdb/index.ts';

interface SeriesBuf {
  labels: Labels;
  ts: number[];
  vs: Float64Array;
  n: number;
  line: number;
}

export class BackfillError extends Error {}

export async function createBlocksFromOpenMetrics(file: string, outDir: string, blockDuration: number): Promise<BlockMeta[]> {
  const input = await readFile(file);
  const series = new Map<string, SeriesBuf>();
  let line = 0;
  try {
    readOpenMetricsSamples(input, (labels, t, v) => {
      line++;
      const key = labels.toFlat().join('\xff');
      let s = series.get(key);
      if (s === undefined) {
        s = { labels, ts: [], vs: new Float64Array(16), n: 0, line };
        series.set(key, s);
      }
      const last = s.n > 0 ? s.ts[s.n - 1]! : -Infinity;
      if (t <= last) {
        // Same rules as appending to a head: an identical repeat is dropped, anything else is an error.
        if (t === last && Object.is(s.vs[s.n - 1], v)) return;
        throw new BackfillError(`${t === last ? 'duplicate sample for timestamp' : 'out of order sample'}: series ${labels.toString()} at ${t}`);
      }
      if (s.n === s.vs.length) {
        const grown = new Float64Array(s.vs.length * 2);
        grown.set(s.vs);
        s.vs = grown;
      }
      s.vs[s.n++] = v;
      s.ts.push(t);
    });
  } catch (e) {
    if (e instanceof ParseError) throw new BackfillError(`${file}: ${e.message}`);
    throw e;
  }
  await mkdir(outDir, { recursive: true });
  const sorted = [...series.values()].sort((a, b) => compareLabels(a.labels, b.labels));
  // Which block ranges hold data.
  const ranges = new Set<number>();
  for (const s of sorted) for (const t of s.ts) ranges.add(Math.floor(t / blockDuration));
  const metas: BlockMeta[] = [];
  for (const r of [...ranges].sort((a, b) => a - b)) {
    const start = r * blockDuration;
    const end = start + blockDuration;
    const entries: ChunkSeriesEntry[] = [];
    let mint = Infinity;
    let maxt = -Infinity;
    for (const s of sorted) {
      const from = lowerBound(s.ts, start);
      const to = lowerBound(s.ts, end);
      if (from === to) continue;
      mint = Math.min(mint, s.ts[from]!);
      maxt = Math.max(maxt, s.ts[to - 1]!);
      entries.push({ labels: s.labels, chunks: chunksFromSamples(s.ts.slice(from, to), s.vs.subarray(from, to)) });
    }
    metas.push(await writeBlock(outDir, entries, { minTime: mint, maxTime: maxt + 1 }));
  }
  return metas;
}

function lowerBound(a: readonly number[], t: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
