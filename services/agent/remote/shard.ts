// One shard of a remote-write queue: a bounded FIFO of samples (typed-array ring, values kept as
// raw bits) and the loop that sends it in batches of up to max_samples_per_send, or whatever is
// pending once batch_send_deadline passed. One batch in flight per shard keeps each series in order.

export interface BatchView {
  /** Encoded label fields (encodeLabels) of sample i of the batch. */
  labels(i: number): Uint8Array;
  t(i: number): number;
  v(i: number): number;
  readonly length: number;
}

/** Sends one batch; resolves true when it is done with (sent, or dropped as unsendable), false when aborted. */
export type SendBatch = (batch: BatchView) => Promise<boolean>;

export class Shard implements BatchView {
  private readonly labelsRing: (Uint8Array | undefined)[];
  private readonly ts: Float64Array;
  private readonly vs: Float64Array;
  private readonly vBits: Uint32Array;
  private readonly seqs: Float64Array;
  private head = 0;
  private len = 0;
  private batchLen = 0; // samples of the batch being sent (at the head)
  private waiter: (() => void) | undefined;
  private draining = false;
  private aborted = false;
  private loop: Promise<void> | undefined;
  private batchStart = 0; // when the oldest unsent sample arrived (ms, performance.now)

  constructor(
    readonly capacity: number,
    private readonly maxPerSend: number,
    private readonly deadlineMs: number,
    private readonly send: SendBatch,
    /** Called after a batch is done with and its samples left the shard. */
    private readonly onSent: () => void,
  ) {
    this.labelsRing = new Array<Uint8Array | undefined>(capacity);
    this.ts = new Float64Array(capacity);
    this.vs = new Float64Array(capacity);
    this.vBits = new Uint32Array(this.vs.buffer);
    this.seqs = new Float64Array(capacity);
  }

  get pending(): number {
    return this.len;
  }

  full(): boolean {
    return this.len >= this.capacity;
  }

  /** Sequence number of the oldest sample not yet done with, or Infinity when empty. */
  oldestSeq(): number {
    return this.len === 0 ? Infinity : this.seqs[this.head]!;
  }

  /** Adds a sample (the caller checked full()); the value is given as its two 32-bit words. */
  push(labels: Uint8Array, t: number, bits: Uint32Array, bitsIdx: number, seq: number): void {
    const i = (this.head + this.len) % this.capacity;
    this.labelsRing[i] = labels;
    this.ts[i] = t;
    this.vBits[2 * i] = bits[bitsIdx]!;
    this.vBits[2 * i + 1] = bits[bitsIdx + 1]!;
    this.seqs[i] = seq;
    const first = this.len === this.batchLen; // nothing waiting besides the batch in flight
    if (first) this.batchStart = performance.now();
    this.len++;
    // Wake the loop to start the deadline clock, or because a full batch is ready.
    if (first || this.len - this.batchLen >= this.maxPerSend) this.wake();
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Sends everything pending, then ends the loop. */
  drain(): Promise<void> {
    this.draining = true;
    this.wake();
    return this.loop ?? Promise.resolve();
  }

  /** Ends the loop without sending more (the caller aborts any send in flight). */
  abort(): Promise<void> {
    this.aborted = true;
    this.wake();
    return this.loop ?? Promise.resolve();
  }

  // BatchView over the head of the ring.
  labels(i: number): Uint8Array {
    return this.labelsRing[(this.head + i) % this.capacity]!;
  }
  t(i: number): number {
    return this.ts[(this.head + i) % this.capacity]!;
  }
  v(i: number): number {
    return this.vs[(this.head + i) % this.capacity]!;
  }
  get length(): number {
    return this.batchLen;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === Infinity ? undefined : setTimeout(() => this.wake(), Math.max(0, ms));
      this.waiter = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.aborted) return;
      if (this.len === 0) {
        if (this.draining) return;
        await this.wait(Infinity);
        continue;
      }
      const due = this.batchStart + this.deadlineMs - performance.now();
      if (this.len < this.maxPerSend && !this.draining && due > 0) {
        await this.wait(due);
        continue;
      }
      this.batchLen = Math.min(this.len, this.maxPerSend);
      const done = await this.send(this);
      if (!done || this.aborted) return;
      for (let k = 0; k < this.batchLen; k++) this.labelsRing[(this.head + k) % this.capacity] = undefined;
      this.head = (this.head + this.batchLen) % this.capacity;
      this.len -= this.batchLen;
      this.batchLen = 0;
      this.batchStart = performance.now();
      this.onSent();
    }
  }
}
