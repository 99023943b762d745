// Series with their chunks as stored (Prometheus' ChunkQuerier) across a DB's blocks and head:
// what an ingester streams to queriers, which decode the chunks themselves. Chunks are whole
// (not cut to the range), so they travel without being re-encoded.

import { compareLabels, type Matcher } from '../model/index.ts';
import { chunkSeriesFromSeriesSet, type Block, type ChunkSeriesEntry } from './block.ts';
import type { TimedChunk } from './chunk_series.ts';
import type { DB } from './db.ts';
import type { MemSeries } from './head/series.ts';
import { postingsForMatchers } from './postings_for_matchers.ts';

/**
 * The series matching all matchers with a chunk overlapping [mint, maxt] (inclusive), sorted by
 * labels, each once; its chunks from every block and the head, ordered by minTime. The head's
 * open chunk is a snapshot. With `seriesOnly` every entry has no chunks. Blocks with tombstones
 * are read through their querier and re-encoded, so deleted samples stay deleted.
 */
export async function* selectChunkSeries(
  db: DB,
  mint: number,
  maxt: number,
  matchers: readonly Matcher[],
  seriesOnly = false,
): AsyncGenerator<ChunkSeriesEntry> {
  const sources: AsyncIterator<ChunkSeriesEntry>[] = [];
  for (const b of db.blocks()) {
    if (!b.overlaps(mint, maxt)) continue;
    sources.push(b.hasTombstones() ? chunkSeriesFromSeriesSet(b.querier(mint, maxt).select(true, undefined, matchers))[Symbol.asyncIterator]() : blockSource(b, mint, maxt, matchers));
  }
  const head = db.head;
  if (!head.isEmpty() && maxt >= head.minTime && mint <= head.maxTime) sources.push(headSource(db, mint, maxt, matchers));

  const heads = await Promise.all(sources.map(async (s) => (await s.next()).value as ChunkSeriesEntry | undefined));
  for (;;) {
    let min: ChunkSeriesEntry | undefined;
    for (const h of heads) if (h && (!min || compareLabels(h.labels, min.labels) < 0)) min = h;
    if (!min) return;
    const chunks: TimedChunk[] = [];
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h && compareLabels(h.labels, min.labels) === 0) {
        chunks.push(...h.chunks);
        heads[i] = (await sources[i]!.next()).value as ChunkSeriesEntry | undefined;
      }
    }
    if (!seriesOnly) chunks.sort((a, b) => a.minTime - b.minTime);
    yield { labels: min.labels, chunks: seriesOnly ? [] : chunks };
  }
}

// Block series refs follow label order, so postings come sorted.
async function* blockSource(b: Block, mint: number, maxt: number, matchers: readonly Matcher[]): AsyncGenerator<ChunkSeriesEntry> {
  const refs = postingsForMatchers(b.index, matchers);
  for (let i = 0; i < refs.length; i++) {
    const { labels, chunks } = b.index.series(refs[i]!);
    const timed: TimedChunk[] = [];
    for (const c of chunks) {
      if (c.maxTime < mint || c.minTime > maxt) continue;
      timed.push({ chunk: b.chunkReader.chunk(c.ref), minTime: c.minTime, maxTime: c.maxTime });
    }
    if (timed.length > 0) yield { labels, chunks: timed };
  }
}

async function* headSource(db: DB, mint: number, maxt: number, matchers: readonly Matcher[]): AsyncGenerator<ChunkSeriesEntry> {
  const refs = postingsForMatchers(db.head, matchers);
  const matched: MemSeries[] = [];
  for (let i = 0; i < refs.length; i++) {
    const s = db.head.series(refs[i]!);
    if (s !== undefined) matched.push(s);
  }
  matched.sort((a, b) => compareLabels(a.labels, b.labels));
  for (const s of matched) {
    const chunks = s.chunks(mint, maxt);
    if (chunks.length > 0) yield { labels: s.labels, chunks };
  }
}
