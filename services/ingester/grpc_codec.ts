// Hand-written codec of PushResponse (proto/strata/ingester.proto): three small fields, not worth
// a generated decoder on the push path.
import type { PushResult, Rejection } from './ingester.ts';

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: false });

class Writer {
  private readonly parts: number[] = [];

  varint(v: number): this {
    while (v >= 0x80) {
      this.parts.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.parts.push(v);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.varint((field << 3) | 2).varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }

  uint(field: number, v: number): this {
    if (v === 0) return this;
    return this.varint(field << 3).varint(v);
  }

  finish(): Buffer {
    return Buffer.from(this.parts);
  }
}

export function encodePushResponse(r: PushResult): Buffer {
  const w = new Writer().uint(1, r.accepted).uint(2, r.rejected);
  for (const rej of r.rejections) {
    const inner = new Writer().uint(1, rej.series).bytes(2, utf8.encode(rej.reason)).bytes(3, utf8.encode(rej.message)).finish();
    w.bytes(3, inner);
  }
  return w.finish();
}

export class PushResponseDecodeError extends Error {
  readonly code = 'push_response_invalid';
  constructor(message: string) {
    super(`invalid PushResponse: ${message}`);
    this.name = 'PushResponseDecodeError';
  }
}

class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly end: number = buf.length,
  ) {}

  varint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new PushResponseDecodeError('truncated varint');
      const b = this.buf[this.pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
    }
    throw new PushResponseDecodeError('varint too long');
  }

  sub(): Reader {
    const n = this.varint();
    if (this.pos + n > this.end) throw new PushResponseDecodeError('length past the end');
    const r = new Reader(this.buf, this.pos + n);
    r.pos = this.pos;
    this.pos += n;
    return r;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 2) this.sub();
    else if (wire === 1) this.pos += 8;
    else if (wire === 5) this.pos += 4;
    else throw new PushResponseDecodeError(`wire type ${wire}`);
    if (this.pos > this.end) throw new PushResponseDecodeError('truncated field');
  }
}

function decodeRejection(r: Reader): Rejection {
  let series = 0;
  let reason = '';
  let message = '';
  while (r.pos < r.end) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 1 && wire === 0) series = r.varint();
    else if ((field === 2 || field === 3) && wire === 2) {
      const s = r.sub();
      const text = utf8d.decode(s.buf.subarray(s.pos, s.end));
      if (field === 2) reason = text;
      else message = text;
    } else r.skip(wire);
  }
  return { series, reason, message };
}

export function decodePushResponse(buf: Uint8Array): PushResult {
  const r = new Reader(buf);
  let accepted = 0;
  let rejected = 0;
  const rejections: Rejection[] = [];
  while (r.pos < r.end) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 1 && wire === 0) accepted = r.varint();
    else if (field === 2 && wire === 0) rejected = r.varint();
    else if (field === 3 && wire === 2) rejections.push(decodeRejection(r.sub()));
    else r.skip(wire);
  }
  return { accepted, rejected, rejections };
}
