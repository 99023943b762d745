// Public face of libs/tsdb/chunkenc: chunk encodings (Prometheus tsdb/chunkenc): XOR floats,
// integer histograms and float histograms.
export { Encoding, encodingName, ChunkCorruptError, UnsupportedEncodingError } from './chunk.ts';
export type { Chunk, ChunkAppender } from './chunk.ts';
export { XORChunk, XORIterator } from './xor.ts';
export { HistogramChunk, HistogramAppender, HistogramIterator } from './histogram.ts';
export { FloatHistogramChunk, FloatHistogramAppender, FloatHistogramIterator } from './float_histogram.ts';
export { HistogramAppenderBase, HistogramChunkBase } from './histogram_base.ts';
export type { HistogramChunkIterator } from './histogram_base.ts';
export { CounterResetHeader, counterResetHeaderOf } from './histogram_meta.ts';
export { chunkFromBytes } from './frombytes.ts';
