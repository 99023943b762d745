// The hand-off between a backend's change feed and one watcher: the latest change per key, so a
// slow watcher skips intermediate values instead of queueing every one of them.

export class LatestQueue<V> {
  // Map order is the order of each key's latest change (put() re-inserts), oldest first.
  readonly #pending = new Map<string, V>();
  #wake: (() => void) | undefined;
  #closed = false;

  /** Closes the queue when `signal` aborts. */
  constructor(signal: AbortSignal) {
    if (signal.aborted) this.#closed = true;
    else signal.addEventListener('abort', () => this.close(), { once: true });
  }

  put(key: string, value: V): void {
    if (this.#closed) return;
    this.#pending.delete(key);
    this.#pending.set(key, value);
    this.#wake?.();
  }

  /** Drops what is pending and ends iteration. */
  close(): void {
    this.#closed = true;
    this.#pending.clear();
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<[key: string, value: V]> {
    for (;;) {
      if (this.#closed) return;
      const first = this.#pending.entries().next();
      if (!first.done) {
        this.#pending.delete(first.value[0]);
        yield first.value;
        continue;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}
