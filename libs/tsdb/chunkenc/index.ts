// Public face of libs/tsdb/chunkenc: chunk encodings (Prometheus tsdb/chunkenc). XOR floats so far.
export { Encoding, encodingName, ChunkCorruptError, UnsupportedEncodingError } from './chunk.ts';
export type { Chunk, ChunkAppender } from './chunk.ts';
export { XORChunk, XORIterator } from './xor.ts';
export { chunkFromBytes } from './frombytes.ts';
