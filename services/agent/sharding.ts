// Target sharing among agents: every agent of a group registers in a hash ring in the KV store
// (key `collectors/agent`) and scrapes only the targets whose hash it owns, so a group of agents
// splits the targets and takes over a dead agent's share once its heartbeat is stale.
//
// HA pairs: with replication_factor 2 and zone awareness, every target has one owner in each
// zone. Give the agents of one side `instance_zone: a` and of the other `instance_zone: b`, the
// same external label `cluster: <name>` on both, and enable the distributor's HA tracker: each
// agent adds `__replica__=<its zone>` (replicaLabel()) so the tracker keeps one zone's samples
// and fails over to the other when that zone stops sending.
import { hostname } from 'node:os';
import { z } from 'zod';
import { createKV, jsonCodec, kvConfigSchema, type KVClientService } from '../../libs/kv/index.ts';
import { nopLogger, type Logger } from '../../libs/log/index.ts';
import {
  InstanceState, Lifecycler, RingWatcher, parseRingDesc, type Instance, type ReadRing, type RingDesc, type RingKV,
} from '../../libs/ring/index.ts';
import { Service, duration, section, type DeepReadonly } from '../../libs/services/index.ts';

/** KV key of the agent ring document. */
export const AGENT_RING_KEY = 'collectors/agent';

export const agentRingConfigSchema = section({
  kvstore: kvConfigSchema,
  heartbeat_period: duration('5s').describe('How often an agent updates its heartbeat in the ring.'),
  heartbeat_timeout: duration('1m').describe('An agent whose heartbeat is older than this is unhealthy; its targets move to the others.'),
  instance_id: z.string().default('').describe('This agent\'s id in the ring; empty means the hostname.'),
  instance_addr: z.string().default('').describe('Address shown for this agent in the ring.'),
  instance_zone: z.string().default('').describe('Zone of this agent; with zone awareness each target gets one owner per zone (HA pairs).'),
  num_tokens: z.number().int().min(1).default(128).describe('Tokens an agent owns in the ring.'),
  replication_factor: z.number().int().min(1).default(1).describe('Agents scraping each target; 2 with zone awareness makes HA pairs.'),
  zone_awareness_enabled: z.boolean().default(false).describe('Spread each target\'s owners over distinct zones.'),
});

export type AgentRingConfig = z.output<typeof agentRingConfigSchema>;

export interface AgentRingDeps {
  readonly logger?: Logger;
  /** A KV client the caller starts and stops; without it the ring builds one from `kvstore`. */
  readonly kv?: RingKV;
  /** For kvstore "memory": which in-process store to share (tests give each group its own). */
  readonly memoryStore?: string;
}

/**
 * The healthy agents' tokens, for ownership lookups. Built when the healthy set changes, never per
 * lookup: `owns` runs for every target on every re-evaluation.
 */
class OwnerTable {
  private readonly tokens: Uint32Array;
  private readonly owners: Int32Array;
  private readonly zoneOf: Int32Array;
  private readonly zoneCount: number;
  private readonly picked: Int32Array;

  constructor(
    readonly members: readonly Instance[],
    private readonly rf: number,
    private readonly zoneAware: boolean,
  ) {
    const pairs: [number, number][] = [];
    members.forEach((m, i) => {
      for (const t of m.tokens) pairs.push([t, i]);
    });
    pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    this.tokens = Uint32Array.from(pairs, (p) => p[0]);
    this.owners = Int32Array.from(pairs, (p) => p[1]);
    const zones = new Map<string, number>();
    this.zoneOf = Int32Array.from(members, (m) => {
      let z = zones.get(m.zone);
      if (z === undefined) zones.set(m.zone, (z = zones.size));
      return z;
    });
    this.zoneCount = zones.size;
    this.picked = new Int32Array(Math.max(1, rf));
  }

  /**
   * Calls `f` with the member index of each owner of `hash`: the first `rf` distinct members
   * clockwise from the hash, in distinct zones with zone awareness (so a zone without healthy
   * agents leaves its share to the other zones' agents, one owner per zone). Stops when f says so.
   */
  forEachOwner(hash: number, f: (member: number) => boolean): void {
    const n = this.tokens.length;
    const want = Math.min(this.rf, this.zoneAware ? this.zoneCount : this.members.length);
    if (n === 0 || want === 0) return;
    let found = 0;
    for (let i = this.search(hash >>> 0), k = 0; k < n && found < want; i = i + 1 === n ? 0 : i + 1, k++) {
      const m = this.owners[i]!;
      let dup = false;
      for (let j = 0; j < found; j++) {
        const p = this.picked[j]!;
        if (p === m || (this.zoneAware && this.zoneOf[p] === this.zoneOf[m])) {
          dup = true;
          break;
        }
      }
      if (dup) continue;
      this.picked[found++] = m;
      if (f(m)) return;
    }
  }

  // Index of the first token > hash, wrapping to 0 (as libs/ring's lookups, so both agree).
  private search(hash: number): number {
    let lo = 0;
    let hi = this.tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.tokens[mid]! <= hash) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.tokens.length ? 0 : lo;
  }
}

export class AgentRing extends Service {
  readonly #cfg: DeepReadonly<AgentRingConfig>;
  readonly #id: string;
  readonly #log: Logger;
  readonly #kv: (RingKV & Partial<KVClientService<RingDesc>>) | undefined;
  readonly #ownsKV: boolean;
  readonly #watcher: RingWatcher;
  readonly #lifecycler: Lifecycler;
  readonly #listeners = new Set<() => void>();
  #table: OwnerTable;
  #self = -1;
  #signature = '';
  #loop: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;

  constructor(cfg: DeepReadonly<AgentRingConfig>, deps: AgentRingDeps = {}) {
    super('agent-ring');
    if (cfg.replication_factor > 1 && cfg.zone_awareness_enabled && cfg.instance_zone === '') {
      throw new Error('agent ring: zone_awareness_enabled needs instance_zone set on every agent');
    }
    this.#cfg = cfg;
    this.#id = cfg.instance_id || hostname();
    this.#log = (deps.logger ?? nopLogger).child({ component: 'agent-ring' });
    this.#ownsKV = deps.kv === undefined;
    const kv = deps.kv ?? createKV<RingDesc>(cfg.kvstore, jsonCodec(parseRingDesc), { name: 'agent-ring-kv', logger: this.#log, memoryStore: deps.memoryStore });
    this.#kv = kv;
    const opts = { replicationFactor: cfg.replication_factor, heartbeatTimeout: cfg.heartbeat_timeout, zoneAwareness: cfg.zone_awareness_enabled };
    this.#watcher = new RingWatcher(AGENT_RING_KEY, opts, kv, this.#log);
    this.#lifecycler = new Lifecycler(
      {
        key: AGENT_RING_KEY, instanceId: this.#id, addr: cfg.instance_addr, zone: cfg.instance_zone, numTokens: cfg.num_tokens,
        heartbeatPeriod: cfg.heartbeat_period, tokensFile: '', unregisterOnShutdown: true,
      },
      kv,
      this.#log,
    );
    this.#table = new OwnerTable([], cfg.replication_factor, cfg.zone_awareness_enabled);
  }

  instanceId(): string {
    return this.#id;
  }

  /** Whether this agent is among the healthy owners of the target hash (a uint32). */
  owns(hash: number): boolean {
    if (this.#self < 0) return false;
    let mine = false;
    this.#table.forEachOwner(hash, (m) => (mine = m === this.#self));
    return mine;
  }

  /** The ids of the healthy owners of `hash`, for status pages and tests. */
  owners(hash: number): string[] {
    const out: string[] = [];
    this.#table.forEachOwner(hash, (m) => {
      out.push(this.#table.members[m]!.id);
      return false;
    });
    return out;
  }

  /** Healthy agents other than this one (on shutdown: with peers, stop without stale markers). */
  healthyPeers(): number {
    return this.#table.members.length - (this.#self < 0 ? 0 : 1);
  }

  /** `__replica__` value for the HA tracker: this agent's zone in an HA pair, else undefined. */
  replicaLabel(): string | undefined {
    const c = this.#cfg;
    return c.replication_factor > 1 && c.zone_awareness_enabled ? c.instance_zone : undefined;
  }

  /**
   * Calls `cb` (synchronously) after the healthy members or their tokens changed, so the agent
   * re-evaluates which targets it owns. Returns the unsubscribe function.
   */
  onChange(cb: () => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  protected override async starting(): Promise<void> {
    const kv = this.#kv;
    if (this.#ownsKV && kv?.start) await kv.start();
    try {
      await this.#watcher.start();
      await this.#lifecycler.start();
      await this.#watcher.waitFor(
        (r) => r.allInstances().some((i) => i.id === this.#id && i.state === InstanceState.Active),
        Math.max(10_000, this.#cfg.heartbeat_timeout),
        `agent ${this.#id}`,
      );
    } catch (err) {
      await this.#lifecycler.stop();
      await this.#watcher.stop();
      if (this.#ownsKV && kv?.stop) await kv.stop();
      throw err;
    }
    this.#evaluate(this.#watcher.ring(), Date.now());
    this.#loop = this.#run();
  }

  /**
   * Re-evaluates on every ring change and at least once a heartbeat period, so an agent that died
   * (no heartbeat, so no KV change) is dropped within heartbeat_timeout + one period.
   */
  async #run(): Promise<void> {
    let seen = this.#watcher.ring();
    while (!this.#stopping) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#watcher.waitFor((r) => r !== seen, this.#cfg.heartbeat_period).then(resolve, resolve);
      });
      if (this.#stopping) return;
      seen = this.#watcher.ring();
      this.#evaluate(seen, Date.now());
    }
  }

  #evaluate(ring: ReadRing, now: number): void {
    const healthy: Instance[] = [];
    let selfSeen = false;
    for (const inst of ring.allInstances()) {
      if (inst.id === this.#id) {
        // This agent knows it is alive: while the KV store is unreachable (no heartbeats land) it
        // keeps scraping its share, and takes over others' once they look stale (duplicates, no gaps).
        selfSeen = true;
        healthy.push({ ...inst, state: InstanceState.Active, tokens: [...this.#lifecycler.instanceTokens()] });
      } else if (ring.isHealthy(inst, 'write', now)) {
        healthy.push(inst);
      }
    }
    if (!selfSeen) {
      // Someone forgot this agent; the lifecycler adds it back at the next heartbeat.
      const c = this.#cfg;
      healthy.push({
        id: this.#id, addr: c.instance_addr, zone: c.instance_zone, state: InstanceState.Active,
        tokens: [...this.#lifecycler.instanceTokens()], heartbeat_timestamp: now, registered_timestamp: now,
      });
      healthy.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    }
    const sig = signature(healthy);
    if (sig === this.#signature) return;
    this.#signature = sig;
    this.#table = new OwnerTable(healthy, this.#cfg.replication_factor, this.#cfg.zone_awareness_enabled);
    this.#self = healthy.findIndex((i) => i.id === this.#id);
    this.#log.info({ instance: this.#id, healthy: healthy.map((i) => i.id) }, 'agent ring changed');
    for (const cb of [...this.#listeners]) {
      try {
        cb();
      } catch (err) {
        this.#log.error({ err }, 'agent ring change listener failed');
      }
    }
  }

  /** Leaves the ring first (so the others take over at once), then stops watching it. */
  protected override async stopping(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
    await this.#lifecycler.stop();
    await this.#watcher.stop();
    const kv = this.#kv;
    if (this.#ownsKV && kv?.stop) await kv.stop();
  }
}

/** Identity of a healthy set: ids, zones and a checksum of each one's tokens (FNV-1a). */
function signature(members: readonly Instance[]): string {
  let s = '';
  for (const m of members) {
    let h = 0x811c9dc5;
    for (const t of m.tokens) {
      h ^= t;
      h = Math.imul(h, 0x01000193);
    }
    s += `${m.id}\u0000${m.zone}\u0000${m.tokens.length}:${h >>> 0}\u0001`;
  }
  return s;
}
