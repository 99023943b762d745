// `strata tool block analyze DIR`: what a block holds and how compactly: series, samples, chunks,
// label cardinality, and bytes per sample.

import { stat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { formatDuration } from '../../../../libs/services/index.ts';
import type { Block } from '../../../../libs/tsdb/index.ts';

export interface BlockAnalysis {
  ulid: string;
  minTime: number;
  maxTime: number;
  series: number;
  samples: number;
  chunks: number;
  labelNames: number;
  postings: number;
  postingsEntries: number;
  chunkBytes: number;
  indexBytes: number;
  bytesPerSample: number;
  labelCardinality: [name: string, values: number][];
  metricCardinality: [name: string, series: number][];
  commonPairs: [pair: string, series: number][];
}

export async function analyzeBlock(block: Block): Promise<BlockAnalysis> {
  const ix = block.index;
  const names = ix.labelNames();
  let postings = 0;
  let postingsEntries = 0;
  const labelCardinality: [string, number][] = [];
  const commonPairs: [string, number][] = [];
  for (const name of names) {
    const values = ix.labelValues(name);
    labelCardinality.push([name, values.length]);
    postings += values.length;
    for (const v of values) {
      const n = ix.postings(name, [v]).length;
      postingsEntries += n;
      commonPairs.push([`${name}=${v}`, n]);
    }
  }
  const metricCardinality: [string, number][] = ix.labelValues('__name__').map((m) => [m, ix.postings('__name__', [m]).length]);
  let chunks = 0;
  const all = ix.allPostings();
  for (let i = 0; i < all.length; i++) chunks += ix.series(all[i]!).chunks.length;
  const chunkDir = join(block.dir, 'chunks');
  let chunkBytes = 0;
  for (const f of await readdir(chunkDir)) chunkBytes += (await stat(join(chunkDir, f))).size;
  const indexBytes = (await stat(join(block.dir, 'index'))).size;
  const samples = block.meta.stats.numSamples;
  const top = <T extends [string, number]>(a: T[]) => a.sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, 20);
  return {
    ulid: block.meta.ulid,
    minTime: block.meta.minTime,
    maxTime: block.meta.maxTime,
    series: all.length,
    samples,
    chunks,
    labelNames: names.length,
    postings,
    postingsEntries,
    chunkBytes,
    indexBytes,
    bytesPerSample: samples > 0 ? (chunkBytes + indexBytes) / samples : 0,
    labelCardinality: top(labelCardinality),
    metricCardinality: top(metricCardinality),
    commonPairs: top(commonPairs),
  };
}

export function formatAnalysis(a: BlockAnalysis): string {
  const lines = [
    `Block ID: ${a.ulid}`,
    `Duration: ${formatDuration(a.maxTime - a.minTime)}`,
    `Time range: ${new Date(a.minTime).toISOString()} – ${new Date(a.maxTime).toISOString()}`,
    `Series: ${a.series}`,
    `Samples: ${a.samples}`,
    `Chunks: ${a.chunks}`,
    `Samples per chunk: ${a.chunks > 0 ? (a.samples / a.chunks).toFixed(1) : '0'}`,
    `Label names: ${a.labelNames}`,
    `Postings (unique label pairs): ${a.postings}`,
    `Postings entries (total label pairs): ${a.postingsEntries}`,
    `Chunk bytes: ${a.chunkBytes}`,
    `Index bytes: ${a.indexBytes}`,
    `Bytes per sample (chunks + index): ${a.bytesPerSample.toFixed(3)}`,
    `Bytes per sample (chunks only): ${a.samples > 0 ? (a.chunkBytes / a.samples).toFixed(3) : '0'}`,
    '',
    'Highest cardinality labels:',
    ...a.labelCardinality.map(([n, c]) => `${c} ${n}`),
    '',
    'Highest cardinality metric names:',
    ...a.metricCardinality.map(([n, c]) => `${c} ${n}`),
    '',
    'Most common label pairs:',
    ...a.commonPairs.map(([n, c]) => `${c} ${n}`),
  ];
  return lines.join('\n') + '\n';
}
