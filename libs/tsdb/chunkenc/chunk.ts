// The chunk contract shared by every sample encoding (Prometheus tsdb/chunkenc/chunk.go), and the
// encoding identifiers as they appear on disk in block segment files and head chunk files.

import type { SampleIterator } from '../../storage/index.ts';

/** Chunk encoding byte, with Prometheus' numbering (XOR2 and the ST variants are not implemented). */
export const Encoding = {
  None: 0,
  XOR: 1,
  Histogram: 2,
  FloatHistogram: 3,
} as const;
export type Encoding = (typeof Encoding)[keyof typeof Encoding];

const ENCODING_NAMES = ['none', 'XOR', 'histogram', 'floathistogram', 'XOR2', 'histogramST', 'floathistogramST'];

/** Prometheus' name of an encoding byte (also the newer ones we cannot decode), for tools and errors. */
export function encodingName(e: number): string {
  return ENCODING_NAMES[e] ?? '<unknown>';
}

/**
 * A compressed run of samples of one series.
 * `bytes()` is the exact encoded data (a view: valid until the next append, never to be mutated).
 */
export interface Chunk {
  readonly encoding: Encoding;
  bytes(): Uint8Array;
  numSamples(): number;
  /**
   * An iterator over the samples present now (later appends are not seen). `reuse`, if it is an
   * iterator of the same encoding, is reset and returned instead of allocating a new one.
   */
  iterator(reuse?: SampleIterator): SampleIterator;
}

/**
 * Appends samples to a chunk. The caller keeps timestamps in order and cuts a new chunk in time
 * (a chunk holds at most 65535 samples; `append` throws beyond that).
 */
export interface ChunkAppender {
  append(t: number, v: number): void;
}

/** Raised for chunk data that cannot be decoded (also reported through iterators' `err()`). */
export class ChunkCorruptError extends Error {
  readonly code = 'chunk_corrupt';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChunkCorruptError';
  }
}

/** Raised for an encoding byte this build cannot decode. */
export class UnsupportedEncodingError extends Error {
  readonly code = 'chunk_encoding_unsupported';
  constructor(readonly encodingByte: number) {
    super(`unsupported chunk encoding ${encodingByte} (${encodingName(encodingByte)})`);
    this.name = 'UnsupportedEncodingError';
  }
}
