// What the ring needs from a KV store. libs/kv's clients (memory, NATS JetStream) provide it; the
// ring depends only on this much.
import type { RingDesc } from './desc.ts';

export interface RingKV {
  /** The ring document, or null when there is none. */
  get(key: string): Promise<RingDesc | null>;
  /**
   * Compare-and-swap: `f` gets the current document (null if none) and returns the new one, or
   * null to change nothing. Retried with the fresh value on a concurrent update.
   */
  cas(key: string, f: (current: RingDesc | null) => RingDesc | null): Promise<void>;
  /** The document now and after every change, until `signal` aborts. */
  watchKey(key: string, signal: AbortSignal): AsyncIterable<RingDesc | null>;
}
