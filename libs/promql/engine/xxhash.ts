// XXH64 (seed 0) and Prometheus' labels.Hash() on top of it: limit_ratio picks series by that
// hash, so the same series must be picked as in Prometheus. BigInt is fine here: it runs once
// per label set (cached), never per sample.

import type { Labels } from '../../model/index.ts';

const M = (1n << 64n) - 1n;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;

const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & M;
const round = (acc: bigint, lane: bigint): bigint => (rotl((acc + lane * P2) & M, 31n) * P1) & M;
const mergeRound = (acc: bigint, val: bigint): bigint => ((((acc ^ round(0n, val)) * P1) & M) + P4) & M;

function u64(b: Uint8Array, i: number): bigint {
  const dv = new DataView(b.buffer, b.byteOffset + i, 8);
  return dv.getBigUint64(0, true);
}

function u32(b: Uint8Array, i: number): bigint {
  return BigInt((b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0);
}

/** XXH64 with seed 0, as github.com/cespare/xxhash Sum64. */
export function xxhash64(b: Uint8Array): bigint {
  const n = b.length;
  let i = 0;
  let h: bigint;
  if (n >= 32) {
    let v1 = (P1 + P2) & M;
    let v2 = P2;
    let v3 = 0n;
    let v4 = (-P1) & M;
    for (; i + 32 <= n; i += 32) {
      v1 = round(v1, u64(b, i));
      v2 = round(v2, u64(b, i + 8));
      v3 = round(v3, u64(b, i + 16));
      v4 = round(v4, u64(b, i + 24));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M;
    h = mergeRound(h, v1);
    h = mergeRound(h, v2);
    h = mergeRound(h, v3);
    h = mergeRound(h, v4);
  } else {
    h = P5;
  }
  h = (h + BigInt(n)) & M;
  for (; i + 8 <= n; i += 8) {
    h ^= round(0n, u64(b, i));
    h = (rotl(h, 27n) * P1 + P4) & M;
  }
  if (i + 4 <= n) {
    h ^= (u32(b, i) * P1) & M;
    h = (rotl(h, 23n) * P2 + P3) & M;
    i += 4;
  }
  for (; i < n; i++) {
    h ^= (BigInt(b[i]!) * P5) & M;
    h = (rotl(h, 11n) * P1) & M;
  }
  h ^= h >> 33n;
  h = (h * P2) & M;
  h ^= h >> 29n;
  h = (h * P3) & M;
  h ^= h >> 32n;
  return h;
}

const encoder = new TextEncoder();
const hashCache = new WeakMap<Labels, bigint>();

/**
 * Prometheus' labels.Hash() in its default (stringlabels) build: XXH64 of every name and value,
 * each preceded by its byte length (one byte below 255, else 0xff and three bytes little-endian).
 */
export function prometheusLabelsHash(ls: Labels): bigint {
  const cached = hashCache.get(ls);
  if (cached !== undefined) return cached;
  const parts: Uint8Array[] = [];
  let size = 0;
  ls.forEach((name, value) => {
    for (const s of [name, value]) {
      const bytes = encoder.encode(s);
      const len = bytes.length;
      const prefix = len < 255 ? Uint8Array.of(len) : Uint8Array.of(255, len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff);
      parts.push(prefix, bytes);
      size += prefix.length + len;
    }
  });
  const buf = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    buf.set(p, off);
    off += p.length;
  }
  const h = xxhash64(buf);
  hashCache.set(ls, h);
  return h;
}
