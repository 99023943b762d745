// Public face of the write-ahead log: records, the segmented WAL, readers, checkpoints.
export {
  RecordType,
  recordType,
  SampleBatch,
  encodeSeries,
  decodeSeries,
  encodeSamples,
  encodeSamplesRecord,
  decodeSamples,
  encodeTombstones,
  decodeTombstones,
} from './records.ts';
export type { RefSeries, Tombstone } from './records.ts';
export { HistogramRecordType, encodeHistogramSamples, decodeHistogramSamples, isFloatHistogramRecord } from './histogram_records.ts';
export type { RefHistogramSample } from './histogram_records.ts';
export { WAL } from './wal.ts';
export type { FsyncPolicy, WALOptions } from './wal.ts';
export { WALReader, readRecords, replayRecords, segmentRange } from './reader.ts';
export { checkpoint, deleteCheckpoints } from './checkpoint.ts';
export type { CheckpointStats } from './checkpoint.ts';
export {
  PAGE_SIZE,
  DEFAULT_SEGMENT_SIZE,
  CorruptionError,
  UnsupportedRecordError,
  lastCheckpoint,
  listSegments,
  segmentName,
} from './segments.ts';
export type { SegmentRef } from './segments.ts';
