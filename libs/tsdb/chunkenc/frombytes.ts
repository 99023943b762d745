// Turns an encoding byte and encoded data (as read from a segment file) into a Chunk.

import { Encoding, UnsupportedEncodingError } from './chunk.ts';
import type { Chunk } from './chunk.ts';
import { XORChunk } from './xor.ts';
import { HistogramChunk } from './histogram.ts';
import { FloatHistogramChunk } from './float_histogram.ts';

/** Wraps `bytes` (no copy) as a chunk of the given encoding; throws UnsupportedEncodingError otherwise. */
export function chunkFromBytes(encoding: number, bytes: Uint8Array): Chunk {
  switch (encoding) {
    case Encoding.XOR:
      return new XORChunk(bytes);
    case Encoding.Histogram:
      return new HistogramChunk(bytes);
    case Encoding.FloatHistogram:
      return new FloatHistogramChunk(bytes);
    default:
      throw new UnsupportedEncodingError(encoding);
  }
}
