// Compaction of blocks into one (Prometheus' LeveledCompactor.Compact, with Thanos' vertical
// compaction): the series of every source block are merged by labels and their samples by
// timestamp, so replicated blocks (the same samples from several ingesters) and overlapping
// blocks become one block holding each sample once. Chunks that are byte-identical across
// sources, the usual case for replicas, are kept as they are; other series are re-encoded.

import { compareLabels, newHistogram, type Labels } from '../model/index.ts';
import { MergedSampleIterator, ValueType } from '../storage/index.ts';
import { ChunkBuilder, chunkSeriesFromSeriesSet, writeBlock, type Block, type ChunkSeriesEntry } from './block.ts';
import type { TimedChunk } from './chunk_series.ts';
import type { BlockMeta, ThanosMeta } from './meta/index.ts';

export interface CompactOptions {
  /** The new block's `thanos` section (e.g. the sources' labels without the replica's). */
  readonly thanos?: ThanosMeta;
  readonly ulid?: string;
  readonly samplesPerChunk?: number;
}

/** One block's series in label order, with their chunks (tombstoned samples already removed). */
async function* seriesOf(b: Block): AsyncGenerator<ChunkSeriesEntry> {
  if (b.hasTombstones()) {
    yield* chunkSeriesFromSeriesSet(b.querier(b.meta.minTime, b.meta.maxTime - 1).select(true, undefined, []));
    return;
  }
  const refs = b.index.allPostings();
  for (let i = 0; i < refs.length; i++) {
    const { labels, chunks } = b.index.series(refs[i]!);
    yield { labels, chunks: chunks.map((c) => ({ chunk: b.chunkReader.chunk(c.ref), minTime: c.minTime, maxTime: c.maxTime })) };
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameChunks(a: readonly TimedChunk[], b: readonly TimedChunk[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.minTime !== y.minTime || x.maxTime !== y.maxTime || x.chunk.encoding !== y.chunk.encoding || !sameBytes(x.chunk.bytes(), y.chunk.bytes())) return false;
  }
  return true;
}

/** Whether a series' chunks are ordered and do not overlap (so they can be written as they are). */
function disjoint(chunks: readonly TimedChunk[]): boolean {
  for (let i = 1; i < chunks.length; i++) if (chunks[i]!.minTime <= chunks[i - 1]!.maxTime) return false;
  return true;
}

/** The samples of several chunk lists of one series, merged by timestamp (first wins), re-encoded. */
function mergeChunks(lists: readonly (readonly TimedChunk[])[], samplesPerChunk: number): TimedChunk[] {
  const its = lists.map((chunks) => new MergedSampleIterator(chunks.map((c) => c.chunk.iterator())));
  const merged = new MergedSampleIterator(its);
  const b = new ChunkBuilder(samplesPerChunk);
  const scratch = newHistogram();
  for (let vt = merged.next(); vt !== ValueType.None; vt = merged.next()) b.addFrom(merged, vt, scratch);
  const err = merged.err();
  if (err) throw err;
  return b.finish();
}

/** The merged series of all sources, in label order. */
async function* mergedSeries(blocks: readonly Block[], samplesPerChunk: number): AsyncGenerator<ChunkSeriesEntry> {
  const sources = blocks.map((b) => seriesOf(b));
  const heads = await Promise.all(sources.map(async (s) => (await s.next()).value as ChunkSeriesEntry | undefined));
  for (;;) {
    let min: Labels | undefined;
    for (const h of heads) if (h && (!min || compareLabels(h.labels, min) < 0)) min = h.labels;
    if (!min) return;
    const lists: (readonly TimedChunk[])[] = [];
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h && compareLabels(h.labels, min) === 0) {
        lists.push(h.chunks);
        heads[i] = (await sources[i]!.next()).value as ChunkSeriesEntry | undefined;
      }
    }
    const first = lists[0]!;
    if (lists.every((l) => sameChunks(l, first)) && disjoint(first)) {
      yield { labels: min, chunks: first };
      continue;
    }
    const all = lists.flat().sort((a, b) => a.minTime - b.minTime);
    // Sources that only sit next to each other in time need no re-encoding either.
    if (disjoint(all)) yield { labels: min, chunks: all };
    else yield { labels: min, chunks: mergeChunks(lists, samplesPerChunk) };
  }
}

/**
 * Writes one block into `parentDir` holding every sample of `blocks` once; resolves with its meta
 * (compaction level one above the highest source, sources and parents recorded). The sources are
 * not touched. Like writeBlock, the new block appears under its ULID only when complete.
 */
export async function compactBlocks(parentDir: string, blocks: readonly Block[], opts: CompactOptions = {}): Promise<BlockMeta> {
  if (blocks.length === 0) throw new Error('compactBlocks: no source blocks');
  const metas = blocks.map((b) => b.meta);
  const sources = [...new Set(metas.flatMap((m) => m.compaction.sources))].sort();
  return writeBlock(parentDir, mergedSeries(blocks, opts.samplesPerChunk ?? 120), {
    minTime: Math.min(...metas.map((m) => m.minTime)),
    maxTime: Math.max(...metas.map((m) => m.maxTime)),
    ...(opts.ulid ? { ulid: opts.ulid } : {}),
    ...(opts.thanos ? { thanos: opts.thanos } : {}),
    compactionLevel: Math.max(...metas.map((m) => m.compaction.level)) + 1,
    sources,
    parents: metas.map((m) => ({ ulid: m.ulid, minTime: m.minTime, maxTime: m.maxTime })),
  });
}
