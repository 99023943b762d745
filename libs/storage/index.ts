// Public face of libs/storage: the contracts between data sources and their readers.
export { ValueType } from './interface.ts';
export type {
  SampleIterator, Series, SeriesSet, SelectHints, QueryOptions, Querier, Queryable, SeriesRef, Appender, Appendable,
} from './interface.ts';
