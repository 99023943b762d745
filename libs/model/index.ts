// Public face of libs/model: labels, matchers and sample values.
export { Labels, LabelsBuilder, METRIC_NAME, compareLabels, compareStrings } from './labels.ts';
export type { Label } from './labels.ts';
export { STALE_NAN, STALE_NAN_BITS, isStaleNaN, float64Bits, float64FromBits, sameFloatBits } from './value.ts';
export { Matcher, MatchType } from './matcher.ts';
