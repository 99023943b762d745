// Public face of the PromQL engine: Engine/Query, values, annotations, errors and functions.
export { Engine } from './engine.ts';
export type { EngineOptions, Query, QueryOptions, QueryResult } from './engine.ts';
export {
  PromQLError, PromQLErrorType, QueryCanceledError, QueryTimeoutError, TooManySamplesError, StorageError,
} from './errors.ts';
export { Annotations, renderAnnotation, positionOf } from './annotations.ts';
export type { Annotation, AnnotationLevel } from './annotations.ts';
export { FUNCTION_CALLS } from './functions.ts';
export { formatFloatF, formatFloatG } from './format.ts';
export type {
  EvalNodeHelper, FPoint, FloatHistogram, FunctionCall, HPoint, Matrix, Sample, Scalar, Series, StringValue, Value, Vector,
} from './value.ts';
