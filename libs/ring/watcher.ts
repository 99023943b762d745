// Keeps a ReadRing in step with the KV store by watching the ring document. When the store is
// unreachable the last ring stays in use, so writes go on while, say, NATS restarts.
import { nopLogger, type Logger } from '../log/index.ts';
import { Service } from '../services/index.ts';
import { emptyRing } from './desc.ts';
import type { RingKV } from './kv.ts';
import { ReadRing, type RingOptions } from './ring.ts';

export class RingWatcher extends Service {
  private current: ReadRing;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly key: string,
    private readonly opts: RingOptions,
    private readonly kv: RingKV,
    private readonly log: Logger = nopLogger,
    /** Wait before watching again after the watch failed. */
    private readonly retryDelay = 1_000,
  ) {
    super(`${key}-ring`);
    this.current = new ReadRing(emptyRing(), opts);
  }

  /** The latest ring. */
  ring(): ReadRing {
    return this.current;
  }

  /**
   * Resolves once the latest ring satisfies `pred` (at once if it does now); rejects after
   * `timeoutMs`. For an instance that must see its own entry before it serves.
   */
  waitFor(pred: (ring: ReadRing) => boolean, timeoutMs: number, what = 'the ring change'): Promise<void> {
    if (pred(this.current)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pred(this.current)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${this.key}: ${what} did not show in the ring within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private set(ring: ReadRing): void {
    this.current = ring;
    for (const w of [...this.waiters]) w();
  }

  protected override async starting(): Promise<void> {
    this.set(new ReadRing((await this.kv.get(this.key)) ?? emptyRing(), this.opts));
    this.loop = this.watch();
  }

  private async watch(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        for await (const desc of this.kv.watchKey(this.key, signal)) {
          this.set(new ReadRing(desc ?? emptyRing(), this.opts));
        }
      } catch (err) {
        if (signal.aborted) return;
        this.log.warn({ err, ring: this.key }, 'ring watch failed; keeping the last ring');
      }
      if (signal.aborted) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.retryDelay);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
    }
  }

  protected override async stopping(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }
}
