// An instance's membership of a ring (dskit's lifecycler): it registers with its tokens, sends a
// heartbeat every period, and on shutdown turns LEAVING and then removes itself. Tokens are kept
// in a file, so a restarted instance takes back the same place in the ring.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { nopLogger, type Logger } from '../log/index.ts';
import { Service } from '../services/index.ts';
import { InstanceState, withInstance, type RingDesc } from './desc.ts';
import type { RingKV } from './kv.ts';
import { generateTokens } from './tokens.ts';

export interface LifecyclerConfig {
  /** KV key of the ring document. */
  readonly key: string;
  readonly instanceId: string;
  /** Address other services reach this instance's gRPC server at. */
  readonly addr: string;
  readonly zone: string;
  readonly numTokens: number;
  readonly heartbeatPeriod: number;
  /** Where the tokens are kept across restarts; empty keeps them only in the ring. */
  readonly tokensFile: string;
  /** Remove the instance from the ring on shutdown (else it stays, LEAVING, until forgotten). */
  readonly unregisterOnShutdown: boolean;
}

export class Lifecycler extends Service {
  private tokens: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private registeredAt = 0;
  private heartbeating: Promise<void> | undefined;

  constructor(
    private readonly cfg: LifecyclerConfig,
    private readonly kv: RingKV,
    private readonly log: Logger = nopLogger,
    private readonly now: () => number = Date.now,
  ) {
    super(`${cfg.key}-lifecycler`);
  }

  instanceTokens(): readonly number[] {
    return this.tokens;
  }

  protected override async starting(): Promise<void> {
    const saved = await this.loadTokens();
    const desc = await this.kv.get(this.cfg.key);
    const mine = desc?.instances[this.cfg.instanceId];
    this.registeredAt = mine?.registered_timestamp ?? this.now();
    if (saved.length > 0) this.tokens = saved;
    else if (mine && mine.tokens.length > 0) this.tokens = mine.tokens;
    else this.tokens = generateTokens(this.cfg.numTokens, takenTokens(desc, this.cfg.instanceId));
    await this.saveTokens();
    await this.update(InstanceState.Active);
    this.log.info({ ring: this.cfg.key, instance: this.cfg.instanceId, tokens: this.tokens.length }, 'joined the ring');
    this.timer = setInterval(() => this.heartbeat(), this.cfg.heartbeatPeriod);
    this.timer.unref();
  }

  /** One heartbeat; a KV failure is logged and the next period tries again. */
  private heartbeat(): void {
    if (this.heartbeating) return;
    this.heartbeating = this.update(InstanceState.Active)
      .catch((err: unknown) => this.log.warn({ err, ring: this.cfg.key }, 'ring heartbeat failed'))
      .finally(() => (this.heartbeating = undefined));
  }

  protected override async stopping(): Promise<void> {
    clearInterval(this.timer);
    await this.heartbeating;
    try {
      await this.update(InstanceState.Leaving);
      if (this.cfg.unregisterOnShutdown) {
        await this.kv.cas(this.cfg.key, (cur) => withInstance(cur, this.cfg.instanceId, () => undefined));
        this.log.info({ ring: this.cfg.key, instance: this.cfg.instanceId }, 'left the ring');
      }
    } catch (err) {
      // The instance will look unhealthy once its heartbeat is stale; nothing else to do.
      this.log.warn({ err, ring: this.cfg.key }, 'could not leave the ring cleanly');
    }
  }

  /** Writes this instance's entry (re-adding it if someone forgot it while it runs). */
  private update(state: InstanceState): Promise<void> {
    return this.kv.cas(this.cfg.key, (cur) =>
      withInstance(cur, this.cfg.instanceId, () => ({
        addr: this.cfg.addr,
        zone: this.cfg.zone,
        state,
        tokens: this.tokens,
        heartbeat_timestamp: this.now(),
        registered_timestamp: this.registeredAt,
      })),
    );
  }

  private async loadTokens(): Promise<number[]> {
    if (this.cfg.tokensFile === '') return [];
    let text: string;
    try {
      text = await readFile(this.cfg.tokensFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const doc = JSON.parse(text) as { tokens?: unknown };
    if (!Array.isArray(doc.tokens) || !doc.tokens.every((t) => Number.isInteger(t) && t >= 0 && t <= 0xffffffff)) {
      throw new Error(`tokens file ${this.cfg.tokensFile} is invalid: expected {"tokens": [uint32, ...]}`);
    }
    return [...(doc.tokens as number[])].sort((a, b) => a - b);
  }

  private async saveTokens(): Promise<void> {
    if (this.cfg.tokensFile === '') return;
    await mkdir(dirname(this.cfg.tokensFile), { recursive: true });
    const tmp = `${this.cfg.tokensFile}.tmp`;
    await writeFile(tmp, JSON.stringify({ tokens: this.tokens }));
    await rename(tmp, this.cfg.tokensFile);
  }
}

function takenTokens(desc: RingDesc | null, except: string): Set<number> {
  const taken = new Set<number>();
  for (const [id, inst] of Object.entries(desc?.instances ?? {})) if (id !== except) for (const t of inst.tokens) taken.add(t);
  return taken;
}

/** Removes a dead instance from the ring (the ring page's "forget"). */
export function forgetInstance(kv: RingKV, key: string, instanceId: string): Promise<void> {
  return kv.cas(key, (cur) => (cur?.instances[instanceId] ? withInstance(cur, instanceId, () => undefined) : null));
}
