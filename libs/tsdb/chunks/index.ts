// Public face of libs/tsdb/chunks: block chunk segment files (Prometheus tsdb/chunks, format v1).
export {
  ChunkWriter, ChunkReader, ChunkRefError, scanSegment, scanSegmentFile, listSegmentFiles, segmentFileName,
  newBlockChunkRef, unpackBlockChunkRef, checkSegmentHeader,
  MAGIC_CHUNKS, CHUNKS_FORMAT_V1, SEGMENT_HEADER_SIZE, DEFAULT_CHUNK_SEGMENT_SIZE,
} from './chunks.ts';
export type { ChunkMeta, SegmentChunk } from './chunks.ts';
