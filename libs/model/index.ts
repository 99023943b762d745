// Public face of libs/model: labels, matchers and sample values.
export { Labels, LabelsBuilder, METRIC_NAME, compareLabels, compareStrings } from './labels.ts';
export type { Label } from './labels.ts';
export { STALE_NAN, STALE_NAN_BITS, isStaleNaN, float64Bits, float64FromBits, sameFloatBits } from './value.ts';
export { Matcher, MatchType } from './matcher.ts';
export {
  CounterResetHint,
  COUNTER_RESET_HINT_BYTES,
  CUSTOM_BUCKETS_SCHEMA,
  EXPONENTIAL_SCHEMA_MAX,
  EXPONENTIAL_SCHEMA_MIN,
  MAX_HISTOGRAM_COUNT,
  bucketBound,
  copyHistogram,
  copySpans,
  countSpanBuckets,
  counterResetHintByte,
  customBoundsMatch,
  forEachBucket,
  histogramsEqual,
  isCustomBucketsSchema,
  isKnownSchema,
  isStaleHistogram,
  isValidSchema,
  newHistogram,
  reduceResolution,
  spansFromIndexes,
  spansMatch,
  staleHistogram,
  validateFloatHistogram,
  validateHistogram,
} from './histogram.ts';
export type { FloatHistogram, Histogram, Span } from './histogram.ts';
export { parseSeriesSelector, SelectorError } from './selector.ts';
export { goQuote, formatLabels } from './quote.ts';
export {
  FastRegexMatcher,
  RegexError,
  RegexErrorCode,
  RegexMatchKind,
  compileRegex,
  compileRegexWithCaptures,
  quoteMeta,
} from './regex.ts';
export {
  LabelsDiscardReason,
  NameValidationScheme,
  isValidLabelName,
  isValidLabelNameFor,
  isValidMetricName,
  isValidMetricNameFor,
  isValidUTF8,
  isValidUTF8Name,
  validateLabels,
  validateLabelsDetailed,
} from './validation.ts';
export type { LabelsValidationFailure, ValidateLabelsOptions } from './validation.ts';
