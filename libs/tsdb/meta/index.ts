// Public face of libs/tsdb/meta: a block's meta.json (Prometheus + Thanos section) and ULIDs.
export { readMeta, writeMeta, parseMeta, encodeMeta, MetaError, META_FILENAME, META_VERSION_1 } from './meta.ts';
export type { BlockMeta, BlockStats, BlockDesc, BlockMetaCompaction, ThanosMeta, ThanosFile } from './meta.ts';
export { newULID, ulidTime, isULID } from './ulid.ts';
