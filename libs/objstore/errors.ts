// The errors of buckets: a stable code, a category for the status mapping, and the cause.

export const ObjstoreErrorCode = {
  /** get, getRange, getStream or attributes of a missing object. */
  NotFound: 'object_not_found',
  /** A name or directory outside the rules of interface.ts, or an invalid prefix or tenant. */
  InvalidName: 'invalid_object_name',
  /** getRange with a negative or non-integer offset or length. */
  InvalidRange: 'invalid_range',
  /** The backend failed (I/O error, S3 error after retries, access denied, missing bucket). */
  Backend: 'objstore_backend',
} as const;
export type ObjstoreErrorCode = (typeof ObjstoreErrorCode)[keyof typeof ObjstoreErrorCode];

const CATEGORY = {
  object_not_found: 'not_found',
  invalid_object_name: 'internal',
  invalid_range: 'internal',
  objstore_backend: 'unavailable',
} as const satisfies Record<ObjstoreErrorCode, string>;

export class ObjstoreError extends Error {
  override readonly name: string = 'ObjstoreError';
  readonly category: (typeof CATEGORY)[ObjstoreErrorCode];

  constructor(
    readonly code: ObjstoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.category = CATEGORY[code];
  }
}

/** The one error every bucket throws for a missing object. */
export class ObjectNotFoundError extends ObjstoreError {
  override readonly name = 'ObjectNotFoundError';

  constructor(
    /** The name as the bucket that threw saw it (with any prefix). */
    readonly objectName: string,
    options?: { cause?: unknown },
  ) {
    super(ObjstoreErrorCode.NotFound, `object "${objectName}" not found`, options);
  }
}

export function isObjectNotFound(err: unknown): boolean {
  return err instanceof ObjstoreError && err.code === ObjstoreErrorCode.NotFound;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
