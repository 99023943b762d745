// The ring as stored in the KV store: one JSON document per ring (key "ring" under the ring's
// prefix, e.g. "collectors/ingester"), holding every instance with its tokens, state and last
// heartbeat. Field names follow dskit's ring.Desc, in snake_case JSON.

export const InstanceState = {
  /** Registered, tokens not yet owned: receives no writes. */
  Joining: 'JOINING',
  Active: 'ACTIVE',
  /** Shutting down: still answers reads, receives no new writes. */
  Leaving: 'LEAVING',
} as const;
export type InstanceState = (typeof InstanceState)[keyof typeof InstanceState];

export interface InstanceDesc {
  /** gRPC address, host:port. */
  addr: string;
  /** Availability zone; empty without zone awareness. */
  zone: string;
  state: InstanceState;
  /** Sorted, unique uint32 tokens. */
  tokens: number[];
  /** Last heartbeat, unix milliseconds. */
  heartbeat_timestamp: number;
  /** When the instance first registered, unix milliseconds. */
  registered_timestamp: number;
}

export interface RingDesc {
  instances: Record<string, InstanceDesc>;
}

export function emptyRing(): RingDesc {
  return { instances: {} };
}

/** A copy with `id` changed by `f` (removed when f returns undefined); the input is not modified. */
export function withInstance(desc: RingDesc | null, id: string, f: (cur: InstanceDesc | undefined) => InstanceDesc | undefined): RingDesc {
  const instances = { ...(desc?.instances ?? {}) };
  const next = f(instances[id]);
  if (next === undefined) delete instances[id];
  else instances[id] = next;
  return { instances };
}
