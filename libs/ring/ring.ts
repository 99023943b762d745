// A read-only view of a ring at one moment (dskit's ring.Ring lookups): which instances hold a
// key, and which must answer a read. Built from a RingDesc; rebuilt whenever the desc changes.
import { InstanceState, type InstanceDesc, type RingDesc } from './desc.ts';

/** What the caller is about to do: writes go to ACTIVE instances only, reads also to LEAVING ones. */
export const Operation = {
  Write: 'write',
  Read: 'read',
} as const;
export type Operation = (typeof Operation)[keyof typeof Operation];

export interface Instance extends InstanceDesc {
  readonly id: string;
}

/**
 * The instances to call for one key or one read, and how many of them may fail: the operation
 * succeeds when at least `instances.length - maxErrors` succeed.
 */
export interface ReplicationSet {
  readonly instances: readonly Instance[];
  readonly maxErrors: number;
}

export class RingError extends Error {
  readonly code = 'too_many_unhealthy_instances';
  constructor(message: string) {
    super(message);
    this.name = 'RingError';
  }
}

export interface RingOptions {
  replicationFactor: number;
  /** An instance whose last heartbeat is older than this is unhealthy. */
  heartbeatTimeout: number;
  /** Spread each key's replicas over distinct zones. */
  zoneAwareness: boolean;
}

/** Quorum for `rf` replicas: floor(rf/2)+1. */
export function quorum(rf: number): number {
  return Math.floor(rf / 2) + 1;
}

export class ReadRing {
  private readonly instances: Instance[];
  // Every token of every instance, ascending, with the index of its owner in `instances`.
  private readonly tokens: Uint32Array;
  private readonly owners: Int32Array;
  private readonly zones: number;

  constructor(
    desc: RingDesc,
    private readonly opts: RingOptions,
  ) {
    this.instances = Object.entries(desc.instances)
      .map(([id, d]) => ({ ...d, id }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const pairs: [number, number][] = [];
    this.instances.forEach((inst, i) => {
      for (const t of inst.tokens) pairs.push([t, i]);
    });
    // Equal tokens (a collision between instances) are ordered by instance id, so every reader agrees.
    pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    this.tokens = Uint32Array.from(pairs, (p) => p[0]);
    this.owners = Int32Array.from(pairs, (p) => p[1]);
    this.zones = new Set(this.instances.map((i) => i.zone)).size;
  }

  replicationFactor(): number {
    return this.opts.replicationFactor;
  }

  instanceCount(): number {
    return this.instances.length;
  }

  allInstances(): readonly Instance[] {
    return this.instances;
  }

  isHealthy(inst: InstanceDesc, op: Operation, now: number): boolean {
    if (now - inst.heartbeat_timestamp > this.opts.heartbeatTimeout) return false;
    return inst.state === InstanceState.Active || (op === Operation.Read && inst.state === InstanceState.Leaving);
  }

  /**
   * The replicas of `key` (a uint32): the first RF distinct instances clockwise from the key
   * (distinct zones too with zone awareness), minus the unhealthy ones. Fails when fewer than a
   * quorum of them are healthy.
   */
  get(key: number, op: Operation, now: number = Date.now()): ReplicationSet {
    const n = this.tokens.length;
    const rf = Math.min(this.opts.replicationFactor, this.instances.length);
    if (n === 0 || rf === 0) throw new RingError('empty ring');
    const zoneAware = this.opts.zoneAwareness && this.zones > 1;
    const picked: Instance[] = [];
    const seen = new Set<number>();
    const seenZones = new Set<string>();
    for (let i = this.search(key), k = 0; k < n && picked.length < rf; i = (i + 1) % n, k++) {
      const owner = this.owners[i]!;
      if (seen.has(owner)) continue;
      const inst = this.instances[owner]!;
      if (zoneAware && seenZones.has(inst.zone)) continue;
      seen.add(owner);
      seenZones.add(inst.zone);
      picked.push(inst);
    }
    const healthy = picked.filter((inst) => this.isHealthy(inst, op, now));
    const need = quorum(rf);
    if (healthy.length < need) {
      throw new RingError(`at least ${need} live replicas required, could only find ${healthy.length}`);
    }
    return { instances: healthy, maxErrors: healthy.length - need };
  }

  /**
   * Every healthy instance, for reads that must ask all replicas of every key (dskit's
   * GetReplicationSetForOperation): up to floor(RF/2) instances may be missing or fail.
   */
  getAllHealthy(op: Operation, now: number = Date.now()): ReplicationSet {
    const healthy = this.instances.filter((inst) => this.isHealthy(inst, op, now));
    const rf = Math.min(this.opts.replicationFactor, this.instances.length);
    const required = Math.max(this.instances.length, rf) - Math.floor(rf / 2);
    if (healthy.length < required || healthy.length === 0) {
      throw new RingError(`too many unhealthy instances in the ring: ${healthy.length} healthy of ${this.instances.length}, need ${required}`);
    }
    return { instances: healthy, maxErrors: healthy.length - required };
  }

  /** Each instance's share of the token space (the range from the previous token to each of its tokens). */
  ownership(): Map<string, number> {
    const out = new Map<string, number>();
    const n = this.tokens.length;
    for (let i = 0; i < n; i++) {
      const prev = i === 0 ? this.tokens[n - 1]! - 0x1_0000_0000 : this.tokens[i - 1]!;
      const id = this.instances[this.owners[i]!]!.id;
      out.set(id, (out.get(id) ?? 0) + (this.tokens[i]! - prev) / 0x1_0000_0000);
    }
    return out;
  }

  /** Index of the first token > key, wrapping to 0 (a key equal to a token belongs to the next one, as in dskit). */
  private search(key: number): number {
    let lo = 0;
    let hi = this.tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.tokens[mid]! <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.tokens.length ? 0 : lo;
  }
}
