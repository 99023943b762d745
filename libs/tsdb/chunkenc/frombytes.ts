// Turns an encoding byte and encoded data (as read from a segment file) into a Chunk.

import { Encoding, UnsupportedEncodingError } from './chunk.ts';
import type { Chunk } from './chunk.ts';
import { XORChunk } from './xor.ts';

/** Wraps `bytes` (no copy) as a chunk of the given encoding; throws UnsupportedEncodingError otherwise. */
export function chunkFromBytes(encoding: number, bytes: Uint8Array): Chunk {
  switch (encoding) {
    case Encoding.XOR:
      return new XORChunk(bytes);
    default:
      throw new UnsupportedEncodingError(encoding);
  }
}
