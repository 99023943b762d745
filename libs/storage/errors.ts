// Errors an Appender raises for one sample. Each has a stable code, used as the `reason` label
// of rejection counters and mapped to a 400 at the edge; the rest of the transaction stays usable.

export const AppendErrorCode = {
  OutOfOrderSample: 'out_of_order_sample',
  OutOfBounds: 'out_of_bounds',
  DuplicateSampleForTimestamp: 'duplicate_sample_for_timestamp',
  TooOldSample: 'too_old_sample',
  InvalidLabels: 'invalid_labels',
  /** A new series would exceed a tenant's series limit (set by the ingester; the message names it). */
  PerUserSeriesLimit: 'per_user_series_limit',
  PerMetricSeriesLimit: 'per_metric_series_limit',
  /** A native histogram failed validation (the message says how). */
  InvalidHistogram: 'invalid_histogram',
} as const;
export type AppendErrorCode = (typeof AppendErrorCode)[keyof typeof AppendErrorCode];

// Messages are Prometheus' (storage/interface.go), which clients and dashboards match on.
const MESSAGES: Record<AppendErrorCode, string> = {
  out_of_order_sample: 'out of order sample',
  out_of_bounds: 'out of bounds',
  duplicate_sample_for_timestamp: 'duplicate sample for timestamp',
  too_old_sample: 'too old sample',
  invalid_labels: 'invalid labels',
  per_user_series_limit: 'per-user series limit exceeded',
  per_metric_series_limit: 'per-metric series limit exceeded',
  invalid_histogram: 'invalid histogram',
};

export class AppendError extends Error {
  override readonly name = 'AppendError';

  /** `detail` replaces the standard message (used for label problems, which name the label). */
  constructor(
    readonly code: AppendErrorCode,
    detail?: string,
  ) {
    super(detail ?? MESSAGES[code]);
  }
}

// Errors carry no per-sample data, so one instance per code is thrown (no allocation in hot paths).
export const errOutOfOrderSample = new AppendError(AppendErrorCode.OutOfOrderSample);
export const errOutOfBounds = new AppendError(AppendErrorCode.OutOfBounds);
export const errDuplicateSampleForTimestamp = new AppendError(AppendErrorCode.DuplicateSampleForTimestamp);
export const errTooOldSample = new AppendError(AppendErrorCode.TooOldSample);
