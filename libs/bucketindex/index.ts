// Public face of libs/bucketindex: a tenant's block list and deletion marks in its bucket
// (Mimir's bucket-index.json.gz and markers), shared by the compactor, store-gateways and queriers.
export type { IndexBucket } from './bucket.ts';
export {
  BUCKET_INDEX_FILE, decodeBucketIndex, encodeBucketIndex, indexBlockOf, readBucketIndex, updateBucketIndex, writeBucketIndex,
} from './bucket_index.ts';
export type { BucketIndex, IndexBlock, IndexDeletionMark, NotFound, UpdatedIndex } from './bucket_index.ts';
export {
  DELETION_MARK_FILE, MARKERS_DIR, deletionMarkPath, globalDeletionMarkPath, parseDeletionMark, ulidOfGlobalDeletionMark,
} from './markers.ts';
export type { DeletionMark } from './markers.ts';
