// The ring as stored in the KV store: one JSON document per ring (key "ring" under the ring's
// prefix, e.g. "collectors/ring"), holding every instance with its tokens, state and last
// heartbeat. Field names follow dskit's ring.Desc, in snake_case JSON.
import { z } from 'zod';

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

const instanceDescSchema = z.object({
  addr: z.string(),
  zone: z.string(),
  state: z.enum([InstanceState.Joining, InstanceState.Active, InstanceState.Leaving]),
  tokens: z.array(z.number().int().min(0).max(0xffffffff)),
  heartbeat_timestamp: z.number(),
  registered_timestamp: z.number(),
});

const ringDescSchema = z.object({ instances: z.record(z.string(), instanceDescSchema) });

/** Checks a decoded ring document (the KV codec's parse step): a malformed one is refused, not used. */
export function parseRingDesc(value: unknown): RingDesc {
  return ringDescSchema.parse(value) as RingDesc;
}
