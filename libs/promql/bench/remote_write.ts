// Hand-rolled protobuf encoding of Prometheus' remote-write 1.0 `prometheus.WriteRequest`
// (timeseries = 1 { labels = 1 { name = 1, value = 2 }, samples = 2 { value = 1 double, timestamp = 2 int64 } }),
// enough for the bench to feed Prometheus the very samples our head holds.

import type { Labels } from '../../model/index.ts';

const utf8 = new TextEncoder();

function varintLen(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

/** Growable byte buffer with the few protobuf primitives the WriteRequest needs. */
export class ProtoWriter {
  buf = new Uint8Array(1 << 16);
  len = 0;
  // Little-endian on every platform Node runs the bench on (x86-64, arm64).
  private readonly f64 = new Float64Array(1);
  private readonly f64Bytes = new Uint8Array(this.f64.buffer);

  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  /** Non-negative integers up to 2^53 (timestamps of the bench are positive). */
  uvarint(n: number): void {
    this.grow(10);
    while (n >= 0x80) {
      this.buf[this.len++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.len++] = n;
  }

  bytes(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  double(v: number): void {
    this.f64[0] = v;
    this.bytes(this.f64Bytes);
  }

  reset(): void {
    this.len = 0;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** The `labels` fields of one TimeSeries, encoded once per series and reused for every request. */
export function encodeLabels(labels: Labels): Uint8Array {
  const w = new ProtoWriter();
  labels.forEach((name, value) => {
    const n = utf8.encode(name);
    const v = utf8.encode(value);
    const inner = 1 + varintLen(n.length) + n.length + 1 + varintLen(v.length) + v.length;
    w.uvarint((1 << 3) | 2);
    w.uvarint(inner);
    w.uvarint((1 << 3) | 2);
    w.uvarint(n.length);
    w.bytes(n);
    w.uvarint((2 << 3) | 2);
    w.uvarint(v.length);
    w.bytes(v);
  });
  return w.finish();
}

/** Appends one TimeSeries with a single sample to a WriteRequest being built in `w`. */
export function writeTimeSeries(w: ProtoWriter, encodedLabels: Uint8Array, t: number, v: number): void {
  const sampleLen = 1 + 8 + 1 + varintLen(t);
  const tsLen = encodedLabels.length + 1 + varintLen(sampleLen) + sampleLen;
  w.uvarint((1 << 3) | 2);
  w.uvarint(tsLen);
  w.bytes(encodedLabels);
  w.uvarint((2 << 3) | 2);
  w.uvarint(sampleLen);
  w.uvarint((1 << 3) | 1);
  w.double(v);
  w.uvarint((2 << 3) | 0);
  w.uvarint(t);
}
