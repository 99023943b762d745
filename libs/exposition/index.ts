// Public face of libs/exposition: parsers for the OpenMetrics 1.0 and Prometheus 0.0.4 text formats.
export { EntryType, ExpositionParser, ParseError } from './parser.ts';
export type { ExpositionFormat, Exemplar, MetricType, ParserOptions } from './parser.ts';
export { readOpenMetricsSamples } from './backfill.ts';
export type { OpenMetricsSummary } from './backfill.ts';
export { NORMAL_NAN, formatGoFloat, formatOpenMetricsFloat } from './float.ts';
