// Codecs for KV values: JSON (what the rings store) and helpers that turn codec failures into KVErrors.
import type { Logger } from '../log/index.ts';
import type { Codec } from './interface.ts';
import { KVError, KVErrorCode, errorMessage } from './errors.ts';

/**
 * UTF-8 JSON. `parse` checks the decoded value (a zod schema's parse fits) so that a reader never
 * sees a value of the wrong shape; without it the value is trusted to be a T.
 */
export function jsonCodec<T>(parse: (value: unknown) => T = (value) => value as T): Codec<T> {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return {
    encode(value: T): Uint8Array {
      const text = JSON.stringify(value) as string | undefined;
      // null would read back as "no value"; undefined and functions have no JSON form at all.
      if (text === undefined || text === 'null') throw new TypeError('a KV value must not be null or undefined');
      return encoder.encode(text);
    },
    decode(bytes: Uint8Array): T {
      return parse(JSON.parse(decoder.decode(bytes)));
    },
  };
}

export function encodeValue<T>(codec: Codec<T>, key: string, value: T): Uint8Array {
  try {
    return codec.encode(value);
  } catch (err) {
    throw new KVError(KVErrorCode.Codec, `kv: cannot encode the value of "${key}": ${errorMessage(err)}`, { cause: err });
  }
}

export function decodeValue<T>(codec: Codec<T>, key: string, bytes: Uint8Array): T {
  try {
    return codec.decode(bytes);
  } catch (err) {
    throw new KVError(KVErrorCode.Codec, `kv: cannot decode the value of "${key}": ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * A watched value, or undefined when it cannot be decoded: as in dskit, such a value is logged
 * and skipped rather than ending the watch (a writer with another codec must not stop a ring).
 */
export function decodeForWatch<T>(codec: Codec<T>, logger: Logger, key: string, bytes: Uint8Array | null): T | null | undefined {
  if (bytes === null) return null;
  try {
    return codec.decode(bytes);
  } catch (err) {
    logger.error({ err, key }, 'kv watch: skipping a value that cannot be decoded');
    return undefined;
  }
}
