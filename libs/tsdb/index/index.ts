// Public face of libs/tsdb/index: the Prometheus block index (format v2) and postings operations.
export { IndexWriter } from './writer.ts';
export { IndexReader } from './reader.ts';
export { intersectPostings, mergePostings, withoutPostings, seekPostings } from './postings.ts';
export { IndexError, IndexErrorCode, MAGIC_INDEX, INDEX_FORMAT_V2 } from './format.ts';
export type { IndexChunkMeta, TOC } from './format.ts';
