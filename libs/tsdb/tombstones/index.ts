// Public face of libs/tsdb/tombstones: a block's deleted intervals per series.
export {
  readTombstones,
  writeTombstones,
  encodeTombstones,
  decodeTombstones,
  addInterval,
  TombstonesError,
  TOMBSTONES_FILENAME,
  MAGIC_TOMBSTONE,
} from './tombstones.ts';
export type { Interval, Tombstones } from './tombstones.ts';
