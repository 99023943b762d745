// Public face of libs/tsdb/index: the Prometheus block index (format v2) and postings operations.
export { IndexWriter } from './writer.ts';
export { IndexReader, decodeSeries } from './reader.ts';
export { intersectPostings, mergePostings, withoutPostings, seekPostings } from './postings.ts';
export { IndexError, IndexErrorCode, MAGIC_INDEX, INDEX_FORMAT_V2, SERIES_BYTE_ALIGN } from './format.ts';
export type { IndexChunkMeta, TOC } from './format.ts';
