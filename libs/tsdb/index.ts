// Public face of libs/tsdb: a Prometheus-compatible TSDB (chunks, head, WAL, blocks, DB).
export { DB, HOUR, MergeQuerier, headChunkSeries } from './db.ts';
export type { DBOptions } from './db.ts';
export { Head, TxnSamples } from './head/head.ts';
export type { HeadOptions, HeadStats, HeadLog, SeriesLimiter } from './head/head.ts';
export { Block, ChunkBuilder, blockFiles, writeBlock, chunksFromSamples, chunkSeriesFromSeriesSet, clampChunks } from './block.ts';
export type { ChunkSeriesEntry, WriteBlockOptions } from './block.ts';
export { ChunkSeries, ChunksIterator } from './chunk_series.ts';
export { selectChunkSeries } from './chunk_querier.ts';
export { compactBlocks } from './compact.ts';
export type { CompactOptions } from './compact.ts';
export type { TimedChunk } from './chunk_series.ts';
export { postingsForMatchers } from './postings_for_matchers.ts';
export type { PostingsIndex } from './postings_for_matchers.ts';
export {
  XORChunk, Encoding, chunkFromBytes, HistogramChunk, HistogramAppender, HistogramIterator, FloatHistogramChunk, FloatHistogramAppender,
  FloatHistogramIterator, CounterResetHeader, counterResetHeaderOf,
} from './chunkenc/index.ts';
export type { Chunk, ChunkAppender, HistogramAppenderBase, HistogramChunkBase } from './chunkenc/index.ts';
export { ChunkReader, ChunkWriter, ChunkRefError, scanSegmentFile, listSegmentFiles, segmentFileName, unpackBlockChunkRef, SEGMENT_HEADER_SIZE } from './chunks/index.ts';
export type { ChunkMeta } from './chunks/index.ts';
export { intersectPostings, mergePostings, withoutPostings } from './index/index.ts';
export { IndexReader, IndexWriter, IndexError, IndexErrorCode, MAGIC_INDEX, INDEX_FORMAT_V2, SERIES_BYTE_ALIGN, decodeSeries } from './index/index.ts';
export type { IndexChunkMeta, TOC } from './index/index.ts';
export { readMeta, writeMeta, newULID, ulidTime, isULID } from './meta/index.ts';
export type { BlockMeta, ThanosMeta } from './meta/index.ts';
export { readTombstones } from './tombstones/index.ts';
export { WAL } from './wal/index.ts';
export type { FsyncPolicy } from './wal/index.ts';
