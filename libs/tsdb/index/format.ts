// Constants and shared types of the Prometheus block index, format v2 (see FORMAT.md).

export const MAGIC_INDEX = 0xbaaad700;
export const INDEX_FORMAT_V1 = 1;
export const INDEX_FORMAT_V2 = 2;
export const INDEX_HEADER_LEN = 5;
/** Series entries are 16-byte aligned; a series ref is its offset / 16. */
export const SERIES_BYTE_ALIGN = 16;
/** Six 8-byte section offsets and a CRC32C. */
export const INDEX_TOC_LEN = 6 * 8 + 4;

/**
 * What the index stores per chunk: its time range and its reference into the block's
 * segment files (segment sequence << 32 | byte offset). Structurally identical to
 * `ChunkMeta` of libs/tsdb/chunks without the chunk itself.
 */
export interface IndexChunkMeta {
  ref: number;
  minTime: number;
  maxTime: number;
}

/** Table of contents: where each section starts (0 = absent). */
export interface TOC {
  symbols: number;
  series: number;
  labelIndices: number;
  labelIndicesTable: number;
  postings: number;
  postingsTable: number;
}

export const IndexErrorCode = {
  /** The bytes are not a valid index (bad magic, truncated, a checksum mismatch, a bad offset). */
  Corrupted: 'corrupted',
  /** A valid index in a format version we do not read. */
  UnsupportedVersion: 'unsupported_version',
  /** The writer was used out of order or given invalid input. */
  InvalidInput: 'invalid_input',
} as const;
export type IndexErrorCode = (typeof IndexErrorCode)[keyof typeof IndexErrorCode];

export class IndexError extends Error {
  override readonly name = 'IndexError';

  constructor(
    readonly code: IndexErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
