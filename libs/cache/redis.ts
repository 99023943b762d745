// A Redis-backed cache (ioredis). Built so that a Redis outage slows queries rather than failing
// them: commands time out quickly, nothing queues while disconnected (a command fails at once
// and counts as a miss), the client reconnects in the background for ever.
import { Redis } from 'ioredis';
import { nopLogger, type Logger } from '../log/index.ts';
import { newStats, type Cache, type CacheStats } from './interface.ts';

export interface RedisCacheOptions {
  /** host:port. */
  readonly endpoint: string;
  readonly username?: string;
  readonly password?: string;
  readonly db?: number;
  /** Connect timeout, ms. */
  readonly dialTimeoutMs: number;
  /** Bound on one command (MGET, a SET pipeline), ms; a command past it is a miss. */
  readonly readTimeoutMs: number;
  /** Values larger than this are not stored. */
  readonly maxItemSizeBytes: number;
  readonly logger?: Logger;
}

/** Keys per MGET / SET pipeline: bounds the size of one Redis command. */
const BATCH = 100;
/** At most one warning per this many ms while Redis keeps failing. */
const LOG_EVERY_MS = 10_000;

function hostPort(endpoint: string): { host: string; port: number } {
  const i = endpoint.lastIndexOf(':');
  const port = i < 0 ? 6379 : Number(endpoint.slice(i + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`invalid redis endpoint ${JSON.stringify(endpoint)}: expected host:port`);
  return { host: i < 0 ? endpoint : endpoint.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port };
}

export class RedisCache implements Cache {
  private readonly client: Redis;
  private readonly counters = newStats();
  private readonly logger: Logger;
  private lastLog = 0;

  /** Does no I/O: the connection is opened by `start()` or the first command. */
  constructor(private readonly opts: RedisCacheOptions) {
    this.logger = opts.logger ?? nopLogger;
    this.client = new Redis({
      ...hostPort(opts.endpoint),
      ...(opts.username ? { username: opts.username } : {}),
      ...(opts.password ? { password: opts.password } : {}),
      db: opts.db ?? 0,
      lazyConnect: true,
      connectTimeout: opts.dialTimeoutMs,
      commandTimeout: opts.readTimeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times: number) => Math.min(100 * times, 2_000),
    });
    this.client.on('error', (err: Error) => this.warn('redis connection error', err));
  }

  /** Starts connecting; resolves once connected or the first attempt failed (retries go on). */
  async start(): Promise<void> {
    if (this.client.status !== 'wait') return;
    try {
      await this.client.connect();
    } catch (err) {
      this.warn('redis connect failed; caching is off until it comes back', err);
    }
  }

  async getMulti(keys: readonly string[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    this.counters.requests += keys.length;
    if (keys.length === 0) return out;
    if (!this.ready()) {
      this.counters.errors++;
      this.counters.misses += keys.length;
      return out;
    }
    for (let i = 0; i < keys.length; i += BATCH) {
      const batch = keys.slice(i, i + BATCH);
      try {
        const values = await this.client.mgetBuffer(...batch);
        values.forEach((v, j) => {
          if (v === null) this.counters.misses++;
          else {
            this.counters.hits++;
            out.set(batch[j]!, v);
          }
        });
      } catch (err) {
        this.counters.errors++;
        this.counters.misses += keys.length - i;
        this.warn('redis get failed; treated as a miss', err);
        break; // Redis is failing: do not wait on the rest.
      }
    }
    return out;
  }

  async setMulti(entries: ReadonlyArray<readonly [string, Uint8Array]>, ttlMs = 0): Promise<void> {
    const ok = entries.filter(([, v]) => v.length <= this.opts.maxItemSizeBytes);
    if (ok.length === 0 || !this.ready()) return;
    for (let i = 0; i < ok.length; i += BATCH) {
      const p = this.client.pipeline();
      for (const [k, v] of ok.slice(i, i + BATCH)) {
        const buf = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
        if (ttlMs > 0) p.set(k, buf, 'PX', ttlMs);
        else p.set(k, buf);
      }
      try {
        const res = await p.exec();
        const failed = res?.find(([e]) => e !== null);
        if (failed) throw failed[0];
      } catch (err) {
        this.counters.errors++;
        this.warn('redis set failed; entries not cached', err);
        return;
      }
    }
  }

  stats(): CacheStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    this.client.disconnect();
    return Promise.resolve();
  }

  /** Connected, or (first use without start) connecting in the background. */
  private ready(): boolean {
    if (this.client.status === 'wait') void this.start();
    return this.client.status === 'ready';
  }

  private warn(msg: string, err: unknown): void {
    const now = Date.now();
    if (now - this.lastLog < LOG_EVERY_MS) return;
    this.lastLog = now;
    this.logger.warn({ err: err instanceof Error ? err.message : String(err), endpoint: this.opts.endpoint }, msg);
  }
}
