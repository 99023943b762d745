// Query errors with a category that the HTTP API maps to Prometheus' errorType (bad_data,
// execution, timeout, canceled, internal, unavailable) and Prometheus' exact messages.

import type { Annotations } from './annotations.ts';

export const PromQLErrorType = {
  BadData: 'bad_data',
  Execution: 'execution',
  Timeout: 'timeout',
  Canceled: 'canceled',
  Internal: 'internal',
  Unavailable: 'unavailable',
} as const;
export type PromQLErrorType = (typeof PromQLErrorType)[keyof typeof PromQLErrorType];

export class PromQLError extends Error {
  /** Warnings and infos collected before the error (Prometheus returns them alongside it). */
  annotations?: Annotations;

  constructor(
    readonly type: PromQLErrorType,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PromQLError';
  }
}

/** ErrQueryTimeout: "query timed out in <where>". */
export class QueryTimeoutError extends PromQLError {
  constructor(where: string) {
    super(PromQLErrorType.Timeout, `query timed out in ${where}`);
    this.name = 'QueryTimeoutError';
  }
}

/** ErrQueryCanceled: "query was canceled in <where>". */
export class QueryCanceledError extends PromQLError {
  constructor(where: string) {
    super(PromQLErrorType.Canceled, `query was canceled in ${where}`);
    this.name = 'QueryCanceledError';
  }
}

/** ErrTooManySamples: the query would hold more than maxSamples samples at once. */
export class TooManySamplesError extends PromQLError {
  constructor(where: string) {
    super(PromQLErrorType.Execution, `query processing would load too many samples into memory in ${where}`);
    this.name = 'TooManySamplesError';
  }
}

/** ErrStorage: the storage layer failed (mapped to `internal`). */
export class StorageError extends PromQLError {
  constructor(cause: unknown) {
    super(PromQLErrorType.Internal, cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'StorageError';
  }
}

/** Where Prometheus reports most failures: the evaluation itself. */
export const ENV_QUERY_EXECUTION = 'query execution';
export const ENV_EXPRESSION_EVALUATION = 'expression evaluation';
