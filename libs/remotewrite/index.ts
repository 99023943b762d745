// Public face of libs/remotewrite: the remote-write 1.0 wire codec (snappy block format and a
// hand-written prometheus.WriteRequest decoder and encoder). See README.md.
export {
  RemoteWriteError,
  RemoteWriteErrorCategory,
  RemoteWriteErrorCode,
  SnappyError,
  ProtoDecodeError,
} from './errors.ts';
export {
  DEFAULT_MAX_DECODED_BYTES,
  snappyDecode,
  snappyDecodedLength,
  snappyEncode,
  snappyMaxEncodedLength,
} from './snappy.ts';
export type { SnappyDecodeOptions } from './snappy.ts';
export {
  DecodedWriteRequest,
  HistogramFlag,
  HistogramPart,
  MetricType,
  ResetHint,
  SeriesFlag,
  WriteRequestDecoder,
} from './decode.ts';
export type { DecodedHistogram, SeriesLabels, WriteRequestDecoderOptions } from './decode.ts';
export { WriteRequestEncoder, encodeLabels, encodeWriteRequest } from './encode.ts';
export { modelHistogram } from './histogram.ts';
export type {
  BucketSpanInput,
  ExemplarInput,
  HistogramInput,
  MetadataInput,
  SampleInput,
  TimeSeriesInput,
  WriteRequestInput,
} from './encode.ts';
