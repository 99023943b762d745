// API errors: Prometheus' error types and the one place that maps them to HTTP status codes
// (web/api/v1 getDefaultErrorCode), plus the classification of errors a query raises.

import { assertNever } from '../../libs/services/index.ts';

export const ErrorType = {
  Timeout: 'timeout',
  Canceled: 'canceled',
  Execution: 'execution',
  BadData: 'bad_data',
  Internal: 'internal',
  Unavailable: 'unavailable',
  NotFound: 'not_found',
  NotAcceptable: 'not_acceptable',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

const ERROR_TYPES = new Set<string>(Object.values(ErrorType));

/** Prometheus' non-standard status for a client that went away while its request was served (nginx's). */
export const STATUS_CLIENT_CLOSED_REQUEST = 499;

/** Prometheus 3.14's mapping; `unavailable` has no entry there and falls to 500 like unknown types. */
export function statusCodeFor(type: ErrorType): number {
  switch (type) {
    case ErrorType.BadData:
      return 400;
    case ErrorType.Execution:
      return 422;
    case ErrorType.Canceled:
      return STATUS_CLIENT_CLOSED_REQUEST;
    case ErrorType.Timeout:
      return 503;
    case ErrorType.Internal:
      return 500;
    case ErrorType.NotFound:
      return 404;
    case ErrorType.NotAcceptable:
      return 406;
    case ErrorType.Unavailable:
      return 500;
    default:
      return assertNever(type);
  }
}

/** An error answered as `{"status":"error","errorType":…,"error":…}`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly type: ErrorType,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Prometheus' invalidParamError: `invalid parameter "<name>": <cause>`. */
  static invalidParam(name: string, cause: unknown): ApiError {
    return new ApiError(ErrorType.BadData, `invalid parameter ${JSON.stringify(name)}: ${messageOf(cause)}`, { cause });
  }

  static badData(cause: unknown): ApiError {
    return new ApiError(ErrorType.BadData, messageOf(cause), { cause });
  }
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Prometheus' returnAPIError for an error raised while a query or a storage read ran: the
 * engine's own type when it has one (PromQLError.type), canceled/timeout for an aborted signal,
 * execution otherwise.
 */
export function classifyError(e: unknown, signal?: AbortSignal): ApiError {
  if (e instanceof ApiError) return e;
  const type = (e as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && ERROR_TYPES.has(type)) return new ApiError(type as ErrorType, messageOf(e), { cause: e });
  const name = (e as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return new ApiError(ErrorType.Timeout, 'query timed out in expression evaluation', { cause: e });
  if (name === 'AbortError' || signal?.aborted) {
    const timedOut = (signal?.reason as { name?: unknown } | undefined)?.name === 'TimeoutError';
    return timedOut
      ? new ApiError(ErrorType.Timeout, 'query timed out in expression evaluation', { cause: e })
      : new ApiError(ErrorType.Canceled, 'context canceled', { cause: e });
  }
  return new ApiError(ErrorType.Execution, messageOf(e), { cause: e });
}
