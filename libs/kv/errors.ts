// The one error type of KV clients: a stable code, a category for the status mapping, and the cause.

export const KVErrorCode = {
  /** The store cannot be reached, or the client is not running. Retry later. */
  Unavailable: 'kv_unavailable',
  /** cas gave up: other writers kept changing the key. Retry later. */
  CasConflict: 'kv_cas_conflict',
  /** A value could not be encoded or decoded. */
  Codec: 'kv_codec',
  /** An empty key. */
  InvalidKey: 'kv_invalid_key',
} as const;
export type KVErrorCode = (typeof KVErrorCode)[keyof typeof KVErrorCode];

const CATEGORY = {
  kv_unavailable: 'unavailable',
  kv_cas_conflict: 'unavailable',
  kv_codec: 'internal',
  kv_invalid_key: 'internal',
} as const satisfies Record<KVErrorCode, string>;

export class KVError extends Error {
  override readonly name = 'KVError';
  readonly category: (typeof CATEGORY)[KVErrorCode];

  constructor(
    readonly code: KVErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.category = CATEGORY[code];
  }
}

export function checkKey(key: string): void {
  if (typeof key !== 'string' || key === '') throw new KVError(KVErrorCode.InvalidKey, 'kv: key must be a non-empty string');
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
