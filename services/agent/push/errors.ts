// Why a push was refused: a stable reason (the `reason` label of the invalid-push counter) and
// the HTTP status, mapped here once.
export const PushErrorReason = {
  InvalidGroupingKey: 'invalid_grouping_key',
  MissingJob: 'missing_job',
  ParseError: 'parse_error',
  Timestamp: 'timestamp',
  InvalidMetricName: 'invalid_metric_name',
  InvalidLabelName: 'invalid_label_name',
  DuplicateSeries: 'duplicate_series',
  TypeConflict: 'type_conflict',
  TooManyGroups: 'too_many_groups',
  BodyTooLarge: 'body_too_large',
  UnsupportedEncoding: 'unsupported_encoding',
  Stopped: 'stopped',
} as const;
export type PushErrorReason = (typeof PushErrorReason)[keyof typeof PushErrorReason];

export class PushError extends Error {
  override readonly name = 'PushError';
  readonly code = 'push_error';

  constructor(
    readonly reason: PushErrorReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** The HTTP status: 4xx for the pusher's mistakes, 503 while the agent stops. */
  get status(): number {
    switch (this.reason) {
      case PushErrorReason.BodyTooLarge:
        return 413;
      case PushErrorReason.UnsupportedEncoding:
        return 415;
      case PushErrorReason.Stopped:
        return 503;
      default:
        return 400;
    }
  }

  /**
   * Whether the Pushgateway records this failure in the group's push_failure_time_seconds: it
   * does for pushes that parsed but were refused (timestamps, inconsistencies), not for bad URLs
   * or bodies (invalid names are a parse error there).
   */
  get countsAsGroupFailure(): boolean {
    return this.reason === PushErrorReason.Timestamp || this.reason === PushErrorReason.DuplicateSeries
      || this.reason === PushErrorReason.TypeConflict;
  }
}
