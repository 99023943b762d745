// The KV store on NATS JetStream KV (cluster mode): revision-checked cas, and watches that survive
// a NATS restart. One client is one NATS connection, opened in start(). Bucket layout: README.md.
import { setTimeout as sleep } from 'node:timers/promises';
import { Events, connect } from 'nats';
import type { KV, KvEntry, NatsConnection, NatsError, QueuedIterator } from 'nats';
import type { Logger } from '../log/index.ts';
import { nopLogger } from '../log/index.ts';
import { Service, formatDuration } from '../services/index.ts';
import { decodeForWatch, decodeValue, encodeValue } from './codec.ts';
import type { NatsKVConfig } from './config.ts';
import { KVError, KVErrorCode, checkKey, errorMessage } from './errors.ts';
import type { Codec, KVClient, KVUpdate } from './interface.ts';
import { LatestQueue } from './latest.ts';

// JetStream's "wrong last sequence": the key changed since the revision a write expected.
const ERR_WRONG_LAST_SEQUENCE = 10071;

// Keys map to NATS keys level by level: "/" becomes the subject separator ".", so that a prefix
// ending in "/" can be filtered by the server ("collectors/" → "collectors.>"). Within a level,
// bytes other than [-_A-Za-z0-9] are escaped as =XX (UTF-8, hex), and an empty level is "=".
const PLAIN_BYTE = /^[-\w]$/;
const PLAIN_LEVEL = /^[-\w]+$/;

function encodeLevel(level: string): string {
  if (level === '') return '=';
  if (PLAIN_LEVEL.test(level)) return level;
  let out = '';
  for (const b of Buffer.from(level, 'utf8')) {
    const c = String.fromCharCode(b);
    out += PLAIN_BYTE.test(c) ? c : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function decodeLevel(level: string): string {
  if (level === '=') return '';
  if (!level.includes('=')) return level;
  const bytes: number[] = [];
  for (let i = 0; i < level.length; i++) {
    if (level[i] === '=') {
      bytes.push(parseInt(level.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(level.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function toNatsKey(key: string): string {
  return key.split('/').map(encodeLevel).join('.');
}

function fromNatsKey(natsKey: string): string {
  return natsKey.split('.').map(decodeLevel).join('/');
}

/** The narrowest subject filter covering every key with `prefix`; callers still check the prefix. */
function prefixFilter(prefix: string): string {
  const complete = prefix.split('/').slice(0, -1);
  return complete.length === 0 ? '>' : `${complete.map(encodeLevel).join('.')}.>`;
}

/** A DEL or PURGE marker stands for a deleted key. */
function isLive(e: KvEntry | null): e is KvEntry {
  return e !== null && e.operation === 'PUT';
}

function isConflict(err: unknown): boolean {
  return (err as Partial<NatsError> | undefined)?.api_error?.err_code === ERR_WRONG_LAST_SEQUENCE;
}

export interface NatsKVDeps {
  readonly logger?: Logger;
  /** The service name, e.g. "ingester-ring-kv". */
  readonly name?: string;
}

export class NatsKV<T> extends Service implements KVClient<T> {
  readonly #config: Readonly<NatsKVConfig>;
  readonly #codec: Codec<T>;
  readonly #logger: Logger;
  #nc: NatsConnection | undefined;
  #kv: KV | undefined;
  #connected = false;
  // Watch sessions to restart after a reconnect.
  readonly #onReconnect = new Set<() => void>();
  // Aborted by stop(), which ends every watch.
  readonly #stopped = new AbortController();
  // Background tasks feeding the watches, awaited by stop().
  readonly #followers = new Set<Promise<void>>();

  constructor(config: Readonly<NatsKVConfig>, codec: Codec<T>, deps: NatsKVDeps = {}) {
    super(deps.name ?? 'kv-nats');
    this.#config = config;
    this.#codec = codec;
    this.#logger = deps.logger ?? nopLogger;
  }

  protected override async starting(): Promise<void> {
    const { nc, kv } = await this.#connect(Date.now() + this.#config.connect_timeout);
    this.#nc = nc;
    this.#kv = kv;
    this.#connected = true;
    this.#followStatus(nc);
  }

  /**
   * Connects and binds the bucket, retrying until `deadline`: NATS may start after us (docker
   * compose), and JetStream answers only a moment after the server accepts connections.
   */
  async #connect(deadline: number): Promise<{ nc: NatsConnection; kv: KV }> {
    const { url, bucket, connect_timeout: timeout, reconnect_wait: wait, request_timeout: requestTimeout } = this.#config;
    for (;;) {
      let nc: NatsConnection | undefined;
      try {
        nc = await connect({
          servers: url.split(',').map((s) => s.trim()),
          name: this.name,
          timeout: Math.max(1, deadline - Date.now()),
          maxReconnectAttempts: -1,
          reconnectTimeWait: wait,
        });
        // Only the latest value of each key matters; creates the bucket if missing, binds otherwise.
        const kv = await nc.jetstream({ timeout: requestTimeout }).views.kv(bucket, { history: 1, replicas: this.#config.replicas, timeout: requestTimeout });
        return { nc, kv };
      } catch (err) {
        await nc?.close().catch(() => {});
        if (Date.now() + wait >= deadline) {
          throw new KVError(
            KVErrorCode.Unavailable,
            `kv "${this.name}": cannot reach NATS at ${url} and bucket "${bucket}" within ${formatDuration(timeout)}: ${errorMessage(err)}`,
            { cause: err },
          );
        }
        await sleep(wait);
      }
    }
  }

  protected override async stopping(): Promise<void> {
    this.#stopped.abort();
    this.#connected = false;
    // Closing first fails requests in flight, so the followers end at once.
    await this.#nc?.close();
    await Promise.all(this.#followers);
  }

  #followStatus(nc: NatsConnection): void {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === Events.Disconnect) {
          this.#connected = false;
          this.#logger.warn({ server: s.data }, 'kv: disconnected from NATS, reconnecting');
        } else if (s.type === Events.Reconnect) {
          this.#connected = true;
          this.#logger.info({ server: s.data }, 'kv: reconnected to NATS');
          for (const restart of this.#onReconnect) restart();
        }
      }
    })().catch((err: unknown) => this.#logger.warn({ err }, 'kv: NATS status stream failed'));
    // Reconnects are unbounded, so the connection closes by itself only on a fatal error (auth).
    void nc.closed().then((err) => {
      this.#connected = false;
      this.fail(err ?? new KVError(KVErrorCode.Unavailable, `kv "${this.name}": NATS connection closed`));
    });
  }

  /** The bucket, if this client may send a request now; fails fast while NATS is away. */
  #ready(): KV {
    if (this.state() !== 'Running' || !this.#kv) {
      throw new KVError(KVErrorCode.Unavailable, `kv "${this.name}": client is not running (state ${this.state()})`);
    }
    if (!this.#connected) {
      throw new KVError(KVErrorCode.Unavailable, `kv "${this.name}": not connected to NATS at ${this.#config.url} (reconnecting)`);
    }
    return this.#kv;
  }

  #unavailable(op: string, key: string, err: unknown): KVError {
    if (err instanceof KVError) return err;
    return new KVError(KVErrorCode.Unavailable, `kv ${op} "${key}": NATS request failed: ${errorMessage(err)}`, { cause: err });
  }

  async #entry(op: string, key: string): Promise<KvEntry | null> {
    try {
      return await this.#ready().get(toNatsKey(key));
    } catch (err) {
      throw this.#unavailable(op, key, err);
    }
  }

  async get(key: string): Promise<T | null> {
    checkKey(key);
    const e = await this.#entry('get', key);
    return isLive(e) ? decodeValue(this.#codec, key, e.value) : null;
  }

  async list(prefix: string): Promise<string[]> {
    const kv = this.#ready();
    const keys: string[] = [];
    try {
      // keys() streams from a consumer, which has no timeout of its own.
      const it = await kv.keys(prefixFilter(prefix));
      const timer = setTimeout(() => it.stop(new Error(`no answer within ${formatDuration(this.#config.request_timeout)}`)), this.#config.request_timeout);
      try {
        for await (const k of it) keys.push(fromNatsKey(k));
      } finally {
        clearTimeout(timer);
      }
    } catch (err) {
      throw this.#unavailable('list', prefix, err);
    }
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    // Checked first so that deleting a missing key writes no marker and wakes no watcher.
    if (!isLive(await this.#entry('delete', key))) return;
    try {
      await this.#ready().delete(toNatsKey(key));
    } catch (err) {
      throw this.#unavailable('delete', key, err);
    }
  }

  async cas(key: string, f: (current: T | null) => T | null): Promise<void> {
    checkKey(key);
    const natsKey = toNatsKey(key);
    const attempts = this.#config.max_cas_retries;
    for (let attempt = 1; ; attempt++) {
      const e = await this.#entry('cas', key);
      const next = f(isLive(e) ? decodeValue(this.#codec, key, e.value) : null);
      if (next === null) return;
      const bytes = encodeValue(this.#codec, key, next);
      try {
        const kv = this.#ready();
        // A deleted key keeps a marker with a revision: update from it, as from a value.
        await (e === null ? kv.create(natsKey, bytes) : kv.update(natsKey, bytes, e.revision));
        return;
      } catch (err) {
        if (!isConflict(err)) throw this.#unavailable('cas', key, err);
        if (attempt >= attempts) {
          throw new KVError(KVErrorCode.CasConflict, `kv cas "${key}": gave up after ${attempts} attempts: other writers kept changing the key`, { cause: err });
        }
        // Jitter spreads out writers that keep colliding (every ingester heartbeats into one ring key).
        await sleep(Math.random() * Math.min(100, 2 ** attempt));
      }
    }
  }

  watchKey(key: string, signal: AbortSignal): AsyncIterable<T | null> {
    return this.#watchKey(key, signal);
  }

  watchPrefix(prefix: string, signal: AbortSignal): AsyncIterable<KVUpdate<T>> {
    return this.#watch(prefixFilter(prefix), (k) => k.startsWith(prefix), signal, undefined);
  }

  async *#watchKey(key: string, signal: AbortSignal): AsyncGenerator<T | null> {
    checkKey(key);
    for await (const u of this.#watch(toNatsKey(key), (k) => k === key, signal, key)) yield u.value;
  }

  async *#watch(
    filter: string,
    match: (key: string) => boolean,
    signal: AbortSignal,
    initialKey: string | undefined,
  ): AsyncGenerator<KVUpdate<T>> {
    const kv = this.#kv;
    if (this.state() !== 'Running' || !kv) {
      throw new KVError(KVErrorCode.Unavailable, `kv "${this.name}": client is not running (state ${this.state()})`);
    }
    const done = new AbortController();
    const stop = AbortSignal.any([signal, this.#stopped.signal, done.signal]);
    const queue = new LatestQueue<Uint8Array | null>(stop);
    const follower = this.#follow(kv, filter, match, queue, stop, initialKey);
    this.#followers.add(follower);
    try {
      for await (const [key, bytes] of queue) {
        const value = decodeForWatch(this.#codec, this.#logger, key, bytes);
        if (value !== undefined) yield { key, value };
      }
    } finally {
      done.abort();
      await follower;
      this.#followers.delete(follower);
    }
  }

  /**
   * Feeds `queue` from NATS watch sessions until `stop` aborts; never rejects. A session is a
   * JetStream KV watch (an ordered consumer that first replays the last value of each key). After
   * a reconnect or a failure a new session replays the last values again; the revision last
   * delivered per key drops what the watcher already has.
   */
  async #follow(
    kv: KV,
    filter: string,
    match: (key: string) => boolean,
    queue: LatestQueue<Uint8Array | null>,
    stop: AbortSignal,
    initialKey: string | undefined,
  ): Promise<void> {
    const revisions = new Map<string, number>();
    let session: QueuedIterator<KvEntry> | undefined;
    let restarted = false;
    let wake = (): void => {};
    // nats.js recovers an ordered consumer by itself only after two missed heartbeats (10-15 s
    // after a server restart); a new session on reconnect resumes at once.
    const restart = (): void => {
      restarted = true;
      session?.stop();
      wake();
    };
    this.#onReconnect.add(restart);
    stop.addEventListener('abort', restart, { once: true });
    let initialized = initialKey === undefined;
    try {
      while (!stop.aborted) {
        restarted = false;
        if (this.#connected) {
          try {
            if (initialKey !== undefined && !initialized) {
              // The current value comes first, so that a watcher of a missing key learns it is missing.
              const e = await kv.get(toNatsKey(initialKey));
              if (e) revisions.set(initialKey, e.revision);
              queue.put(initialKey, isLive(e) ? e.value : null);
              initialized = true;
            }
            session = await kv.watch({ key: filter });
            if (stop.aborted || restarted) session.stop();
            for await (const e of session) {
              if (stop.aborted) break;
              const key = fromNatsKey(e.key);
              if (!match(key) || revisions.get(key) === e.revision) continue;
              revisions.set(key, e.revision);
              queue.put(key, e.operation === 'PUT' ? e.value : null);
            }
          } catch (err) {
            if (!stop.aborted) this.#logger.warn({ err, filter }, 'kv watch: NATS watch failed, retrying');
          } finally {
            session?.stop();
            session = undefined;
          }
        }
        if (stop.aborted || restarted) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.#config.reconnect_wait);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = () => {};
      }
    } finally {
      this.#onReconnect.delete(restart);
      stop.removeEventListener('abort', restart);
    }
  }
}
