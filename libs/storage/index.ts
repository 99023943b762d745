// Public face of libs/storage: the contracts between data sources and their readers, and merging.
export { ValueType } from './interface.ts';
export type {
  SampleIterator, Series, SeriesSet, SelectHints, QueryOptions, Querier, Queryable, SeriesRef, Appender, Appendable,
} from './interface.ts';
export { ListSampleIterator, ListSeries, ListSeriesSet, EMPTY_SERIES_SET, collectSamples } from './series.ts';
export type { CollectedSamples } from './series.ts';
export { mergeSeriesSets, MergedSeries, MergedSampleIterator } from './merge.ts';
export {
  AppendError, AppendErrorCode, errOutOfOrderSample, errOutOfBounds, errDuplicateSampleForTimestamp, errTooOldSample,
} from './errors.ts';
